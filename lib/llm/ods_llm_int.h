/* lib/llm/ods_llm_int.h — shared by the lib/ods_llm*.c files only. */
#ifndef ODS_LLM_INT_H
#define ODS_LLM_INT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "llm/ods_llm.h"

#define LLM_CAP_CHAT	0x1
#define LLM_CAP_EMBED	0x2

struct llm_backend {
	char			 name[16];	/* "vllm", "ollama", ... */
	char			*base;		/* ".../v1", no trailing / */
	char			*shown;		/* no user:pass@ */
	char			*auth;		/* "Authorization: ..." or NULL */
	int			 caps;
	pthread_mutex_t		 mu;
	pthread_cond_t		 listed;	/* the first list came */
	/* circuit breaker */
	enum ods_llm_breaker	 state;
	int			 fails;		/* consecutive */
	double			 open_until;
	int			 probing;	/* half-open probe in flight */
	/* model list */
	char			**models;
	size_t			 nmodels;
	double			 fetched_at;	/* 0: never */
	int			 models_ok;
	int			 fetching;
	double			 latency_ms;
};

struct llm_alias {
	char	*from;
	char	*to;
};

struct ods_llm {
	struct llm_backend	 b[ODS_LLM_MAX_BACKENDS];
	size_t			 nb;
	struct llm_alias	*aliases;
	size_t			 naliases;
	char			*mode;
	char			*default_chat;
	char			*default_embed;
	int			 connect_ms;
	int			 first_byte_ms;
	int			 total_ms;	/* all but streams */
	int			 stream_total_ms; /* a stream, start to end */
	int			 guard_ms;	/* below the worker's deadline */
	int			 retries;
	int			 breaker_failures;
	int			 cooldown_ms;
	int			 models_ttl_s;
	int			 insecure;
	int64_t			 max_tokens_cap;
	int64_t			 max_n;
	int64_t			 estimate_tokens;
};

/* ---- SSE (ods_llm_sse.c; the unit tests use it too) ---- */

/*
 * Splits a byte stream into events: an event ends at an empty line (LF or
 * CRLF endings, mixed too). Bytes are kept only until their event is
 * complete; an event longer than max is ODS_ETOOBIG.
 */
struct ods_sse {
	struct ods_buf	buf;
	size_t		scan;		/* bytes of buf already looked at */
	size_t		line;		/* start of the current line */
};

void		 odsi_sse_init(struct ods_sse *, size_t max);
void		 odsi_sse_fini(struct ods_sse *);
/*
 * Feed bytes; cb(arg, event, len) runs for every completed event, with
 * its terminator. Returns ODS_OK, ODS_ETOOBIG, or ODS_EIO when cb
 * returned non-zero (the rest is not looked at).
 */
enum ods_err	 odsi_sse_feed(struct ods_sse *, const char *, size_t,
		    int (*cb)(void *, const char *, size_t), void *arg)
		    ODS_MUSTCHECK;
size_t		 odsi_sse_pending(const struct ods_sse *);
/*
 * The value of the event's "data:" lines, joined by LF, written to out
 * (NUL-terminated, cap bytes). Returns its length, or -1 when the event
 * has no data line or out is too small.
 */
long		 odsi_sse_data(const char *ev, size_t len, char *out,
		    size_t cap);
/*
 * Inspect one chat/completions event: *usage_only is 1 for a chunk with
 * an empty choices array and a usage object; usage is filled when the
 * event carries one. Returns 1 for the "[DONE]" event, else 0.
 */
int		 odsi_sse_inspect(const char *ev, size_t len, int *usage_only,
		    struct ods_llm_usage *usage);

/* "http://h:8000" or "http://h:8000/v1/" -> "http://h:8000/v1" (malloc). */
char		*odsi_llm_base_url(const char *url);

void		 odsi_llm_usage_of_body(const char *, size_t,
		    struct ods_llm_usage *);
/* Remove ,"usage":null (or "usage":null,) from a chunk; new length. */
size_t		 odsi_llm_strip_null_usage(char *ev, size_t len);

/* Breaker (ods_llm_route.c). */
int		 odsi_llm_breaker_allow(struct ods_llm *, struct llm_backend *);
void		 odsi_llm_breaker_success(struct ods_llm *, struct llm_backend *);
void		 odsi_llm_breaker_failure(struct ods_llm *, struct llm_backend *,
		    const char *reason);
void		 odsi_llm_breaker_release(struct llm_backend *);
/* Candidates for model and op, best first; returns how many. */
size_t		 odsi_llm_candidates(struct ods_llm *, enum ods_llm_op,
		    const char *model, struct llm_backend **out, size_t max);
void		 odsi_llm_models_refresh(struct ods_llm *, struct llm_backend *,
		    int force);
int		 odsi_llm_caps_of(enum ods_llm_op);

/* Metrics (ods_llm_route.c); no-ops before registration. */
void		 odsi_llm_metric_ttft(const char *model, double seconds);
void		 odsi_llm_metric_circuit(const struct llm_backend *);
void		 odsi_llm_metric_failure(const char *backend, const char *reason);

#endif /* ODS_LLM_INT_H */
