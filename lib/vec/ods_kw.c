/*
 * lib/vec/ods_kw.c — the keyword index on SQLite FTS5 (see ods_kw.h).
 *
 * The file holds three tables: kw_meta (format, seq), kw_items (id,
 * doc_id, kb_id) and kw_fts, an FTS5 table of the token strings whose
 * rowid is the item id. SQLite's objects live and die in this file.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"

/*
 * 2: words of ASCII letters stemmed (ods_kw_tok.c). A file of format 1
 * is still read (queries not stemmed) until its writer opens it, which
 * empties it for a rebuild from the source: see upgrade_sql.
 * 3: kw_fts keeps neither positions nor sizes and splits at spaces only
 * (KW_FTS). The tokens are those of format 2: its writer rebuilds kw_fts
 * from its own token strings in place (migrate_sql), no refill.
 */
#define KW_FORMAT	3
#define KW_FORMAT_MIN	1
#define KW_FORMAT_STEM	2	/* the first whose words are stemmed */
#define KW_STR(x)	#x
#define KW_XSTR(x)	KW_STR(x)
#define KW_LOCK		"kw.lock"
#define KW_BUSY_MS	5000
#define KW_MMAP		"1073741824"	/* bytes mapped by a reader */

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_GETMETA, ST_SETSEQ, ST_DELFTS,
	ST_DELITEM, ST_INSFTS, ST_INSITEM, ST_SEARCH, ST_WHEREFTS,
	ST_WHEREITEMS, ST_COUNT, ST_ADDN, ST_DF, ST_RBEGIN, ST_TOKGET,
	ST_POST, ST_WHERETOK, ST_DFGET, ST_DFADD, ST_DFDEL,
	ST_SETMETA, ST_ADDTOK, ST_DOCITEMS, ST_CANDS, ST_TEXTS, ST_ITEMS,
	ST_MAXID, ST__MAX
};

/* Candidates scored per statement (ST_CANDS's, ST_TEXTS' ?1 .. ?32). */
#define KW_CANDS	32
#define P8(a)	"?" #a "1, ?" #a "2, ?" #a "3, ?" #a "4, ?" #a "5, ?" #a \
	"6, ?" #a "7, ?" #a "8"

/* The first statement that needs kw_df: a first-version reader lacks it. */
#define ST_DFFIRST	ST_DFGET

/* Filters bind ?2 (kb_id or NULL) and ?3 (a JSON array of doc ids). */
#define WHERE_F	"(?2 IS NULL OR kb_id = ?2) AND (?3 IS NULL OR " \
	"doc_id IN (SELECT value FROM json_each(?3)))"

static const char *const sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GETMETA] = "SELECT v FROM kw_meta WHERE k = ?1",
	/* dfseq: the seq kw_df and ntok were last kept up to date at. */
	[ST_SETSEQ] = "UPDATE kw_meta SET v = ?1 WHERE k IN ('seq', 'dfseq')",
	[ST_DELFTS] = "DELETE FROM kw_fts WHERE rowid = ?1",
	[ST_DELITEM] = "DELETE FROM kw_items WHERE id = ?1",
	[ST_INSFTS] = "INSERT INTO kw_fts(rowid, tok) VALUES (?1, ?2)",
	[ST_INSITEM] = "INSERT INTO kw_items(id, doc_id, kb_id) "
	    "VALUES (?1, ?2, ?3)",
	/* CROSS JOIN: the MATCH drives, items are looked up by id. */
	[ST_SEARCH] = "SELECT kw_fts.rowid, doc_id, kb_id, bm25(kw_fts) "
	    "FROM kw_fts CROSS JOIN kw_items ON id = kw_fts.rowid "
	    "WHERE kw_fts MATCH ?1 AND " WHERE_F
	    " ORDER BY kw_fts.rank LIMIT ?4",
	[ST_WHEREFTS] = "DELETE FROM kw_fts WHERE rowid IN "
	    "(SELECT id FROM kw_items WHERE " WHERE_F ")",
	[ST_WHEREITEMS] = "DELETE FROM kw_items WHERE " WHERE_F,
	[ST_COUNT] = "SELECT count(*) FROM kw_items",
	[ST_ADDN] = "UPDATE kw_meta SET v = v + ?1 WHERE k = 'n'",
	[ST_DF] = "SELECT doc FROM kw_vocab WHERE term = ?1",
	[ST_RBEGIN] = "BEGIN",
	[ST_TOKGET] = "SELECT tok FROM kw_fts WHERE rowid = ?1",
	[ST_POST] = "SELECT rowid FROM kw_fts WHERE kw_fts MATCH ?1",
	[ST_WHERETOK] = "SELECT tok FROM kw_fts WHERE rowid IN "
	    "(SELECT id FROM kw_items WHERE " WHERE_F ")",
	[ST_DFGET] = "SELECT df FROM kw_df WHERE term = ?1",
	[ST_DFADD] = "INSERT INTO kw_df(term, df) VALUES (?1, ?2) "
	    "ON CONFLICT(term) DO UPDATE SET df = df + excluded.df",
	[ST_DFDEL] = "DELETE FROM kw_df WHERE term = ?1 AND df <= 0",
	[ST_SETMETA] = "INSERT OR REPLACE INTO kw_meta VALUES (?1, ?2)",
	[ST_ADDTOK] = "UPDATE kw_meta SET v = v + ?1 WHERE k = 'ntok'",
	[ST_DOCITEMS] = "SELECT id FROM kw_items WHERE doc_id IN "
	    "(SELECT value FROM json_each(?1))",
	/*
	 * Candidates, KW_CANDS ids at once, from FTS5's content table (its
	 * file format): no virtual table cursor.
	 */
	[ST_CANDS] = "SELECT kw_items.id, c0, doc_id, kb_id FROM kw_items "
	    "JOIN kw_fts_content ON kw_fts_content.id = kw_items.id "
	    "WHERE kw_items.id IN (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
	    P8(1) ", ?19, ?20, " P8(2) ", ?29, ?30, ?31, ?32)",
	/*
	 * Without a filter only the text is needed to score (one b-tree
	 * seek a candidate, not two); the items of the hits kept follow.
	 */
	[ST_TEXTS] = "SELECT id, c0 FROM kw_fts_content WHERE id IN (?1, "
	    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " P8(1) ", ?19, ?20, "
	    P8(2) ", ?29, ?30, ?31, ?32)",
	[ST_ITEMS] = "SELECT id, doc_id, kb_id FROM kw_items WHERE id IN "
	    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, " P8(1) ", ?19, "
	    "?20, " P8(2) ", ?29, ?30, ?31, ?32)",
	[ST_MAXID] = "SELECT coalesce(max(id), 0) FROM kw_items",
};

/*
 * kw_fts: the token strings, whose tokens FTS5 must take as they are.
 * - The ascii tokenizer with '_' a token character splits them exactly
 *   at the spaces between them: a token is [0-9a-z_] and bytes of
 *   characters beyond ASCII (odsi_vt_classify), which it keeps. unicode61
 *   (format 2) split some (snake_case, or "a·b" in scripts whose marks
 *   it separates) into phrases, and folded accents and case that our
 *   tokens and scoring keep: its postings were not always the tokens
 *   that kw_df counts and the ranking compares.
 * - detail=none, columnsize=0: the search reads postings (ST_POST) and
 *   scores from the token strings and kw_df, never from positions or
 *   FTS5's sizes. Its inserts then cost a third less (110 000 chunks of
 *   70 words, Python's sqlite3, medians of 5: 1.47 -> 1.02 CPU-s). The
 *   fallback's bm25() (a file without kw_df) stays exact: FTS5 then
 *   tokenizes the texts it ranks again.
 * A built-in tokenizer: a plain sqlite3 shell still reads the file.
 */
#define KW_FTS	"tok, tokenize = \"ascii tokenchars '_'\", detail = none, " \
	"columnsize = 0"

/* The tables (an upgrade makes kw_fts, kw_vocab and kw_df anew). */
#define KW_TABLES \
	"CREATE TABLE IF NOT EXISTS kw_meta (k TEXT PRIMARY KEY, " \
	"v INTEGER NOT NULL) WITHOUT ROWID;" \
	"CREATE TABLE IF NOT EXISTS kw_items (id INTEGER PRIMARY KEY, " \
	"doc_id INTEGER NOT NULL, kb_id INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS kw_items_doc ON kw_items (doc_id);" \
	"CREATE INDEX IF NOT EXISTS kw_items_kb ON kw_items (kb_id);" \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kw_fts USING fts5(" KW_FTS ");" \
	"CREATE VIRTUAL TABLE IF NOT EXISTS kw_vocab USING " \
	"fts5vocab(kw_fts, 'row');" \
	/* \
	 * A transaction's new terms wait in memory up to 16 MB (FTS5's \
	 * default is 1 MB) before they are written as a segment: a bulk \
	 * page of 16 384 chunks then writes few segments and merges \
	 * less (the FTS5 share of indexing 20 MB: 1.3 -> 0.8 CPU-s). \
	 */ \
	"INSERT INTO kw_fts(kw_fts, rank) VALUES ('hashsize', " \
	"16777216);" \
	/* \
	 * Segments merge 8 at a time (FTS5's default is 4): a bulk load \
	 * rewrites its postings fewer times before the optimize that \
	 * follows it when quiet rewrites them all anyway (ods_kw.h). \
	 * 110 000 chunks of 70 words in pages of 16 384: inserts 1.24 -> \
	 * 1.09 CPU-s, the optimize after them 0.33 either way (medians \
	 * of 5). Searches meanwhile visit up to 7 segments a level, not 3. \
	 */ \
	"INSERT INTO kw_fts(kw_fts, rank) VALUES ('automerge', 8);" \
	/* Documents per token (and per "字 *" prefix): see df_sync(). */ \
	"CREATE TABLE IF NOT EXISTS kw_df (term TEXT PRIMARY KEY, " \
	"df INTEGER NOT NULL) WITHOUT ROWID;"

/* One transaction: a reader sees all of it or an empty file. */
static const char schema[] =
	"BEGIN IMMEDIATE;"
	KW_TABLES
	"INSERT OR IGNORE INTO kw_meta VALUES ('format', "
	KW_XSTR(KW_FORMAT) "), ('seq', 0);"
	/* A file of the first version has no count yet. */
	"INSERT OR IGNORE INTO kw_meta SELECT 'n', count(*) FROM kw_items;"
	"COMMIT;";

/*
 * An older file emptied and made current, in one transaction: its
 * tokens are not what today's queries look for, and MariaDB has the
 * texts. seq 0 makes the owner refill it as it fills a new file.
 */
static const char upgrade_sql[] =
	"BEGIN IMMEDIATE;"
	"DROP TABLE IF EXISTS kw_vocab;"
	"DROP TABLE IF EXISTS kw_fts;"
	"DROP TABLE IF EXISTS kw_df;"
	"DELETE FROM kw_items;"
	KW_TABLES
	"INSERT OR REPLACE INTO kw_meta VALUES ('format', "
	KW_XSTR(KW_FORMAT) "), ('seq', 0), ('dfseq', 0), ('n', 0), "
	"('ntok', 0);"
	"COMMIT;";

/*
 * Format 2 to 3: kw_fts anew from its own token strings (the same
 * tokens), in one transaction; seq, kw_items and kw_df stay.
 */
static const char migrate_sql[] =
	"BEGIN IMMEDIATE;"
	"DROP TABLE IF EXISTS kw_vocab;"
	"CREATE VIRTUAL TABLE kw_fts_new USING fts5(" KW_FTS ");"
	"INSERT INTO kw_fts_new(rowid, tok) SELECT rowid, tok FROM kw_fts;"
	"DROP TABLE kw_fts;"
	"ALTER TABLE kw_fts_new RENAME TO kw_fts;"
	KW_TABLES
	"INSERT INTO kw_fts(kw_fts) VALUES ('optimize');"
	"UPDATE kw_meta SET v = " KW_XSTR(KW_FORMAT) " WHERE k = 'format';"
	"COMMIT;";

/* One SQLite connection and its statements. */
struct kw_conn {
	sqlite3		*db;
	sqlite3_stmt	*st[ST__MAX];
	int		 hasdf;		/* kw_df's statements prepared */
	struct kw_conn	*next;		/* the pool's free list */
};

/* Document-frequency changes of a transaction, by token. */
struct dfent {
	char		*term;		/* NULL: free slot */
	uint32_t	 len;		/* a token's: at most ODSI_KW_WORD */
	uint32_t	 hash;		/* odsi_kw_hash of term */
	int64_t		 d;
	uint64_t	 stamp;		/* the item last counted */
};

struct ods_kw {
	pthread_mutex_t	 mu;		/* c, and the writer's state */
	struct kw_conn	 c;		/* writes, seq, stats */
	pthread_mutex_t	 pmu;		/* the search connections */
	pthread_cond_t	 pcv;
	struct kw_conn	*pfree;
	struct kw_conn	*pool[ODS_KW_CONNS];
	size_t		 npool;		/* opened or being opened */
	char		*dir;
	char		*path;
	int		 writer;
	int		 lockfd;
	uint64_t	 seq;		/* writer: last applied */
	int64_t		 maxid;		/* writer: no item has a larger id;
					   -1 unknown (read at the next add) */
	int64_t		 ndelta;	/* writer: items added in this tx */
	int64_t		 tdelta;	/* writer: tokens added in this tx */
	struct dfent	*df;		/* writer: open addressing */
	size_t		 dfcap, dfused;
	uint64_t	 stamp;
	char		*tok;		/* writer: token string buffer */
	size_t		 toklen;
};

/* Maps a SQLite result code of c, logging SQLite's message once. */
static enum ods_err
csqerr(struct ods_kw *k, struct kw_conn *c, int rc, const char *what)
{
	ods_log(ODS_LOG_ERR, "kw_sqlite op=%s dir=%s rc=%d msg=\"%s\"", what,
	    k->dir, rc, c->db != NULL ? sqlite3_errmsg(c->db) :
	    sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_NOMEM:
		return ODS_ENOMEM;
	case SQLITE_FULL:
		return ODS_ENOSPC;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ODS_ETIMEOUT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
	case SQLITE_SCHEMA:
		return ODS_ECORRUPT;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PERM:
		return ODS_EIO;
	default:
		return ODS_EINTERNAL;
	}
}

static enum ods_err
sqerr(struct ods_kw *k, int rc, const char *what)
{
	return csqerr(k, &k->c, rc, what);
}

/* Runs a prepared statement of c that returns no row, then resets it. */
static enum ods_err
crun(struct ods_kw *k, struct kw_conn *c, int which)
{
	sqlite3_stmt	*s = c->st[which];
	int		 rc;

	rc = sqlite3_step(s);
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return csqerr(k, c, rc, sql[which]);
	return ODS_OK;
}

static enum ods_err
run(struct ods_kw *k, int which)
{
	return crun(k, &k->c, which);
}

/* The writer's statement which (one integer column) into *v. */
static enum ods_err
run_int(struct ods_kw *k, int which, int64_t *v)
{
	sqlite3_stmt	*s = k->c.st[which];
	int		 rc;

	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	(void)sqlite3_reset(s);
	return rc == SQLITE_ROW ? ODS_OK : csqerr(k, &k->c, rc, sql[which]);
}

/* kw_meta's key into *v: ODS_ENOTFOUND when missing. */
static enum ods_err
cmeta(struct ods_kw *k, struct kw_conn *c, const char *key, int64_t *v)
{
	sqlite3_stmt	*s = c->st[ST_GETMETA];
	enum ods_err	 er = ODS_OK;
	int		 rc;

	(void)sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE)
		er = ODS_ENOTFOUND;
	else
		er = csqerr(k, c, rc, "get_meta");
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	return er;
}

static enum ods_err
get_meta(struct ods_kw *k, const char *key, int64_t *v)
{
	enum ods_err	er;

	if ((er = cmeta(k, &k->c, key, v)) == ODS_ENOTFOUND) {
		ods_log(ODS_LOG_ERR, "kw_meta_missing dir=%s key=%s", k->dir,
		    key);
		er = ODS_ECORRUPT;
	}
	return er;
}

static void
conn_close(struct ods_kw *k, struct kw_conn *c)
{
	size_t	i;

	for (i = 0; i < ST__MAX; i++)
		(void)sqlite3_finalize(c->st[i]);
	/* The last connection checkpoints and removes the WAL. */
	if (c->db != NULL && sqlite3_close(c->db) != SQLITE_OK)
		ods_log(ODS_LOG_WARN, "kw_close_busy dir=%s", k->dir);
	memset(c, 0, sizeof(*c));
}

static void
df_clear(struct ods_kw *k)
{
	size_t	i;

	for (i = 0; i < k->dfcap; i++)
		free(k->df[i].term);
	if (k->dfcap > 0)
		memset(k->df, 0, k->dfcap * sizeof(*k->df));
	k->dfused = 0;
}

void
ods_kw_close(struct ods_kw *k)
{
	size_t	i;

	if (k == NULL)
		return;
	/* The search connections first: the writer's is the last. */
	for (i = 0; i < k->npool; i++) {
		if (k->pool[i] != NULL)
			conn_close(k, k->pool[i]);
		free(k->pool[i]);
	}
	conn_close(k, &k->c);
	if (k->lockfd != -1)
		(void)close(k->lockfd);		/* releases the flock */
	(void)pthread_mutex_destroy(&k->mu);
	(void)pthread_mutex_destroy(&k->pmu);
	(void)pthread_cond_destroy(&k->pcv);
	df_clear(k);
	free(k->df);
	free(k->tok);
	free(k->path);
	free(k->dir);
	free(k);
}

static struct ods_kw *
handle_new(const char *dir)
{
	struct ods_kw	*k;

	k = ods_xcalloc(1, sizeof(*k));
	k->lockfd = -1;
	k->maxid = -1;
	k->dir = ods_xstrdup(dir);
	(void)ods_xasprintf(&k->path, "%s/%s", dir, ODS_KW_FILE);
	(void)pthread_mutex_init(&k->mu, NULL);
	(void)pthread_mutex_init(&k->pmu, NULL);
	(void)pthread_cond_init(&k->pcv, NULL);
	return k;
}

static enum ods_err
lock_dir(struct ods_kw *k)
{
	char	path[PATH_MAX];
	int	n;

	n = snprintf(path, sizeof(path), "%s/%s", k->dir, KW_LOCK);
	if (n < 0 || (size_t)n >= sizeof(path))
		return ODS_EINVAL;
	k->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (k->lockfd == -1) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "kw_io op=open file=%s",
		    path);
		return errno == ENOSPC ? ODS_ENOSPC : ODS_EIO;
	}
	if (flock(k->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			ods_log(ODS_LOG_WARN, "kw_writer_busy dir=%s", k->dir);
			return ODS_ECONFLICT;
		}
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "kw_io op=flock file=%s",
		    path);
		return ODS_EIO;
	}
	k->writer = 1;
	return ODS_OK;
}

/*
 * Our statements do not compile: ODS_ENOTFOUND for a file with no table
 * yet (a writer is creating it), ODS_ECORRUPT for someone else's file.
 */
static enum ods_err
no_tables(struct ods_kw *k, struct kw_conn *c)
{
	sqlite3_stmt	*s = NULL;
	int		 n = -1;

	if (sqlite3_prepare_v2(c->db, "SELECT count(*) FROM sqlite_master",
	    -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	(void)sqlite3_finalize(s);
	if (n == 0)
		return ODS_ENOTFOUND;
	ods_log(ODS_LOG_ERR, "kw_not_an_index dir=%s tables=%d", k->dir, n);
	return ODS_ECORRUPT;
}

/*
 * Once per process, before SQLite is first used: no memory statistics.
 * They take a process-wide mutex on every allocation, which the search
 * threads (and FTS5's inserts, an allocation per token) would all queue
 * on. A config after SQLite started is refused, harmlessly.
 */
static pthread_once_t	kw_once = PTHREAD_ONCE_INIT;

static void
kw_sqlite_init(void)
{
	(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/*
 * Opens c, sets it up (the writer's own connection: WAL, the schema; any
 * other: read only), prepares, checks the format; *seq gets the file's.
 */
static enum ods_err
conn_open(struct ods_kw *k, struct kw_conn *c, int flags, int own,
    int64_t *seq)
{
	enum ods_err	 er;
	int64_t		 format;
	size_t		 i;
	int		 rc, w = own && k->writer;

	(void)pthread_once(&kw_once, kw_sqlite_init);
	/* A search connection serves one thread at a time (the pool). */
	rc = sqlite3_open_v2(k->path, &c->db, flags | (own ?
	    SQLITE_OPEN_FULLMUTEX : SQLITE_OPEN_NOMUTEX), NULL);
	if (rc != SQLITE_OK)
		return csqerr(k, c, rc, "open");
	(void)sqlite3_extended_result_codes(c->db, 1);
	(void)sqlite3_busy_timeout(c->db, KW_BUSY_MS);
	/* FULL: a commit's WAL frames are synced before it returns. */
	/* Searches read the file mapped: no read() and copy per page. */
	rc = sqlite3_exec(c->db, w ? "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;" : "PRAGMA query_only = 1;"
	    "PRAGMA mmap_size = " KW_MMAP ";", NULL, NULL, NULL);
	if (rc == SQLITE_OK && w)
		rc = sqlite3_exec(c->db, schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return csqerr(k, c, rc, "setup");
	c->hasdf = 1;
	for (i = 0; i < ST__MAX; i++) {
		rc = sqlite3_prepare_v3(c->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL);
		/* A reader of a first-version file: no kw_df (nor kw_vocab). */
		if (rc != SQLITE_OK && !w && (i == ST_DF || i >= ST_DFFIRST)) {
			c->hasdf = c->hasdf && i == ST_DF;
			continue;
		}
		if (rc != SQLITE_OK)
			return (rc & 0xff) == SQLITE_ERROR ? no_tables(k, c) :
			    csqerr(k, c, rc, "prepare");
	}
	if ((er = cmeta(k, c, "format", &format)) != ODS_OK ||
	    (er = cmeta(k, c, "seq", seq)) != ODS_OK) {
		if (er == ODS_ENOTFOUND) {
			ods_log(ODS_LOG_ERR, "kw_meta_missing dir=%s", k->dir);
			er = ODS_ECORRUPT;
		}
		return er;
	}
	if (format < KW_FORMAT_MIN || format > KW_FORMAT || *seq < 0) {
		ods_log(ODS_LOG_ERR, "kw_format dir=%s format=%" PRId64,
		    k->dir, format);
		return ODS_ECORRUPT;
	}
	if (w && format < KW_FORMAT) {
		ods_log(ODS_LOG_WARN, "kw_format_upgrade dir=%s from=%"
		    PRId64 " to=%d seq=%" PRId64 " (%s)", k->dir, format,
		    KW_FORMAT, *seq, format >= KW_FORMAT_STEM ? "rebuilt in "
		    "place" : "emptied: rebuilt from the source");
		rc = sqlite3_exec(c->db, format >= KW_FORMAT_STEM ?
		    migrate_sql : upgrade_sql, NULL, NULL, NULL);
		if (rc != SQLITE_OK) {
			if (!sqlite3_get_autocommit(c->db))
				(void)sqlite3_exec(c->db, "ROLLBACK", NULL,
				    NULL, NULL);
			return csqerr(k, c, rc, "upgrade");
		}
		if (format < KW_FORMAT_STEM)
			*seq = 0;
	}
	return ODS_OK;
}

static enum ods_err	df_sync(struct ods_kw *);

static enum ods_err
db_open(struct ods_kw *k, int flags)
{
	enum ods_err	er;
	int64_t		seq;

	if ((er = conn_open(k, &k->c, flags, 1, &seq)) != ODS_OK)
		return er;
	k->seq = (uint64_t)seq;
	return k->writer ? df_sync(k) : ODS_OK;
}

enum ods_err
ods_kw_open_writer(const char *dir, struct ods_kw **out)
{
	struct ods_kw	*k;
	enum ods_err	 er;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return ODS_EINVAL;
	if (mkdir(dir, 0755) == -1 && errno != EEXIST) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "kw_io op=mkdir dir=%s",
		    dir);
		return errno == ENOSPC ? ODS_ENOSPC : ODS_EIO;
	}
	k = handle_new(dir);
	if ((er = lock_dir(k)) == ODS_OK)
		er = db_open(k, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	if (er != ODS_OK) {
		ods_kw_close(k);
		return er;
	}
	*out = k;
	return ODS_OK;
}

enum ods_err
ods_kw_open_reader(const char *dir, struct ods_kw **out)
{
	struct ods_kw	*k;
	struct stat	 sb;
	enum ods_err	 er;

	*out = NULL;
	if (dir == NULL || *dir == '\0')
		return ODS_EINVAL;
	k = handle_new(dir);
	if (stat(k->path, &sb) == -1) {
		er = errno == ENOENT || errno == ENOTDIR ? ODS_ENOTFOUND :
		    ODS_EIO;
		ods_kw_close(k);
		return er;
	}
	/* Read-write without create: a WAL reader may need to make -shm. */
	if ((er = db_open(k, SQLITE_OPEN_READWRITE)) != ODS_OK) {
		ods_kw_close(k);
		return er;
	}
	*out = k;
	return ODS_OK;
}

/*
 * A search connection: a free one, else a new one while there are fewer
 * than ODS_KW_CONNS, else the next one given back.
 */
static enum ods_err
pool_get(struct ods_kw *k, struct kw_conn **out)
{
	struct kw_conn	*c;
	enum ods_err	 er = ODS_OK;
	int64_t		 seq;

	(void)pthread_mutex_lock(&k->pmu);
	while (k->pfree == NULL && k->npool == ODS_KW_CONNS)
		(void)pthread_cond_wait(&k->pcv, &k->pmu);
	if ((c = k->pfree) != NULL)
		k->pfree = c->next;
	else {
		/* Opened at most ODS_KW_CONNS times a handle: under pmu. */
		c = ods_xcalloc(1, sizeof(*c));
		if ((er = conn_open(k, c, SQLITE_OPEN_READWRITE, 0, &seq)) ==
		    ODS_OK)
			k->pool[k->npool++] = c;
		else {
			conn_close(k, c);
			free(c);
			c = NULL;
		}
	}
	(void)pthread_mutex_unlock(&k->pmu);
	*out = c;
	return er;
}

static void
pool_put(struct ods_kw *k, struct kw_conn *c)
{
	(void)pthread_mutex_lock(&k->pmu);
	c->next = k->pfree;
	k->pfree = c;
	(void)pthread_cond_signal(&k->pcv);
	(void)pthread_mutex_unlock(&k->pmu);
}

/* Counts sign for term in the transaction's changes, once per item. */
static void
df_one(struct ods_kw *k, const char *term, size_t len, int sign)
{
	struct dfent	*e, *old;
	size_t		 i, cap;
	uint32_t	 h, hash;

	if (2 * (k->dfused + 1) > k->dfcap) {
		old = k->df;
		cap = k->dfcap;
		k->dfcap = cap ? 2 * cap : 4096;
		k->df = ods_xcalloc(k->dfcap, sizeof(*k->df));
		for (i = 0; i < cap; i++) {
			if (old[i].term == NULL)
				continue;
			h = old[i].hash & (k->dfcap - 1);
			while (k->df[h].term != NULL)
				h = (h + 1) & (k->dfcap - 1);
			k->df[h] = old[i];
		}
		free(old);
	}
	hash = odsi_kw_hash(term, len);
	for (h = hash & (k->dfcap - 1);; h = (h + 1) & (k->dfcap - 1)) {
		e = &k->df[h];
		if (e->term == NULL) {
			e->term = ods_xmalloc(len + 1);
			memcpy(e->term, term, len);
			e->term[len] = '\0';
			e->len = (uint32_t)len;
			e->hash = hash;
			k->dfused++;
			break;
		}
		/* The hash first: most probes end there, without memcmp. */
		if (e->hash == hash && e->len == len &&
		    memcmp(e->term, term, len) == 0)
			break;
	}
	if (e->stamp != k->stamp) {
		e->stamp = k->stamp;
		e->d += sign;
	}
}

/* Whether tok starts with a CJK character; *n its length. */
static int
cjk_first(const char *tok, size_t len, size_t *n)
{
	return odsi_vt_classify(odsi_vt_next((const unsigned char *)tok, len,
	    n)) == ODSI_VT_CJK;
}

/*
 * Counts an item's token string in (sign 1) or out (-1): each distinct
 * token, and "字 *" for each distinct CJK character a token starts with
 * (what the MATCH of a lone character finds); its tokens in tdelta.
 */
static void
df_item(struct ods_kw *k, const char *tok, size_t len, int sign)
{
	char	 key[8];
	size_t	 i = 0, j, n;

	k->stamp++;
	while (i < len) {
		for (j = i; j < len && tok[j] != ' '; j++)
			;
		if (j > i) {
			df_one(k, tok + i, j - i, sign);
			k->tdelta += sign;
			if (cjk_first(tok + i, j - i, &n) && n <= 4) {
				memcpy(key, tok + i, n);
				memcpy(key + n, " *", 2);
				df_one(k, key, n + 2, sign);
			}
		}
		i = j + 1;
	}
}

/* Writes the transaction's df changes to kw_df. */
static enum ods_err
df_flush(struct ods_kw *k)
{
	enum ods_err	 er = ODS_OK;
	struct dfent	*e;
	size_t		 i;

	for (i = 0; i < k->dfcap && er == ODS_OK; i++) {
		e = &k->df[i];
		if (e->term == NULL || e->d == 0)
			continue;
		(void)sqlite3_bind_text(k->c.st[ST_DFADD], 1, e->term,
		    (int)e->len, SQLITE_STATIC);
		(void)sqlite3_bind_int64(k->c.st[ST_DFADD], 2, e->d);
		if ((er = run(k, ST_DFADD)) == ODS_OK && e->d < 0) {
			(void)sqlite3_bind_text(k->c.st[ST_DFDEL], 1, e->term,
			    (int)e->len, SQLITE_STATIC);
			er = run(k, ST_DFDEL);
		}
	}
	if (er == ODS_OK && k->tdelta != 0) {
		(void)sqlite3_bind_int64(k->c.st[ST_ADDTOK], 1, k->tdelta);
		er = run(k, ST_ADDTOK);
	}
	df_clear(k);
	k->tdelta = 0;
	return er;
}

/* Counts out the token string of item id, if there is one. */
static enum ods_err
df_forget(struct ods_kw *k, sqlite3_stmt *s)
{
	int	rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		df_item(k, (const char *)sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), -1);
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? ODS_OK : sqerr(k, rc, "df_forget");
}

static enum ods_err
set_meta(struct ods_kw *k, const char *key, int64_t v)
{
	(void)sqlite3_bind_text(k->c.st[ST_SETMETA], 1, key, -1,
	    SQLITE_STATIC);
	(void)sqlite3_bind_int64(k->c.st[ST_SETMETA], 2, v);
	return run(k, ST_SETMETA);
}

/*
 * Writer, at open: rebuilds kw_df and ntok from the items when they were
 * not kept up to the file's seq (a new file, a file of the first version
 * or written by it since): one pass over the token strings.
 */
static enum ods_err
df_sync(struct ods_kw *k)
{
	sqlite3_stmt	*s = NULL;
	enum ods_err	 er;
	int64_t		 dfseq;
	int		 rc;

	if ((er = cmeta(k, &k->c, "dfseq", &dfseq)) == ODS_OK &&
	    dfseq == (int64_t)k->seq)
		return ODS_OK;
	if (er != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if (k->seq > 0)
		ods_log(ODS_LOG_INFO, "kw_df_rebuild dir=%s seq=%" PRIu64,
		    k->dir, k->seq);
	if ((er = run(k, ST_BEGIN)) != ODS_OK)
		return er;
	rc = sqlite3_exec(k->c.db, "DELETE FROM kw_df", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(k->c.db, "SELECT tok FROM kw_fts", -1,
		    &s, NULL);
	df_clear(k);
	k->tdelta = 0;
	while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		df_item(k, (const char *)sqlite3_column_text(s, 0),
		    (size_t)sqlite3_column_bytes(s, 0), 1);
		rc = SQLITE_OK;
	}
	(void)sqlite3_finalize(s);
	er = rc == SQLITE_DONE || rc == SQLITE_OK ? ODS_OK :
	    sqerr(k, rc, "df_rebuild");
	if (er == ODS_OK && (er = set_meta(k, "ntok", 0)) == ODS_OK)
		er = df_flush(k);
	if (er == ODS_OK)
		er = set_meta(k, "dfseq", (int64_t)k->seq);
	if (er == ODS_OK)
		er = run(k, ST_COMMIT);
	if (er != ODS_OK && !sqlite3_get_autocommit(k->c.db))
		(void)run(k, ST_ROLLBACK);
	df_clear(k);
	k->tdelta = 0;
	return er;
}

/* A transaction that ends with seq recorded, or is rolled back. */
static enum ods_err
tx_begin(struct ods_kw *k, uint64_t seq)
{
	if (!k->writer || seq <= k->seq || seq > INT64_MAX)
		return ODS_EINVAL;
	k->ndelta = 0;
	k->tdelta = 0;
	df_clear(k);
	return run(k, ST_BEGIN);
}

static enum ods_err
tx_end(struct ods_kw *k, uint64_t seq, enum ods_err er)
{
	if (er == ODS_OK)
		er = df_flush(k);
	if (er == ODS_OK) {
		(void)sqlite3_bind_int64(k->c.st[ST_SETSEQ], 1, (int64_t)seq);
		er = run(k, ST_SETSEQ);
	}
	if (er == ODS_OK && k->ndelta != 0) {
		(void)sqlite3_bind_int64(k->c.st[ST_ADDN], 1, k->ndelta);
		er = run(k, ST_ADDN);
	}
	if (er == ODS_OK && (er = run(k, ST_COMMIT)) == ODS_OK)
		k->seq = seq;
	if (er != ODS_OK && !sqlite3_get_autocommit(k->c.db))
		(void)run(k, ST_ROLLBACK);
	if (er != ODS_OK)
		k->maxid = -1;
	df_clear(k);
	k->tdelta = 0;
	return er;
}

static enum ods_err
del_id(struct ods_kw *k, int64_t id, size_t *ndeleted)
{
	enum ods_err	er;
	int		nd;

	(void)sqlite3_bind_int64(k->c.st[ST_DELITEM], 1, id);
	if ((er = run(k, ST_DELITEM)) != ODS_OK)
		return er;
	nd = sqlite3_changes(k->c.db);
	k->ndelta -= nd;
	if (ndeleted != NULL)
		*ndeleted = (size_t)nd;
	if (nd > 0) {
		(void)sqlite3_bind_int64(k->c.st[ST_TOKGET], 1, id);
		if ((er = df_forget(k, k->c.st[ST_TOKGET])) != ODS_OK)
			return er;
	}
	(void)sqlite3_bind_int64(k->c.st[ST_DELFTS], 1, id);
	return run(k, ST_DELFTS);
}

static enum ods_err
add_one(struct ods_kw *k, const struct ods_kw_item *it)
{
	sqlite3_stmt	*s;
	enum ods_err	 er;
	size_t		 need, n;

	/*
	 * An id above every item's is new: no row to replace, which spares
	 * two statements an item during an ingestion (ids grow).
	 */
	if (k->maxid < 0) {
		if ((er = run_int(k, ST_MAXID, &k->maxid)) != ODS_OK) {
			k->maxid = -1;
			return er;
		}
	}
	if (it->id <= k->maxid && (er = del_id(k, it->id, NULL)) != ODS_OK)
		return er;
	if (it->id > k->maxid)
		k->maxid = it->id;
	need = 3 * it->len + 1;
	if (need > k->toklen) {
		free(k->tok);
		k->toklen = need;
		if ((k->tok = malloc(need)) == NULL) {
			k->toklen = 0;
			return ODS_ENOMEM;
		}
	}
	n = ods_kw_tokenize(it->text, it->len, k->tok, k->toklen);
	s = k->c.st[ST_INSITEM];
	(void)sqlite3_bind_int64(s, 1, it->id);
	(void)sqlite3_bind_int64(s, 2, it->doc_id);
	(void)sqlite3_bind_int64(s, 3, it->kb_id);
	if ((er = run(k, ST_INSITEM)) != ODS_OK)
		return er;
	k->ndelta++;
	df_item(k, k->tok, n, 1);
	s = k->c.st[ST_INSFTS];
	(void)sqlite3_bind_int64(s, 1, it->id);
	(void)sqlite3_bind_text(s, 2, k->tok, (int)n, SQLITE_STATIC);
	return run(k, ST_INSFTS);
}

enum ods_err
ods_kw_add(struct ods_kw *k, uint64_t seq, const struct ods_kw_item *items,
    size_t n)
{
	enum ods_err	er;
	size_t		i;

	if (n > ODS_KW_MAX_BATCH)
		return ODS_ETOOBIG;
	if (items == NULL && n > 0)
		return ODS_EINVAL;
	for (i = 0; i < n; i++) {
		if (items[i].text == NULL && items[i].len > 0)
			return ODS_EINVAL;
		if (items[i].len > ODS_KW_MAX_TEXT)
			return ODS_ETOOBIG;
	}
	(void)pthread_mutex_lock(&k->mu);
	if ((er = tx_begin(k, seq)) == ODS_OK) {
		for (i = 0; i < n && er == ODS_OK; i++)
			er = add_one(k, &items[i]);
		er = tx_end(k, seq, er);
	}
	(void)pthread_mutex_unlock(&k->mu);
	return er;
}

enum ods_err
ods_kw_delete(struct ods_kw *k, uint64_t seq, int64_t id, size_t *ndeleted)
{
	enum ods_err	er;
	size_t		nd = 0;

	(void)pthread_mutex_lock(&k->mu);
	if ((er = tx_begin(k, seq)) == ODS_OK)
		er = tx_end(k, seq, del_id(k, id, &nd));
	(void)pthread_mutex_unlock(&k->mu);
	if (ndeleted != NULL)
		*ndeleted = er == ODS_OK ? nd : 0;
	return er;
}

/* The doc ids as a JSON array for json_each(), or NULL when none. */
static enum ods_err
doc_json(const struct ods_vec_filter *f, char **out)
{
	char	*j, *p;
	size_t	 i;

	*out = NULL;
	if (f == NULL || f->ndoc_ids == 0)
		return ODS_OK;
	if (f->doc_ids == NULL)
		return ODS_EINVAL;
	if (f->ndoc_ids > ODS_KW_MAX_DOCS)
		return ODS_ETOOBIG;
	if ((j = malloc(f->ndoc_ids * 21 + 3)) == NULL)
		return ODS_ENOMEM;
	p = j;
	*p++ = '[';
	for (i = 0; i < f->ndoc_ids; i++)
		p += sprintf(p, "%s%" PRId64, i ? "," : "", f->doc_ids[i]);
	*p++ = ']';
	*p = '\0';
	*out = j;
	return ODS_OK;
}

static void
bind_filter(sqlite3_stmt *s, const struct ods_vec_filter *f, const char *j)
{
	if (f != NULL && f->has_kb)
		(void)sqlite3_bind_int64(s, 2, f->kb_id);
	if (j != NULL)
		(void)sqlite3_bind_text(s, 3, j, -1, SQLITE_STATIC);
}

enum ods_err
ods_kw_delete_where(struct ods_kw *k, uint64_t seq,
    const struct ods_vec_filter *f, size_t *ndeleted)
{
	enum ods_err	 er;
	char		*j = NULL;
	size_t		 nd = 0;

	if (ndeleted != NULL)
		*ndeleted = 0;
	if (f == NULL || (!f->has_kb && f->ndoc_ids == 0))
		return ODS_EINVAL;
	if ((er = doc_json(f, &j)) != ODS_OK)
		return er;
	(void)pthread_mutex_lock(&k->mu);
	if ((er = tx_begin(k, seq)) == ODS_OK) {
		bind_filter(k->c.st[ST_WHERETOK], f, j);
		if ((er = df_forget(k, k->c.st[ST_WHERETOK])) == ODS_OK) {
			bind_filter(k->c.st[ST_WHEREFTS], f, j);
			er = run(k, ST_WHEREFTS);
		}
		if (er == ODS_OK) {
			bind_filter(k->c.st[ST_WHEREITEMS], f, j);
			er = run(k, ST_WHEREITEMS);
			nd = (size_t)sqlite3_changes(k->c.db);
			k->ndelta -= (int64_t)nd;
		}
		er = tx_end(k, seq, er);
	}
	(void)pthread_mutex_unlock(&k->mu);
	free(j);
	if (ndeleted != NULL && er == ODS_OK)
		*ndeleted = nd;
	return er;
}

uint64_t
ods_kw_seq(struct ods_kw *k)
{
	int64_t		v;

	(void)pthread_mutex_lock(&k->mu);
	/* A reader follows the file; on error it keeps what it knew. */
	if (!k->writer && get_meta(k, "seq", &v) == ODS_OK && v >= 0)
		k->seq = (uint64_t)v;
	v = (int64_t)k->seq;
	(void)pthread_mutex_unlock(&k->mu);
	return (uint64_t)v;
}

/* Steps the bound search statement into hits. */
static enum ods_err
collect(struct ods_kw *k, struct kw_conn *c, size_t kmax, float threshold,
    struct ods_kw_hit *hits, size_t *nhits)
{
	sqlite3_stmt	*s = c->st[ST_SEARCH];
	double		 b, x;
	float		 score;
	int		 rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *nhits < kmax) {
		b = sqlite3_column_double(s, 3);
		x = -b > 0 ? -b : 0;
		score = (float)(x / (1 + x));
		if (score < threshold)
			break;		/* best first: the rest score lower */
		hits[*nhits].id = sqlite3_column_int64(s, 0);
		hits[*nhits].doc_id = sqlite3_column_int64(s, 1);
		hits[*nhits].kb_id = sqlite3_column_int64(s, 2);
		hits[*nhits].bm25 = b;
		hits[*nhits].score = score;
		(*nhits)++;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return csqerr(k, c, rc, "search");
	return ODS_OK;
}

/*
 * A file without kw_df (first version, read before its writer rebuilt
 * it): marks in drop the terms in half the items or more, which FTS5's
 * bm25 weighs 1e-6, unless all are; FTS5 ranks what is left.
 */
static enum ods_err
prune(struct ods_kw *k, struct kw_conn *c, const struct odsi_kw_terms *t,
    char *drop)
{
	sqlite3_stmt	*s = c->st[ST_DF];
	int64_t		 n, df;
	size_t		 i, kept = 0;
	int		 rc;

	memset(drop, 0, t->n);
	if (s == NULL || cmeta(k, c, "n", &n) != ODS_OK)
		return ODS_OK;		/* a first-version file: no count */
	for (i = 0; i < t->n; i++) {
		df = 0;
		if (!t->lone[i]) {
			(void)sqlite3_bind_text(s, 1, t->term[i],
			    (int)t->len[i], SQLITE_STATIC);
			if ((rc = sqlite3_step(s)) == SQLITE_ROW)
				df = sqlite3_column_int64(s, 0);
			(void)sqlite3_reset(s);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return csqerr(k, c, rc, "df");
		}
		drop[i] = n > 0 && 2 * df >= n;
		kept += !drop[i];
	}
	if (kept == 0)
		memset(drop, 0, t->n);
	return ODS_OK;
}

static enum ods_err
search_fts(struct ods_kw *k, struct kw_conn *c, const struct odsi_kw_terms *t,
    size_t kmax, const struct ods_vec_filter *f, const char *j,
    float threshold, struct ods_kw_hit *hits, size_t *nhits)
{
	sqlite3_stmt	*s = c->st[ST_SEARCH];
	enum ods_err	 er;
	char		*m = NULL, drop[ODS_KW_MAX_QTERMS];

	if ((er = prune(k, c, t, drop)) != ODS_OK ||
	    (er = odsi_kw_expr(t, drop, &m)) != ODS_OK)
		return er;
	(void)sqlite3_bind_text(s, 1, m, -1, SQLITE_STATIC);
	bind_filter(s, f, j);
	(void)sqlite3_bind_int64(s, 4, (int64_t)kmax);
	er = collect(k, c, kmax, threshold, hits, nhits);
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	free(m);
	return er;
}

/*
 * The search on kw_df. FTS5's bm25() ranks every item that has any query
 * term (some microseconds each: a common word means tens of thousands),
 * so the ranking is done here instead, in two steps:
 *
 * 1. Candidates: the postings of the rarest terms, about KW_POSTINGS of
 *    them (always the rarest term), each item summing the IDF of the
 *    terms it has; the KW_CAND best (at least 2 k) that pass the filter.
 * 2. Okapi BM25 exactly as FTS5's bm25() computes it (k1 1.2, b 0.75,
 *    IDF ln((N - df + 0.5) / (df + 0.5)), 1e-6 when not positive) over
 *    every query term, from the candidate's token string, kw_df and the
 *    item and token counts.
 *
 * An item with none of the rarer terms is not a candidate. On 100 000
 * Debian descriptions (tests/bench/rag) 4 000 postings ranked better
 * than 8 000 or 20 000 (R@10 0.678, 0.673, 0.665; FTS5 on all 0.663):
 * items with common words only no longer crowd out the candidates. And
 * 2 k candidates (at least 40) ranked as well as 4 k (at least 200) or
 * a little better, R@1 / R@5 / R@10 at k 20 0.367 / 0.610 / 0.692
 * against 0.360 / 0.592 / 0.678, for under half the time: step 2 reads
 * and tokenises each candidate's text.
 */
#define KW_K1		1.2
#define KW_B		0.75
#define KW_POSTINGS	4000
#define KW_CAND		40
#define KW_CAND_PER_K	2

/* An item found by step 1: its summed IDF, 0 for a free slot. */
struct acc {
	int64_t		 id;
	float		 p;
};

struct cand {
	int64_t		 id;
	int64_t		 doc_id;
	int64_t		 kb_id;
	double		 bm25;
};

/* The query's terms with their document frequency. */
struct qt {
	const struct odsi_kw_terms	*t;
	int64_t				 df[ODS_KW_MAX_QTERMS];
	double				 idf[ODS_KW_MAX_QTERMS];
	int				 slot[256];	/* term + 1 */
	double				 avgdl;
	int64_t				 n;		/* items */
};

static int
acc_cmp(const void *a, const void *b)
{
	const struct acc	*x = a, *y = b;

	if (x->p != y->p)
		return x->p > y->p ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Moves the m best of a[0..n) to a[0..m), in no order (quickselect). */
static void
acc_select(struct acc *a, size_t n, size_t m)
{
	struct acc	pv, t;
	ptrdiff_t	lo = 0, hi = (ptrdiff_t)n - 1, i, j, want;

	if (m == 0 || m >= n)
		return;
	want = (ptrdiff_t)m - 1;	/* the m-th best goes to a[m - 1] */
	while (lo < hi) {
		pv = a[lo + (hi - lo) / 2];
		i = lo;
		j = hi;
		while (i <= j) {
			while (acc_cmp(&a[i], &pv) < 0)
				i++;
			while (acc_cmp(&a[j], &pv) > 0)
				j--;
			if (i <= j) {
				t = a[i];
				a[i++] = a[j];
				a[j--] = t;
			}
		}
		/* a[lo..j] <= pivot, a[i..hi] >= pivot, between: equal */
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
}

static int
cand_by_bm25(const void *a, const void *b)
{
	const struct cand	*x = a, *y = b;

	if (x->bm25 != y->bm25)
		return x->bm25 < y->bm25 ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
i64cmp(const void *a, const void *b)
{
	int64_t	x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* Reads df and IDF of every term (the kw_df key of "字" * is "字 *"). */
static enum ods_err
qt_load(struct ods_kw *k, struct kw_conn *c, struct qt *q, int64_t n)
{
	const struct odsi_kw_terms	*t = q->t;
	sqlite3_stmt			*s = c->st[ST_DFGET];
	char				 key[ODSI_KW_WORD + 3];
	size_t				 i, len;
	uint32_t			 h;
	int				 rc;

	memset(q->slot, 0, sizeof(q->slot));
	for (i = 0; i < t->n; i++) {
		len = t->len[i];
		memcpy(key, t->term[i], len);
		if (t->lone[i]) {
			memcpy(key + len, " *", 2);
			len += 2;
		}
		(void)sqlite3_bind_text(s, 1, key, (int)len, SQLITE_STATIC);
		q->df[i] = 0;
		if ((rc = sqlite3_step(s)) == SQLITE_ROW)
			q->df[i] = sqlite3_column_int64(s, 0);
		(void)sqlite3_reset(s);
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			return csqerr(k, c, rc, "df");
		q->idf[i] = log(((double)n - (double)q->df[i] + 0.5) /
		    ((double)q->df[i] + 0.5));
		if (q->idf[i] <= 0)
			q->idf[i] = 1e-6;
		if (t->lone[i])
			continue;
		h = odsi_kw_hash(t->term[i], t->len[i]) & 255;
		while (q->slot[h] != 0)
			h = (h + 1) & 255;
		q->slot[h] = (int)i + 1;
	}
	return ODS_OK;
}

/* The term index of tok[0..len), or -1. */
static int
qt_find(const struct qt *q, const char *tok, size_t len)
{
	uint32_t	h;
	int		i;

	/*
	 * A few terms (most questions): compared directly, the length
	 * first, cheaper than hashing each of a candidate's tokens.
	 */
	if (q->t->n <= 8) {
		for (i = 0; i < (int)q->t->n; i++)
			if (q->t->len[i] == len && q->t->term[i][0] == tok[0] &&
			    memcmp(q->t->term[i], tok, len) == 0)
				return i;
		return -1;
	}
	h = odsi_kw_hash(tok, len) & 255;

	while ((i = q->slot[h]) != 0) {
		if (q->t->len[i - 1] == len &&
		    memcmp(q->t->term[i - 1], tok, len) == 0)
			return i - 1;
		h = (h + 1) & 255;
	}
	return -1;
}

/* BM25 of a token string (negative, lower is better, as FTS5's). */
static double
qt_bm25(const struct qt *q, const char *tok, size_t len)
{
	const struct odsi_kw_terms	*t = q->t;
	int				 tf[ODS_KW_MAX_QTERMS];
	size_t				 i = 0, j, n, dl = 0, l;
	double				 s = 0, norm;
	int				 x;

	const char			*sp;
	int				 lone = 0;

	memset(tf, 0, t->n * sizeof(tf[0]));
	for (l = 0; l < t->n; l++)
		lone |= t->lone[l];
	while (i < len) {
		sp = memchr(tok + i, ' ', len - i);
		j = sp != NULL ? (size_t)(sp - tok) : len;
		if (j > i) {
			dl++;
			if ((x = qt_find(q, tok + i, j - i)) >= 0)
				tf[x]++;
			/* A lone CJK term counts the tokens it starts. */
			if (lone && cjk_first(tok + i, j - i, &n))
				for (l = 0; l < t->n; l++)
					if (t->lone[l] && t->len[l] == n &&
					    memcmp(t->term[l], tok + i, n) == 0)
						tf[l]++;
		}
		i = j + 1;
	}
	norm = KW_K1 * (1 - KW_B + KW_B * (double)dl / q->avgdl);
	for (i = 0; i < t->n; i++)
		if (tf[i] > 0)
			s += q->idf[i] * tf[i] * (KW_K1 + 1) / (tf[i] + norm);
	return -s;
}

static size_t
idhash(int64_t id)
{
	return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull >> 20);
}

/* Adds w to id's sum in the open-addressing table cv[0..cap). */
static void
cand_add(struct acc *cv, size_t cap, int64_t id, float w, size_t *used)
{
	size_t	h = idhash(id) & (cap - 1);

	while (cv[h].p != 0 && cv[h].id != id)
		h = (h + 1) & (cap - 1);
	if (cv[h].p == 0) {
		cv[h].id = id;
		(*used)++;
	}
	cv[h].p += w;
}

/* The ids of the items of a filter's documents (a table of acc, p 1). */
struct idset {
	struct acc	*v;
	size_t		 cap;
};

static int
idset_has(const struct idset *s, int64_t id)
{
	size_t	h = idhash(id) & (s->cap - 1);

	for (; s->v[h].p != 0; h = (h + 1) & (s->cap - 1))
		if (s->v[h].id == id)
			return 1;
	return 0;
}

static enum ods_err
idset_load(struct ods_kw *k, struct kw_conn *c, const char *j,
    struct idset *set)
{
	sqlite3_stmt	*s = c->st[ST_DOCITEMS];
	int64_t		*ids = NULL;
	size_t		 n = 0, cap = 0, i, used = 0;
	int		 rc;

	(void)sqlite3_bind_text(s, 1, j, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			ids = ods_xrealloc(ids, cap * sizeof(*ids));
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE) {
		free(ids);
		return csqerr(k, c, rc, "doc_items");
	}
	for (set->cap = 16; set->cap < 2 * n + 2; set->cap *= 2)
		;
	set->v = ods_xcalloc(set->cap, sizeof(*set->v));
	for (i = 0; i < n; i++)
		cand_add(set->v, set->cap, ids[i], 1, &used);
	free(ids);
	return ODS_OK;
}

static int
passes(const struct ods_vec_filter *f, const int64_t *docs,
    const struct cand *c)
{
	if (f == NULL)
		return 1;
	if (f->has_kb && c->kb_id != f->kb_id)
		return 0;
	return f->ndoc_ids == 0 || bsearch(&c->doc_id, docs, f->ndoc_ids,
	    sizeof(*docs), i64cmp) != NULL;
}

/*
 * Merges the items of one term's postings (ids ascending, as FTS5 gives
 * them) into the sorted sums av[0..*na), adding w: one pass each.
 */
static void
merge(struct acc **av, size_t *na, const int64_t *ids, size_t n, float w)
{
	struct acc	*o;
	size_t		 i = 0, j = 0, m = 0;

	o = ods_xcalloc(*na + n + 1, sizeof(*o));
	while (i < *na || j < n) {
		if (j == n || (i < *na && (*av)[i].id < ids[j]))
			o[m++] = (*av)[i++];
		else if (i == *na || ids[j] < (*av)[i].id) {
			o[m].id = ids[j++];
			o[m++].p = w;
		} else {
			o[m] = (*av)[i++];
			o[m++].p += w;
			j++;
		}
	}
	free(*av);
	*av = o;
	*na = m;
}

/* Step 1: the items found, with their summed IDF, in *cvp[0..*ncp). */
static enum ods_err
gather(struct ods_kw *k, struct kw_conn *c, const struct qt *q,
    const struct idset *allow, struct acc **cvp, size_t *ncp)
{
	const struct odsi_kw_terms	*t = q->t;
	sqlite3_stmt			*s = c->st[ST_POST];
	enum ods_err			 er = ODS_OK;
	size_t				 ord[ODS_KW_MAX_QTERMS], i, j, no = 0;
	size_t				 n, cap = 0;
	int64_t				 sum = 0, id, *ids = NULL;
	char				 drop[ODS_KW_MAX_QTERMS], *m;
	int				 rc, sorted;

	*cvp = NULL;
	*ncp = 0;
	for (i = 0; i < t->n; i++) {
		if (q->df[i] == 0)
			continue;
		/* Words in half the items or more only select alone. */
		if (no > 0 && 2 * q->df[ord[0]] < q->n && 2 * q->df[i] >= q->n)
			continue;
		if (no > 0 && 2 * q->df[ord[0]] >= q->n && 2 * q->df[i] < q->n)
			no = 0;
		for (j = no++; j > 0 && q->df[ord[j - 1]] > q->df[i]; j--)
			ord[j] = ord[j - 1];
		ord[j] = i;
	}
	for (i = 0; i < no; i++) {
		if (i > 0 && sum + q->df[ord[i]] > KW_POSTINGS)
			break;
		sum += q->df[ord[i]];
	}
	no = i;
	for (i = 0; i < no && er == ODS_OK; i++) {
		memset(drop, 1, t->n);
		drop[ord[i]] = 0;
		if ((er = odsi_kw_expr(t, drop, &m)) != ODS_OK)
			break;
		(void)sqlite3_bind_text(s, 1, m, -1, SQLITE_STATIC);
		n = 0;
		sorted = 1;
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			id = sqlite3_column_int64(s, 0);
			if (allow != NULL && !idset_has(allow, id))
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				ids = ods_xrealloc(ids, cap * sizeof(*ids));
			}
			sorted = sorted && (n == 0 || ids[n - 1] < id);
			ids[n++] = id;
		}
		(void)sqlite3_reset(s);
		(void)sqlite3_clear_bindings(s);
		free(m);
		if (rc != SQLITE_DONE) {
			er = csqerr(k, c, rc, "postings");
			break;
		}
		if (!sorted)
			qsort(ids, n, sizeof(*ids), i64cmp);
		merge(cvp, ncp, ids, n, (float)q->idf[ord[i]]);
	}
	free(ids);
	return er;
}

/* Binds ids[0..n), n <= KW_CANDS, to s's ?1 .. ?32. */
static void
bind_ids(sqlite3_stmt *s, const int64_t *ids, size_t n)
{
	size_t	i;

	/* Unused slots repeat the first id: IN matches it once. */
	for (i = 0; i < KW_CANDS; i++)
		(void)sqlite3_bind_int64(s, (int)i + 1, ids[i < n ? i : 0]);
}

/*
 * The BM25 of the candidates ids[0..n), n <= KW_CANDS, that pass f, in
 * one statement: appended to cv in the order the rows come. With a
 * filter (ST_CANDS) their items come too; without one (ST_TEXTS) only
 * the text, and doc_id and kb_id are left for items_of.
 */
static enum ods_err
score_many(struct ods_kw *k, struct kw_conn *c, const struct qt *q,
    const struct ods_vec_filter *f, const int64_t *docs, const int64_t *ids,
    size_t n, struct cand *cv, size_t *kept)
{
	sqlite3_stmt	*s = c->st[f != NULL ? ST_CANDS : ST_TEXTS];
	struct cand	*x;
	int		 rc;

	bind_ids(s, ids, n);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		x = &cv[*kept];
		x->id = sqlite3_column_int64(s, 0);
		x->doc_id = f != NULL ? sqlite3_column_int64(s, 2) : 0;
		x->kb_id = f != NULL ? sqlite3_column_int64(s, 3) : 0;
		if (passes(f, docs, x)) {
			x->bm25 = qt_bm25(q, (const char *)
			    sqlite3_column_text(s, 1),
			    (size_t)sqlite3_column_bytes(s, 1));
			(*kept)++;
		}
	}
	(void)sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return csqerr(k, c, rc, "candidates");
	return ODS_OK;
}

/* doc_id and kb_id of hits[0..n) (scored by ST_TEXTS), KW_CANDS at once. */
static enum ods_err
items_of(struct ods_kw *k, struct kw_conn *c, struct ods_kw_hit *hits,
    size_t n)
{
	sqlite3_stmt	*s = c->st[ST_ITEMS];
	int64_t		 ids[KW_CANDS], id;
	size_t		 i, b, nb;
	int		 rc = SQLITE_DONE;

	for (i = 0; i < n && rc == SQLITE_DONE; i += nb) {
		nb = n - i < KW_CANDS ? n - i : KW_CANDS;
		for (b = 0; b < nb; b++)
			ids[b] = hits[i + b].id;
		bind_ids(s, ids, nb);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			id = sqlite3_column_int64(s, 0);
			for (b = i; b < i + nb; b++)
				if (hits[b].id == id) {
					hits[b].doc_id =
					    sqlite3_column_int64(s, 1);
					hits[b].kb_id =
					    sqlite3_column_int64(s, 2);
				}
		}
		(void)sqlite3_reset(s);
	}
	return rc == SQLITE_DONE ? ODS_OK : csqerr(k, c, rc, "items");
}

/*
 * A connection opened on a first-version file before its writer added
 * kw_df: prepares what was missing. Returns whether all is there now.
 */
static int
prepare_df(struct kw_conn *c)
{
	size_t	i;

	for (i = ST_DFFIRST; i < ST__MAX; i++)
		if (c->st[i] == NULL && sqlite3_prepare_v3(c->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &c->st[i], NULL) != SQLITE_OK)
			return 0;
	return c->hasdf = 1;
}

static enum ods_err
search_df(struct ods_kw *k, struct kw_conn *c, const struct odsi_kw_terms *t,
    size_t kmax, const struct ods_vec_filter *f, const char *j,
    float threshold, struct ods_kw_hit *hits, size_t *nhits)
{
	struct idset	 allow = { NULL, 0 };
	struct qt	*q;
	struct acc	*av = NULL;
	struct cand	*cv = NULL;
	enum ods_err	 er;
	int64_t		 n, ntok, *docs = NULL;
	size_t		 na = 0, i, i0, m, kept = 0, want, nb, b;
	int64_t		 bids[KW_CANDS];
	double		 x;
	float		 score;

	if ((er = cmeta(k, c, "n", &n)) != ODS_OK ||
	    (er = cmeta(k, c, "ntok", &ntok)) != ODS_OK)
		return er == ODS_ENOTFOUND ? ODS_ECORRUPT : er;
	if (n <= 0)
		return ODS_OK;
	q = ods_xcalloc(1, sizeof(*q));
	q->t = t;
	q->n = n;
	q->avgdl = ntok > 0 ? (double)ntok / (double)n : 1;
	/* Documents: only their items are collected. */
	if (j != NULL && (er = idset_load(k, c, j, &allow)) != ODS_OK)
		goto out;
	if ((er = qt_load(k, c, q, n)) != ODS_OK ||
	    (er = gather(k, c, q, j != NULL ? &allow : NULL, &av, &na)) !=
	    ODS_OK)
		goto out;
	if (f != NULL && f->ndoc_ids > 0) {
		docs = ods_xcalloc(f->ndoc_ids, sizeof(*docs));
		memcpy(docs, f->doc_ids, f->ndoc_ids * sizeof(*docs));
		qsort(docs, f->ndoc_ids, sizeof(*docs), i64cmp);
	}
	want = KW_CAND_PER_K * kmax > KW_CAND ? KW_CAND_PER_K * kmax : KW_CAND;
	cv = ods_xcalloc(want, sizeof(*cv));
	/* Step 2: the first want candidates that pass f, with their BM25. */
	for (i0 = 0; i0 < na && kept < want && er == ODS_OK; i0 += m) {
		m = na - i0 < want - kept ? na - i0 : want - kept;
		acc_select(av + i0, na - i0, m);
		for (i = i0; i < i0 + m && er == ODS_OK; i += nb) {
			nb = i0 + m - i < KW_CANDS ? i0 + m - i : KW_CANDS;
			for (b = 0; b < nb; b++)
				bids[b] = av[i + b].id;
			er = score_many(k, c, q, f, docs, bids, nb, cv, &kept);
		}
	}
	if (er != ODS_OK)
		goto out;
	qsort(cv, kept, sizeof(*cv), cand_by_bm25);
	for (i = 0; i < kept && *nhits < kmax; i++) {
		x = -cv[i].bm25 > 0 ? -cv[i].bm25 : 0;
		score = (float)(x / (1 + x));
		if (score < threshold)
			break;
		hits[*nhits].id = cv[i].id;
		hits[*nhits].doc_id = cv[i].doc_id;
		hits[*nhits].kb_id = cv[i].kb_id;
		hits[*nhits].bm25 = cv[i].bm25;
		hits[*nhits].score = score;
		(*nhits)++;
	}
	if (f == NULL)
		er = items_of(k, c, hits, *nhits);
out:
	free(allow.v);
	free(docs);
	free(cv);
	free(av);
	free(q);
	return er;
}

enum ods_err
ods_kw_search(struct ods_kw *k, const char *query, size_t qlen, size_t kmax,
    const struct ods_vec_filter *f, float threshold, struct ods_kw_hit *hits,
    size_t *nhits)
{
	struct odsi_kw_terms	*t = NULL;
	struct kw_conn		*c;
	enum ods_err		 er;
	int64_t			 seq, dfseq, format;
	char			*j = NULL;

	*nhits = 0;
	if (kmax == 0 || isnan(threshold) || hits == NULL ||
	    (query == NULL && qlen > 0))
		return ODS_EINVAL;
	if (kmax > ODS_KW_MAX_K)
		return ODS_ETOOBIG;
	if ((er = doc_json(f, &j)) != ODS_OK)
		return er;
	if ((t = malloc(sizeof(*t))) == NULL) {
		free(j);
		return ODS_ENOMEM;
	}
	odsi_kw_terms(query, qlen, 1, t);
	if (t->n == 0 || (er = pool_get(k, &c)) != ODS_OK)
		goto out;
	/* One read transaction: kw_df, the counts and FTS5 agree. */
	if ((er = crun(k, c, ST_RBEGIN)) == ODS_OK) {
		/* A file of format 1 holds words as they were written. */
		if (cmeta(k, c, "format", &format) == ODS_OK &&
		    format < KW_FORMAT_STEM)
			odsi_kw_terms(query, qlen, 0, t);
		if (cmeta(k, c, "seq", &seq) == ODS_OK &&
		    cmeta(k, c, "dfseq", &dfseq) == ODS_OK && seq == dfseq &&
		    (c->hasdf || prepare_df(c)))
			er = search_df(k, c, t, kmax, f, j, threshold, hits,
			    nhits);
		else
			er = search_fts(k, c, t, kmax, f, j, threshold, hits,
			    nhits);
		(void)crun(k, c, ST_COMMIT);
	}
	pool_put(k, c);
out:
	free(t);
	free(j);
	return er;
}

enum ods_err
ods_kw_stats(struct ods_kw *k, struct ods_kw_stats *st)
{
	sqlite3_stmt	*s = k->c.st[ST_COUNT];
	struct stat	 sb;
	enum ods_err	 er = ODS_OK;
	char		 wal[PATH_MAX];
	int		 rc;

	memset(st, 0, sizeof(*st));
	st->seq = ods_kw_seq(k);
	(void)pthread_mutex_lock(&k->mu);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW)
		st->items = (size_t)sqlite3_column_int64(s, 0);
	else
		er = sqerr(k, rc, "count");
	(void)sqlite3_reset(s);
	(void)pthread_mutex_unlock(&k->mu);
	if (stat(k->path, &sb) == 0)
		st->bytes += (uint64_t)sb.st_size;
	(void)snprintf(wal, sizeof(wal), "%s-wal", k->path);
	if (stat(wal, &sb) == 0)
		st->bytes += (uint64_t)sb.st_size;
	return er;
}

enum ods_err
ods_kw_optimize(struct ods_kw *k)
{
	int	rc;

	if (!k->writer)
		return ODS_EINVAL;
	(void)pthread_mutex_lock(&k->mu);
	rc = sqlite3_exec(k->c.db, "INSERT INTO kw_fts(kw_fts) "
	    "VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);", NULL,
	    NULL, NULL);
	(void)pthread_mutex_unlock(&k->mu);
	return rc == SQLITE_OK ? ODS_OK : sqerr(k, rc, "optimize");
}
