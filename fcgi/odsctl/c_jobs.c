/*
 * fcgi/odsctl/c_jobs.c — `odsctl jobs list|show|cancel|retry|enqueue|wait`:
 * the operator's view of the job queue (lib/store/ods_jobs.h), with the
 * rights of the database user: every job, any creator.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "c_jobs.h"

#define EXIT_USAGE	2

struct jobopts {
	struct ods_jobs_spec	 spec;
	struct ods_jobs_filter	 filter;
	long			 limit;
	long			 timeout;
	long			 count;
};

static int
num(const char *opt, const char *v, long lo, long hi, long *out)
{
	char	*end;
	long	 n;

	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "odsctl: %s wants a number in %ld..%ld\n", opt,
		    lo, hi);
		return -1;
	}
	*out = n;
	return 0;
}

static int
opts(int argc, char *argv[], struct jobopts *o)
{
	static const struct option long_opts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "status", required_argument, NULL, 's' },
		{ "created-by", required_argument, NULL, 'c' },
		{ "limit", required_argument, NULL, 'l' },
		{ "payload", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "max-attempts", required_argument, NULL, 'm' },
		{ "delay-ms", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "count", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	long	v;
	int	ch;

	memset(o, 0, sizeof(*o));
	o->limit = 50;
	o->timeout = 60;
	o->count = 1;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (ch) {
		case 't': o->filter.type = optarg; break;
		case 's': o->filter.status = optarg; break;
		case 'c':
			o->filter.created_by = optarg;
			o->spec.created_by = optarg;
			break;
		case 'l':
			if (num("--limit", optarg, 1, 1000, &o->limit) < 0)
				return -1;
			break;
		case 'p': o->spec.payload = optarg; break;
		case 'k': o->spec.idempotency_key = optarg; break;
		case 'm':
			if (num("--max-attempts", optarg, 1, 100, &v) < 0)
				return -1;
			o->spec.max_attempts = (int)v;
			break;
		case 'd':
			if (num("--delay-ms", optarg, 0, 86400000, &v) < 0)
				return -1;
			o->spec.delay_ms = v;
			break;
		case 'T':
			if (num("--timeout", optarg, 1, 86400, &o->timeout) < 0)
				return -1;
			break;
		case 'n':
			if (num("--count", optarg, 1, 1000000, &o->count) < 0)
				return -1;
			break;
		default:
			return -1;
		}
	}
	return 0;
}

static int
fail(const char *what, enum ods_err er)
{
	fprintf(stderr, "odsctl: jobs %s failed: %s\n", what,
	    er == ODS_ENOTFOUND ? "no such job" : er == ODS_ECONFLICT ?
	    "not in a state that allows it" : ods_strerror(er));
	return EXIT_FAILURE;
}

static int
list(struct ods_db *db, const struct jobopts *o)
{
	struct ods_jobs_row	*rows = NULL;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i;

	er = ods_jobs_list(db, &o->filter, o->limit, 0, &rows, &n, &total);
	if (er != ODS_OK)
		return fail("list", er);
	printf("%-10s %-20s %-10s %-8s %-4s %-24s %-23s %s\n", "ID", "TYPE",
	    "STATUS", "ATTEMPTS", "PCT", "CREATED_BY", "CREATED_AT", "ERROR");
	for (i = 0; i < n; i++)
		printf("%-10lld %-20s %-10s %3d/%-4d %-4d %-24s %-23s %s\n",
		    (long long)rows[i].id, rows[i].type,
		    ods_jobs_status_name(rows[i].status), rows[i].attempts,
		    rows[i].max_attempts, rows[i].progress,
		    *rows[i].created_by ? rows[i].created_by : "-",
		    rows[i].created_at != NULL ? rows[i].created_at : "",
		    rows[i].error != NULL ? rows[i].error : "");
	printf("(%zu of %lld)\n", n, (long long)total);
	ods_jobs_rows_free(rows, n);
	return EXIT_SUCCESS;
}

static int
show(struct ods_db *db, int64_t id)
{
	struct ods_jobs_row	 row;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	enum ods_err		 er;

	if ((er = ods_jobs_get(db, id, NULL, &row)) != ODS_OK)
		return fail("show", er);
	ods_buf_init(&b, 64u << 20);
	ods_jw_init(&jw, &b);
	ods_jobs_row_json(&jw, &row);
	if ((er = ods_jw_error(&jw)) == ODS_OK)
		printf("%.*s\n", (int)b.len, b.data);
	ods_buf_free(&b);
	ods_jobs_row_fini(&row);
	return er == ODS_OK ? EXIT_SUCCESS : fail("show", er);
}

static int
wait_end(struct ods_db *db, int64_t id, long timeout)
{
	struct ods_jobs_row	 row;
	enum ods_jobs_status	 st;
	enum ods_err		 er;
	int64_t			 end = ods_now_ms() + timeout * 1000;

	for (;;) {
		if ((er = ods_jobs_get(db, id, NULL, &row)) != ODS_OK)
			return fail("wait", er);
		st = row.status;
		ods_jobs_row_fini(&row);
		if (st != ODS_JOBS_QUEUED && st != ODS_JOBS_RUNNING)
			break;
		if (ods_now_ms() >= end) {
			printf("%s (timed out)\n", ods_jobs_status_name(st));
			return EXIT_FAILURE;
		}
		ods_sleep_ms(50);
	}
	printf("%s\n", ods_jobs_status_name(st));
	return st == ODS_JOBS_SUCCEEDED ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
enqueue(struct ods_db *db, const struct ods_conf *conf, struct jobopts *o,
    const char *type)
{
	struct ods_redis	*redis;
	enum ods_err		 er = ODS_OK;
	int64_t			 id = 0;
	long			 i;
	int			 existed = 0;

	o->spec.type = type;
	if (o->spec.max_attempts == 0)
		o->spec.max_attempts = conf->job_max_attempts;
	redis = ods_redis_new(conf, 1);
	/* --count N: N jobs, one id per line (tests, benchmarks). */
	for (i = 0; i < o->count - 1 && er == ODS_OK; i++)
		if ((er = ods_jobs_enqueue(db, redis, &o->spec, &id,
		    &existed)) == ODS_OK)
			printf("%lld\n", (long long)id);
	if (er == ODS_OK)
		er = ods_jobs_enqueue(db, redis, &o->spec, &id, &existed);
	ods_redis_free(redis);
	if (er == ODS_EINVAL) {
		fprintf(stderr, "odsctl: jobs enqueue: the type is "
		    "[a-z0-9_.-]{1,64}, the payload a JSON object\n");
		return EXIT_FAILURE;
	}
	if (er != ODS_OK)
		return fail("enqueue", er);
	printf("%lld%s\n", (long long)id, existed ? " (existing job with "
	    "that key)" : "");
	return EXIT_SUCCESS;
}

static int
job_id(const char *s, int64_t *id)
{
	long	v;

	if (num("ID", s, 1, 0x7fffffffffffffffL, &v) < 0)
		return -1;
	*id = v;
	return 0;
}

int
c_jobs(const struct ods_conf *conf, int argc, char *argv[])
{
	struct jobopts		 o;
	struct ods_db		*db;
	struct ods_redis	*redis;
	const char		*verb = argc > 1 ? argv[1] : "";
	int64_t			 id = 0;
	int			 rc, nargs;
	enum ods_err		 er;

	if (opts(argc - 1, argv + 1, &o) < 0)
		return EXIT_USAGE;
	nargs = argc - 1 - optind;	/* operands after the verb */
	if (strcmp(verb, "list") == 0 ? nargs != 0 :
	    strcmp(verb, "enqueue") == 0 ? nargs != 1 :
	    nargs != 1 || job_id(argv[1 + optind], &id) < 0)
		return EXIT_USAGE;
	db = ods_db_new(conf, 1);
	if (strcmp(verb, "list") == 0)
		rc = list(db, &o);
	else if (strcmp(verb, "show") == 0)
		rc = show(db, id);
	else if (strcmp(verb, "wait") == 0)
		rc = wait_end(db, id, o.timeout);
	else if (strcmp(verb, "enqueue") == 0)
		rc = enqueue(db, conf, &o, argv[1 + optind]);
	else if (strcmp(verb, "cancel") == 0) {
		er = ods_jobs_cancel(db, id, NULL, NULL);
		rc = er == ODS_OK ? EXIT_SUCCESS : fail("cancel", er);
	} else if (strcmp(verb, "retry") == 0) {
		redis = ods_redis_new(conf, 1);
		er = ods_jobs_retry(db, redis, id);
		ods_redis_free(redis);
		rc = er == ODS_OK ? EXIT_SUCCESS : fail("retry", er);
	} else
		rc = EXIT_USAGE;
	ods_db_free(db);
	return rc;
}
