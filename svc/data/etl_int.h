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

/*
 * The runs of file_import and export (etl_file.c), called by ods_etl_run
 * once the execution is claimed: ODS_OK with out filled, ODS_ETIMEOUT
 * when stopping, or an error with out->error set.
 */
enum ods_err	 odsi_etl_run_file(const struct ods_etl_env *,
		    const struct ods_etl_task *, const char *exec_id,
		    struct ods_etl_outcome *) ODS_MUSTCHECK;
enum ods_err	 odsi_etl_run_export(const struct ods_etl_env *,
		    const struct ods_etl_task *, const char *exec_id,
		    struct ods_etl_outcome *) ODS_MUSTCHECK;

#endif /* SVC_ETL_INT_H */
