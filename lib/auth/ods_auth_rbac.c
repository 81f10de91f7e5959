/*
 * lib/auth/ods_auth_rbac.c — the static role matrix of reference-api §7.2 (the
 * same matrix sql/0001_init.sql and sql/0004_jobs.sql seed as data): admin
 * passes everything, otherwise any role granting (resource, operation)
 * passes. A principal's roles are the realm's and our own clients' only
 * (ods_auth_jwt.c), so the "admin" of another client of the realm is no
 * admin here.
 */
#include "config.h"

#include <string.h>

#include "auth/ods_auth.h"
#include "core/ods_json.h"

/*
 * C R U D X M E I: create read update delete execute manage export import
 * (reference-api §7.2); Z: use, ours, for calling a model through /v1
 * (it spends tokens: "read" would let guests and viewers in).
 */
enum {
	C = 1 << 0, R = 1 << 1, U = 1 << 2, D = 1 << 3,
	X = 1 << 4, M = 1 << 5, E = 1 << 6, I = 1 << 7,
	Z = 1 << 8
};

static const char *const ops[] = {
	"create", "read", "update", "delete", "execute", "manage", "export",
	"import", "use"
};

struct grant {
	const char	*role;
	const char	*resource;
	unsigned	 ops;
};

static const struct grant grants[] = {
	{ "data_engineer", "dataset", C | R | U | E },
	{ "data_engineer", "metadata", R | C | U },
	{ "data_engineer", "database", R },
	{ "data_engineer", "table", R },
	{ "data_engineer", "column", R },
	{ "data_engineer", "storage", R },
	{ "data_engineer", "model", Z },
	{ "data_engineer", "job", R | U },
	{ "data_engineer", "datasource", C | R | U | X },
	{ "data_engineer", "etl", C | R | U | X },

	{ "data_analyst", "dataset", R | E },
	{ "data_analyst", "metadata", R },
	{ "data_analyst", "database", R },
	{ "data_analyst", "table", R },
	{ "data_analyst", "column", R },
	{ "data_analyst", "storage", R },
	{ "data_analyst", "workflow", R },
	{ "data_analyst", "model", Z },
	{ "data_analyst", "job", R | U },
	{ "data_analyst", "datasource", R | X },
	{ "data_analyst", "etl", R },

	{ "ai_developer", "workflow", C | R | U | X },
	{ "ai_developer", "chat", C | R | X },
	{ "ai_developer", "agent", C | R | X },
	{ "ai_developer", "document", C | R },
	{ "ai_developer", "execution", R },
	{ "ai_developer", "template", R },
	{ "ai_developer", "model", R | Z },
	{ "ai_developer", "prompt_template", C | R | U },
	{ "ai_developer", "job", R | U },

	{ "user", "dataset", R },
	{ "user", "workflow", C | R | U | X },
	{ "user", "chat", C | R | X },
	{ "user", "agent", C | R | X },
	{ "user", "schedule", R },
	{ "user", "document", C | R },
	{ "user", "execution", R },
	{ "user", "template", R },
	{ "user", "model", Z },
	{ "user", "job", R | U },

	{ "viewer", "dataset", R },
	{ "viewer", "metadata", R },
	{ "viewer", "database", R },
	{ "viewer", "table", R },
	{ "viewer", "column", R },
	{ "viewer", "storage", R },
	{ "viewer", "workflow", R },
	{ "viewer", "chat", R },
	{ "viewer", "agent", R },
	{ "viewer", "schedule", R },
	{ "viewer", "document", R },
	{ "viewer", "execution", R },
	{ "viewer", "template", R },
	{ "viewer", "job", R | U },
	{ "viewer", "datasource", R },
	{ "viewer", "etl", R },

	{ "guest", "dataset", R },
	{ "guest", "metadata", R },
};

/*
 * Every resource a route may name: reference-api §7.2's, plus "usage"
 * (the /v1 usage report, ours), "job" (background jobs: read and cancel
 * one's own; admin sees all), "datasource" (data sources, sql/0007)
 * and "etl" (ETL tasks, sql/0011). One that no role is granted here is
 * admin-only, and says so by being listed.
 */
static const char *const resources[] = {
	"user", "system", "dataset", "metadata", "database", "table", "column",
	"storage", "workflow", "chat", "agent", "schedule", "document",
	"execution", "template", "model", "prompt_template", "usage", "job",
	"datasource", "etl"
};

static unsigned
op_bit(const char *op, size_t len)
{
	size_t	i;

	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strlen(ops[i]) == len && strncmp(ops[i], op, len) == 0)
			return 1u << i;
	/* The Python source spells it "import_". */
	if (len == 7 && strncmp(op, "import_", 7) == 0)
		return I;
	return 0;
}

static int
grants_pair(const char *role, const char *res, size_t reslen, unsigned bit)
{
	size_t	i;

	if (strcmp(role, "admin") == 0)
		return 1;
	if (bit == 0)
		return 0;
	for (i = 0; i < sizeof(grants) / sizeof(grants[0]); i++)
		if (strcmp(grants[i].role, role) == 0 &&
		    strlen(grants[i].resource) == reslen &&
		    strncmp(grants[i].resource, res, reslen) == 0 &&
		    (grants[i].ops & bit) != 0)
			return 1;
	return 0;
}

int
ods_auth_role_allows(const char *role, const char *resource,
    const char *operation)
{
	if (role == NULL || resource == NULL || operation == NULL)
		return 0;
	return grants_pair(role, resource, strlen(resource),
	    op_bit(operation, strlen(operation)));
}

int
ods_auth_perm_valid(const char *perm)
{
	const char	*colon;
	size_t		 i, n;

	if (perm == NULL || *perm == '\0')
		return 1;
	if ((colon = strchr(perm, ':')) == NULL)
		return 0;
	if (op_bit(colon + 1, strlen(colon + 1)) == 0)
		return 0;
	n = (size_t)(colon - perm);
	for (i = 0; i < ODS_NELEM(resources); i++)
		if (strlen(resources[i]) == n &&
		    strncmp(resources[i], perm, n) == 0)
			return 1;
	return 0;
}

int
ods_auth_allows(const struct ods_principal *p, const char *perm)
{
	const char	*colon;
	unsigned	 bit;
	size_t		 i;

	if (p == NULL)
		return 0;
	if (perm == NULL || *perm == '\0')
		return 1;
	/* A key is for calling models: that is its whole scope. */
	if (p->kind == ODS_PRINCIPAL_APIKEY)
		return strcmp(perm, ODS_PERM_MODEL_USE) == 0;
	if ((colon = strchr(perm, ':')) == NULL)
		return ods_principal_has_role(p, "admin");
	bit = op_bit(colon + 1, strlen(colon + 1));
	for (i = 0; i < p->nroles; i++)
		if (grants_pair(p->roles[i], perm, (size_t)(colon - perm),
		    bit))
			return 1;
	return 0;
}

int
ods_principal_has_role(const struct ods_principal *p, const char *role)
{
	size_t	i;

	if (p == NULL || role == NULL)
		return 0;
	for (i = 0; i < p->nroles; i++)
		if (strcmp(p->roles[i], role) == 0)
			return 1;
	return 0;
}

int
ods_principal_model_allowed(const struct ods_principal *p,
    const char *model)
{
	size_t	i;

	if (p == NULL || model == NULL)
		return 0;
	if (p->models == NULL)
		return 1;
	for (i = 0; i < p->nmodels; i++)
		if (strcmp(p->models[i], model) == 0)
			return 1;
	return 0;
}

void
ods_principal_json(struct ods_jw *jw, const struct ods_principal *p)
{
	size_t	i;

	ods_jw_obj(jw);
	ods_jw_kstr(jw, "user_id", p->user_id);
	ods_jw_kstr(jw, "username", p->username);
	ods_jw_kstr(jw, "email", p->email);
	ods_jw_kstr(jw, "name", p->name);
	ods_jw_key(jw, "roles");
	ods_jw_arr(jw);
	for (i = 0; i < p->nroles; i++)
		ods_jw_str(jw, p->roles[i]);
	ods_jw_end(jw);
	if (p->key_id != NULL)
		ods_jw_kstr(jw, "api_key_id", p->key_id);
	ods_jw_end(jw);
}

void
ods_principal_permissions_json(struct ods_jw *jw, const struct ods_principal *p)
{
	size_t		i, j, k;
	unsigned	bits;

	ods_jw_obj(jw);
	ods_jw_key(jw, "roles");
	ods_jw_arr(jw);
	for (i = 0; p != NULL && i < p->nroles; i++)
		ods_jw_str(jw, p->roles[i]);
	ods_jw_end(jw);
	ods_jw_key(jw, "permissions");
	ods_jw_obj(jw);
	for (i = 0; p != NULL && i < ODS_NELEM(resources); i++) {
		bits = 0;
		for (j = 0; j < ODS_NELEM(ops); j++) {
			if (p->kind == ODS_PRINCIPAL_APIKEY)
				continue;	/* a key's scope is model:use */
			for (k = 0; k < p->nroles; k++)
				if (grants_pair(p->roles[k], resources[i],
				    strlen(resources[i]), 1u << j))
					bits |= 1u << j;
		}
		if (p->kind == ODS_PRINCIPAL_APIKEY &&
		    strcmp(resources[i], "model") == 0)
			bits = Z;
		if (bits == 0)
			continue;
		ods_jw_key(jw, resources[i]);
		ods_jw_arr(jw);
		for (j = 0; j < ODS_NELEM(ops); j++)
			if (bits & (1u << j))
				ods_jw_str(jw, ops[j]);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_end(jw);
}
