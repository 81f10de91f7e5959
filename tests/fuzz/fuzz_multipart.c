/*
 * tests/fuzz/fuzz_multipart.c — the multipart/form-data parser, fed the
 * input once whole and once in pieces whose sizes come from the input's
 * own bytes: both must give the same callbacks, the same data and the same
 * result, and no callback may follow an error.
 *
 * Input: byte 0 picks the options (0x80: the first line is the
 * Content-Type; 0x40: small limits); the rest is the body.
 */
#include "config.h"

#include <stdio.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "net/ods_multipart.h"
#include "fuzz.h"

struct run {
	struct ods_buf	 log;
	int		 failed;	/* feed or finish returned an error */
};

static void
add(struct run *u, const void *p, size_t n)
{
	if (u->failed)
		abort();	/* a callback after an error */
	if (ods_buf_add(&u->log, p, n) != ODS_OK)
		abort();
}

static void
check_safe(const char *name)
{
	char	out[32];
	size_t	i, n;

	ods_multipart_safe_name(name, out, sizeof(out));
	n = strlen(out);
	if (n == 0 || n >= sizeof(out) || strcmp(out, ".") == 0 ||
	    strcmp(out, "..") == 0 || out[0] == '.')
		abort();
	for (i = 0; i < n; i++)
		if (out[i] == '/' || out[i] == '\\' ||
		    (unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			abort();
}

static enum ods_err
on_begin(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	struct run	*u = arg;
	char		 idx[32];

	(void)e;
	snprintf(idx, sizeof(idx), "<%zu:", p->index);
	add(u, idx, strlen(idx));
	add(u, p->name, strlen(p->name) + 1);
	if (p->filename != NULL) {
		add(u, p->filename, strlen(p->filename) + 1);
		check_safe(p->filename);
	}
	add(u, p->content_type, strlen(p->content_type) + 1);
	add(u, p->headers, p->headers_len);
	add(u, ">", 1);
	return ODS_OK;
}

static enum ods_err
on_data(void *arg, const struct ods_multipart_part *p, const char *b,
    size_t n, struct ods_why *e)
{
	(void)p;
	(void)e;
	if (n == 0)
		abort();
	add(arg, b, n);
	return ODS_OK;
}

static enum ods_err
on_end(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	(void)p;
	(void)e;
	add(arg, "</>", 3);
	return ODS_OK;
}

/* Parse body in pieces (sizes from sz, nsz bytes; nsz 0: whole). */
static enum ods_err
run(const char *ct, const struct ods_multipart_limits *lim,
    const uint8_t *body, size_t len, const uint8_t *sz, size_t nsz,
    struct run *u, struct ods_why *why)
{
	struct ods_multipart_cb	 cb = { on_begin, on_data, on_end, u };
	struct ods_multipart	*m;
	size_t			 off = 0, n, k = 0;
	enum ods_err		 er = ODS_OK;

	memset(u, 0, sizeof(*u));
	ods_buf_init(&u->log, 1u << 26);
	if ((m = ods_multipart_new(ct, lim, &cb, why)) == NULL)
		return ODS_EINVAL;
	while (off < len) {
		n = nsz == 0 ? len - off : (size_t)(sz[k++ % nsz] % 19);
		/* A zero-length feed must change nothing. */
		if (n == 0 && (er = ods_multipart_feed(m, (const char *)body +
		    off, 0, why)) != ODS_OK)
			abort();
		if (n == 0)
			n = 1;
		if (n > len - off)
			n = len - off;
		er = ods_multipart_feed(m, (const char *)body + off, n, why);
		if (er != ODS_OK)
			break;
		off += n;
	}
	if (er == ODS_OK)
		er = ods_multipart_finish(m, why);
	u->failed = er != ODS_OK;
	if (er != ODS_OK && ods_multipart_feed(m, "--XyZ--", 7, NULL) != er)
		abort();
	ods_multipart_free(m);
	return er;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct ods_multipart_limits small = { 4, 128, 4, 0, 0,
	    0 };
	static int	 once;
	struct ods_why	 w1, w2;
	struct run	 a, b;
	enum ods_err	 e1, e2;
	char		 ct[256] = "multipart/form-data; boundary=XyZ";
	const uint8_t	*body = data + 1, *nl;
	size_t		 len;

	if (!once) {
		fuzz_quiet();
		once = 1;
	}
	if (size < 1)
		return 0;
	len = size - 1;
	if (data[0] & 0x80 && (nl = memchr(body, '\n', len)) != NULL &&
	    (size_t)(nl - body) < sizeof(ct)) {
		memcpy(ct, body, (size_t)(nl - body));
		ct[nl - body] = '\0';
		len -= (size_t)(nl - body) + 1;
		body = nl + 1;
	}
	memset(&w1, 0, sizeof(w1));
	memset(&w2, 0, sizeof(w2));
	e1 = run(ct, data[0] & 0x40 ? &small : NULL, body, len, NULL, 0, &a,
	    &w1);
	e2 = run(ct, data[0] & 0x40 ? &small : NULL, body, len, data, size,
	    &b, &w2);
	if (e1 != e2 || a.log.len != b.log.len || (a.log.len > 0 &&
	    memcmp(a.log.data, b.log.data, a.log.len) != 0) ||
	    strcmp(w1.msg, w2.msg) != 0) {
		fprintf(stderr, "one shot: %d '%s', in pieces: %d '%s'\n",
		    (int)e1, w1.msg, (int)e2, w2.msg);
		abort();
	}
	if (e1 != ODS_OK && w1.msg[0] == '\0')
		abort();	/* every error names its problem */
	ods_buf_free(&a.log);
	ods_buf_free(&b.log);
	return 0;
}
