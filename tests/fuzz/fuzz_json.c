/*
 * tests/fuzz/fuzz_json.c — the JSON reader with its limits: the first byte
 * is the nesting limit, the rest the document; then the typed getters
 * over a few fields, and the writer's string escaping of the raw input.
 */
#include "config.h"

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "fuzz.h"

static const char *const fields[] = { "a", "s", "n", "b", "o", "arr",
	"model", "messages", "", NULL };

static void
getters(struct json_object *o, int depth)
{
	struct json_object	*sub;
	struct ods_why		 why;
	const char		*s;
	int64_t			 i64;
	double			 d;
	size_t			 i, j, n;
	int			 b, req;

	for (i = 0; fields[i] != NULL; i++) {
		req = (int)(i & 1);
		(void)ods_json_str(o, fields[i], req, 16, &s, &why);
		(void)ods_json_str(o, fields[i], req, 0, &s, &why);
		(void)ods_json_int(o, fields[i], req, -5, 1000, &i64, &why);
		(void)ods_json_int(o, fields[i], req, INT64_MIN, INT64_MAX,
		    &i64, &why);
		(void)ods_json_num(o, fields[i], req, 0.0, 2.0, &d, &why);
		(void)ods_json_bool(o, fields[i], req, &b, &why);
		(void)ods_json_get_str(o, fields[i]);
		if (ods_json_obj(o, fields[i], req, &sub, &why) == ODS_OK &&
		    depth < 4)
			getters(sub, depth + 1);
		if (ods_json_arr(o, fields[i], req, &sub, &why) == ODS_OK) {
			n = ods_json_arr_len(sub);
			for (j = 0; j < n && j < 8 && depth < 4; j++)
				getters(ods_json_arr_get(sub, j), depth + 1);
			(void)ods_json_arr_get(sub, n);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object	*o = NULL;
	struct ods_why		 why;
	struct ods_buf		 buf;
	struct ods_jw		 jw;
	static int		 once;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (size < 1)
		return 0;
	memset(&why, 0, sizeof(why));
	if (ods_json_parse((const char *)data + 1, size - 1, data[0] % 40, &o,
	    &why) == ODS_OK) {
		getters(o, 0);
		(void)ods_json_text(o);
		ods_json_put(o);
	}

	/* The writer: any bytes as a string, a key and raw-free values. */
	ods_buf_init(&buf, 1 << 20);
	ods_jw_init(&jw, &buf);
	ods_jw_obj(&jw);
	ods_jw_key(&jw, "k");
	ods_jw_strn(&jw, (const char *)data + 1, size - 1);
	ods_jw_kint(&jw, "n", (int64_t)size);
	ods_jw_knum(&jw, "d", (double)data[0] / 3.0);
	ods_jw_end(&jw);
	(void)ods_jw_error(&jw);
	ods_buf_free(&buf);
	return 0;
}
