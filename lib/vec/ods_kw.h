/*
 * lib/vec/ods_kw.h — the keyword (BM25) index of a collection: SQLite
 * FTS5 in one file, <dir>/kw.sqlite, beside the vector files (ods_vec.h).
 *
 * Tokens: texts and queries go through ods_kw_tokenize(): lowercased
 * words of letters and digits (Latin, Greek, Cyrillic, ... fullwidth
 * forms folded to ASCII; at most 64 bytes kept of a word; a word of
 * three or more ASCII letters becomes its Snowball English stem, so
 * "compressed" finds "compression"), and for CJK
 * runs (Han, Hiragana, Katakana, Hangul) overlapping character bigrams,
 * or the character alone when the run has one. The token string is what
 * FTS5 indexes, split at its spaces only (the built-in ascii tokenizer,
 * without positions: ods_kw.c), so "数据库" is found inside "分布式数据库
 * 系统" and a plain sqlite3 shell can still read the file.
 * A query becomes a MATCH expression of its distinct tokens (at most
 * ODS_KW_MAX_QTERMS), each one quoted, joined by OR: no user byte is
 * ever FTS5 syntax. A lone CJK character in a query matches as a prefix.
 *
 * Ranking: Okapi BM25 as FTS5's bm25() computes it (k1 1.2, b 0.75,
 * IDF ln((N - df + 0.5) / (df + 0.5)), 1e-6 when not positive), but
 * over a bounded set of candidates, so that a common query word does
 * not have every item that holds it ranked: the items that have one of
 * the query's rarest tokens (postings read up to about 4 000 in all,
 * the rarest token's always), best summed IDF first, 4 k of them (at
 * least 200) that pass the filter, each scored on every query token
 * from its token string. The writer keeps each token's document count
 * (table kw_df) and the token count in the same transaction as the
 * change. Query tokens in half the items or more (IDF 1e-6) only select
 * items when the query has no other token; an item with none of the
 * rarer tokens is not ranked, whatever its common ones. A file whose
 * kw_df is missing or behind (written by an older version) is ranked
 * by FTS5's bm25() until its writer, at open, rebuilds kw_df. A file of
 * format 1 (words not stemmed) is searched with words as written until
 * its writer opens it: that empties it (seq 0, logged kw_format_upgrade)
 * for the owner to refill from the source, as a new file. A file of
 * format 2 (FTS5's unicode61, positions kept) has the same tokens: its
 * writer rebuilds the FTS5 table from them in place, seq and items kept.
 *
 * Durability: every ods_kw_add/delete is one transaction in WAL mode
 * with synchronous=FULL: when the call returns ODS_OK the change and its
 * seq are on disk and survive a process kill or a power loss. MariaDB is
 * the source of truth; the file is derived and rebuildable, and its seq
 * (stored in the same transaction) tells a follower where to resume.
 *
 * Processes: one writer handle per collection on the machine (flock on
 * <dir>/kw.lock, close-on-exec; do not fork with a writer open); any
 * number of readers in other processes see each change once it is
 * committed (they wait up to 5 s on a busy file).
 *
 * Threads: a handle may be shared by the threads of one process.
 * Searches run in parallel on up to ODS_KW_CONNS read-only connections
 * of the handle, opened when first needed (WAL: they read while the
 * writer writes, each search in one snapshot); adds, deletes, seq and
 * stats take the handle's own connection one at a time. A search on a
 * writer handle sees every change whose call has returned.
 *
 * Merges: FTS5 merges its segments as batches arrive (automerge); after
 * a bulk load (an index rebuilt, a catch-up of thousands of items) an
 * ods_kw_optimize() merges the rest (measured: searches some 10 % faster
 * after 100 batches of 1 000) and empties the WAL. Not on every batch:
 * it rewrites the whole index.
 */
#ifndef ODS_KW_H
#define ODS_KW_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_kw;
struct ods_vec_filter;		/* vec/ods_vec.h */

#define ODS_KW_FILE		"kw.sqlite"
#define ODS_KW_MAX_K		1024
#define ODS_KW_MAX_BATCH	1048576		/* items per ods_kw_add */
#define ODS_KW_MAX_TEXT		(1024 * 1024)	/* bytes per item text */
#define ODS_KW_MAX_QTERMS	128	/* distinct query tokens kept */
#define ODS_KW_MAX_DOCS		65536	/* doc_ids in a filter */
#define ODS_KW_CONNS		4	/* search connections per handle */

/*
 * Open (creating the directory and the file when missing) dir's index as
 * the one writer. Returns ODS_OK, ODS_ECONFLICT (another writer holds
 * it), ODS_ECORRUPT (not an index of ours), ODS_EIO, ODS_ENOSPC,
 * ODS_ENOMEM.
 */
enum ods_err	 ods_kw_open_writer(const char *dir, struct ods_kw **out)
		    ODS_MUSTCHECK;

/*
 * Open dir's index for searching. Returns ODS_OK, ODS_ENOTFOUND (no
 * index there yet), ODS_ECORRUPT, ODS_EIO, ODS_ENOMEM.
 */
enum ods_err	 ods_kw_open_reader(const char *dir, struct ods_kw **out)
		    ODS_MUSTCHECK;

/* Releases the handle (and the writer lock). NULL is a no-op. */
void		 ods_kw_close(struct ods_kw *);

/* One item: a chunk and its text (any bytes, not NUL-terminated). */
struct ods_kw_item {
	int64_t		 id;		/* chunk id */
	int64_t		 doc_id;
	int64_t		 kb_id;
	const char	*text;
	size_t		 len;
};

/*
 * Writer: add n items as change seq, which must exceed every seq applied
 * so far, in one transaction (all or none). An id already present is
 * replaced. Returns ODS_OK, ODS_EINVAL (seq not increasing, text NULL
 * with len > 0, reader handle), ODS_ETOOBIG (n over ODS_KW_MAX_BATCH, a
 * text over ODS_KW_MAX_TEXT), ODS_EIO, ODS_ENOSPC, ODS_ENOMEM.
 */
enum ods_err	 ods_kw_add(struct ods_kw *, uint64_t seq,
		    const struct ods_kw_item *, size_t n) ODS_MUSTCHECK;

/*
 * Writer: delete item id as change seq; *ndeleted (may be NULL) is 0 or
 * 1. The seq is recorded even when nothing was there. Errors as
 * ods_kw_add.
 */
enum ods_err	 ods_kw_delete(struct ods_kw *, uint64_t seq, int64_t id,
		    size_t *ndeleted) ODS_MUSTCHECK;

/*
 * Writer: delete every item matching f (at least one condition: has_kb,
 * or ndoc_ids > 0) as change seq, in one transaction. Errors as
 * ods_kw_add, and ODS_EINVAL for an empty filter, ODS_ETOOBIG for more
 * than ODS_KW_MAX_DOCS doc_ids.
 */
enum ods_err	 ods_kw_delete_where(struct ods_kw *, uint64_t seq,
		    const struct ods_vec_filter *f, size_t *ndeleted)
		    ODS_MUSTCHECK;

/* Last applied seq, as stored in the file (0 for a new index). */
uint64_t	 ods_kw_seq(struct ods_kw *);

struct ods_kw_hit {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	float		 score;		/* x / (1 + x), x = -bm25 */
	double		 bm25;		/* FTS5's, lower is better */
};

/*
 * Top-k search for query[0..qlen) (any bytes, not NUL-terminated) among
 * the items matching f (NULL: all). hits has room for k; *nhits gets how
 * many were found, best first; a query without any token finds nothing
 * (ODS_OK, *nhits = 0). score_threshold keeps score >= t (0: all).
 * Returns ODS_OK, ODS_EINVAL (k = 0, query NULL with qlen > 0, threshold
 * NaN), ODS_ETOOBIG (k over ODS_KW_MAX_K, too many doc_ids), ODS_EIO,
 * ODS_ECORRUPT, ODS_ETIMEOUT (the file stayed busy), ODS_ENOMEM.
 */
enum ods_err	 ods_kw_search(struct ods_kw *, const char *query,
		    size_t qlen, size_t k, const struct ods_vec_filter *f,
		    float score_threshold, struct ods_kw_hit *hits,
		    size_t *nhits) ODS_MUSTCHECK;

struct ods_kw_stats {
	uint64_t	 seq;
	size_t		 items;
	uint64_t	 bytes;		/* kw.sqlite and its WAL */
};

/* Counts what the index holds. Returns ODS_OK, ODS_EIO, ODS_ETIMEOUT. */
enum ods_err	 ods_kw_stats(struct ods_kw *, struct ods_kw_stats *)
		    ODS_MUSTCHECK;

/*
 * Writer: merge FTS5's b-trees into one (after a bulk load; searches get
 * faster) and checkpoint the WAL. Returns ODS_OK, ODS_EINVAL (reader),
 * ODS_EIO, ODS_ENOSPC.
 */
enum ods_err	 ods_kw_optimize(struct ods_kw *) ODS_MUSTCHECK;

/*
 * The token string of text[0..len) (see above): tokens separated by one
 * space, NUL-terminated in out when outlen > 0 (cut at a token boundary
 * when short). Returns the length the whole string needs, without the
 * NUL, like snprintf; 3 * len + 1 bytes are always enough.
 */
size_t		 ods_kw_tokenize(const char *text, size_t len, char *out,
		    size_t outlen);

/*
 * The FTS5 MATCH expression for query[0..len): its distinct tokens (the
 * first ODS_KW_MAX_QTERMS), each as a quoted string ("tok", or "字" *
 * for a lone CJK character), joined by " OR ". *out is malloc'ed and
 * NUL-terminated, "" when the query has no token. Returns ODS_OK,
 * ODS_EINVAL (query NULL with len > 0), ODS_ENOMEM.
 */
enum ods_err	 ods_kw_match(const char *query, size_t len, char **out)
		    ODS_MUSTCHECK;

#endif /* ODS_KW_H */
