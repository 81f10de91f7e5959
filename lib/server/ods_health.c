/* lib/server/ods_health.c — readiness and liveness. */
#include "config.h"

#include <unistd.h>

#include "auth/ods_auth.h"
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "server/ods_health.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "store/ods_obj.h"
#include "store/ods_redis.h"

struct check {
	enum ods_err	er;
	double		ms;
	int		configured;
	int		skipped;
	const char	*backend;	/* storage: "directory" or "s3" */
};

static void
check_write(struct ods_jw *jw, const char *name, const struct check *c)
{
	ods_jw_key(jw, name);
	ods_jw_obj(jw);
	if (c->backend != NULL)
		ods_jw_kstr(jw, "backend", c->backend);
	if (!c->configured)
		ods_jw_kstr(jw, "status", "not_configured");
	else if (c->skipped)
		ods_jw_kstr(jw, "status", "skipped");
	else if (c->er == ODS_OK) {
		ods_jw_kstr(jw, "status", "healthy");
		ods_jw_knum(jw, "latency_ms", (double)(int64_t)(c->ms * 1000) /
		    1000);
	} else {
		ods_jw_kstr(jw, "status", "unhealthy");
		ods_jw_kstr(jw, "error", ods_strerror(c->er));
		ods_jw_knum(jw, "latency_ms", (double)(int64_t)(c->ms * 1000) /
		    1000);
	}
	ods_jw_end(jw);
}

/*
 * The rate limiter lives in Redis; with Redis gone it allows every
 * request or refuses with 503 (ODS_RATE_LIMIT_FAIL_OPEN). Informational:
 * readiness does not depend on it.
 */
static void
rate_limit_write(struct ods_jw *jw, const struct ods_req_env *env,
    const struct check *rd)
{
	const struct ods_conf	*c = env->conf;
	int			 ok;

	ods_jw_key(jw, "rate_limit");
	ods_jw_obj(jw);
	if (c == NULL || !c->auth_mode || !c->rate_limit_enabled)
		ods_jw_kstr(jw, "status", "disabled");
	else {
		ok = rd->configured && (rd->skipped || rd->er == ODS_OK) &&
		    ods_auth_ratelimit_healthy(env->auth);
		ods_jw_kstr(jw, "status", ok ? "healthy" : "degraded");
		ods_jw_kstr(jw, "when_redis_down", c->rate_limit_fail_open ?
		    "allow" : "refuse");
	}
	ods_jw_end(jw);
}

/*
 * The object store's probe is bounded well inside the 2 s readiness
 * budget, after the database's.
 */
#define STORAGE_TIMEOUT_MS	800

/* The report's fields, written into the current object. */
static void
report_fields(struct ods_jw *jw, const struct ods_req_env *env,
    const char *status, const struct check *db, const struct check *rd,
    const struct check *st)
{
	ods_jw_kstr(jw, "status", status);
	ods_jw_kstr(jw, "service", env->service);
	ods_jw_kstr(jw, "version", env->version);
	ods_jw_key(jw, "checks");
	ods_jw_obj(jw);
	check_write(jw, "database", db);
	check_write(jw, "redis", rd);
	check_write(jw, "storage", st);
	rate_limit_write(jw, env, rd);
	ods_jw_end(jw);
}

static enum ods_status
health(struct ods_req *r, struct ods_resp *w, int need_db)
{
	const struct ods_req_env	*env = ods_req_env(r);
	struct check			 db = { ODS_OK, 0, 0, 0 };
	struct check			 rd = { ODS_OK, 0, 0, 0 };
	struct check			 st = { ODS_OK, 0, 0, 0 };
	struct ods_jw			*jw;
	const char			*status;
	int				 draining, ok;

	/*
	 * A draining worker answers 503 at once: the load balancer must stop
	 * sending before the pings (up to their timeouts against a dead
	 * server) would tell it anything.
	 */
	draining = env->draining != NULL && *env->draining;
	db.configured = env->db != NULL;
	rd.configured = env->redis != NULL;
	st.configured = env->obj != NULL;
	if (st.configured)
		st.backend = ods_obj_backend(env->obj);
	db.skipped = rd.skipped = st.skipped = draining;
	if (db.configured && !draining)
		db.er = ods_db_check(env->db, &db.ms);
	if (rd.configured && !draining)
		rd.er = ods_redis_ping(env->redis, &rd.ms);
	if (st.configured && !draining)
		st.er = ods_obj_check(env->obj, STORAGE_TIMEOUT_MS, &st.ms);
	/* Objects are part of the service, as the reference's MinIO was. */
	ok = !draining && (!need_db || (db.configured && db.er == ODS_OK &&
	    st.er == ODS_OK));
	status = draining ? "draining" : !ok ? "degraded" :
	    (db.er != ODS_OK || rd.er != ODS_OK || st.er != ODS_OK) ?
	    "degraded" : "healthy";
	jw = ods_resp_json(w, ok ? ODS_HTTP_200 : ODS_HTTP_503);
	ods_jw_obj(jw);
	ods_jw_kint(jw, "code", ok ? 0 : 1);
	ods_jw_kstr(jw, "message", status);
	ods_jw_kstr(jw, "request_id", ods_req_id(r));
	ods_jw_key(jw, "data");
	ods_jw_obj(jw);
	report_fields(jw, env, status, &db, &rd, &st);
	ods_jw_end(jw);
	/* The reference's clients read these at the top level. */
	report_fields(jw, env, status, &db, &rd, &st);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
ods_health_ready(struct ods_req *r, struct ods_resp *w)
{
	return health(r, w, 1);
}

enum ods_status
ods_health_report(struct ods_req *r, struct ods_resp *w)
{
	return health(r, w, 0);
}

/*
 * getpid() is a system call on every glibc since 2.25; liveness is the
 * hottest route.  Request threads start after the worker's fork, so a
 * per-thread copy is never stale.
 */
static pid_t
self_pid(void)
{
	static _Thread_local pid_t	 pid;

	if (pid == 0)
		pid = getpid();
	return pid;
}

enum ods_status
ods_health_live(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_jw			*jw;

	jw = ods_resp_envelope(w, ODS_HTTP_200, "alive");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "status", "alive");
	ods_jw_kstr(jw, "service", env->service);
	ods_jw_kint(jw, "pid", (int64_t)self_pid());
	ods_jw_end(jw);
	return ods_resp_send(w);
}

enum ods_status
ods_health_metrics(struct ods_req *r, struct ods_resp *w)
{
	const struct ods_req_env	*env = ods_req_env(r);
	struct ods_buf			 b;
	enum ods_status			 st;
	enum ods_err			 er;

	if (env->metrics == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "metrics are off");
	if (env->scrape != NULL)
		env->scrape(env, env->ctx);
	ods_buf_init(&b, 64u << 20);
	if ((er = ods_metrics_render(env->metrics, &b)) != ODS_OK)
		st = ods_resp_error(w, ODS_EUNAVAIL, ods_strerror(er));
	else
		st = ods_resp_raw(w, ODS_HTTP_200, ODS_METRICS_CONTENT_TYPE,
		    b.data, b.len);
	ods_buf_free(&b);
	return st;
}
