/*
 * tests/check_ods_budget.c — a worker's accept slots and its long budget
 * (lib/server/ods_budget.c): who may accept, when a request gives its slot
 * away, the cap on long requests, and stopping.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <time.h>

#include "server/ods_server_int.h"
#include "ods_check.h"

START_TEST(test_budget_unsplit_lets_every_thread_accept)
{
	struct odsi_budget	*b = odsi_budget_new(4, 4);
	struct odsi_seat	 s[4] = { 0 };
	int			 i;

	ck_assert_int_eq(odsi_budget_split(b), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(odsi_budget_enter(b, &s[i]), 1);
	odsi_budget_begin(&s[0], 0);
	ck_assert_int_eq(odsi_budget_long(b, &s[0]), 0);
	ck_assert_int_eq(odsi_budget_sweep(b, s, 4, 100000, 50), 0);
	odsi_budget_end(b, &s[0]);
	ck_assert_int_eq(s[0].held, 1);
	odsi_budget_free(b);
}
END_TEST

START_TEST(test_budget_long_request_gives_its_slot_away)
{
	struct odsi_budget	*b = odsi_budget_new(3, 1);
	struct odsi_seat	 a = { 0 }, c = { 0 };
	int			 nfree, nlong;

	ck_assert_int_eq(odsi_budget_split(b), 1);
	ck_assert_int_eq(odsi_budget_enter(b, &a), 1);
	odsi_budget_begin(&a, 0);
	ck_assert_int_eq(odsi_budget_long(b, &a), 1);
	ck_assert_int_eq(odsi_budget_long(b, &a), 1);	/* once */
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 1);
	ck_assert_int_eq(nlong, 1);
	/* Another thread takes the slot at once. */
	ck_assert_int_eq(odsi_budget_enter(b, &c), 1);
	odsi_budget_end(b, &a);
	ck_assert_int_eq(a.held, 0);
	ck_assert_int_eq(atomic_load(&a.state), ODSI_SEAT_IDLE);
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 0);
	ck_assert_int_eq(nlong, 0);
	odsi_budget_free(b);
}
END_TEST

START_TEST(test_budget_short_request_keeps_its_slot)
{
	struct odsi_budget	*b = odsi_budget_new(8, 2);
	struct odsi_seat	 a = { 0 };
	int			 nfree, nlong;

	ck_assert_int_eq(odsi_budget_enter(b, &a), 1);
	odsi_budget_begin(&a, 0);
	odsi_budget_end(b, &a);
	ck_assert_int_eq(a.held, 1);
	ck_assert_int_eq(odsi_budget_enter(b, &a), 1);	/* no new slot */
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 1);
	odsi_budget_leave(b, &a);
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 2);
	odsi_budget_free(b);
}
END_TEST

START_TEST(test_budget_sweep_moves_only_old_requests)
{
	struct odsi_budget	*b = odsi_budget_new(4, 2);
	struct odsi_seat	 s[4] = { 0 };
	int			 nfree, nlong;

	ck_assert_int_eq(odsi_budget_enter(b, &s[0]), 1);
	ck_assert_int_eq(odsi_budget_enter(b, &s[1]), 1);
	odsi_budget_begin(&s[0], 1000);
	odsi_budget_begin(&s[1], 1090);
	ck_assert_int_eq(odsi_budget_sweep(b, s, 4, 1100, 50), 1);
	ck_assert_int_eq(atomic_load(&s[0].state), ODSI_SEAT_LONG);
	ck_assert_int_eq(atomic_load(&s[1].state), ODSI_SEAT_SHORT);
	/* Moved once: a second sweep finds nothing new. */
	ck_assert_int_eq(odsi_budget_sweep(b, s, 4, 1100, 50), 0);
	/* 0 ms: only asked moves. */
	ck_assert_int_eq(odsi_budget_sweep(b, s, 4, 9999, 0), 0);
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 1);
	ck_assert_int_eq(nlong, 1);
	odsi_budget_end(b, &s[0]);
	odsi_budget_end(b, &s[1]);
	ck_assert_int_eq(s[0].held, 0);
	ck_assert_int_eq(s[1].held, 1);
	odsi_budget_free(b);
}
END_TEST

START_TEST(test_budget_long_requests_never_take_the_short_threads)
{
	struct odsi_budget	*b = odsi_budget_new(3, 2);
	struct odsi_seat	 s[3] = { 0 };
	int			 nfree, nlong;

	/* threads - slots = 1 long request at most. */
	ck_assert_int_eq(odsi_budget_enter(b, &s[0]), 1);
	ck_assert_int_eq(odsi_budget_enter(b, &s[1]), 1);
	odsi_budget_begin(&s[0], 0);
	odsi_budget_begin(&s[1], 0);
	ck_assert_int_eq(odsi_budget_long(b, &s[0]), 1);
	ck_assert_int_eq(odsi_budget_long(b, &s[1]), 0);
	ck_assert_int_eq(odsi_budget_sweep(b, s, 3, 100000, 1), 0);
	ck_assert_int_eq(atomic_load(&s[1].state), ODSI_SEAT_SHORT);
	ck_assert_int_eq(odsi_budget_enter(b, &s[2]), 1);
	odsi_budget_counts(b, &nfree, &nlong);
	ck_assert_int_eq(nfree, 0);
	ck_assert_int_eq(nlong, 1);
	odsi_budget_free(b);
}
END_TEST

struct waiter {
	struct odsi_budget	*b;
	struct odsi_seat	 seat;
	int			 got;
};

static void *
wait_main(void *arg)
{
	struct waiter	*w = arg;

	w->got = odsi_budget_enter(w->b, &w->seat);
	return NULL;
}

static void
sleep_ms(long ms)
{
	struct timespec	ts = { 0, ms * 1000000L };

	nanosleep(&ts, NULL);
}

START_TEST(test_budget_waiter_gets_a_slot_given_away)
{
	struct odsi_budget	*b = odsi_budget_new(2, 1);
	struct odsi_seat	 a = { 0 };
	struct waiter		 w = { b, { 0 }, -1 };
	pthread_t		 tid;

	ck_assert_int_eq(odsi_budget_enter(b, &a), 1);
	ck_assert_int_eq(pthread_create(&tid, NULL, wait_main, &w), 0);
	sleep_ms(50);
	ck_assert_int_eq(w.got, -1);	/* still waiting */
	odsi_budget_begin(&a, 0);
	ck_assert_int_eq(odsi_budget_long(b, &a), 1);
	pthread_join(tid, NULL);
	ck_assert_int_eq(w.got, 1);
	ck_assert_int_eq(w.seat.held, 1);
	odsi_budget_free(b);
}
END_TEST

START_TEST(test_budget_stop_wakes_waiters)
{
	struct odsi_budget	*b = odsi_budget_new(2, 1);
	struct odsi_seat	 a = { 0 };
	struct waiter		 w = { b, { 0 }, -1 };
	pthread_t		 tid;

	ck_assert_int_eq(odsi_budget_enter(b, &a), 1);
	ck_assert_int_eq(pthread_create(&tid, NULL, wait_main, &w), 0);
	sleep_ms(50);
	odsi_budget_stop(b);
	pthread_join(tid, NULL);
	ck_assert_int_eq(w.got, 0);
	ck_assert_int_eq(w.seat.held, 0);
	odsi_budget_free(b);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_budget");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_budget_unsplit_lets_every_thread_accept);
	tcase_add_test(core, test_budget_long_request_gives_its_slot_away);
	tcase_add_test(core, test_budget_short_request_keeps_its_slot);
	tcase_add_test(core, test_budget_sweep_moves_only_old_requests);
	tcase_add_test(limits,
	    test_budget_long_requests_never_take_the_short_threads);
	tcase_add_test(limits, test_budget_waiter_gets_a_slot_given_away);
	tcase_add_test(errors, test_budget_stop_wakes_waiters);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
