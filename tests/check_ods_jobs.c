/*
 * tests/check_ods_jobs.c — the durable job queue (lib/store/ods_jobs)
 * against a real MariaDB and Redis. Needs ODS_TEST_DB_DSN and
 * ODS_TEST_REDIS_URL; exits 77 without them. Works in a scratch database
 * "<db>_j<pid>", migrated from sql/ and dropped at the end; every test
 * starts with an empty jobs table.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ods.h"
#include "ods_check.h"
#include "ods_test_db.h"

#define OWNER	"test-host:1:abcd"

static const char	*dsn, *redis_url;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_db	*db;
static struct ods_redis	*redis;

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	ck_assert_int_eq(ods_conf_set(conf, "REDIS_URL", redis_url, NULL),
	    ODS_OK);
	db = ods_db_new(conf, 8);
	redis = ods_redis_new(conf, 2);
	ck_assert_ptr_nonnull(redis);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM jobs"), 0);
}

static void
teardown(void)
{
	ods_redis_free(redis);
	ods_db_free(db);
	ods_conf_free(conf);
}

static int64_t
enqueue(const char *type, const char *payload, const char *by, int max)
{
	struct ods_jobs_spec	s = { .type = type, .payload = payload,
				    .created_by = by, .max_attempts = max };
	int64_t			id = 0;

	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL), ODS_OK);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t
scalar(const char *sql, int64_t id)
{
	char	arg[24];

	snprintf(arg, sizeof(arg), "%lld", (long long)id);
	return ods_test_scalar(db, sql, arg);
}

static enum ods_jobs_status
status_of(int64_t id)
{
	struct ods_jobs_row	r;
	enum ods_jobs_status	st;

	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	st = r.status;
	ods_jobs_row_fini(&r);
	return st;
}

/* ---- core ---- */

START_TEST(test_jobs_enqueue_claim_finish_round_trip)
{
	struct ods_jobs_claim	cl;
	struct ods_jobs_row	r;
	enum ods_jobs_status	st;
	int64_t			id;

	id = enqueue("noop", "{\"a\":1}", "u1", 0);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(cl.id, id);
	ck_assert_str_eq(cl.type, "noop");
	ck_assert_str_eq(cl.payload, "{\"a\":1}");
	ck_assert_str_eq(cl.created_by, "u1");
	ck_assert_int_eq(cl.attempt, 1);
	ck_assert_int_eq(cl.max_attempts, 3);
	ck_assert_int_eq(status_of(id), ODS_JOBS_RUNNING);
	/* Nothing else is due. */
	{
		struct ods_jobs_claim	none;

		ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &none),
		    ODS_ENOTFOUND);
	}
	ck_assert_int_eq(ods_jobs_progress(db, id, OWNER, 1, 40, "half"),
	    ODS_OK);
	ck_assert_int_eq(ods_jobs_get(db, id, "u1", &r), ODS_OK);
	ck_assert_int_eq(r.progress, 40);
	ck_assert_str_eq(r.progress_message, "half");
	ck_assert_str_eq(r.lease_owner, OWNER);
	ck_assert_ptr_nonnull(r.started_at);
	ods_jobs_row_fini(&r);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_DONE,
	    "{\"ok\":true}", NULL, 0, &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_SUCCEEDED);
	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	ck_assert_int_eq(r.status, ODS_JOBS_SUCCEEDED);
	ck_assert_int_eq(r.progress, 100);
	ck_assert_str_eq(r.result, "{\"ok\":true}");
	ck_assert_ptr_null(r.lease_owner);
	ck_assert_ptr_nonnull(r.finished_at);
	ods_jobs_row_fini(&r);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_batch_claim_takes_the_oldest_due_jobs_in_order)
{
	struct ods_jobs_claim	cl[ODS_JOBS_CLAIM_MAX];
	struct ods_jobs_spec	later = { .type = "noop", .delay_ms = 60000 };
	int64_t			id[4], lid;
	size_t			i, n;

	for (i = 0; i < 4; i++)
		id[i] = enqueue("noop", "{\"n\":1}", "u1", 0);
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &later, &lid, NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl, 3, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(cl[i].id, id[i]);
		ck_assert_str_eq(cl[i].type, "noop");
		ck_assert_str_eq(cl[i].payload, "{\"n\":1}");
		ck_assert_int_eq(cl[i].attempt, 1);
		ck_assert_int_eq(status_of(id[i]), ODS_JOBS_RUNNING);
		ods_jobs_claim_fini(&cl[i]);
	}
	/* Each claimed job is leased and started now, not only the first. */
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM jobs WHERE id <= ? AND "
	    "lease_expires_at > NOW(3) AND started_at IS NOT NULL", id[2]), 3);
	/* The rest that is due: one job, though ten were asked for. */
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl, 10, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(cl[0].id, id[3]);
	ods_jobs_claim_fini(&cl[0]);
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl, 10, &n),
	    ODS_ENOTFOUND);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(status_of(lid), ODS_JOBS_QUEUED);
	/* The claims are one run each: the finish names the attempt. */
	ck_assert_int_eq(ods_jobs_finish(db, id[0], OWNER, 1, ODS_JOBS_DONE,
	    NULL, NULL, 0, NULL), ODS_OK);
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl, 0, &n),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl,
	    ODS_JOBS_CLAIM_MAX + 1, &n), ODS_EINVAL);
}
END_TEST

START_TEST(test_jobs_idempotency_key_is_per_creator_and_type)
{
	struct ods_jobs_spec	s = { .type = "noop", .created_by = "u1",
				    .idempotency_key = "nightly-2026-12-01" };
	int64_t			a = 0, b = 0, c = 0, d = 0;
	int			existed = -1;

	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &a, &existed),
	    ODS_OK);
	ck_assert_int_eq(existed, 0);
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &b, &existed),
	    ODS_OK);
	ck_assert_int_eq(existed, 1);
	ck_assert_int_eq(a, b);
	s.created_by = "u2";
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &c, &existed),
	    ODS_OK);
	ck_assert_int_eq(existed, 0);
	ck_assert_int_ne(c, a);
	s.type = "audit_retention";
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &d, &existed),
	    ODS_OK);
	ck_assert_int_ne(d, c);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM jobs WHERE id > ?", 0),
	    3);
}
END_TEST

START_TEST(test_jobs_delayed_job_is_not_claimed_early)
{
	struct ods_jobs_spec	s = { .type = "noop", .delay_ms = 60000 };
	struct ods_jobs_claim	cl;
	int64_t			id;

	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL), ODS_OK);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_ENOTFOUND);
	ck_assert_int_eq(status_of(id), ODS_JOBS_QUEUED);
}
END_TEST

START_TEST(test_jobs_error_retries_with_backoff_then_fails)
{
	struct ods_jobs_claim	cl;
	enum ods_jobs_status	st;
	struct ods_jobs_row	r;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 2);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_ERROR,
	    NULL, "boom 1", 200, &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_QUEUED);
	ods_jobs_claim_fini(&cl);
	/* Backoff: 200 ms for the first retry; not due at once. */
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_ENOTFOUND);
	ck_assert_int_ge(scalar("SELECT TIMESTAMPDIFF(MICROSECOND, NOW(3), "
	    "run_after) FROM jobs WHERE id = ?", id), 100000);
	ods_sleep_ms(250);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(cl.attempt, 2);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 2, ODS_JOBS_ERROR,
	    NULL, "boom 2", 200, &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_FAILED);
	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	ck_assert_int_eq(r.status, ODS_JOBS_FAILED);
	ck_assert_int_eq(r.attempts, 2);
	ck_assert_str_eq(r.error, "boom 2");
	ck_assert_ptr_nonnull(r.finished_at);
	ods_jobs_row_fini(&r);
	ods_jobs_claim_fini(&cl);
	/* retry: a fresh set of attempts. */
	ck_assert_int_eq(ods_jobs_retry(db, redis, id), ODS_OK);
	ck_assert_int_eq(status_of(id), ODS_JOBS_QUEUED);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(cl.attempt, 1);
	ck_assert_int_eq(ods_jobs_retry(db, redis, id), ODS_ECONFLICT);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_release_does_not_count_an_attempt)
{
	struct ods_jobs_claim	cl;
	enum ods_jobs_status	st;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 1);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_RELEASE,
	    NULL, NULL, 0, &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_QUEUED);
	ods_jobs_claim_fini(&cl);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(cl.attempt, 1);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_a_claim_taken_over_can_no_longer_write)
{
	struct ods_jobs_claim	cl, cl2;
	size_t			requeued = 0, failed = 0;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 3);
	/* A lease of 1 ms: expired at once, as if the worker died. */
	ck_assert_int_eq(ods_jobs_claim(db, "dead:1:0", 1, &cl), ODS_OK);
	ods_sleep_ms(20);
	ck_assert_int_eq(ods_jobs_reap(db, &requeued, &failed), ODS_OK);
	ck_assert_int_eq(requeued, 1);
	ck_assert_int_eq(failed, 0);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl2), ODS_OK);
	ck_assert_int_eq(cl2.id, id);
	ck_assert_int_eq(cl2.attempt, 2);
	/* The dead worker's late writes are refused. */
	ck_assert_int_eq(ods_jobs_finish(db, id, "dead:1:0", 1, ODS_JOBS_DONE,
	    NULL, NULL, 0, NULL), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_progress(db, id, "dead:1:0", 1, 50, NULL),
	    ODS_OK);
	ck_assert_int_eq(scalar("SELECT progress FROM jobs WHERE id = ?", id),
	    0);
	/* Even the same owner with an older attempt. */
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_DONE,
	    NULL, NULL, 0, NULL), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 2, ODS_JOBS_DONE,
	    NULL, NULL, 0, NULL), ODS_OK);
	ods_jobs_claim_fini(&cl);
	ods_jobs_claim_fini(&cl2);
}
END_TEST

START_TEST(test_jobs_finish_done_records_each_run_of_a_batch)
{
	struct ods_jobs_claim	cl[ODS_JOBS_CLAIM_MAX];
	struct ods_jobs_done	d[11];
	struct ods_jobs_row	r;
	char			res[11][32];
	size_t			i, n;

	for (i = 0; i < 11; i++)
		enqueue("noop", NULL, NULL, 0);
	ck_assert_int_eq(ods_jobs_claim_batch(db, OWNER, 30000, cl, 11, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 11);
	/* More runs than one statement takes, each with its own result. */
	for (i = 0; i < n; i++) {
		snprintf(res[i], sizeof(res[i]), "{\"i\":%zu}", i);
		d[i].id = cl[i].id;
		d[i].attempt = cl[i].attempt;
		d[i].result = i == 5 ? NULL : res[i];
	}
	/* Run 3 is no longer ours (a stale attempt), run 7's result is bad. */
	d[3].attempt = 9;
	d[7].result = "not json";
	ck_assert_int_ne(ods_jobs_finish_done(db, OWNER, d, n), ODS_OK);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(d[i].er, i == 3 ? ODS_ENOTFOUND : i == 7 ?
		    ODS_EINVAL : ODS_OK);
		ck_assert_int_eq(ods_jobs_get(db, cl[i].id, NULL, &r), ODS_OK);
		if (i == 3 || i == 7) {
			ck_assert_int_eq(r.status, ODS_JOBS_RUNNING);
		} else {
			ck_assert_int_eq(r.status, ODS_JOBS_SUCCEEDED);
			ck_assert_int_eq(r.progress, 100);
			ck_assert_ptr_nonnull(r.finished_at);
			ck_assert_ptr_null(r.lease_owner);
			if (i == 5)
				ck_assert_ptr_null(r.result);
			else
				ck_assert_str_eq(r.result, res[i]);
		}
		ods_jobs_row_fini(&r);
	}
	/* Recorded runs are not recorded twice; another owner is refused. */
	ck_assert_int_eq(ods_jobs_finish_done(db, OWNER, d, 1), ODS_ENOTFOUND);
	d[3].attempt = cl[3].attempt;
	ck_assert_int_eq(ods_jobs_finish_done(db, "other:1:0", &d[3], 1),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_finish_done(db, OWNER, &d[3], 1), ODS_OK);
	ck_assert_int_eq(status_of(cl[3].id), ODS_JOBS_SUCCEEDED);
	for (i = 0; i < n; i++)
		ods_jobs_claim_fini(&cl[i]);
}
END_TEST

START_TEST(test_jobs_expired_lease_on_last_attempt_fails)
{
	struct ods_jobs_claim	cl;
	struct ods_jobs_row	r;
	size_t			requeued = 0, failed = 0;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 1);
	ck_assert_int_eq(ods_jobs_claim(db, "dead:2:0", 1, &cl), ODS_OK);
	ods_sleep_ms(20);
	ck_assert_int_eq(ods_jobs_reap(db, &requeued, &failed), ODS_OK);
	ck_assert_int_eq(requeued, 0);
	ck_assert_int_eq(failed, 1);
	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	ck_assert_int_eq(r.status, ODS_JOBS_FAILED);
	ck_assert_ptr_nonnull(strstr(r.error, "lease expired"));
	ods_jobs_row_fini(&r);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_heartbeat_extends_leases_and_reports_cancel)
{
	struct ods_jobs_claim	cl;
	enum ods_jobs_status	st;
	int64_t			id, ids[4];
	int			cancel[4];
	size_t			n = 0;

	id = enqueue("noop", NULL, "u1", 0);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 300, &cl), ODS_OK);
	ck_assert_int_eq(ods_jobs_heartbeat(db, OWNER, 60000, ids, cancel, 4,
	    &n), ODS_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(ids[0], id);
	ck_assert_int_eq(cancel[0], 0);
	ods_sleep_ms(400);
	/* Extended: nothing to reap after the first 300 ms. */
	ck_assert_int_eq(ods_jobs_reap(db, NULL, NULL), ODS_OK);
	ck_assert_int_eq(status_of(id), ODS_JOBS_RUNNING);
	/* A running job is asked to stop; another user cannot. */
	ck_assert_int_eq(ods_jobs_cancel(db, id, "u2", &st), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_cancel(db, id, "u1", &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_RUNNING);
	ck_assert_int_eq(ods_jobs_heartbeat(db, OWNER, 60000, ids, cancel, 4,
	    &n), ODS_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(cancel[0], 1);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_STOPPED,
	    NULL, "cancelled on request", 0, &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_CANCELLED);
	ck_assert_int_eq(ods_jobs_cancel(db, id, NULL, &st), ODS_ECONFLICT);
	ck_assert_int_eq(st, ODS_JOBS_CANCELLED);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_abandon_gives_an_orphan_back_uncounted)
{
	struct ods_jobs_claim	cl;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 1);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(ods_jobs_abandon(db, id, "someone:else:0"),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_abandon(db, id, OWNER), ODS_OK);
	ck_assert_int_eq(status_of(id), ODS_JOBS_QUEUED);
	ck_assert_int_eq(scalar("SELECT attempts FROM jobs WHERE id = ?", id),
	    0);
	ck_assert_int_eq(ods_jobs_abandon(db, id, OWNER), ODS_ENOTFOUND);
	ods_jobs_claim_fini(&cl);
}
END_TEST

START_TEST(test_jobs_queued_job_cancels_at_once)
{
	struct ods_jobs_claim	cl;
	enum ods_jobs_status	st;
	int64_t			id;

	id = enqueue("noop", NULL, "u1", 0);
	ck_assert_int_eq(ods_jobs_cancel(db, id, "u1", &st), ODS_OK);
	ck_assert_int_eq(st, ODS_JOBS_CANCELLED);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_cancel(db, 999999, NULL, &st),
	    ODS_ENOTFOUND);
}
END_TEST

START_TEST(test_jobs_list_filters_pages_and_owner)
{
	struct ods_jobs_filter	 f = { 0 };
	struct ods_jobs_row	*rows = NULL;
	struct ods_jobs_row	 r;
	size_t			 n = 0;
	int64_t			 total = 0, id;
	int			 i;

	for (i = 0; i < 5; i++)
		enqueue("noop", NULL, "u1", 0);
	id = enqueue("audit_retention", NULL, "u2", 0);
	f.created_by = "u1";
	ck_assert_int_eq(ods_jobs_list(db, &f, 2, 0, &rows, &n, &total),
	    ODS_OK);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(total, 5);
	ck_assert_int_gt(rows[0].id, rows[1].id);	/* newest first */
	ods_jobs_rows_free(rows, n);
	ck_assert_int_eq(ods_jobs_list(db, &f, 2, 4, &rows, &n, &total),
	    ODS_OK);
	ck_assert_int_eq(n, 1);
	ods_jobs_rows_free(rows, n);
	memset(&f, 0, sizeof(f));
	f.type = "audit_retention";
	f.status = "queued";
	ck_assert_int_eq(ods_jobs_list(db, &f, 50, 0, &rows, &n, &total),
	    ODS_OK);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(rows[0].id, id);
	ods_jobs_rows_free(rows, n);
	f.status = "sleeping";
	ck_assert_int_eq(ods_jobs_list(db, &f, 50, 0, &rows, &n, &total),
	    ODS_EINVAL);
	/* Another creator's job is not found, for admin (NULL) it is. */
	ck_assert_int_eq(ods_jobs_get(db, id, "u1", &r), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	ods_jobs_row_fini(&r);
	ck_assert_int_eq(ods_jobs_queued(db, &total), ODS_OK);
	ck_assert_int_eq(total, 6);
}
END_TEST

START_TEST(test_jobs_row_json_has_iso_times_and_raw_payload)
{
	struct ods_jobs_row	r;
	struct ods_buf		b;
	struct ods_jw		jw;
	int64_t			id;

	id = enqueue("noop", "{\"sleep_ms\":5}", "u1", 0);
	ck_assert_int_eq(ods_jobs_get(db, id, NULL, &r), ODS_OK);
	ods_buf_init(&b, 1 << 16);
	ods_jw_init(&jw, &b);
	ods_jobs_row_json(&jw, &r);
	ck_assert_int_eq(ods_jw_error(&jw), ODS_OK);
	ck_assert_ptr_nonnull(strstr(b.data, "\"payload\":{\"sleep_ms\":5}"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"status\":\"queued\""));
	ck_assert_ptr_nonnull(strstr(b.data, "\"result\":null"));
	ck_assert_ptr_nonnull(strstr(b.data, "Z\",\"updated_at\""));
	ck_assert_ptr_nonnull(strchr(strstr(b.data, "\"created_at\""), 'T'));
	ods_buf_free(&b);
	ods_jobs_row_fini(&r);
}
END_TEST

/* ---- concurrency ---- */

#define NCLAIMERS	8
#define NJOBS		300

static int64_t	claimed[NCLAIMERS][NJOBS];
static size_t	nclaimed[NCLAIMERS];

/* Claimer k takes (k % 4) + 1 jobs per claim: single and batch claims mix. */
static void *
claimer(void *arg)
{
	size_t			k = (size_t)(intptr_t)arg;
	struct ods_jobs_claim	cl[4];
	char			owner[32];
	enum ods_err		er;
	size_t			i, n;

	snprintf(owner, sizeof(owner), "claimer:%zu:0", k);
	for (;;) {
		er = ods_jobs_claim_batch(db, owner, 30000, cl, k % 4 + 1, &n);
		if (er == ODS_ENOTFOUND)
			break;
		if (er != ODS_OK)
			continue;	/* a deadlock: try again */
		for (i = 0; i < n; i++) {
			claimed[k][nclaimed[k]++] = cl[i].id;
			if (ods_jobs_finish(db, cl[i].id, owner,
			    cl[i].attempt, ODS_JOBS_DONE, NULL, NULL, 0,
			    NULL) != ODS_OK)
				claimed[k][nclaimed[k] - 1] = -cl[i].id;
			ods_jobs_claim_fini(&cl[i]);
		}
	}
	return NULL;
}

START_TEST(test_jobs_concurrent_claims_take_each_job_once)
{
	pthread_t	t[NCLAIMERS];
	static char	seen[NJOBS * 4];
	int64_t		first, id;
	size_t		k, i, total = 0;

	first = enqueue("noop", NULL, NULL, 0);
	for (i = 1; i < NJOBS; i++)
		enqueue("noop", NULL, NULL, 0);
	memset(seen, 0, sizeof(seen));
	for (k = 0; k < NCLAIMERS; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, claimer,
		    (void *)(intptr_t)k), 0);
	for (k = 0; k < NCLAIMERS; k++)
		pthread_join(t[k], NULL);
	for (k = 0; k < NCLAIMERS; k++)
		for (i = 0; i < nclaimed[k]; i++) {
			id = claimed[k][i];
			ck_assert_msg(id > 0, "job %lld: finish refused",
			    (long long)-id);
			ck_assert_msg(!seen[id - first], "job %lld claimed "
			    "twice", (long long)id);
			seen[id - first] = 1;
			total++;
		}
	ck_assert_int_eq(total, NJOBS);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM jobs WHERE status = "
	    "'succeeded' AND attempts = 1 AND id >= ?", first), NJOBS);
}
END_TEST

/* ---- the wake-up stream ---- */

START_TEST(test_jobs_wait_is_woken_by_enqueue)
{
	/* Drain old wake-ups first (other tests enqueued). */
	while (ods_jobs_wait(redis, "check:0:0", 20) == ODS_OK)
		;
	ck_assert_int_eq(ods_jobs_wait(redis, "check:0:0", 50), ODS_ETIMEOUT);
	enqueue("noop", NULL, NULL, 0);
	ck_assert_int_eq(ods_jobs_wait(redis, "check:0:0", 1000), ODS_OK);
	ck_assert_int_eq(ods_jobs_wait(redis, "check:0:0", 50), ODS_ETIMEOUT);
}
END_TEST

START_TEST(test_jobs_wait_without_redis_says_unavailable)
{
	struct ods_conf		*c = ods_conf_new();
	struct ods_redis	*down;
	int64_t			 id = 0;
	struct ods_jobs_spec	 s = { .type = "noop" };

	ck_assert_int_eq(ods_conf_set(c, "REDIS_URL",
	    "redis://127.0.0.1:1/0", NULL), ODS_OK);
	down = ods_redis_new(c, 1);
	ck_assert_int_eq(ods_jobs_wait(down, "check:0:1", 50), ODS_EUNAVAIL);
	ck_assert_int_eq(ods_jobs_wait(NULL, "check:0:1", 50), ODS_EUNAVAIL);
	/* Enqueue still works: the table is the truth. */
	ck_assert_int_eq(ods_jobs_enqueue(db, down, &s, &id, NULL), ODS_OK);
	ck_assert_int_eq(status_of(id), ODS_JOBS_QUEUED);
	ods_redis_free(down);
	ods_conf_free(c);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_jobs_enqueue_refuses_bad_specs)
{
	struct ods_jobs_spec	s;
	char			long_key[ODS_JOBS_KEY_MAX + 2];
	int64_t			id;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	s.type = "Bad Type";
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	s.type = "noop";
	s.payload = "[1,2]";
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	s.payload = "{\"a\":";
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	s.payload = NULL;
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	s.idempotency_key = long_key;
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	s.idempotency_key = NULL;
	s.max_attempts = 1000;
	ck_assert_int_eq(ods_jobs_enqueue(db, redis, &s, &id, NULL),
	    ODS_EINVAL);
	ck_assert_int_eq(scalar("SELECT COUNT(*) FROM jobs WHERE id > ?", 0),
	    0);
}
END_TEST

START_TEST(test_jobs_finish_refuses_a_result_that_is_not_json)
{
	struct ods_jobs_claim	cl;
	int64_t			id;

	id = enqueue("noop", NULL, NULL, 0);
	ck_assert_int_eq(ods_jobs_claim(db, OWNER, 30000, &cl), ODS_OK);
	ck_assert_int_eq(ods_jobs_finish(db, id, OWNER, 1, ODS_JOBS_DONE,
	    "not json", NULL, 0, NULL), ODS_EINVAL);
	ck_assert_int_eq(status_of(id), ODS_JOBS_RUNNING);
	ods_jobs_claim_fini(&cl);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_jobs");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jobs_enqueue_claim_finish_round_trip);
	tcase_add_test(tc,
	    test_jobs_batch_claim_takes_the_oldest_due_jobs_in_order);
	tcase_add_test(tc, test_jobs_idempotency_key_is_per_creator_and_type);
	tcase_add_test(tc, test_jobs_delayed_job_is_not_claimed_early);
	tcase_add_test(tc, test_jobs_error_retries_with_backoff_then_fails);
	tcase_add_test(tc, test_jobs_release_does_not_count_an_attempt);
	tcase_add_test(tc, test_jobs_a_claim_taken_over_can_no_longer_write);
	tcase_add_test(tc, test_jobs_finish_done_records_each_run_of_a_batch);
	tcase_add_test(tc, test_jobs_expired_lease_on_last_attempt_fails);
	tcase_add_test(tc,
	    test_jobs_heartbeat_extends_leases_and_reports_cancel);
	tcase_add_test(tc, test_jobs_abandon_gives_an_orphan_back_uncounted);
	tcase_add_test(tc, test_jobs_queued_job_cancels_at_once);
	tcase_add_test(tc, test_jobs_list_filters_pages_and_owner);
	tcase_add_test(tc, test_jobs_row_json_has_iso_times_and_raw_payload);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jobs_concurrent_claims_take_each_job_once);
	tcase_add_test(tc, test_jobs_wait_is_woken_by_enqueue);
	tcase_add_test(tc, test_jobs_wait_without_redis_says_unavailable);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_jobs_enqueue_refuses_bad_specs);
	tcase_add_test(tc, test_jobs_finish_refuses_a_result_that_is_not_json);
	suite_add_tcase(s, tc);
	return s;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0;
}

static int
start(void)
{
	dsn = ods_check_env("ODS_TEST_DB_DSN");
	redis_url = ods_check_env("ODS_TEST_REDIS_URL");
	if (dsn == NULL || redis_url == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_jobs");
	if (ods_test_scratch_create(dsn, 'j', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_ods_jobs: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
