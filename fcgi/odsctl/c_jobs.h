/* fcgi/odsctl/c_jobs.h — `odsctl jobs ...` (c_jobs.c). */
#ifndef C_JOBS_H
#define C_JOBS_H

struct ods_conf;

/* The usage lines of the jobs command. */
#define C_JOBS_USAGE \
	"  jobs list [--type T] [--status S] [--created-by U] [--limit N]\n" \
	"                    background jobs, newest first\n" \
	"  jobs show ID      one job as JSON\n" \
	"  jobs cancel ID    cancel a queued job, or ask a running one to " \
	"stop\n" \
	"  jobs retry ID     queue a failed or cancelled job again\n" \
	"  jobs enqueue TYPE [--payload JSON] [--key IDEMPOTENCY_KEY]\n" \
	"                [--max-attempts N] [--delay-ms MS] " \
	"[--created-by U] [--count N]\n" \
	"                    queue a job of a type ods-worker runs (noop, " \
	"audit_retention,\n                    uploads_expire, metadata_scan, ...); " \
	"prints its id\n" \
	"  jobs wait ID [--timeout S]\n" \
	"                    until the job ends; exit 0 when it succeeded\n"

/* argv[0] is "jobs". Returns the exit status (0, 1, 2 for usage). */
int	c_jobs(const struct ods_conf *, int argc, char *argv[]);

#endif /* C_JOBS_H */
