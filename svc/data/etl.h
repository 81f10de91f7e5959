/*
 * svc/data/etl.h — ETL tasks and their runs (reference-api §3.3 D19–D21).
 *
 * A task (etl_tasks) moves data between the data sources of
 * svc/data/datasource.h and the datasets of svc/data/dataset.h; its kind:
 *   sql_transform  a query on a source -> a table on a target source
 *                  (created when missing, types mapped MariaDB <-> PG);
 *   table_copy     a table of a source -> a table of a target, all rows
 *                  or, with an incremental key, the rows above the
 *                  target's highest key (the watermark);
 *   file_import    a dataset version (CSV/TSV/JSONL) -> a table, columns
 *                  mapped and cast, rejected rows counted with a sample;
 *   export         a query on a source -> a new version of a dataset.
 * Identifiers (tables, columns) are checked (ods_etl_ident_ok) and quoted
 * for the target's dialect, never pasted; source queries pass the read
 * gate of svc/data/sql_lex.h and run in a read-only session.
 *
 * A run is an execution (etl_task_logs, id "exec_<16 hex>") carried by a
 * job of type etl_run (ods-worker, fcgi/worker/j_etl.c). Writes are
 * atomic and idempotent: rows are loaded into a staging table named from
 * the execution id and swapped in (RENAME TABLE on MariaDB; one
 * transaction of ALTER TABLE ... RENAME on PostgreSQL), or, for an
 * incremental copy, appended in one transaction. A worker killed at any
 * point leaves the target as it was; the job's retry drops the dead
 * attempt's staging table and completes once.
 *
 * Owner scoping as the data sources: every lookup takes the caller's user
 * id as owner (NULL: admin); another user's private task is
 * ODS_ENOTFOUND, a public one is readable by all and changed by its
 * creator or an admin (else ODS_EFORBIDDEN).
 */
#ifndef SVC_ETL_H
#define SVC_ETL_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_ds_ctx;
struct ods_jw;
struct ods_obj;
struct ods_redis;
struct ods_why;
struct json_object;

#define ODS_ETL_ID_MAX		64
#define ODS_ETL_NAME_MAX	255
#define ODS_ETL_DESC_MAX	4000
#define ODS_ETL_IDENT_MAX	64	/* bytes of one identifier part */
#define ODS_ETL_SQL_MAX		(256u * 1024)
#define ODS_ETL_LIST_MAX	1000
#define ODS_ETL_JOB_TYPE	"etl_run"

enum ods_etl_kind {
	ODS_ETL_SQL_TRANSFORM = 1,
	ODS_ETL_TABLE_COPY,
	ODS_ETL_FILE_IMPORT,
	ODS_ETL_EXPORT
};
/* "sql_transform", ...; parse: the kind or 0. */
const char	*ods_etl_kind_name(enum ods_etl_kind);
enum ods_etl_kind ods_etl_kind_parse(const char *);

struct ods_etl_task {
	int64_t	 id;
	char	*task_id;
	char	*name;
	char	*description;
	char	*task_type;	/* as given: the kind, or batch/streaming */
	int	 kind;		/* enum ods_etl_kind */
	char	*source_id;	/* data source, or NULL (file_import) */
	char	*source_query;	/* sql_transform, export */
	char	*source_config;	/* JSON: {table, incremental_key,
				   dataset_id, version, format, delimiter,
				   header, columns} */
	char	*target_id;	/* data source, or NULL (export) */
	char	*target_table;
	char	*target_config;	/* JSON: {dataset_id, format, mode} */
	char	*transform;	/* JSON text of transform rules or NULL */
	char	*schedule_type;	/* manual | cron | interval */
	char	*schedule_cron;
	int64_t	 schedule_interval;
	int64_t	 schedule_id;	/* 0: none */
	char	*status;	/* draft | pending | running | ... */
	char	*last_run_at;
	char	*last_run_status;
	int64_t	 total_runs, success_runs, failed_runs;
	char	*watermark;
	char	*visibility;
	char	*created_by;
	char	*created_at;
	char	*updated_at;
};

/*
 * A task as a request body gives it, flat (reference) or nested (web:
 * source{}, target{}, schedule{}), already checked for shape by
 * ods_etl_spec_parse; NULL / -1 members leave the stored value.
 */
struct ods_etl_spec {
	const char	*name;
	const char	*description;
	const char	*task_type;
	const char	*source_id;
	const char	*source_query;
	const char	*source_config;	/* JSON object text */
	const char	*target_id;
	const char	*target_table;
	const char	*target_config;	/* JSON object text */
	const char	*transform;	/* JSON text */
	const char	*schedule_type;
	const char	*schedule_cron;
	int64_t		 schedule_interval;
	const char	*visibility;
};
/*
 * The members of body o into sp (strings borrowed from o): ODS_OK or
 * ODS_EINVAL with why naming the field.
 */
enum ods_err	 ods_etl_spec_parse(struct json_object *, struct ods_etl_spec *,
		    struct ods_why *) ODS_MUSTCHECK;

/*
 * Create a task owned by owner, with its schedule when it has one.
 * ODS_EINVAL (why names the field: a missing or bad value, a data source
 * owner cannot see, a query the gate refuses), or the errors of ods_db.
 */
enum ods_err	 ods_etl_create(struct ods_db *, const struct ods_etl_spec *,
		    const char *owner, const char *tz, struct ods_etl_task **out,
		    struct ods_why *) ODS_MUSTCHECK;
/* By task_id as owner sees it: ODS_ENOTFOUND. */
enum ods_err	 ods_etl_get(struct ods_db *, const char *task_id,
		    const char *owner, struct ods_etl_task **out)
		    ODS_MUSTCHECK;
struct ods_etl_filter {
	const char	*status;
	const char	*task_type;	/* a kind or a reference type */
	const char	*keyword;	/* in the name */
};
enum ods_err	 ods_etl_list(struct ods_db *, const char *owner,
		    const struct ods_etl_filter *, size_t offset, size_t limit,
		    struct ods_etl_task **out, size_t *n, int64_t *total)
		    ODS_MUSTCHECK;
/*
 * Merge sp into t, check the whole again and store it (the schedule
 * made, changed or removed with it). ODS_EFORBIDDEN (owner), ODS_EINVAL.
 */
enum ods_err	 ods_etl_update(struct ods_db *, struct ods_etl_task *,
		    const struct ods_etl_spec *, const char *owner,
		    const char *tz, struct ods_why *) ODS_MUSTCHECK;
/* With its runs (cascade) and schedule. ODS_EFORBIDDEN (owner). */
enum ods_err	 ods_etl_delete(struct ods_db *, const struct ods_etl_task *,
		    const char *owner) ODS_MUSTCHECK;
void		 ods_etl_free(struct ods_etl_task *);
void		 ods_etl_list_free(struct ods_etl_task *, size_t n);
/* Flat (reference) and nested (web) keys at once. */
void		 ods_etl_json(struct ods_jw *, const struct ods_etl_task *);

/* ---- runs ---- */

/*
 * Start a run of t: an execution row (pending) and its etl_run job.
 * trigger "manual" or "schedule". ODS_ECONFLICT when a run of t is
 * pending or running; errors of ods_db and ods_jobs_enqueue.
 */
enum ods_err	 ods_etl_start(struct ods_db *, struct ods_redis *,
		    const struct ods_etl_task *, const char *user,
		    const char *trigger, char exec_id[40]) ODS_MUSTCHECK;
/*
 * Ask the running (or pending) run of t to stop: its job is cancelled,
 * the worker sees it between batches. *exec_id (40 bytes) the run.
 * ODS_ENOTFOUND when nothing runs.
 */
enum ods_err	 ods_etl_stop(struct ods_db *, const struct ods_etl_task *,
		    char exec_id[40]) ODS_MUSTCHECK;
/*
 * The execution exec_id of task_id (a schedule's run, carried by job
 * job_id) made pending unless it exists already (a retry). ODS_ECONFLICT
 * when another run of the task is pending or running (the schedule's
 * run is skipped), ODS_ENOTFOUND (no such task), errors of ods_db.
 */
enum ods_err	 ods_etl_exec_ensure(struct ods_db *, const char *task_id,
		    const char *exec_id, int64_t job_id, const char *trigger)
		    ODS_MUSTCHECK;
/* The runs of task_id, newest first, as JSON objects into jw (an open
 * array). */
enum ods_err	 ods_etl_executions(struct ods_db *, const char *task_id,
		    size_t offset, size_t limit, struct ods_jw *,
		    int64_t *total) ODS_MUSTCHECK;
/* Log lines of task_id (of exec_id when non-NULL), oldest first, as
 * JSON objects into jw (an open array). */
enum ods_err	 ods_etl_logs(struct ods_db *, const char *task_id,
		    const char *exec_id, size_t offset, size_t limit,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;

/* What a run needs from its worker. */
struct ods_etl_env {
	struct ods_db		*db;
	const struct ods_ds_ctx	*ds;
	struct ods_obj		*obj;
	const char		*tmpdir;
	int			 attempt;
	int64_t			 job_id;
	int			(*stopping)(void *arg);
	void			(*progress)(void *arg, int pct,
				    const char *msg);
	void			*arg;
};
/* How a run went (the job's result and the metrics). */
struct ods_etl_outcome {
	char	 status[16];	/* success | failed | stopped */
	int64_t	 rows_read, rows_written, rows_rejected;
	int64_t	 bytes_read, bytes_written;
	double	 seconds;
	char	 error[1024];	/* the database's message */
};
/*
 * Run execution exec_id of task_id once: ODS_OK when the run ended (its
 * outcome says success or failed: no retry helps), ODS_ETIMEOUT when
 * stopping (cancelled or shutting down: the target untouched), or a
 * transient error (ODS_EUNAVAIL, ...) worth a retry.
 */
enum ods_err	 ods_etl_run(const struct ods_etl_env *, const char *task_id,
		    const char *exec_id, struct ods_etl_outcome *)
		    ODS_MUSTCHECK;

/* ---- pure pieces (etl_type.c) ---- */

/*
 * A table or column name: [A-Za-z_][A-Za-z0-9_$]* of 1..64 bytes, or
 * with parts ("db.table", "schema.table") up to maxparts. 1 or 0.
 */
int		 ods_etl_ident_ok(const char *, int maxparts);

/* A column's type, neutral between the dialects. */
enum ods_etl_ctype {
	ODS_ETL_T_TEXT = 0,
	ODS_ETL_T_BOOL,
	ODS_ETL_T_INT16,
	ODS_ETL_T_INT32,
	ODS_ETL_T_INT64,
	ODS_ETL_T_UINT64,
	ODS_ETL_T_FLOAT32,
	ODS_ETL_T_FLOAT64,
	ODS_ETL_T_DECIMAL,
	ODS_ETL_T_DATE,
	ODS_ETL_T_TIME,
	ODS_ETL_T_DATETIME,
	ODS_ETL_T_TIMESTAMPTZ,
	ODS_ETL_T_VARCHAR,
	ODS_ETL_T_JSON,
	ODS_ETL_T_BYTES,
	ODS_ETL_T_UUID
};
struct ods_etl_coltype {
	enum ods_etl_ctype	 t;
	int			 len;	/* VARCHAR length */
	int			 prec, scale;	/* DECIMAL */
};
/* The neutral type of a type name ("varchar(20)", "int8", ...). */
void		 ods_etl_type_parse(const char *, struct ods_etl_coltype *);
/* The column type for a target (pg non-zero: PostgreSQL) into buf. */
void		 ods_etl_type_decl(const struct ods_etl_coltype *, int pg,
		    char *buf, size_t len);
/* name quoted for the dialect (`a`.`b` or "a"."b") into buf: 0 or -1. */
int		 ods_etl_quote_ident(const char *, int pg, char *buf,
		    size_t len);

#endif /* SVC_ETL_H */
