/*
 * lib/server/ods_budget.c — a worker's two thread budgets: short requests
 * and long ones.
 *
 * Every thread of a worker could accept, and every accepted request would
 * then run at once: at 64 requests in flight on 2 cores the scheduler
 * shares the CPU between all of them, and the unlucky ones make a tail of
 * 10-20 x the median (measured with the proxy's 160 threads per worker
 * that 256 open streams need; tests/bench/proxy/run.sh). With a bounded
 * number of accept slots, connections beyond them wait in the listening
 * socket's queue, first come first served, and the tail follows the
 * median.
 *
 * A request that will take long -- a stream, a call still waiting on an
 * upstream after some milliseconds -- must not keep a slot: it moves to
 * the long budget (the threads beyond the slots) and its slot goes to
 * another thread, which accepts the next connection. The long budget is
 * capped at threads - slots, so long requests can never take the threads
 * the short ones need; a request that finds the long budget full keeps
 * its slot (it is served, with one slot fewer for the others).
 *
 * A seat's state moves IDLE -> SHORT (accepted) -> IDLE (done, slot kept)
 * or SHORT -> LONG (slot given away) -> IDLE (done, no slot). The owner
 * thread ends a request with one compare-and-swap; the move to LONG
 * happens under the mutex, by the owner or by the sweep of another
 * thread, so whichever of the two comes first wins and a slot is given
 * back exactly once.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/ods_mem.h"
#include "server/ods_server_int.h"

struct odsi_budget {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 free;		/* accept slots no thread holds */
	int		 nlong;		/* requests in the long budget */
	int		 long_max;	/* threads - slots */
	int		 stopping;
};

struct odsi_budget *
odsi_budget_new(int threads, int slots)
{
	struct odsi_budget	*b;

	if (slots < 1 || slots > threads)
		slots = threads;
	b = ods_xcalloc(1, sizeof(*b));
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->free = slots;
	b->long_max = threads - slots;
	return b;
}

void
odsi_budget_free(struct odsi_budget *b)
{
	if (b == NULL)
		return;
	pthread_cond_destroy(&b->cv);
	pthread_mutex_destroy(&b->mu);
	free(b);
}

int
odsi_budget_split(const struct odsi_budget *b)
{
	return b->long_max > 0;
}

int
odsi_budget_enter(struct odsi_budget *b, struct odsi_seat *s)
{
	int	ok;

	if (s->held)
		return 1;
	pthread_mutex_lock(&b->mu);
	while (b->free == 0 && !b->stopping)
		pthread_cond_wait(&b->cv, &b->mu);
	ok = !b->stopping;
	if (ok) {
		b->free--;
		s->held = 1;
	}
	pthread_mutex_unlock(&b->mu);
	return ok;
}

void
odsi_budget_leave(struct odsi_budget *b, struct odsi_seat *s)
{
	if (!s->held)
		return;
	pthread_mutex_lock(&b->mu);
	b->free++;
	s->held = 0;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void
odsi_budget_begin(struct odsi_seat *s, int64_t now_ms)
{
	atomic_store(&s->since, now_ms);
	atomic_store(&s->state, ODSI_SEAT_SHORT);
}

/* The move to LONG; b->mu held. */
static int
to_long(struct odsi_budget *b, struct odsi_seat *s)
{
	int	expected = ODSI_SEAT_SHORT;

	if (b->nlong >= b->long_max ||
	    !atomic_compare_exchange_strong(&s->state, &expected,
	    ODSI_SEAT_LONG))
		return 0;
	b->nlong++;
	b->free++;
	pthread_cond_signal(&b->cv);
	return 1;
}

int
odsi_budget_long(struct odsi_budget *b, struct odsi_seat *s)
{
	int	moved;

	if (atomic_load(&s->state) == ODSI_SEAT_LONG)
		return 1;
	if (b->long_max == 0)
		return 0;
	pthread_mutex_lock(&b->mu);
	moved = to_long(b, s);
	pthread_mutex_unlock(&b->mu);
	return moved;
}

void
odsi_budget_end(struct odsi_budget *b, struct odsi_seat *s)
{
	int	expected = ODSI_SEAT_SHORT;

	/* Still short: done, and the slot is this thread's again. */
	if (atomic_compare_exchange_strong(&s->state, &expected,
	    ODSI_SEAT_IDLE))
		return;
	pthread_mutex_lock(&b->mu);
	b->nlong--;
	atomic_store(&s->state, ODSI_SEAT_IDLE);
	s->held = 0;
	pthread_mutex_unlock(&b->mu);
}

int
odsi_budget_sweep(struct odsi_budget *b, struct odsi_seat *seats, int n,
    int64_t now_ms, int after_ms)
{
	int	i, moved = 0;

	if (b->long_max == 0 || after_ms <= 0)
		return 0;
	for (i = 0; i < n; i++) {
		if (atomic_load(&seats[i].state) != ODSI_SEAT_SHORT ||
		    now_ms - atomic_load(&seats[i].since) < after_ms)
			continue;
		pthread_mutex_lock(&b->mu);
		moved += to_long(b, &seats[i]);
		pthread_mutex_unlock(&b->mu);
	}
	return moved;
}

void
odsi_budget_stop(struct odsi_budget *b)
{
	pthread_mutex_lock(&b->mu);
	b->stopping = 1;
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

void
odsi_budget_counts(struct odsi_budget *b, int *free_slots, int *nlong)
{
	pthread_mutex_lock(&b->mu);
	*free_slots = b->free;
	*nlong = b->nlong;
	pthread_mutex_unlock(&b->mu);
}
