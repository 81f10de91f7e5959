/*
 * lib/llm/ods_llm_embed.c — the built-in embedding model (ods_embed) served
 * as an OpenAI /v1/embeddings answer, float or base64.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vec/ods_embed.h"
#include "core/ods_json.h"
#include "llm/ods_llm.h"

#define MAX_INPUTS	2048

struct local {
	const char	*texts[MAX_INPUTS];
	size_t		 lens[MAX_INPUTS];
	size_t		 n;
	int		 base64;
	uint32_t	 dim;
};

static void
b64(struct ods_jw *jw, const float *v, uint32_t dim, char *out)
{
	static const char	tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij"
	    "klmnopqrstuvwxyz0123456789+/";
	const unsigned char	*p = (const unsigned char *)v;
	size_t			 n = (size_t)dim * 4, i, o = 0;
	uint32_t		 x;

	/* float32 is little-endian on every platform this builds for. */
	for (i = 0; i + 2 < n; i += 3) {
		x = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		out[o++] = tab[x >> 18 & 63];
		out[o++] = tab[x >> 12 & 63];
		out[o++] = tab[x >> 6 & 63];
		out[o++] = tab[x & 63];
	}
	if (i < n) {
		x = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 :
		    0);
		out[o++] = tab[x >> 18 & 63];
		out[o++] = tab[x >> 12 & 63];
		out[o++] = i + 1 < n ? tab[x >> 6 & 63] : '=';
		out[o++] = '=';
	}
	ods_jw_strn(jw, out, o);
}

static void
floats(struct ods_jw *jw, const float *v, uint32_t dim)
{
	char		num[32];
	uint32_t	i;
	int		n;

	ods_jw_arr(jw);
	for (i = 0; i < dim; i++) {
		/* 9 significant digits read back as the same float32. */
		n = snprintf(num, sizeof(num), "%.9g", (double)v[i]);
		ods_jw_raw(jw, num, (size_t)n);
	}
	ods_jw_end(jw);
}

static const char *
parse_input(struct json_object *o, struct local *l)
{
	struct json_object	*in, *it;
	size_t			 i;

	json_object_object_get_ex(o, "input", &in);
	if (json_object_is_type(in, json_type_string)) {
		l->texts[0] = json_object_get_string(in);
		l->lens[0] = (size_t)json_object_get_string_len(in);
		l->n = 1;
		return NULL;
	}
	if ((l->n = json_object_array_length(in)) == 0)
		return "'input' must not be empty";
	if (l->n > MAX_INPUTS)
		return "'input' may hold at most 2048 items";
	for (i = 0; i < l->n; i++) {
		it = json_object_array_get_idx(in, i);
		if (!json_object_is_type(it, json_type_string))
			return "the built-in embedding model takes strings "
			    "only, not token arrays";
		l->texts[i] = json_object_get_string(it);
		l->lens[i] = (size_t)json_object_get_string_len(it);
	}
	return NULL;
}

static const char *
parse_local(struct json_object *o, const char *model, struct local *l)
{
	struct json_object	*v;
	const char		*f;

	if (ods_embed_parse_model(model, &l->dim) != ODS_OK)
		l->dim = ODS_EMBED_DIM_DEFAULT;
	if (json_object_object_get_ex(o, "encoding_format", &v) && v != NULL) {
		f = json_object_get_string(v);
		if (!json_object_is_type(v, json_type_string) ||
		    (strcmp(f, "float") != 0 && strcmp(f, "base64") != 0))
			return "'encoding_format' must be 'float' or 'base64'";
		l->base64 = strcmp(f, "base64") == 0;
	}
	if (json_object_object_get_ex(o, "dimensions", &v) && v != NULL &&
	    (!json_object_is_type(v, json_type_int) ||
	    json_object_get_int64(v) != (int64_t)l->dim))
		return "'dimensions' must equal the model's dimension";
	return parse_input(o, l);
}

static enum ods_err
write_all(struct ods_jw *jw, const struct local *l, float *vec, char *enc,
    int64_t *tokens)
{
	size_t		 i, nt;
	char		 name[64];

	if (ods_embed_model_name(l->dim, name, sizeof(name)) != ODS_OK)
		return ODS_EINVAL;
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "object", "list");
	ods_jw_key(jw, "data");
	ods_jw_arr(jw);
	for (i = 0; i < l->n; i++) {
		if (ods_embed(l->texts[i], l->lens[i], l->dim, vec, &nt) !=
		    ODS_OK)
			return ODS_ETOOBIG;
		*tokens += (int64_t)nt;
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "object", "embedding");
		ods_jw_kint(jw, "index", (int64_t)i);
		ods_jw_key(jw, "embedding");
		if (l->base64)
			b64(jw, vec, l->dim, enc);
		else
			floats(jw, vec, l->dim);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_kstr(jw, "model", name);
	ods_jw_key(jw, "usage");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "prompt_tokens", *tokens);
	ods_jw_kint(jw, "total_tokens", *tokens);
	ods_jw_end(jw);
	ods_jw_end(jw);
	return ods_jw_error(jw);
}

enum ods_err
ods_llm_embed_answer(struct json_object *o, const char *model,
    struct ods_jw *jw, int64_t *tokens, struct ods_why *why)
{
	struct local	*l;
	const char	*bad;
	float		*vec = NULL;
	char		*enc = NULL;
	enum ods_err	 er = ODS_ENOMEM;

	*tokens = 0;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ODS_ENOMEM;
	if ((bad = parse_local(o, model, l)) != NULL) {
		ods_why_set(why, NULL, "%s", bad);
		free(l);
		return ODS_EINVAL;
	}
	vec = malloc((size_t)l->dim * sizeof(float));
	/* base64 of dim float32: 4 characters per 3 bytes. */
	enc = malloc(((size_t)l->dim * 4 + 2) / 3 * 4 + 8);
	if (vec != NULL && enc != NULL)
		er = write_all(jw, l, vec, enc, tokens);
	if (er == ODS_ETOOBIG)
		ods_why_set(why, NULL, "an input is longer than %d bytes",
		    ODS_EMBED_MAX_TEXT);
	free(vec);
	free(enc);
	free(l);
	return er;
}
