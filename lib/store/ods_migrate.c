/*
 * lib/store/ods_migrate.c — apply sql/NNNN_name.sql files once, in order.
 *
 * The files are trusted text shipped with the product; their statements
 * are the one thing in libods run as text rather than as prepared
 * statements with bound values (through ods_db_exec_trusted_text, which
 * only this file declares). Everything else here uses ods_db as usual.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#define ODS_DB_TRUSTED_TEXT	/* migrations are trusted text */
#include "store/ods_db.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_migrate.h"
#include "core/ods_time.h"

struct mfile {
	long	 version;
	char	*fname;		/* "0001_init.sql" */
	char	*name;		/* "init" */
	char	*text;
	size_t	 len;
	char	 sum[65];	/* SHA-256, hex */
	unsigned nstmts;
};

struct mset {
	struct mfile	*v;
	size_t		 n;
};

static void
say(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
say(FILE *out, const char *fmt, ...)
{
	va_list	ap;

	if (out == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(out, fmt, ap);
	va_end(ap);
	fputc('\n', out);
	fflush(out);
}

/* ---- splitting ---- */

static enum ods_err
split_fail(unsigned line, unsigned *bad_line, struct ods_why *why,
    const char *msg)
{
	if (bad_line != NULL)
		*bad_line = line;
	ods_why_set(why, NULL, "%s", msg);
	return ODS_EINVAL;
}

/* Skip a quoted string or identifier starting at t[*i]; 0 if unterminated. */
static int
skip_quoted(const char *t, size_t n, size_t *i, unsigned *line)
{
	char	q = t[*i];
	size_t	j;

	for (j = *i + 1; j < n; j++) {
		if (t[j] == '\n')
			(*line)++;
		if (t[j] == '\\' && q != '`') {
			if (++j < n && t[j] == '\n')
				(*line)++;
			continue;
		}
		if (t[j] != q)
			continue;
		if (j + 1 < n && t[j + 1] == q) {	/* '' inside '...' */
			j++;
			continue;
		}
		*i = j + 1;
		return 1;
	}
	return 0;
}

/* Skip a comment at t[*i] if there is one; -1 when unterminated. */
static int
skip_comment(const char *t, size_t n, size_t *i, unsigned *line)
{
	size_t	j = *i;

	if (t[j] == '#' || (t[j] == '-' && j + 1 < n && t[j + 1] == '-' &&
	    (j + 2 == n || (unsigned char)t[j + 2] <= ' '))) {
		while (j < n && t[j] != '\n')
			j++;
		*i = j;
		return 1;
	}
	if (t[j] != '/' || j + 1 >= n || t[j + 1] != '*')
		return 0;
	for (j += 2; j + 1 < n; j++) {
		if (t[j] == '\n')
			(*line)++;
		if (t[j] == '*' && t[j + 1] == '/') {
			*i = j + 2;
			return 1;
		}
	}
	return -1;
}

static enum ods_err
emit(const char *s, size_t len, unsigned line,
    enum ods_err (*fn)(void *, const char *, size_t, unsigned), void *arg,
    unsigned *bad_line, struct ods_why *why)
{
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	if (len >= 9 && strncasecmp(s, "DELIMITER", 9) == 0 &&
	    (len == 9 || isspace((unsigned char)s[9])))
		return split_fail(line, bad_line, why,
		    "DELIMITER is not supported (see sql/README.md)");
	return fn(arg, s, len, line);
}

enum ods_err
ods_migrate_split(const char *t, size_t n,
    enum ods_err (*fn)(void *, const char *, size_t, unsigned), void *arg,
    unsigned *bad_line, struct ods_why *why)
{
	size_t		i = 0, j, start = 0;
	unsigned	line = 1, sline = 0, at;
	int		code = 0, rc;
	enum ods_err	er;

	while (i < n) {
		if (t[i] == '\n') {
			line++, i++;
			continue;
		}
		at = line;
		if ((rc = skip_comment(t, n, &i, &line)) != 0) {
			if (rc < 0)
				return split_fail(at, bad_line, why,
				    "unterminated /* comment");
			continue;
		}
		if (!code && !isspace((unsigned char)t[i])) {
			code = 1;
			start = i;
			sline = line;
		}
		if (t[i] == '\'' || t[i] == '"' || t[i] == '`') {
			if (!skip_quoted(t, n, &i, &line))
				return split_fail(at, bad_line, why,
				    "unterminated quote");
			continue;
		}
		if (t[i] != ';') {
			i++;
			continue;
		}
		for (j = i + 1; j < n && (t[j] == ' ' || t[j] == '\t' ||
		    t[j] == '\r'); j++)
			;
		if (j < n && t[j] != '\n')
			return split_fail(line, bad_line, why,
			    "';' must be the last thing on its line");
		/* A lone ';' (after a comment, say) is no statement. */
		er = i == start ? ODS_OK : emit(t + start, i - start, sline,
		    fn, arg, bad_line, why);
		if (er != ODS_OK)
			return er;
		code = 0;
		i = j;
	}
	return code ? emit(t + start, n - start, sline, fn, arg, bad_line,
	    why) : ODS_OK;
}

/* ---- files ---- */

static void
mset_free(struct mset *s)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].fname);
		free(s->v[i].name);
		free(s->v[i].text);
	}
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* "0001_init.sql" -> 1, "init"; -1 when the name is not of that form. */
static long
parse_name(const char *fname, char **name)
{
	size_t	len = strlen(fname), i, nd;
	long	v = 0;

	for (nd = 0; nd < len && isdigit((unsigned char)fname[nd]); nd++)
		v = v * 10 + (fname[nd] - '0');
	if (nd == 0 || nd > 9 || v == 0 || fname[nd] != '_' ||
	    len <= nd + 1 + 4)
		return -1;
	for (i = nd + 1; i < len - 4; i++)
		if (!isalnum((unsigned char)fname[i]) && fname[i] != '_' &&
		    fname[i] != '-' && fname[i] != '.')
			return -1;
	*name = ods_xstrndup(fname + nd + 1, len - 4 - nd - 1);
	return v;
}

static enum ods_err
read_file(const char *dir, struct mfile *f, FILE *out)
{
	char		*path = NULL;
	struct stat	 st;
	size_t		 off = 0;
	ssize_t		 r;
	int		 fd;
	enum ods_err	 er = ODS_EIO;

	ods_xasprintf(&path, "%s/%s", dir, f->fname);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode) || st.st_size > ODS_MIGRATE_MAX_FILE) {
		er = S_ISREG(st.st_mode) ? ODS_ETOOBIG : ODS_EINVAL;
		say(out, "%s: not a regular file of at most %u bytes", path,
		    ODS_MIGRATE_MAX_FILE);
		goto out;
	}
	f->text = ods_xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		r = read(fd, f->text + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		off += (size_t)r;
	}
	f->text[off] = '\0';
	f->len = off;
	er = ODS_OK;
out:
	if (er == ODS_EIO) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "migrate_read path=%s",
		    path);
		say(out, "%s: cannot read: %s", path, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return er;
}

static void
checksum(struct mfile *f)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	f->sum[0] = '\0';
	if (EVP_Digest(f->text, f->len, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(f->sum + 2 * i, 3, "%02x", md[i]);
}

static enum ods_err
count_stmt(void *arg, const char *s, size_t len, unsigned line)
{
	(*(unsigned *)arg)++;
	return ODS_OK;
}

static int
by_version(const void *a, const void *b)
{
	const struct mfile	*x = a, *y = b;

	return x->version < y->version ? -1 : x->version > y->version;
}

/* Read, checksum and split-check one file already named in f. */
static enum ods_err
load_file(const char *dir, struct mfile *f, FILE *out)
{
	enum ods_err	er;
	unsigned	line = 0;
	struct ods_why		why;

	if ((er = read_file(dir, f, out)) != ODS_OK)
		return er;
	checksum(f);
	er = ods_migrate_split(f->text, f->len, count_stmt, &f->nstmts, &line,
	    &why);
	if (er != ODS_OK)
		say(out, "%s:%u: %s", f->fname, line, why.msg);
	return er;
}

static enum ods_err
scan_dir(const char *dir, struct mset *set, FILE *out)
{
	DIR		*d;
	struct dirent	*de;
	struct mfile	*f;
	size_t		 len, cap = 0;

	if ((d = opendir(dir)) == NULL) {
		ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "migrate_dir path=%s", dir);
		say(out, "%s: cannot read: %s", dir, strerror(errno));
		return ODS_EIO;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		if (set->n == ODS_MIGRATE_MAX_FILES) {
			closedir(d);
			return ODS_ETOOBIG;
		}
		if (set->n == cap) {
			cap = cap == 0 ? 16 : cap * 2;
			set->v = ods_xrealloc(set->v, cap * sizeof(*set->v));
		}
		f = &set->v[set->n++];
		memset(f, 0, sizeof(*f));
		f->fname = ods_xstrdup(de->d_name);
		if ((f->version = parse_name(de->d_name, &f->name)) < 0) {
			say(out, "%s: bad migration file name (want "
			    "NNNN_name.sql)", de->d_name);
			closedir(d);
			return ODS_EINVAL;
		}
	}
	closedir(d);
	return ODS_OK;
}

static enum ods_err
load_dir(const char *dir, struct mset *set, FILE *out)
{
	enum ods_err	er;
	size_t		i;

	if ((er = scan_dir(dir, set, out)) != ODS_OK)
		return er;
	qsort(set->v, set->n, sizeof(*set->v), by_version);
	for (i = 1; i < set->n; i++)
		if (set->v[i].version == set->v[i - 1].version) {
			say(out, "%s and %s have the same version",
			    set->v[i - 1].fname, set->v[i].fname);
			return ODS_EINVAL;
		}
	for (i = 0; i < set->n; i++)
		if ((er = load_file(dir, &set->v[i], out)) != ODS_OK)
			return er;
	return ODS_OK;
}

/* ---- the database side ---- */

static enum ods_err
lock(struct ods_db_conn *c, int timeout_s, FILE *out)
{
	struct ods_db_arg	 a[] = { ods_db_int(timeout_s) };
	struct ods_db_res	*res;
	enum ods_err		 er;
	int64_t			 got = 0;

	er = ods_db_query(c, "SELECT GET_LOCK(CONCAT('ods_migrate:', "
	    "LEFT(SHA2(COALESCE(DATABASE(), ''), 256), 40)), ?)", a, 1, 1,
	    &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_int(res, 0, 0, &got) != ODS_OK || got != 1) {
		say(out, "another migration holds the lock; gave up after "
		    "%d s", timeout_s);
		er = ODS_ETIMEOUT;
	}
	ods_db_res_free(res);
	return er;
}

static void
unlock(struct ods_db_conn *c)
{
	if (ods_db_exec(c, "DO RELEASE_LOCK(CONCAT('ods_migrate:', "
	    "LEFT(SHA2(COALESCE(DATABASE(), ''), 256), 40)))", NULL, 0,
	    NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "migrate_unlock_failed");
}

static enum ods_err
ensure_table(struct ods_db_conn *c)
{
	return ods_db_exec(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    " version BIGINT NOT NULL PRIMARY KEY,"
	    " name VARCHAR(255) NOT NULL,"
	    " checksum CHAR(64) NOT NULL,"
	    " statements INT NOT NULL DEFAULT 0,"
	    " execution_ms INT NOT NULL DEFAULT 0,"
	    " applied_by VARCHAR(255) NULL,"
	    " applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
	    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 "
	    "COLLATE=utf8mb4_unicode_ci", NULL, 0, NULL);
}

/* Rows: version, name, checksum, applied_at; *res NULL when no table. */
static enum ods_err
load_applied(struct ods_db_conn *c, int need_table, struct ods_db_res **res)
{
	struct ods_db_res	*t;
	enum ods_err		 er;
	int64_t			 n = 0;

	*res = NULL;
	if (!need_table) {
		er = ods_db_query(c, "SELECT COUNT(*) FROM information_schema."
		    "tables WHERE table_schema = DATABASE() AND "
		    "table_name = 'schema_migrations'", NULL, 0, 1, &t);
		if (er != ODS_OK)
			return er;
		er = ods_db_res_int(t, 0, 0, &n);
		ods_db_res_free(t);
		if (er != ODS_OK || n == 0)
			return er;
	}
	return ods_db_query(c, "SELECT version, name, checksum, "
	    "DATE_FORMAT(applied_at, '%Y-%m-%d %H:%i:%s') FROM "
	    "schema_migrations ORDER BY version", NULL, 0,
	    ODS_MIGRATE_MAX_FILES + 1, res);
}

/* Row index of version in res, or -1. */
static long
find_applied(const struct ods_db_res *res, long version)
{
	size_t	i;
	int64_t	v;

	for (i = 0; res != NULL && i < ods_db_res_nrows(res); i++)
		if (ods_db_res_int(res, i, 0, &v) == ODS_OK && v == version)
			return (long)i;
	return -1;
}

static const struct mfile *
find_file(const struct mset *set, int64_t version)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (set->v[i].version == version)
			return &set->v[i];
	return NULL;
}

/*
 * Compare what was applied with the files: a changed file is refused
 * (ECORRUPT), a pending file older than the newest applied one too
 * (EINVAL: migrations only go forward). *pending counts the rest.
 */
static enum ods_err
verify(const struct mset *set, const struct ods_db_res *res, FILE *out,
    unsigned *pending)
{
	const struct mfile	*f;
	const char		*sum;
	enum ods_err		 er = ODS_OK;
	size_t			 i;
	int64_t			 v, newest = 0;

	*pending = 0;
	for (i = 0; res != NULL && i < ods_db_res_nrows(res); i++) {
		if (ods_db_res_int(res, i, 0, &v) != ODS_OK)
			continue;
		newest = v > newest ? v : newest;
		sum = ods_db_res_text(res, i, 2, NULL);
		if ((f = find_file(set, v)) == NULL)
			say(out, "version %lld (%s) is applied but has no file",
			    (long long)v, ods_db_res_text(res, i, 1, NULL));
		else if (sum == NULL || strcmp(sum, f->sum) != 0) {
			say(out, "%s was changed after it was applied "
			    "(checksum %.12s, file %.12s): refusing", f->fname,
			    sum == NULL ? "?" : sum, f->sum);
			ods_log(ODS_LOG_ERR, "migrate_checksum_mismatch "
			    "file=%s", f->fname);
			er = ODS_ECORRUPT;
		}
	}
	for (i = 0; i < set->n; i++) {
		if (find_applied(res, set->v[i].version) >= 0)
			continue;
		(*pending)++;
		if (set->v[i].version < newest && er == ODS_OK) {
			say(out, "%s is older than applied version %lld: "
			    "migrations only go forward", set->v[i].fname,
			    (long long)newest);
			er = ODS_EINVAL;
		}
	}
	return er;
}

struct apply_ctx {
	struct ods_db_conn	*c;
	const struct mfile	*f;
	FILE			*out;
	unsigned		 n;
};

static enum ods_err
apply_stmt(void *arg, const char *s, size_t len, unsigned line)
{
	struct apply_ctx	*x = arg;
	enum ods_err		 er;
	struct ods_why		 why;

	x->n++;
	er = ods_db_exec_trusted_text(x->c, s, len, &why);
	if (er != ODS_OK) {
		say(x->out, "%s:%u: statement %u failed: %s", x->f->fname,
		    line, x->n, why.msg[0] != '\0' ? why.msg : ods_strerror(er));
		ods_log(ODS_LOG_ERR, "migrate_statement_failed file=%s line=%u",
		    x->f->fname, line);
	}
	return er;
}

static enum ods_err
apply_file(struct ods_db_conn *c, const struct mfile *f, FILE *out)
{
	struct apply_ctx	 x = { c, f, out, 0 };
	enum ods_err		 er;
	double			 t0 = ods_now_sec();
	char			 by[300], host[256];
	int64_t			 ms;

	er = ods_migrate_split(f->text, f->len, apply_stmt, &x, NULL, NULL);
	if (er != ODS_OK)
		return er;
	ms = (int64_t)((ods_now_sec() - t0) * 1000.0);
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(by, sizeof(by), "%s:%ld", host, (long)getpid());
	{
		struct ods_db_arg a[] = { ods_db_int(f->version),
		    ods_db_text(f->name), ods_db_text(f->sum),
		    ods_db_int(x.n), ods_db_int(ms), ods_db_text(by) };

		er = ods_db_exec(c, "INSERT INTO schema_migrations (version, "
		    "name, checksum, statements, execution_ms, applied_by) "
		    "VALUES (?, ?, ?, ?, ?, ?)", a, ODS_NELEM(a), NULL);
	}
	if (er == ODS_OK) {
		say(out, "applied %s (%u statements, %lld ms)", f->fname, x.n,
		    (long long)ms);
		ods_log(ODS_LOG_INFO, "migration_applied file=%s ms=%lld",
		    f->fname, (long long)ms);
	}
	return er;
}

enum ods_err
ods_migrate_run(struct ods_db *db, const struct ods_migrate_opts *o,
    unsigned *applied)
{
	struct mset		 set = { NULL, 0 };
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	unsigned		 n = 0, pending;
	size_t			 i;
	int			 locked = 0;

	if ((er = load_dir(o->dir, &set, o->out)) != ODS_OK)
		goto out;
	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		goto out;
	/* An ALTER on a big table may take minutes: no call deadline. */
	ods_db_conn_set_timeout(c, 0);
	er = lock(c, o->lock_timeout_s > 0 ? o->lock_timeout_s :
	    ODS_MIGRATE_LOCK_TIMEOUT_S, o->out);
	if (er != ODS_OK)
		goto out;
	locked = 1;
	if ((er = ensure_table(c)) != ODS_OK ||
	    (er = load_applied(c, 1, &res)) != ODS_OK ||
	    (er = verify(&set, res, o->out, &pending)) != ODS_OK)
		goto out;
	for (i = 0; i < set.n; i++) {
		if (find_applied(res, set.v[i].version) >= 0)
			continue;
		if ((er = apply_file(c, &set.v[i], o->out)) != ODS_OK)
			goto out;
		n++;
	}
	if (n == 0)
		say(o->out, "schema is up to date (%zu migration%s applied)",
		    set.n, set.n == 1 ? "" : "s");
out:
	if (locked)
		unlock(c);
	ods_db_release(c);
	ods_db_res_free(res);
	mset_free(&set);
	if (applied != NULL)
		*applied = n;
	return er;
}

enum ods_err
ods_migrate_status(struct ods_db *db, const struct ods_migrate_opts *o,
    unsigned *pending)
{
	struct mset		 set = { NULL, 0 };
	struct ods_db_conn	*c = NULL;
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	unsigned		 np = 0;
	size_t			 i;
	long			 row;

	if ((er = load_dir(o->dir, &set, o->out)) != ODS_OK ||
	    (er = ods_db_acquire(db, &c)) != ODS_OK ||
	    (er = load_applied(c, 0, &res)) != ODS_OK)
		goto out;
	for (i = 0; i < set.n; i++) {
		row = find_applied(res, set.v[i].version);
		if (row < 0)
			say(o->out, "%-40s pending", set.v[i].fname);
		else
			say(o->out, "%-40s applied %s", set.v[i].fname,
			    ods_db_res_text(res, (size_t)row, 3, NULL));
	}
	er = verify(&set, res, o->out, &np);
	say(o->out, "%u pending", np);
out:
	ods_db_release(c);
	ods_db_res_free(res);
	mset_free(&set);
	if (pending != NULL)
		*pending = np;
	return er;
}
