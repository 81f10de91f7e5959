/*
 * lib/llm/ods_llm_client.c — calls for the other modules (Agent API, RAG):
 * embeddings in batches and a chat, whole or streamed, over ods_llm_forward.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "vec/ods_embed.h"
#include "core/ods_json.h"
#include "llm/ods_llm_int.h"
#include "core/ods_mem.h"

#define REQ_MAX		(64u << 20)

static enum ods_err
status_err(int status)
{
	if (status == 404)
		return ODS_ENOTFOUND;
	if (status == 429)
		return ODS_ELIMIT;
	if (status >= 400 && status < 500)
		return ODS_EINVAL;
	return ODS_EUPSTREAM;
}

/* POST a body built here; the answer's JSON in *o (ods_json_put). */
static enum ods_err
call_json(struct ods_llm *l, enum ods_llm_op op, const char *model,
    struct ods_buf *body, struct json_object **o, struct ods_llm_usage *u)
{
	struct ods_llm_prep	 p;
	struct ods_llm_result	 res;
	struct ods_why	 e;
	enum ods_err		 er;

	memset(&p, 0, sizeof(p));
	p.op = op;
	p.model = model;
	p.upstream_model = ods_llm_alias(l, model);
	p.body = body->data;
	p.body_len = body->len;
	*o = NULL;
	er = ods_llm_forward(l, &p, NULL, &res);
	if (er == ODS_OK && (res.status < 200 || res.status >= 300))
		er = status_err(res.status);
	if (er == ODS_OK && ods_json_parse(res.body.data, res.body.len, 0, o,
	    &e) != ODS_OK)
		er = ODS_EUPSTREAM;
	if (er == ODS_OK && u != NULL) {
		u->prompt_tokens += res.usage.prompt_tokens;
		u->completion_tokens += res.usage.completion_tokens;
		u->known |= res.usage.known;
	}
	ods_llm_result_fini(&res);
	return er;
}

static enum ods_err
embed_locally(const char *model, const char *const *texts, size_t n,
    float **out, uint32_t *dim, struct ods_llm_usage *u)
{
	enum ods_err	er;
	size_t		i, ntok;
	uint32_t	d = ODS_EMBED_DIM_DEFAULT;

	if (ods_embed_parse_model(model, &d) != ODS_OK)
		d = ODS_EMBED_DIM_DEFAULT;
	*out = ods_xcalloc(n > 0 ? n : 1, (size_t)d * sizeof(float));
	for (i = 0; i < n; i++) {
		er = ods_embed(texts[i], strlen(texts[i]), d, *out + i * d,
		    &ntok);
		if (er != ODS_OK) {
			free(*out);
			*out = NULL;
			return er;
		}
		if (u != NULL)
			u->prompt_tokens += (int64_t)ntok;
	}
	if (u != NULL)
		u->known = 1;
	*dim = d;
	return ODS_OK;
}

/* data[i].embedding of one batch into out (dim fixed by the first). */
static enum ods_err
take_batch(struct json_object *o, size_t base, size_t cnt, float **out,
    uint32_t *dim, size_t total)
{
	struct json_object	*data, *it, *emb;
	size_t			 i, j, len;

	if (!json_object_object_get_ex(o, "data", &data) ||
	    json_object_array_length(data) != cnt)
		return ODS_EUPSTREAM;
	for (i = 0; i < cnt; i++) {
		it = json_object_array_get_idx(data, i);
		if (!json_object_object_get_ex(it, "embedding", &emb) ||
		    !json_object_is_type(emb, json_type_array) ||
		    (len = json_object_array_length(emb)) == 0 ||
		    len > ODS_EMBED_DIM_MAX * 4u)
			return ODS_EUPSTREAM;
		if (*dim == 0) {
			*dim = (uint32_t)len;
			*out = ods_xcalloc(total, len * sizeof(float));
		}
		if (len != *dim)
			return ODS_EUPSTREAM;
		for (j = 0; j < len; j++)
			(*out)[(base + i) * len + j] = (float)
			    json_object_get_double(
			    json_object_array_get_idx(emb, j));
	}
	return ODS_OK;
}

static enum ods_err
batch_body(struct ods_buf *b, const char *model, const char *const *texts,
    size_t n)
{
	struct ods_jw	jw;
	size_t		i;

	ods_buf_reset(b);
	ods_jw_init(&jw, b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "model", model);
	ods_jw_kstr(&jw, "encoding_format", "float");
	ods_jw_key(&jw, "input");
	ods_jw_arr(&jw);
	for (i = 0; i < n; i++)
		ods_jw_str(&jw, texts[i]);
	ods_jw_end(&jw);
	ods_jw_end(&jw);
	return ods_jw_error(&jw);
}

enum ods_err
ods_llm_embed(struct ods_llm *l, const char *model, const char *const *texts,
    size_t n, float **out, uint32_t *dim, struct ods_llm_usage *u)
{
	struct json_object	*o;
	struct ods_buf		 b;
	enum ods_err		 er = ODS_OK;
	size_t			 i, cnt;

	*out = NULL;
	*dim = 0;
	if (model == NULL || (n > 0 && texts == NULL))
		return ODS_EINVAL;
	if (ods_llm_embed_local(l, model))
		return embed_locally(model, texts, n, out, dim, u);
	ods_buf_init(&b, REQ_MAX);
	for (i = 0; i < n && er == ODS_OK; i += cnt) {
		cnt = n - i < ODS_LLM_EMBED_BATCH ? n - i : ODS_LLM_EMBED_BATCH;
		if ((er = batch_body(&b, ods_llm_alias(l, model), texts + i,
		    cnt)) != ODS_OK)
			break;
		if ((er = call_json(l, ODS_LLM_EMBEDDINGS, model, &b, &o, u)) !=
		    ODS_OK)
			break;
		er = take_batch(o, i, cnt, out, dim, n);
		ods_json_put(o);
	}
	ods_buf_free(&b);
	if (er != ODS_OK) {
		free(*out);
		*out = NULL;
		*dim = 0;
	}
	return er;
}

void
ods_llm_opts_init(struct ods_llm_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->temperature = -1;
}

/*
 * The body of a chat call: model (after the alias), messages, the
 * options given, stream.
 */
static enum ods_err
chat_body(struct ods_llm *l, const char *model, const char *messages,
    const struct ods_llm_opts *o, int stream, struct ods_buf *b)
{
	struct ods_jw	jw;

	ods_jw_init(&jw, b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "model", ods_llm_alias(l, model));
	ods_jw_key(&jw, "messages");
	ods_jw_raw(&jw, messages, strlen(messages));
	if (o != NULL && o->temperature >= 0)
		ods_jw_knum(&jw, "temperature", o->temperature);
	if (o != NULL && o->max_tokens > 0)
		ods_jw_kint(&jw, "max_tokens", o->max_tokens);
	if (o != NULL && o->user != NULL && *o->user != '\0')
		ods_jw_kstr(&jw, "user", o->user);
	if (o != NULL && o->tools_json != NULL) {
		ods_jw_key(&jw, "tools");
		ods_jw_raw(&jw, o->tools_json, strlen(o->tools_json));
		ods_jw_kstr(&jw, "tool_choice", "auto");
	}
	ods_jw_kbool(&jw, "stream", stream);
	if (stream) {
		ods_jw_key(&jw, "stream_options");
		ods_jw_obj(&jw);
		ods_jw_kbool(&jw, "include_usage", 1);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	return ods_jw_error(&jw);
}

/* choices[0].message.content of a chat answer (malloc'ed). */
static enum ods_err
message_of(struct json_object *o, char **content)
{
	struct json_object	*ch, *msg, *c;

	if (!json_object_object_get_ex(o, "choices", &ch) ||
	    !json_object_is_type(ch, json_type_array) ||
	    json_object_array_length(ch) == 0 ||
	    !json_object_object_get_ex(json_object_array_get_idx(ch, 0),
	    "message", &msg) || !json_object_object_get_ex(msg, "content", &c))
		return ODS_EUPSTREAM;
	*content = ods_xstrdup(json_object_get_string(c) != NULL ?
	    json_object_get_string(c) : "");
	return ODS_OK;
}

/* A non-streaming chat call's answer as parsed JSON (a new reference). */
static enum ods_err
chat_call(struct ods_llm *l, const char *model, const char *messages,
    const struct ods_llm_opts *opts, struct json_object **o,
    struct ods_llm_usage *u)
{
	struct ods_buf	b;
	enum ods_err	er;

	if (model == NULL || messages == NULL)
		return ODS_EINVAL;
	ods_buf_init(&b, REQ_MAX);
	if ((er = chat_body(l, model, messages, opts, 0, &b)) == ODS_OK)
		er = call_json(l, ODS_LLM_CHAT, model, &b, o, u);
	ods_buf_free(&b);
	return er;
}

enum ods_err
ods_llm_chat(struct ods_llm *l, const char *model, const char *messages,
    const struct ods_llm_opts *opts, char **content, struct ods_llm_usage *u)
{
	struct json_object	*o = NULL;
	enum ods_err		 er;

	*content = NULL;
	if ((er = chat_call(l, model, messages, opts, &o, u)) != ODS_OK)
		return er;
	er = message_of(o, content);
	ods_json_put(o);
	return er;
}

/* choices[0].message of a chat answer as JSON text (malloc'ed). */
static enum ods_err
whole_message_of(struct json_object *o, char **message)
{
	struct json_object	*ch, *msg;

	if (!json_object_object_get_ex(o, "choices", &ch) ||
	    !json_object_is_type(ch, json_type_array) ||
	    json_object_array_length(ch) == 0 ||
	    !json_object_object_get_ex(json_object_array_get_idx(ch, 0),
	    "message", &msg) || !json_object_is_type(msg, json_type_object))
		return ODS_EUPSTREAM;
	*message = ods_xstrdup(json_object_to_json_string_ext(msg,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	return ODS_OK;
}

enum ods_err
ods_llm_chat_message(struct ods_llm *l, const char *model,
    const char *messages, const struct ods_llm_opts *opts, char **message,
    struct ods_llm_usage *u)
{
	struct json_object	*o = NULL;
	enum ods_err		 er;

	*message = NULL;
	if ((er = chat_call(l, model, messages, opts, &o, u)) != ODS_OK)
		return er;
	er = whole_message_of(o, message);
	ods_json_put(o);
	return er;
}

/* ---- streaming chat ---- */

/* One streaming call's state, seen by the forwarding sink. */
struct chat_stream {
	const struct ods_llm_chat_sink	*cs;
	int				*started;
	int				 bad;	/* error event, bad chunk */
	size_t				 bytes;	/* content delivered */
};

static int
cs_start(void *arg, int status, const char *ctype)
{
	(void)arg;
	(void)status;
	(void)ctype;
	return 0;	/* committed at the first chunk delivered */
}

/* choices[0].delta.content of a chunk, "" when it has none. */
static const char *
delta_of(struct json_object *ch, size_t *len)
{
	struct json_object	*d, *c;

	*len = 0;
	if (!json_object_object_get_ex(json_object_array_get_idx(ch, 0),
	    "delta", &d) || !json_object_object_get_ex(d, "content", &c) ||
	    !json_object_is_type(c, json_type_string))
		return "";
	*len = (size_t)json_object_get_string_len(c);
	return json_object_get_string(c);
}

/*
 * One event of the upstream: a chunk with choices goes to delta; the
 * usage-only chunk (kept out by usage_injected), comments and [DONE]
 * are not the caller's; an error event or a chunk that is not a JSON
 * object ends the stream as the upstream's failure.
 */
static int
cs_event(void *arg, const char *ev, size_t len)
{
	struct chat_stream	*st = arg;
	struct json_object	*o = NULL, *ch, *err;
	struct ods_why		 why;
	const char		*text;
	char			*data;
	size_t			 tl;
	long			 dl;
	int			 rc = 0;

	data = ods_xmalloc(len + 1);
	if ((dl = odsi_sse_data(ev, len, data, len + 1)) < 0 ||
	    (dl == 6 && memcmp(data, "[DONE]", 6) == 0))
		goto out;
	if (ods_json_parse(data, (size_t)dl, 0, &o, &why) != ODS_OK ||
	    !json_object_is_type(o, json_type_object) ||
	    (json_object_object_get_ex(o, "error", &err) && err != NULL) ||
	    !json_object_object_get_ex(o, "choices", &ch) ||
	    !json_object_is_type(ch, json_type_array)) {
		st->bad = 1;
		rc = 1;
		goto out;
	}
	if (json_object_array_length(ch) == 0)
		goto out;
	text = delta_of(ch, &tl);
	*st->started = 1;
	st->bytes += tl;
	rc = st->cs->delta(st->cs->arg, text, tl, data, (size_t)dl) != 0;
out:
	ods_json_put(o);
	free(data);
	return rc;
}

/* Polled while the upstream is silent. */
static int
cs_gone(void *arg)
{
	struct chat_stream	*st = arg;

	return st->cs->client_gone(st->cs->arg);
}

/* What a call that ods_llm_forward took ended with. */
static enum ods_err
cs_outcome(struct chat_stream *st, const struct ods_llm_result *res)
{
	struct json_object	*o = NULL;
	struct ods_why		 why;
	char			*content = NULL;
	enum ods_err		 er;

	if (st->bad)
		return ODS_EUPSTREAM;
	if (res->started)
		return res->err;
	/* Not a stream: an error status, or one JSON answer. */
	if (res->status < 200 || res->status >= 300)
		return status_err(res->status);
	if (ods_json_parse(res->body.data, res->body.len, 0, &o, &why) !=
	    ODS_OK)
		return ODS_EUPSTREAM;
	er = message_of(o, &content);
	ods_json_put(o);
	if (er != ODS_OK)
		return er;
	*st->started = 1;
	st->bytes = strlen(content);
	if (st->cs->delta(st->cs->arg, content, st->bytes, NULL, 0) != 0)
		er = ODS_EIO;
	free(content);
	return er;
}

enum ods_err
ods_llm_chat_stream(struct ods_llm *l, const char *model,
    const char *messages, const struct ods_llm_opts *opts,
    const struct ods_llm_chat_sink *cs, int *started,
    struct ods_llm_usage *u)
{
	struct ods_llm_sink	 sink;
	struct ods_llm_prep	 p;
	struct ods_llm_result	 res;
	struct chat_stream	 st;
	struct ods_buf		 b;
	enum ods_err		 er, fer;

	*started = 0;
	memset(u, 0, sizeof(*u));
	if (model == NULL || messages == NULL || cs == NULL ||
	    cs->delta == NULL)
		return ODS_EINVAL;
	ods_buf_init(&b, REQ_MAX);
	if ((er = chat_body(l, model, messages, opts, 1, &b)) != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	memset(&p, 0, sizeof(p));
	p.op = ODS_LLM_CHAT;
	p.model = model;
	p.upstream_model = ods_llm_alias(l, model);
	p.stream = 1;
	p.usage_injected = 1;	/* the usage-only chunk is ours */
	p.body = b.data;
	p.body_len = b.len;
	p.prompt_estimate = (int64_t)(b.len / 4 + 1);
	memset(&st, 0, sizeof(st));
	st.cs = cs;
	st.started = started;
	memset(&sink, 0, sizeof(sink));
	sink.start = cs_start;
	sink.event = cs_event;
	sink.arg = &st;
	sink.progress = cs->progress;
	if (cs->client_gone != NULL)
		sink.client_gone = cs_gone;
	fer = er = ods_llm_forward(l, &p, &sink, &res);
	if (er == ODS_OK)
		er = cs_outcome(&st, &res);
	p.completion_estimate = (int64_t)(st.bytes / 4 + 1);
	ods_llm_billed(&p, fer, &res, u);
	ods_llm_result_fini(&res);
	ods_buf_free(&b);
	return er;
}
