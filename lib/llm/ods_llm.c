/*
 * lib/llm/ods_llm.c — backends from the environment, request preparation and
 * the forwarding loop with fallback before the first byte.
 */
#include "config.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "core/ods_conf.h"
#include "vec/ods_embed.h"
#include "net/ods_http.h"
#include "core/ods_json.h"
#include "llm/ods_llm_int.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"

#define OPENAI_DEFAULT_BASE	"https://api.openai.com/v1"
#define MAX_BODY		(64u << 20)
#define MAX_EVENT		(4u << 20)
#define BACKOFF_MS		100

char *
odsi_llm_base_url(const char *url)
{
	size_t	n = strlen(url);
	char	*out;

	while (n > 0 && url[n - 1] == '/')
		n--;
	if (n >= 3 && strncmp(url + n - 3, "/v1", 3) == 0)
		return ods_xstrndup(url, n);
	if (ods_xasprintf(&out, "%.*s/v1", (int)n, url) < 0)
		return NULL;
	return out;
}

static void
add_backend(struct ods_llm *l, const char *name, const char *url,
    const char *key, int caps)
{
	struct llm_backend	*b;

	if (*url == '\0' || l->nb >= ODS_LLM_MAX_BACKENDS)
		return;
	b = &l->b[l->nb++];
	snprintf(b->name, sizeof(b->name), "%s", name);
	b->base = odsi_llm_base_url(url);
	b->shown = ods_url_redact(b->base);
	if (key != NULL && *key != '\0')
		(void)ods_xasprintf(&b->auth, "Authorization: Bearer %s", key);
	b->caps = caps;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->listed, NULL);
}

/* ODS_MODEL_ALIASES -> aliases; a malformed item (refused by ods_conf at
 * start-up) is skipped with a log line. */
static void
parse_aliases(struct ods_llm *l, const char *s)
{
	const char	*item;
	size_t		 len, eq;
	int		 rc;

	while ((rc = ods_conf_alias_next(&s, &item, &len, &eq)) != 0) {
		if (rc < 0) {
			ods_log(ODS_LOG_WARN, "llm_alias_ignored value=%.*s",
			    (int)(len > 200 ? 200 : len), item);
			continue;
		}
		l->aliases = ods_xrealloc(l->aliases,
		    (l->naliases + 1) * sizeof(*l->aliases));
		l->aliases[l->naliases].from = ods_xstrndup(item, eq);
		l->aliases[l->naliases].to = ods_xstrndup(item + eq + 1,
		    len - eq - 1);
		l->naliases++;
	}
}

static void
add_backends(struct ods_llm *l, const struct ods_conf *c)
{
	const char	*m = c->llm_backend;
	const char	*oa = c->openai_base_url;
	int		 any = strcasecmp(m, "auto") == 0;

	if (any || strcasecmp(m, "vllm") == 0)
		add_backend(l, "vllm", c->vllm_chat_url, NULL, LLM_CAP_CHAT);
	/* A dedicated embedding server is used whatever the mode. */
	add_backend(l, "vllm-embed", c->vllm_embed_url, NULL, LLM_CAP_EMBED);
	if (any || strcasecmp(m, "ollama") == 0)
		add_backend(l, "ollama", c->ollama_url, NULL,
		    LLM_CAP_CHAT | LLM_CAP_EMBED);
	if ((any || strcasecmp(m, "openai") == 0) &&
	    (*c->openai_api_key != '\0' || *oa != '\0'))
		add_backend(l, "openai", *oa != '\0' ? oa : OPENAI_DEFAULT_BASE,
		    c->openai_api_key, LLM_CAP_CHAT | LLM_CAP_EMBED);
}

struct ods_llm *
ods_llm_new(const struct ods_conf *c)
{
	struct ods_llm	*l;

	l = ods_xcalloc(1, sizeof(*l));
	l->mode = ods_xstrdup(c->llm_backend);
	l->default_chat = ods_xstrdup(c->default_chat_model);
	l->default_embed = ods_xstrdup(c->default_embed_model);
	l->connect_ms = c->llm_connect_timeout_ms;
	l->first_byte_ms = c->llm_first_byte_timeout_ms;
	/*
	 * The worker is killed after --request-timeout without progress
	 * (the sink's progress callback). Whatever waits without progress -- a
	 * non-streaming call, a stream before its first byte, a silence
	 * inside a stream -- ends a second before that, so we answer first.
	 * A stream that keeps moving may last ODS_LLM_TIMEOUT_S.
	 */
	l->guard_ms = c->request_timeout > 4 ?
	    (c->request_timeout - 1) * 1000 : c->request_timeout * 750;
	l->stream_total_ms = c->llm_timeout_s * 1000;
	l->total_ms = l->stream_total_ms < l->guard_ms ?
	    l->stream_total_ms : l->guard_ms;
	l->retries = c->llm_retries;
	l->breaker_failures = c->llm_breaker_failures;
	l->cooldown_ms = c->llm_breaker_cooldown_ms;
	l->models_ttl_s = c->llm_models_ttl_s;
	l->insecure = c->llm_insecure_tls;
	l->max_tokens_cap = c->llm_max_tokens_cap;
	l->max_n = c->llm_max_n;
	l->estimate_tokens = c->llm_estimate_tokens < c->llm_max_tokens_cap ?
	    c->llm_estimate_tokens : c->llm_max_tokens_cap;
	add_backends(l, c);
	parse_aliases(l, c->model_aliases);
	return l;
}

void
ods_llm_free(struct ods_llm *l)
{
	size_t	i, j;

	if (l == NULL)
		return;
	for (i = 0; i < l->nb; i++) {
		free(l->b[i].base);
		free(l->b[i].shown);
		free(l->b[i].auth);
		for (j = 0; j < l->b[i].nmodels; j++)
			free(l->b[i].models[j]);
		free(l->b[i].models);
		pthread_mutex_destroy(&l->b[i].mu);
		pthread_cond_destroy(&l->b[i].listed);
	}
	for (i = 0; i < l->naliases; i++) {
		free(l->aliases[i].from);
		free(l->aliases[i].to);
	}
	free(l->aliases);
	free(l->mode);
	free(l->default_chat);
	free(l->default_embed);
	free(l);
}

const char *
ods_llm_alias(const struct ods_llm *l, const char *model)
{
	size_t	i;

	for (i = 0; i < l->naliases; i++)
		if (strcmp(l->aliases[i].from, model) == 0)
			return l->aliases[i].to;
	return model;
}

int
ods_llm_embed_local(struct ods_llm *l, const char *model)
{
	uint32_t	dim;
	size_t		i;

	if (ods_embed_parse_model(model, &dim) == ODS_OK)
		return 1;
	for (i = 0; i < l->nb; i++)
		if (l->b[i].caps & LLM_CAP_EMBED)
			return 0;
	return 1;	/* no embedding server at all */
}

/* ---- preparing a request ---- */

static enum ods_err
check_fields(enum ods_llm_op op, struct json_object *o, int *stream,
    struct ods_why *why)
{
	struct json_object	*v;

	*stream = 0;
	if (op != ODS_LLM_EMBEDDINGS &&
	    json_object_object_get_ex(o, "stream", &v) && v != NULL) {
		if (!json_object_is_type(v, json_type_boolean)) {
			ods_why_set(why, "stream", "'stream' must be a "
			    "boolean");
			return ODS_EINVAL;
		}
		*stream = json_object_get_boolean(v);
	}
	if (op == ODS_LLM_CHAT && (!json_object_object_get_ex(o, "messages",
	    &v) || !json_object_is_type(v, json_type_array))) {
		ods_why_set(why, "messages", "'messages' is required and must "
		    "be an array");
		return ODS_EINVAL;
	}
	if (op == ODS_LLM_COMPLETIONS &&
	    !json_object_object_get_ex(o, "prompt", &v)) {
		ods_why_set(why, "prompt", "'prompt' is required");
		return ODS_EINVAL;
	}
	if (op == ODS_LLM_EMBEDDINGS && (!json_object_object_get_ex(o,
	    "input", &v) || (!json_object_is_type(v, json_type_string) &&
	    !json_object_is_type(v, json_type_array)))) {
		ods_why_set(why, "input", "'input' is required and must be a "
		    "string or an array");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

/*
 * An optional integer field in 1..max (JSON null: absent, *out 0). The
 * words are OpenAI's, so a client sees the same message either way.
 */
static enum ods_err
bounded(struct json_object *o, const char *field, int64_t max,
    int64_t *out, struct ods_why *why)
{
	struct json_object	*v;
	int64_t			 n;

	*out = 0;
	if (!json_object_object_get_ex(o, field, &v) || v == NULL)
		return ODS_OK;
	if (!json_object_is_type(v, json_type_int)) {
		ods_why_set(why, field, "Invalid type for '%s': expected an "
		    "integer.", field);
		return ODS_EINVAL;
	}
	n = json_object_get_int64(v);
	if (n < 1) {
		ods_why_set(why, field, "Invalid '%s': integer below minimum "
		    "value. Expected a value >= 1, but got %lld instead.",
		    field, (long long)n);
		return ODS_EINVAL;
	}
	if (n > max) {
		ods_why_set(why, field, "Invalid '%s': integer above maximum "
		    "value. Expected a value <= %lld, but got %lld instead.",
		    field, (long long)max, (long long)n);
		return ODS_EINVAL;
	}
	*out = n;
	return ODS_OK;
}

/*
 * What a chat or completion call may cost, before it is made: the prompt
 * at 4 bytes a token (the JSON around it makes this generous), and for
 * each of the n (or best_of) choices max_tokens, or the configured
 * estimate when the request names none. Bounds the fields first.
 */
static enum ods_err
estimate(const struct ods_llm *l, struct json_object *o, size_t len,
    struct ods_llm_prep *p, struct ods_why *why)
{
	int64_t	mt, mct, n, best;

	p->prompt_estimate = (int64_t)(len / 4) + 1;
	if (p->op == ODS_LLM_EMBEDDINGS)
		return ODS_OK;
	if (bounded(o, "max_tokens", l->max_tokens_cap, &mt, why) != ODS_OK ||
	    bounded(o, "max_completion_tokens", l->max_tokens_cap, &mct,
	    why) != ODS_OK || bounded(o, "n", l->max_n, &n, why) != ODS_OK ||
	    bounded(o, "best_of", l->max_n, &best, why) != ODS_OK)
		return ODS_EINVAL;
	if (mct > mt)
		mt = mct;
	if (best > n)
		n = best;
	p->completion_estimate = (n > 0 ? n : 1) *
	    (mt > 0 ? mt : l->estimate_tokens);
	return ODS_OK;
}

/* Ask a stream for usage; 1 when the body had to change. */
static int
inject_usage(struct json_object *o, struct ods_why *why, int *bad)
{
	struct json_object	*so, *iu;

	*bad = 0;
	if (!json_object_object_get_ex(o, "stream_options", &so) ||
	    so == NULL) {
		so = json_object_new_object();
		if (so == NULL || json_object_object_add(o, "stream_options",
		    so) != 0)
			return 0;
	} else if (!json_object_is_type(so, json_type_object)) {
		ods_why_set(why, "stream_options", "'stream_options' must "
		    "be an object");
		*bad = 1;
		return 0;
	}
	if (json_object_object_get_ex(so, "include_usage", &iu) &&
	    json_object_get_boolean(iu))
		return 0;	/* the client asked: nothing to drop */
	json_object_object_add(so, "include_usage",
	    json_object_new_boolean(1));
	return 1;
}

static const char *
default_model(const struct ods_llm *l, enum ods_llm_op op)
{
	if (op == ODS_LLM_EMBEDDINGS)
		return *l->default_embed != '\0' ? l->default_embed :
		    "ods-hash-embed-384";
	return l->default_chat;
}

enum ods_err
ods_llm_chat_system(struct json_object *o, const char *text, size_t len,
    const char *const *drop)
{
	struct json_object	*msgs, *first, *role, *sys, *nv;
	size_t			 i, n;

	if (!json_object_object_get_ex(o, "messages", &msgs) ||
	    !json_object_is_type(msgs, json_type_array))
		return ODS_EINVAL;
	for (; drop != NULL && *drop != NULL; drop++)
		json_object_object_del(o, *drop);
	n = json_object_array_length(msgs);
	first = n > 0 ? json_object_array_get_idx(msgs, 0) : NULL;
	if (json_object_is_type(first, json_type_object) &&
	    json_object_object_get_ex(first, "role", &role) &&
	    json_object_is_type(role, json_type_string) &&
	    strcmp(json_object_get_string(role), "system") == 0) {
		json_object_object_add(first, "content",
		    json_object_new_string_len(text, (int)len));
		return ODS_OK;
	}
	sys = json_object_new_object();
	json_object_object_add(sys, "role", json_object_new_string("system"));
	json_object_object_add(sys, "content",
	    json_object_new_string_len(text, (int)len));
	nv = json_object_new_array_ext((int)n + 1);
	json_object_array_add(nv, sys);
	for (i = 0; i < n; i++)
		json_object_array_add(nv,
		    json_object_get(json_object_array_get_idx(msgs, i)));
	json_object_object_add(o, "messages", nv);
	return ODS_OK;
}

enum ods_err
ods_llm_prepare(const struct ods_llm *l, enum ods_llm_op op,
    struct json_object *o, const char *body, size_t len,
    struct ods_llm_prep *p, struct ods_why *why)
{
	struct json_object	*mv;
	const char		*model = NULL;
	int			 changed = 0, bad;
	enum ods_err		 er;

	memset(p, 0, sizeof(*p));
	p->op = op;
	if (o == NULL || !json_object_is_type(o, json_type_object)) {
		ods_why_set(why, NULL, "the body must be a JSON object");
		return ODS_EINVAL;
	}
	if ((er = check_fields(op, o, &p->stream, why)) != ODS_OK ||
	    (er = estimate(l, o, len, p, why)) != ODS_OK)
		return er;
	if (json_object_object_get_ex(o, "model", &mv) && mv != NULL) {
		if (!json_object_is_type(mv, json_type_string) ||
		    json_object_get_string_len(mv) == 0 ||
		    json_object_get_string_len(mv) >= ODS_LLM_MODEL_MAX) {
			ods_why_set(why, "model", "'model' must be a non-empty "
			    "string of at most %d bytes", ODS_LLM_MODEL_MAX - 1);
			return ODS_EINVAL;
		}
		model = json_object_get_string(mv);
		/* "a\u0000b" would be "a" from here on: another model. */
		if (strlen(model) != (size_t)json_object_get_string_len(mv)) {
			ods_why_set(why, "model", "'model' must not contain a "
			    "NUL character");
			return ODS_EINVAL;
		}
	} else {
		model = default_model(l, op);
		changed = 1;
	}
	if (*model == '\0') {
		ods_why_set(why, "model", "you must provide a model parameter");
		return ODS_EINVAL;
	}
	snprintf(p->model_buf, sizeof(p->model_buf), "%s", model);
	p->model = p->model_buf;
	p->upstream_model = ods_llm_alias(l, p->model);
	if (changed || strcmp(p->upstream_model, p->model) != 0) {
		json_object_object_add(o, "model",
		    json_object_new_string(p->upstream_model));
		changed = 1;
	}
	if (p->stream) {
		p->usage_injected = inject_usage(o, why, &bad);
		if (bad)
			return ODS_EINVAL;
		changed |= p->usage_injected;
	}
	p->body = body;
	p->body_len = len;
	if (changed) {
		p->owned = ods_xstrdup(json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		p->body = p->owned;
		p->body_len = strlen(p->owned);
	}
	return ODS_OK;
}

void
ods_llm_prep_fini(struct ods_llm_prep *p)
{
	if (p != NULL) {
		free(p->owned);
		p->owned = NULL;
	}
}

/* ---- forwarding ---- */

size_t
odsi_llm_strip_null_usage(char *ev, size_t len)
{
	static const char	a[] = ",\"usage\":null";
	static const char	b[] = "\"usage\":null,";
	char			*p;
	size_t			 n = sizeof(a) - 1;

	if ((p = memmem(ev, len, a, n)) == NULL &&
	    (p = memmem(ev, len, b, n)) == NULL)
		return len;
	memmove(p, p + n, len - (size_t)(p - ev) - n);
	return len - n;
}

/* One attempt's state, seen by the HTTP callbacks. */
struct attempt {
	struct ods_llm			*l;
	const struct ods_llm_prep	*prep;
	const struct ods_llm_sink	*sink;
	struct ods_llm_result		*res;
	struct ods_sse			 sse;
	double				 t0;
	double				 guard_s;	/* t0 + this: no progress */
	int				 sse_mode;
	int				 client_gone;
	int				 saw_done;	/* data: [DONE] */
};

static int
send_event(void *arg, const char *ev, size_t len)
{
	struct attempt		*a = arg;
	struct ods_llm_result	*res = a->res;
	int			 usage_only = 0;
	char			*copy = NULL;

	if (odsi_sse_inspect(ev, len, &usage_only, &res->usage))
		a->saw_done = 1;
	if (usage_only && a->prep->usage_injected)
		return 0;
	if (a->prep->usage_injected && memmem(ev, len, "\"usage\":null",
	    12) != NULL) {
		copy = ods_xstrndup(ev, len);
		len = odsi_llm_strip_null_usage(copy, len);
		ev = copy;
	}
	if (!res->started) {
		res->started = 1;
		res->ttft_s = ods_now_sec() - a->t0;
		odsi_llm_metric_ttft(ods_llm_metric_model(a->l,
		    a->prep->model), res->ttft_s);
		if (a->sink->start(a->sink->arg, res->status, res->ctype) != 0)
			a->client_gone = 1;
	}
	if (!a->client_gone && a->sink->event(a->sink->arg, ev, len) != 0)
		a->client_gone = 1;
	free(copy);
	return a->client_gone;
}

static int
on_head(void *arg, int status, const char *ctype)
{
	struct attempt	*a = arg;

	a->res->status = status;
	snprintf(a->res->ctype, sizeof(a->res->ctype), "%s", ctype);
	a->sse_mode = a->prep->stream && a->sink != NULL &&
	    status >= 200 && status < 300 &&
	    strncasecmp(ctype, "text/event-stream", 17) == 0;
	if (a->sse_mode && a->sink->progress != NULL)
		a->sink->progress();
	return 0;
}

static int
on_data(void *arg, const char *p, size_t n)
{
	struct attempt	*a = arg;

	if (!a->sse_mode) {
		/* A kept body is no progress: it ends within the guard. */
		if (ods_now_sec() - a->t0 >= a->guard_s)
			return 1;
		return ods_buf_add(&a->res->body, p, n) != ODS_OK;
	}
	if (a->sink->progress != NULL)
		a->sink->progress();
	return odsi_sse_feed(&a->sse, p, n, send_event, a) != ODS_OK;
}

static int
should_stop(void *arg)
{
	struct attempt	*a = arg;

	return a->sink != NULL && a->sink->client_gone != NULL &&
	    a->sink->client_gone(a->sink->arg);
}

static const char *
op_path(enum ods_llm_op op)
{
	return op == ODS_LLM_CHAT ? "chat/completions" :
	    op == ODS_LLM_COMPLETIONS ? "completions" : "embeddings";
}

static void
fill_req(struct ods_llm *l, struct llm_backend *b, struct attempt *a,
    struct ods_http_req *req, char *url, size_t urlsz)
{
	int	elapsed, wait, left;

	memset(req, 0, sizeof(*req));
	snprintf(url, urlsz, "%s/%s", b->base, op_path(a->prep->op));
	req->method = "POST";
	req->url = url;
	req->headers[req->nheaders++] = "Content-Type: application/json";
	req->headers[req->nheaders++] = a->prep->stream ?
	    "Accept: text/event-stream" : "Accept: application/json";
	if (b->auth != NULL)
		req->headers[req->nheaders++] = b->auth;
	req->body = a->prep->body;
	req->body_len = a->prep->body_len;
	/*
	 * Every attempt shares the deadlines. Until the upstream answers
	 * nothing moves, so connect and first byte fit in what is left of
	 * the guard; a stream then runs to its own total, as long as no
	 * silence reaches the guard.
	 */
	elapsed = (int)((ods_now_sec() - a->t0) * 1000.0);
	wait = l->total_ms - elapsed;
	if (wait < 1)
		wait = 1;
	left = a->prep->stream ? l->stream_total_ms - elapsed : wait;
	if (left < 1)
		left = 1;
	req->limits.connect_ms = l->connect_ms < wait ? l->connect_ms : wait;
	req->limits.first_byte_ms = l->first_byte_ms < wait ?
	    l->first_byte_ms : wait;
	req->limits.idle_ms = !a->prep->stream ? 0 :
	    l->first_byte_ms < l->guard_ms ? l->first_byte_ms : l->guard_ms;
	req->limits.total_ms = left;
	req->limits.max_body = MAX_BODY;
	req->limits.insecure = l->insecure;
	req->on_head = on_head;
	req->on_data = on_data;
	req->should_stop = should_stop;
	req->arg = a;
}

/* The tail of a stream that did not end with a blank line. */
static void
flush_tail(struct attempt *a)
{
	if (odsi_sse_pending(&a->sse) > 0 && !a->client_gone)
		(void)send_event(a, a->sse.buf.data, a->sse.buf.len);
}

static const char *
reason_of(enum ods_err er, int status)
{
	if (er == ODS_OK)
		return status == 429 ? "rate_limited" : "status_5xx";
	return er == ODS_ETIMEOUT ? "timeout" : er == ODS_EUNAVAIL ?
	    "connect" : "upstream";
}

/*
 * One try against b. Returns 1 when the answer is final (success, a 4xx
 * to pass on, a started stream), 0 to try the next backend.
 */
static int
try_backend(struct ods_llm *l, struct llm_backend *b,
    struct attempt *a, enum ods_err *last)
{
	struct ods_llm_result	*res = a->res;
	struct ods_http_req	 req;
	struct ods_http_resp	 resp;
	char			 url[1024];
	enum ods_err		 er;

	ods_buf_reset(&res->body);
	res->status = 0;
	res->usage.known = 0;
	odsi_sse_init(&a->sse, MAX_EVENT);
	a->saw_done = 0;
	fill_req(l, b, a, &req, url, sizeof(url));
	res->attempts++;
	er = ods_http_do(&req, &resp);
	if (er == ODS_OK && a->sse_mode)
		flush_tail(a);
	odsi_sse_fini(&a->sse);
	ods_http_resp_fini(&resp);
	snprintf(res->backend, sizeof(res->backend), "%s", b->name);
	/* A stream that ends without [DONE] was cut (close-delimited). */
	if (er == ODS_OK && res->started && !a->saw_done)
		er = ODS_EUPSTREAM;
	if (res->started || a->client_gone) {
		res->err = a->client_gone ? ODS_EIO : er;
		if (er == ODS_OK || a->client_gone)
			odsi_llm_breaker_success(l, b);
		else
			odsi_llm_breaker_failure(l, b, reason_of(er, 0));
		return 1;
	}
	if (er == ODS_OK && (res->status == 401 || res->status == 403)) {
		/* Our key, not the client's request: never show the body
		 * (OpenAI's quotes part of the key); try the next one. */
		odsi_llm_breaker_release(b);
		ods_buf_reset(&res->body);
		res->auth_refused = 1;
		ods_log(ODS_LOG_ERR, "llm_upstream_auth_refused backend=%s "
		    "status=%d", b->name, res->status);
		*last = ODS_EUPSTREAM;
		return 0;
	}
	if (er == ODS_OK && res->status < 500 && res->status != 429) {
		odsi_llm_breaker_success(l, b);
		if (res->status < 300 && !a->sse_mode)
			odsi_llm_usage_of_body(res->body.data, res->body.len,
			    &res->usage);
		return 1;
	}
	if (er == ODS_OK && res->status == 429)
		odsi_llm_breaker_release(b);
	else
		odsi_llm_breaker_failure(l, b, reason_of(er, res->status));
	ods_log(ODS_LOG_WARN, "llm_attempt_failed backend=%s err=%s status=%d",
	    b->name, ods_strerror(er), res->status);
	*last = er != ODS_OK ? er : res->status == 429 ? ODS_ELIMIT :
	    ODS_EUPSTREAM;
	return 0;
}

static int
key_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '*' || c == '.';
}

char *
ods_llm_redact_keys(const char *s, size_t n, size_t *outlen)
{
	char	*out;
	size_t	 i = 0, j, o = 0;

	/* A key is 4 bytes at least and becomes 10: room for the worst. */
	out = ods_xmalloc(n + n / 4 * 6 + 1);
	while (i < n) {
		if (n - i > 3 && memcmp(s + i, "sk-", 3) == 0 &&
		    (i == 0 || !key_char((unsigned char)s[i - 1]))) {
			for (j = i + 3; j < n && key_char((unsigned char)s[j]);
			    j++)
				;
			while (j > i + 3 && s[j - 1] == '.')
				j--;	/* a full stop ends the sentence */
			if (j > i + 3) {
				memcpy(out + o, "[redacted]", 10);
				o += 10;
				i = j;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* A passed-on error body: no key-shaped word reaches the client. */
static void
scrub_error_body(struct ods_llm_result *res)
{
	char	*clean;
	size_t	 n;

	if (res->started || res->status < 400 || res->body.len == 0)
		return;
	clean = ods_llm_redact_keys(res->body.data, res->body.len, &n);
	ods_buf_reset(&res->body);
	if (ods_buf_add(&res->body, clean, n) != ODS_OK)
		ods_buf_reset(&res->body);	/* shorter: cannot happen */
	free(clean);
}

static void
backoff(int round)
{
	struct timespec	ts;
	long		ms = (long)BACKOFF_MS << round;

	ms += rand() % (ms / 2 + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

enum ods_err
ods_llm_forward(struct ods_llm *l, const struct ods_llm_prep *prep,
    const struct ods_llm_sink *sink, struct ods_llm_result *res)
{
	struct llm_backend	*c[ODS_LLM_MAX_BACKENDS];
	struct attempt		 a;
	enum ods_err		 last = ODS_EUNAVAIL;
	size_t			 n, i;
	int			 round, tried;

	memset(res, 0, sizeof(*res));
	ods_buf_init(&res->body, MAX_BODY);
	memset(&a, 0, sizeof(a));
	a.l = l;
	a.prep = prep;
	a.sink = sink;
	a.res = res;
	a.t0 = ods_now_sec();
	a.guard_s = l->guard_ms / 1000.0;
	n = odsi_llm_candidates(l, prep->op, prep->upstream_model, c,
	    ODS_LLM_MAX_BACKENDS);
	if (n == 0)
		return ODS_ENOTFOUND;
	for (round = 0; round <= l->retries; round++) {
		if (round > 0)
			backoff(round - 1);
		for (i = 0, tried = 0; i < n; i++) {
			if ((ods_now_sec() - a.t0) * 1000.0 >= l->total_ms) {
				/* nothing has reached the client yet */
				res->total_s = ods_now_sec() - a.t0;
				return ODS_ETIMEOUT;
			}
			if (!odsi_llm_breaker_allow(l, c[i]))
				continue;
			tried++;
			if (try_backend(l, c[i], &a, &last)) {
				res->total_s = ods_now_sec() - a.t0;
				scrub_error_body(res);
				return ODS_OK;
			}
			if (should_stop(&a)) {
				res->err = ODS_EIO;
				return ODS_EIO;
			}
		}
		if (tried == 0)
			last = ODS_EUNAVAIL;
	}
	res->total_s = ods_now_sec() - a.t0;
	if (last == ODS_ELIMIT && res->status == 429) {
		scrub_error_body(res);
		return ODS_OK;	/* pass the upstream's 429 on */
	}
	return last == ODS_ELIMIT ? ODS_EUNAVAIL : last;
}

void
ods_llm_billed(const struct ods_llm_prep *p, enum ods_err er,
    const struct ods_llm_result *res, struct ods_llm_usage *u)
{
	memset(u, 0, sizeof(*u));
	if (res->usage.known) {
		*u = res->usage;
		return;
	}
	/* No backend took the call, or each refused it: nothing was made. */
	if (er == ODS_ENOTFOUND || er == ODS_EUNAVAIL || er == ODS_EUPSTREAM ||
	    (er == ODS_OK && !res->started && res->status >= 400))
		return;
	/*
	 * Made, but not told how much: a stream cut by the client or the
	 * upstream, a timeout, an answer without usage. The estimate is an
	 * upper bound; billing zero would make cutting streams free.
	 */
	u->prompt_tokens = p->prompt_estimate;
	u->completion_tokens = p->completion_estimate;
}

void
ods_llm_result_fini(struct ods_llm_result *res)
{
	if (res != NULL)
		ods_buf_free(&res->body);
}
