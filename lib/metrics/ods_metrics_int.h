/*
 * lib/metrics/ods_metrics_int.h — layout of the shared mapping, for the
 * ods_metrics*.c files only.
 *
 * The mapping holds, in order: a header; one struct shm_slot per slot
 * (the worker slots, then the retired slot); per family a header, the
 * entry words (state of each series) and the entries (label values);
 * then the value cells, slot after slot, so that two workers never write
 * the same cache line.
 */
#ifndef ODS_METRICS_INT_H
#define ODS_METRICS_INT_H

#include <stdint.h>

#include "metrics/ods_metrics.h"

#define ODS_M_LINE	64

/* Entry word: state in bits 0-7, owner slot + 1 in 8-31, hash in 32-63. */
#define ODS_M_EMPTY	0u
#define ODS_M_BUSY	1u	/* claimed, label values being written */
#define ODS_M_READY	2u	/* immutable from now on */
#define ODS_M_DEAD	3u	/* claimer died before READY; skipped */
#define ODS_M_STATE(w)	((unsigned)((w) & 0xff))
#define ODS_M_OWNER(w)	((unsigned)(((w) >> 8) & 0xffffff))

struct shm_head {
	uint64_t	magic;
	uint32_t	nslots;
	uint32_t	nfam;
	uint64_t	seq;		/* odd while the master folds a slot */
	char		pad[ODS_M_LINE - 24];
};

struct shm_slot {
	int32_t		pid;
	uint32_t	live;		/* bound and not yet retired */
	int64_t		active;		/* requests in flight */
	char		pad[ODS_M_LINE - 16];
};

struct shm_famhead {
	uint32_t	nused;		/* entries claimed */
	uint32_t	overflowed;	/* the overflow series was used */
	char		pad[ODS_M_LINE - 8];
};

struct shm_entry {
	uint16_t	len;		/* bytes of vals, NULs included */
	char		vals[ODS_METRICS_VALUES_MAX];
};

/* One family, in the private memory of each process (same after fork). */
struct ods_m_fam {
	char		*name;
	char		*help;
	enum ods_metrics_type type;
	enum ods_metrics_gauge_mode mode;
	unsigned	 nlabels;
	char		*labels[ODS_METRICS_LABELS_MAX];
	double		 bounds[ODS_METRICS_BUCKETS_MAX];
	char		 le[ODS_METRICS_BUCKETS_MAX][32];
	unsigned	 nbuckets;
	unsigned	 limit;		/* series before the overflow one */
	unsigned	 cap;		/* table size, a power of two > limit */
	unsigned	 ncells;	/* 8-byte cells per series */
	size_t		 head_off;	/* struct shm_famhead */
	size_t		 words_off;	/* uint64_t[cap] */
	size_t		 ents_off;	/* struct shm_entry[cap] */
	size_t		 val_off;	/* within a slot's value area */
	int		 logged;	/* "series full" logged by this process */
};

struct ods_metrics {
	char		*service;
	unsigned	 nslots;	/* workers; slot nslots is retired */
	unsigned	 nfam;
	struct ods_m_fam *fam;
	unsigned char	*base;
	size_t		 size;
	size_t		 slots_off;	/* struct shm_slot[nslots + 1] */
	size_t		 vals_off;	/* first slot's value area */
	size_t		 slot_stride;	/* bytes of one slot's value area */
	int		 listen_fd;
};

/* An encoded label set: the values with a NUL after each, and its hash. */
struct ods_m_key {
	uint64_t	hash;
	size_t		len;
	char		buf[ODS_METRICS_VALUES_MAX];
};

extern struct ods_metrics *ods_m_cur;	/* bound registry of this process */
extern unsigned		   ods_m_slot;	/* its slot */

/* Histogram cells: nbuckets + 1 counts (last is +Inf), then the sum. */
static inline uint64_t *
odsi_m_cells(const struct ods_metrics *m, const struct ods_m_fam *f,
    unsigned slot, uint32_t sid)
{
	return (uint64_t *)(void *)(m->base + m->vals_off +
	    (size_t)slot * m->slot_stride + f->val_off +
	    (size_t)sid * f->ncells * sizeof(uint64_t));
}

static inline struct shm_slot *
odsi_m_slotp(const struct ods_metrics *m, unsigned slot)
{
	return (struct shm_slot *)(void *)(m->base + m->slots_off) + slot;
}

static inline uint64_t *
odsi_m_words(const struct ods_metrics *m, const struct ods_m_fam *f)
{
	return (uint64_t *)(void *)(m->base + f->words_off);
}

static inline struct shm_entry *
odsi_m_ents(const struct ods_metrics *m, const struct ods_m_fam *f)
{
	return (struct shm_entry *)(void *)(m->base + f->ents_off);
}

static inline struct shm_famhead *
odsi_m_fhead(const struct ods_metrics *m, const struct ods_m_fam *f)
{
	return (struct shm_famhead *)(void *)(m->base + f->head_off);
}

enum ods_m_op {
	ODS_M_ADD,		/* counter, or LIVESUM gauge */
	ODS_M_SET,		/* gauge */
	ODS_M_OBSERVE		/* histogram */
};

/* ods_metrics.c */
int		 odsi_m_allowed(const struct ods_metrics *, unsigned fam,
		    enum ods_m_op, double);
/* Series of key (overflow series when ker != ODS_OK or the table is full). */
uint32_t	 odsi_m_sid(struct ods_metrics *, unsigned fam,
		    const struct ods_m_key *, enum ods_err ker, enum ods_err *);
void		 odsi_m_apply(struct ods_metrics *, unsigned slot, unsigned fam,
		    enum ods_m_op, uint32_t sid, double);
/* Checked update of the series lv in slot; see ods_metrics_counter_add. */
enum ods_err	 odsi_m_update(struct ods_metrics *, unsigned slot,
		    unsigned fam, enum ods_m_op, const char *const *lv, double);
enum ods_err	 odsi_m_key_make(struct ods_m_key *, unsigned nvals,
		    const char *const *vals);
enum ods_err	 odsi_m_lookup(struct ods_metrics *, unsigned fam,
		    const struct ods_m_key *, uint32_t *sid);
void		 odsi_m_dadd(uint64_t *, double);
double		 odsi_m_dload(const uint64_t *);
void		 odsi_m_dstore(uint64_t *, double);

/* ods_metrics_std.c */
extern const struct ods_metrics_def ods_m_std[ODS_M__STD];
void		 odsi_m_listen_measure(struct ods_metrics *);

#endif /* ODS_METRICS_INT_H */
