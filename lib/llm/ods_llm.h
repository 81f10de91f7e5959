/*
 * lib/llm/ods_llm.h — OpenAI-compatible upstreams: backends from the
 * environment, routing by model, fallback, circuit breakers, streaming.
 *
 * Backends (LLM_BACKEND=auto tries them in this order; a named one is the
 * only one used): "vllm" (VLLM_CHAT_URL, chat), "vllm-embed"
 * (VLLM_EMBED_URL, embeddings), "ollama" (OLLAMA_URL, both), "openai"
 * (OPENAI_BASE_URL, default https://api.openai.com/v1, with
 * OPENAI_API_KEY; both). A URL works with or without "/v1". Each backend's
 * model list (GET /v1/models) is cached for ODS_LLM_MODELS_TTL_S; a
 * request goes to the backends that list its model (after the aliases of
 * ODS_MODEL_ALIASES, "alias=model,..."), then to those whose list is not
 * known. A backend failing ODS_LLM_BREAKER_FAILURES times in a row is
 * skipped for ODS_LLM_BREAKER_COOLDOWN_MS, then one probe request decides
 * (half-open). The built-in embedding model (ods_embed) answers locally.
 *
 * One struct ods_llm per process (breakers and caches are per process),
 * thread-safe.
 */
#ifndef ODS_LLM_H
#define ODS_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"

struct json_object;
struct ods_conf;
struct ods_jw;
struct ods_llm;

#define ODS_LLM_MAX_BACKENDS	4
#define ODS_LLM_MODEL_MAX	256	/* bytes of a model name */
#define ODS_LLM_EMBED_BATCH	64	/* inputs per upstream request */

enum ods_llm_op {
	ODS_LLM_CHAT = 0,	/* /chat/completions */
	ODS_LLM_COMPLETIONS,	/* /completions */
	ODS_LLM_EMBEDDINGS	/* /embeddings */
};

enum ods_llm_breaker {
	ODS_LLM_CLOSED = 0,
	ODS_LLM_OPEN = 1,
	ODS_LLM_HALF_OPEN = 2
};

struct ods_llm_usage {
	int64_t	prompt_tokens;
	int64_t	completion_tokens;
	int	known;		/* the upstream reported usage */
};

/*
 * The backends of conf (copied). Never NULL; a process without any
 * backend still serves the built-in embedding model. A service makes one
 * per worker in its init hook (struct ods_service) and frees it in fini.
 */
struct ods_llm	*ods_llm_new(const struct ods_conf *);
void		 ods_llm_free(struct ods_llm *);	/* NULL is a no-op */

/*
 * Families ai_time_to_first_token_seconds{service,model},
 * ai_backend_circuit_state{backend} (0 closed, 1 open, 2 half-open) and
 * ai_backend_failures_total{backend,reason}. Call once in the master
 * before ods_metrics_new(); without it these updates are skipped.
 */
enum ods_err	 ods_llm_metrics_register(void);

/* Resolve an alias ("gpt-4o-mini" -> served name); model if none. */
const char	*ods_llm_alias(const struct ods_llm *, const char *model);

/*
 * A request body prepared for the upstream from the client's JSON (which
 * is modified in place when needed: model rewritten by an alias or filled
 * from DEFAULT_CHAT_MODEL / DEFAULT_EMBED_MODEL, and for streams
 * stream_options.include_usage set so tokens can be counted). body is
 * the client's bytes (borrowed) when nothing changed, else owned (a new
 * serialisation, freed by ods_llm_prep_fini).
 */
struct ods_llm_prep {
	enum ods_llm_op	 op;
	const char	*model;		/* what the client asked for */
	const char	*upstream_model; /* after the alias */
	int		 stream;
	int		 usage_injected; /* drop the usage-only event */
	int64_t		 prompt_estimate; /* tokens: body bytes / 4 + 1 */
	int64_t		 completion_estimate; /* n x (max_tokens or */
					/* ODS_LLM_ESTIMATE_TOKENS) */
	const char	*body;
	size_t		 body_len;
	char		*owned;		/* a rewritten body (free) */
	char		 model_buf[ODS_LLM_MODEL_MAX];
};

/*
 * Set the system prompt of a chat body o (before ods_llm_prepare): the
 * content of its first message when that is a system message, else a new
 * system message in front (reference-api §5's prompt_template); the
 * fields named in drop (NULL-terminated, may be NULL) are removed. Returns
 * ODS_OK or ODS_EINVAL (o has no messages array).
 */
enum ods_err	 ods_llm_chat_system(struct json_object *o, const char *text,
		    size_t len, const char *const *drop) ODS_MUSTCHECK;

/*
 * Validate and prepare. Returns ODS_OK or ODS_EINVAL with a client
 * message in why, and the field at fault in why->field when there is
 * one (model missing, not a string or holding a NUL, stream not a
 * boolean, messages/prompt/input missing, max_tokens or
 * max_completion_tokens outside 1..ODS_LLM_MAX_TOKENS_CAP, n or best_of
 * outside 1..ODS_LLM_MAX_N).
 */
enum ods_err	 ods_llm_prepare(const struct ods_llm *, enum ods_llm_op,
		    struct json_object *, const char *body, size_t len,
		    struct ods_llm_prep *, struct ods_why *why)
		    ODS_MUSTCHECK;
void		 ods_llm_prep_fini(struct ods_llm_prep *);

/*
 * Where the answer goes. For a stream, start() runs once, before the
 * first event, with the upstream status and content type: from then on
 * nothing can be retried elsewhere. event() gets each SSE event as the
 * upstream sent it (bytes and terminator), usage-only events removed when
 * usage_injected. Returning non-zero from either means the client went
 * away: the upstream transfer is aborted at once. client_gone (may be
 * NULL) is polled while the upstream is silent. progress (may be NULL)
 * is called on every piece a stream receives: the caller's sign that the
 * request is alive (the server's per-request deadline counts from it).
 */
struct ods_llm_sink {
	int	(*start)(void *arg, int status, const char *ctype);
	int	(*event)(void *arg, const char *, size_t);
	int	(*client_gone)(void *arg);
	void	*arg;
	void	(*progress)(void);
};

struct ods_llm_result {
	int			 status;	/* upstream HTTP status */
	char			 ctype[128];
	struct ods_buf		 body;		/* non-stream, or error body */
	char			 backend[16];	/* who answered ("" none) */
	struct ods_llm_usage	 usage;
	double			 ttft_s;	/* first event / first byte */
	double			 total_s;
	int			 started;	/* stream committed */
	int			 attempts;
	enum ods_err		 err;		/* after started: why it ended */
	int			 auth_refused;	/* 401/403 seen */
};

/*
 * Send prep to the backends serving its model, in order, until one
 * answers. Before anything reached the sink a connect failure, timeout,
 * 429 or 5xx moves on to the next backend (and, ODS_LLM_RETRIES times,
 * round again after a backoff). A 401 or 403 means the backend refused
 * the proxy's own key: it moves on too, sets res->auth_refused, and its
 * body (which may quote part of that key) is dropped. Non-stream answers
 * are in res->body as the upstream sent them; a passed-on 4xx body has
 * anything shaped like a key (sk-...) replaced by "[redacted]" (see
 * ods_llm_redact_keys). Returns ODS_OK (an
 * upstream answered: see res->status; for a started stream res->err says
 * whether it ended cleanly, ODS_EIO: client gone, ODS_EUPSTREAM /
 * ODS_ETIMEOUT: upstream broke, an error event is due), ODS_ENOTFOUND (no
 * backend serves the model), ODS_EUNAVAIL (every backend down or open),
 * ODS_ETIMEOUT, ODS_EUPSTREAM. Release res with ods_llm_result_fini.
 */
enum ods_err	 ods_llm_forward(struct ods_llm *, const struct ods_llm_prep *,
		    const struct ods_llm_sink *, struct ods_llm_result *)
		    ODS_MUSTCHECK;
void		 ods_llm_result_fini(struct ods_llm_result *);

/*
 * The tokens a call made with prep cost, from what ods_llm_forward
 * returned (er, res): the upstream's usage when it reported it (u->known
 * set); none when no backend took the call or every one refused it;
 * otherwise the estimates of prep (a stream cut by the client or by the
 * upstream, a timeout, an answer without usage).
 */
void		 ods_llm_billed(const struct ods_llm_prep *, enum ods_err,
		    const struct ods_llm_result *, struct ods_llm_usage *);

/*
 * Replace every key-shaped word in the n bytes at s ("sk-" at a word
 * start, then letters, digits, '-', '_', '*' or inner '.') by
 * "[redacted]". Returns a new NUL-terminated string (ods_x* allocated;
 * caller frees) and its length in *outlen.
 */
char		*ods_llm_redact_keys(const char *s, size_t n,
		    size_t *outlen);

/*
 * Write the union of the backends' models plus the built-in embedding
 * model and the aliases, as the OpenAI list {"object":"list","data":[..]}.
 */
void		 ods_llm_models_json(struct ods_llm *, struct ods_jw *);
/* 1 when model is served here (by a backend, an alias or built in). */
int		 ods_llm_model_known(struct ods_llm *, const char *model);
/*
 * The model label of the ai_* metrics: model itself when a backend's
 * model list names it or it is an alias; the built-in embedding model
 * by its default name, "ods-hash-embed" for its other sizes; "other" for
 * anything else (a client's made-up name must not take a series of the
 * capped label space). Never fetches a model list. Returns model or a
 * static string; never NULL.
 */
const char	*ods_llm_metric_model(struct ods_llm *, const char *model);

/*
 * The backend report of GET /health: {"status":"ok"|"degraded",
 * "llm_backend_mode","backend","backends":[{name,url,kind,state,
 * available,models,latency_ms}],...} (keys of the current object).
 * Returns the number of backends reachable.
 */
int		 ods_llm_health_json(struct ods_llm *, struct ods_jw *);
enum ods_llm_breaker ods_llm_breaker_state(struct ods_llm *,
		    const char *backend);

/* 1 when embeddings for model are computed by the built-in model. */
int		 ods_llm_embed_local(struct ods_llm *, const char *model);

/*
 * The built-in model's answer to the embeddings request o (input a string
 * or an array of strings, encoding_format float|base64, dimensions equal
 * to the model's) written to jw as OpenAI's list. *tokens: words counted.
 * Returns ODS_OK, ODS_EINVAL or ODS_ETOOBIG (reason in why), ODS_ENOMEM.
 */
enum ods_err	 ods_llm_embed_answer(struct json_object *, const char *model,
		    struct ods_jw *, int64_t *tokens, struct ods_why *why) ODS_MUSTCHECK;

/*
 * Embeddings for the other modules (Agent API): n texts, sent in batches
 * of ODS_LLM_EMBED_BATCH (or computed locally for the built-in model).
 * *out is malloc'ed n * *dim floats. Returns ODS_OK, ODS_EINVAL,
 * ODS_ENOTFOUND, ODS_EUPSTREAM, ODS_EUNAVAIL, ODS_ETIMEOUT, ODS_ENOMEM.
 */
enum ods_err	 ods_llm_embed(struct ods_llm *, const char *model,
		    const char *const *texts, size_t n, float **out,
		    uint32_t *dim, struct ods_llm_usage *) ODS_MUSTCHECK;

/*
 * Options of a chat call for the other modules (NULL: the upstream's
 * defaults): temperature < 0 and max_tokens 0 are not sent; user (may
 * be NULL) is OpenAI's end-user field.
 */
struct ods_llm_opts {
	double		 temperature;
	int64_t		 max_tokens;
	const char	*user;
	/*
	 * OpenAI's tools: a JSON array of function schemas sent as they
	 * are (NULL: none), with tool_choice "auto".
	 */
	const char	*tools_json;
};
void		 ods_llm_opts_init(struct ods_llm_opts *);

/*
 * Non-streaming chat for the other modules: messages is a JSON array
 * text; *content is the first choice's message content (malloc'ed).
 */
enum ods_err	 ods_llm_chat(struct ods_llm *, const char *model,
		    const char *messages_json, const struct ods_llm_opts *,
		    char **content, struct ods_llm_usage *) ODS_MUSTCHECK;

/*
 * A chat call whose answer may call tools (opts->tools_json): messages
 * may hold assistant messages with tool_calls and "tool" messages.
 * *message is the first choice's message as JSON text ({role, content,
 * tool_calls?}; malloc'ed), to be put back into the next call's messages
 * as it is. Errors as ods_llm_chat.
 */
enum ods_err	 ods_llm_chat_message(struct ods_llm *, const char *model,
		    const char *messages_json, const struct ods_llm_opts *,
		    char **message, struct ods_llm_usage *) ODS_MUSTCHECK;

/*
 * Streaming chat for the other modules: the request of ods_llm_chat with
 * stream:true and stream_options.include_usage. delta() runs for every
 * chunk as it arrives, with choices[0].delta.content (len bytes; "" when
 * the chunk has none) and the chunk's JSON object text (chunk, clen), or
 * chunk NULL when the upstream answered with one JSON body instead of a
 * stream (then content is its whole answer). The first delta commits the
 * call: before it a failing backend is replaced by the next one. delta
 * returning non-zero means the caller's client went away: the upstream
 * transfer is closed at once. client_gone (may be NULL) is polled while
 * the upstream is silent (ods_llm_sink). progress (may be NULL) as in
 * ods_llm_sink. *started says whether delta ran. *u gets the upstream's
 * usage, or estimates when it sent none. Returns ODS_OK (the stream
 * ended), ODS_EIO (delta refused), ODS_EUPSTREAM (an error event, a
 * malformed chunk, a stream cut), ODS_ETIMEOUT, and before anything was
 * delivered the errors of ods_llm_forward and ods_llm_chat's for a 4xx.
 */
struct ods_llm_chat_sink {
	int	(*delta)(void *arg, const char *content, size_t len,
		    const char *chunk, size_t clen);
	void	*arg;
	void	(*progress)(void);
	int	(*client_gone)(void *arg);
};
enum ods_err	 ods_llm_chat_stream(struct ods_llm *, const char *model,
		    const char *messages_json, const struct ods_llm_opts *,
		    const struct ods_llm_chat_sink *,
		    int *started, struct ods_llm_usage *) ODS_MUSTCHECK;

#endif /* ODS_LLM_H */
