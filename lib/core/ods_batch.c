/*
 * lib/core/ods_batch.c — the write-behind batch writer.
 *
 * One mutex guards the ring. The writer copies up to max_batch records
 * from the head into a buffer of its own, writes them without the lock
 * and only then removes them from the ring: a failed write loses nothing,
 * and puts (which only ever fill slots past the in-flight ones) never
 * wait for the store. Times are CLOCK_MONOTONIC milliseconds, and both
 * condition variables wait on that clock.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_batch.h"
#include "core/ods_time.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"

struct ods_batch {
	struct ods_batch_conf	 c;
	pthread_mutex_t		 mu;
	pthread_cond_t		 wake;		/* the writer waits here */
	pthread_cond_t		 done;		/* flushers, after each write */
	unsigned char		*ring;		/* cap records */
	unsigned char		*buf;		/* max_batch, the writer's */
	size_t			 head, n;
	int64_t			 next_at;	/* interval: no start before */
	int64_t			 retry_at;	/* failure: no start before */
	unsigned		 hurry;		/* flushers waiting */
	unsigned		 failing;	/* failed writes in a row */
	int			 stop;
	struct ods_batch_stats	 st;
	pthread_t		 tid;
};

/* Wait on cv until at_ms (monotonic) at most; the caller rechecks. */
static void
wait_until(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t at_ms)
{
	struct timespec	ts;

	ts.tv_sec = (time_t)(at_ms / 1000);
	ts.tv_nsec = (long)(at_ms % 1000) * 1000000L;
	(void)pthread_cond_timedwait(cv, mu, &ts);
}

/* When the next write may start. Under the lock. */
static int64_t
start_at(const struct ods_batch *b)
{
	if (b->hurry > 0 || b->next_at < b->retry_at)
		return b->retry_at;
	return b->next_at;
}

/* Copy up to max_batch records from the head (the ring may wrap). */
static size_t
take(struct ods_batch *b)
{
	size_t	k = b->n < b->c.max_batch ? b->n : b->c.max_batch;
	size_t	first = b->c.cap - b->head, sz = b->c.rec_size;

	if (first > k)
		first = k;
	memcpy(b->buf, b->ring + b->head * sz, first * sz);
	memcpy(b->buf + first * sz, b->ring, (k - first) * sz);
	return k;
}

/* After a write of k records that started at t0. Under the lock. */
static void
settle(struct ods_batch *b, size_t k, enum ods_err er, int64_t t0)
{
	if (er == ODS_OK) {
		b->head = (b->head + k) % b->c.cap;
		b->n -= k;
		b->st.written += k;
		b->next_at = t0 + b->c.interval_ms;
		if (b->failing > 0)
			ods_log(ODS_LOG_INFO, "batch_write_recovered queue=%s "
			    "failed_writes=%u", b->c.name, b->failing);
		b->failing = 0;
	} else {
		b->st.failures++;
		b->retry_at = ods_now_ms() + b->c.retry_ms;
		/* 1, 2, 4, 8...: an outage does not flood the log. */
		b->failing++;
		if ((b->failing & (b->failing - 1)) == 0)
			ods_log(ODS_LOG_WARN, "batch_write_failed queue=%s "
			    "rows=%zu pending=%zu failed_writes=%u err=%s",
			    b->c.name, k, b->n, b->failing, ods_strerror(er));
	}
	pthread_cond_broadcast(&b->done);
}

static void *
writer(void *arg)
{
	struct ods_batch	*b = arg;
	enum ods_err		 er;
	int64_t			 t0;
	size_t			 k;

	pthread_mutex_lock(&b->mu);
	while (!b->stop) {
		if (b->n == 0) {
			pthread_cond_wait(&b->wake, &b->mu);
			continue;
		}
		if ((t0 = ods_now_ms()) < start_at(b)) {
			wait_until(&b->wake, &b->mu, start_at(b));
			continue;
		}
		k = take(b);
		pthread_mutex_unlock(&b->mu);
		er = b->c.write(b->c.arg, b->buf, k);
		pthread_mutex_lock(&b->mu);
		settle(b, k, er, t0);
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

static int
conf_ok(const struct ods_batch_conf *c)
{
	return c != NULL && c->rec_size > 0 && c->cap > 0 &&
	    c->max_batch > 0 && c->interval_ms >= 0 && c->retry_ms >= 0 &&
	    c->write != NULL;
}

struct ods_batch *
ods_batch_new(const struct ods_batch_conf *c)
{
	struct ods_batch	*b;
	pthread_condattr_t	 ca;

	if (!conf_ok(c)) {
		ods_log(ODS_LOG_ERR, "batch_bad_conf queue=%s",
		    c != NULL && c->name != NULL ? c->name : "-");
		return NULL;
	}
	b = ods_xcalloc(1, sizeof(*b));
	b->c = *c;
	if (b->c.name == NULL)
		b->c.name = "-";
	if (b->c.max_batch > b->c.cap)
		b->c.max_batch = b->c.cap;
	b->ring = ods_xcalloc(b->c.cap, b->c.rec_size);
	b->buf = ods_xcalloc(b->c.max_batch, b->c.rec_size);
	pthread_mutex_init(&b->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&b->wake, &ca);
	pthread_cond_init(&b->done, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&b->tid, NULL, writer, b) != 0) {
		ods_log(ODS_LOG_ERR, "batch_writer_start_failed queue=%s",
		    b->c.name);
		pthread_cond_destroy(&b->wake);
		pthread_cond_destroy(&b->done);
		pthread_mutex_destroy(&b->mu);
		free(b->ring);
		free(b->buf);
		free(b);
		return NULL;
	}
	return b;
}

enum ods_err
ods_batch_put(struct ods_batch *b, const void *rec)
{
	size_t	slot;

	pthread_mutex_lock(&b->mu);
	if (b->stop || b->n == b->c.cap) {
		b->st.dropped++;
		pthread_mutex_unlock(&b->mu);
		return ODS_ELIMIT;
	}
	slot = (b->head + b->n) % b->c.cap;
	memcpy(b->ring + slot * b->c.rec_size, rec, b->c.rec_size);
	b->st.queued++;
	/* With records waiting the writer has its own deadline. */
	if (b->n++ == 0)
		pthread_cond_signal(&b->wake);
	pthread_mutex_unlock(&b->mu);
	return ODS_OK;
}

enum ods_err
ods_batch_flush(struct ods_batch *b, int timeout_ms)
{
	int64_t		until = ods_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	uint64_t	target;
	enum ods_err	er;

	pthread_mutex_lock(&b->mu);
	/* The ring is FIFO: these are written once the count reaches it. */
	target = b->st.queued;
	b->hurry++;
	pthread_cond_signal(&b->wake);
	while (b->st.written < target && !b->stop && ods_now_ms() < until)
		wait_until(&b->done, &b->mu, until);
	b->hurry--;
	er = b->st.written >= target ? ODS_OK : ODS_ETIMEOUT;
	pthread_mutex_unlock(&b->mu);
	return er;
}

void
ods_batch_stats(struct ods_batch *b, struct ods_batch_stats *out)
{
	pthread_mutex_lock(&b->mu);
	*out = b->st;
	out->pending = b->n;
	pthread_mutex_unlock(&b->mu);
}

void
ods_batch_free(struct ods_batch *b, int timeout_ms)
{
	if (b == NULL)
		return;
	(void)ods_batch_flush(b, timeout_ms);
	pthread_mutex_lock(&b->mu);
	b->stop = 1;
	pthread_cond_signal(&b->wake);
	pthread_cond_broadcast(&b->done);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->tid, NULL);
	if (b->n > 0)
		ods_log(ODS_LOG_WARN, "batch_records_lost queue=%s count=%zu",
		    b->c.name, b->n);
	pthread_cond_destroy(&b->wake);
	pthread_cond_destroy(&b->done);
	pthread_mutex_destroy(&b->mu);
	free(b->ring);
	free(b->buf);
	free(b);
}
