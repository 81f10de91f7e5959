/*
 * fcgi/common/h_stats.c — GET /stats/overview: the counts of the web's
 * home page (reference-api §4.3 G26), from the tables themselves.
 *
 * An admin sees the whole platform; anyone else the same report over
 * what they own (their datasets, knowledge bases, documents, calls), so
 * the route reveals nothing about other users. Nothing here is made up:
 * what no table records (GPU hours, experiments, a storage quota) is
 * null.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "h_auth.h"
#include "h_stats.h"

/*
 * One round trip. p.o is the owner (NULL: everyone). Users are the ids
 * the platform has seen: in the audit trail (every write, every refused
 * login), the usage of model calls and the objects they created (an
 * app's conversations are its callers', not users of ours); active
 * means seen in the last 24 hours. Storage is what the rows say the
 * objects weigh (datasets and live documents).
 */
#define STATS_SQL \
	"SELECT " \
	" (SELECT COUNT(*) FROM (" \
	"   SELECT user_id u FROM audit_logs WHERE user_id <> '' UNION " \
	"   SELECT user_id FROM api_usage WHERE user_id <> '' UNION " \
	"   SELECT user_id FROM conversations WHERE user_id <> '' AND " \
	"    app_id IS NULL UNION " \
	"   SELECT created_by FROM knowledge_bases WHERE created_by <> '' " \
	" ) s WHERE p.o IS NULL OR s.u = p.o)," \
	" (SELECT COUNT(*) FROM (" \
	"   SELECT user_id u FROM audit_logs WHERE user_id <> '' AND " \
	"    `timestamp` > NOW(3) - INTERVAL 1 DAY UNION " \
	"   SELECT user_id FROM api_usage WHERE user_id <> '' AND " \
	"    created_at > NOW(3) - INTERVAL 1 DAY UNION " \
	"   SELECT user_id FROM conversations WHERE user_id <> '' AND " \
	"    app_id IS NULL AND updated_at > NOW(3) - INTERVAL 1 DAY" \
	" ) s WHERE p.o IS NULL OR s.u = p.o)," \
	" (SELECT COUNT(*) FROM datasets WHERE p.o IS NULL OR " \
	"   created_by = p.o)," \
	" (SELECT COUNT(*) FROM datasets WHERE (p.o IS NULL OR " \
	"   created_by = p.o) AND created_at > NOW(3) - INTERVAL 7 DAY)," \
	" (SELECT COUNT(DISTINCT model) FROM api_usage WHERE p.o IS NULL OR " \
	"   user_id = p.o)," \
	" (SELECT COUNT(DISTINCT model) FROM api_usage WHERE (p.o IS NULL OR " \
	"   user_id = p.o) AND created_at > NOW(3) - INTERVAL 1 DAY)," \
	" (SELECT COUNT(*) FROM workflows WHERE p.o IS NULL OR " \
	"   created_by = p.o)," \
	" (SELECT COUNT(*) FROM workflows WHERE (p.o IS NULL OR " \
	"   created_by = p.o) AND status = 'running')," \
	" (SELECT COUNT(*) FROM knowledge_bases WHERE deleted_at IS NULL " \
	"   AND (p.o IS NULL OR created_by = p.o))," \
	" (SELECT COUNT(*) FROM indexed_documents WHERE deleted_at IS NULL " \
	"   AND (p.o IS NULL OR created_by = p.o))," \
	" (SELECT COUNT(*) FROM indexed_documents WHERE deleted_at IS NULL " \
	"   AND status = 'indexed' AND (p.o IS NULL OR created_by = p.o))," \
	" (SELECT COUNT(*) FROM conversations WHERE p.o IS NULL OR " \
	"   user_id = p.o)," \
	" (SELECT COUNT(*) FROM apps WHERE deleted_at IS NULL AND " \
	"   (p.o IS NULL OR created_by = p.o))," \
	" (SELECT COUNT(*) FROM apps WHERE deleted_at IS NULL AND " \
	"   status = 'published' AND (p.o IS NULL OR created_by = p.o))," \
	" (SELECT COUNT(*) FROM api_usage WHERE (p.o IS NULL OR " \
	"   user_id = p.o) AND created_at >= CURDATE())," \
	" (SELECT COUNT(*) FROM api_usage WHERE p.o IS NULL OR " \
	"   user_id = p.o)," \
	" (SELECT COALESCE(SUM(size_bytes), 0) FROM datasets WHERE " \
	"   p.o IS NULL OR created_by = p.o) +" \
	" (SELECT COALESCE(SUM(size_bytes), 0) FROM indexed_documents " \
	"   WHERE deleted_at IS NULL AND (p.o IS NULL OR created_by = p.o))" \
	" FROM (SELECT CAST(? AS CHAR(128)) AS o) p"

enum {
	C_USERS, C_ACTIVE, C_DATASETS, C_RECENT, C_MODELS, C_MODELS_DAY,
	C_WORKFLOWS, C_RUNNING, C_KBS, C_DOCS, C_DOCS_INDEXED, C_CONVS,
	C_APPS, C_PUBLISHED, C_CALLS_TODAY, C_CALLS, C_BYTES, C_N
};

static void
pair(struct ods_jw *jw, const char *name, const char *k1, int64_t v1,
    const char *k2, int64_t v2)
{
	ods_jw_key(jw, name);
	ods_jw_obj(jw);
	ods_jw_kint(jw, k1, v1);
	if (k2 != NULL)
		ods_jw_kint(jw, k2, v2);
	ods_jw_end(jw);
}

enum ods_status
h_stats_overview(struct ods_req *r, struct ods_resp *w)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[1];
	struct ods_jw		*jw;
	const char		*owner = h_owner(r);
	int64_t			 v[C_N];
	size_t			 i;
	enum ods_err		 er;

	if (ods_req_db(r) == NULL)
		return ods_resp_error(w, ODS_EUNAVAIL, "no database");
	a[0] = ods_db_text(owner);
	er = ods_db_query_once(ods_req_db(r), STATS_SQL, a, 1, 1, &res);
	if (er != ODS_OK)
		return ods_resp_error(w, er, "the counts could not be read");
	for (i = 0; i < C_N; i++)
		if (ods_db_res_int(res, 0, i, &v[i]) != ODS_OK)
			v[i] = 0;
	ods_db_res_free(res);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "scope", owner == NULL ? "all" : "user");
	pair(jw, "users", "total", v[C_USERS], "active", v[C_ACTIVE]);
	pair(jw, "datasets", "total", v[C_DATASETS], "recent", v[C_RECENT]);
	/* Models the platform's calls used; "deployed": in the last day. */
	pair(jw, "models", "total", v[C_MODELS], "deployed", v[C_MODELS_DAY]);
	pair(jw, "workflows", "total", v[C_WORKFLOWS], "running",
	    v[C_RUNNING]);
	pair(jw, "knowledge_bases", "total", v[C_KBS], NULL, 0);
	pair(jw, "documents", "total", v[C_DOCS], "indexed",
	    v[C_DOCS_INDEXED]);
	pair(jw, "conversations", "total", v[C_CONVS], NULL, 0);
	pair(jw, "apps", "total", v[C_APPS], "published", v[C_PUBLISHED]);
	pair(jw, "api_calls", "today", v[C_CALLS_TODAY], "total", v[C_CALLS]);
	ods_jw_key(jw, "storage");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "used_bytes", v[C_BYTES]);
	ods_jw_key(jw, "used_gb");
	ods_jw_num(jw, (double)v[C_BYTES] / (1024.0 * 1024 * 1024));
	ods_jw_key(jw, "total_gb");
	ods_jw_null(jw);
	ods_jw_end(jw);
	/* No table records these (yet): null, never a made-up zero. */
	ods_jw_key(jw, "experiments");
	ods_jw_null(jw);
	ods_jw_key(jw, "compute");
	ods_jw_null(jw);
	ods_jw_end(jw);
	return ods_resp_send(w);
}
