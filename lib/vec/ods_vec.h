/*
 * lib/vec/ods_vec.h — vector collections: exact + HNSW search, crash-safe
 * files shared read-only by any number of processes.
 *
 * A collection is a directory. Changes go to a small in-memory *growing*
 * segment searched exactly; ods_vec_commit() writes it as a flat segment
 * file and publishes a new generation (MANIFEST-<gen>); once the flat
 * segments hold seal_threshold items they are *sealed* into one segment
 * with an HNSW graph. Files are written to a temporary name, fsynced,
 * renamed, and the directory fsynced; every file carries a magic, a
 * format version and a CRC32C. Tombstones live in the manifest.
 *
 * Threading: a handle may be shared by threads. Searches run in parallel
 * (read lock); add/delete/commit/seal/compact/refresh take the write lock
 * only for the moment they publish. One writer handle per collection on
 * the machine (flock on LOCK); readers need no lock and see a generation
 * only once it is complete. The lock fd is close-on-exec; do not fork a
 * writer with the handle open.
 *
 * Scores: cosine -> max(0, cos) in [0,1], ranking by cos; inner product
 * -> the raw dot product; L2 -> 1 / (1 + squared distance). Higher is
 * better for every metric; score_threshold keeps score >= t.
 */
#ifndef ODS_VEC_H
#define ODS_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_vec;

enum ods_vec_metric {
	ODS_VEC_COSINE = 1,
	ODS_VEC_IP = 2,
	ODS_VEC_L2 = 3
};

#define ODS_VEC_MAX_DIM		4096
#define ODS_VEC_MAX_K		1024
#define ODS_VEC_MAX_EF		4096
#define ODS_VEC_MAX_BATCH	1048576	/* items per ods_vec_add call */

struct ods_vec_params {
	uint32_t		dim;		/* 1..ODS_VEC_MAX_DIM */
	enum ods_vec_metric	metric;
	uint32_t		m;		/* HNSW links per node (16) */
	uint32_t		ef_construction;	/* (200) */
	uint32_t		ef_search;	/* default per-query ef (64) */
	uint32_t		seal_threshold;	/* items to seal (8192) */
};

/* Fills in the defaults above for dim and metric. */
void		 ods_vec_params_init(struct ods_vec_params *, uint32_t dim,
		    enum ods_vec_metric);

/* One item. vec has dim floats, copied (normalised for cosine). */
struct ods_vec_item {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	const float	*vec;
};

/*
 * Attribute filter: items whose kb_id equals kb_id (when has_kb) and whose
 * doc_id is one of doc_ids[0..ndoc_ids) (when ndoc_ids > 0; any order,
 * at most 65536). Borrowed for the duration of the call.
 */
struct ods_vec_filter {
	int		 has_kb;
	int64_t		 kb_id;
	const int64_t	*doc_ids;
	size_t		 ndoc_ids;
};

#define ODS_VEC_EXACT		0x1	/* scan every vector */
#define ODS_VEC_THRESHOLD	0x2	/* apply score_threshold */

struct ods_vec_query {
	const float			*vec;	/* dim floats */
	size_t				 k;	/* 1..ODS_VEC_MAX_K */
	uint32_t			 ef;	/* 0: collection default */
	int				 flags;
	float				 score_threshold;
	const struct ods_vec_filter	*filter;	/* NULL: none */
};

struct ods_vec_hit {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	float		 score;		/* higher is better, see above */
	float		 raw;		/* cos, dot, or squared L2 */
};

struct ods_vec_stats {
	struct ods_vec_params	params;
	uint64_t		generation;	/* visible generation */
	uint64_t		seq;		/* last applied change */
	uint64_t		seq_committed;	/* persisted high-water mark */
	size_t			live;		/* searchable items */
	size_t			dead;		/* tombstoned, not compacted */
	size_t			growing;	/* uncommitted items */
	size_t			live_flat;	/* searched exactly: live items
						   of flat segments, growing */
	size_t			segments_flat;
	size_t			segments_hnsw;
	const char		*isa;		/* "avx512", "avx2", "generic" */
};

/*
 * Open dir as the one writer. With create != NULL a missing collection is
 * created (the directory too) and an existing one must have the same dim
 * and metric (m/ef values in create replace the stored ones); with NULL it
 * must exist. Returns ODS_OK, ODS_ECONFLICT (another writer holds it, or
 * params differ), ODS_ENOTFOUND, ODS_EINVAL (bad params), ODS_ECORRUPT (no
 * valid generation), ODS_EIO, ODS_ENOSPC, ODS_ENOMEM.
 */
enum ods_err	 ods_vec_open_writer(const char *dir,
		    const struct ods_vec_params *create, struct ods_vec **out)
		    ODS_MUSTCHECK;

/*
 * Open dir read-only at its newest valid generation (an older one when
 * the newest is corrupt). Returns ODS_OK, ODS_ENOTFOUND, ODS_ECORRUPT,
 * ODS_EIO, ODS_ENOMEM.
 */
enum ods_err	 ods_vec_open_reader(const char *dir, struct ods_vec **out)
		    ODS_MUSTCHECK;

/* Releases the handle (and the writer lock). NULL is a no-op. */
void		 ods_vec_close(struct ods_vec *);

/*
 * Writer: add n items as change seq, which must exceed every seq applied
 * so far. An id already present is replaced (its old vector is
 * tombstoned). Visible to this handle at once, to readers after commit.
 * Returns ODS_OK, ODS_EINVAL (seq not increasing, NaN/Inf, zero vector
 * under cosine, reader handle), ODS_ETOOBIG (n > ODS_VEC_MAX_BATCH),
 * ODS_ENOMEM.
 */
enum ods_err	 ods_vec_add(struct ods_vec *, uint64_t seq,
		    const struct ods_vec_item *, size_t n) ODS_MUSTCHECK;

/* Writer: tombstone item id as change seq; *ndeleted (may be NULL) is 0/1. */
enum ods_err	 ods_vec_delete(struct ods_vec *, uint64_t seq, int64_t id,
		    size_t *ndeleted) ODS_MUSTCHECK;

/* Writer: tombstone every item matching f (at least one condition). */
enum ods_err	 ods_vec_delete_where(struct ods_vec *, uint64_t seq,
		    const struct ods_vec_filter *f, size_t *ndeleted)
		    ODS_MUSTCHECK;

/*
 * Writer: persist everything applied and publish a new generation; seals
 * when the flat items reach seal_threshold. Idempotent when nothing
 * changed. On failure the previous generation stays on disk and the
 * changes stay in memory for a retry. Returns ODS_OK, ODS_EIO,
 * ODS_ENOSPC, ODS_ENOMEM, ODS_EINVAL (reader handle).
 */
enum ods_err	 ods_vec_commit(struct ods_vec *) ODS_MUSTCHECK;

/* Writer: commit, sealing every flat/growing item into an HNSW segment. */
enum ods_err	 ods_vec_seal(struct ods_vec *) ODS_MUSTCHECK;

/* Writer: rebuild all live items into one HNSW segment, drop tombstones. */
enum ods_err	 ods_vec_compact(struct ods_vec *) ODS_MUSTCHECK;

/*
 * Writer: rebuild the published segments (all = 0: the flat ones only)
 * into one HNSW segment without the tombstoned items, while searches and
 * changes go on: the graph is built without the handle's locks, then
 * swapped in (with the tombstones set meanwhile) and published. Items
 * added meanwhile stay in the segments that hold them. Seal and compact
 * wait for the next commit while a merge runs; one merge at a time (a
 * second returns ODS_OK at once, *merged 0). Do not close the handle
 * during a merge. *merged (may be NULL) says whether a generation was
 * published. Returns ODS_OK, ODS_EIO, ODS_ENOSPC, ODS_ENOMEM,
 * ODS_ETOOBIG, ODS_EINVAL (reader handle), ODS_EUNAVAIL (cancelled).
 */
enum ods_err	 ods_vec_merge(struct ods_vec *, int all, int *merged)
		    ODS_MUSTCHECK;

/*
 * For a shutdown: a merge running on the handle gives up within about
 * 1 024 items of its build, publishing nothing, and every later
 * ods_vec_merge returns at once; both return ODS_EUNAVAIL. Any thread;
 * the handle's other operations are unaffected.
 */
void		 ods_vec_merge_cancel(struct ods_vec *);

/*
 * Reader: switch to the newest valid generation if there is one; *changed
 * (may be NULL) says whether it did. On ODS_ECORRUPT/ODS_EIO the current
 * generation stays in use. A writer handle returns ODS_OK, unchanged.
 */
enum ods_err	 ods_vec_refresh(struct ods_vec *, int *changed)
		    ODS_MUSTCHECK;

/*
 * Top-k search. hits has room for q->k; *nhits receives how many were
 * found, best first. Returns ODS_OK, ODS_EINVAL (dim mismatch is the
 * caller's: vec must have dim floats; NaN, zero vector for cosine, k or
 * ef out of range), ODS_ETOOBIG (k, ef or filter over its cap),
 * ODS_ENOMEM.
 */
enum ods_err	 ods_vec_search(struct ods_vec *, const struct ods_vec_query *,
		    struct ods_vec_hit *hits, size_t *nhits) ODS_MUSTCHECK;

/* Last applied seq (writer) or committed seq (reader). */
uint64_t	 ods_vec_seq(struct ods_vec *);

void		 ods_vec_stats(struct ods_vec *, struct ods_vec_stats *);

#endif /* ODS_VEC_H */
