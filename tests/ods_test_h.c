/*
 * tests/ods_test_h.c — route handlers on requests built in memory (see
 * ods_test_h.h).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "ods_test_h.h"
#include "ods_test_db.h"

static const char *const user_roles[] = { "user" };
static const char *const eng_roles[] = { "data_engineer" };
static const char *const admin_roles[] = { "admin" };

const struct ods_principal ods_test_alice = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "alice", .username = "alice",
	.roles = user_roles, .nroles = 1,
};
const struct ods_principal ods_test_bob = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "bob", .username = "bob",
	.roles = user_roles, .nroles = 1,
};
const struct ods_principal ods_test_erin = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "erin", .username = "erin",
	.roles = eng_roles, .nroles = 1,
};
const struct ods_principal ods_test_eddy = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "eddy", .username = "eddy",
	.roles = eng_roles, .nroles = 1,
};
const struct ods_principal ods_test_root = {
	.kind = ODS_PRINCIPAL_TOKEN, .user_id = "root", .username = "root",
	.roles = admin_roles, .nroles = 1,
};

void
ods_test_h_init(struct ods_test_h *t, const char *dsn, const char *dbname,
    const char *service, const char *uri)
{
	memset(t, 0, sizeof(*t));
	t->arena = ods_arena_new(8192);
	t->conf = ods_test_conf(dsn, dbname);
	t->db = ods_db_new(t->conf, 2);
	ods_buf_init(&t->fio.out, 1 << 20);
	t->io = (struct ods_req_io){ fake_read, fake_write, fake_flush,
	    &t->fio };
	t->env.conf = t->conf;
	t->env.db = t->db;
	t->env.service = service;
	t->env.version = "test";
	t->uri = uri;
}

void
ods_test_h_fini(struct ods_test_h *t)
{
	ods_db_free(t->db);
	ods_conf_free(t->conf);
	ods_arena_free(t->arena);
	ods_buf_free(&t->fio.out);
}

struct ods_req *
ods_test_h_request(struct ods_test_h *t, const char *method,
    const struct ods_principal *p, const char *query, const char *json,
    const char *const *params)
{
	char		**e = ods_arena_alloc(t->arena, 6 * sizeof(char *));
	struct ods_req	 *r;
	size_t		  n = 0;
	char		 *k, *v;

	e[n++] = ods_arena_printf(t->arena, "REQUEST_METHOD=%s", method);
	e[n++] = ods_arena_printf(t->arena, "DOCUMENT_URI=%s", t->uri);
	e[n++] = ods_arena_printf(t->arena, "QUERY_STRING=%s",
	    query != NULL ? query : "");
	if (json != NULL) {
		e[n++] = (char *)"CONTENT_TYPE=application/json";
		e[n++] = ods_arena_printf(t->arena, "CONTENT_LENGTH=%zu",
		    strlen(json));
	}
	e[n] = NULL;
	t->fio.out.len = 0;
	t->fio.in = json;
	t->fio.inlen = json != NULL ? strlen(json) : 0;
	t->fio.inoff = 0;
	r = ods_req_new(t->arena, e, &t->io, &t->env);
	ck_assert_ptr_nonnull(r);
	if (t->body_max > 0)
		ods_req_set_body_max(r, t->body_max);
	ods_req_set_principal(r, p);
	for (; params != NULL && *params != NULL; params++) {
		k = ods_arena_strdup(t->arena, *params);
		ck_assert_ptr_nonnull(v = strchr(k, '='));
		*v++ = '\0';
		ck_assert_int_eq(ods_req_param_set(r, k, v), ODS_OK);
	}
	return r;
}

struct ods_req *
ods_test_h_req(struct ods_test_h *t, const char *method,
    const struct ods_principal *p, const char *id, const char *json)
{
	const char	*params[2] = { NULL, NULL };

	if (id != NULL)
		params[0] = ods_arena_printf(t->arena, "id=%s", id);
	return ods_test_h_request(t, method, p, NULL, json, params);
}

int
ods_test_h_run(enum ods_status (*h)(struct ods_req *, struct ods_resp *),
    struct ods_req *r)
{
	return (int)h(r, ods_resp_new(r));
}

const char *
ods_test_h_body(const struct ods_test_h *t)
{
	return fake_body(&t->fio);
}

const char *
ods_test_h_field(const struct ods_test_h *t, const char *key, char *out,
    size_t len)
{
	char		 pat[64];
	const char	*p;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if ((p = strstr(ods_test_h_body(t), pat)) == NULL)
		return NULL;
	p += strlen(pat);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\""), p);
	return out;
}
