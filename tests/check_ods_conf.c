/* tests/check_ods_conf.c — the environment table and --check-config. */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "ods_check.h"

static char	*report;
static size_t	 reportlen;

/* Load the environment and capture what it reports. */
static enum ods_err
load(struct ods_conf *c)
{
	FILE		*fp = open_memstream(&report, &reportlen);
	enum ods_err	 er;

	er = ods_conf_load_env(c, fp);
	fclose(fp);
	return er;
}

static void
teardown(void)
{
	static const char *const vars[] = { "MYSQL_PORT", "LOG_LEVEL",
	    "AUTH_MODE", "ENVIRONMENT", "ODS_MAX_BODY_BYTES", "LLM_BACKEND",
	    "VLLM_CHAT_URL", "JWT_SECRET_KEY", "ODS_SOCKET_MODE",
	    "ODS_MODEL_ALIASES", "ODS_LLM_INSECURE_TLS", "KEYCLOAK_URL",
	    "KEYCLOAK_JWKS_URL", "ODS_JWKS_ALLOW_HTTP", "ODS_SCHEDULE_TZ" };
	size_t	i;

	for (i = 0; i < ODS_NELEM(vars); i++)
		unsetenv(vars[i]);
	free(report);
	report = NULL;
}

START_TEST(test_conf_defaults)
{
	struct ods_conf	*c = ods_conf_new();

	ck_assert_str_eq(c->mysql_database, "one_data_studio");
	ck_assert_int_eq(c->mysql_port, 3306);
	ck_assert_int_eq(c->auth_mode, 1);
	ck_assert_uint_eq(c->max_body_bytes, 32u << 20);
	ck_assert_uint_eq(c->max_upload_bytes, 1u << 30);
	/* no client besides KEYCLOAK_CLIENT_ID, and never "account" */
	ck_assert_str_eq(c->jwt_audiences, "");
	ck_assert_str_eq(c->keycloak_client_id, "web-frontend");
	ck_assert_int_eq(c->socket_mode, 0660);
	ck_assert_str_eq(c->schedule_tz, "UTC");
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_reads_the_environment)
{
	struct ods_conf	*c = ods_conf_new();

	setenv("MYSQL_PORT", "3307", 1);
	setenv("LOG_LEVEL", "debug", 1);
	setenv("AUTH_MODE", "false", 1);
	setenv("ODS_MAX_BODY_BYTES", "16m", 1);
	setenv("LLM_BACKEND", "ollama", 1);
	setenv("ODS_SOCKET_MODE", "0660", 1);
	setenv("ODS_SCHEDULE_TZ", "Europe/Berlin", 1);
	ck_assert_int_eq(load(c), ODS_OK);
	ck_assert_str_eq(c->schedule_tz, "Europe/Berlin");
	ck_assert_int_eq(c->mysql_port, 3307);
	ck_assert_int_eq(c->log_level, ODS_LOG_DEBUG);
	ck_assert_int_eq(c->auth_mode, 0);
	ck_assert_uint_eq(c->max_body_bytes, 16u << 20);
	ck_assert_str_eq(c->llm_backend, "ollama");
	ck_assert_int_eq(c->socket_mode, 0660);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_reports_every_bad_key)
{
	struct ods_conf	*c = ods_conf_new();

	setenv("MYSQL_PORT", "70000", 1);
	setenv("LOG_LEVEL", "loud", 1);
	setenv("LLM_BACKEND", "gpt", 1);
	setenv("VLLM_CHAT_URL", "ftp://x", 1);
	setenv("ODS_MAX_BODY_BYTES", "12q", 1);
	setenv("ODS_MODEL_ALIASES", "gpt-4o-mini=qwen, broken,=x", 1);
	setenv("ODS_SCHEDULE_TZ", "Mars/Olympus_Mons", 1);
	ck_assert_int_eq(load(c), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(report, "ODS_SCHEDULE_TZ: unknown time "
	    "zone 'Mars/Olympus_Mons'"));
	ck_assert_ptr_nonnull(strstr(report, "ODS_MODEL_ALIASES: 'broken' is "
	    "not alias=model"));
	ck_assert_ptr_nonnull(strstr(report, "MYSQL_PORT: must be an integer "
	    "from 1 to 65535"));
	ck_assert_ptr_nonnull(strstr(report, "LOG_LEVEL:"));
	ck_assert_ptr_nonnull(strstr(report, "LLM_BACKEND: must be one of "
	    "auto|vllm|ollama|openai"));
	ck_assert_ptr_nonnull(strstr(report, "VLLM_CHAT_URL:"));
	ck_assert_ptr_nonnull(strstr(report, "ODS_MAX_BODY_BYTES:"));
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_model_aliases_accepts_pairs)
{
	struct ods_conf	*c = ods_conf_new();

	setenv("ODS_MODEL_ALIASES", "gpt-4o-mini=qwen2.5, gpt-4o=llama3,", 1);
	ck_assert_int_eq(load(c), ODS_OK);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_production_refuses_auth_off_and_short_secret)
{
	struct ods_conf	*c = ods_conf_new();

	setenv("ENVIRONMENT", "production", 1);
	setenv("AUTH_MODE", "0", 1);
	setenv("JWT_SECRET_KEY", "short", 1);
	ck_assert_int_eq(load(c), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(report, "AUTH_MODE:"));
	ck_assert_ptr_nonnull(strstr(report, "JWT_SECRET_KEY: must be at "
	    "least 32 bytes"));
	/* The secret itself is never echoed. */
	ck_assert_ptr_null(strstr(report, "short"));
	ods_conf_free(c);
}
END_TEST

/* Test-bench switches that production refuses. */
START_TEST(test_conf_production_refuses_insecure_tls_and_http_jwks)
{
	struct ods_conf	*c = ods_conf_new();

	setenv("ENVIRONMENT", "production", 1);
	setenv("ODS_LLM_INSECURE_TLS", "true", 1);
	setenv("KEYCLOAK_URL", "http://keycloak.example:8080", 1);
	ck_assert_int_eq(load(c), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(report, "ODS_LLM_INSECURE_TLS:"));
	ck_assert_ptr_nonnull(strstr(report, "KEYCLOAK_URL: must be https"));
	free(report);
	report = NULL;
	ods_conf_free(c);
	c = ods_conf_new();

	/* The explicit URL is the one fetched, so the one checked. */
	setenv("ODS_LLM_INSECURE_TLS", "false", 1);
	setenv("KEYCLOAK_URL", "https://keycloak.example", 1);
	setenv("KEYCLOAK_JWKS_URL", "http://keycloak.example/certs", 1);
	ck_assert_int_eq(load(c), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(report, "KEYCLOAK_JWKS_URL: must be"));
	free(report);
	report = NULL;
	ods_conf_free(c);
	c = ods_conf_new();

	/* A mesh-internal Keycloak is an explicit choice. */
	setenv("ODS_JWKS_ALLOW_HTTP", "true", 1);
	ck_assert_int_eq(load(c), ODS_OK);
	free(report);
	report = NULL;
	ods_conf_free(c);
	c = ods_conf_new();

	/* Outside production both stay allowed (the tests use them). */
	setenv("ENVIRONMENT", "development", 1);
	setenv("ODS_JWKS_ALLOW_HTTP", "false", 1);
	setenv("ODS_LLM_INSECURE_TLS", "true", 1);
	ck_assert_int_eq(load(c), ODS_OK);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_set_by_name)
{
	struct ods_conf	*c = ods_conf_new();
	struct ods_why		 why;

	ck_assert_int_eq(ods_conf_set(c, "ODS_WORKERS", "8", &why),
	    ODS_OK);
	ck_assert_int_eq(c->workers, 8);
	ck_assert_int_eq(ods_conf_set(c, "ODS_WORKERS", "0", &why),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_conf_set(c, "NOPE", "1", &why),
	    ODS_ENOTFOUND);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_db_dsn)
{
	struct ods_conf	*c = ods_conf_new();

	ck_assert_int_eq(ods_conf_set_db_dsn(c,
	    "mysql://u%40x:p@ss:w@db.local:3310/one?x=1"), ODS_OK);
	ck_assert_str_eq(c->mysql_user, "u@x");
	ck_assert_str_eq(c->mysql_password, "p@ss:w");
	ck_assert_str_eq(c->mysql_host, "db.local");
	ck_assert_int_eq(c->mysql_port, 3310);
	ck_assert_str_eq(c->mysql_database, "one");
	ck_assert_int_eq(ods_conf_set_db_dsn(c, "mysql://h:99999/db"),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_conf_set_db_dsn(c, "postgres://h/db"),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_conf_set_db_dsn(c, "mysql://h:1"), ODS_EINVAL);
	ods_conf_free(c);
}
END_TEST

START_TEST(test_conf_dump_hides_secrets)
{
	struct ods_conf	*c = ods_conf_new();
	FILE		*fp;

	ck_assert_int_eq(ods_conf_set(c, "MYSQL_PASSWORD", "hunter2", NULL),
	    ODS_OK);
	ck_assert_int_eq(ods_conf_set(c, "REDIS_URL",
	    "redis://:sekret@h:6379/0", NULL), ODS_OK);
	fp = open_memstream(&report, &reportlen);
	ods_conf_dump(c, fp);
	fclose(fp);
	ck_assert_ptr_null(strstr(report, "hunter2"));
	ck_assert_ptr_null(strstr(report, "sekret"));
	ck_assert_ptr_nonnull(strstr(report, "MYSQL_PASSWORD=(set, hidden)"));
	ck_assert_ptr_nonnull(strstr(report, "MYSQL_PORT=3306"));
	ods_conf_free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_conf");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, NULL, teardown);
	tcase_add_checked_fixture(limits, NULL, teardown);
	tcase_add_checked_fixture(errors, NULL, teardown);
	tcase_add_test(core, test_conf_defaults);
	tcase_add_test(core, test_conf_reads_the_environment);
	tcase_add_test(core, test_conf_set_by_name);
	tcase_add_test(core, test_conf_db_dsn);
	tcase_add_test(limits, test_conf_dump_hides_secrets);
	tcase_add_test(errors, test_conf_reports_every_bad_key);
	tcase_add_test(errors, test_conf_model_aliases_accepts_pairs);
	tcase_add_test(errors,
	    test_conf_production_refuses_auth_off_and_short_secret);
	tcase_add_test(errors,
	    test_conf_production_refuses_insecure_tls_and_http_jwks);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = suite };
