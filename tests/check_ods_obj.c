/*
 * tests/check_ods_obj.c — the object store, the same tests on both
 * backends: a directory (TCase "directory") and s3rver (TCase "s3"; needs
 * ODS_TEST_S3_ENDPOINT=http://127.0.0.1:PORT and ODS_TEST_S3_BUCKET, which
 * scripts/test sets; exits 77 without them). curl(1) fetches the S3
 * presigned URLs, as any client would.
 */
#include "config.h"

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_obj.h"
#include "ods_check.h"

#define PART	(5u << 20)

static const char	*s3_endpoint, *s3_bucket;
static char		 tmpdir[256], prefix[64];
static struct ods_conf	*conf;
static struct ods_obj	*store;
static int		 is_s3;

static struct ods_conf *
conf_base(void)
{
	struct ods_conf	*c = ods_conf_new();
	struct ods_why	 why;

	ck_assert_int_eq(ods_conf_set(c, "ODS_DATA_DIR", tmpdir, &why), ODS_OK);
	c->s3_part_bytes = PART;
	return c;
}

static void
start_dir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ods-obj-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	conf = conf_base();
	store = ods_obj_new(conf);
	ck_assert_ptr_nonnull(store);
	ck_assert_str_eq(ods_obj_backend(store), "directory");
	is_s3 = 0;
	snprintf(prefix, sizeof(prefix), "t%ld/", (long)getpid());
}

static void
start_s3(void)
{
	struct ods_why	why;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ods-obj-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	conf = conf_base();
	ck_assert_int_eq(ods_conf_set(conf, "MINIO_ENDPOINT", s3_endpoint,
	    &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(conf, "MINIO_ACCESS_KEY", "S3RVER",
	    &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(conf, "MINIO_SECRET_KEY", "S3RVER",
	    &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(conf, "MINIO_BUCKET", s3_bucket, &why),
	    ODS_OK);
	store = ods_obj_new(conf);
	ck_assert_ptr_nonnull(store);
	ck_assert_str_eq(ods_obj_backend(store), "s3");
	is_s3 = 1;
	/* Each run (and fork) its own prefix in the shared bucket. */
	snprintf(prefix, sizeof(prefix), "t%ld-%ld/", (long)getpid(),
	    (long)time(NULL));
}

static void
stop(void)
{
	char	cmd[300];

	ods_obj_free(store);
	ods_conf_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* prefix + name; four buffers in turn, so two may be arguments. */
static const char *
k(const char *name)
{
	static char	buf[4][ODS_OBJ_KEY_MAX + 64];
	static int	i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s%s", prefix, name);
	return buf[i];
}

/* A sink that keeps everything (small objects) and what begin saw. */
struct mem_sink {
	struct ods_buf		b;
	struct ods_obj_info	in;
	uint64_t		off, len;
	int			begun;
};

static int
ms_begin(void *arg, const struct ods_obj_info *in, uint64_t off,
    uint64_t len)
{
	struct mem_sink	*m = arg;

	m->in = *in;
	m->off = off;
	m->len = len;
	m->begun++;
	return 0;
}

static int
ms_write(void *arg, const char *p, size_t n)
{
	struct mem_sink	*m = arg;

	return ods_buf_add(&m->b, p, n) != ODS_OK;
}

static enum ods_err
get_mem(const char *key, uint64_t off, uint64_t len, struct mem_sink *m)
{
	struct ods_obj_sink	s = { ms_begin, ms_write, m };

	memset(m, 0, sizeof(*m));
	ods_buf_init(&m->b, 64u << 20);
	return ods_obj_get(store, key, off, len, &s);
}

/* A deterministic stream of n bytes, hashed as it goes. */
struct gen {
	uint64_t		 n, pos;
	uint32_t		 x;
	struct ods_sha256	*h;
	int			 fail_at;	/* MiB; 0: never */
};

static long
gen_read(void *arg, char *buf, size_t n)
{
	struct gen	*g = arg;
	size_t		 i;

	if (g->fail_at > 0 && g->pos >= (uint64_t)g->fail_at << 20)
		return -1;
	if (n > g->n - g->pos)
		n = (size_t)(g->n - g->pos);
	if (n > 100000)
		n = 100000;	/* odd sizes: parts cross reads */
	for (i = 0; i < n; i++) {
		g->x = g->x * 1103515245u + 12345u;
		buf[i] = (char)(g->x >> 16);
	}
	ods_sha256_update(g->h, buf, n);
	g->pos += n;
	return (long)n;
}

/* A sink that only hashes (large objects). */
struct hash_sink {
	struct ods_sha256	*h;
	uint64_t		 n;
};

static int
hs_write(void *arg, const char *p, size_t n)
{
	struct hash_sink	*s = arg;

	ods_sha256_update(s->h, p, n);
	s->n += n;
	return 0;
}

START_TEST(test_obj_put_get_head_round_trip)
{
	struct ods_obj_info	in, hd;
	struct mem_sink		m;
	char			sha[65];

	ck_assert_int_eq(ods_obj_put_mem(store, k("a.txt"), "text/plain",
	    "hello world", 11, &in), ODS_OK);
	ods_sha256_hex("hello world", 11, sha);
	ck_assert_str_eq(in.sha256, sha);
	ck_assert_int_eq(in.size, 11);
	ck_assert_int_eq(ods_obj_head(store, k("a.txt"), &hd), ODS_OK);
	ck_assert_int_eq(hd.size, 11);
	ck_assert_str_eq(hd.sha256, sha);
	ck_assert_str_eq(hd.ctype, "text/plain");
	ck_assert_str_eq(hd.key, k("a.txt"));
	ck_assert_int_eq(get_mem(k("a.txt"), 0, ODS_OBJ_ALL, &m), ODS_OK);
	ck_assert_int_eq(m.begun, 1);
	ck_assert_str_eq(m.b.data, "hello world");
	ck_assert_str_eq(m.in.sha256, sha);
	ck_assert_int_eq(m.in.size, 11);
	ods_buf_free(&m.b);
	/* Replaced as a whole; empty objects work too. */
	ck_assert_int_eq(ods_obj_put_mem(store, k("a.txt"), NULL, "", 0, NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_obj_head(store, k("a.txt"), &hd), ODS_OK);
	ck_assert_int_eq(hd.size, 0);
	ck_assert_str_eq(hd.ctype, "application/octet-stream");
	ck_assert_int_eq(get_mem(k("a.txt"), 0, ODS_OBJ_ALL, &m), ODS_OK);
	ck_assert_int_eq(m.begun, 1);
	ck_assert_int_eq(m.b.len, 0);
	ods_buf_free(&m.b);
	ck_assert_int_eq(ods_obj_head(store, k("none"), &hd), ODS_ENOTFOUND);
	ck_assert_int_eq(get_mem(k("none"), 0, ODS_OBJ_ALL, &m),
	    ODS_ENOTFOUND);
	ods_buf_free(&m.b);
}
END_TEST

START_TEST(test_obj_streams_an_object_larger_than_a_part)
{
	struct gen		g = { 2 * PART + 777777, 0, 7, NULL, 0 };
	struct hash_sink	hs = { NULL, 0 };
	struct ods_obj_sink	s = { NULL, hs_write, &hs };
	struct ods_obj_info	in, hd;
	struct mem_sink		m;
	char			want[65], got[65];

	g.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_put(store, k("big.bin"), "application/x-big",
	    NULL, 0, gen_read, &g, &in), ODS_OK);
	ods_sha256_final(g.h, want);
	ods_sha256_free(g.h);
	ck_assert_str_eq(in.sha256, want);
	ck_assert_int_eq(in.size, g.n);
	ck_assert_int_eq(ods_obj_head(store, k("big.bin"), &hd), ODS_OK);
	ck_assert_int_eq(hd.size, g.n);
	ck_assert_str_eq(hd.sha256, want);
	ck_assert_str_eq(hd.ctype, "application/x-big");
	hs.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_get(store, k("big.bin"), 0, ODS_OBJ_ALL, &s),
	    ODS_OK);
	ods_sha256_final(hs.h, got);
	ods_sha256_free(hs.h);
	ck_assert_int_eq(hs.n, g.n);
	ck_assert_str_eq(got, want);
	/* The checked get: the same bytes, hashed beside the transfer. */
	hs.h = ods_sha256_new();
	hs.n = 0;
	ck_assert_int_eq(ods_obj_get_checked(store, k("big.bin"), &s, &hd),
	    ODS_OK);
	ods_sha256_final(hs.h, got);
	ods_sha256_free(hs.h);
	ck_assert_int_eq(hs.n, g.n);
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(hd.sha256, want);
	ck_assert_int_eq(hd.size, g.n);
	/* A range across the first part boundary. */
	ck_assert_int_eq(get_mem(k("big.bin"), PART - 10, 20, &m), ODS_OK);
	ck_assert_int_eq(m.b.len, 20);
	ck_assert_int_eq(m.off, PART - 10);
	ck_assert_int_eq(m.len, 20);
	ck_assert_int_eq(m.in.size, g.n);
	ods_buf_free(&m.b);
}
END_TEST

START_TEST(test_obj_failed_stream_leaves_the_old_object)
{
	struct gen		g = { 2 * PART, 0, 9, NULL, 6 };
	struct ods_obj_info	hd;
	char			sha[65];

	ck_assert_int_eq(ods_obj_put_mem(store, k("keep"), "text/plain", "old",
	    3, NULL), ODS_OK);
	g.h = ods_sha256_new();
	/* The reader fails after 6 MiB: past the first part on S3. */
	ck_assert_int_eq(ods_obj_put(store, k("keep"), NULL, NULL, 0, gen_read,
	    &g, NULL), ODS_EIO);
	ods_sha256_free(g.h);
	ck_assert_int_eq(ods_obj_head(store, k("keep"), &hd), ODS_OK);
	ck_assert_int_eq(hd.size, 3);
	/* Over the cap, or not the announced checksum: nothing stored. */
	memset(&g, 0, sizeof(g));
	g.n = 100000;
	g.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_put(store, k("capped"), NULL, NULL, 1000,
	    gen_read, &g, NULL), ODS_ETOOBIG);
	ods_sha256_free(g.h);
	ck_assert_int_eq(ods_obj_head(store, k("capped"), &hd), ODS_ENOTFOUND);
	ods_sha256_hex("other", 5, sha);
	memset(&g, 0, sizeof(g));
	g.n = 1000;
	g.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_put(store, k("sum"), NULL, sha, 0, gen_read,
	    &g, NULL), ODS_ECORRUPT);
	ods_sha256_free(g.h);
	ck_assert_int_eq(ods_obj_head(store, k("sum"), &hd), ODS_ENOTFOUND);
}
END_TEST

START_TEST(test_obj_ranges)
{
	struct mem_sink	m;

	ck_assert_int_eq(ods_obj_put_mem(store, k("r"), NULL, "0123456789",
	    10, NULL), ODS_OK);
	ck_assert_int_eq(get_mem(k("r"), 2, 3, &m), ODS_OK);
	ck_assert_str_eq(m.b.data, "234");
	ck_assert_int_eq(m.off, 2);
	ck_assert_int_eq(m.len, 3);
	ck_assert_int_eq(m.in.size, 10);
	ods_buf_free(&m.b);
	ck_assert_int_eq(get_mem(k("r"), 7, ODS_OBJ_ALL, &m), ODS_OK);
	ck_assert_str_eq(m.b.data, "789");
	ods_buf_free(&m.b);
	ck_assert_int_eq(get_mem(k("r"), 8, 100, &m), ODS_OK);
	ck_assert_str_eq(m.b.data, "89");
	ods_buf_free(&m.b);
	ck_assert_int_eq(get_mem(k("r"), 10, 1, &m), ODS_EINVAL);
	ods_buf_free(&m.b);
	ck_assert_int_eq(get_mem(k("r"), 50, ODS_OBJ_ALL, &m), ODS_EINVAL);
	ods_buf_free(&m.b);
}
END_TEST

START_TEST(test_obj_list_pages_in_byte_order)
{
	static const char *const names[] = { "a/b", "a-c", "a", "b/c/d",
	    "b/c", "z", "a/a" };
	static const char *const order[] = { "a", "a-c", "a/a", "a/b", "b/c",
	    "b/c/d", "z" };
	struct ods_obj_list	l;
	char			*tok = NULL, lp[80];
	size_t			i, seen = 0, pages = 0;

	for (i = 0; i < ODS_NELEM(names); i++)
		ck_assert_int_eq(ods_obj_put_mem(store, k(names[i]), NULL,
		    names[i], strlen(names[i]), NULL), ODS_OK);
	snprintf(lp, sizeof(lp), "%.*sl", (int)strlen(prefix) - 1, prefix);
	ck_assert_int_eq(ods_obj_put_mem(store, lp, NULL, "x", 1, NULL),
	    ODS_OK);	/* outside the listed prefix */
	do {
		ck_assert_int_eq(ods_obj_list(store, prefix, tok, 3, &l),
		    ODS_OK);
		free(tok);
		tok = l.next != NULL ? strdup(l.next) : NULL;
		pages++;
		for (i = 0; i < l.n; i++, seen++) {
			ck_assert_uint_lt(seen, ODS_NELEM(order));
			/* s3rver lists in its own order; S3 and we by bytes. */
			if (!is_s3)
				ck_assert_str_eq(l.items[i].key,
				    k(order[seen]));
			ck_assert_str_eq(l.items[i].key, k(l.items[i].key +
			    strlen(prefix)));
			ck_assert_int_eq(l.items[i].size,
			    strlen(l.items[i].key) - strlen(prefix));
		}
		ods_obj_list_fini(&l);
	} while (tok != NULL && pages < 10);
	ck_assert_int_eq(seen, ODS_NELEM(order));
	ck_assert_int_eq(pages, 3);
	/* A narrower prefix. */
	ck_assert_int_eq(ods_obj_list(store, k("b/"), NULL, 0, &l), ODS_OK);
	ck_assert_int_eq(l.n, 2);
	ck_assert_ptr_null(l.next);
	ods_obj_list_fini(&l);
}
END_TEST

START_TEST(test_obj_copy_and_delete)
{
	struct ods_obj_info	a, b;
	struct mem_sink		m;

	ck_assert_int_eq(ods_obj_put_mem(store, k("src/x"), "image/png", "PNG!",
	    4, NULL), ODS_OK);
	ck_assert_int_eq(ods_obj_copy(store, k("src/x"), k("dst/y")), ODS_OK);
	ck_assert_int_eq(ods_obj_head(store, k("src/x"), &a), ODS_OK);
	ck_assert_int_eq(ods_obj_head(store, k("dst/y"), &b), ODS_OK);
	ck_assert_str_eq(a.sha256, b.sha256);
	ck_assert_str_eq(b.ctype, "image/png");
	ck_assert_int_eq(get_mem(k("dst/y"), 0, ODS_OBJ_ALL, &m), ODS_OK);
	ck_assert_str_eq(m.b.data, "PNG!");
	ods_buf_free(&m.b);
	ck_assert_int_eq(ods_obj_copy(store, k("src/none"), k("dst/z")),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_obj_delete(store, k("src/x")), ODS_OK);
	ck_assert_int_eq(ods_obj_head(store, k("src/x"), &a), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_obj_delete(store, k("src/x")), ODS_OK);
	ck_assert_int_eq(ods_obj_head(store, k("dst/y"), &b), ODS_OK);
}
END_TEST

/* Nothing but objects/ (and its files) under the data directory. */
static void
assert_contained(void)
{
	DIR		*d;
	struct dirent	*de;

	if (is_s3)
		return;
	ck_assert_ptr_nonnull(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0)
			ck_assert_str_eq(de->d_name, "objects");
	closedir(d);
}

START_TEST(test_obj_hostile_keys_round_trip_or_are_refused)
{
	static const char *const good[] = { "sp ace/ü nicode/100%/~x",
	    "a/../b", "..x/.hidden", "%2E%2E/%2F", "trailing/",
	    "./dot", "q?x=1&y#z", "+plus+", "a/./../c",
	    "a//b" };	/* last: s3rver answers 404 to an empty segment */
	static const char *const bad[] = { "/abs", "../up", "a/../../b",
	    "x/\n", "tab\there", "a/../..", ".." };
	struct ods_obj_list	 l;
	struct mem_sink		 m;
	char			 longk[ODS_OBJ_KEY_MAX + 2];
	size_t			 i, j, found, ngood;

	ngood = ODS_NELEM(good) - (is_s3 ? 1 : 0);
	for (i = 0; i < ngood; i++) {
		ck_assert_msg(ods_obj_put_mem(store, k(good[i]), NULL,
		    good[i], strlen(good[i]), NULL) == ODS_OK, "put '%s'",
		    good[i]);
		ck_assert_int_eq(get_mem(k(good[i]), 0, ODS_OBJ_ALL, &m),
		    ODS_OK);
		ck_assert_str_eq(m.b.data, good[i]);
		ck_assert_str_eq(m.in.key, k(good[i]));
		ods_buf_free(&m.b);
	}
	ck_assert_int_eq(ods_obj_list(store, prefix, NULL, 0, &l), ODS_OK);
	for (i = 0, found = 0; i < ngood; i++)
		for (j = 0; j < l.n; j++)
			found += strcmp(l.items[j].key, k(good[i])) == 0;
	/*
	 * s3rver keeps objects as files and lists "a/../b", "./dot" and
	 * "a/./../c" by their resolved paths (get, above, returned them
	 * under the literal key we sent); S3 and the directory list them.
	 */
	if (!is_s3) {
		ck_assert_int_eq(found, ngood);
		ck_assert_int_eq(l.n, ngood);
	} else
		ck_assert_int_ge(found, ngood - 3);
	ods_obj_list_fini(&l);
	for (i = 0; i < ODS_NELEM(bad); i++) {
		ck_assert_int_eq(ods_obj_key_check(bad[i]), ODS_EINVAL);
		ck_assert_int_eq(ods_obj_put_mem(store, bad[i], NULL, "x", 1,
		    NULL), ODS_EINVAL);
	}
	ck_assert_int_eq(ods_obj_put_mem(store, "", NULL, "x", 1, NULL),
	    ODS_EINVAL);
	memset(longk, 'k', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = '\0';
	ck_assert_int_eq(ods_obj_key_check(longk), ODS_EINVAL);
	longk[ODS_OBJ_KEY_MAX] = '\0';
	ck_assert_int_eq(ods_obj_key_check(longk), ODS_OK);
	assert_contained();
	/* s3rver fails deletes of the keys it resolved (see above). */
	for (i = 0; i < ngood; i++)
		if (ods_obj_delete(store, k(good[i])) != ODS_OK)
			ck_assert(is_s3);
	assert_contained();
}
END_TEST

/* Value of a query parameter of url (not decoded) into out. */
static void
qparam(const char *url, const char *name, char *out, size_t len)
{
	char		 pat[40];
	const char	*p;
	size_t		 n;

	snprintf(pat, sizeof(pat), "%s=", name);
	p = strstr(url, pat);
	ck_assert_ptr_nonnull(p);
	p += strlen(pat);
	n = strcspn(p, "&");
	ck_assert_uint_lt(n, len);
	memcpy(out, p, n);
	out[n] = '\0';
}

START_TEST(test_obj_route_signatures)
{
	const char	*key = k("signed/ü 1%");
	char		*url = NULL, exp[32], sig[80];
	time_t		 now = time(NULL);

	ck_assert_int_eq(ods_obj_route_url(store, "GET", key, 60, now, &url),
	    ODS_OK);
	ck_assert_ptr_nonnull(strstr(url, ODS_OBJ_ROUTE "?key="));
	qparam(url, "expires", exp, sizeof(exp));
	qparam(url, "sig", sig, sizeof(sig));
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, exp, sig, now),
	    ODS_OK);
	/* Another method, key, expiry or a flipped digit: forged. */
	ck_assert_int_eq(ods_obj_route_check(store, "PUT", key, exp, sig, now),
	    ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_obj_route_check(store, "GET", k("other"), exp, sig,
	    now), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, "99999999999",
	    sig, now), ODS_EFORBIDDEN);
	sig[5] = sig[5] == 'a' ? 'b' : 'a';
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, exp, sig, now),
	    ODS_EFORBIDDEN);
	sig[5] = sig[5] == 'a' ? 'b' : 'a';
	/* Expired. */
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, exp, sig,
	    now + 61), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, NULL, sig,
	    now), ODS_EINVAL);
	ck_assert_int_eq(ods_obj_route_check(store, "GET", key, "12x", sig,
	    now), ODS_EINVAL);
	free(url);
	ck_assert_int_eq(ods_obj_presign(store, "DELETE", key, 60, now, &url),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_obj_presign(store, "GET", key, 0, now, &url),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_obj_presign(store, "GET", key,
	    ODS_OBJ_PRESIGN_MAX_S + 1, now, &url), ODS_EINVAL);
}
END_TEST

/* curl(1) on url; the HTTP status. */
static int
curl_status(const char *args, const char *url)
{
	char	cmd[16384];
	FILE	*p;
	int	 code = 0;

	snprintf(cmd, sizeof(cmd), "curl -s -o %s/curl.out -w '%%{http_code}' "
	    "%s '%s'", tmpdir, args, url);
	ck_assert_ptr_nonnull(p = popen(cmd, "r"));
	ck_assert_int_eq(fscanf(p, "%d", &code), 1);
	pclose(p);
	return code;
}

START_TEST(test_obj_s3_presigned_urls_work_with_curl)
{
	const char		*key = k("pre/sp ace ü%.txt");
	struct ods_obj_info	 in;
	struct mem_sink		 m;
	struct ods_obj_sink	 ms = { ms_begin, ms_write, &m };
	char			*url = NULL, args[512], path[300], want[65];
	char			 buf[64];
	FILE			*f;
	size_t			 n;

	snprintf(path, sizeof(path), "%s/up.txt", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs("uploaded by curl", f);
	fclose(f);
	ck_assert_int_eq(ods_obj_presign(store, "PUT", key, 300, time(NULL),
	    &url), ODS_OK);
	snprintf(args, sizeof(args), "-T '%s'", path);
	ck_assert_int_eq(curl_status(args, url), 200);
	free(url);
	ck_assert_int_eq(ods_obj_head(store, key, &in), ODS_OK);
	ck_assert_int_eq(in.size, 16);
	/*
	 * S3 computed no SHA-256 and the client sent none: none recorded
	 * (documented), and a checked get passes the object unchecked.
	 */
	ck_assert_str_eq(in.sha256, "");
	memset(&m, 0, sizeof(m));
	ods_buf_init(&m.b, 1024);
	ck_assert_int_eq(ods_obj_get_checked(store, key, &ms, &in), ODS_OK);
	ck_assert_int_eq(m.b.len, 16);
	ck_assert_str_eq(in.sha256, "");
	ods_buf_free(&m.b);
	ck_assert_int_eq(ods_obj_put_mem(store, key, "text/plain",
	    "fetched by curl", 15, NULL), ODS_OK);
	ck_assert_int_eq(ods_obj_presign(store, "GET", key, 300, time(NULL),
	    &url), ODS_OK);
	ck_assert_int_eq(curl_status("", url), 200);
	snprintf(path, sizeof(path), "%s/curl.out", tmpdir);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, "fetched by curl");
	/*
	 * An expired URL. (s3rver does not check SigV4 signatures, so a
	 * forged one passes there: test_obj_sigv4_presign_known_answer
	 * checks the signature against AWS's own example instead.)
	 */
	free(url);
	ck_assert_int_eq(ods_obj_presign(store, "GET", key, 1,
	    time(NULL) - 3600, &url), ODS_OK);
	ck_assert_int_eq(curl_status("", url), 403);
	free(url);
	(void)want;
}
END_TEST

START_TEST(test_obj_check_reports_ready)
{
	double	ms = -1;

	ck_assert_int_eq(ods_obj_check(store, 1000, &ms), ODS_OK);
	ck_assert(ms >= 0 && ms < 1000);
}
END_TEST

/*
 * AWS's documented example of a presigned GET (Signature V4, "Query
 * String Auth"): the same URL, signature included.
 */
START_TEST(test_obj_sigv4_presign_known_answer)
{
	struct ods_conf	*c;
	struct ods_obj	*o;
	struct ods_why	 why;
	char		*url = NULL;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp");
	c = conf_base();
	ck_assert_int_eq(ods_conf_set(c, "MINIO_ENDPOINT",
	    "https://s3.amazonaws.com", &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(c, "MINIO_ACCESS_KEY",
	    "AKIAIOSFODNN7EXAMPLE", &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(c, "MINIO_SECRET_KEY",
	    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(c, "MINIO_BUCKET", "examplebucket",
	    &why), ODS_OK);
	ck_assert_int_eq(ods_conf_set(c, "ODS_S3_PATH_STYLE", "false", &why),
	    ODS_OK);
	ck_assert_ptr_nonnull(o = ods_obj_new(c));
	ck_assert_int_eq(ods_obj_presign(o, "GET", "test.txt", 86400,
	    (time_t)1369353600, &url), ODS_OK);
	ck_assert_str_eq(url, "https://examplebucket.s3.amazonaws.com/test.txt"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
	    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400"
	    "&X-Amz-SignedHeaders=host&X-Amz-Signature="
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	free(url);
	ods_obj_free(o);
	ods_conf_free(c);
}
END_TEST

/* The object file of key (directory backend): "<tmpdir>/objects/o/<key>~". */
static void
object_path(const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s/objects/o/%s~", tmpdir, key);
}

START_TEST(test_obj_checked_get_refuses_bytes_changed_at_rest)
{
	struct gen		g = { 3u << 20, 0, 11, NULL, 0 };
	struct hash_sink	hs = { NULL, 0 };
	struct ods_obj_sink	s = { NULL, hs_write, &hs };
	char			path[512];
	FILE			*f;
	int			c;

	if (is_s3)
		return;		/* S3 keeps its bytes out of our reach */
	g.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_put(store, k("rot.bin"), NULL, NULL, 0,
	    gen_read, &g, NULL), ODS_OK);
	ods_sha256_free(g.h);
	/* One byte in the middle of the object flips on disk. */
	object_path(k("rot.bin"), path, sizeof(path));
	ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
	ck_assert_int_eq(fseek(f, 4096 + (2u << 20), SEEK_SET), 0);
	c = fgetc(f);
	ck_assert_int_eq(fseek(f, 4096 + (2u << 20), SEEK_SET), 0);
	ck_assert_int_ne(fputc(c ^ 0x20, f), EOF);
	ck_assert_int_eq(fclose(f), 0);
	/* A plain get sends what is there; the checked one says so. */
	hs.h = ods_sha256_new();
	ck_assert_int_eq(ods_obj_get(store, k("rot.bin"), 0, ODS_OBJ_ALL, &s),
	    ODS_OK);
	ck_assert_int_eq(hs.n, g.n);
	hs.n = 0;
	ck_assert_int_eq(ods_obj_get_checked(store, k("rot.bin"), &s, NULL),
	    ODS_ECORRUPT);
	ck_assert_int_eq(hs.n, g.n);
	ods_sha256_free(hs.h);
	ck_assert_int_eq(ods_obj_get_checked(store, k("none"), &s, NULL),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_obj_get_checked(store, "../x", &s, NULL),
	    ODS_EINVAL);
}
END_TEST

/* The hash pipe gives the one-shot digest for any split of the bytes. */
START_TEST(test_obj_sha256_pipe_matches_the_one_shot_digest)
{
	static const size_t	 sizes[] = { 0, 1, 4095, 4096, 4097, 65536 };
	struct ods_sha256_pipe	*p;
	char			*data, *buf, want[65], got[65];
	size_t			 total = 300000, off, n, i, step;

	data = ods_xmalloc(total);
	for (i = 0; i < total; i++)
		data[i] = (char)(i * 7 + (i >> 9));
	ods_sha256_hex(data, total, want);
	for (i = 0; i < ODS_NELEM(sizes); i++) {
		ck_assert_ptr_nonnull(p = ods_sha256_pipe_new(4096, 3));
		/* Pieces of 0..4096 bytes, many more than the buffers. */
		for (off = 0, step = sizes[i]; off < total; off += n) {
			n = step % 4097;
			if (n > total - off)
				n = total - off;
			buf = ods_sha256_pipe_buf(p);
			memcpy(buf, data + off, n);
			ods_sha256_pipe_push(p, n);
			step = step * 31 + 17;
		}
		ods_sha256_pipe_final(p, got);
		ods_sha256_pipe_free(p);
		ck_assert_str_eq(got, want);
	}
	/* Freed unfinished (a failed transfer): the hasher stops. */
	ck_assert_ptr_nonnull(p = ods_sha256_pipe_new(4096, 2));
	for (i = 0; i < 10; i++) {
		buf = ods_sha256_pipe_buf(p);
		memcpy(buf, data, 4096);
		ods_sha256_pipe_push(p, 4096);
	}
	ods_sha256_pipe_free(p);
	ck_assert_ptr_null(ods_sha256_pipe_new(4096, 1));
	ck_assert_ptr_null(ods_sha256_pipe_new(0, 4));
	free(data);
}
END_TEST

static TCase *
backend_case(const char *name, void (*setup)(void))
{
	TCase	*tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, stop);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_obj_put_get_head_round_trip);
	tcase_add_test(tc, test_obj_streams_an_object_larger_than_a_part);
	tcase_add_test(tc, test_obj_failed_stream_leaves_the_old_object);
	tcase_add_test(tc, test_obj_ranges);
	tcase_add_test(tc, test_obj_list_pages_in_byte_order);
	tcase_add_test(tc, test_obj_copy_and_delete);
	tcase_add_test(tc, test_obj_hostile_keys_round_trip_or_are_refused);
	tcase_add_test(tc, test_obj_route_signatures);
	tcase_add_test(tc, test_obj_check_reports_ready);
	tcase_add_test(tc, test_obj_checked_get_refuses_bytes_changed_at_rest);
	return tc;
}

static Suite *
obj_suite(void)
{
	Suite	*s = suite_create("ods_obj");
	TCase	*tc;

	suite_add_tcase(s, backend_case("directory", start_dir));
	tc = backend_case("s3", start_s3);
	tcase_add_test(tc, test_obj_s3_presigned_urls_work_with_curl);
	suite_add_tcase(s, tc);
	tc = tcase_create("sigv4");
	tcase_add_test(tc, test_obj_sigv4_presign_known_answer);
	tcase_add_test(tc, test_obj_sha256_pipe_matches_the_one_shot_digest);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((s3_endpoint = ods_check_env("ODS_TEST_S3_ENDPOINT")) == NULL)
		return ODS_CHECK_SKIP;
	s3_bucket = getenv("ODS_TEST_S3_BUCKET");
	if (s3_bucket == NULL || *s3_bucket == '\0')
		s3_bucket = "ods-test";
	ods_check_log("check_ods_obj");
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = obj_suite, .setup = start,
};
