/*
 * tests/fuzz/fuzz_wf_expr.c — the workflow nodes' expression and
 * template language (svc/agent/wf_expr.c and its neighbours). The first
 * byte picks the entry ('0' an expression, '1' a template, '2' a pick,
 * '3' a reference, '4' a JSON template rendered deep), the rest is the
 * source, evaluated against a fixed scope. Any bytes give a value or a
 * documented error with a reason; what evaluates also passes the syntax
 * check; never a crash, a leak or a deep recursion.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "../../svc/agent/wf_expr.h"
#include "fuzz.h"

static const char doc_json[] =
    "{\"inputs\":{\"query\":\"Hello World\",\"n\":3,\"tags\":[\"a\",\"b\"],"
    "\"empty\":\"\",\"obj\":{\"k\":1,\"with.dot\":\"wd\"},\"nul\":null,"
    "\"pi\":3.25,\"big\":9223372036854775807,\"neg\":-9223372036854775808},"
    "\"search\":{\"documents\":[{\"content\":\"d1\",\"score\":0.5},"
    "{\"content\":\"d2\",\"score\":0.9},{\"title\":\"t3\"},[[1,[2]]]],"
    "\"count\":2},\"llm\":{\"output\":\"The answer\",\"tokens\":42},"
    "\"my-node\":{\"output\":\"hy\"}}";

static struct json_object *
lookup(void *arg, const char *name, size_t len)
{
	char	buf[64];

	if (len >= sizeof(buf))
		return NULL;
	memcpy(buf, name, len);
	buf[len] = '\0';
	return ods_json_get(arg, buf);
}

/* er is one of the two allowed codes (or OK), with a reason when not OK. */
static void
allowed(enum ods_err er, enum ods_err a, enum ods_err b,
    const struct ods_why *why)
{
	if (er != ODS_OK && ((er != a && er != b) || why->msg[0] == '\0'))
		abort();
}

static void
expr(const char *s, const struct ods_wf_scope *sc, struct ods_why *why)
{
	struct json_object	*v = NULL;
	enum ods_err		 er, ck;

	ck = ods_wf_expr_check(s, why);
	allowed(ck, ODS_EINVAL, ODS_EINVAL, why);
	why->msg[0] = '\0';
	er = ods_wf_expr_eval(s, sc, &v, why);
	allowed(er, ODS_EINVAL, ODS_ETOOBIG, why);
	if (er == ODS_OK && ck != ODS_OK)
		abort();
	if (er != ODS_OK && v != NULL)
		abort();
	(void)ods_wf_truthy(v);
	ods_json_put(v);
}

static void
render(const char *s, const struct ods_wf_scope *sc, struct ods_why *why)
{
	struct ods_buf	b;
	enum ods_err	er, ck;

	ck = ods_wf_render_check(s, why);
	allowed(ck, ODS_EINVAL, ODS_ETOOBIG, why);
	why->msg[0] = '\0';
	ods_buf_init(&b, ODS_WF_TMPL_MAX);
	er = ods_wf_render(s, sc, &b, why);
	allowed(er, ODS_EINVAL, ODS_ETOOBIG, why);
	if (er == ODS_OK && ck != ODS_OK)
		abort();
	ods_buf_free(&b);
}

static void
render_json(const char *s, size_t n, const struct ods_wf_scope *sc,
    struct ods_why *why)
{
	struct json_object	*t = NULL, *v = NULL;
	enum ods_err		 er;

	if (ods_json_parse(s, n, 0, &t, NULL) != ODS_OK)
		return;
	er = ods_wf_render_json(t, sc, &v, why);
	allowed(er, ODS_EINVAL, ODS_ETOOBIG, why);
	if (er != ODS_OK && v != NULL)
		abort();
	ods_json_put(v);
	ods_json_put(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct json_object	*doc;
	struct ods_wf_scope		 sc;
	struct json_object		*v = NULL;
	struct ods_why			 why;
	enum ods_err			 er;
	char				*s;

	fuzz_quiet();
	if (doc == NULL && ods_json_parse(doc_json, strlen(doc_json), 0, &doc,
	    NULL) != ODS_OK)
		abort();
	if (size == 0)
		return 0;
	sc.lookup = lookup;
	sc.arg = doc;
	s = fuzz_str(data + 1, size - 1);
	memset(&why, 0, sizeof(why));
	switch ((unsigned char)(data[0] - '0') % 5) {
	case 0:
		expr(s, &sc, &why);
		break;
	case 1:
		render(s, &sc, &why);
		break;
	case 2:
		er = ods_wf_pick(doc, s, &v, &why);
		allowed(er, ODS_EINVAL, ODS_ENOTFOUND, &why);
		break;
	case 3:
		er = ods_wf_ref(&sc, s, &v, &why);
		allowed(er, ODS_EINVAL, ODS_ENOTFOUND, &why);
		break;
	default:
		render_json(s, strlen(s), &sc, &why);
		break;
	}
	ods_json_put(v);
	free(s);
	return 0;
}
