/*
 * fcgi/agent/h_agent.c — the Agent API pool's context: its LLM client,
 * the local indexes of the knowledge bases and the thread that keeps
 * them following MariaDB.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ods.h"
#include "../../svc/agent/kb.h"
#include "../../svc/agent/rag.h"
#include "../../svc/data/datasource.h"
#include "../common/h_auth.h"
#include "h_agent.h"

#define FOLLOW_MS	1000	/* the follower's round */

struct agent_ctx {
	struct h_agent	 pub;
	pthread_t	 follower;
	int		 running;
	volatile int	 stop;
};

/*
 * Keep the indexes of every KB up to date on this machine (the writer
 * applies changes; a reader retries to become the writer if it died), so
 * a query rarely has to wait for a catch-up.
 */
static void *
follow(void *arg)
{
	struct agent_ctx	*ac = arg;
	int			 i;

	while (!ac->stop) {
		ods_rag_sync_all(ac->pub.rag);
		for (i = 0; i < FOLLOW_MS / 100 && !ac->stop; i++)
			usleep(100 * 1000);
	}
	return NULL;
}

enum ods_err
h_agent_init(const struct ods_req_env *env, void **ctx)
{
	struct agent_ctx	*ac = ods_xcalloc(1, sizeof(*ac));
	sigset_t		 all, old;
	char			 root[4096];

	ac->pub.llm = ods_llm_new(env->conf);
	ac->pub.sync_ms = env->conf->ingest_sync_ms;
	if (env->db != NULL)
		ac->pub.usage = ods_llm_usage_new(env->conf);
	snprintf(root, sizeof(root), "%s/index", env->conf->data_dir);
	ac->pub.rag = ods_rag_new(root, env->db, ac->pub.llm);
	/* The lists were checked at start-up: a failure here leaves the
	 * SQL tools unavailable (503), not the pool down. */
	if (ods_ds_ctx_new(env->conf, &ac->pub.ds, NULL) != ODS_OK)
		ac->pub.ds = NULL;
	/* Signals belong to the worker's main thread (local-stack.md). */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	if (env->db != NULL &&
	    pthread_create(&ac->follower, NULL, follow, ac) == 0)
		ac->running = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	*ctx = ac;
	return ODS_OK;
}

void
h_agent_fini(void *ctx)
{
	struct agent_ctx	*ac = ctx;

	if (ac == NULL)
		return;
	ac->stop = 1;
	/* A graph merge of a large KB takes its thread for a minute. */
	ods_rag_stop(ac->pub.rag);
	if (ac->running)
		pthread_join(ac->follower, NULL);
	ods_llm_usage_free(ac->pub.usage);
	ods_rag_free(ac->pub.rag);
	ods_ds_ctx_free(ac->pub.ds);
	ods_llm_free(ac->pub.llm);
	free(ac);
}

struct h_agent *
h_agent(struct ods_req *r)
{
	return ods_req_ctx(r);
}

struct ods_kb *
h_kb_of(struct ods_req *r, struct ods_resp *w, const char *id,
    const char *collection, int create, enum ods_status *hs)
{
	struct ods_kb	*kb = NULL;
	enum ods_err	 er;

	if (id != NULL && *id != '\0')
		er = ods_kb_get(ods_req_db(r), id, h_owner(r), &kb);
	else {
		if (collection == NULL || *collection == '\0')
			collection = "default";
		er = ods_kb_by_collection(ods_req_db(r), h_agent(r)->llm,
		    collection, h_owner(r), create ? h_user(r) : NULL, &kb);
		if (er == ODS_EINVAL) {
			*hs = ods_resp_error_ex(w, ODS_EINVAL,
			    ODS_C_INVALID_FIELD, "invalid_field", "a "
			    "collection name has 1 to 128 letters, digits, "
			    "'_', '-' or '.'");
			return NULL;
		}
	}
	if (er == ODS_ENOTFOUND) {
		*hs = ods_resp_error_ex(w, ODS_ENOTFOUND,
		    ODS_C_ENTITY_NOT_FOUND, "not_found",
		    "no such knowledge base");
		return NULL;
	}
	if (er != ODS_OK) {
		*hs = ods_resp_error(w, er, "could not read the knowledge "
		    "base");
		return NULL;
	}
	return kb;
}

void
h_agent_account(struct ods_req *r, const struct h_llm_call *c)
{
	struct ods_llm_usage_rec	 rec;
	const struct ods_principal	*p = ods_req_principal(r);
	const struct ods_llm_usage	*u = c->usage;

	ods_metrics_ai("agent-api", ods_llm_metric_model(h_agent(r)->llm,
	    c->model), c->er == ODS_OK ? "success" : c->er == ODS_ETIMEOUT ?
	    "timeout" : "error", c->seconds, (uint64_t)u->prompt_tokens,
	    (uint64_t)u->completion_tokens);
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.request_id, sizeof(rec.request_id), "%s",
	    ods_req_id(r));
	if (p != NULL && p->key_id != NULL)
		snprintf(rec.key_id, sizeof(rec.key_id), "%s", p->key_id);
	snprintf(rec.user_id, sizeof(rec.user_id), "%s", h_user(r));
	snprintf(rec.service, sizeof(rec.service), "agent-api");
	snprintf(rec.endpoint, sizeof(rec.endpoint), "%s", c->endpoint);
	snprintf(rec.model, sizeof(rec.model), "%s", c->model);
	if (c->app_id != NULL)
		snprintf(rec.app_id, sizeof(rec.app_id), "%s", c->app_id);
	if (c->end_user != NULL)
		snprintf(rec.end_user, sizeof(rec.end_user), "%s",
		    c->end_user);
	rec.stream = c->stream;
	rec.prompt_tokens = u->prompt_tokens;
	rec.completion_tokens = u->completion_tokens;
	rec.latency_ms = (int)(c->seconds * 1000);
	rec.status = c->status;
	ods_llm_usage_record(h_agent(r)->usage, &rec);
}
