/*
 * svc/agent/wf_run.h — the state of one workflow run, shared by the
 * scheduler and its pool (wf_run.c) and the run's rows and events
 * (wf_store.c). Only the engine's files include it.
 */
#ifndef SVC_WF_RUN_H
#define SVC_WF_RUN_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_buf;
struct ods_db;
struct ods_wf_def;
struct ods_wf_env;
struct ods_wf_outcome;

enum nst { N_WAIT = 0, N_QUEUED, N_RUNNING, N_DONE, N_ERROR, N_SKIPPED };

struct nstate {
	enum nst	 st;
	char		*output;	/* JSON object text (done, error) */
	size_t		 outlen;
	char		*error;
	int		 attempts;
	int64_t		 duration_ms;
	int		 cond;		/* a condition's result, -1 none */
	char		*branch;	/* a switch's */
	int		 recorded;	/* read from workflow_node_runs */
	int		 aborted;	/* stopped mid-way: not recorded */
	size_t		 waiting;	/* predecessors not ended */
	char		 started[64], completed[64];
};

struct logrow {
	long		 node;		/* -1: the run's own */
	const char	*level;
	char		*msg;
	const char	*event;
	int		 attempt;
	int64_t		 dur;		/* -1: NULL */
	int64_t		 bytes;		/* -1: NULL */
};

struct wf_run {
	const struct ods_wf_env	*env;
	struct ods_wf_def	*def;
	char			 exec[65];
	char			 owner[129];
	char			*inputs;
	struct nstate		*ns;
	pthread_mutex_t		 mu;
	pthread_cond_t		 work, done;
	size_t			*queue, qh, qt;		/* ring of nnodes */
	size_t			*fin, nfin;		/* ended, to handle */
	size_t			 running;
	int			 quit;
	volatile int		 stop;
	pthread_t		*th;
	int			 nth;
	struct logrow		*logs;
	size_t			 nlogs, caplogs;
	size_t			*nrows, nnrows;		/* outcomes to write */
	char			 evkey[96];
	int64_t			 last_flush;
	size_t			 ended;			/* nodes ended */
};

/* ---- wf_store.c: rows and events ---- */

/* UTC "YYYY-MM-DD hh:mm:ss.mmm" (the sessions' time zone is UTC). */
void		 odsi_wf_now_text(char *, size_t);
/* Run events (type status/end) and node events, best effort. */
void		 odsi_wf_ev_status(struct wf_run *, const char *type,
		    const char *status, const char *error, int64_t dur);
void		 odsi_wf_ev_node(struct wf_run *, const char *type, size_t i,
		    const char *status, const char *error, int attempt,
		    int64_t dur, int64_t bytes);
/* Queue a row of execution_logs (node -1: the run's); lock held. */
void		 odsi_wf_log_row(struct wf_run *, long node, const char *level,
		    const char *event, int attempt, int64_t dur, int64_t bytes,
		    const char *fmt, ...) __attribute__((format(printf, 8, 9)));
/* Write the buffered rows (logs, outcomes, progress). */
void		 odsi_wf_flush(struct wf_run *);
/* {"status":"error","error":...}: what a failed node's dependents see. */
char		*odsi_wf_error_output(const char *error, size_t *len);

/* The execution row. */
struct wf_row {
	char	*workflow_id, *status, *definition, *inputs, *created_by;
	int64_t	 timeout_s;
	int64_t	 elapsed_ms;	/* since started_at (0: not started) */
};
enum ods_err	 odsi_wf_load_row(struct ods_db *, const char *exec,
		    struct wf_row *) ODS_MUSTCHECK;
void		 odsi_wf_row_fini(struct wf_row *);
/* running, the attempt; *ours 0 when the row is no longer ours. */
enum ods_err	 odsi_wf_mark_running(struct wf_run *, int *ours)
		    ODS_MUSTCHECK;
/* The outcomes recorded by earlier attempts (those nodes have ended). */
enum ods_err	 odsi_wf_load_recorded(struct wf_run *) ODS_MUSTCHECK;
/* A recorded condition's or switch's choice, from its output. */
void		 odsi_wf_recorded_choice(struct wf_run *, size_t i);
/* The run's end, conditional on it still being ours; o updated. */
void		 odsi_wf_finish(struct wf_run *, struct ods_wf_outcome *o);
/* A definition that cannot run: the row alone fails. */
enum ods_err	 odsi_wf_fail_row(struct ods_db *, const char *exec,
		    struct ods_wf_outcome *o) ODS_MUSTCHECK;

#endif /* SVC_WF_RUN_H */
