/* tests/check_ods_multipart.c — the streaming multipart/form-data parser. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_test.h"
#include "ods_check.h"

#define CT	"multipart/form-data; boundary=XyZ"

/* Every callback as text: <name|filename|ctype>data</> ... */
struct log {
	struct ods_buf	 b;
	int		 after_error;
	int		 fail_at;	/* data callback number that fails */
	int		 ndata;
};

static void
log_str(struct log *l, const char *s)
{
	ck_assert_int_eq(ods_buf_add(&l->b, s, strlen(s)), ODS_OK);
}

static enum ods_err
l_begin(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	struct log	*l = arg;

	(void)e;
	log_str(l, "<");
	log_str(l, p->name);
	log_str(l, "|");
	log_str(l, p->filename != NULL ? p->filename : "-");
	log_str(l, "|");
	log_str(l, p->content_type);
	log_str(l, ">");
	return ODS_OK;
}

static enum ods_err
l_data(void *arg, const struct ods_multipart_part *p, const char *b,
    size_t n, struct ods_why *e)
{
	struct log	*l = arg;

	(void)p;
	ck_assert_uint_gt(n, 0);
	if (++l->ndata == l->fail_at) {
		ods_why_set(e, NULL, "sink says no");
		return ODS_EIO;
	}
	ck_assert_int_eq(ods_buf_add(&l->b, b, n), ODS_OK);
	return ODS_OK;
}

static enum ods_err
l_end(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	(void)p;
	(void)e;
	log_str(arg, "</>");
	return ODS_OK;
}

/*
 * Parse body fed in chunks: cuts[] (ascending offsets, ended by -1) or
 * every step bytes. The log stays in *l (free with ods_buf_free).
 */
static enum ods_err
parse_cuts(const char *ct, const char *body, size_t len, const long *cuts,
    size_t step, const struct ods_multipart_limits *lim, struct log *l,
    struct ods_why *why)
{
	struct ods_multipart_cb	 cb = { l_begin, l_data, l_end, l };
	struct ods_multipart	*m;
	size_t			 off = 0, next;
	enum ods_err		 er = ODS_OK;

	ods_buf_init(&l->b, 1 << 24);
	ck_assert_int_eq(ods_buf_add(&l->b, "", 0), ODS_OK);
	memset(why, 0, sizeof(*why));
	m = ods_multipart_new(ct, lim, &cb, why);
	ck_assert_msg(m != NULL, "new: %s", why->msg);
	while (off < len) {
		if (cuts != NULL)
			next = *cuts >= 0 ? (size_t)*cuts++ : len;
		else
			next = off + step;
		if (next > len)
			next = len;
		if (next < off)
			next = off;
		if ((er = ods_multipart_feed(m, body + off, next - off, why)) !=
		    ODS_OK)
			break;
		off = next;
	}
	if (er == ODS_OK)
		er = ods_multipart_finish(m, why);
	ods_multipart_free(m);
	return er;
}

static enum ods_err
parse(const char *body, size_t step, struct log *l, struct ods_why *why)
{
	memset(l, 0, sizeof(*l));
	return parse_cuts(CT, body, strlen(body), NULL, step ? step : 1 << 20,
	    NULL, l, why);
}

/* The body parses (one shot and byte by byte) into want. */
static void
expect(const char *body, const char *want)
{
	struct ods_why	why;
	struct log	l;
	size_t		step;

	for (step = 1; step <= 3; step++) {
		ck_assert_msg(parse(body, step == 3 ? 0 : step, &l, &why) ==
		    ODS_OK, "%s", why.msg);
		ck_assert_str_eq(l.b.data, want);
		ods_buf_free(&l.b);
	}
}

/* The body fails with er and a message holding msg. */
static void
expect_err(const char *body, enum ods_err er, const char *msg)
{
	struct ods_why	why;
	struct log	l;

	ck_assert_int_eq(parse(body, 0, &l, &why), er);
	ck_assert_msg(strstr(why.msg, msg) != NULL, "'%s' lacks '%s'",
	    why.msg, msg);
	ods_buf_free(&l.b);
	ck_assert_int_eq(parse(body, 1, &l, &why), er);
	ck_assert_msg(strstr(why.msg, msg) != NULL, "'%s' lacks '%s'",
	    why.msg, msg);
	ods_buf_free(&l.b);
}

static const char form[] =
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"title\"\r\n"
    "\r\n"
    "Hello\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
    "Content-Type: text/csv\r\n"
    "\r\n"
    "x,y\r\n1,2\r\n"
    "--XyZ\r\n"
    "content-disposition: FORM-DATA; name=collection\r\n"
    "\r\n"
    "kb1\r\n"
    "--XyZ--\r\n";

START_TEST(test_multipart_parses_fields_and_a_file)
{
	expect(form, "<title|-|text/plain>Hello</>"
	    "<file|a.txt|text/csv>x,y\r\n1,2</>"
	    "<collection|-|text/plain>kb1</>");
}
END_TEST

START_TEST(test_multipart_gives_the_same_parts_at_every_split_position)
{
	struct ods_why	why;
	struct log	one, two;
	size_t		len = strlen(form), i, j;
	long		cuts[3];

	ck_assert_int_eq(parse(form, 0, &one, &why), ODS_OK);
	for (i = 0; i <= len; i++) {
		for (j = i; j <= len; j += 7) {
			cuts[0] = (long)i;
			cuts[1] = (long)j;
			cuts[2] = -1;
			memset(&two, 0, sizeof(two));
			ck_assert_msg(parse_cuts(CT, form, len, cuts, 0, NULL,
			    &two, &why) == ODS_OK, "cut %zu/%zu: %s", i, j,
			    why.msg);
			ck_assert_str_eq(two.b.data, one.b.data);
			ods_buf_free(&two.b);
		}
	}
	ods_buf_free(&one.b);
}
END_TEST

START_TEST(test_multipart_unescapes_quoted_filenames)
{
	expect("--XyZ\r\nContent-Disposition: form-data; name=\"f\"; "
	    "filename=\"a \\\"q\\\" \\\\ b;c.txt\"\r\n\r\nd\r\n--XyZ--",
	    "<f|a \"q\" \\ b;c.txt|text/plain>d</>");
	/* Old browsers send Windows paths with bare backslashes. */
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"C:\\Users\\x\\f.txt\"\r\n\r\nd\r\n--XyZ--",
	    "<f|C:\\Users\\x\\f.txt|text/plain>d</>");
	/* filename="" is a file input left empty. */
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"\"\r\nContent-Type: application/octet-stream\r\n\r\n"
	    "\r\n--XyZ--", "<f||application/octet-stream></>");
}
END_TEST

START_TEST(test_multipart_prefers_rfc5987_filenames)
{
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename=\"rates.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt"
	    "\r\n\r\nd\r\n--XyZ--", "<f|\xe2\x82\xac rates.txt|text/plain>d</>");
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=utf-8'en'%E6%95%B0%E6%8D%AE.csv; filename=x.csv"
	    "\r\n\r\nd\r\n--XyZ--", "<f|\xe6\x95\xb0\xe6\x8d\xae.csv|"
	    "text/plain>d</>");
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=ISO-8859-1''%E9t%E9.txt\r\n\r\nd\r\n--XyZ--",
	    "<f|\xc3\xa9t\xc3\xa9.txt|text/plain>d</>");
	/* An unknown charset falls back to filename=. */
	expect("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=KOI8-R''%C1; filename=\"k.txt\"\r\n\r\nd\r\n--XyZ--",
	    "<f|k.txt|text/plain>d</>");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=KOI8-R''%C1\r\n\r\nd\r\n--XyZ--", ODS_EINVAL,
	    "charset");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=UTF-8''%C3%28\r\n\r\nd\r\n--XyZ--", ODS_EINVAL,
	    "not valid UTF-8");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=UTF-8''a%00b\r\n\r\nd\r\n--XyZ--", ODS_EINVAL, "NUL");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=UTF-8''a%4\r\n\r\nd\r\n--XyZ--", ODS_EINVAL,
	    "percent-encoding");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=f; "
	    "filename*=abc\r\n\r\nd\r\n--XyZ--", ODS_EINVAL, "RFC 5987");
}
END_TEST

START_TEST(test_multipart_passes_nested_multipart_through_as_data)
{
	expect("--XyZ\r\nContent-Disposition: form-data; name=files\r\n"
	    "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
	    "--inner\r\nContent-Disposition: file; filename=a.txt\r\n\r\n"
	    "A\r\n--inner--\r\n--XyZ--\r\n",
	    "<files|-|multipart/mixed; boundary=inner>--inner\r\n"
	    "Content-Disposition: file; filename=a.txt\r\n\r\nA\r\n"
	    "--inner--</>");
}
END_TEST

START_TEST(test_multipart_parses_many_fields)
{
	struct ods_buf	 body, want;
	struct ods_why	 why;
	struct log	 l;
	int		 i;

	ods_buf_init(&body, 1 << 20);
	ods_buf_init(&want, 1 << 20);
	for (i = 0; i < 900; i++) {
		ck_assert_int_eq(ods_buf_addf(&body, "--XyZ\r\nContent-"
		    "Disposition: form-data; name=\"f%d\"\r\n\r\nv%d\r\n", i,
		    i), ODS_OK);
		ck_assert_int_eq(ods_buf_addf(&want, "<f%d|-|text/plain>v%d"
		    "</>", i, i), ODS_OK);
	}
	ck_assert_int_eq(ods_buf_addf(&body, "--XyZ--"), ODS_OK);
	ck_assert_int_eq(parse(body.data, 5, &l, &why), ODS_OK);
	ck_assert_str_eq(l.b.data, want.data);
	ods_buf_free(&l.b);
	ods_buf_free(&body);
	ods_buf_free(&want);
}
END_TEST

START_TEST(test_multipart_accepts_empty_parts_and_an_empty_form)
{
	expect("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "\r\n--XyZ\r\nContent-Disposition: form-data; name=b\r\n\r\n"
	    "\r\n--XyZ--", "<a|-|text/plain></><b|-|text/plain></>");
	expect("--XyZ--\r\n", "");
}
END_TEST

START_TEST(test_multipart_keeps_boundary_like_text_inside_data)
{
	expect("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "--XyZ\r\n-\r\n--\r\n--Xy\r\r\n--XyA\r\n--xyz\r\r\r\n--XyZ--",
	    "<a|-|text/plain>--XyZ\r\n-\r\n--\r\n--Xy\r\r\n--XyA\r\n--xyz"
	    "\r\r</>");
	/* Data ending in what begins a delimiter, held across feeds. */
	expect("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "x\r\n--X\r\n--XyZ--", "<a|-|text/plain>x\r\n--X</>");
}
END_TEST

START_TEST(test_multipart_ignores_the_preamble_and_the_epilogue)
{
	expect("This is a preamble.\r\n--XyZjunk\r\n--XyZ-x\r\n"
	    "--XyZ \t\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
	    "--XyZ--\r\nepilogue\r\n--XyZ\r\nContent-Disposition: form-data; "
	    "name=b\r\n\r\n2\r\n", "<a|-|text/plain>1</>");
}
END_TEST

START_TEST(test_multipart_unfolds_header_lines)
{
	expect("--XyZ\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n"
	    "X-Other: 1\r\n\r\n1\r\n--XyZ--", "<a|-|text/plain>1</>");
}
END_TEST

START_TEST(test_multipart_gives_the_raw_headers)
{
	struct ods_multipart_cb	 cb = { NULL, NULL, NULL, NULL };
	struct ods_multipart	*m;
	struct ods_why		 why;
	static const char	 b[] = "--XyZ\r\nContent-Disposition: form-data;"
	    " name=a\r\nX-Y: z\r\n\r\n1\r\n--XyZ--";

	m = ods_multipart_new(CT, NULL, &cb, &why);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(ods_multipart_feed(m, b, 48, &why), ODS_OK);
	ck_assert_int_eq(ods_multipart_feed(m, b + 48, strlen(b) - 48, &why),
	    ODS_OK);
	ck_assert(ods_multipart_done(m));
	ck_assert_int_eq(ods_multipart_finish(m, &why), ODS_OK);
	ods_multipart_free(m);
}
END_TEST

static enum ods_err
raw_begin(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	(void)e;
	snprintf(arg, 128, "%zu:%.*s", p->index, (int)p->headers_len,
	    p->headers);
	return ODS_OK;
}

START_TEST(test_multipart_begin_sees_the_raw_header_block)
{
	char			 got[128] = "";
	struct ods_multipart_cb	 cb = { raw_begin, NULL, NULL, got };
	struct ods_multipart	*m;
	struct ods_why		 why;
	static const char	 b[] = "--XyZ\r\nContent-Disposition: form-data;"
	    " name=a\r\nX-Y: z\r\n\r\n1\r\n--XyZ--";

	m = ods_multipart_new(CT, NULL, &cb, &why);
	ck_assert_int_eq(ods_multipart_feed(m, b, strlen(b), &why), ODS_OK);
	ck_assert_str_eq(got, "0:Content-Disposition: form-data; name=a\r\n"
	    "X-Y: z\r\n");
	ods_multipart_free(m);
}
END_TEST

START_TEST(test_multipart_reads_the_boundary_of_the_content_type)
{
	char		b[ODS_MULTIPART_BOUNDARY_MAX + 1];
	char		ct[200];
	struct ods_why	why;

	ck_assert_int_eq(ods_multipart_boundary("multipart/form-data; "
	    "boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", b, &why), ODS_OK);
	ck_assert_str_eq(b, "----WebKitFormBoundary7MA4YWxkTrZu0gW");
	ck_assert_int_eq(ods_multipart_boundary("Multipart/Form-Data ; "
	    "charset=utf-8; BOUNDARY=\"a b:c?\"", b, &why), ODS_OK);
	ck_assert_str_eq(b, "a b:c?");
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%070d", 7);
	ck_assert_int_eq(ods_multipart_boundary(ct, b, &why), ODS_OK);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%071d", 7);
	ck_assert_int_eq(ods_multipart_boundary(ct, b, &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "70"));
}
END_TEST

START_TEST(test_multipart_refuses_bad_content_types)
{
	static const char *const bad[][2] = {
		{ NULL, "no Content-Type" },
		{ "application/json", "expected multipart/form-data" },
		{ "multipart/mixed; boundary=a", "expected multipart" },
		{ "multipart/form-data", "no multipart boundary" },
		{ "multipart/form-data; boundary=", "1 to 70" },
		{ "multipart/form-data; boundary=\"\"", "1 to 70" },
		{ "multipart/form-data; boundary=\"ab \"", "ends in a space" },
		{ "multipart/form-data; boundary=a\"b", "does not allow" },
		{ "multipart/form-data; boundary=a; boundary=b", "two" },
		{ "multipart/form-data; boundary=\"abc", "malformed" },
		{ "multipart/form-data; =x", "malformed" },
	};
	struct ods_multipart_cb	 cb = { NULL, NULL, NULL, NULL };
	char			 b[ODS_MULTIPART_BOUNDARY_MAX + 1];
	struct ods_why		 why;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		memset(&why, 0, sizeof(why));
		ck_assert_int_eq(ods_multipart_boundary(bad[i][0], b, &why),
		    ODS_EINVAL);
		ck_assert_msg(strstr(why.msg, bad[i][1]) != NULL,
		    "%s: '%s' lacks '%s'", bad[i][0], why.msg, bad[i][1]);
		ck_assert_ptr_null(ods_multipart_new(bad[i][0], NULL, &cb,
		    &why));
	}
}
END_TEST

START_TEST(test_multipart_safe_name_is_a_bare_basename)
{
	static const char *const cases[][2] = {
		{ "report.csv", "report.csv" },
		{ "../../etc/passwd", "passwd" },
		{ "C:\\Users\\x\\f.txt", "f.txt" },
		{ "..", "file" },
		{ "...hidden", "hidden" },
		{ "\x12..txt", "txt" },
		{ " \x01 .\t.x", "x" },
		{ "a/..", "file" },
		{ "", "file" },
		{ "dir/", "file" },
		{ "tab\there\x7f.txt", "tabhere.txt" },
		{ "trailing. . ", "trailing" },
		{ "\xe6\x95\xb0\xe6\x8d\xae.csv", "\xe6\x95\xb0\xe6\x8d\xae.csv" },
		{ "bad\xff\xfeutf8", "bad__utf8" },
		{ "a%2F..%2Fb", "a%2F..%2Fb" },
	};
	char	out[64];
	size_t	i;

	for (i = 0; i < ODS_NELEM(cases); i++)
		ck_assert_str_eq(ods_multipart_safe_name(cases[i][0], out,
		    sizeof(out)), cases[i][1]);
	/* Cut at a character boundary, never in the middle of one. */
	ck_assert_str_eq(ods_multipart_safe_name("ab\xe6\x95\xb0", out, 5),
	    "ab");
	ck_assert_str_eq(ods_multipart_safe_name("abcdef", out, 4), "abc");
	ck_assert_str_eq(ods_multipart_safe_name("..", out, 2), "f");
}
END_TEST

/* ---- limits ---- */

static enum ods_err
parse_lim(const char *body, const struct ods_multipart_limits *lim,
    struct ods_why *why)
{
	struct log	l;
	enum ods_err	er;

	memset(&l, 0, sizeof(l));
	er = parse_cuts(CT, body, strlen(body), NULL, 3, lim, &l, why);
	ods_buf_free(&l.b);
	return er;
}

START_TEST(test_multipart_limits_the_parts)
{
	struct ods_multipart_limits	lim = { .max_parts = 2 };
	struct ods_why			why;
	static const char		two[] = "--XyZ\r\nContent-Disposition: "
	    "form-data; name=a\r\n\r\n\r\n--XyZ\r\nContent-Disposition: "
	    "form-data; name=b\r\n\r\n\r\n--XyZ--";
	static const char		three[] = "--XyZ\r\nContent-Disposition: "
	    "form-data; name=a\r\n\r\n\r\n--XyZ\r\nContent-Disposition: "
	    "form-data; name=b\r\n\r\n\r\n--XyZ\r\n\r\n--XyZ--";

	ck_assert_int_eq(parse_lim(two, &lim, &why), ODS_OK);
	ck_assert_int_eq(parse_lim(three, &lim, &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "more than 2 parts"));
}
END_TEST

START_TEST(test_multipart_limits_the_header_bytes_and_lines)
{
	struct ods_multipart_limits	lim = { .max_header_bytes = 64,
	    .max_header_lines = 3 };
	struct ods_why			why;

	ck_assert_int_eq(parse_lim("--XyZ\r\nContent-Disposition: form-data; "
	    "name=a\r\nA: 1\r\nB: 2\r\n\r\n\r\n--XyZ--", &lim, &why), ODS_OK);
	ck_assert_int_eq(parse_lim("--XyZ\r\nContent-Disposition: form-data; "
	    "name=a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n\r\n--XyZ--", &lim, &why),
	    ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "more than 3 header lines"));
	ck_assert_int_eq(parse_lim("--XyZ\r\nContent-Disposition: form-data; "
	    "name=a\r\nA: 01234567890123456789\r\n\r\n\r\n--XyZ--", &lim,
	    &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "longer than 64 bytes"));
}
END_TEST

/* ---- ods_multipart_read ---- */

static struct ods_conf	*conf;

static void
setup(void)
{
	conf = ods_conf_new();
	ck_assert_ptr_nonnull(conf);
}

static void
teardown(void)
{
	ods_conf_free(conf);
}

/* A sink that keeps each file in memory and logs what happens. */
struct sink {
	struct ods_buf	 log;
	struct ods_buf	 data;
	int		 opened, closed, aborted;
};

static enum ods_err
s_open(void *arg, const struct ods_multipart_part *p, void **file,
    struct ods_why *e)
{
	struct sink	*s = arg;
	char		 safe[64];

	if (strcmp(p->name, "file") != 0) {
		ods_why_set(e, p->name, "only 'file' may be a file");
		return ODS_EINVAL;
	}
	s->opened++;
	*file = s;
	return ods_buf_addf(&s->log, "open %s as %s (%s);", p->filename,
	    ods_multipart_safe_name(p->filename, safe, sizeof(safe)),
	    p->content_type);
}

static enum ods_err
s_write(void *arg, void *file, const char *b, size_t n, struct ods_why *e)
{
	(void)arg;
	(void)e;
	return ods_buf_add(&((struct sink *)file)->data, b, n);
}

static enum ods_err
s_close(void *arg, void *file, struct ods_why *e)
{
	(void)file;
	(void)e;
	((struct sink *)arg)->closed++;
	return ODS_OK;
}

static void
s_abort(void *arg, void *file)
{
	(void)file;
	((struct sink *)arg)->aborted++;
}

static enum ods_err
read_body(const char *ct, const char *body, size_t len, size_t max,
    struct sink *s, struct ods_multipart_form *f, struct ods_why *why,
    struct fake_req *fr)
{
	const struct ods_multipart_sink	 sink = { s_open, s_write, s_close,
	    s_abort, s };
	char				 ctp[256], clp[64];
	char				*params[] = { "REQUEST_METHOD=POST",
	    "DOCUMENT_URI=/upload", ctp, clp, NULL };

	snprintf(ctp, sizeof(ctp), "CONTENT_TYPE=%s", ct);
	snprintf(clp, sizeof(clp), "CONTENT_LENGTH=%zu", len);
	memset(s, 0, sizeof(*s));
	ods_buf_init(&s->log, 1 << 16);
	ods_buf_init(&s->data, 1 << 24);
	ck_assert_ptr_nonnull(fake_req_open(fr, conf, "t", NULL, params, body,
	    len));
	if (max > 0)
		ods_req_set_body_max(fr->r, max);
	memset(why, 0, sizeof(*why));
	return ods_multipart_read(fr->r, &sink, NULL, f, why);
}

static void
sink_free(struct sink *s)
{
	ods_buf_free(&s->log);
	ods_buf_free(&s->data);
}

START_TEST(test_multipart_read_sends_files_to_the_sink_and_keeps_fields)
{
	struct ods_multipart_form	 f;
	struct fake_req			 fr;
	struct ods_why			 why;
	struct sink			 s;

	ck_assert_int_eq(read_body(CT, form, strlen(form), 0, &s, &f, &why,
	    &fr), ODS_OK);
	ck_assert_uint_eq(f.nfields, 2);
	ck_assert_uint_eq(f.nfiles, 1);
	ck_assert_str_eq(ods_multipart_field(&f, "title")->value, "Hello");
	ck_assert_uint_eq(ods_multipart_field(&f, "title")->len, 5);
	ck_assert_str_eq(ods_multipart_field(&f, "collection")->value, "kb1");
	ck_assert_ptr_null(ods_multipart_field(&f, "file"));
	ck_assert_str_eq(s.log.data, "open a.txt as a.txt (text/csv);");
	ck_assert_uint_eq(s.data.len, 8);
	ck_assert_int_eq(memcmp(s.data.data, "x,y\r\n1,2", 8), 0);
	ck_assert_int_eq(s.closed, 1);
	ck_assert_int_eq(s.aborted, 0);
	sink_free(&s);
	fake_req_close(&fr);
}
END_TEST

START_TEST(test_multipart_read_streams_a_large_file)
{
	static const char	 head[] = "--XyZ\r\nContent-Disposition: "
	    "form-data; name=file; filename=big.bin\r\n\r\n";
	static const char	 tailb[] = "\r\n--XyZ--\r\n";
	struct ods_multipart_form f;
	struct fake_req		 fr;
	struct ods_why		 why;
	struct sink		 s;
	size_t			 n = 3u << 20, i, len;
	char			*body;

	len = strlen(head) + n + strlen(tailb);
	body = malloc(len);
	memcpy(body, head, strlen(head));
	for (i = 0; i < n; i++)		/* CRs, dashes and LFs galore */
		body[strlen(head) + i] = "\r\n-XyZ\r-a"[(i * 7 + i / 13) % 9];
	memcpy(body + strlen(head) + n, tailb, strlen(tailb));
	ck_assert_int_eq(read_body(CT, body, len, 4u << 20, &s, &f, &why,
	    &fr), ODS_OK);
	ck_assert_uint_eq(s.data.len, n);
	ck_assert_int_eq(memcmp(s.data.data, body + strlen(head), n), 0);
	sink_free(&s);
	fake_req_close(&fr);
	/* Over the route's cap: 413, the file aborted. */
	ck_assert_int_eq(read_body(CT, body, len, 1u << 20, &s, &f, &why,
	    &fr), ODS_ETOOBIG);
	sink_free(&s);
	fake_req_close(&fr);
	free(body);
}
END_TEST

START_TEST(test_multipart_read_limits_the_fields)
{
	struct ods_multipart_form	 f;
	struct fake_req			 fr;
	struct ods_why			 why;
	struct sink			 s;
	struct ods_buf			 b;
	int				 i;

	ods_buf_init(&b, 1 << 20);
	ck_assert_int_eq(ods_buf_addf(&b, "--XyZ\r\nContent-Disposition: "
	    "form-data; name=big\r\n\r\n"), ODS_OK);
	for (i = 0; i < 65537; i++)
		ck_assert_int_eq(ods_buf_add(&b, "x", 1), ODS_OK);
	ck_assert_int_eq(ods_buf_addf(&b, "\r\n--XyZ--"), ODS_OK);
	ck_assert_int_eq(read_body(CT, b.data, b.len, 0, &s, &f, &why, &fr),
	    ODS_ETOOBIG);
	ck_assert_str_eq(why.field, "big");
	ck_assert_ptr_nonnull(strstr(why.msg, "larger than 65536"));
	sink_free(&s);
	fake_req_close(&fr);

	ods_buf_reset(&b);
	for (i = 0; i < 129; i++)
		ck_assert_int_eq(ods_buf_addf(&b, "--XyZ\r\nContent-"
		    "Disposition: form-data; name=f%d\r\n\r\n%d\r\n", i, i),
		    ODS_OK);
	ck_assert_int_eq(ods_buf_addf(&b, "--XyZ--"), ODS_OK);
	ck_assert_int_eq(read_body(CT, b.data, b.len, 0, &s, &f, &why, &fr),
	    ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "more than 128 form fields"));
	sink_free(&s);
	fake_req_close(&fr);
	ods_buf_free(&b);
}
END_TEST

START_TEST(test_multipart_read_aborts_the_file_of_a_truncated_body)
{
	struct ods_multipart_form	 f;
	struct fake_req			 fr;
	struct ods_why			 why;
	struct sink			 s;
	size_t				 cut = (size_t)(strstr(form, "1,2") -
	    form) + 2;

	ck_assert_int_eq(read_body(CT, form, cut, 0, &s, &f, &why, &fr),
	    ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "closing delimiter"));
	ck_assert_int_eq(s.opened, 1);
	ck_assert_int_eq(s.closed, 0);
	ck_assert_int_eq(s.aborted, 1);
	sink_free(&s);
	fake_req_close(&fr);
}
END_TEST

START_TEST(test_multipart_read_refuses_what_is_not_multipart)
{
	struct ods_multipart_form	 f;
	struct fake_req			 fr;
	struct ods_why			 why;
	struct sink			 s;

	ck_assert_int_eq(read_body("application/json", "{}", 2, 0, &s, &f,
	    &why, &fr), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "expected multipart/form-data"));
	sink_free(&s);
	fake_req_close(&fr);
	/* A file where the sink wants none: the sink's own answer. */
	ck_assert_int_eq(read_body(CT, "--XyZ\r\nContent-Disposition: "
	    "form-data; name=x; filename=a\r\n\r\n\r\n--XyZ--", 66, 0, &s, &f,
	    &why, &fr), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "only 'file' may be a file");
	sink_free(&s);
	fake_req_close(&fr);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_multipart_refuses_a_body_without_its_closing_delimiter)
{
	expect_err("", ODS_EINVAL, "no delimiter line '--XyZ'");
	expect_err("just text", ODS_EINVAL, "no delimiter line");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=a\r\n",
	    ODS_EINVAL, "ends inside the headers");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "data", ODS_EINVAL, "part 1 'a': the body ends before the closing "
	    "delimiter '--XyZ--'");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "data\r\n--XyZ", ODS_EINVAL, "closing delimiter");
	expect_err("--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n"
	    "data\r\n--XyZ-", ODS_EINVAL, "closing delimiter");
}
END_TEST

START_TEST(test_multipart_refuses_malformed_parts)
{
	static const char *const bad[][2] = {
		{ "--XyZ\r\n\r\nx\r\n--XyZ--", "no Content-Disposition" },
		{ "--XyZ\r\nContent-Type: text/plain\r\n\r\n\r\n--XyZ--",
		    "no Content-Disposition" },
		{ "--XyZ\r\nContent-Disposition: attachment; name=a\r\n\r\n"
		    "\r\n--XyZ--", "not form-data" },
		{ "--XyZ\r\nContent-Disposition: form-data\r\n\r\n\r\n--XyZ--",
		    "has no name" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a; name=b\r\n"
		    "\r\n\r\n--XyZ--", "two names" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a; filename=b;"
		    " filename=c\r\n\r\n\r\n--XyZ--", "two filename" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\n"
		    "\r\n--XyZ--", "malformed parameter" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
		    "Content-Disposition: form-data; name=b\r\n\r\n\r\n--XyZ--",
		    "two Content-Disposition" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\n"
		    "Content-Type: a\r\nContent-Type: b\r\n\r\n\r\n--XyZ--",
		    "two Content-Type" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\n\n\r\n"
		    "--XyZ--", "bare LF" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\rX\r\n\r\n"
		    "\r\n--XyZ--", "CR without LF" },
		{ "--XyZ\r\nNo colon here\r\n\r\n\r\n--XyZ--", "no ':'" },
		{ "--XyZ\r\nBad Name: x\r\n\r\n\r\n--XyZ--", "invalid name" },
		{ "--XyZ\r\n folded: x\r\n\r\n\r\n--XyZ--", "folded" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
		    "--XyZjunk\r\n--XyZ--", "followed by other text" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
		    "--XyZ \r\r\n--XyZ--", "followed by other text" },
		{ "--XyZ\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
		    "--XyZ-x", "followed by other text" },
	};
	size_t	i;

	for (i = 0; i < ODS_NELEM(bad); i++)
		expect_err(bad[i][0], ODS_EINVAL, bad[i][1]);
}
END_TEST

START_TEST(test_multipart_makes_no_callback_after_an_error)
{
	struct ods_multipart_cb	 cb;
	struct ods_multipart	*m;
	struct ods_why		 why;
	struct log		 l;
	static const char	 b[] = "--XyZ\r\nContent-Disposition: form-data;"
	    " name=a\r\n\r\n1\r\n--XyZ\r\nContent-Disposition: form-data;"
	    " name=b\r\n\r\n2\r\n--XyZ--";

	/* A failing data callback stops everything, its message kept. */
	memset(&l, 0, sizeof(l));
	l.fail_at = 1;
	ods_buf_init(&l.b, 1 << 16);
	cb = (struct ods_multipart_cb){ l_begin, l_data, l_end, &l };
	m = ods_multipart_new(CT, NULL, &cb, &why);
	ck_assert_int_eq(ods_multipart_feed(m, b, strlen(b), &why), ODS_EIO);
	ck_assert_str_eq(why.msg, "sink says no");
	ck_assert_str_eq(l.b.data, "<a|-|text/plain>");
	ck_assert_int_eq(ods_multipart_feed(m, b, strlen(b), &why), ODS_EIO);
	ck_assert_int_eq(ods_multipart_finish(m, &why), ODS_EIO);
	ck_assert_str_eq(l.b.data, "<a|-|text/plain>");
	ods_multipart_free(m);
	ods_buf_free(&l.b);
	/* Junk after a malformed part: the same error, no more parts. */
	memset(&l, 0, sizeof(l));
	ods_buf_init(&l.b, 1 << 16);
	m = ods_multipart_new(CT, NULL, &cb, &why);
	ck_assert_int_eq(ods_multipart_feed(m, "--XyZ\r\nX\r\n\r\n", 12,
	    &why), ODS_EINVAL);
	ck_assert_int_eq(ods_multipart_feed(m, b, strlen(b), &why),
	    ODS_EINVAL);
	ck_assert_ptr_null(l.b.data);
	ods_multipart_free(m);
	ods_buf_free(&l.b);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_multipart");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 60);
	tcase_add_test(core, test_multipart_parses_fields_and_a_file);
	tcase_add_test(core,
	    test_multipart_gives_the_same_parts_at_every_split_position);
	tcase_add_test(core, test_multipart_unescapes_quoted_filenames);
	tcase_add_test(core, test_multipart_prefers_rfc5987_filenames);
	tcase_add_test(core,
	    test_multipart_passes_nested_multipart_through_as_data);
	tcase_add_test(core, test_multipart_parses_many_fields);
	tcase_add_test(core,
	    test_multipart_accepts_empty_parts_and_an_empty_form);
	tcase_add_test(core, test_multipart_keeps_boundary_like_text_inside_data);
	tcase_add_test(core, test_multipart_ignores_the_preamble_and_the_epilogue);
	tcase_add_test(core, test_multipart_unfolds_header_lines);
	tcase_add_test(core, test_multipart_gives_the_raw_headers);
	tcase_add_test(core, test_multipart_begin_sees_the_raw_header_block);
	tcase_add_test(core,
	    test_multipart_reads_the_boundary_of_the_content_type);
	tcase_add_test(core, test_multipart_refuses_bad_content_types);
	tcase_add_test(core, test_multipart_safe_name_is_a_bare_basename);
	tcase_add_test(core,
	    test_multipart_read_sends_files_to_the_sink_and_keeps_fields);
	tcase_add_test(core, test_multipart_read_streams_a_large_file);
	tcase_add_test(limits, test_multipart_limits_the_parts);
	tcase_add_test(limits, test_multipart_limits_the_header_bytes_and_lines);
	tcase_add_test(limits, test_multipart_read_limits_the_fields);
	tcase_add_test(errors,
	    test_multipart_refuses_a_body_without_its_closing_delimiter);
	tcase_add_test(errors, test_multipart_refuses_malformed_parts);
	tcase_add_test(errors, test_multipart_makes_no_callback_after_an_error);
	tcase_add_test(errors,
	    test_multipart_read_aborts_the_file_of_a_truncated_body);
	tcase_add_test(errors, test_multipart_read_refuses_what_is_not_multipart);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
