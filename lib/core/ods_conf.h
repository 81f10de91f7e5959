/* lib/core/ods_conf.h — configuration from the environment, through one table. */
#ifndef ODS_CONF_H
#define ODS_CONF_H

#include <stddef.h>
#include <stdio.h>

#include "core/ods_err.h"

/*
 * Read once at start-up, then passed down as const and never written.
 * Strings are owned by the struct (never NULL: unset means ""). The names
 * of the variables are in the table in ods_conf.c and in README.md.
 */
struct ods_conf {
	/* runtime */
	char	*environment;		/* ENVIRONMENT */
	int	 production;		/* derived: ENVIRONMENT=production|prod */
	int	 log_level;		/* LOG_LEVEL, enum ods_log_level */
	size_t	 max_body_bytes;	/* ODS_MAX_BODY_BYTES */
	size_t	 max_json_bytes;	/* ODS_MAX_JSON_BYTES */
	size_t	 max_upload_bytes;	/* ODS_MAX_UPLOAD_BYTES */
	int	 slow_request_ms;	/* ODS_SLOW_REQUEST_MS */
	char	*data_dir;		/* ODS_DATA_DIR: objects, vector index */

	/* process model (flags override) */
	char	*listen;		/* ODS_LISTEN */
	int	 workers;		/* ODS_WORKERS */
	int	 threads;		/* ODS_THREADS; 0 = program default */
	int	 short_threads;		/* ODS_SHORT_THREADS; 0 = automatic */
	int	 long_request_ms;	/* ODS_LONG_REQUEST_MS; 0 = streams */
	int	 max_requests;		/* ODS_MAX_REQUESTS; 0 = never */
	int	 request_timeout;	/* ODS_REQUEST_TIMEOUT, seconds */
	int	 drain_timeout;		/* ODS_DRAIN_TIMEOUT, seconds */
	int	 drain_delay;		/* ODS_DRAIN_DELAY: 503 before stopping */
	int	 socket_mode;		/* ODS_SOCKET_MODE, octal */
	char	*socket_group;		/* ODS_SOCKET_GROUP: name or gid */
	int	 listen_backlog;	/* ODS_LISTEN_BACKLOG */
	char	*pid_file;		/* ODS_PID_FILE */

	/* MariaDB */
	char	*mysql_host;		/* MYSQL_HOST */
	int	 mysql_port;		/* MYSQL_PORT */
	char	*mysql_user;		/* MYSQL_USER */
	char	*mysql_password;	/* MYSQL_PASSWORD (secret) */
	char	*mysql_database;	/* MYSQL_DATABASE */
	char	*mysql_socket;		/* ODS_MYSQL_SOCKET */
	int	 db_pool_size;		/* DB_POOL_SIZE; 0 = one per thread */
	int	 db_connect_timeout;	/* ODS_DB_CONNECT_TIMEOUT, seconds */
	int	 db_read_timeout;	/* ODS_DB_READ_TIMEOUT, seconds */
	int	 db_write_timeout;	/* ODS_DB_WRITE_TIMEOUT, seconds */
	int	 db_acquire_timeout_ms;	/* ODS_DB_ACQUIRE_TIMEOUT_MS */
	int	 db_timeout_ms;		/* ODS_DB_TIMEOUT_MS: acquire to release */
	int	 db_max_result_bytes;	/* ODS_DB_MAX_RESULT_BYTES */
	int	 health_timeout_ms;	/* ODS_HEALTH_TIMEOUT_MS */

	/* Redis */
	char	*redis_url;		/* REDIS_URL (may hold a password) */
	int	 redis_timeout_ms;	/* ODS_REDIS_TIMEOUT_MS */

	/* schedules (ods_sched) */
	char	*schedule_tz;		/* ODS_SCHEDULE_TZ: the zone of a
					   schedule that names none */

	/* auth (used by ods_auth) */
	int	 auth_mode;		/* AUTH_MODE */
	char	*keycloak_url;		/* KEYCLOAK_URL */
	char	*keycloak_realm;	/* KEYCLOAK_REALM */
	char	*keycloak_jwks_url;	/* KEYCLOAK_JWKS_URL */
	char	*keycloak_client_id;	/* KEYCLOAK_CLIENT_ID */
	char	*keycloak_client_secret; /* KEYCLOAK_CLIENT_SECRET (secret) */
	char	*jwt_issuers;		/* JWT_ISSUERS, comma separated */
	char	*jwt_audiences;		/* JWT_ALLOWED_AUDIENCES: clients
					   besides keycloak_client_id */
	char	*jwt_secret_key;	/* JWT_SECRET_KEY (secret, >= 32 bytes) */
	char	*jwt_previous_keys;	/* JWT_PREVIOUS_KEYS (secret) */
	int	 jwt_leeway;		/* ODS_JWT_LEEWAY, seconds */
	int	 jwks_cache_ttl;	/* ODS_JWKS_CACHE_TTL, seconds */
	int	 jwks_refetch_interval;	/* ODS_JWKS_REFETCH_INTERVAL, seconds */
	int	 jwks_timeout_ms;	/* ODS_JWKS_TIMEOUT_MS */
	int	 jwks_allow_http;	/* ODS_JWKS_ALLOW_HTTP: in production */
	char	*jwks_cache_key;	/* ODS_JWKS_CACHE_KEY (secret): HMAC
					   of the JWKS copy kept in Redis */
	char	*auth_cookie_domain;	/* AUTH_COOKIE_DOMAIN */
	char	*auth_cookie_samesite;	/* AUTH_COOKIE_SAMESITE Lax|Strict|None */
	int	 audit_db;		/* ODS_AUDIT_DB: audit_logs rows too */
	int	 audit_repeat_max;	/* ODS_AUDIT_REPEAT_MAX: identical
					   refusals written per window */
	int	 audit_repeat_window;	/* ODS_AUDIT_REPEAT_WINDOW, seconds */

	/* rate limits (used by ods_auth) */
	int	 rate_limit_enabled;	/* ODS_RATE_LIMIT_ENABLED */
	char	*rate_limit_default;	/* ODS_RATE_LIMIT_DEFAULT "100/minute" */
	int	 rate_limit_count;	/* derived: 100 */
	int	 rate_limit_window;	/* derived: 60 (seconds) */
	int	 rate_limit_burst;	/* ODS_RATE_LIMIT_BURST: all classes */
	int	 rate_limit_fail_open;	/* ODS_RATE_LIMIT_FAIL_OPEN */
	int	 auth_fail_limit;	/* ODS_AUTH_FAIL_LIMIT: refused
					   credentials per address; 0: off */
	int	 auth_fail_window;	/* ODS_AUTH_FAIL_WINDOW, seconds */
	char	*csrf_trusted_origins;	/* ODS_CSRF_TRUSTED_ORIGINS */

	/* LLM upstreams (used by ods_llm) */
	char	*llm_backend;		/* LLM_BACKEND auto|vllm|ollama|openai */
	char	*vllm_chat_url;		/* VLLM_CHAT_URL */
	char	*vllm_embed_url;	/* VLLM_EMBED_URL */
	char	*ollama_url;		/* OLLAMA_URL */
	char	*openai_base_url;	/* OPENAI_BASE_URL */
	char	*openai_api_key;	/* OPENAI_API_KEY (secret) */
	char	*default_chat_model;	/* DEFAULT_CHAT_MODEL */
	char	*default_embed_model;	/* DEFAULT_EMBED_MODEL */
	char	*model_aliases;		/* ODS_MODEL_ALIASES "a=b,c=d" */
	int	 llm_connect_timeout_ms; /* ODS_LLM_CONNECT_TIMEOUT_MS */
	int	 llm_first_byte_timeout_ms; /* ODS_LLM_FIRST_BYTE_TIMEOUT_MS */
	int	 llm_timeout_s;		/* ODS_LLM_TIMEOUT_S: whole call */
	int	 llm_retries;		/* ODS_LLM_RETRIES: rounds, before */
					/* anything reached the client */
	int	 llm_breaker_failures;	/* ODS_LLM_BREAKER_FAILURES */
	int	 llm_breaker_cooldown_ms; /* ODS_LLM_BREAKER_COOLDOWN_MS */
	int	 llm_models_ttl_s;	/* ODS_LLM_MODELS_TTL_S */
	int	 llm_usage_queue;	/* ODS_LLM_USAGE_QUEUE: rows */
	int	 llm_insecure_tls;	/* ODS_LLM_INSECURE_TLS (tests) */
	int	 llm_max_tokens_cap;	/* ODS_LLM_MAX_TOKENS_CAP */
	int	 llm_max_n;		/* ODS_LLM_MAX_N: n, best_of */
	int	 llm_estimate_tokens;	/* ODS_LLM_ESTIMATE_TOKENS */
	int	 llm_user_rpm;		/* ODS_LLM_USER_RPM (JWT) */
	int	 llm_user_tpm;		/* ODS_LLM_USER_TPM */
	int	 llm_user_budget;	/* ODS_LLM_USER_BUDGET: tokens */
	char	*llm_user_budget_period; /* ODS_LLM_USER_BUDGET_PERIOD */

	/* background jobs (ods-worker, lib/server/ods_job.c) */
	int	 worker_concurrency;	/* ODS_WORKER_CONCURRENCY */
	int	 job_lease_ms;		/* ODS_JOB_LEASE_MS */
	int	 job_poll_ms;		/* ODS_JOB_POLL_MS: without wake-ups */
	int	 job_backoff_ms;	/* ODS_JOB_BACKOFF_MS: first retry */
	int	 job_max_attempts;	/* ODS_JOB_MAX_ATTEMPTS: default */
	int	 ingest_sync_ms;	/* ODS_INGEST_SYNC_MS: upload waits */
	int	 chat_history_tokens;	/* ODS_CHAT_HISTORY_TOKENS */
	int	 audit_retention_days;	/* ODS_AUDIT_RETENTION_DAYS */

	/* object store (lib/store/ods_obj) */
	char	*minio_endpoint;	/* MINIO_ENDPOINT: "" = directory */
	char	*minio_access_key;	/* MINIO_ACCESS_KEY */
	char	*minio_secret_key;	/* MINIO_SECRET_KEY (secret) */
	char	*minio_bucket;		/* MINIO_BUCKET; "": the default */
	char	*minio_default_bucket;	/* MINIO_DEFAULT_BUCKET */
	int	 minio_use_ssl;		/* MINIO_USE_SSL */
	char	*s3_region;		/* ODS_S3_REGION */
	int	 s3_path_style;		/* ODS_S3_PATH_STYLE */
	size_t	 s3_part_bytes;		/* ODS_S3_PART_BYTES */
	int	 s3_timeout_ms;		/* ODS_S3_TIMEOUT_MS */
	char	*store_signing_key;	/* ODS_STORE_SIGNING_KEY (secret) */
	char	*store_public_url;	/* ODS_STORE_PUBLIC_URL */

	/* data sources (svc/data/datasource.c) */
	char	*secret_key;		/* ODS_SECRET_KEY (secret): 32 bytes,
					   hex or base64 (core/ods_secret.h) */
	char	*secret_key_previous;	/* ODS_SECRET_KEY_PREVIOUS (secret) */
	int	 datasource_connect_timeout_ms;
					/* ODS_DATASOURCE_CONNECT_TIMEOUT_MS */
	char	*datasource_allow;	/* ODS_DATASOURCE_ALLOW: CIDR list */
	char	*datasource_deny;	/* ODS_DATASOURCE_DENY: CIDR list */
	char	*datasource_secret_dir;	/* ODS_DATASOURCE_SECRET_DIR: where
					   file: references may point */
	/* SQL queries on data sources (svc/data/query.c) */
	int	 datasource_pool_size;	/* ODS_DATASOURCE_POOL_SIZE: per
					   source, per worker process */
	int	 datasource_idle_s;	/* ODS_DATASOURCE_IDLE_S */
	int	 query_timeout_ms;	/* ODS_QUERY_TIMEOUT_MS */
	int	 query_max_rows;	/* ODS_QUERY_MAX_ROWS: JSON row cap */
	/* Data quality (svc/data/quality.h) */
	char	*quality_webhook_url;	/* ODS_QUALITY_WEBHOOK_URL: alerts'
					   webhook when a rule or task
					   names none; "" none */

	/* the agents' tools (svc/agent/tool.c) */
	char	*http_tool_domains;	/* HTTP_TOOL_ALLOWED_DOMAINS: names
					   http_request may reach ("" any) */
	char	*http_tool_allow;	/* ODS_HTTP_TOOL_ALLOW: CIDR list of
					   private addresses it may reach */
	int	 tool_timeout_ms;	/* ODS_TOOL_TIMEOUT_MS: one tool call */
	int	 agent_max_tokens;	/* ODS_AGENT_MAX_TOKENS: one agent run */

	/* the workflow engine (svc/agent/wf.h) */
	int	 wf_parallel;		/* ODS_WF_PARALLEL: nodes of one run
					   at once */
};

/* A new configuration holding every default. Never NULL (xmalloc). */
struct ods_conf	*ods_conf_new(void);
void		 ods_conf_free(struct ods_conf *);	/* NULL is a no-op */

/*
 * Apply every variable of the table found in the environment, then the
 * checks between variables. Each bad key is reported as one line on
 * report (when not NULL) and logged. Returns ODS_OK or ODS_EINVAL (every
 * bad key was reported, not only the first).
 */
enum ods_err	 ods_conf_load_env(struct ods_conf *, FILE *report)
		    ODS_MUSTCHECK;

/*
 * Set one variable by its environment name ("MYSQL_PORT"). Returns
 * ODS_ENOTFOUND for an unknown name and ODS_EINVAL for a bad value, with
 * the reason in why (may be NULL).
 */
enum ods_err	 ods_conf_set(struct ods_conf *, const char *name,
		    const char *value, struct ods_why *why) ODS_MUSTCHECK;

/*
 * Fill the MYSQL_* fields from mysql://user:pass@host:port/db (the form of
 * ODS_TEST_DB_DSN). Returns ODS_OK or ODS_EINVAL.
 */
enum ods_err	 ods_conf_set_db_dsn(struct ods_conf *, const char *dsn)
		    ODS_MUSTCHECK;

/* Write NAME=value lines, secrets masked, for --check-config. */
void		 ods_conf_dump(const struct ods_conf *, FILE *);

/*
 * ODS_MODEL_ALIASES ("alias=model,..."), one item at a time from *pos:
 * blanks around items trimmed, empty items skipped.  Returns 1 with the
 * item at *item (*len bytes, '=' at offset *eq), -1 when that item is not
 * alias=model, 0 at the end.  The one reader of the format: --check-config
 * refuses what ods_llm would otherwise have to skip.
 */
int		 ods_conf_alias_next(const char **pos, const char **item,
		    size_t *len, size_t *eq);

/* One KEY=VALUE line of an env file. */
struct ods_env_line {
	char	*key;
	char	*val;
};

/*
 * Reads an env file from fp: KEY=VALUE lines of any length, blank lines
 * and # comments skipped, an optional "export " and one pair of matching
 * quotes around the value removed. name is what the report calls it. The
 * good lines are returned in *lines (*n of them, ods_env_lines_free);
 * the return value is the number of bad ones, each reported as
 * "config error: NAME:LINE: why".
 */
int		 ods_env_file_read(FILE *fp, const char *name, FILE *report,
		    struct ods_env_line **lines, size_t *n);
void		 ods_env_lines_free(struct ods_env_line *, size_t);

#endif /* ODS_CONF_H */
