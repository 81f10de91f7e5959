/*
 * tests/check_ods_sched.c — schedules on a real MariaDB (lib/store/
 * ods_sched): definitions and their errors; a due run fired once and
 * advanced; missed runs coalesced into one; a failed fire released for a
 * retry; a live lease respected; pause, resume and trigger-now; and
 * workers in threads, each with its own pool, racing for a schedule due
 * every second: each due time fired exactly once. Needs ODS_TEST_DB_DSN;
 * exits 77 without it. Works in a scratch database "<db>_s<pid>".
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_time.h"
#include "store/ods_db.h"
#include "store/ods_sched.h"
#include "ods_check.h"
#include "ods_test_db.h"

static const char	*dsn;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_db	*db;

#define T0	1735689600	/* 2025-01-01T00:00:00Z */

/* What the fire callback saw. */
struct fires {
	pthread_mutex_t	 mu;
	int		 n;
	int64_t		 due[256];
	int		 manual[256];
	char		 key[256][64];
	enum ods_err	 answer;	/* what fire returns */
};

static enum ods_err
fire(void *arg, const struct ods_sched_run *r)
{
	struct fires	*f = arg;

	pthread_mutex_lock(&f->mu);
	if (f->n < 256) {
		f->due[f->n] = r->due_at;
		f->manual[f->n] = r->manual;
		snprintf(f->key[f->n], sizeof(f->key[0]), "%s", r->idem_key);
	}
	f->n++;
	pthread_mutex_unlock(&f->mu);
	return f->answer;
}

static void
fires_init(struct fires *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
}

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	ck_assert_ptr_nonnull(conf);
	db = ods_db_new(conf, 2);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM schedules"),
	    0);
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
}

static int64_t
make(const char *name, enum ods_sched_kind kind, const char *cron,
    int64_t interval, int64_t now)
{
	struct ods_sched_spec	 sp = {
		.name = name, .kind = kind, .cron = cron,
		.interval_s = interval, .tz = "UTC", .job_type = "noop",
		.payload = "{\"x\":1}",
	};
	struct ods_why		 why = { .msg = "" };
	int64_t			 id = 0;

	ck_assert_msg(ods_sched_create(db, &sp, now, &id, &why) == ODS_OK,
	    "%s: %s", why.field, why.msg);
	ck_assert_int_gt(id, 0);
	return id;
}

static int64_t
next_due(int64_t id)
{
	struct ods_sched	*s = NULL;
	int64_t			 v;

	ck_assert_int_eq(ods_sched_get(db, id, &s), ODS_OK);
	v = s->next_due_at;
	ods_sched_free(s);
	return v;
}

static unsigned
run(int64_t now, struct fires *f)
{
	unsigned	n = 99;

	ck_assert_int_eq(ods_sched_run_due(db, "test:1", now, fire, f, &n),
	    ODS_OK);
	return n;
}

/* ---- core ---- */

START_TEST(test_sched_stores_reads_lists_updates_and_deletes)
{
	struct ods_sched_spec	 sp = {
		.name = "nightly-etl", .kind = ODS_SCHED_CRON,
		.cron = "30 2 * * *", .tz = "Europe/Berlin",
		.job_type = "etl.run", .payload = "{\"task\":\"t1\"}",
		.created_by = "alice",
	};
	struct ods_sched	*s = NULL, *v = NULL;
	struct ods_why		 why = { .msg = "" };
	int64_t			 id = 0, total = 0, before;
	size_t			 n = 0;

	/* 2025-01-01 00:00Z: 02:30 CET is 01:30Z */
	ck_assert_int_eq(ods_sched_create(db, &sp, T0, &id, &why), ODS_OK);
	ck_assert_int_eq(ods_sched_get(db, id, &s), ODS_OK);
	ck_assert_str_eq(s->name, "nightly-etl");
	ck_assert_int_eq(s->kind, ODS_SCHED_CRON);
	ck_assert_str_eq(s->cron, "30 2 * * *");
	ck_assert_str_eq(s->tz, "Europe/Berlin");
	ck_assert_str_eq(s->job_type, "etl.run");
	ck_assert_ptr_nonnull(strstr(s->payload, "\"t1\""));
	ck_assert_str_eq(s->created_by, "alice");
	ck_assert_int_eq(s->enabled, 1);
	ck_assert_int_eq(s->next_due_at, T0 + 5400);
	ck_assert_int_eq(s->last_run_at, 0);
	ck_assert_int_gt(s->created_at, 0);
	ods_sched_free(s);

	ck_assert_int_eq(ods_sched_get_by_name(db, "nightly-etl", &s), ODS_OK);
	ck_assert_int_eq(s->id, id);
	ods_sched_free(s);
	ck_assert_int_eq(ods_sched_create(db, &sp, T0, NULL, &why),
	    ODS_ECONFLICT);
	ck_assert_str_eq(why.field, "name");

	make("every-minute", ODS_SCHED_INTERVAL, NULL, 60, T0);
	ck_assert_int_eq(ods_sched_list(db, 0, 10, &v, &n, &total), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(total, 2);
	ck_assert_str_eq(v[0].name, "nightly-etl");
	ck_assert_int_eq(v[1].interval_s, 60);
	ck_assert_str_eq(v[1].cron, "");
	ods_sched_list_free(v, n);
	ck_assert_int_eq(ods_sched_list(db, 1, 10, &v, &n, NULL), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ods_sched_list_free(v, n);

	/* A new payload keeps the cadence; a new expression moves it. */
	before = next_due(id);
	sp.payload = "{\"task\":\"t2\"}";
	ck_assert_int_eq(ods_sched_update(db, id, &sp, T0 + 60, &why), ODS_OK);
	ck_assert_int_eq(next_due(id), before);
	sp.cron = "0 6 * * *";
	ck_assert_int_eq(ods_sched_update(db, id, &sp, T0 + 60, &why), ODS_OK);
	ck_assert_int_eq(next_due(id), T0 + 5 * 3600);
	ck_assert_int_eq(ods_sched_update(db, 999999, &sp, T0, &why),
	    ODS_ENOTFOUND);

	ck_assert_int_eq(ods_sched_delete(db, id), ODS_OK);
	ck_assert_int_eq(ods_sched_get(db, id, &s), ODS_ENOTFOUND);
	ck_assert_ptr_null(s);
	ck_assert_int_eq(ods_sched_delete(db, id), ODS_ENOTFOUND);
}
END_TEST

START_TEST(test_sched_fires_a_due_run_once_and_advances_it)
{
	struct fires	f;
	struct ods_sched *s = NULL;
	int64_t		id;

	fires_init(&f);
	id = make("minutely", ODS_SCHED_INTERVAL, NULL, 60, T0);
	ck_assert_int_eq(next_due(id), T0 + 60);
	ck_assert_uint_eq(run(T0 + 59, &f), 0);
	ck_assert_uint_eq(run(T0 + 60, &f), 1);
	ck_assert_int_eq(f.due[0], T0 + 60);
	ck_assert_int_eq(f.manual[0], 0);
	ck_assert_int_eq(next_due(id), T0 + 120);
	ck_assert_uint_eq(run(T0 + 60, &f), 0);
	ck_assert_uint_eq(run(T0 + 119, &f), 0);
	ck_assert_uint_eq(run(T0 + 125, &f), 1);
	ck_assert_int_eq(f.due[1], T0 + 120);
	ck_assert_int_eq(next_due(id), T0 + 180);
	ck_assert_int_eq(f.n, 2);
	ck_assert_int_eq(ods_sched_get(db, id, &s), ODS_OK);
	ck_assert_int_eq(s->run_count, 2);
	ck_assert_int_eq(s->last_due_at, T0 + 120);
	ck_assert_int_eq(s->last_run_at, T0 + 125);
	ods_sched_free(s);
}
END_TEST

START_TEST(test_sched_gives_each_run_a_stable_idempotency_key)
{
	struct fires	f;
	char		want[64];
	int64_t		id;

	fires_init(&f);
	id = make("keyed", ODS_SCHED_INTERVAL, NULL, 60, T0);
	f.answer = ODS_EUNAVAIL;
	ck_assert_uint_eq(run(T0 + 60, &f), 0);
	f.answer = ODS_OK;
	ck_assert_uint_eq(run(T0 + 61, &f), 1);
	snprintf(want, sizeof(want), "sched:%lld:%lld", (long long)id,
	    (long long)(T0 + 60));
	ck_assert_str_eq(f.key[0], want);
	ck_assert_str_eq(f.key[1], want);
	ck_assert_int_eq(ods_sched_trigger(db, id), ODS_OK);
	ck_assert_uint_eq(run(T0 + 70, &f), 1);
	snprintf(want, sizeof(want), "sched:%lld:m1", (long long)id);
	ck_assert_str_eq(f.key[2], want);
}
END_TEST

START_TEST(test_sched_coalesces_runs_missed_during_an_outage)
{
	struct fires	f;
	int64_t		iv, cr, now = T0 + 86400 * 3 + 17;

	fires_init(&f);
	iv = make("interval-10s", ODS_SCHED_INTERVAL, NULL, 10, T0);
	cr = make("cron-5min", ODS_SCHED_CRON, "*/5 * * * *", 0, T0);
	/* Three days with no worker: one run each, then the future. */
	ck_assert_uint_eq(run(now, &f), 2);
	ck_assert_int_eq(f.n, 2);
	ck_assert_int_eq(next_due(iv), T0 + 86400 * 3 + 20);
	ck_assert_int_eq(next_due(cr), T0 + 86400 * 3 + 300);
	ck_assert_uint_eq(run(now, &f), 0);
	/* A next_due_at set far in the past, as after a long outage. */
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "UPDATE schedules SET "
	    "next_due_at = '2001-01-01 00:00:00' WHERE name = 'cron-5min'"),
	    0);
	ck_assert_uint_eq(run(now, &f), 1);
	ck_assert_int_eq(f.due[2], 978307200);
	ck_assert_int_eq(next_due(cr), T0 + 86400 * 3 + 300);
}
END_TEST

START_TEST(test_sched_pause_resume_and_trigger_now)
{
	struct fires	f;
	int64_t		id;

	fires_init(&f);
	id = make("hourly", ODS_SCHED_CRON, "@hourly", 0, T0 + 10);
	ck_assert_int_eq(next_due(id), T0 + 3600);

	/* Trigger between due times: fires now, the cadence stays. */
	ck_assert_int_eq(ods_sched_trigger(db, id), ODS_OK);
	ck_assert_int_eq(ods_sched_trigger(db, id), ODS_OK);
	ck_assert_uint_eq(run(T0 + 20, &f), 1);
	ck_assert_int_eq(f.manual[0], 1);
	ck_assert_int_eq(f.due[0], T0 + 20);
	ck_assert_int_eq(next_due(id), T0 + 3600);
	ck_assert_uint_eq(run(T0 + 30, &f), 0);

	/* Paused: no regular run; a trigger still runs. */
	ck_assert_int_eq(ods_sched_pause(db, id), ODS_OK);
	ck_assert_uint_eq(run(T0 + 3600, &f), 0);
	ck_assert_int_eq(ods_sched_trigger(db, id), ODS_OK);
	ck_assert_uint_eq(run(T0 + 3601, &f), 1);
	ck_assert_int_eq(f.manual[1], 1);
	ck_assert_uint_eq(run(T0 + 3602, &f), 0);

	/* Resumed hours later: what fell due while paused is skipped. */
	ck_assert_int_eq(ods_sched_resume(db, id, T0 + 5 * 3600 + 5), ODS_OK);
	ck_assert_int_eq(next_due(id), T0 + 6 * 3600);
	ck_assert_int_eq(ods_sched_resume(db, id, T0 + 9 * 3600), ODS_OK);
	ck_assert_int_eq(next_due(id), T0 + 6 * 3600);
	ck_assert_uint_eq(run(T0 + 6 * 3600, &f), 1);
	ck_assert_int_eq(f.manual[2], 0);

	/* A trigger and a regular run due together: one run. */
	ck_assert_int_eq(ods_sched_trigger(db, id), ODS_OK);
	ck_assert_uint_eq(run(T0 + 7 * 3600, &f), 1);
	ck_assert_int_eq(f.manual[3], 0);
	ck_assert_uint_eq(run(T0 + 7 * 3600 + 1, &f), 0);
	ck_assert_int_eq(f.n, 4);

	ck_assert_int_eq(ods_sched_pause(db, 999999), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_sched_resume(db, 999999, T0), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_sched_trigger(db, 999999), ODS_ENOTFOUND);
}
END_TEST

/* ---- limits ---- */

static void *
worker(void *arg)
{
	struct fires	*f = arg;
	struct ods_db	*own = ods_db_new(conf, 1);
	char		 owner[64];
	int64_t		 end = ods_wall_ms() + 6500;
	unsigned	 n;

	snprintf(owner, sizeof(owner), "thread:%p", (void *)&owner);
	while (ods_wall_ms() < end) {
		if (ods_sched_run_due(own, owner, ods_wall_ms() / 1000, fire, f,
		    &n) != ODS_OK)
			ods_sleep_ms(5);
		ods_sleep_ms(10);
	}
	ods_db_free(own);
	return NULL;
}

START_TEST(test_sched_workers_racing_fire_each_due_time_once)
{
	enum { NTHREADS = 4 };
	pthread_t	th[NTHREADS];
	struct fires	f;
	int64_t		start, lo = INT64_MAX, hi = 0;
	int		i, j;

	fires_init(&f);
	/* Due every second from the next whole second on. */
	while (ods_wall_ms() % 1000 > 100)
		ods_sleep_ms(10);
	start = ods_wall_ms() / 1000;
	make("every-second", ODS_SCHED_INTERVAL, NULL, 1, start);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, worker, &f), 0);
	for (i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	/* 6.5 s of workers: the due times start+1 .. start+6 (+-1). */
	ck_assert_msg(f.n >= 5 && f.n <= 7, "%d runs", f.n);
	for (i = 0; i < f.n; i++) {
		for (j = 0; j < i; j++)
			ck_assert_msg(f.due[i] != f.due[j],
			    "due time %lld fired twice", (long long)f.due[i]);
		ck_assert_int_ge(f.due[i], start + 1);
		lo = f.due[i] < lo ? f.due[i] : lo;
		hi = f.due[i] > hi ? f.due[i] : hi;
	}
	/* None lost: the due times fired are consecutive seconds. */
	ck_assert_int_eq(hi - lo + 1, f.n);
}
END_TEST

START_TEST(test_sched_respects_a_live_lease)
{
	struct fires	f;

	fires_init(&f);
	make("leased", ODS_SCHED_INTERVAL, NULL, 60, T0);
	/* Another worker holds it until T0 + 100. */
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "UPDATE schedules SET "
	    "lease_owner = 'other#1', lease_expires_at = "
	    "'2025-01-01 00:01:40'"), 0);
	ck_assert_uint_eq(run(T0 + 60, &f), 0);
	ck_assert_uint_eq(run(T0 + 99, &f), 0);
	/* Its worker died: the lease expires and the run is not lost. */
	ck_assert_uint_eq(run(T0 + 100, &f), 1);
	ck_assert_int_eq(f.due[0], T0 + 60);
}
END_TEST

START_TEST(test_sched_runs_a_batch_of_due_schedules_per_call)
{
	struct fires	f;
	char		name[32];
	int		i;

	fires_init(&f);
	for (i = 0; i < ODS_SCHED_BATCH + 3; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		make(name, ODS_SCHED_INTERVAL, NULL, 60, T0);
	}
	ck_assert_uint_eq(run(T0 + 60, &f), ODS_SCHED_BATCH);
	ck_assert_uint_eq(run(T0 + 60, &f), 3);
	ck_assert_uint_eq(run(T0 + 60, &f), 0);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_sched_refuses_bad_definitions_naming_the_field)
{
	static const struct {
		struct ods_sched_spec	 sp;
		const char		*field, *msg;
	} bad[] = {
		{ { .name = "", .kind = ODS_SCHED_INTERVAL, .interval_s = 5,
		    .job_type = "noop" }, "name", "1 to 128 bytes" },
		{ { .name = "x", .kind = 7, .job_type = "noop" }, "kind",
		    "cron or interval" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = "61 * * * *",
		    .job_type = "noop" }, "cron_expr",
		    "minute field: 61 is out of range 0-59" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = "0 0 30 2 *",
		    .job_type = "noop" }, "cron_expr", "never matches" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = NULL,
		    .job_type = "noop" }, "cron_expr", "1 to 256 bytes" },
		{ { .name = "x", .kind = ODS_SCHED_INTERVAL, .interval_s = 0,
		    .job_type = "noop" }, "interval_seconds", "from 1 to" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = "@daily",
		    .tz = "Mars/Base", .job_type = "noop" }, "time_zone",
		    "unknown time zone 'Mars/Base'" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = "@daily",
		    .tz = "../../etc/passwd", .job_type = "noop" },
		    "time_zone", "not a time zone name" },
		{ { .name = "x", .kind = ODS_SCHED_CRON, .cron = "@daily",
		    .tz = "zone.tab", .job_type = "noop" }, "time_zone",
		    "not a TZif file" },
		{ { .name = "x", .kind = ODS_SCHED_INTERVAL, .interval_s = 5,
		    .job_type = "Bad Type" }, "job_type", "a-z" },
		{ { .name = "x", .kind = ODS_SCHED_INTERVAL, .interval_s = 5,
		    .job_type = "noop", .payload = "{nope" }, "payload",
		    "JSON document" },
	};
	struct ods_why	why;
	size_t		i;

	for (i = 0; i < ODS_NELEM(bad); i++) {
		memset(&why, 0, sizeof(why));
		ck_assert_int_eq(ods_sched_create(db, &bad[i].sp, T0, NULL,
		    &why), ODS_EINVAL);
		ck_assert_msg(strcmp(why.field, bad[i].field) == 0 &&
		    strstr(why.msg, bad[i].msg) != NULL, "%zu: got %s: %s",
		    i, why.field, why.msg);
	}
	ck_assert_int_eq(ods_test_scalar(db, "SELECT COUNT(*) FROM schedules "
	    "WHERE name <> ?", ""), 0);
}
END_TEST

START_TEST(test_sched_releases_a_run_whose_fire_failed)
{
	struct fires	f;
	int64_t		id;

	fires_init(&f);
	id = make("flaky", ODS_SCHED_INTERVAL, NULL, 60, T0);
	f.answer = ODS_EUNAVAIL;
	ck_assert_uint_eq(run(T0 + 60, &f), 0);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(next_due(id), T0 + 60);
	ck_assert_int_eq(ods_test_scalar(db, "SELECT COUNT(*) FROM schedules "
	    "WHERE lease_owner IS NULL AND name = ?", "flaky"), 1);
	f.answer = ODS_OK;
	ck_assert_uint_eq(run(T0 + 61, &f), 1);
	ck_assert_int_eq(f.due[1], T0 + 60);
	ck_assert_int_eq(next_due(id), T0 + 120);
}
END_TEST

START_TEST(test_sched_run_due_refuses_a_missing_owner_or_callback)
{
	ck_assert_int_eq(ods_sched_run_due(db, "", T0, fire, NULL, NULL),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_sched_run_due(db, "w", T0, NULL, NULL, NULL),
	    ODS_EINVAL);
}
END_TEST

START_TEST(test_sched_run_due_reports_a_database_that_is_down)
{
	struct ods_conf	*c = ods_test_conf(dsn, scratch);
	struct ods_db	*down;
	struct fires	 f;

	fires_init(&f);
	/* Nothing listens on port 1. */
	c->mysql_port = 1;
	c->mysql_socket[0] = '\0';
	down = ods_db_new(c, 1);
	ck_assert_int_eq(ods_sched_run_due(down, "w", T0, fire, &f, NULL),
	    ODS_EUNAVAIL);
	ck_assert_int_eq(f.n, 0);
	ods_db_free(down);
	ods_conf_free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_sched");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 60);
	tcase_set_timeout(limits, 60);
	tcase_set_timeout(errors, 60);
	tcase_add_test(core, test_sched_stores_reads_lists_updates_and_deletes);
	tcase_add_test(core, test_sched_fires_a_due_run_once_and_advances_it);
	tcase_add_test(core, test_sched_gives_each_run_a_stable_idempotency_key);
	tcase_add_test(core, test_sched_coalesces_runs_missed_during_an_outage);
	tcase_add_test(core, test_sched_pause_resume_and_trigger_now);
	tcase_add_test(limits, test_sched_workers_racing_fire_each_due_time_once);
	tcase_add_test(limits, test_sched_respects_a_live_lease);
	tcase_add_test(limits, test_sched_runs_a_batch_of_due_schedules_per_call);
	tcase_add_test(errors,
	    test_sched_refuses_bad_definitions_naming_the_field);
	tcase_add_test(errors, test_sched_releases_a_run_whose_fire_failed);
	tcase_add_test(errors,
	    test_sched_run_due_refuses_a_missing_owner_or_callback);
	tcase_add_test(errors,
	    test_sched_run_due_reports_a_database_that_is_down);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_ods_sched");
	return ods_test_scratch_create(dsn, 's', scratch, sizeof(scratch)) <
	    0 ? 1 : 0;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0 ? 1 : 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
