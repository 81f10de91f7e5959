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

#define KW_FORMAT	1
#define KW_LOCK		"kw.lock"
#define KW_BUSY_MS	5000

enum {
	ST_BEGIN, ST_COMMIT, ST_ROLLBACK, ST_GETMETA, ST_SETSEQ, ST_DELFTS,
	ST_DELITEM, ST_INSFTS, ST_INSITEM, ST_SEARCH, ST_WHEREFTS,
	ST_WHEREITEMS, ST_COUNT, ST_ADDN, ST_DF, ST__MAX
};

/* Filters bind ?2 (kb_id or NULL) and ?3 (a JSON array of doc ids). */
#define WHERE_F	"(?2 IS NULL OR kb_id = ?2) AND (?3 IS NULL OR " \
	"doc_id IN (SELECT value FROM json_each(?3)))"

static const char *const sql[ST__MAX] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GETMETA] = "SELECT v FROM kw_meta WHERE k = ?1",
	[ST_SETSEQ] = "UPDATE kw_meta SET v = ?1 WHERE k = 'seq'",
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
};

/* One transaction: a reader sees all of it or an empty file. */
static const char schema[] =
	"BEGIN IMMEDIATE;"
	"CREATE TABLE IF NOT EXISTS kw_meta (k TEXT PRIMARY KEY, "
	"v INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS kw_items (id INTEGER PRIMARY KEY, "
	"doc_id INTEGER NOT NULL, kb_id INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS kw_items_doc ON kw_items (doc_id);"
	"CREATE INDEX IF NOT EXISTS kw_items_kb ON kw_items (kb_id);"
	"CREATE VIRTUAL TABLE IF NOT EXISTS kw_fts USING fts5(tok, "
	"tokenize = 'unicode61 remove_diacritics 2');"
	"CREATE VIRTUAL TABLE IF NOT EXISTS kw_vocab USING "
	"fts5vocab(kw_fts, 'row');"
	"INSERT OR IGNORE INTO kw_meta VALUES ('format', 1), ('seq', 0);"
	/* A file of the first version has no count yet. */
	"INSERT OR IGNORE INTO kw_meta SELECT 'n', count(*) FROM kw_items;"
	"COMMIT;";

struct ods_kw {
	pthread_mutex_t	 mu;
	sqlite3		*db;
	char		*dir;
	char		*path;
	int		 writer;
	int		 lockfd;
	uint64_t	 seq;		/* writer: last applied */
	int64_t		 ndelta;	/* writer: items added in this tx */
	char		*tok;		/* writer: token string buffer */
	size_t		 toklen;
	sqlite3_stmt	*st[ST__MAX];
};

/* Maps a SQLite result code, logging SQLite's message once. */
static enum ods_err
sqerr(struct ods_kw *k, int rc, const char *what)
{
	ods_log(ODS_LOG_ERR, "kw_sqlite op=%s dir=%s rc=%d msg=\"%s\"", what,
	    k->dir, rc, k->db != NULL ? sqlite3_errmsg(k->db) :
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

/* Runs a prepared statement that returns no row, then resets it. */
static enum ods_err
run(struct ods_kw *k, int which)
{
	sqlite3_stmt	*s = k->st[which];
	int		 rc;

	rc = sqlite3_step(s);
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return sqerr(k, rc, sql[which]);
	return ODS_OK;
}

static enum ods_err
get_meta(struct ods_kw *k, const char *key, int64_t *v)
{
	sqlite3_stmt	*s = k->st[ST_GETMETA];
	enum ods_err	 er = ODS_OK;
	int		 rc;

	(void)sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (rc == SQLITE_DONE) {
		ods_log(ODS_LOG_ERR, "kw_meta_missing dir=%s key=%s", k->dir,
		    key);
		er = ODS_ECORRUPT;
	} else
		er = sqerr(k, rc, "get_meta");
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
	return er;
}

void
ods_kw_close(struct ods_kw *k)
{
	size_t	i;

	if (k == NULL)
		return;
	for (i = 0; i < ST__MAX; i++)
		(void)sqlite3_finalize(k->st[i]);
	/* The last connection checkpoints and removes the WAL. */
	if (k->db != NULL && sqlite3_close(k->db) != SQLITE_OK)
		ods_log(ODS_LOG_WARN, "kw_close_busy dir=%s", k->dir);
	if (k->lockfd != -1)
		(void)close(k->lockfd);		/* releases the flock */
	(void)pthread_mutex_destroy(&k->mu);
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
	k->dir = ods_xstrdup(dir);
	(void)ods_xasprintf(&k->path, "%s/%s", dir, ODS_KW_FILE);
	(void)pthread_mutex_init(&k->mu, NULL);
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
no_tables(struct ods_kw *k)
{
	sqlite3_stmt	*s = NULL;
	int		 n = -1;

	if (sqlite3_prepare_v2(k->db, "SELECT count(*) FROM sqlite_master",
	    -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	(void)sqlite3_finalize(s);
	if (n == 0)
		return ODS_ENOTFOUND;
	ods_log(ODS_LOG_ERR, "kw_not_an_index dir=%s tables=%d", k->dir, n);
	return ODS_ECORRUPT;
}

/* Opens the connection, sets it up, checks the format, prepares. */
static enum ods_err
db_open(struct ods_kw *k, int flags)
{
	enum ods_err	 er;
	int64_t		 format, seq;
	size_t		 i;
	int		 rc;

	rc = sqlite3_open_v2(k->path, &k->db, flags | SQLITE_OPEN_FULLMUTEX,
	    NULL);
	if (rc != SQLITE_OK)
		return sqerr(k, rc, "open");
	(void)sqlite3_extended_result_codes(k->db, 1);
	(void)sqlite3_busy_timeout(k->db, KW_BUSY_MS);
	/* FULL: a commit's WAL frames are synced before it returns. */
	rc = sqlite3_exec(k->db, k->writer ? "PRAGMA journal_mode = WAL;"
	    "PRAGMA synchronous = FULL;" : "PRAGMA query_only = 1;",
	    NULL, NULL, NULL);
	if (rc == SQLITE_OK && k->writer)
		rc = sqlite3_exec(k->db, schema, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sqerr(k, rc, "setup");
	for (i = 0; i < ST__MAX; i++) {
		rc = sqlite3_prepare_v3(k->db, sql[i], -1,
		    SQLITE_PREPARE_PERSISTENT, &k->st[i], NULL);
		/* A reader of a first-version file searches without prune. */
		if (rc != SQLITE_OK && i == ST_DF && !k->writer)
			continue;
		if (rc != SQLITE_OK)
			return (rc & 0xff) == SQLITE_ERROR ? no_tables(k) :
			    sqerr(k, rc, "prepare");
	}
	if ((er = get_meta(k, "format", &format)) != ODS_OK ||
	    (er = get_meta(k, "seq", &seq)) != ODS_OK)
		return er;
	if (format != KW_FORMAT || seq < 0) {
		ods_log(ODS_LOG_ERR, "kw_format dir=%s format=%" PRId64,
		    k->dir, format);
		return ODS_ECORRUPT;
	}
	k->seq = (uint64_t)seq;
	return ODS_OK;
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

/* A transaction that ends with seq recorded, or is rolled back. */
static enum ods_err
tx_begin(struct ods_kw *k, uint64_t seq)
{
	if (!k->writer || seq <= k->seq || seq > INT64_MAX)
		return ODS_EINVAL;
	k->ndelta = 0;
	return run(k, ST_BEGIN);
}

static enum ods_err
tx_end(struct ods_kw *k, uint64_t seq, enum ods_err er)
{
	if (er == ODS_OK) {
		(void)sqlite3_bind_int64(k->st[ST_SETSEQ], 1, (int64_t)seq);
		er = run(k, ST_SETSEQ);
	}
	if (er == ODS_OK && k->ndelta != 0) {
		(void)sqlite3_bind_int64(k->st[ST_ADDN], 1, k->ndelta);
		er = run(k, ST_ADDN);
	}
	if (er == ODS_OK && (er = run(k, ST_COMMIT)) == ODS_OK)
		k->seq = seq;
	if (er != ODS_OK && !sqlite3_get_autocommit(k->db))
		(void)run(k, ST_ROLLBACK);
	return er;
}

static enum ods_err
del_id(struct ods_kw *k, int64_t id, size_t *ndeleted)
{
	enum ods_err	er;
	int		nd;

	(void)sqlite3_bind_int64(k->st[ST_DELITEM], 1, id);
	if ((er = run(k, ST_DELITEM)) != ODS_OK)
		return er;
	nd = sqlite3_changes(k->db);
	k->ndelta -= nd;
	if (ndeleted != NULL)
		*ndeleted = (size_t)nd;
	(void)sqlite3_bind_int64(k->st[ST_DELFTS], 1, id);
	return run(k, ST_DELFTS);
}

static enum ods_err
add_one(struct ods_kw *k, const struct ods_kw_item *it)
{
	sqlite3_stmt	*s;
	enum ods_err	 er;
	size_t		 need, n;

	if ((er = del_id(k, it->id, NULL)) != ODS_OK)
		return er;
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
	s = k->st[ST_INSITEM];
	(void)sqlite3_bind_int64(s, 1, it->id);
	(void)sqlite3_bind_int64(s, 2, it->doc_id);
	(void)sqlite3_bind_int64(s, 3, it->kb_id);
	if ((er = run(k, ST_INSITEM)) != ODS_OK)
		return er;
	k->ndelta++;
	s = k->st[ST_INSFTS];
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
		bind_filter(k->st[ST_WHEREFTS], f, j);
		if ((er = run(k, ST_WHEREFTS)) == ODS_OK) {
			bind_filter(k->st[ST_WHEREITEMS], f, j);
			er = run(k, ST_WHEREITEMS);
			nd = (size_t)sqlite3_changes(k->db);
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
collect(struct ods_kw *k, size_t kmax, float threshold,
    struct ods_kw_hit *hits, size_t *nhits)
{
	sqlite3_stmt	*s = k->st[ST_SEARCH];
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
		return sqerr(k, rc, "search");
	return ODS_OK;
}

/*
 * Marks in drop the terms in half the items or more: FTS5's bm25 gives
 * them an IDF of 1e-6, so leaving them out of the MATCH changes no score
 * that counts, and spares ranking every item that has "the" or "and".
 * When every term is that common all stay. A term FTS5 would index
 * differently (diacritics, split words) is not found and stays.
 */
static enum ods_err
prune(struct ods_kw *k, const struct odsi_kw_terms *t, char *drop)
{
	sqlite3_stmt	*s = k->st[ST_DF];
	int64_t		 n, df;
	size_t		 i, kept = 0;
	int		 rc;

	memset(drop, 0, t->n);
	if (s == NULL || get_meta(k, "n", &n) != ODS_OK)
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
				return sqerr(k, rc, "df");
		}
		drop[i] = n > 0 && 2 * df >= n;
		kept += !drop[i];
	}
	if (kept == 0)
		memset(drop, 0, t->n);
	return ODS_OK;
}

enum ods_err
ods_kw_search(struct ods_kw *k, const char *query, size_t qlen, size_t kmax,
    const struct ods_vec_filter *f, float threshold, struct ods_kw_hit *hits,
    size_t *nhits)
{
	sqlite3_stmt		*s = k->st[ST_SEARCH];
	struct odsi_kw_terms	*t = NULL;
	enum ods_err		 er;
	char			*m = NULL, *j = NULL, drop[ODS_KW_MAX_QTERMS];

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
	odsi_kw_terms(query, qlen, t);
	(void)pthread_mutex_lock(&k->mu);
	if (t->n == 0 || (er = prune(k, t, drop)) != ODS_OK ||
	    (er = odsi_kw_expr(t, drop, &m)) != ODS_OK)
		goto out;
	(void)sqlite3_bind_text(s, 1, m, -1, SQLITE_STATIC);
	bind_filter(s, f, j);
	(void)sqlite3_bind_int64(s, 4, (int64_t)kmax);
	er = collect(k, kmax, threshold, hits, nhits);
	(void)sqlite3_reset(s);
	(void)sqlite3_clear_bindings(s);
out:
	(void)pthread_mutex_unlock(&k->mu);
	free(t);
	free(m);
	free(j);
	return er;
}

enum ods_err
ods_kw_stats(struct ods_kw *k, struct ods_kw_stats *st)
{
	sqlite3_stmt	*s = k->st[ST_COUNT];
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
	rc = sqlite3_exec(k->db, "INSERT INTO kw_fts(kw_fts) "
	    "VALUES ('optimize'); PRAGMA wal_checkpoint(TRUNCATE);", NULL,
	    NULL, NULL);
	(void)pthread_mutex_unlock(&k->mu);
	return rc == SQLITE_OK ? ODS_OK : sqerr(k, rc, "optimize");
}
