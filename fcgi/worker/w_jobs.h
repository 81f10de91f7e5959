/*
 * fcgi/worker/w_jobs.h — the job types of ods-worker (j_*.c), as rows for
 * its job-type table; a test worker adds its own rows to the same ones.
 */
#ifndef W_JOBS_H
#define W_JOBS_H

#include "server/ods_job.h"

#define W_JOB_TYPES \
	{ "noop", j_noop }, \
	{ "audit_retention", j_audit_retention }, \
	{ "kb_ingest", j_kb_ingest }, \
	{ "metadata_scan", j_metadata_scan }, \
	{ "uploads_expire", j_uploads_expire }, \
	{ "quality_run", j_quality_run }, \
	{ "etl_run", j_etl_run }, \
	{ "workflow_run", j_workflow_run }

struct ods_llm;
struct ods_ds_ctx;
struct ods_rag;

/* The worker's context (init hook): what job types share. */
struct w_ctx {
	struct ods_llm	*llm;		/* embeddings, workflows' models */
	struct ods_ds_ctx *ds;		/* data sources: keys, policy */
	struct ods_rag	*rag;		/* workflows' retriever nodes */
};
enum ods_err	w_init(const struct ods_req_env *, void **ctx);
void		w_fini(void *ctx);
/* ods_job_stopping for svc/ callbacks that take a void * (the job). */
int		w_stopping(void *job);

/*
 * noop: does nothing, harmlessly: for smoke tests, benchmarks and
 * checking a deployment. Payload (all optional): "sleep_ms" (0..3600000,
 * slept in steps that watch for cancellation), "fail" (a message: the
 * run fails with it, to see retries). Result {"slept_ms": n}.
 */
enum ods_err	j_noop(struct ods_job *);

/*
 * audit_retention: delete audit_logs rows older than "days" (payload;
 * default ODS_AUDIT_RETENTION_DAYS) in batches of "batch" rows (1..10000,
 * default 1000), reporting progress and stopping between batches when
 * cancelled. Result {"deleted", "cutoff", "days", "batches"}. A daily
 * schedule enqueues it; `odsctl jobs enqueue audit_retention` by hand.
 */
enum ods_err	j_audit_retention(struct ods_job *);

/*
 * uploads_expire: dataset uploads by presigned URL still pending
 * "grace_s" (payload; default 3600) past their expiry: the object at their
 * key deleted, the row marked expired (svc/data/dataset.h
 * ods_dsup_expire), "batch" (1..10000, default 500) at a time. Result
 * {"expired", "grace_s"}. An hourly schedule enqueues it.
 */
enum ods_err	j_uploads_expire(struct ods_job *);

/*
 * kb_ingest: payload {"doc": <indexed_documents.id>}: the document's
 * object -> text -> chunks -> embeddings -> chunk rows (svc/agent/kb.h),
 * resumable after a crash. Result {"doc", "status", "chunks"}; a file
 * that cannot be read ends the job with status "failed" in its result
 * and on the document (no retry: the bytes will not change).
 */
enum ods_err	j_kb_ingest(struct ods_job *);

/*
 * metadata_scan: payload {"source_id"}: the source's catalog
 * (svc/data/catalog.h). Result {source_id, status: "completed", databases,
 * tables, columns, relations, indexes, removed}; a source that cannot be
 * reached or read ends the job with status "failed", error and message
 * in its result (not retried: the operator must fix the source first).
 */
enum ods_err	j_metadata_scan(struct ods_job *);

/*
 * quality_run: payload {"task_id"} or {"rule_id"}: the rules checked, a
 * report stored, alerts, webhook, scores (svc/data/quality.h). Result
 * {status: "completed", report_id, quality_score}; a rule that cannot
 * run is an errored rule of the report, not the job's failure.
 */
enum ods_err	j_quality_run(struct ods_job *);

/*
 * etl_run: payload {"task_id", "execution_id"} (a schedule's run gives
 * only task_id: its execution is made, named after the job): one run of
 * an ETL task (svc/data/etl.h). Result {task_id, execution_id, status:
 * success | failed | stopped, rows_read, rows_written, rows_rejected,
 * bytes_read, bytes_written, duration_seconds, error}; a run that fails
 * for good (the database refused the SQL) succeeds as a job with status
 * "failed"; a lost connection is retried. Counts etl_jobs_total,
 * etl_rows_total and etl_run_duration_seconds.
 */
enum ods_err	j_etl_run(struct ods_job *);

/*
 * workflow_run: payload {"execution_id"} (a run started by the API), or
 * {"workflow_id", "schedule_id"} (a schedule's run: its execution is
 * made first, once per job): the execution run to its end through
 * svc/agent/wf.h, resumed from its recorded nodes by a later attempt
 * (after a crash or a shutdown). Result {execution_id, status, duration_ms,
 * nodes, resumed, error?}; a run that fails is a job that succeeded
 * (the execution says why); a cancel ends it stopped. Counts
 * workflow_runs_total and workflow_run_duration_seconds.
 */
enum ods_err	j_workflow_run(struct ods_job *);
enum ods_err	w_wf_register_metrics(void);
/* The worker's own metric families (etl_rows_total, ...), in the master. */
enum ods_err	w_register_metrics(void);

/*
 * The service's tick, once a second in every worker process: each due run
 * of the schedules (lib/store/ods_sched) becomes a job, claimed by exactly
 * one worker across machines; the first tick that reaches the database
 * makes the built-in schedules (audit_retention daily at 03:15,
 * uploads_expire hourly).
 */
void		w_tick(const struct ods_req_env *, void *ctx);

#endif /* W_JOBS_H */
