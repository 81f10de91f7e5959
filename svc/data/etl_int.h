/*
 * svc/data/etl_int.h — between the files of ETL: the driver side
 * (etl_drv.c, which includes Connector/C's and libpq's headers beside
 * ds_conn.c and ds_exec.c), the runs (etl_run.c, etl_file.c) and the
 * tasks (etl.c).
 */
#ifndef SVC_ETL_INT_H
#define SVC_ETL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "etl.h"

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

#include "core/ods_mem.h"

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

#endif /* SVC_ETL_INT_H */
