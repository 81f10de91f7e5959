/*
 * lib/core/ods_batch.h — the one write-behind batch writer (audit rows,
 * usage rows): callers put fixed-size records into a bounded ring and
 * never wait for the store; one thread hands the records, in the order
 * they were put, to a write callback in batches.
 *
 * - At most one write starts per interval_ms: a flood costs the store one
 *   batch of max_batch records per interval, whatever the rate, and a full
 *   batch does not start a write earlier. Only a flush or the final stop
 *   hurry the writer past the interval.
 * - Records leave the ring only when write returned ODS_OK. A failed write
 *   keeps them and they are offered again after retry_ms: nothing queued is
 *   lost while the writer runs (a record no write can ever take holds the
 *   ring, so the callback must give such records up itself, logged, and
 *   return ODS_OK).
 * - put never blocks on the writer: when the ring is full the new record
 *   is dropped, counted, and put says so (the caller counts it in a metric).
 *
 * The core layer knows no database and no metrics: the owner brings both.
 * Thread-safe; one ods_batch per queue, created in the process that uses
 * it (after fork: the writer is a thread).
 */
#ifndef ODS_BATCH_H
#define ODS_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_batch;

struct ods_batch_conf {
	const char	*name;		/* in log lines ("audit"); kept */
	size_t		 rec_size;	/* bytes of a record, copied by put */
	size_t		 cap;		/* records the ring holds */
	size_t		 max_batch;	/* records per write, at most */
	int		 interval_ms;	/* between the starts of two writes */
	int		 retry_ms;	/* after a failed write, at least */
	/*
	 * Write n (1 .. max_batch) records, contiguous and in the order put;
	 * called on the writer thread only, without a lock held. ODS_OK:
	 * they are done with and leave the ring; anything else: they stay
	 * and are offered again (with any that arrived since) after retry_ms.
	 */
	enum ods_err	(*write)(void *arg, const void *recs, size_t n);
	void		*arg;
};

struct ods_batch_stats {
	uint64_t	queued;		/* records put */
	uint64_t	dropped;	/* records refused by put */
	uint64_t	written;	/* records a write took */
	uint64_t	failures;	/* writes that failed */
	size_t		pending;	/* records in the ring now */
};

/*
 * A ring and its writer thread; the conf is copied (name is kept). Returns
 * NULL (logged) for a zero size, cap or max_batch, a negative interval,
 * no write callback, or when the thread cannot start.
 * Owner: caller; ods_batch_free.
 */
struct ods_batch *ods_batch_new(const struct ods_batch_conf *);

/*
 * Copy rec (rec_size bytes) to the end of the ring. Never waits for a
 * write. Returns ODS_OK (queued) or ODS_ELIMIT: the ring is full or the
 * batch is stopping, and the record was dropped and counted.
 */
enum ods_err	 ods_batch_put(struct ods_batch *, const void *rec)
		    ODS_MUSTCHECK;

/*
 * Wait until every record put before the call was written, at most
 * timeout_ms; the writer skips its interval meanwhile (a failed write
 * still pauses retry_ms). For a drain and for tests. Returns ODS_OK or
 * ODS_ETIMEOUT (records remain; they stay queued).
 */
enum ods_err	 ods_batch_flush(struct ods_batch *, int timeout_ms);

/* Counters since ods_batch_new. */
void		 ods_batch_stats(struct ods_batch *, struct ods_batch_stats *);

/*
 * Flush for at most timeout_ms, then stop the writer (a write in flight
 * finishes first) and free everything; records still queued are lost and
 * logged with their count. NULL is a no-op.
 */
void		 ods_batch_free(struct ods_batch *, int timeout_ms);

#endif /* ODS_BATCH_H */
