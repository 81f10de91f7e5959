/*
 * tests/fuzz/fuzz_prompt.c — the {{variable}} language of prompt
 * templates (svc/agent/prompt_fill.c). The input is content, then
 * optionally a NUL and a JSON object of values. Content that scans must
 * declare (every name a required string) and fill; aborts when a name
 * listed does not follow the name rule, when filling with every name set
 * to "" fails, or when the output is longer than the content.
 */
#include "config.h"

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "../../svc/agent/prompt.h"
#include "fuzz.h"

/* Every name once, with "" as its value: the output only loses bytes. */
static void
fill_empty(const char *s, size_t len, char **v, size_t n)
{
	struct json_object	*vars = NULL;
	struct ods_prompt_text	 t;
	struct ods_buf		 b;
	size_t			 i;

	ods_buf_init(&b, 1u << 20);
	if (ods_buf_add(&b, "{", 1) != ODS_OK)
		abort();
	for (i = 0; i < n; i++)
		if (ods_buf_addf(&b, "%s\"%s\":\"\"", i > 0 ? "," : "",
		    v[i]) != ODS_OK)
			abort();
	if (ods_buf_add(&b, "}", 1) != ODS_OK ||
	    ods_json_parse(b.data, b.len, 0, &vars, NULL) != ODS_OK)
		abort();
	if (ods_prompt_fill(s, len, NULL, vars, ODS_PROMPT_RENDER_MAX, &t,
	    NULL) != ODS_OK || t.len > len)
		abort();
	ods_prompt_text_fini(&t);
	ods_json_put(vars);
	ods_buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*vars = NULL;
	struct ods_prompt_text	 t;
	const char		*nul;
	char			*s, **v = NULL, *decl = NULL;
	size_t			 len, n = 0, i, k;

	fuzz_quiet();
	s = fuzz_bytes(data, size);
	nul = memchr(s, '\0', size);
	len = nul != NULL ? (size_t)(nul - s) : size;
	if (nul != NULL && ods_json_parse(nul + 1, size - len - 1, 0, &vars,
	    NULL) != ODS_OK)
		vars = NULL;
	if (ods_prompt_names(s, len, &v, &n, NULL) == ODS_OK) {
		for (i = 0; i < n; i++) {
			k = strlen(v[i]);
			if (k == 0 || k > ODS_PROMPT_NAME_MAX ||
			    strspn(v[i], "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") != k)
				abort();
		}
		fill_empty(s, len, v, n);
		if (memchr(s, '\0', len) == NULL && len < (1u << 16)) {
			/* Content as a C string: declare, then fill. */
			char *c = fuzz_str(data, len);

			if (ods_prompt_declare(NULL, c, &decl, NULL) != ODS_OK)
				abort();
			if (ods_prompt_fill(c, len, decl, vars,
			    ODS_PROMPT_RENDER_MAX, &t, NULL) == ODS_OK)
				ods_prompt_text_fini(&t);
			free(decl);
			free(c);
		}
		ods_strv_free(v, n);
	}
	ods_json_put(vars);
	free(s);
	return 0;
}
