/*
 * lib/store/ods_obj_dir.c — the object store in a local directory.
 *
 * Layout under the root (ODS_DATA_DIR/objects): o/ holds the objects, one
 * directory per key segment but the last, whose file is the segment's name
 * plus '~'. Names are the segment's bytes with '%', '~' and a leading '.'
 * written %XX (an empty segment is "%"), so no name is ".", "..", a
 * hidden file or an object where a directory belongs; a key's "/../" stays
 * a directory named "%2E.". Every step is an openat() with O_NOFOLLOW
 * from the root: no symbolic link and no key leads outside it. Temporary
 * files start with '.' and are never listed.
 *
 * Each file starts with a HDR_SIZE header of "name=value" lines (size,
 * sha256, mtime, ctype, key), zero-padded, then the object's bytes. The
 * header is written into the temporary file before the rename, so an
 * object and its metadata appear together or not at all.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_util.h"
#include "store/ods_store_int.h"

#define HDR_SIZE	4096
#define HDR_MAGIC	"ODSOBJ1\n"
#define IO_SIZE		(256u * 1024)
#define PIPE_BUFS	4	/* IO_SIZE buffers a put reads ahead of its hash */
#define NAME_LIMIT	250	/* encoded segment, below NAME_MAX */
#define KICK_BYTES	(8u * 1024 * 1024)	/* writeback started each */

struct dir {
	char	*root;		/* .../objects */
	int	 ofd;		/* root/o, O_DIRECTORY */
};

static enum ods_err
errno_err(const char *what)
{
	int	e = errno;

	if (e == ENOENT || e == ENOTDIR)
		return ODS_ENOTFOUND;
	if (e == ENOSPC || e == EDQUOT)
		return ODS_ENOSPC;
	if (e == ENAMETOOLONG)
		return ODS_EINVAL;
	ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "objstore_io op=%s", what);
	return ODS_EIO;
}

/* Encode one segment [s, s+n) as a name (plus suffix); -1 if too long. */
static int
seg_encode(const char *s, size_t n, const char *suffix, char *out,
    size_t outlen)
{
	size_t	i, o = 0;
	char	c;

	if (n == 0)
		out[o++] = '%';
	for (i = 0; i < n; i++) {
		c = s[i];
		if (o + 4 + strlen(suffix) >= outlen || o > NAME_LIMIT)
			return -1;
		if (c == '%' || c == '~' || (i == 0 && c == '.'))
			o += (size_t)snprintf(out + o, 4, "%%%02X",
			    (unsigned char)c);
		else
			out[o++] = c;
	}
	if (o + strlen(suffix) > NAME_LIMIT)
		return -1;
	snprintf(out + o, outlen - o, "%s", suffix);
	return 0;
}

static int
hexv(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a name (without its '~') into out; -1 when not ours. */
static int
seg_decode(const char *s, size_t n, char *out, size_t *outlen)
{
	size_t	i, o = 0;
	int	hi, lo;

	if (n == 1 && s[0] == '%') {
		*outlen = 0;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if (s[i] != '%') {
			out[o++] = s[i];
			continue;
		}
		if (i + 2 >= n + 0 || (hi = hexv(s[i + 1])) < 0 ||
		    (lo = hexv(s[i + 2])) < 0)
			return -1;
		out[o++] = (char)(hi << 4 | lo);
		i += 2;
	}
	*outlen = o;
	return 0;
}

/*
 * Open (create when mk) the directory of key's last segment; *last points
 * at that segment in key. Returns a descriptor or -1 with errno set.
 */
static int
open_parent(struct dir *d, const char *key, int mk, const char **last)
{
	char		 name[NAME_MAX + 1];
	const char	*p = key, *slash;
	int		 fd, nfd;

	if ((fd = dup(d->ofd)) < 0)
		return -1;
	while ((slash = strchr(p, '/')) != NULL) {
		if (seg_encode(p, (size_t)(slash - p), "", name,
		    sizeof(name)) < 0) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		if (mk && mkdirat(fd, name, 0750) < 0 && errno != EEXIST) {
			close(fd);
			return -1;
		}
		nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		if (nfd < 0)
			return -1;
		fd = nfd;
		p = slash + 1;
	}
	*last = p;
	return fd;
}

static int
file_name(const char *last, char *name, size_t len)
{
	if (seg_encode(last, strlen(last), "~", name, len) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* The object's file, opened for reading; -1 with errno. */
static int
open_object(struct dir *d, const char *key)
{
	char		 name[NAME_MAX + 1];
	const char	*last;
	int		 dfd, fd;

	if ((dfd = open_parent(d, key, 0, &last)) < 0)
		return -1;
	if (file_name(last, name, sizeof(name)) < 0) {
		close(dfd);
		return -1;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	return fd;
}

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static enum ods_err
hdr_parse(const char *h, struct ods_obj_info *in)
{
	const char	*p, *e;
	size_t		 n;

	memset(in, 0, sizeof(*in));
	if (strncmp(h, HDR_MAGIC, sizeof(HDR_MAGIC) - 1) != 0)
		return ODS_ECORRUPT;
	for (p = h + sizeof(HDR_MAGIC) - 1; *p != '\0' && p < h + HDR_SIZE;
	    p = e + 1) {
		if ((e = memchr(p, '\n', (size_t)(h + HDR_SIZE - p))) == NULL)
			return ODS_ECORRUPT;
		n = (size_t)(e - p);
		if (strncmp(p, "size=", 5) == 0)
			in->size = strtoull(p + 5, NULL, 10);
		else if (strncmp(p, "mtime=", 6) == 0)
			in->mtime = strtoll(p + 6, NULL, 10);
		else if (strncmp(p, "sha256=", 7) == 0 && n == 71)
			memcpy(in->sha256, p + 7, 64);
		else if (strncmp(p, "ctype=", 6) == 0 && n - 6 <= ODS_OBJ_CTYPE_MAX)
			memcpy(in->ctype, p + 6, n - 6);
		else if (strncmp(p, "key=", 4) == 0 && n - 4 <= ODS_OBJ_KEY_MAX)
			memcpy(in->key, p + 4, n - 4);
	}
	return in->sha256[0] != '\0' && in->key[0] != '\0' ? ODS_OK :
	    ODS_ECORRUPT;
}

static enum ods_err
hdr_read(int fd, struct ods_obj_info *in)
{
	char	h[HDR_SIZE + 1];
	ssize_t	n;

	if ((n = pread(fd, h, HDR_SIZE, 0)) < 0)
		return errno_err("pread");
	if (n != HDR_SIZE)
		return ODS_ECORRUPT;
	h[HDR_SIZE] = '\0';
	return hdr_parse(h, in);
}

/*
 * Start the writeback of [off, off + len) now: the disk works while the
 * next bytes are read and hashed, the fsync at the end finds little left
 * to do, and a large object never piles up dirty pages.
 */
static void
writeback_kick(int fd, uint64_t off, uint64_t len)
{
#ifdef SYNC_FILE_RANGE_WRITE
	(void)sync_file_range(fd, (off_t)off, (off_t)len,
	    SYNC_FILE_RANGE_WRITE);
#else
	(void)fd;
	(void)off;
	(void)len;
#endif
}

/*
 * Stream the reader into fd after the header; sha and size out. The
 * SHA-256 runs on a thread of its own (ods_sha256_pipe) while the next
 * buffer is read and this one written: on a large object the hash costs
 * about as much time as the copy, so doing both at once halves the put.
 */
static enum ods_err
fill(int fd, uint64_t max, ods_obj_reader rd, void *arg,
    struct ods_obj_info *in)
{
	static const char	 zero[HDR_SIZE];
	struct ods_sha256_pipe	*h;
	enum ods_err		 er = ODS_OK;
	uint64_t		 kicked = 0;
	char			*buf;
	long			 n;

	if ((h = ods_sha256_pipe_new(IO_SIZE, PIPE_BUFS)) == NULL)
		return ODS_ENOMEM;
	if (write_all(fd, zero, HDR_SIZE) < 0) {
		er = errno_err("write");
		goto out;
	}
	for (;;) {
		buf = ods_sha256_pipe_buf(h);
		if ((n = rd(arg, buf, IO_SIZE)) == 0)
			break;
		if (n < 0) {
			er = ODS_EIO;
			goto out;
		}
		in->size += (uint64_t)n;
		if (max > 0 && in->size > max) {
			er = ODS_ETOOBIG;
			goto out;
		}
		ods_sha256_pipe_push(h, (size_t)n);
		if (write_all(fd, buf, (size_t)n) < 0) {
			er = errno_err("write");
			goto out;
		}
		if (in->size - kicked >= KICK_BYTES) {
			writeback_kick(fd, HDR_SIZE + kicked, in->size - kicked);
			kicked = in->size;
		}
	}
	ods_sha256_pipe_final(h, in->sha256);
out:
	ods_sha256_pipe_free(h);
	return er;
}

static enum ods_err
hdr_write(int fd, const struct ods_obj_info *in)
{
	char	h[HDR_SIZE];
	int	n;

	memset(h, 0, sizeof(h));
	n = snprintf(h, sizeof(h), HDR_MAGIC "size=%" PRIu64 "\nsha256=%s\n"
	    "mtime=%" PRId64 "\nctype=%s\nkey=%s\n", in->size, in->sha256,
	    in->mtime, in->ctype, in->key);
	if (n < 0 || n >= HDR_SIZE)
		return ODS_EINTERNAL;
	if (pwrite(fd, h, HDR_SIZE, 0) != HDR_SIZE)
		return errno_err("pwrite");
	return ODS_OK;
}

/* A fresh temporary file in dfd; -1 with errno. */
static int
tmp_open(int dfd, char *name, size_t len)
{
	unsigned char	r[8];
	char		hex[17];

	ods_random(r, sizeof(r));
	ods_hex(r, sizeof(r), hex);
	snprintf(name, len, ".tmp-%s", hex);
	return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0640);
}

/* The parent (made) and a temporary file in it, retried past rmdir races. */
static enum ods_err
put_open(struct dir *d, const char *key, int *dfd, int *fd, char *tmp,
    size_t tmplen, char *name, size_t namelen)
{
	const char	*last;
	int		 tries;

	for (tries = 0; tries < 5; tries++) {
		if ((*dfd = open_parent(d, key, 1, &last)) < 0)
			return errno_err("mkdir");
		if (file_name(last, name, namelen) < 0) {
			close(*dfd);
			return ODS_EINVAL;
		}
		if ((*fd = tmp_open(*dfd, tmp, tmplen)) >= 0)
			return ODS_OK;
		close(*dfd);
		/* A delete removed the empty directory meanwhile. */
		if (errno != ENOENT)
			return errno_err("create");
	}
	return ODS_EIO;
}

static enum ods_err
dir_put(void *be, const char *key, const char *ctype, const char *sha256,
    uint64_t max, ods_obj_reader rd, void *arg, struct ods_obj_info *out)
{
	struct dir		*d = be;
	struct ods_obj_info	 in;
	char			 tmp[32], name[NAME_MAX + 1];
	enum ods_err		 er;
	int			 dfd = -1, fd = -1;

	memset(&in, 0, sizeof(in));
	snprintf(in.key, sizeof(in.key), "%s", key);
	snprintf(in.ctype, sizeof(in.ctype), "%s", ctype);
	in.mtime = (int64_t)time(NULL);
	er = put_open(d, key, &dfd, &fd, tmp, sizeof(tmp), name, sizeof(name));
	if (er != ODS_OK)
		return er;
	if ((er = fill(fd, max, rd, arg, &in)) != ODS_OK)
		goto out;
	if (sha256 != NULL && strcmp(sha256, in.sha256) != 0) {
		er = ODS_ECORRUPT;
		goto out;
	}
	if ((er = hdr_write(fd, &in)) != ODS_OK)
		goto out;
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		er = errno_err("fsync");
		goto out;
	}
	fd = -1;
	if (renameat(dfd, tmp, dfd, name) < 0) {
		er = errno_err("rename");
		goto out;
	}
	tmp[0] = '\0';
	if (fsync(dfd) < 0)
		er = errno_err("fsync_dir");
	if (out != NULL)
		*out = in;
out:
	if (fd >= 0)
		close(fd);
	if (tmp[0] != '\0')
		unlinkat(dfd, tmp, 0);
	close(dfd);
	return er;
}

static enum ods_err
dir_head(void *be, const char *key, struct ods_obj_info *in)
{
	enum ods_err	er;
	int		fd;

	if ((fd = open_object(be, key)) < 0)
		return errno_err("open");
	er = hdr_read(fd, in);
	close(fd);
	return er;
}

static enum ods_err
send_range(int fd, uint64_t off, uint64_t len, const struct ods_obj_sink *s)
{
	char		*buf;
	enum ods_err	 er = ODS_OK;
	ssize_t		 n;
	size_t		 want;

	if ((buf = malloc(IO_SIZE)) == NULL)
		return ODS_ENOMEM;
	while (len > 0) {
		want = len < IO_SIZE ? (size_t)len : IO_SIZE;
		n = pread(fd, buf, want, (off_t)(HDR_SIZE + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			er = n < 0 ? errno_err("pread") : ODS_ECORRUPT;
			break;
		}
		if (s->write(s->arg, buf, (size_t)n) != 0) {
			er = ODS_EIO;
			break;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	free(buf);
	return er;
}

static enum ods_err
dir_get(void *be, const char *key, uint64_t off, uint64_t len,
    const struct ods_obj_sink *s)
{
	struct ods_obj_info	in;
	enum ods_err		er;
	int			fd;

	if ((fd = open_object(be, key)) < 0)
		return errno_err("open");
	if ((er = hdr_read(fd, &in)) != ODS_OK)
		goto out;
	if (off > 0 && off >= in.size) {
		er = ODS_EINVAL;
		goto out;
	}
	if (len > in.size - off)
		len = in.size - off;
	if (s->begin != NULL && s->begin(s->arg, &in, off, len) != 0) {
		er = ODS_EIO;
		goto out;
	}
	er = send_range(fd, off, len, s);
out:
	close(fd);
	return er;
}

/* Remove now-empty directories from key's parent up to o/. */
static void
prune(struct dir *d, const char *key)
{
	char		 name[NAME_MAX + 1], path[ODS_OBJ_KEY_MAX + 1];
	char		*slash;
	const char	*last;
	int		 dfd;

	snprintf(path, sizeof(path), "%s", key);
	while ((slash = strrchr(path, '/')) != NULL) {
		*slash = '\0';
		/* The directory of path's last segment, in its parent. */
		if ((dfd = open_parent(d, path, 0, &last)) < 0)
			return;
		if (seg_encode(last, strlen(last), "", name, sizeof(name)) < 0 ||
		    unlinkat(dfd, name, AT_REMOVEDIR) < 0) {
			close(dfd);
			return;
		}
		close(dfd);
	}
}

static enum ods_err
dir_del(void *be, const char *key)
{
	char		 name[NAME_MAX + 1];
	const char	*last;
	int		 dfd, rc;

	if ((dfd = open_parent(be, key, 0, &last)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? ODS_OK :
		    errno_err("open");
	if (file_name(last, name, sizeof(name)) < 0) {
		close(dfd);
		return ODS_EINVAL;
	}
	rc = unlinkat(dfd, name, 0);
	if (rc == 0)
		fsync(dfd);
	close(dfd);
	if (rc < 0)
		return errno == ENOENT ? ODS_OK : errno_err("unlink");
	prune(be, key);
	return ODS_OK;
}

struct fd_reader {
	int		fd;
	uint64_t	off, left;
};

static long
fd_read(void *arg, char *buf, size_t n)
{
	struct fd_reader	*r = arg;
	ssize_t			 k;

	if (r->left == 0)
		return 0;
	if (n > r->left)
		n = (size_t)r->left;
	do
		k = pread(r->fd, buf, n, (off_t)(HDR_SIZE + r->off));
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return -1;
	r->off += (uint64_t)k;
	r->left -= (uint64_t)k;
	return (long)k;
}

static enum ods_err
dir_copy(void *be, const char *src, const char *dst)
{
	struct ods_obj_info	in;
	struct fd_reader	r;
	enum ods_err		er;
	int			fd;

	if ((fd = open_object(be, src)) < 0)
		return errno_err("open");
	if ((er = hdr_read(fd, &in)) == ODS_OK) {
		r.fd = fd;
		r.off = 0;
		r.left = in.size;
		/* The checksum is verified on the way. */
		er = dir_put(be, dst, in.ctype, in.sha256, 0, fd_read, &r,
		    NULL);
	}
	close(fd);
	return er;
}

/* ---- listing ---- */

struct lister {
	struct dir		*d;
	const char		*prefix;
	size_t			 plen;
	const char		*token;		/* NULL: from the start */
	size_t			 max;
	struct ods_obj_list	*out;
	int			 full;		/* a page is complete */
	enum ods_err		 er;
};

struct ent {
	char	*name;		/* on disk */
	char	*dec;		/* decoded, plus '/' for a directory */
	size_t	 declen;
	int	 isdir;
};

static int
ent_cmp(const void *a, const void *b)
{
	const struct ent	*x = a, *y = b;
	size_t			 n = x->declen < y->declen ? x->declen :
				    y->declen;
	int			 c = memcmp(x->dec, y->dec, n);

	if (c != 0)
		return c;
	return x->declen < y->declen ? -1 : x->declen > y->declen;
}

/* Byte-order comparison of [a, a+an) with the string b. */
static int
bytes_cmp(const char *a, size_t an, const char *b)
{
	size_t	bn = strlen(b), n = an < bn ? an : bn;
	int	c = memcmp(a, b, n);

	return c != 0 ? c : an < bn ? -1 : an > bn;
}

static void walk(struct lister *, int dfd, char *path, size_t plen);

static void
visit(struct lister *l, int dfd, const struct ent *e, char *path,
    size_t plen)
{
	struct ods_obj_info	*it, in;
	size_t			 n = plen + e->declen;
	int			 fd;

	if (n > ODS_OBJ_KEY_MAX + 1)
		return;
	memcpy(path + plen, e->dec, e->declen);
	path[n] = '\0';
	/* Keys under path all start with it. */
	if (strncmp(path, l->prefix, n < l->plen ? n : l->plen) != 0)
		return;
	if (e->isdir) {
		if (l->token != NULL && bytes_cmp(path, n, l->token) < 0 &&
		    strncmp(l->token, path, n) != 0)
			return;
		if ((fd = openat(dfd, e->name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) < 0)
			return;
		walk(l, fd, path, n);
		close(fd);
		return;
	}
	if (n < l->plen || (l->token != NULL && strcmp(path, l->token) <= 0))
		return;
	if ((fd = openat(dfd, e->name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return;
	if (hdr_read(fd, &in) != ODS_OK || strcmp(in.key, path) != 0) {
		ods_log(ODS_LOG_WARN, "objstore_bad_file name=%s", e->name);
		close(fd);
		return;
	}
	close(fd);
	if (l->out->n == l->max) {
		l->full = 1;
		return;
	}
	if ((it = odsi_obj_list_add(l->out, l->max)) == NULL) {
		l->er = ODS_ENOMEM;
		return;
	}
	*it = in;
}

static size_t
read_entries(DIR *dp, struct ent **out)
{
	struct dirent	*de;
	struct ent	*v = NULL, *t;
	size_t		 n = 0, cap = 0, len, nl;
	char		 dec[NAME_MAX + 2];
	int		 isdir;

	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		nl = strlen(de->d_name);
		isdir = de->d_name[nl - 1] != '~';
		if (seg_decode(de->d_name, nl - (isdir ? 0 : 1), dec,
		    &len) < 0)
			continue;
		if (isdir)
			dec[len++] = '/';
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			if ((t = realloc(v, cap * sizeof(*v))) == NULL)
				break;
			v = t;
		}
		v[n].name = ods_xstrdup(de->d_name);
		v[n].dec = ods_xmalloc(len + 1);
		memcpy(v[n].dec, dec, len);
		v[n].dec[len] = '\0';
		v[n].declen = len;
		v[n].isdir = isdir;
		n++;
	}
	*out = v;
	return n;
}

static void
walk(struct lister *l, int dfd, char *path, size_t plen)
{
	struct ent	*v;
	DIR		*dp;
	size_t		 n, i;
	int		 fd;

	if ((fd = dup(dfd)) < 0 || (dp = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		l->er = errno_err("opendir");
		return;
	}
	/* A dup shares the offset: an earlier listing left it at the end. */
	rewinddir(dp);
	n = read_entries(dp, &v);
	closedir(dp);
	qsort(v, n, sizeof(*v), ent_cmp);
	for (i = 0; i < n && !l->full && l->er == ODS_OK; i++)
		visit(l, dfd, &v[i], path, plen);
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].dec);
	}
	free(v);
}

static enum ods_err
dir_list(void *be, const char *prefix, const char *token, size_t max,
    struct ods_obj_list *out)
{
	struct lister	l;
	char		path[ODS_OBJ_KEY_MAX + NAME_MAX + 4];

	memset(&l, 0, sizeof(l));
	l.d = be;
	l.prefix = prefix;
	l.plen = strlen(prefix);
	l.token = token;
	l.max = max;
	l.out = out;
	path[0] = '\0';
	walk(&l, l.d->ofd, path, 0);
	if (l.er == ODS_OK && l.full && out->n > 0)
		out->next = ods_xstrdup(out->items[out->n - 1].key);
	return l.er;
}

static enum ods_err
dir_check(void *be, int timeout_ms)
{
	struct dir	*d = be;
	struct stat	 st;

	(void)timeout_ms;
	if (fstat(d->ofd, &st) < 0 || !S_ISDIR(st.st_mode))
		return ODS_EUNAVAIL;
	if (faccessat(d->ofd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "objstore_not_writable "
		    "root=%s", d->root);
		return ODS_EUNAVAIL;
	}
	return ODS_OK;
}

static void
dir_free(void *be)
{
	struct dir	*d = be;

	if (d == NULL)
		return;
	if (d->ofd >= 0)
		close(d->ofd);
	free(d->root);
	free(d);
}

/* mkdir -p of an absolute or relative path (0750). */
static int
mkdirs(const char *path)
{
	char	buf[PATH_MAX], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0750) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(buf, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

void *
odsi_obj_dir_new(const struct ods_conf *c, const char *root)
{
	struct dir	*d;
	char		 o[PATH_MAX];

	(void)c;
	snprintf(o, sizeof(o), "%s/o", root);
	if (mkdirs(o) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "objstore_mkdir path=%s",
		    o);
		return NULL;
	}
	d = ods_xcalloc(1, sizeof(*d));
	d->root = ods_xstrdup(root);
	if ((d->ofd = open(o, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "objstore_open path=%s",
		    o);
		dir_free(d);
		return NULL;
	}
	return d;
}

const struct odsi_obj_ops odsi_obj_dir_ops = {
	.name = "directory",
	.put = dir_put,
	.get = dir_get,
	.head = dir_head,
	.del = dir_del,
	.copy = dir_copy,
	.list = dir_list,
	.presign = NULL,
	.check = dir_check,
	.free = dir_free,
};
