/*
 * lib/llm/ods_llm_route.c — which backend gets a request: cached model lists,
 * circuit breakers, the /v1/models union, the /health report, metrics.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "vec/ods_embed.h"
#include "net/ods_http.h"
#include "core/ods_json.h"
#include "llm/ods_llm_int.h"
#include "core/ods_log.h"
#include "metrics/ods_metrics.h"
#include "core/ods_time.h"

#define MODELS_TIMEOUT_MS	3000
#define MODELS_MAX_BODY		(4u << 20)
#define MODELS_MAX		4096

static unsigned	fam_ttft, fam_circuit, fam_fail;
static int	registered;

static const double ttft_buckets[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
};

enum ods_err
ods_llm_metrics_register(void)
{
	struct ods_metrics_def	ttft = { "ai_time_to_first_token_seconds",
	    "Time from the request to the first streamed event",
	    ODS_METRICS_HISTOGRAM, 0, { "service", "model", NULL },
	    ttft_buckets, ODS_NELEM(ttft_buckets), 256 };
	struct ods_metrics_def	circ = { "ai_backend_circuit_state",
	    "LLM backend circuit breaker: 0 closed, 1 open, 2 half-open",
	    ODS_METRICS_GAUGE, ODS_METRICS_MOSTRECENT, { "backend", NULL },
	    NULL, 0, 16 };
	struct ods_metrics_def	fail = { "ai_backend_failures_total",
	    "Failed upstream attempts by backend and reason",
	    ODS_METRICS_COUNTER, 0, { "backend", "reason", NULL }, NULL, 0,
	    64 };
	enum ods_err		er;

	if (registered)
		return ODS_OK;
	if ((er = ods_metrics_register(&ttft, &fam_ttft)) != ODS_OK ||
	    (er = ods_metrics_register(&circ, &fam_circuit)) != ODS_OK ||
	    (er = ods_metrics_register(&fail, &fam_fail)) != ODS_OK)
		return er;
	registered = 1;
	return ODS_OK;
}

void
odsi_llm_metric_ttft(const char *model, double seconds)
{
	const char	*lv[2] = { "openai-proxy", model };

	if (registered)
		(void)ods_metrics_observe(fam_ttft, lv, seconds);
}

void
odsi_llm_metric_circuit(const struct llm_backend *b)
{
	const char	*lv[1] = { b->name };

	if (registered)
		(void)ods_metrics_gauge_set(fam_circuit, lv, (double)b->state);
}

void
odsi_llm_metric_failure(const char *backend, const char *reason)
{
	const char	*lv[2] = { backend, reason };

	if (registered)
		(void)ods_metrics_counter_add(fam_fail, lv, 1.0);
}

/* ---- circuit breaker ---- */

/* May a request go to b now? A half-open backend lets one probe in. */
int
odsi_llm_breaker_allow(struct ods_llm *l, struct llm_backend *b)
{
	int	ok = 1, changed = 0;

	(void)l;
	pthread_mutex_lock(&b->mu);
	if (b->state == ODS_LLM_OPEN && ods_now_sec() >= b->open_until) {
		b->state = ODS_LLM_HALF_OPEN;
		b->probing = 0;
		changed = 1;
	}
	if (b->state == ODS_LLM_OPEN)
		ok = 0;
	else if (b->state == ODS_LLM_HALF_OPEN) {
		ok = !b->probing;
		b->probing = 1;
	}
	pthread_mutex_unlock(&b->mu);
	if (changed) {
		ods_log(ODS_LOG_INFO, "llm_breaker_half_open backend=%s",
		    b->name);
		odsi_llm_metric_circuit(b);
	}
	return ok;
}

void
odsi_llm_breaker_success(struct ods_llm *l, struct llm_backend *b)
{
	int	was;

	(void)l;
	pthread_mutex_lock(&b->mu);
	was = b->state;
	b->state = ODS_LLM_CLOSED;
	b->fails = 0;
	b->probing = 0;
	pthread_mutex_unlock(&b->mu);
	if (was != ODS_LLM_CLOSED) {
		ods_log(ODS_LOG_INFO, "llm_breaker_closed backend=%s",
		    b->name);
		odsi_llm_metric_circuit(b);
	}
}

void
odsi_llm_breaker_failure(struct ods_llm *l, struct llm_backend *b,
    const char *reason)
{
	int	opened = 0;

	pthread_mutex_lock(&b->mu);
	b->fails++;
	if (b->state == ODS_LLM_HALF_OPEN ||
	    (b->state == ODS_LLM_CLOSED && b->fails >= l->breaker_failures)) {
		b->state = ODS_LLM_OPEN;
		b->open_until = ods_now_sec() + l->cooldown_ms / 1000.0;
		opened = 1;
	}
	b->probing = 0;
	pthread_mutex_unlock(&b->mu);
	odsi_llm_metric_failure(b->name, reason);
	if (opened) {
		ods_log(ODS_LOG_WARN, "llm_breaker_open backend=%s reason=%s "
		    "cooldown_ms=%d", b->name, reason, l->cooldown_ms);
		odsi_llm_metric_circuit(b);
	}
}

/* A probe that ended without a verdict (client went away). */
void
odsi_llm_breaker_release(struct llm_backend *b)
{
	pthread_mutex_lock(&b->mu);
	b->probing = 0;
	pthread_mutex_unlock(&b->mu);
}

/* ---- model lists ---- */

int
odsi_llm_caps_of(enum ods_llm_op op)
{
	return op == ODS_LLM_EMBEDDINGS ? LLM_CAP_EMBED : LLM_CAP_CHAT;
}

static void
free_models(char **m, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(m[i]);
	free(m);
}

/* {"data":[{"id":"m1"},...]} -> ids (malloc'ed). */
static int
parse_models(const char *body, size_t len, char ***out, size_t *n)
{
	struct json_object	*o = NULL, *data = NULL, *id;
	struct ods_why	 e;
	char			**m;
	size_t			 i, k = 0, cnt;

	if (ods_json_parse(body, len, 0, &o, &e) != ODS_OK)
		return -1;
	if (ods_json_arr(o, "data", 1, &data, &e) != ODS_OK) {
		ods_json_put(o);
		return -1;
	}
	cnt = ods_json_arr_len(data);
	if (cnt > MODELS_MAX)
		cnt = MODELS_MAX;
	m = calloc(cnt + 1, sizeof(*m));
	for (i = 0; m != NULL && i < cnt; i++) {
		if (!json_object_object_get_ex(ods_json_arr_get(data, i), "id",
		    &id) || !json_object_is_type(id, json_type_string))
			continue;
		if ((m[k] = strdup(json_object_get_string(id))) != NULL)
			k++;
	}
	ods_json_put(o);
	if (m == NULL)
		return -1;
	*out = m;
	*n = k;
	return 0;
}

/* GET base/models; on failure the last good list is kept. */
static void
fetch_models(struct ods_llm *l, struct llm_backend *b)
{
	struct ods_http_req	 req;
	struct ods_http_resp	 resp;
	char			 url[1024];
	char			**m = NULL;
	size_t			 n = 0;
	enum ods_err		 er;
	int			 ok;

	memset(&req, 0, sizeof(req));
	snprintf(url, sizeof(url), "%s/models", b->base);
	req.method = "GET";
	req.url = url;
	req.headers[req.nheaders++] = "Accept: application/json";
	if (b->auth != NULL)
		req.headers[req.nheaders++] = b->auth;
	req.limits.connect_ms = l->connect_ms;
	req.limits.total_ms = MODELS_TIMEOUT_MS;
	req.limits.max_body = MODELS_MAX_BODY;
	req.limits.insecure = l->insecure;
	er = ods_http_do(&req, &resp);
	ok = er == ODS_OK && resp.status == 200 &&
	    parse_models(resp.body.data, resp.body.len, &m, &n) == 0;
	pthread_mutex_lock(&b->mu);
	b->fetching = 0;
	b->fetched_at = ods_now_sec();
	b->latency_ms = resp.total_s * 1000.0;
	if (ok) {
		free_models(b->models, b->nmodels);
		b->models = m;
		b->nmodels = n;
	}
	b->models_ok = ok;
	pthread_cond_broadcast(&b->listed);
	pthread_mutex_unlock(&b->mu);
	if (!ok)
		ods_log(ODS_LOG_WARN, "llm_models_failed backend=%s err=%s "
		    "status=%d", b->name, ods_strerror(er), resp.status);
	ods_http_resp_fini(&resp);
}

struct refresh_job {
	struct ods_llm		*l;
	struct llm_backend	*b;
};

static void *
refresh_main(void *arg)
{
	struct refresh_job	*j = arg;

	fetch_models(j->l, j->b);
	free(j);
	return NULL;
}

/*
 * The first list is fetched by the request that needs it, and the
 * requests that come meanwhile wait for it (bounded by MODELS_TIMEOUT_MS):
 * routed without a list they went to any backend, and one that does not
 * serve the model answered 404 (measured: 20 of 256 streams opened at
 * once on a new worker, with two backends). Later lists are fetched in a
 * detached thread, so that a slow or dead backend never holds a request
 * for the length of a /models call.
 */
void
odsi_llm_models_refresh(struct ods_llm *l, struct llm_backend *b, int force)
{
	struct refresh_job	*j;
	pthread_attr_t		 at;
	pthread_t		 tid;
	int			 go = 0, first;
	double			 now = ods_now_sec();

	pthread_mutex_lock(&b->mu);
	while (b->fetched_at == 0 && b->fetching)
		pthread_cond_wait(&b->listed, &b->mu);
	first = b->fetched_at == 0;
	if (!b->fetching && b->state != ODS_LLM_OPEN && (force || first ||
	    now - b->fetched_at >= l->models_ttl_s ||
	    (!b->models_ok && now - b->fetched_at >= 2.0))) {
		b->fetching = 1;
		go = 1;
	}
	pthread_mutex_unlock(&b->mu);
	if (!go)
		return;
	if (first || force || (j = malloc(sizeof(*j))) == NULL) {
		fetch_models(l, b);
		return;
	}
	j->l = l;
	j->b = b;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&tid, &at, refresh_main, j) != 0) {
		free(j);
		pthread_mutex_lock(&b->mu);
		b->fetching = 0;
		pthread_mutex_unlock(&b->mu);
	}
	pthread_attr_destroy(&at);
}

/* 1 listed, 0 not listed, -1 list unknown. Caller holds b->mu. */
static int
serves(const struct llm_backend *b, const char *model)
{
	size_t	i;

	if (b->nmodels == 0 && !b->models_ok)
		return -1;
	for (i = 0; i < b->nmodels; i++)
		if (strcmp(b->models[i], model) == 0)
			return 1;
	return b->models_ok ? 0 : -1;
}

size_t
odsi_llm_candidates(struct ods_llm *l, enum ods_llm_op op, const char *model,
    struct llm_backend **out, size_t max)
{
	struct llm_backend	*unknown[ODS_LLM_MAX_BACKENDS];
	size_t			 i, n = 0, nu = 0;
	int			 s;

	for (i = 0; i < l->nb; i++) {
		if (!(l->b[i].caps & odsi_llm_caps_of(op)))
			continue;
		odsi_llm_models_refresh(l, &l->b[i], 0);
		pthread_mutex_lock(&l->b[i].mu);
		s = serves(&l->b[i], model);
		pthread_mutex_unlock(&l->b[i].mu);
		if (s == 1 && n < max)
			out[n++] = &l->b[i];
		else if (s < 0)
			unknown[nu++] = &l->b[i];
	}
	for (i = 0; i < nu && n < max; i++)
		out[n++] = unknown[i];
	return n;
}

/* ---- /v1/models and /health ---- */

static int
listed(char **seen, size_t n, const char *id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(seen[i], id) == 0)
			return 1;
	return 0;
}

static void
model_obj(struct ods_jw *jw, const char *id, const char *owner)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", id);
	ods_jw_kstr(jw, "object", "model");
	ods_jw_kint(jw, "created", 0);
	ods_jw_kstr(jw, "owned_by", owner);
	ods_jw_end(jw);
}

static void
backend_models(struct llm_backend *b, struct ods_jw *jw, char ***seen,
    size_t *ns)
{
	size_t	j;
	char	**s;

	pthread_mutex_lock(&b->mu);
	for (j = 0; j < b->nmodels; j++) {
		if (listed(*seen, *ns, b->models[j]))
			continue;
		if ((s = realloc(*seen, (*ns + 1) * sizeof(*s))) == NULL)
			break;
		*seen = s;
		s[(*ns)++] = b->models[j];
		model_obj(jw, b->models[j], b->name);
	}
	pthread_mutex_unlock(&b->mu);
}

void
ods_llm_models_json(struct ods_llm *l, struct ods_jw *jw)
{
	char	**seen = NULL, name[64];
	size_t	 ns = 0, i;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "object", "list");
	ods_jw_key(jw, "data");
	ods_jw_arr(jw);
	for (i = 0; i < l->nb; i++) {
		odsi_llm_models_refresh(l, &l->b[i], 0);
		backend_models(&l->b[i], jw, &seen, &ns);
	}
	for (i = 0; i < l->naliases; i++)
		if (!listed(seen, ns, l->aliases[i].from))
			model_obj(jw, l->aliases[i].from, "alias");
	if (ods_embed_model_name(ODS_EMBED_DIM_DEFAULT, name, sizeof(name)) ==
	    ODS_OK && !listed(seen, ns, name))
		model_obj(jw, name, "one-data-studio");
	free(seen);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

int
ods_llm_model_known(struct ods_llm *l, const char *model)
{
	struct llm_backend	*c[ODS_LLM_MAX_BACKENDS];
	uint32_t		 dim;

	if (ods_embed_parse_model(model, &dim) == ODS_OK)
		return 1;
	return odsi_llm_candidates(l, ODS_LLM_CHAT, ods_llm_alias(l, model), c,
	    ODS_LLM_MAX_BACKENDS) > 0 || odsi_llm_candidates(l, ODS_LLM_EMBEDDINGS,
	    ods_llm_alias(l, model), c, ODS_LLM_MAX_BACKENDS) > 0;
}

const char *
ods_llm_metric_model(struct ods_llm *l, const char *model)
{
	uint32_t	 dim;
	size_t		 i;
	int		 s;

	if (model == NULL || *model == '\0')
		return "other";
	if (ods_embed_parse_model(model, &dim) == ODS_OK)
		return dim == ODS_EMBED_DIM_DEFAULT ? model : ODS_EMBED_FAMILY;
	for (i = 0; i < l->naliases; i++)
		if (strcmp(l->aliases[i].from, model) == 0)
			return model;
	for (i = 0; i < l->nb; i++) {
		pthread_mutex_lock(&l->b[i].mu);
		s = serves(&l->b[i], model);
		pthread_mutex_unlock(&l->b[i].mu);
		/* A list not known yet vouches for nothing. */
		if (s == 1)
			return model;
	}
	return "other";
}

static const char *
state_name(enum ods_llm_breaker s)
{
	return s == ODS_LLM_OPEN ? "open" : s == ODS_LLM_HALF_OPEN ?
	    "half_open" : "closed";
}

static int
backend_json(struct ods_llm *l, struct llm_backend *b, struct ods_jw *jw)
{
	int	up;

	odsi_llm_models_refresh(l, b, 0);
	pthread_mutex_lock(&b->mu);
	up = b->models_ok && b->state != ODS_LLM_OPEN;
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "name", b->name);
	/* Open route: never the user:pass@ or ?key= of the URL. */
	ods_jw_kstr(jw, "url", b->shown);
	ods_jw_kstr(jw, "kind", b->caps == LLM_CAP_EMBED ? "embeddings" :
	    b->caps == LLM_CAP_CHAT ? "chat" : "chat,embeddings");
	ods_jw_kstr(jw, "state", state_name(b->state));
	ods_jw_kbool(jw, "available", up);
	ods_jw_kint(jw, "models", (int64_t)b->nmodels);
	ods_jw_knum(jw, "latency_ms", b->latency_ms);
	ods_jw_kint(jw, "consecutive_failures", b->fails);
	ods_jw_end(jw);
	pthread_mutex_unlock(&b->mu);
	return up;
}

int
ods_llm_health_json(struct ods_llm *l, struct ods_jw *jw)
{
	const char	*first = "none";
	size_t		 i;
	int		 up, nup = 0;

	ods_jw_kstr(jw, "llm_backend_mode", l->mode);
	ods_jw_key(jw, "backends");
	ods_jw_arr(jw);
	for (i = 0; i < l->nb; i++) {
		up = backend_json(l, &l->b[i], jw);
		if (up && nup++ == 0)
			first = l->b[i].name;
	}
	ods_jw_end(jw);
	ods_jw_kstr(jw, "backend", first);
	ods_jw_kstr(jw, "embedding_fallback", "ods-hash-embed-384");
	/* No backend at all: only the built-in embedding model answers. */
	ods_jw_kstr(jw, "status", l->nb > 0 && nup == (int)l->nb ? "ok" :
	    "degraded");
	return nup;
}

enum ods_llm_breaker
ods_llm_breaker_state(struct ods_llm *l, const char *backend)
{
	enum ods_llm_breaker	s = ODS_LLM_CLOSED;
	size_t			i;

	for (i = 0; i < l->nb; i++) {
		if (strcmp(l->b[i].name, backend) != 0)
			continue;
		pthread_mutex_lock(&l->b[i].mu);
		s = l->b[i].state;
		if (s == ODS_LLM_OPEN && ods_now_sec() >= l->b[i].open_until)
			s = ODS_LLM_HALF_OPEN;
		pthread_mutex_unlock(&l->b[i].mu);
	}
	return s;
}
