/*
 * lib/store/ods_obj.c — the object store's front: the backend chosen by
 * the configuration, key and argument checks shared by both, and the
 * signatures of the presigned route that serves a directory's objects.
 *
 * The route's key (HMAC-SHA256) is ODS_STORE_SIGNING_KEY; without it, a
 * key made once and kept in the store itself: a random one in the
 * directory's .signing-key (0600, shared by every process that shares the
 * directory), or for S3 one derived from MINIO_SECRET_KEY (every pod that
 * can reach the bucket already holds it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "store/ods_store_int.h"

struct ods_obj {
	const struct odsi_obj_ops	*ops;
	void				*be;
	unsigned char			 sign_key[32];
	char				*public_url;
};

enum ods_err
odsi_obj_pct(struct ods_buf *b, const char *s, int keep_slash)
{
	static const char	 hex[] = "0123456789ABCDEF";
	enum ods_err		 er = ODS_OK;
	unsigned char		 c;
	char			 e[3];

	for (; *s != '\0' && er == ODS_OK; s++) {
		c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		    c == '_' || c == '~' || (keep_slash && c == '/'))
			er = ods_buf_add(b, s, 1);
		else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			er = ods_buf_add(b, e, 3);
		}
	}
	return er;
}

int
odsi_obj_ctype_ok(const char *s)
{
	size_t	n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return n <= ODS_OBJ_CTYPE_MAX;
}

struct ods_obj_info *
odsi_obj_list_add(struct ods_obj_list *l, size_t max)
{
	if (l->items == NULL &&
	    (l->items = calloc(max, sizeof(*l->items))) == NULL)
		return NULL;
	if (l->n >= max)
		return NULL;
	memset(&l->items[l->n], 0, sizeof(l->items[0]));
	return &l->items[l->n++];
}

enum ods_err
ods_obj_key_check(const char *key)
{
	const char	*p, *seg;
	size_t		 n;
	int		 depth = 0;

	if (key == NULL || *key == '\0' || *key == '/')
		return ODS_EINVAL;
	n = strlen(key);
	if (n > ODS_OBJ_KEY_MAX)
		return ODS_EINVAL;
	for (p = key; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return ODS_EINVAL;
	/* ".." may not climb above the root, counted segment by segment. */
	for (seg = key;; seg = p + 1) {
		p = strchr(seg, '/');
		n = p != NULL ? (size_t)(p - seg) : strlen(seg);
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			if (--depth < 0)
				return ODS_EINVAL;
		} else if (!(n == 1 && seg[0] == '.') && p != NULL)
			depth++;
		if (p == NULL)
			break;
	}
	return ODS_OK;
}

/* The route's key file in the directory, made once; -1 on failure. */
static int
key_file(const char *root, unsigned char key[32])
{
	char		 path[PATH_MAX], tmp[PATH_MAX], hex[65], buf[65];
	unsigned char	 r[32];
	ssize_t		 n;
	int		 fd;

	if (snprintf(path, sizeof(path), "%s/.signing-key", root) >=
	    (int)sizeof(path) - 16)
		return -1;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		/* Write a fresh one aside, then link: the first one wins. */
		ods_random(r, sizeof(r));
		ods_hex(r, sizeof(r), hex);
		if (snprintf(tmp, sizeof(tmp), "%s.%ld", path,
		    (long)getpid()) >= (int)sizeof(tmp))
			return -1;
		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0600)) < 0)
			return -1;
		n = write(fd, hex, 64);
		if (n != 64 || fsync(fd) < 0) {
			close(fd);
			unlink(tmp);
			return -1;
		}
		close(fd);
		if (link(tmp, path) < 0 && errno != EEXIST) {
			unlink(tmp);
			return -1;
		}
		unlink(tmp);
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
			return -1;
	}
	n = read(fd, buf, 64);
	close(fd);
	if (n != 64)
		return -1;
	ods_hmac_sha256(buf, 64, "ods-store-route-v1", 18, key);
	return 0;
}

struct ods_obj *
ods_obj_new(const struct ods_conf *c)
{
	struct ods_obj	*o;
	char		 root[PATH_MAX];
	const char	*sk = c->store_signing_key;

	o = ods_xcalloc(1, sizeof(*o));
	o->public_url = ods_xstrdup(c->store_public_url);
	if (*c->minio_endpoint != '\0') {
		o->ops = &odsi_obj_s3_ops;
		o->be = odsi_obj_s3_new(c);
		if (*sk == '\0')
			ods_hmac_sha256(c->minio_secret_key,
			    strlen(c->minio_secret_key), "ods-store-route-v1",
			    18, o->sign_key);
	} else {
		snprintf(root, sizeof(root), "%s/objects", c->data_dir);
		o->ops = &odsi_obj_dir_ops;
		o->be = odsi_obj_dir_new(c, root);
		if (o->be != NULL && *sk == '\0' &&
		    key_file(root, o->sign_key) < 0) {
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO,
			    "objstore_signing_key root=%s", root);
			ods_obj_free(o);
			return NULL;
		}
	}
	if (o->be == NULL) {
		ods_obj_free(o);
		return NULL;
	}
	if (*sk != '\0')
		ods_hmac_sha256(sk, strlen(sk), "ods-store-route-v1", 18,
		    o->sign_key);
	return o;
}

void
ods_obj_free(struct ods_obj *o)
{
	if (o == NULL)
		return;
	if (o->be != NULL)
		o->ops->free(o->be);
	free(o->public_url);
	free(o);
}

const char *
ods_obj_backend(const struct ods_obj *o)
{
	return o->ops->name;
}

static int
sha_ok(const char *s)
{
	size_t	i;

	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[64] == '\0';
}

enum ods_err
ods_obj_put(struct ods_obj *o, const char *key, const char *ctype,
    const char *sha256, uint64_t max, ods_obj_reader rd, void *arg,
    struct ods_obj_info *out)
{
	if (ods_obj_key_check(key) != ODS_OK || rd == NULL)
		return ODS_EINVAL;
	if (ctype == NULL || *ctype == '\0')
		ctype = "application/octet-stream";
	if (!odsi_obj_ctype_ok(ctype) || (sha256 != NULL && !sha_ok(sha256)))
		return ODS_EINVAL;
	return o->ops->put(o->be, key, ctype, sha256, max, rd, arg, out);
}

struct mem_reader {
	const char	*p;
	size_t		 left;
};

static long
mem_read(void *arg, char *buf, size_t n)
{
	struct mem_reader	*m = arg;

	if (n > m->left)
		n = m->left;
	memcpy(buf, m->p, n);
	m->p += n;
	m->left -= n;
	return (long)n;
}

enum ods_err
ods_obj_put_mem(struct ods_obj *o, const char *key, const char *ctype,
    const void *data, size_t len, struct ods_obj_info *out)
{
	struct mem_reader	m = { data, len };

	return ods_obj_put(o, key, ctype, NULL, 0, mem_read, &m, out);
}

enum ods_err
ods_obj_get(struct ods_obj *o, const char *key, uint64_t off, uint64_t len,
    const struct ods_obj_sink *s)
{
	if (ods_obj_key_check(key) != ODS_OK || s == NULL || s->write == NULL)
		return ODS_EINVAL;
	return o->ops->get(o->be, key, off, len, s);
}

/*
 * The checked get: a sink in front of the caller's that copies the bytes
 * into an ods_sha256_pipe on their way, so the hash runs on its own
 * thread while the backend reads and the caller writes.
 */
#define CHECK_BUF	(1024u * 1024)
#define CHECK_BUFS	4

struct checked {
	const struct ods_obj_sink	*s;
	struct ods_sha256_pipe		*h;
	char				*buf;	/* the pipe's, being filled */
	size_t				 used;
	struct ods_obj_info		 in;
};

static int
checked_begin(void *arg, const struct ods_obj_info *in, uint64_t off,
    uint64_t len)
{
	struct checked	*c = arg;

	c->in = *in;
	if (c->s->begin == NULL)
		return 0;
	return c->s->begin(c->s->arg, in, off, len);
}

static int
checked_write(void *arg, const char *p, size_t n)
{
	struct checked	*c = arg;
	const char	*q = p;
	size_t		 k, left = n;

	while (left > 0) {
		if (c->buf == NULL) {
			c->buf = ods_sha256_pipe_buf(c->h);
			c->used = 0;
		}
		k = CHECK_BUF - c->used < left ? CHECK_BUF - c->used : left;
		memcpy(c->buf + c->used, q, k);
		c->used += k;
		q += k;
		left -= k;
		if (c->used == CHECK_BUF) {
			ods_sha256_pipe_push(c->h, c->used);
			c->buf = NULL;
		}
	}
	return c->s->write(c->s->arg, p, n);
}

enum ods_err
ods_obj_get_checked(struct ods_obj *o, const char *key,
    const struct ods_obj_sink *s, struct ods_obj_info *out)
{
	struct checked		c;
	struct ods_obj_sink	cs = { checked_begin, checked_write, &c };
	char			sha[65];
	enum ods_err		er;

	if (ods_obj_key_check(key) != ODS_OK || s == NULL || s->write == NULL)
		return ODS_EINVAL;
	memset(&c, 0, sizeof(c));
	c.s = s;
	if ((c.h = ods_sha256_pipe_new(CHECK_BUF, CHECK_BUFS)) == NULL)
		return ODS_ENOMEM;
	er = o->ops->get(o->be, key, 0, ODS_OBJ_ALL, &cs);
	if (er == ODS_OK) {
		if (c.buf != NULL)
			ods_sha256_pipe_push(c.h, c.used);
		ods_sha256_pipe_final(c.h, sha);
		if (c.in.sha256[0] != '\0' && strcmp(sha, c.in.sha256) != 0) {
			ods_log(ODS_LOG_ERR, "objstore_corrupt recorded=%s "
			    "read=%s", c.in.sha256, sha);
			er = ODS_ECORRUPT;
		}
	}
	ods_sha256_pipe_free(c.h);
	if (out != NULL)
		*out = c.in;
	return er;
}

enum ods_err
ods_obj_head(struct ods_obj *o, const char *key, struct ods_obj_info *in)
{
	if (ods_obj_key_check(key) != ODS_OK)
		return ODS_EINVAL;
	return o->ops->head(o->be, key, in);
}

enum ods_err
ods_obj_delete(struct ods_obj *o, const char *key)
{
	if (ods_obj_key_check(key) != ODS_OK)
		return ODS_EINVAL;
	return o->ops->del(o->be, key);
}

enum ods_err
ods_obj_copy(struct ods_obj *o, const char *src, const char *dst)
{
	if (ods_obj_key_check(src) != ODS_OK ||
	    ods_obj_key_check(dst) != ODS_OK)
		return ODS_EINVAL;
	return o->ops->copy(o->be, src, dst);
}

enum ods_err
ods_obj_list(struct ods_obj *o, const char *prefix, const char *token,
    size_t max_keys, struct ods_obj_list *out)
{
	enum ods_err	er;

	memset(out, 0, sizeof(*out));
	if (prefix == NULL)
		prefix = "";
	if (max_keys == 0 || max_keys > ODS_OBJ_LIST_MAX)
		max_keys = ODS_OBJ_LIST_MAX;
	if (strlen(prefix) > ODS_OBJ_KEY_MAX || (token != NULL &&
	    (*token == '\0' || strlen(token) > 4096)))
		return ODS_EINVAL;
	if ((er = o->ops->list(o->be, prefix, token, max_keys, out)) != ODS_OK)
		ods_obj_list_fini(out);
	return er;
}

void
ods_obj_list_fini(struct ods_obj_list *l)
{
	if (l == NULL)
		return;
	free(l->items);
	free(l->next);
	memset(l, 0, sizeof(*l));
}

static int
method_ok(const char *m)
{
	return m != NULL && (strcmp(m, "GET") == 0 || strcmp(m, "PUT") == 0);
}

enum ods_err
ods_obj_presign(struct ods_obj *o, const char *method, const char *key,
    int expires_s, time_t now, char **url)
{
	*url = NULL;
	if (!method_ok(method) || ods_obj_key_check(key) != ODS_OK ||
	    expires_s < 1 || expires_s > ODS_OBJ_PRESIGN_MAX_S)
		return ODS_EINVAL;
	if (o->ops->presign == NULL)
		return ods_obj_route_url(o, method, key, expires_s, now, url);
	return o->ops->presign(o->be, method, key, expires_s, now, url);
}

/* The route's signature: hex HMAC of "v1\nMETHOD\nEXPIRES\nKEY". */
static void
route_sig(const struct ods_obj *o, const char *method, const char *key,
    long long expires, char hex[65])
{
	unsigned char	 mac[32];
	struct ods_buf	 b;

	ods_buf_init(&b, 2 * ODS_OBJ_KEY_MAX);
	if (ods_buf_addf(&b, "v1\n%s\n%lld\n%s", method, expires, key) !=
	    ODS_OK)
		abort();	/* a checked key always fits */
	ods_hmac_sha256(o->sign_key, sizeof(o->sign_key), b.data, b.len, mac);
	ods_buf_free(&b);
	ods_hex(mac, sizeof(mac), hex);
}

enum ods_err
ods_obj_route_url(struct ods_obj *o, const char *method, const char *key,
    int expires_s, time_t now, char **url)
{
	struct ods_buf	 b;
	long long	 exp = (long long)now + expires_s;
	char		 sig[65];
	enum ods_err	 er;

	*url = NULL;
	if (!method_ok(method) || ods_obj_key_check(key) != ODS_OK ||
	    expires_s < 1 || expires_s > ODS_OBJ_PRESIGN_MAX_S)
		return ODS_EINVAL;
	route_sig(o, method, key, exp, sig);
	ods_buf_init(&b, 16384);
	er = ods_buf_addf(&b, "%s%s?key=", o->public_url, ODS_OBJ_ROUTE);
	if (er == ODS_OK)
		er = odsi_obj_pct(&b, key, 0);
	if (er == ODS_OK)
		er = ods_buf_addf(&b, "&expires=%lld&sig=%s", exp, sig);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	*url = ods_buf_take(&b, NULL);
	return ODS_OK;
}

enum ods_err
ods_obj_route_check(struct ods_obj *o, const char *method, const char *key,
    const char *expires, const char *sig, time_t now)
{
	char		 want[65], *end;
	long long	 exp;
	unsigned char	 diff = 0;
	size_t		 i;

	if (!method_ok(method) || key == NULL || expires == NULL ||
	    sig == NULL || ods_obj_key_check(key) != ODS_OK)
		return ODS_EINVAL;
	errno = 0;
	exp = strtoll(expires, &end, 10);
	if (errno != 0 || end == expires || *end != '\0' || exp < 0)
		return ODS_EINVAL;
	if (strlen(sig) != 64)
		return ODS_EFORBIDDEN;
	route_sig(o, method, key, exp, want);
	for (i = 0; i < 64; i++)
		diff |= (unsigned char)(want[i] ^ sig[i]);
	if (diff != 0)
		return ODS_EFORBIDDEN;
	return (long long)now > exp ? ODS_EFORBIDDEN : ODS_OK;
}

enum ods_err
ods_obj_check(struct ods_obj *o, int timeout_ms, double *ms)
{
	double		t0 = ods_now_sec();
	enum ods_err	er;

	er = o->ops->check(o->be, timeout_ms > 0 ? timeout_ms : 1000);
	*ms = (ods_now_sec() - t0) * 1000.0;
	return er;
}
