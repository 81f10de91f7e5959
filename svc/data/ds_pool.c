/*
 * svc/data/ds_pool.c — connection pools per data source, in one worker
 * process. One mutex guards the table; it is never held across I/O:
 * connecting is the caller's (after taking a slot), closing happens after
 * the lock is dropped. A source whose server hangs holds only its own
 * slots; the others go on. A reaper thread (started with the first use,
 * so after fork) closes connections idle for idle_s seconds.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "datasource.h"
#include "data_int.h"

struct idle {
	struct odsi_ds_conn	*c;
	int64_t			 since_ms;
	struct idle		*next;
};

struct entry {
	char		*key;
	char		*fp;
	unsigned	 open;		/* idle + in use */
	struct idle	*idle;		/* newest first */
	struct entry	*next;
};

struct odsi_ds_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a slot came back */
	struct entry	*entries;
	unsigned	 size;
	int		 idle_s;
	int		 reaper;	/* started */
	int		 stop;
	pthread_t	 thr;
};

struct odsi_ds_pool *
odsi_ds_pool_new(unsigned size, int idle_s)
{
	struct odsi_ds_pool	*p = ods_xcalloc(1, sizeof(*p));
	pthread_condattr_t	 ca;

	pthread_mutex_init(&p->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	p->size = size > 0 ? size : 1;
	p->idle_s = idle_s > 0 ? idle_s : 60;
	return p;
}

static void
close_list(struct idle *l)
{
	struct idle	*n;

	for (; l != NULL; l = n) {
		n = l->next;
		odsi_ds_close(l->c);
		free(l);
	}
}

void
odsi_ds_pool_free(struct odsi_ds_pool *p)
{
	struct entry	*e, *n;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	if (p->reaper)
		pthread_join(p->thr, NULL);
	for (e = p->entries; e != NULL; e = n) {
		n = e->next;
		close_list(e->idle);
		free(e->key);
		free(e->fp);
		free(e);
	}
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Move e's idle connections idle since before cut (all: INT64_MAX). */
static struct idle *
take_idle(struct entry *e, int64_t cut, struct idle *out)
{
	struct idle	**pp = &e->idle, *i;

	while ((i = *pp) != NULL)
		if (i->since_ms < cut) {
			*pp = i->next;
			i->next = out;
			out = i;
			e->open--;
		} else
			pp = &i->next;
	return out;
}

static void *
reaper(void *arg)
{
	struct odsi_ds_pool	*p = arg;
	struct timespec		 ts;
	struct idle		*dead;
	struct entry		*e;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		dead = NULL;
		for (e = p->entries; e != NULL; e = e->next)
			dead = take_idle(e, ods_now_ms() -
			    (int64_t)p->idle_s * 1000, dead);
		if (dead != NULL) {
			pthread_mutex_unlock(&p->mu);
			close_list(dead);
			pthread_mutex_lock(&p->mu);
		}
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static struct entry *
find(struct odsi_ds_pool *p, const char *key)
{
	struct entry	*e;

	for (e = p->entries; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			return e;
	e = ods_xcalloc(1, sizeof(*e));
	e->key = ods_xstrdup(key);
	e->fp = ods_xstrdup("");
	e->next = p->entries;
	p->entries = e;
	return e;
}

enum ods_err
odsi_ds_pool_get(struct odsi_ds_pool *p, const char *key, const char *fp,
    int wait_ms, struct odsi_ds_conn **c)
{
	struct entry	*e;
	struct idle	*dead = NULL, *i;
	struct timespec	 ts;
	enum ods_err	 er = ODS_OK;
	int64_t		 deadline = ods_now_ms() + wait_ms;

	*c = NULL;
	pthread_mutex_lock(&p->mu);
	if (!p->reaper && pthread_create(&p->thr, NULL, reaper, p) == 0)
		p->reaper = 1;
	e = find(p, key);
	for (;;) {
		if (strcmp(e->fp, fp) != 0) {
			/* The source changed: its idle ones go. */
			dead = take_idle(e, INT64_MAX, dead);
			free(e->fp);
			e->fp = ods_xstrdup(fp);
		}
		if ((i = e->idle) != NULL) {
			e->idle = i->next;
			*c = i->c;
			free(i);
			break;
		}
		if (e->open < p->size) {
			e->open++;
			break;
		}
		if (ods_now_ms() >= deadline || p->stop) {
			er = ODS_ETIMEOUT;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	close_list(dead);
	return er;
}

void
odsi_ds_pool_put(struct odsi_ds_pool *p, const char *key, const char *fp,
    struct odsi_ds_conn *c, int broken)
{
	struct entry	*e;
	struct idle	*i;

	pthread_mutex_lock(&p->mu);
	e = find(p, key);
	if (c == NULL || broken || strcmp(e->fp, fp) != 0) {
		e->open--;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		odsi_ds_close(c);
		return;
	}
	i = ods_xcalloc(1, sizeof(*i));
	i->c = c;
	i->since_ms = ods_now_ms();
	i->next = e->idle;
	e->idle = i;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

unsigned
odsi_ds_pool_open(struct odsi_ds_pool *p, const char *key)
{
	struct entry	*e;
	unsigned	 n = 0;

	pthread_mutex_lock(&p->mu);
	for (e = p->entries; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			n = e->open;
	pthread_mutex_unlock(&p->mu);
	return n;
}
