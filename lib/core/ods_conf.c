/* lib/core/ods_conf.c — the environment table (redis static_configs, fpm ini parsers). */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/ods_cidr.h"
#include "core/ods_conf.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_secret.h"
#include "core/ods_tz.h"
#include "core/ods_util.h"

enum type {
	T_STR,		/* any string */
	T_URL,		/* empty, or http(s)://... */
	T_INT,		/* decimal in [min, max] */
	T_SIZE,		/* bytes, with optional k/m/g suffix */
	T_BOOL,		/* true/false/1/0/yes/no/on/off */
	T_OCTAL,	/* file mode */
	T_LEVEL,	/* log level */
	T_ENUM		/* one of the '|'-separated words in choices */
};

#define F_SECRET	0x01	/* never printed */

struct var {
	const char	*name;
	enum type	 type;
	size_t		 off;
	const char	*def;
	long long	 min, max;
	const char	*choices;
	int		 flags;
};

#define OFF(f)	offsetof(struct ods_conf, f)
#define S(n, f, d)		{ n, T_STR, OFF(f), d, 0, 0, NULL, 0 }
#define SECRET(n, f)		{ n, T_STR, OFF(f), "", 0, 0, NULL, F_SECRET }
#define URL(n, f, d)		{ n, T_URL, OFF(f), d, 0, 0, NULL, 0 }
#define I(n, f, d, lo, hi)	{ n, T_INT, OFF(f), d, lo, hi, NULL, 0 }

static const struct var vars[] = {
	S("ENVIRONMENT", environment, "development"),
	{ "LOG_LEVEL", T_LEVEL, OFF(log_level), "info", 0, 0, NULL, 0 },
	{ "ODS_MAX_BODY_BYTES", T_SIZE, OFF(max_body_bytes), "33554432",
	    1024, 1LL << 31, NULL, 0 },
	{ "ODS_MAX_JSON_BYTES", T_SIZE, OFF(max_json_bytes), "1048576",
	    1024, 1LL << 31, NULL, 0 },
	{ "ODS_MAX_UPLOAD_BYTES", T_SIZE, OFF(max_upload_bytes),
	    "1073741824", 1024, 1LL << 40, NULL, 0 },
	I("ODS_SLOW_REQUEST_MS", slow_request_ms, "5000", 0, 3600000),
	S("ODS_DATA_DIR", data_dir, "./var/data"),

	S("ODS_LISTEN", listen, ""),
	I("ODS_WORKERS", workers, "2", 1, 1024),
	I("ODS_THREADS", threads, "0", 0, 1024),
	I("ODS_SHORT_THREADS", short_threads, "0", 0, 1024),
	I("ODS_LONG_REQUEST_MS", long_request_ms, "50", 0, 3600000),
	I("ODS_MAX_REQUESTS", max_requests, "0", 0, INT_MAX),
	I("ODS_REQUEST_TIMEOUT", request_timeout, "60", 1, 86400),
	I("ODS_DRAIN_TIMEOUT", drain_timeout, "30", 1, 86400),
	I("ODS_DRAIN_DELAY", drain_delay, "1", 0, 3600),
	{ "ODS_SOCKET_MODE", T_OCTAL, OFF(socket_mode), "0660", 0, 0777,
	    NULL, 0 },
	S("ODS_SOCKET_GROUP", socket_group, ""),
	I("ODS_LISTEN_BACKLOG", listen_backlog, "1024", 1, 65535),
	S("ODS_PID_FILE", pid_file, ""),

	S("MYSQL_HOST", mysql_host, "127.0.0.1"),
	I("MYSQL_PORT", mysql_port, "3306", 1, 65535),
	S("MYSQL_USER", mysql_user, "ods"),
	SECRET("MYSQL_PASSWORD", mysql_password),
	S("MYSQL_DATABASE", mysql_database, "one_data_studio"),
	S("ODS_MYSQL_SOCKET", mysql_socket, ""),
	I("DB_POOL_SIZE", db_pool_size, "0", 0, 1024),
	I("ODS_DB_CONNECT_TIMEOUT", db_connect_timeout, "3", 1, 300),
	I("ODS_DB_READ_TIMEOUT", db_read_timeout, "10", 1, 3600),
	I("ODS_DB_WRITE_TIMEOUT", db_write_timeout, "10", 1, 3600),
	I("ODS_DB_ACQUIRE_TIMEOUT_MS", db_acquire_timeout_ms, "2000", 1,
	    600000),
	I("ODS_DB_TIMEOUT_MS", db_timeout_ms, "5000", 100, 3600000),
	I("ODS_DB_MAX_RESULT_BYTES", db_max_result_bytes, "67108864", 65536,
	    1073741824),
	I("ODS_HEALTH_TIMEOUT_MS", health_timeout_ms, "1000", 100, 10000),

	{ "REDIS_URL", T_STR, OFF(redis_url), "redis://127.0.0.1:6379/0",
	    0, 0, NULL, F_SECRET },
	I("ODS_REDIS_TIMEOUT_MS", redis_timeout_ms, "500", 1, 60000),

	S("ODS_SCHEDULE_TZ", schedule_tz, "UTC"),

	{ "AUTH_MODE", T_BOOL, OFF(auth_mode), "true", 0, 0, NULL, 0 },
	URL("KEYCLOAK_URL", keycloak_url, ""),
	S("KEYCLOAK_REALM", keycloak_realm, "one-data-studio"),
	URL("KEYCLOAK_JWKS_URL", keycloak_jwks_url, ""),
	S("KEYCLOAK_CLIENT_ID", keycloak_client_id, "web-frontend"),
	SECRET("KEYCLOAK_CLIENT_SECRET", keycloak_client_secret),
	S("JWT_ISSUERS", jwt_issuers, ""),
	S("JWT_ALLOWED_AUDIENCES", jwt_audiences, ""),
	SECRET("JWT_SECRET_KEY", jwt_secret_key),
	SECRET("JWT_PREVIOUS_KEYS", jwt_previous_keys),
	I("ODS_JWT_LEEWAY", jwt_leeway, "30", 0, 300),
	I("ODS_JWKS_CACHE_TTL", jwks_cache_ttl, "300", 1, 86400),
	I("ODS_JWKS_REFETCH_INTERVAL", jwks_refetch_interval, "10", 1, 3600),
	I("ODS_JWKS_TIMEOUT_MS", jwks_timeout_ms, "5000", 100, 60000),
	{ "ODS_JWKS_ALLOW_HTTP", T_BOOL, OFF(jwks_allow_http), "false",
	    0, 0, NULL, 0 },
	SECRET("ODS_JWKS_CACHE_KEY", jwks_cache_key),
	S("AUTH_COOKIE_DOMAIN", auth_cookie_domain, ""),
	{ "AUTH_COOKIE_SAMESITE", T_ENUM, OFF(auth_cookie_samesite), "Lax",
	    0, 0, "Lax|Strict|None", 0 },
	{ "ODS_AUDIT_DB", T_BOOL, OFF(audit_db), "true", 0, 0, NULL, 0 },
	I("ODS_AUDIT_REPEAT_MAX", audit_repeat_max, "5", 1, 1000000),
	I("ODS_AUDIT_REPEAT_WINDOW", audit_repeat_window, "60", 1, 86400),
	{ "ODS_RATE_LIMIT_ENABLED", T_BOOL, OFF(rate_limit_enabled), "true",
	    0, 0, NULL, 0 },
	S("ODS_RATE_LIMIT_DEFAULT", rate_limit_default, "100/minute"),
	I("ODS_RATE_LIMIT_BURST", rate_limit_burst, "200", 1, 1000000),
	{ "ODS_RATE_LIMIT_FAIL_OPEN", T_BOOL, OFF(rate_limit_fail_open),
	    "true", 0, 0, NULL, 0 },
	I("ODS_AUTH_FAIL_LIMIT", auth_fail_limit, "60", 0, 1000000),
	I("ODS_AUTH_FAIL_WINDOW", auth_fail_window, "60", 1, 86400),
	S("ODS_CSRF_TRUSTED_ORIGINS", csrf_trusted_origins, ""),

	{ "LLM_BACKEND", T_ENUM, OFF(llm_backend), "auto", 0, 0,
	    "auto|vllm|ollama|openai", 0 },
	URL("VLLM_CHAT_URL", vllm_chat_url, ""),
	URL("VLLM_EMBED_URL", vllm_embed_url, ""),
	URL("OLLAMA_URL", ollama_url, ""),
	URL("OPENAI_BASE_URL", openai_base_url, ""),
	SECRET("OPENAI_API_KEY", openai_api_key),
	S("DEFAULT_CHAT_MODEL", default_chat_model, ""),
	S("DEFAULT_EMBED_MODEL", default_embed_model, ""),
	S("ODS_MODEL_ALIASES", model_aliases, ""),
	I("ODS_LLM_CONNECT_TIMEOUT_MS", llm_connect_timeout_ms, "2000", 50,
	    60000),
	I("ODS_LLM_FIRST_BYTE_TIMEOUT_MS", llm_first_byte_timeout_ms, "60000",
	    100, 3600000),
	I("ODS_LLM_TIMEOUT_S", llm_timeout_s, "600", 1, 86400),
	I("ODS_LLM_RETRIES", llm_retries, "1", 0, 5),
	I("ODS_LLM_BREAKER_FAILURES", llm_breaker_failures, "5", 1, 1000),
	I("ODS_LLM_BREAKER_COOLDOWN_MS", llm_breaker_cooldown_ms, "10000",
	    100, 3600000),
	I("ODS_LLM_MODELS_TTL_S", llm_models_ttl_s, "60", 1, 86400),
	I("ODS_LLM_USAGE_QUEUE", llm_usage_queue, "10000", 16, 1000000),
	{ "ODS_LLM_INSECURE_TLS", T_BOOL, OFF(llm_insecure_tls), "false",
	    0, 0, NULL, 0 },
	I("ODS_LLM_MAX_TOKENS_CAP", llm_max_tokens_cap, "32768", 1, 10000000),
	I("ODS_LLM_MAX_N", llm_max_n, "8", 1, 128),
	I("ODS_LLM_ESTIMATE_TOKENS", llm_estimate_tokens, "1024", 1,
	    10000000),
	I("ODS_LLM_USER_RPM", llm_user_rpm, "60", 0, 1000000),
	I("ODS_LLM_USER_TPM", llm_user_tpm, "100000", 0, 1000000000),
	I("ODS_LLM_USER_BUDGET", llm_user_budget, "0", 0, 2000000000),
	{ "ODS_LLM_USER_BUDGET_PERIOD", T_ENUM, OFF(llm_user_budget_period),
	    "day", 0, 0, "day|month", 0 },

	I("ODS_WORKER_CONCURRENCY", worker_concurrency, "4", 1, 256),
	I("ODS_JOB_LEASE_MS", job_lease_ms, "30000", 1000, 3600000),
	I("ODS_JOB_POLL_MS", job_poll_ms, "500", 10, 60000),
	I("ODS_JOB_BACKOFF_MS", job_backoff_ms, "1000", 0, 3600000),
	I("ODS_JOB_MAX_ATTEMPTS", job_max_attempts, "3", 1, 100),
	I("ODS_INGEST_SYNC_MS", ingest_sync_ms, "10000", 0, 600000),
	I("ODS_CHAT_HISTORY_TOKENS", chat_history_tokens, "6000", 100,
	    1000000),
	I("ODS_AUDIT_RETENTION_DAYS", audit_retention_days, "90", 1, 36500),

	S("MINIO_ENDPOINT", minio_endpoint, ""),
	S("MINIO_ACCESS_KEY", minio_access_key, ""),
	SECRET("MINIO_SECRET_KEY", minio_secret_key),
	S("MINIO_BUCKET", minio_bucket, ""),
	S("MINIO_DEFAULT_BUCKET", minio_default_bucket, "one-data-studio"),
	{ "MINIO_USE_SSL", T_BOOL, OFF(minio_use_ssl), "false", 0, 0, NULL,
	    0 },
	S("ODS_S3_REGION", s3_region, "us-east-1"),
	{ "ODS_S3_PATH_STYLE", T_BOOL, OFF(s3_path_style), "true", 0, 0,
	    NULL, 0 },
	/* S3 parts are 5 MiB at least (but the last), 10000 at most. */
	{ "ODS_S3_PART_BYTES", T_SIZE, OFF(s3_part_bytes), "8388608",
	    5LL << 20, 1LL << 30, NULL, 0 },
	I("ODS_S3_TIMEOUT_MS", s3_timeout_ms, "30000", 100, 3600000),
	SECRET("ODS_STORE_SIGNING_KEY", store_signing_key),
	URL("ODS_STORE_PUBLIC_URL", store_public_url, ""),

	SECRET("ODS_SECRET_KEY", secret_key),
	SECRET("ODS_SECRET_KEY_PREVIOUS", secret_key_previous),
	I("ODS_DATASOURCE_CONNECT_TIMEOUT_MS", datasource_connect_timeout_ms,
	    "5000", 100, 120000),
	S("ODS_DATASOURCE_ALLOW", datasource_allow, ""),
	S("ODS_DATASOURCE_DENY", datasource_deny, ""),
	S("ODS_DATASOURCE_SECRET_DIR", datasource_secret_dir, ""),
	I("ODS_DATASOURCE_POOL_SIZE", datasource_pool_size, "4", 1, 256),
	I("ODS_DATASOURCE_IDLE_S", datasource_idle_s, "60", 1, 86400),
	I("ODS_QUERY_TIMEOUT_MS", query_timeout_ms, "30000", 100, 3600000),
	I("ODS_QUERY_MAX_ROWS", query_max_rows, "10000", 1, 1000000),
	S("ODS_QUALITY_WEBHOOK_URL", quality_webhook_url, ""),

	S("HTTP_TOOL_ALLOWED_DOMAINS", http_tool_domains, ""),
	S("ODS_HTTP_TOOL_ALLOW", http_tool_allow, ""),
	I("ODS_TOOL_TIMEOUT_MS", tool_timeout_ms, "10000", 100, 600000),
	I("ODS_AGENT_MAX_TOKENS", agent_max_tokens, "32000", 100, 10000000),
	I("ODS_WF_PARALLEL", wf_parallel, "4", 1, 64),
};

static const char *const level_names[] = { "debug", "info", "warn", "error" };

static int
parse_ll(const char *s, long long *out, int base)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, base);
	if (errno != 0 || end == s)
		return -1;
	*out = v;
	return end - s;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "1", "true", "yes", "on" };
	static const char *const no[] = { "0", "false", "no", "off" };
	size_t			 i;

	for (i = 0; i < ODS_NELEM(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

static int
parse_size(const char *s, long long *out)
{
	long long	v;
	int		n;

	if ((n = parse_ll(s, &v, 10)) < 0 || v < 0)
		return -1;
	switch (s[n] | 0x20) {
	case 'k':
		v <<= 10, n++;
		break;
	case 'm':
		v <<= 20, n++;
		break;
	case 'g':
		v <<= 30, n++;
		break;
	default:
		break;
	}
	if (s[n] != '\0' && !((s[n] | 0x20) == 'b' && s[n + 1] == '\0'))
		return -1;
	*out = v;
	return 0;
}

static int
enum_ok(const char *choices, const char *v)
{
	const char	*p = choices, *bar;
	size_t		 n;

	while (*p != '\0') {
		bar = strchr(p, '|');
		n = bar != NULL ? (size_t)(bar - p) : strlen(p);
		if (strlen(v) == n && strncasecmp(p, v, n) == 0)
			return 1;
		p += n + (bar != NULL);
	}
	return 0;
}

static void
set_str(struct ods_conf *c, const struct var *v, const char *val)
{
	char	**p = (char **)((char *)c + v->off);

	free(*p);
	*p = ods_xstrdup(val);
}

/* Apply one value; on error write the reason into why. */
static enum ods_err
apply(struct ods_conf *c, const struct var *v, const char *val, struct ods_why *why)
{
	long long	 n;
	int		 b, lvl;
	void		*p = (char *)c + v->off;

	switch (v->type) {
	case T_STR:
		set_str(c, v, val);
		return ODS_OK;
	case T_URL:
		if (*val != '\0' && strncmp(val, "http://", 7) != 0 &&
		    strncmp(val, "https://", 8) != 0) {
			ods_why_set(why, NULL, "must be an http:// or https:// URL");
			return ODS_EINVAL;
		}
		set_str(c, v, val);
		return ODS_OK;
	case T_ENUM:
		if (!enum_ok(v->choices, val)) {
			ods_why_set(why, NULL, "must be one of %s", v->choices);
			return ODS_EINVAL;
		}
		set_str(c, v, val);
		return ODS_OK;
	case T_LEVEL:
		if ((lvl = ods_log_level_parse(val)) < 0) {
			ods_why_set(why, NULL, "must be debug, info, warn or error");
			return ODS_EINVAL;
		}
		*(int *)p = lvl;
		return ODS_OK;
	case T_BOOL:
		if (parse_bool(val, &b) < 0) {
			ods_why_set(why, NULL, "must be true or false");
			return ODS_EINVAL;
		}
		*(int *)p = b;
		return ODS_OK;
	case T_SIZE:
		if (parse_size(val, &n) < 0 || n < v->min || n > v->max) {
			ods_why_set(why, NULL, "must be a size in bytes (k/m/g "
			    "suffix allowed) from %lld to %lld", v->min, v->max);
			return ODS_EINVAL;
		}
		*(size_t *)p = (size_t)n;
		return ODS_OK;
	case T_INT:
	case T_OCTAL:
		b = parse_ll(val, &n, v->type == T_OCTAL ? 8 : 10);
		if (b < 0 || val[b] != '\0' || n < v->min || n > v->max) {
			ods_why_set(why, NULL, v->type == T_OCTAL ?
			    "must be an octal mode from %llo to %llo" :
			    "must be an integer from %lld to %lld",
			    v->min, v->max);
			return ODS_EINVAL;
		}
		*(int *)p = (int)n;
		return ODS_OK;
	}
	return ODS_EINTERNAL;
}

/* "100/minute" -> 100 requests per 60 seconds. */
static int
rate_parse(const char *s, int *count, int *window)
{
	static const struct {
		const char	*unit;
		int		 seconds;
	} units[] = { { "second", 1 }, { "minute", 60 }, { "hour", 3600 },
	    { "day", 86400 } };
	long long	 n;
	size_t		 i;
	int		 len;

	if ((len = parse_ll(s, &n, 10)) <= 0 || n < 1 || n > 1000000 ||
	    s[len] != '/')
		return -1;
	for (i = 0; i < ODS_NELEM(units); i++) {
		if (strcasecmp(s + len + 1, units[i].unit) == 0) {
			*count = (int)n;
			*window = units[i].seconds;
			return 0;
		}
	}
	return -1;
}

static const struct var *
lookup(const char *name)
{
	size_t	i;

	for (i = 0; i < ODS_NELEM(vars); i++)
		if (strcmp(vars[i].name, name) == 0)
			return &vars[i];
	return NULL;
}

struct ods_conf *
ods_conf_new(void)
{
	struct ods_conf	*c = ods_xcalloc(1, sizeof(*c));
	struct ods_why		 why;
	size_t		 i;

	for (i = 0; i < ODS_NELEM(vars); i++) {
		/* Defaults are constants of this file: they must parse. */
		if (apply(c, &vars[i], vars[i].def, &why) != ODS_OK)
			abort();
	}
	if (rate_parse(c->rate_limit_default, &c->rate_limit_count,
	    &c->rate_limit_window) < 0)
		abort();
	return c;
}

void
ods_conf_free(struct ods_conf *c)
{
	size_t	i;

	if (c == NULL)
		return;
	for (i = 0; i < ODS_NELEM(vars); i++) {
		if (vars[i].type == T_STR || vars[i].type == T_URL ||
		    vars[i].type == T_ENUM)
			free(*(char **)((char *)c + vars[i].off));
	}
	free(c);
}

enum ods_err
ods_conf_set(struct ods_conf *c, const char *name, const char *value,
    struct ods_why *why)
{
	struct ods_why		 buf;
	const struct var	*v;

	if (why == NULL)
		why = &buf;
	if ((v = lookup(name)) == NULL) {
		ods_why_set(why, NULL, "unknown setting");
		return ODS_ENOTFOUND;
	}
	return apply(c, v, value, why);
}

static void
report_bad(FILE *report, const char *name, const char *why)
{
	if (report != NULL)
		fprintf(report, "config error: %s: %s\n", name, why);
	else
		ods_log(ODS_LOG_ERR, "config_invalid name=%s reason=%s", name,
		    why);
}

int
ods_conf_alias_next(const char **pos, const char **item, size_t *len,
    size_t *eq)
{
	const char	*p = *pos, *e;
	size_t		 n;

	while (*p == ' ' || *p == ',')
		p++;
	if (*p == '\0') {
		*pos = p;
		return 0;
	}
	n = strcspn(p, ",");
	*pos = p + n;
	while (n > 0 && p[n - 1] == ' ')
		n--;
	*item = p;
	*len = n;
	e = memchr(p, '=', n);
	if (e == NULL || e == p || e == p + n - 1)
		return -1;
	*eq = (size_t)(e - p);
	return 1;
}

/* Every ODS_MODEL_ALIASES item is alias=model; reports the first that is not. */
static int
aliases_check(const char *s, FILE *report)
{
	char		 msg[160];
	const char	*item;
	size_t		 len, eq;
	int		 rc;

	while ((rc = ods_conf_alias_next(&s, &item, &len, &eq)) != 0) {
		if (rc > 0)
			continue;
		snprintf(msg, sizeof(msg), "'%.*s' is not alias=model",
		    (int)(len > 60 ? 60 : len), item);
		report_bad(report, "ODS_MODEL_ALIASES", msg);
		return 1;
	}
	return 0;
}

/* ODS_SCHEDULE_TZ names a zone of the tz database (or UTC). */
static int
tz_check(const char *name, FILE *report)
{
	struct ods_tz	*tz = NULL;
	struct ods_why	 why = { .msg = "" };

	if (ods_tz_load(name, &tz, &why) == ODS_OK) {
		ods_tz_free(tz);
		return 0;
	}
	report_bad(report, "ODS_SCHEDULE_TZ", why.msg);
	return 1;
}

/*
 * What a test bench may do and production may not: skip the upstream's
 * certificate check, or fetch the keys that sign every token over plain
 * HTTP (anyone on the path could swap them and mint tokens). A cluster
 * whose Keycloak is reached inside a mesh says so with
 * ODS_JWKS_ALLOW_HTTP=true.
 */
static int
production_check(const struct ods_conf *c, FILE *report)
{
	const char	*name = "KEYCLOAK_URL", *url = c->keycloak_url;
	int		 bad = 0;

	if (!c->production)
		return 0;
	if (c->llm_insecure_tls) {
		report_bad(report, "ODS_LLM_INSECURE_TLS",
		    "cannot be true when ENVIRONMENT=production");
		bad++;
	}
	if (*c->keycloak_jwks_url != '\0') {
		name = "KEYCLOAK_JWKS_URL";
		url = c->keycloak_jwks_url;
	}
	if (!c->jwks_allow_http && strncasecmp(url, "http://", 7) == 0) {
		report_bad(report, name, "must be https:// when "
		    "ENVIRONMENT=production (or set ODS_JWKS_ALLOW_HTTP=true)");
		bad++;
	}
	return bad;
}

/* The object store's settings that go together. */
static int
store_check(const struct ods_conf *c, FILE *report)
{
	int	bad = 0;

	if (*c->minio_endpoint != '\0' && (*c->minio_access_key == '\0' ||
	    *c->minio_secret_key == '\0')) {
		report_bad(report, "MINIO_ENDPOINT", "needs MINIO_ACCESS_KEY "
		    "and MINIO_SECRET_KEY");
		bad++;
	}
	if (*c->store_signing_key != '\0' &&
	    strlen(c->store_signing_key) < 32) {
		report_bad(report, "ODS_STORE_SIGNING_KEY",
		    "must be at least 32 bytes long");
		bad++;
	}
	return bad;
}

/* The data sources' keys and address lists parse (never echoing a key). */
static int
datasource_check(const struct ods_conf *c, FILE *report)
{
	struct ods_secret	*sec = NULL;
	struct ods_cidr		*v = NULL;
	struct ods_why		 why;
	size_t			 n;
	int			 bad = 0;

	memset(&why, 0, sizeof(why));
	if (ods_secret_new(c->secret_key, c->secret_key_previous, &sec,
	    &why) != ODS_OK) {
		report_bad(report, why.field, why.msg);
		bad++;
	}
	ods_secret_free(sec);
	if (ods_cidr_list_parse(c->datasource_allow, &v, &n, &why) !=
	    ODS_OK) {
		report_bad(report, "ODS_DATASOURCE_ALLOW", why.msg);
		bad++;
	}
	free(v);
	if (ods_cidr_list_parse(c->datasource_deny, &v, &n, &why) != ODS_OK) {
		report_bad(report, "ODS_DATASOURCE_DENY", why.msg);
		bad++;
	}
	free(v);
	if (ods_cidr_list_parse(c->http_tool_allow, &v, &n, &why) != ODS_OK) {
		report_bad(report, "ODS_HTTP_TOOL_ALLOW", why.msg);
		bad++;
	}
	free(v);
	return bad;
}

/* Checks that involve more than one variable. */
static int
check_cross(struct ods_conf *c, FILE *report)
{
	int	bad = 0;

	c->production = strcasecmp(c->environment, "production") == 0 ||
	    strcasecmp(c->environment, "prod") == 0;
	if (c->production && !c->auth_mode) {
		report_bad(report, "AUTH_MODE",
		    "authentication cannot be off when ENVIRONMENT=production");
		bad++;
	}
	if (*c->jwt_secret_key != '\0' && strlen(c->jwt_secret_key) < 32) {
		report_bad(report, "JWT_SECRET_KEY",
		    "must be at least 32 bytes long");
		bad++;
	}
	if (*c->jwks_cache_key != '\0' && strlen(c->jwks_cache_key) < 32) {
		report_bad(report, "ODS_JWKS_CACHE_KEY",
		    "must be at least 32 bytes long");
		bad++;
	}
	if (rate_parse(c->rate_limit_default, &c->rate_limit_count,
	    &c->rate_limit_window) < 0) {
		report_bad(report, "ODS_RATE_LIMIT_DEFAULT", "must be N/second, "
		    "N/minute, N/hour or N/day with N from 1 to 1000000");
		bad++;
	}
	bad += aliases_check(c->model_aliases, report);
	bad += tz_check(c->schedule_tz, report);
	bad += store_check(c, report);
	bad += datasource_check(c, report);
	bad += production_check(c, report);
	if (*c->openai_base_url != '\0' && *c->openai_api_key == '\0' &&
	    strcasecmp(c->llm_backend, "openai") == 0) {
		report_bad(report, "OPENAI_API_KEY",
		    "required when LLM_BACKEND=openai");
		bad++;
	}
	return bad;
}

enum ods_err
ods_conf_load_env(struct ods_conf *c, FILE *report)
{
	const char	*val;
	struct ods_why		 why;
	size_t		 i;
	int		 bad = 0;

	for (i = 0; i < ODS_NELEM(vars); i++) {
		if ((val = getenv(vars[i].name)) == NULL)
			continue;
		if (apply(c, &vars[i], val, &why) != ODS_OK) {
			report_bad(report, vars[i].name, why.msg);
			bad++;
		}
	}
	bad += check_cross(c, report);
	return bad > 0 ? ODS_EINVAL : ODS_OK;
}

/* Copy the bytes [p, end) URL-decoded into a new string. */
static char *
pct_dup(const char *p, const char *end)
{
	char	*out = ods_xmalloc((size_t)(end - p) + 1), *o = out;
	int	 hi, lo;

	while (p < end) {
		if (*p == '%' && end - p >= 3 &&
		    (hi = ods_hexval(p[1])) >= 0 &&
		    (lo = ods_hexval(p[2])) >= 0) {
			*o++ = (char)(hi << 4 | lo);
			p += 3;
		} else
			*o++ = *p++;
	}
	*o = '\0';
	return out;
}

static void
take_str(char **field, char *val)
{
	free(*field);
	*field = val;
}

enum ods_err
ods_conf_set_db_dsn(struct ods_conf *c, const char *dsn)
{
	const char	*p, *at, *slash, *colon, *hostend;
	long long	 port = 3306;
	int		 n;

	if (strncmp(dsn, "mysql://", 8) != 0 &&
	    strncmp(dsn, "mariadb://", 10) != 0)
		return ODS_EINVAL;
	p = strstr(dsn, "://") + 3;
	if ((slash = strchr(p, '/')) == NULL || slash[1] == '\0')
		return ODS_EINVAL;
	/* The password may hold '@': the last one before the path wins. */
	at = NULL;
	for (hostend = p; hostend < slash; hostend++)
		if (*hostend == '@')
			at = hostend;
	if (at != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		take_str(&c->mysql_user, pct_dup(p, colon ? colon : at));
		take_str(&c->mysql_password,
		    colon ? pct_dup(colon + 1, at) : ods_xstrdup(""));
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(slash - p));
	if (colon != NULL) {
		n = parse_ll(colon + 1, &port, 10);
		if (n < 0 || colon + 1 + n != slash || port < 1 || port > 65535)
			return ODS_EINVAL;
	}
	if ((colon ? colon : slash) == p)
		return ODS_EINVAL;
	take_str(&c->mysql_host, pct_dup(p, colon ? colon : slash));
	c->mysql_port = (int)port;
	take_str(&c->mysql_database, pct_dup(slash + 1, slash + 1 +
	    strcspn(slash + 1, "?")));
	return ODS_OK;
}

void
ods_conf_dump(const struct ods_conf *c, FILE *fp)
{
	const struct var	*v;
	const void		*p;
	size_t			 i;

	for (i = 0; i < ODS_NELEM(vars); i++) {
		v = &vars[i];
		p = (const char *)c + v->off;
		fprintf(fp, "%s=", v->name);
		switch (v->type) {
		case T_STR:
		case T_URL:
		case T_ENUM:
			if ((v->flags & F_SECRET) && **(char *const *)p != '\0')
				fputs("(set, hidden)", fp);
			else
				fputs(*(char *const *)p, fp);
			break;
		case T_INT:
			fprintf(fp, "%d", *(const int *)p);
			break;
		case T_OCTAL:
			fprintf(fp, "0%o", *(const int *)p);
			break;
		case T_BOOL:
			fputs(*(const int *)p ? "true" : "false", fp);
			break;
		case T_SIZE:
			fprintf(fp, "%zu", *(const size_t *)p);
			break;
		case T_LEVEL:
			fputs(level_names[*(const int *)p], fp);
			break;
		}
		fputc('\n', fp);
	}
}

int
ods_env_file_read(FILE *fp, const char *name, FILE *report,
    struct ods_env_line **lines, size_t *n)
{
	struct ods_env_line	*out = NULL;
	char			*line = NULL, *k, *v, *end;
	size_t			 cap = 0, nout = 0;
	ssize_t			 len;
	int			 lineno = 0, bad = 0;

	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (memchr(line, '\0', (size_t)len) != NULL) {
			fprintf(report, "config error: %s:%d: NUL byte in "
			    "line\n", name, lineno);
			bad++;
			continue;
		}
		k = line + strspn(line, " \t");
		if (*k == '#' || *k == '\n' || *k == '\0')
			continue;
		end = k + strcspn(k, "\r\n");
		*end = '\0';
		if (strncmp(k, "export ", 7) == 0)
			k += 7;
		if ((v = strchr(k, '=')) == NULL || v == k) {
			fprintf(report, "config error: %s:%d: expected "
			    "KEY=VALUE\n", name, lineno);
			bad++;
			continue;
		}
		*v++ = '\0';
		if (end - v >= 2 && (*v == '"' || *v == '\'') &&
		    end[-1] == *v) {
			end[-1] = '\0';
			v++;
		}
		out = ods_xrealloc(out, (nout + 1) * sizeof(*out));
		out[nout].key = ods_xstrdup(k);
		out[nout].val = ods_xstrdup(v);
		nout++;
	}
	if (ferror(fp)) {
		fprintf(report, "config error: %s: read error\n", name);
		bad++;
	}
	free(line);
	*lines = out;
	*n = nout;
	return bad;
}

void
ods_env_lines_free(struct ods_env_line *lines, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(lines[i].key);
		free(lines[i].val);
	}
	free(lines);
}
