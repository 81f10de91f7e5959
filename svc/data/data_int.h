/*
 * svc/data/data_int.h — between the files of the data sources: the context,
 * the address policy (ds_policy.c) and the drivers (ds_conn.c: tests and
 * sessions; ds_exec.c: the queries; the files that include Connector/C's
 * and libpq's headers), the per-source connection pools (ds_pool.c); and
 * between the files of ETL (etl*.c, at the end).
 */
#ifndef SVC_DATA_INT_H
#define SVC_DATA_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "etl.h"

struct ods_cidr;
struct ods_secret;
struct ods_ds_result;
struct ods_query_sink;
struct ods_ds;
struct ods_addr;

struct ods_ds_ctx {
	struct ods_secret	*secret;
	struct ods_cidr		*allow;
	size_t			 nallow;
	struct ods_cidr		*deny;
	size_t			 ndeny;
	int			 timeout_ms;
	char			*secret_dir;	/* file: references: "" none */
	/* The system database, whose schema no data source may name. */
	char			*sys_host;
	int			 sys_port;
	char			*sys_db;
	char			*sys_user;
	int			 sys_socket;	/* reached by a unix socket */
	struct odsi_ds_pool	*pool;		/* queries' connections */
	int			 query_timeout_ms;	/* ODS_QUERY_TIMEOUT_MS */
	int			 query_max_rows;	/* ODS_QUERY_MAX_ROWS */
};

enum odsi_ds_kind {
	ODSI_DS_NONE = 0,
	ODSI_DS_MYSQL,
	ODSI_DS_PG
};


/* The kind of a type name; -1 for a name that is no type at all. */
int		 odsi_ds_kind(const char *type);
int		 odsi_ds_default_port(int kind);

/* Set res to a failure (slug, message). */
void		 odsi_ds_fail(struct ods_ds_result *, const char *slug,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Resolve host once and choose the first address the policy lets
 * through into *out; 0, or -1 with res set (resolve_failed,
 * address_refused, system_database).
 */
int		 odsi_ds_policy(const struct ods_ds_ctx *, const char *host,
		    int port, int kind, const char *database, const char *user,
		    struct ods_addr *out, struct ods_ds_result *res);

/* Connect to addr:port, read the server version, close; fills res. */
void		 odsi_ds_probe(int kind, const struct ods_addr *, int port,
		    const char *user, const char *password,
		    const char *database, int timeout_ms,
		    struct ods_ds_result *res);

/* ---- queries (ds_exec.c, ds_pool.c) ---- */

/*
 * The stored password of d (sealed or a reference) into *pw, to be
 * cleared with ods_secret_clear; "" when none is kept. ODS_OK, or the
 * errors of ods_secret_open / ods_secret_ref_read.
 */
enum ods_err	 odsi_ds_password(const struct ods_ds_ctx *,
		    const struct ods_ds *, char **pw) ODS_MUSTCHECK;

#define ODS_QUERY_COLS_MAX	512	/* columns of a query's result */

/*
 * A session on a data source: opened on an address the policy checked,
 * read-only from the connect on (SET SESSION TRANSACTION READ ONLY;
 * default_transaction_read_only), one statement per call (no
 * multi-statement mode), no LOCAL INFILE; used by one thread at a time,
 * closed by odsi_ds_close. The catalog's scans read through it
 * (odsi_ds_select, ds_conn.c), the queries run on it (odsi_ds_run,
 * ds_exec.c). The drivers' handles are declared, not included: only the
 * driver files include their headers.
 */
struct st_mysql;
struct pg_conn;
struct odsi_ds_conn {
	int		 kind;
	struct st_mysql	*my;
	struct pg_conn	*pg;
	int		 timeout_ms;	/* the statement timeout set, 0 none */
	int		 mysql_var;	/* 0 unknown, 1 max_statement_time, */
					/* 2 MySQL's max_execution_time */
};

/*
 * Open a session: connect_ms bounds the connect, io_ms each read and
 * write (MySQL) and a statement (PostgreSQL, until odsi_ds_run sets its
 * own). 0, or -1 with res filled as a failed test (slug, message).
 */
int		 odsi_ds_open(int kind, const struct ods_addr *, int port,
		    const char *user, const char *password,
		    const char *database, int connect_ms, int io_ms,
		    struct odsi_ds_conn **out, struct ods_ds_result *res);
/* The same, rw non-zero: a session that may write (ETL targets). */
int		 odsi_ds_open_mode(int kind, const struct ods_addr *,
		    int port, const char *user, const char *password,
		    const char *database, int connect_ms, int io_ms, int rw,
		    struct odsi_ds_conn **out, struct ods_ds_result *res);
void		 odsi_ds_close(struct odsi_ds_conn *);
int		 odsi_ds_conn_kind(const struct odsi_ds_conn *);
/* s as one line into msg (s may be msg itself). */
void		 odsi_ds_msg(char *msg, size_t len, const char *s);

/* One row: n values, NULL for SQL NULL; non-zero stops the read. */
typedef int	(*odsi_ds_row_fn)(void *arg, const char *const *v, size_t n);
/*
 * Catalog reads: trusted SQL text of ours with one text parameter ("$1"
 * for PostgreSQL; for MySQL the session variable @ods_p, set from its hex
 * form), every value a string; fn for every row. 0; -1 with err set to
 * the driver's message; 1 when fn stopped it.
 */
int		 odsi_ds_select(struct odsi_ds_conn *, const char *sql,
		    const char *param, odsi_ds_row_fn fn, void *arg,
		    char *err, size_t errlen);
/*
 * Open a session on a saved source for the catalog's reads: its stored
 * credential, the address policy, its database. 0, or -1 with res set.
 */
int		 odsi_ds_connect_saved(const struct ods_ds_ctx *,
		    const struct ods_ds *, struct odsi_ds_conn **out,
		    struct ods_ds_result *res);
/* The same for a session that may write (odsi_ds_open_mode). */
int		 odsi_ds_connect_saved_rw(const struct ods_ds_ctx *,
		    const struct ods_ds *, int rw, struct odsi_ds_conn **out,
		    struct ods_ds_result *res);


/*
 * Run one statement (sql, len bytes) with a statement timeout of
 * timeout_ms, rows streamed to sink as the server sends them (never the
 * whole result in memory). *stopped is 1 when the sink stopped it (the
 * connection is then unusable: close it). Returns ODS_OK, ODS_EINVAL (the
 * server refused it: msg holds its message), ODS_ETIMEOUT (the statement
 * timeout), ODS_EUNAVAIL (the connection failed: msg), ODS_ENOMEM.
 * After anything but ODS_OK the connection should be closed.
 */
enum ods_err	 odsi_ds_run(struct odsi_ds_conn *, const char *sql,
		    size_t len, int timeout_ms, const struct ods_query_sink *,
		    int *stopped, char *msg, size_t msglen);

/*
 * The pools: per data source (key), at most size connections, idle ones
 * closed after idle_s seconds. fp is the connection's description (host,
 * port, user, database, credential): a pooled connection of another fp
 * is closed, so a PUT reaches every worker. Never holds its lock across
 * I/O: connecting and closing happen outside it.
 */
struct odsi_ds_pool *odsi_ds_pool_new(unsigned size, int idle_s);
void		 odsi_ds_pool_free(struct odsi_ds_pool *);
/*
 * A pooled connection of key with fp into *c (NULL: none idle, a slot
 * taken: the caller opens one and gives it to release, or calls release
 * with NULL). ODS_ETIMEOUT when all size are busy for wait_ms.
 */
enum ods_err	 odsi_ds_pool_get(struct odsi_ds_pool *, const char *key,
		    const char *fp, int wait_ms, struct odsi_ds_conn **c)
		    ODS_MUSTCHECK;
/* Give back the slot; c NULL or broken non-zero closes it. */
void		 odsi_ds_pool_put(struct odsi_ds_pool *, const char *key,
		    const char *fp, struct odsi_ds_conn *c, int broken);
/* Open connections (idle and in use) of key; for tests and metrics. */
unsigned	 odsi_ds_pool_open(struct odsi_ds_pool *, const char *key);
/* ---- data quality (quality_run.c, quality_dset.c, quality_report.c,
 * quality_alert.c): a rule's result, the dataset checks, the report and
 * what follows it: rule counters, alerts, the webhook, the scores. ---- */

struct ods_qr_def;
struct ods_quality_env;

struct odsi_qr_result {
	int64_t	 rows;		/* checked (the score's denominator) */
	int64_t	 violations;
	int64_t	 table_rows;	/* row_count, freshness: the table's */
	int	 status;	/* enum ods_qr_status */
	int	 errored;
	int	 partial;	/* a dataset's head only: rows were left */
	double	 score;
	char	 error[512];
	char	*sample;	/* JSON array text or NULL; owned */
};

struct odsi_qr_item {
	const char			*rule_id, *name, *severity;
	const struct ods_qr_def		*def;	/* type -1: none */
	const struct odsi_qr_result	*r;
	char				 label[256];
};

struct odsi_qr_run {
	const char		*task_id, *rule_id, *name, *user;
	double			 score;
	size_t			 n;
	struct odsi_qr_item	*results;
};

/* A dataset rule on the head of its latest version; fills r. */
void		odsi_qr_check_dataset(const struct ods_quality_env *,
		    const struct ods_qr_def *, struct odsi_qr_result *);
/* Store the report ("qrep_<16 hex>" into id) and the rules' counters. */
enum ods_err	odsi_qr_report_store(const struct ods_quality_env *,
		    const struct odsi_qr_run *, char *id) ODS_MUSTCHECK;
/*
 * After a stored report: alerts of the rules over a threshold (and their
 * webhook: the rule's URL, else hook, else the default), the scores.
 * Failures are logged and recorded, never the run's.
 */
void		odsi_qr_after(const struct ods_quality_env *,
		    const struct odsi_qr_run *, const char *report,
		    const char *hook);
/*
 * One page of a list: count_sql (n arguments in a) into *total, then
 * rows_sql with a[n], a[n + 1] set to limit and offset (a has room for
 * n + 2), each row written by row. Errors of ods_db.
 */
struct ods_db_arg;
struct ods_db_res;
struct ods_db;
struct ods_jw;
enum ods_err	odsi_qr_page(struct ods_db *, const char *count_sql,
		    const char *rows_sql, struct ods_db_arg *a, size_t n,
		    int64_t offset, int64_t limit,
		    void (*row)(struct ods_jw *, const struct ods_db_res *,
		    size_t), struct ods_jw *, int64_t *total) ODS_MUSTCHECK;
/*
 * The row of id that owner (NULL: an admin) sees, by sql (parameters:
 * id, owner is NULL, owner), written by row into jw (NULL: only asked).
 * ODS_ENOTFOUND, errors of ods_db.
 */
enum ods_err	odsi_qr_one(struct ods_db *, const char *sql, const char *id,
		    const char *owner,
		    void (*row)(struct ods_jw *, const struct ods_db_res *,
		    size_t), struct ods_jw *) ODS_MUSTCHECK;

/* ---- ETL (etl.h): the drivers' write side (etl_drv.c), the runs
 * (etl_run.c, etl_file.c), the tasks (etl.c) ---- */

struct odsi_ds_conn;
struct ods_buf;
struct ods_db;

/* A column of a source's result: its name and neutral type. */
struct odsi_etl_col {
	char			 name[ODS_ETL_IDENT_MAX * 4 + 1];
	struct ods_etl_coltype	 ct;
};

/* Where a read's rows go; non-zero from either stops the read. */
struct odsi_etl_reader {
	int	(*cols)(void *arg, size_t n, const struct odsi_etl_col *);
	int	(*row)(void *arg, size_t n, const char *const *v,
		    const size_t *lens);
	void	*arg;
};

/*
 * Run a SELECT on a source session, rows streamed to rd (never the whole
 * result in memory: mysql_use_result, libpq's single-row mode). *stopped
 * 1 when rd stopped it (the session is then unusable). ODS_OK,
 * ODS_EINVAL (the server refused it: msg), ODS_EUNAVAIL (connection).
 */
enum ods_err	 odsi_etl_read(struct odsi_ds_conn *, const char *sql,
		    const struct odsi_etl_reader *, int *stopped, char *msg,
		    size_t msglen);
/*
 * One statement with no result (DDL, INSERT, BEGIN, COMMIT) on a session.
 * *affected (may be NULL) the rows it changed. ODS_OK, ODS_ENOTFOUND
 * (the table named does not exist), ODS_EINVAL (refused: msg),
 * ODS_EUNAVAIL.
 */
enum ods_err	 odsi_etl_exec(struct odsi_ds_conn *, const char *sql,
		    size_t len, int64_t *affected, char *msg, size_t msglen);
/* The first cell of a one-row query (NULL: *out NULL) into *out (free). */
enum ods_err	 odsi_etl_scalar(struct odsi_ds_conn *, const char *sql,
		    char **out, char *msg, size_t msglen);
/*
 * v (n bytes; NULL: SQL NULL) as a literal of the session's dialect for a
 * column of type t, appended to b: quoted and escaped by the driver.
 * from_pg: the value is PostgreSQL's text form (bytea "\x..", booleans
 * "t"/"f"). ODS_OK or the errors of ods_buf_add.
 */
enum ods_err	 odsi_etl_lit(struct odsi_ds_conn *, struct ods_buf *,
		    const char *v, size_t n, enum ods_etl_ctype t,
		    int from_pg);
/* Is the session PostgreSQL's. */
int		 odsi_etl_is_pg(const struct odsi_ds_conn *);

/* ---- runs' bookkeeping (etl.c) ---- */

/*
 * For the writes whose failure changes nothing for the caller (progress,
 * counters, best-effort cleanup): said so where it is called.
 */
static inline void
odsi_etl_ignore(enum ods_err er)
{
	(void)er;
}

/* A line of a run's log (best effort). */
void		 odsi_etl_line(struct ods_db *, const char *task_id,
		    const char *exec_id, int attempt, const char *level,
		    const char *step, const char *fmt, ...)
		    __attribute__((format(printf, 7, 8)));

/* ---- a run (etl_run.c: SQL reads, the staging load; etl_file.c) ---- */

#define QID_MAX		(ODS_ETL_IDENT_MAX * 2 + 8)	/* a quoted name */
#define ODSI_ETL_SAMPLE	10	/* rejected rows kept with why */

struct odsi_etl_writer;
struct odsi_etl_run {
	const struct ods_etl_env	*env;
	const struct ods_etl_task	*t;
	const char			*exec_id;
	struct ods_etl_outcome		*out;
	struct odsi_ds_conn		*src, *dst;
	int				 src_pg, dst_pg;
	char				 qtarget[QID_MAX];
	char				 qstage[QID_MAX];
	char				 qold[QID_MAX];
	char				 stage_base[40], old_base[40];
	char				 schema[ODS_ETL_IDENT_MAX + 1];
	int				 target_exists, staged, in_tx;
	char				*inc_key;	/* table_copy */
	struct odsi_etl_col		*cols;
	size_t				 ncols;
	struct ods_buf			 ins;
	size_t				 prefix_len, batch_rows, batches;
	int64_t				 last_ms;
	enum ods_err			 er;
	int				 stop;
	struct odsi_etl_writer		*w;		/* etl_run.c's thread */
	struct ods_buf			 rejects;	/* JSON array text */
	size_t				 nrejects;
};

/* Record why the run fails (er, msg): returns 1 (a reader's "stop"). */
int		 odsi_etl_fail(struct odsi_etl_run *, enum ods_err,
		    const char *msg);
/* A line of the run's log. */
void		 odsi_etl_rline(struct odsi_etl_run *, const char *level,
		    const char *step, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/* A session on data source id (rw: one that may write): 0 or failed. */
int		 odsi_etl_connect(struct odsi_etl_run *, const char *id,
		    int rw, struct odsi_ds_conn **);
/*
 * The load into the staging table (an odsi_etl_reader's two calls, arg
 * the run): the columns once (the staging table made), then each row;
 * non-zero stops (failed, or stopping).
 */
int		 odsi_etl_load_cols(void *run, size_t n,
		    const struct odsi_etl_col *);
int		 odsi_etl_load_row(void *run, size_t n, const char *const *v,
		    const size_t *lens);

/*
 * file_import's reader (etl_file.c): the dataset version of the task's
 * source_config through odsi_etl_load_cols/_row, rows whose values do
 * not cast counted in out->rows_rejected with a sample in r->rejects.
 * 0, or non-zero with the run failed or stopping.
 */
int		 odsi_etl_read_file(struct odsi_etl_run *);
/* export: the task's query to a new version of its dataset. 0 or not. */
int		 odsi_etl_export(struct odsi_etl_run *);

/*
 * Check and normalise v (n bytes) for a column of type t: *out (may be v
 * itself) and *outn the text to load, or why non-NULL when it does not
 * cast (etl_type.c).
 */
const char	*odsi_etl_cast(enum ods_etl_ctype, const char *v, size_t n,
		    char *buf, size_t buflen, const char **out, size_t *outn);

#endif /* SVC_DATA_INT_H */
