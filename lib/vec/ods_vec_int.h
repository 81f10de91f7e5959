/*
 * lib/vec/ods_vec_int.h — what the lib/vec files share: the segment
 * view, SIMD kernels, the HNSW builder/searcher and the file formats of
 * ods_vec, and the character classes of ods_embed and ods_kw. Nothing
 * outside lib/vec/ includes it but the fuzz targets.
 */
#ifndef ODS_VEC_PRIVATE_H
#define ODS_VEC_PRIVATE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"

struct ods_vec_filter;

/* Segment kinds: FLAT is searched exactly, HNSW carries a graph. */
#define VSEG_FLAT	1
#define VSEG_HNSW	2

#define VSEG_ALIGN	64
#define VHNSW_MAXLEVEL	30	/* levels above this are clamped */

/*
 * A read-only view of one segment: arrays in a mapped file (map != NULL),
 * or in malloc'd buffers (own != NULL). Segments are immutable once built
 * and shared by generations through refs.
 */
struct vseg {
	uint64_t	 file_no;
	uint32_t	 kind;
	uint32_t	 dim;
	uint32_t	 metric;
	uint32_t	 n;
	const int64_t	*ids;
	const int64_t	*docs;
	const int64_t	*kbs;
	const float	*vecs;
	/* HNSW only */
	uint32_t	 m;		/* max links above level 0 */
	uint32_t	 m0;		/* max links at level 0 (2 * m) */
	uint32_t	 maxlevel;
	uint32_t	 entry;
	const uint32_t	*l0;		/* n * (1 + m0): count, links */
	const uint8_t	*levels;	/* n */
	const uint32_t	*upoff;		/* n: word offset into up */
	const uint32_t	*up;		/* per level >= 1: count, m links */
	size_t		 uplen;		/* words in up */
	/* storage */
	void		*map;
	size_t		 maplen;
	void		*own[8];
	int		 refs;		/* atomic */
};

/* A candidate: internal slot and distance (lower is better). */
struct vcand {
	float		 dist;
	uint32_t	 slot;
};

/* What a search keeps: dead bitmap (may be NULL) and attribute filter. */
struct vsel {
	const uint64_t			*dead;
	const struct ods_vec_filter	*filter;
	const int64_t			*docs_sorted;	/* filter doc ids */
	size_t				 ndocs;
};

/* Kernels (ods_vec_kern.c); call odsi_vk_init() once before use. */
void		 odsi_vk_init(void);
extern float	(*odsi_vk_dot)(const float *, const float *, size_t);
extern float	(*odsi_vk_l2)(const float *, const float *, size_t);
void		 odsi_vk_dot_rows(const float *q, const float *rows, size_t nrows,
		    size_t dim, float *out);
void		 odsi_vk_l2_rows(const float *q, const float *rows, size_t nrows,
		    size_t dim, float *out);
uint32_t	 odsi_vk_crc32c(uint32_t crc, const void *, size_t);
const char	*odsi_vk_isa(void);
/* Test hook: "generic", "avx2" or NULL (best); not while searching. */
void		 odsi_vk_force_isa(const char *);

/* Distance for a metric, lower is better: -dot, or squared L2. */
float		 odsi_vdist(uint32_t metric, const float *, const float *, size_t);

/* Bounded max-heap of candidates (worst on top). */
struct vheap {
	struct vcand	*a;
	size_t		 n, cap;
};
void		 odsi_vheap_push(struct vheap *, float dist, uint32_t slot);
void		 odsi_vheap_pop(struct vheap *);
/* Sorts the heap contents ascending by distance in place; n unchanged. */
void		 odsi_vheap_sort(struct vheap *);
/* qsort order of candidates: distance, then slot. */
int		 odsi_vcand_cmp(const void *, const void *);

int		 odsi_vsel_ok(const struct vsel *, const struct vseg *, uint32_t);

/* Exact top-k over a segment; out has room for k. Returns count. */
size_t		 odsi_vseg_exact(const struct vseg *, const struct vsel *,
		    const float *q, size_t k, struct vcand *out);

/* HNSW (ods_vec_hnsw.c). */
struct odsi_vhnsw_build {
	uint32_t	 n, dim, metric, m, m0, efc;
	const float	*vecs;
	uint32_t	*l0;
	uint8_t		*levels;
	uint32_t	*upoff;
	uint32_t	*up;
	size_t		 uplen;
	uint32_t	 entry, maxlevel;
	const int	*cancel;	/* non-zero: give up (may be NULL) */
};
/*
 * Builds a graph over vecs[n * dim]; arrays are malloc'd into b. Returns
 * ODS_EUNAVAIL when *b->cancel was set meanwhile (checked every 1 024
 * items).
 */
enum ods_err	 odsi_vhnsw_build(struct odsi_vhnsw_build *, uint64_t seed);
void		 odsi_vhnsw_build_free(struct odsi_vhnsw_build *);
size_t		 odsi_vhnsw_search(const struct vseg *, const struct vsel *,
		    const float *q, size_t k, size_t ef, struct vcand *out);
/* Structural check of a mapped graph; 0 when sound. */
int		 odsi_vhnsw_validate(const struct vseg *);

/* Files (ods_vec_file.c). */
struct vseg_src {
	uint32_t	 kind, dim, metric, n;
	const int64_t	*ids, *docs, *kbs;
	const float	*vecs;
	const struct odsi_vhnsw_build *g;	/* NULL for FLAT */
};
enum ods_err	 odsi_vfile_write_seg(int dirfd, uint64_t file_no,
		    const struct vseg_src *) ODS_MUSTCHECK;
enum ods_err	 odsi_vfile_map_seg(int dirfd, uint64_t file_no, uint32_t dim,
		    uint32_t metric, struct vseg **out) ODS_MUSTCHECK;
void		 odsi_vseg_ref(struct vseg *);
void		 odsi_vseg_unref(struct vseg *);

struct vman_seg {
	uint64_t	 file_no;
	uint32_t	 kind;
	uint32_t	 n;
	uint64_t	*dead;		/* (n + 63) / 64 words */
};
struct vman {
	uint64_t	 gen;
	uint64_t	 seq;
	uint64_t	 next_file;
	uint32_t	 dim, metric, m, efc, ef, seal;
	uint32_t	 nsegs;
	struct vman_seg	*segs;
};
enum ods_err	 odsi_vfile_write_man(int dirfd, const struct vman *) ODS_MUSTCHECK;
enum ods_err	 odsi_vfile_read_man(int dirfd, uint64_t gen, struct vman *)
		    ODS_MUSTCHECK;
void		 odsi_vman_fini(struct vman *);
/* Generations with a MANIFEST file, newest first; caller frees. */
enum ods_err	 odsi_vfile_list_gens(int dirfd, uint64_t **gens, size_t *n)
		    ODS_MUSTCHECK;
/*
 * Unlink what no manifest in keep[] references, and stale temp files
 * (but not the temp file of a segment keep[] references).
 */
void		 odsi_vfile_gc(int dirfd, const struct vman *const *keep, size_t n);
enum ods_err	 odsi_vfile_errno(const char *what, const char *name);
/* Unlink one segment file (a publish that failed). */
void		 odsi_vfile_drop_seg(int dirfd, uint64_t file_no);
/* Highest seg-<n>.ovs number in the directory (0 when none). */
uint64_t	 odsi_vfile_max_seg(int dirfd);
/* Test hook: bytes writes may still add before failing with ENOSPC; -1 off. */
extern long long odsi_vfile_test_budget;

#define VBITS_WORDS(n)	(((size_t)(n) + 63) / 64)
#define VBIT_GET(b, i)	(((b)[(i) >> 6] >> ((i) & 63)) & 1)
#define VBIT_SET(b, i)	((b)[(i) >> 6] |= (uint64_t)1 << ((i) & 63))

/* The handle (ods_vec.c: open, refresh, search; ods_vec_write.c: changes). */
#define VGROW_REF	0xffffffffu	/* idmap ref of a growing item */

struct gseg {			/* a segment as one generation sees it */
	struct vseg	*seg;		/* one reference held */
	uint64_t	*dead;		/* tombstones, owned */
	size_t		 ndead;
};

struct vgen {
	uint64_t	 gen;
	uint64_t	 seq;
	uint64_t	 next_file;	/* from the manifest */
	struct gseg	*s;
	size_t		 n;
};

struct vgrow {			/* the writer's growing segment */
	int64_t		*ids, *docs, *kbs;
	float		*vecs;
	uint64_t	*dead;
	uint32_t	 n, cap, ndead;
};

struct vident {
	int64_t		 id;
	uint32_t	 ref;		/* file_no, VGROW_REF, 0: empty */
	uint32_t	 slot;
};

struct vidmap {
	struct vident	*t;
	size_t		 cap, n;
};

struct ods_vec {
	char			*dir;
	int			 dirfd;
	int			 lockfd;	/* writer only */
	int			 writer;
	struct ods_vec_params	 p;
	pthread_rwlock_t	 lock;		/* cur, g: searches read */
	pthread_mutex_t		 wmu;		/* serialises changes/refresh */
	struct vgen		 cur;
	uint64_t		 next_file;
	uint64_t		 next_gen;
	uint64_t		 seq;		/* applied (writer) */
	int			 dirty;
	struct vgrow		 g;
	struct vidmap		 map;
	int			 merging;	/* ods_vec_merge building */
	uint64_t		 merge_fno;	/* its file, kept by gc */
	int			 merge_stop;	/* ods_vec_merge_cancel (atomic) */
};

void		 odsi_vgen_free(struct vgen *);
/* Writer helpers (ods_vec_write.c). */
void		 odsi_vw_fini(struct ods_vec *);
enum ods_err	 odsi_vw_start(struct ods_vec *) ODS_MUSTCHECK;


/*
 * Text (ods_embed.c, ods_kw_tok.c): the character classes the embedder
 * and the keyword index cut text with, so that both see the same words:
 * UTF-8 decoding (an invalid byte is U+FFFD, a separator), word / CJK /
 * separator classes, case folding. Static inline: both run them per
 * character.
 */
enum odsi_vt_class { ODSI_VT_SEP, ODSI_VT_WORD, ODSI_VT_CJK };

/* Decode one code point; invalid input yields U+FFFD and one byte. */
static inline uint32_t
odsi_vt_next(const unsigned char *s, size_t len, size_t *adv)
{
	uint32_t	c = s[0], min;
	size_t		n, i;

	*adv = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07, min = 0x10000;
	else
		return 0xfffd;
	if (len < n)
		return 0xfffd;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0xfffd;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0xfffd;
	*adv = n;
	return c;
}

static inline int
odsi_vt_is_cjk(uint32_t c)
{
	return (c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x20000 && c <= 0x2ebef) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0x3040 && c <= 0x30ff) || (c >= 0xac00 && c <= 0xd7af) ||
	    (c >= 0x1100 && c <= 0x11ff) || (c >= 0x3130 && c <= 0x318f);
}

static inline int
odsi_vt_is_sep(uint32_t c)
{
	if (c < 0x80)
		return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z') || c == '_');
	return c < 0xc0 || c == 0xd7 || c == 0xf7 ||
	    (c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff0f) ||
	    (c >= 0xff1a && c <= 0xff20) || (c >= 0xff3b && c <= 0xff40) ||
	    (c >= 0xff5b && c <= 0xff65) || c == 0xfffd || c == 0xfeff ||
	    (c >= 0xe000 && c <= 0xf8ff) || (c >= 0x1f000 && c <= 0x1faff);
}

/* Case folding for ASCII, Latin-1, Greek, Cyrillic; fullwidth to ASCII. */
static inline uint32_t
odsi_vt_fold(uint32_t c)
{
	if (c >= 0xff10 && c <= 0xff5a)
		c -= 0xfee0;
	if ((c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9) || (c >= 0x410 && c <= 0x42f))
		return c + 0x20;
	if (c >= 0x400 && c <= 0x40f)
		return c + 0x50;
	return c;
}

static inline enum odsi_vt_class
odsi_vt_classify(uint32_t c)
{
	if (odsi_vt_is_cjk(c))
		return ODSI_VT_CJK;
	return odsi_vt_is_sep(c) ? ODSI_VT_SEP : ODSI_VT_WORD;
}

/*
 * Keyword queries (ods_kw_tok.c): the distinct tokens of a query, the
 * first ODS_KW_MAX_QTERMS, NUL-terminated in buf; lone marks a lone CJK
 * character (matched as a prefix). odsi_kw_expr quotes and ORs the terms
 * whose drop[i] is 0 (drop NULL: all) into a malloc'ed *out. stem: the
 * words of ASCII letters become their English stems (files of format 2
 * on; ods_kw_tokenize and ods_kw_match always stem).
 */
#define ODSI_KW_WORD	64	/* bytes kept of a word */
struct odsi_kw_terms {
	size_t		 n;
	const char	*term[ODS_KW_MAX_QTERMS];
	size_t		 len[ODS_KW_MAX_QTERMS];
	char		 lone[ODS_KW_MAX_QTERMS];
	char		 buf[ODS_KW_MAX_QTERMS * (ODSI_KW_WORD + 1)];
};
void		 odsi_kw_terms(const char *, size_t, int stem,
		    struct odsi_kw_terms *);
size_t		 odsi_kw_tokenize(const char *, size_t, int stem, char *out,
		    size_t outlen);
uint32_t	 odsi_kw_hash(const char *, size_t);	/* FNV-1a */
enum ods_err	 odsi_kw_expr(const struct odsi_kw_terms *, const char *drop,
		    char **out) ODS_MUSTCHECK;

#endif /* ODS_VEC_PRIVATE_H */
