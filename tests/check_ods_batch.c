/*
 * tests/check_ods_batch.c — the write-behind batch writer against a write
 * callback in memory: order, batch sizes, the interval under a flood,
 * retries that keep records, drops when the ring is full, bounded flush
 * and stop, and puts from many threads.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_batch.h"
#include "core/ods_err.h"
#include "ods_check.h"

#define SEEN_MAX	200000
#define STARTS_MAX	4096

/* What the write callback saw; shared with the writer thread. */
struct sink {
	pthread_mutex_t	 mu;
	int		 seen[SEEN_MAX];	/* records written, in order */
	size_t		 nseen;
	int64_t		 starts[STARTS_MAX];	/* ms of each write call */
	size_t		 nwrites;
	size_t		 largest;
	int		 fail_first;	/* fail this many writes first */
	int		 fail_always;
	int		 calls;
};

static struct sink	sink;

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static enum ods_err
sink_write(void *arg, const void *recs, size_t n)
{
	struct sink	*s = arg;
	const int	*r = recs;
	size_t		 i;

	pthread_mutex_lock(&s->mu);
	if (s->nwrites < STARTS_MAX)
		s->starts[s->nwrites] = now_ms();
	s->calls++;
	if (s->fail_always || s->fail_first > 0) {
		s->fail_first--;
		pthread_mutex_unlock(&s->mu);
		return ODS_EUNAVAIL;
	}
	s->nwrites++;
	if (n > s->largest)
		s->largest = n;
	for (i = 0; i < n && s->nseen < SEEN_MAX; i++)
		s->seen[s->nseen++] = r[i];
	pthread_mutex_unlock(&s->mu);
	return ODS_OK;
}

static void
setup(void)
{
	memset(&sink, 0, sizeof(sink));
	pthread_mutex_init(&sink.mu, NULL);
}

static void
teardown(void)
{
	pthread_mutex_destroy(&sink.mu);
}

static struct ods_batch *
mk(size_t cap, size_t max_batch, int interval_ms, int retry_ms)
{
	struct ods_batch_conf	c;
	struct ods_batch	*b;

	memset(&c, 0, sizeof(c));
	c.name = "test";
	c.rec_size = sizeof(int);
	c.cap = cap;
	c.max_batch = max_batch;
	c.interval_ms = interval_ms;
	c.retry_ms = retry_ms;
	c.write = sink_write;
	c.arg = &sink;
	b = ods_batch_new(&c);
	ck_assert_ptr_nonnull(b);
	return b;
}

static void
put_range(struct ods_batch *b, int from, int to)
{
	int	i;

	for (i = from; i < to; i++)
		ck_assert_int_eq(ods_batch_put(b, &i), ODS_OK);
}

static size_t
nseen(void)
{
	size_t	n;

	pthread_mutex_lock(&sink.mu);
	n = sink.nseen;
	pthread_mutex_unlock(&sink.mu);
	return n;
}

/* ---- core ---- */

START_TEST(test_batch_writes_records_in_the_order_put)
{
	struct ods_batch	*b = mk(4096, 64, 0, 10);
	struct ods_batch_stats	 st;
	size_t			 i;

	put_range(b, 0, 3000);
	ck_assert_int_eq(ods_batch_flush(b, 10000), ODS_OK);
	ck_assert_uint_eq(nseen(), 3000);
	for (i = 0; i < 3000; i++)
		ck_assert_int_eq(sink.seen[i], (int)i);
	ods_batch_stats(b, &st);
	ck_assert_uint_eq(st.queued, 3000);
	ck_assert_uint_eq(st.written, 3000);
	ck_assert_uint_eq(st.dropped, 0);
	ck_assert_uint_eq(st.pending, 0);
	ods_batch_free(b, 1000);
}
END_TEST

START_TEST(test_batch_hands_over_at_most_max_batch_records)
{
	struct ods_batch	*b = mk(4096, 50, 100, 10);

	/* The first record starts a write; the rest wait for the interval. */
	put_range(b, 0, 1);
	sleep_ms(20);
	put_range(b, 1, 500);
	ck_assert_int_eq(ods_batch_flush(b, 10000), ODS_OK);
	ck_assert_uint_eq(nseen(), 500);
	ck_assert_uint_eq(sink.largest, 50);
	/* 1 + 499 records in full batches of 50 (the last one 49). */
	ck_assert_uint_eq(sink.nwrites, 11);
	ods_batch_free(b, 1000);
}
END_TEST

START_TEST(test_batch_writes_a_lone_record_without_waiting)
{
	struct ods_batch	*b = mk(64, 16, 5000, 10);
	int64_t			 t0 = now_ms();

	put_range(b, 0, 1);
	while (nseen() == 0 && now_ms() - t0 < 3000)
		sleep_ms(2);
	ck_assert_uint_eq(nseen(), 1);
	ck_assert_int_lt(now_ms() - t0, 1000);
	ods_batch_free(b, 1000);
}
END_TEST

START_TEST(test_batch_starts_at_most_one_write_per_interval_under_a_flood)
{
	struct ods_batch	*b = mk(100000, 10, 100, 10);
	int64_t			 t0 = now_ms();
	size_t			 i, writes;
	int			 v = 0;

	/* About 2000 records in 1 s: full batches all the time. */
	while (now_ms() - t0 < 1000) {
		ck_assert_int_eq(ods_batch_put(b, &v), ODS_OK);
		v++;
		if (v % 4 == 0)
			sleep_ms(2);
	}
	pthread_mutex_lock(&sink.mu);
	writes = sink.nwrites;
	for (i = 1; i < writes; i++)
		ck_assert_msg(sink.starts[i] - sink.starts[i - 1] >= 95,
		    "writes %zu and %zu started %lld ms apart", i - 1, i,
		    (long long)(sink.starts[i] - sink.starts[i - 1]));
	pthread_mutex_unlock(&sink.mu);
	/* 1 s at one write per 100 ms: 11 at most, and it kept going. */
	ck_assert_uint_le(writes, 12);
	ck_assert_uint_ge(writes, 5);
	ck_assert_uint_eq(sink.largest, 10);
	ods_batch_free(b, 0);
}
END_TEST

#define NTHREADS	8
#define PER_THREAD	5000

struct putter {
	pthread_t		 tid;
	struct ods_batch	*b;
	int			 id, ok;
};

static void *
putter(void *arg)
{
	struct putter	*p = arg;
	int		 i, v;

	for (i = 0; i < PER_THREAD; i++) {
		v = p->id * 1000000 + i;
		if (ods_batch_put(p->b, &v) == ODS_OK)
			p->ok++;
	}
	return NULL;
}

START_TEST(test_batch_takes_puts_from_many_threads)
{
	struct ods_batch	*b = mk(1024, 100, 0, 10);
	struct putter		 p[NTHREADS];
	struct ods_batch_stats	 st;
	int			 last[NTHREADS], i, ok = 0, t;
	size_t			 k;

	for (i = 0; i < NTHREADS; i++) {
		p[i].b = b;
		p[i].id = i;
		p[i].ok = 0;
		last[i] = -1;
		ck_assert_int_eq(pthread_create(&p[i].tid, NULL, putter, &p[i]),
		    0);
	}
	for (i = 0; i < NTHREADS; i++) {
		pthread_join(p[i].tid, NULL);
		ok += p[i].ok;
	}
	ck_assert_int_eq(ods_batch_flush(b, 10000), ODS_OK);
	ods_batch_stats(b, &st);
	ck_assert_uint_eq(st.queued + st.dropped, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(st.queued, (uint64_t)ok);
	ck_assert_uint_eq(st.written, (uint64_t)ok);
	ck_assert_uint_eq(nseen(), (size_t)ok);
	/* Each thread's records arrive once, in the order it put them. */
	for (k = 0; k < sink.nseen; k++) {
		t = sink.seen[k] / 1000000;
		ck_assert_int_lt(t, NTHREADS);
		ck_assert_int_gt(sink.seen[k] % 1000000, last[t]);
		last[t] = sink.seen[k] % 1000000;
	}
	ods_batch_free(b, 1000);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_batch_drops_and_counts_when_the_ring_is_full)
{
	struct ods_batch	*b;
	struct ods_batch_stats	 st;
	int			 i, ok = 0, full = 0;

	sink.fail_always = 1;
	b = mk(8, 4, 0, 20);
	for (i = 0; i < 20; i++) {
		if (ods_batch_put(b, &i) == ODS_OK)
			ok++;
		else
			full++;
	}
	ck_assert_int_eq(ok, 8);
	ck_assert_int_eq(full, 12);
	ods_batch_stats(b, &st);
	ck_assert_uint_eq(st.queued, 8);
	ck_assert_uint_eq(st.dropped, 12);
	ck_assert_uint_eq(st.pending, 8);
	ck_assert_uint_eq(st.written, 0);
	/* The store is back: the eight kept records arrive, in order. */
	pthread_mutex_lock(&sink.mu);
	sink.fail_always = 0;
	pthread_mutex_unlock(&sink.mu);
	ck_assert_int_eq(ods_batch_flush(b, 5000), ODS_OK);
	ck_assert_uint_eq(nseen(), 8);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(sink.seen[i], i);
	ods_batch_free(b, 1000);
}
END_TEST

START_TEST(test_batch_free_flushes_without_waiting_for_the_interval)
{
	struct ods_batch	*b = mk(1024, 10, 2000, 10);
	int64_t			 t0;

	put_range(b, 0, 1);
	while (nseen() == 0)
		sleep_ms(2);
	/* 99 records behind a 2 s interval: ten writes when hurried. */
	put_range(b, 1, 100);
	t0 = now_ms();
	ods_batch_free(b, 5000);
	ck_assert_int_lt(now_ms() - t0, 1500);
	ck_assert_uint_eq(nseen(), 100);
	ck_assert_int_eq(sink.seen[99], 99);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_batch_retries_a_failed_write_and_keeps_the_records)
{
	struct ods_batch	*b;
	struct ods_batch_stats	 st;
	size_t			 i;

	sink.fail_first = 3;
	b = mk(1024, 16, 0, 30);
	put_range(b, 0, 40);
	ck_assert_int_eq(ods_batch_flush(b, 10000), ODS_OK);
	ck_assert_uint_eq(nseen(), 40);
	for (i = 0; i < 40; i++)
		ck_assert_int_eq(sink.seen[i], (int)i);
	ods_batch_stats(b, &st);
	ck_assert_uint_eq(st.failures, 3);
	ck_assert_uint_eq(st.written, 40);
	ck_assert_uint_eq(st.pending, 0);
	ods_batch_free(b, 1000);
}
END_TEST

START_TEST(test_batch_pauses_retry_ms_after_a_failed_write)
{
	struct ods_batch	*b;
	int			 calls;

	sink.fail_always = 1;
	b = mk(64, 16, 0, 100);
	put_range(b, 0, 5);
	sleep_ms(550);
	pthread_mutex_lock(&sink.mu);
	calls = sink.calls;
	pthread_mutex_unlock(&sink.mu);
	/* 0, 100, ..., 500 ms: six tries at most, not a busy loop. */
	ck_assert_int_ge(calls, 2);
	ck_assert_int_le(calls, 7);
	ods_batch_free(b, 0);
}
END_TEST

START_TEST(test_batch_flush_gives_up_when_the_writer_keeps_failing)
{
	struct ods_batch	*b;
	struct ods_batch_stats	 st;
	int64_t			 t0;

	sink.fail_always = 1;
	b = mk(64, 16, 0, 20);
	put_range(b, 0, 5);
	t0 = now_ms();
	ck_assert_int_eq(ods_batch_flush(b, 300), ODS_ETIMEOUT);
	ck_assert_int_ge(now_ms() - t0, 290);
	ck_assert_int_lt(now_ms() - t0, 1500);
	ods_batch_stats(b, &st);
	ck_assert_uint_eq(st.pending, 5);
	ck_assert_uint_ge(st.failures, 2);
	t0 = now_ms();
	ods_batch_free(b, 200);
	ck_assert_int_lt(now_ms() - t0, 1500);
	ck_assert_uint_eq(nseen(), 0);
}
END_TEST

START_TEST(test_batch_new_refuses_a_bad_conf)
{
	struct ods_batch_conf	c;

	memset(&c, 0, sizeof(c));
	c.rec_size = 4;
	c.cap = 8;
	c.max_batch = 2;
	ck_assert_ptr_null(ods_batch_new(&c));		/* no write */
	c.write = sink_write;
	c.cap = 0;
	ck_assert_ptr_null(ods_batch_new(&c));
	c.cap = 8;
	c.interval_ms = -1;
	ck_assert_ptr_null(ods_batch_new(&c));
	ck_assert_ptr_null(ods_batch_new(NULL));
	ods_batch_free(NULL, 0);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_batch");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(core, 30);
	tcase_set_timeout(limits, 30);
	tcase_set_timeout(errors, 30);
	tcase_add_test(core, test_batch_writes_records_in_the_order_put);
	tcase_add_test(core, test_batch_hands_over_at_most_max_batch_records);
	tcase_add_test(core, test_batch_writes_a_lone_record_without_waiting);
	tcase_add_test(core,
	    test_batch_starts_at_most_one_write_per_interval_under_a_flood);
	tcase_add_test(core, test_batch_takes_puts_from_many_threads);
	tcase_add_test(limits,
	    test_batch_drops_and_counts_when_the_ring_is_full);
	tcase_add_test(limits,
	    test_batch_free_flushes_without_waiting_for_the_interval);
	tcase_add_test(errors,
	    test_batch_retries_a_failed_write_and_keeps_the_records);
	tcase_add_test(errors, test_batch_pauses_retry_ms_after_a_failed_write);
	tcase_add_test(errors,
	    test_batch_flush_gives_up_when_the_writer_keeps_failing);
	tcase_add_test(errors, test_batch_new_refuses_a_bad_conf);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = {
	.suite = suite,
};
