/*
 * lib/vec/ods_vec_file.c — the on-disk formats of a collection directory:
 *
 *   LOCK                  flock(2) by the one writer
 *   seg-<16 hex>.ovs      an immutable segment (ids, attributes, vectors,
 *                         optional HNSW graph); header CRC32C + payload CRC
 *   MANIFEST-<16 hex>     one generation: params, high-water seq, the
 *                         segments and their tombstone bitmaps; CRC32C
 *   *.tmp                 a file being written (removed by the writer)
 *
 * Every file is written to <name>.tmp, fsynced, renamed, and the
 * directory fsynced. Numbers are little-endian (the host's; the magic
 * doubles as a byte-order check). Section offsets are 64-byte aligned so
 * a mapped file can be read in place.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

#define SEG_MAGIC	"ODSVSEG"
#define MAN_MAGIC	"ODSVMAN"
#define FORMAT_VERSION	1
#define MAN_END		0x444e4556u	/* "VEND" */
#define MAN_MAX		(1u << 30)

long long	odsi_vfile_test_budget = -1;

struct seghdr {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdrsize;
	uint32_t	kind, dim, metric, n;
	uint64_t	file_no;
	uint32_t	m, m0, maxlevel, entry;
	uint64_t	uplen;
	uint64_t	off[8];		/* ids docs kbs vecs l0 levels upoff up */
	uint64_t	total;
	uint32_t	payload_crc;
	uint32_t	header_crc;	/* over the bytes before this field */
};

struct manhdr {
	char		magic[8];
	uint32_t	version;
	uint32_t	hdrsize;
	uint64_t	gen, seq, next_file;
	uint32_t	dim, metric, m, efc, ef, seal, nsegs, pad;
};

struct manseg {
	uint64_t	file_no;
	uint32_t	kind;
	uint32_t	n;
};

enum ods_err
odsi_vfile_errno(const char *what, const char *name)
{
	int	e = errno;

	ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "vec_io op=%s file=%s", what,
	    name);
	if (e == EFBIG || e == EDQUOT || e == ENOSPC)
		return ODS_ENOSPC;
	if (e == ENOENT)
		return ODS_ENOTFOUND;
	if (e == ENOMEM)
		return ODS_ENOMEM;
	return ODS_EIO;
}

/* write(2) in a loop; a test budget simulates a disk that fills up. */
static enum ods_err
write_all(int fd, const void *p, size_t n, uint32_t *crc, const char *name)
{
	const char	*c = p;
	ssize_t		 w;
	size_t		 want;

	if (crc != NULL)
		*crc = odsi_vk_crc32c(*crc, p, n);
	while (n > 0) {
		want = n > (1u << 30) ? (1u << 30) : n;
		if (odsi_vfile_test_budget >= 0 && (long long)want > odsi_vfile_test_budget)
			want = (size_t)odsi_vfile_test_budget;
		if (want == 0) {
			errno = ENOSPC;
			return odsi_vfile_errno("write", name);
		}
		w = write(fd, c, want);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return odsi_vfile_errno("write", name);
		}
		if (odsi_vfile_test_budget >= 0)
			odsi_vfile_test_budget -= w;
		c += w;
		n -= (size_t)w;
	}
	return ODS_OK;
}

/* Fsync, close and rename tmp over name, then fsync the directory. */
static enum ods_err
publish(int dirfd, int fd, const char *tmp, const char *name)
{
	if (fsync(fd) == -1) {
		(void)close(fd);
		return odsi_vfile_errno("fsync", tmp);
	}
	if (close(fd) == -1)
		return odsi_vfile_errno("close", tmp);
	if (renameat(dirfd, tmp, dirfd, name) == -1)
		return odsi_vfile_errno("rename", name);
	if (fsync(dirfd) == -1)
		return odsi_vfile_errno("fsync_dir", name);
	return ODS_OK;
}

/* Bytes of each section: ids docs kbs vecs l0 levels upoff up. */
static void
seg_sizes(const struct vseg_src *s, uint64_t sz[8])
{
	sz[0] = sz[1] = sz[2] = (uint64_t)s->n * 8;
	sz[3] = (uint64_t)s->n * s->dim * 4;
	sz[4] = sz[5] = sz[6] = sz[7] = 0;
	if (s->g != NULL) {
		sz[4] = (uint64_t)s->n * (1 + s->g->m0) * 4;
		sz[5] = s->n;
		sz[6] = (uint64_t)s->n * 4;
		sz[7] = s->g->uplen * 4;
	}
}

static void
seg_layout(const struct vseg_src *s, struct seghdr *h)
{
	uint64_t	sz[8], pos;
	size_t		i;

	memset(h, 0, sizeof(*h));
	memcpy(h->magic, SEG_MAGIC, 8);
	h->version = FORMAT_VERSION;
	h->hdrsize = sizeof(*h);
	h->kind = s->kind;
	h->dim = s->dim;
	h->metric = s->metric;
	h->n = s->n;
	if (s->g != NULL) {
		h->m = s->g->m;
		h->m0 = s->g->m0;
		h->maxlevel = s->g->maxlevel;
		h->entry = s->g->entry;
		h->uplen = s->g->uplen;
	}
	seg_sizes(s, sz);
	pos = sizeof(*h);
	for (i = 0; i < 8; i++) {
		pos += (VSEG_ALIGN - pos % VSEG_ALIGN) % VSEG_ALIGN;
		h->off[i] = pos;
		pos += sz[i];
	}
	h->total = pos;
}

static enum ods_err
seg_body(int fd, const struct vseg_src *s, struct seghdr *h, const char *nm)
{
	static const char	 zero[VSEG_ALIGN];
	const void		*p[8];
	uint64_t		 sz[8], pos = sizeof(*h);
	enum ods_err		 er = ODS_OK;
	size_t			 i;

	p[0] = s->ids, p[1] = s->docs, p[2] = s->kbs, p[3] = s->vecs;
	p[4] = p[5] = p[6] = p[7] = NULL;
	if (s->g != NULL) {
		p[4] = s->g->l0, p[5] = s->g->levels;
		p[6] = s->g->upoff, p[7] = s->g->up;
	}
	seg_sizes(s, sz);
	for (i = 0; i < 8 && er == ODS_OK; i++) {
		er = write_all(fd, zero, h->off[i] - pos, &h->payload_crc, nm);
		if (er == ODS_OK && sz[i] > 0)
			er = write_all(fd, p[i], sz[i], &h->payload_crc, nm);
		pos = h->off[i] + sz[i];
	}
	return er;
}

enum ods_err
odsi_vfile_write_seg(int dirfd, uint64_t file_no, const struct vseg_src *s)
{
	struct seghdr	h;
	char		name[64], tmp[72];
	enum ods_err	er;
	int		fd;

	(void)snprintf(name, sizeof(name), "seg-%016" PRIx64 ".ovs", file_no);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	seg_layout(s, &h);
	h.file_no = file_no;
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return odsi_vfile_errno("open", tmp);
	if ((er = write_all(fd, &h, sizeof(h), NULL, tmp)) != ODS_OK ||
	    (er = seg_body(fd, s, &h, tmp)) != ODS_OK)
		goto fail;
	h.header_crc = odsi_vk_crc32c(0, &h, offsetof(struct seghdr, header_crc));
	if (pwrite(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h)) {
		er = odsi_vfile_errno("pwrite", tmp);
		goto fail;
	}
	if ((er = publish(dirfd, fd, tmp, name)) != ODS_OK) {
		(void)unlinkat(dirfd, tmp, 0);
		return er;
	}
	return ODS_OK;
fail:
	(void)close(fd);
	(void)unlinkat(dirfd, tmp, 0);
	return er;
}

void
odsi_vseg_ref(struct vseg *g)
{
	__atomic_add_fetch(&g->refs, 1, __ATOMIC_RELAXED);
}

void
odsi_vseg_unref(struct vseg *g)
{
	size_t	i;

	if (g == NULL || __atomic_sub_fetch(&g->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (g->map != NULL)
		(void)munmap(g->map, g->maplen);
	for (i = 0; i < ODS_NELEM(g->own); i++)
		free(g->own[i]);
	free(g);
}

/* Every section inside the file, aligned, and in the order written. */
static int
seg_bounds_ok(const struct seghdr *h, size_t flen)
{
	struct vseg_src	s;
	struct odsi_vhnsw_build b;
	uint64_t	sz[8], end = sizeof(*h);
	size_t		i;

	memset(&s, 0, sizeof(s));
	memset(&b, 0, sizeof(b));
	s.n = h->n, s.dim = h->dim;
	if (h->kind == VSEG_HNSW) {
		b.m0 = h->m0, b.uplen = h->uplen;
		s.g = &b;
	}
	if (h->uplen > UINT32_MAX || h->m0 > 4096)
		return 0;
	seg_sizes(&s, sz);
	for (i = 0; i < 8; i++) {
		if (h->off[i] % VSEG_ALIGN != 0 || h->off[i] < end ||
		    sz[i] > flen || h->off[i] > flen - sz[i])
			return 0;
		end = h->off[i] + sz[i];
	}
	return end == h->total && h->total == flen;
}

static enum ods_err
seg_check(const struct seghdr *h, size_t flen, uint64_t file_no,
    uint32_t dim, uint32_t metric)
{
	if (flen < sizeof(*h) || memcmp(h->magic, SEG_MAGIC, 8) != 0 ||
	    h->version != FORMAT_VERSION || h->hdrsize != sizeof(*h))
		return ODS_ECORRUPT;
	if (h->header_crc !=
	    odsi_vk_crc32c(0, h, offsetof(struct seghdr, header_crc)))
		return ODS_ECORRUPT;
	if (h->file_no != file_no || h->dim != dim || h->metric != metric ||
	    (h->kind != VSEG_FLAT && h->kind != VSEG_HNSW) ||
	    !seg_bounds_ok(h, flen))
		return ODS_ECORRUPT;
	return ODS_OK;
}

static void
seg_view(struct vseg *g, const struct seghdr *h, const char *base)
{
	g->file_no = h->file_no;
	g->kind = h->kind;
	g->dim = h->dim;
	g->metric = h->metric;
	g->n = h->n;
	g->ids = (const int64_t *)(base + h->off[0]);
	g->docs = (const int64_t *)(base + h->off[1]);
	g->kbs = (const int64_t *)(base + h->off[2]);
	g->vecs = (const float *)(base + h->off[3]);
	if (h->kind != VSEG_HNSW)
		return;
	g->m = h->m;
	g->m0 = h->m0;
	g->maxlevel = h->maxlevel;
	g->entry = h->entry;
	g->l0 = (const uint32_t *)(base + h->off[4]);
	g->levels = (const uint8_t *)(base + h->off[5]);
	g->upoff = (const uint32_t *)(base + h->off[6]);
	g->up = (const uint32_t *)(base + h->off[7]);
	g->uplen = h->uplen;
}

enum ods_err
odsi_vfile_map_seg(int dirfd, uint64_t file_no, uint32_t dim, uint32_t metric,
    struct vseg **out)
{
	struct vseg	*g = NULL;
	struct stat	 st;
	const struct seghdr *h;
	char		 name[64];
	enum ods_err	 er;
	void		*map;
	int		 fd;

	*out = NULL;
	(void)snprintf(name, sizeof(name), "seg-%016" PRIx64 ".ovs", file_no);
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return odsi_vfile_errno("open", name);
	if (fstat(fd, &st) == -1) {
		er = odsi_vfile_errno("fstat", name);
		(void)close(fd);
		return er;
	}
	if ((size_t)st.st_size < sizeof(struct seghdr)) {
		(void)close(fd);
		ods_log(ODS_LOG_ERR, "vec_corrupt file=%s why=short", name);
		return ODS_ECORRUPT;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	er = map == MAP_FAILED ? odsi_vfile_errno("mmap", name) : ODS_OK;
	(void)close(fd);
	if (er != ODS_OK)
		return er;
	h = map;
	if ((er = seg_check(h, (size_t)st.st_size, file_no, dim, metric)) !=
	    ODS_OK || h->payload_crc != odsi_vk_crc32c(0, (const char *)map +
	    sizeof(*h), (size_t)st.st_size - sizeof(*h))) {
		ods_log(ODS_LOG_ERR, "vec_corrupt file=%s why=check", name);
		(void)munmap(map, (size_t)st.st_size);
		return ODS_ECORRUPT;
	}
	g = ods_xcalloc(1, sizeof(*g));
	g->map = map;
	g->maplen = (size_t)st.st_size;
	g->refs = 1;
	seg_view(g, h, map);
	if (g->kind == VSEG_HNSW && odsi_vhnsw_validate(g) != 0) {
		ods_log(ODS_LOG_ERR, "vec_corrupt file=%s why=graph", name);
		odsi_vseg_unref(g);
		return ODS_ECORRUPT;
	}
	*out = g;
	return ODS_OK;
}

static enum ods_err
man_body(int fd, const struct vman *m, uint32_t *crc, const char *nm)
{
	struct manhdr	h;
	struct manseg	s;
	enum ods_err	er;
	uint32_t	i;

	memset(&h, 0, sizeof(h));
	memcpy(h.magic, MAN_MAGIC, 8);
	h.version = FORMAT_VERSION;
	h.hdrsize = sizeof(h);
	h.gen = m->gen, h.seq = m->seq, h.next_file = m->next_file;
	h.dim = m->dim, h.metric = m->metric, h.m = m->m, h.efc = m->efc;
	h.ef = m->ef, h.seal = m->seal, h.nsegs = m->nsegs;
	if ((er = write_all(fd, &h, sizeof(h), crc, nm)) != ODS_OK)
		return er;
	for (i = 0; i < m->nsegs; i++) {
		memset(&s, 0, sizeof(s));
		s.file_no = m->segs[i].file_no;
		s.kind = m->segs[i].kind;
		s.n = m->segs[i].n;
		if ((er = write_all(fd, &s, sizeof(s), crc, nm)) != ODS_OK ||
		    (er = write_all(fd, m->segs[i].dead,
		    VBITS_WORDS(s.n) * 8, crc, nm)) != ODS_OK)
			return er;
	}
	return ODS_OK;
}

enum ods_err
odsi_vfile_write_man(int dirfd, const struct vman *m)
{
	char		name[64], tmp[72];
	uint32_t	crc = 0, tail[2];
	enum ods_err	er;
	int		fd;

	(void)snprintf(name, sizeof(name), "MANIFEST-%016" PRIx64, m->gen);
	(void)snprintf(tmp, sizeof(tmp), "%s.tmp", name);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd == -1)
		return odsi_vfile_errno("open", tmp);
	if ((er = man_body(fd, m, &crc, tmp)) == ODS_OK) {
		tail[0] = crc;
		tail[1] = MAN_END;
		er = write_all(fd, tail, sizeof(tail), NULL, tmp);
	}
	if (er != ODS_OK) {
		(void)close(fd);
		(void)unlinkat(dirfd, tmp, 0);
		return er;
	}
	if ((er = publish(dirfd, fd, tmp, name)) != ODS_OK)
		(void)unlinkat(dirfd, tmp, 0);
	return er;
}

void
odsi_vman_fini(struct vman *m)
{
	uint32_t	i;

	for (i = 0; m->segs != NULL && i < m->nsegs; i++)
		free(m->segs[i].dead);
	free(m->segs);
	m->segs = NULL;
	m->nsegs = 0;
}

static enum ods_err
read_file(int dirfd, const char *name, char **out, size_t *len)
{
	struct stat	 st;
	enum ods_err	 er = ODS_OK;
	ssize_t		 r;
	size_t		 off = 0;
	char		*buf;
	int		 fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return odsi_vfile_errno("open", name);
	if (fstat(fd, &st) == -1 || st.st_size > MAN_MAX) {
		er = st.st_size > MAN_MAX ? ODS_ECORRUPT :
		    odsi_vfile_errno("fstat", name);
		(void)close(fd);
		return er;
	}
	buf = ods_xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, buf + off, (size_t)st.st_size - off);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			er = r == 0 ? ODS_ECORRUPT : odsi_vfile_errno("read", name);
			break;
		}
		off += (size_t)r;
	}
	(void)close(fd);
	if (er != ODS_OK) {
		free(buf);
		return er;
	}
	*out = buf;
	*len = off;
	return ODS_OK;
}

static enum ods_err
man_parse(const char *b, size_t len, uint64_t gen, struct vman *m)
{
	struct manhdr	h;
	struct manseg	s;
	size_t		off = sizeof(h), words;
	uint32_t	i;

	memcpy(&h, b, sizeof(h));
	if (memcmp(h.magic, MAN_MAGIC, 8) != 0 || h.version != FORMAT_VERSION ||
	    h.hdrsize != sizeof(h) || h.gen != gen || h.dim == 0 ||
	    h.dim > ODS_VEC_MAX_DIM || h.nsegs > (len - off) / sizeof(s))
		return ODS_ECORRUPT;
	memset(m, 0, sizeof(*m));
	m->gen = h.gen, m->seq = h.seq, m->next_file = h.next_file;
	m->dim = h.dim, m->metric = h.metric, m->m = h.m, m->efc = h.efc;
	m->ef = h.ef, m->seal = h.seal;
	m->segs = ods_xcalloc(h.nsegs + 1, sizeof(*m->segs));
	for (i = 0; i < h.nsegs; i++, m->nsegs++) {
		if (len - off < sizeof(s))
			return ODS_ECORRUPT;
		memcpy(&s, b + off, sizeof(s));
		off += sizeof(s);
		words = VBITS_WORDS(s.n);
		if ((len - off) / 8 < words ||
		    (s.kind != VSEG_FLAT && s.kind != VSEG_HNSW))
			return ODS_ECORRUPT;
		m->segs[i].file_no = s.file_no;
		m->segs[i].kind = s.kind;
		m->segs[i].n = s.n;
		m->segs[i].dead = ods_xcalloc(words + 1, 8);
		memcpy(m->segs[i].dead, b + off, words * 8);
		off += words * 8;
	}
	return off == len ? ODS_OK : ODS_ECORRUPT;
}

enum ods_err
odsi_vfile_read_man(int dirfd, uint64_t gen, struct vman *m)
{
	char		 name[64], *buf = NULL;
	uint32_t	 tail[2];
	size_t		 len = 0;
	enum ods_err	 er;

	memset(m, 0, sizeof(*m));
	(void)snprintf(name, sizeof(name), "MANIFEST-%016" PRIx64, gen);
	if ((er = read_file(dirfd, name, &buf, &len)) != ODS_OK)
		return er;
	er = ODS_ECORRUPT;
	if (len >= sizeof(struct manhdr) + sizeof(tail)) {
		memcpy(tail, buf + len - sizeof(tail), sizeof(tail));
		len -= sizeof(tail);
		if (tail[1] == MAN_END && tail[0] == odsi_vk_crc32c(0, buf, len))
			er = man_parse(buf, len, gen, m);
	}
	free(buf);
	if (er != ODS_OK) {
		odsi_vman_fini(m);
		ods_log(ODS_LOG_ERR, "vec_corrupt file=%s why=manifest", name);
	}
	return er;
}

/* "PREFIX<16 hex>SUFFIX" -> number; -1 when the name is something else. */
static int
parse_name(const char *s, const char *pre, const char *suf, uint64_t *v)
{
	size_t	np = strlen(pre), i;

	if (strncmp(s, pre, np) != 0 || strlen(s) != np + 16 + strlen(suf) ||
	    strcmp(s + np + 16, suf) != 0)
		return -1;
	*v = 0;
	for (i = 0; i < 16; i++) {
		if (!((s[np + i] >= '0' && s[np + i] <= '9') ||
		    (s[np + i] >= 'a' && s[np + i] <= 'f')))
			return -1;
		*v = *v << 4 | (uint64_t)(s[np + i] <= '9' ? s[np + i] - '0' :
		    s[np + i] - 'a' + 10);
	}
	return 0;
}

static int
u64_desc(const void *a, const void *b)
{
	uint64_t	x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x > y ? -1 : x < y;
}

static DIR *
dir_open(int dirfd)
{
	int	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR	*d;

	if (fd == -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL)
		(void)close(fd);
	return d;
}

enum ods_err
odsi_vfile_list_gens(int dirfd, uint64_t **gens, size_t *n)
{
	struct dirent	*e;
	uint64_t	*a = NULL, v;
	size_t		 cap = 0;
	DIR		*d;

	*n = 0;
	if ((d = dir_open(dirfd)) == NULL)
		return odsi_vfile_errno("opendir", ".");
	while ((e = readdir(d)) != NULL) {
		if (parse_name(e->d_name, "MANIFEST-", "", &v) == -1)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			a = ods_xrealloc(a, cap * sizeof(*a));
		}
		a[(*n)++] = v;
	}
	(void)closedir(d);
	if (*n > 0)
		qsort(a, *n, sizeof(*a), u64_desc);
	*gens = a;
	return ODS_OK;
}

static int
kept(const struct vman *const *keep, size_t nkeep, uint64_t v, int seg)
{
	size_t		i;
	uint32_t	j;

	for (i = 0; i < nkeep; i++) {
		if (!seg && keep[i]->gen == v)
			return 1;
		for (j = 0; seg && j < keep[i]->nsegs; j++)
			if (keep[i]->segs[j].file_no == v)
				return 1;
	}
	return 0;
}

void
odsi_vfile_gc(int dirfd, const struct vman *const *keep, size_t nkeep)
{
	struct dirent	*e;
	uint64_t	 v;
	size_t		 len = 0;
	int		 drop;
	DIR		*d;

	if ((d = dir_open(dirfd)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		drop = len > 4 && strcmp(e->d_name + len - 4, ".tmp") == 0;
		/* A segment being written by ods_vec_merge is kept. */
		if (drop && parse_name(e->d_name, "seg-", ".ovs.tmp", &v) == 0)
			drop = !kept(keep, nkeep, v, 1);
		else if (parse_name(e->d_name, "MANIFEST-", "", &v) == 0)
			drop = !kept(keep, nkeep, v, 0);
		else if (parse_name(e->d_name, "seg-", ".ovs", &v) == 0)
			drop = !kept(keep, nkeep, v, 1);
		if (drop && unlinkat(dirfd, e->d_name, 0) == -1)
			(void)odsi_vfile_errno("unlink", e->d_name);
	}
	(void)closedir(d);
}

uint64_t
odsi_vfile_max_seg(int dirfd)
{
	struct dirent	*e;
	uint64_t	 v, max = 0;
	DIR		*d;

	if ((d = dir_open(dirfd)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (parse_name(e->d_name, "seg-", ".ovs", &v) == 0 && v > max)
			max = v;
	(void)closedir(d);
	return max;
}

void
odsi_vfile_drop_seg(int dirfd, uint64_t file_no)
{
	char	name[64];

	(void)snprintf(name, sizeof(name), "seg-%016" PRIx64 ".ovs", file_no);
	if (unlinkat(dirfd, name, 0) == -1)
		(void)odsi_vfile_errno("unlink", name);
}
