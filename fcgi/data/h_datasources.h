/*
 * fcgi/data/h_datasources.h — /datasources (reference-api §3.3 D10–D14):
 * list, create, read, update, delete, and connection tests of a config
 * (not saved) or of a saved source. The domain is svc/data/datasource.h;
 * the pool's context (keys, address lists) comes from h_data_init.
 *
 * Permissions (sql/0007_datasources.sql): datasource:read for reads
 * (viewer, analyst, engineer), datasource:create for creating and for
 * testing an unsaved config, datasource:update for changing or testing a
 * saved source (a test records its status), datasource:delete (admin).
 * Another user's private source is a 404 (admin sees all).
 */
#ifndef H_DATASOURCES_H
#define H_DATASOURCES_H

#include "net/ods_req.h"
#include "server/ods_router.h"

struct ods_req_env;

#define H_DATASOURCES_ROUTES \
	{ ODS_GET, "/datasources", h_datasources_list, ODS_AUTH_REQUIRED, \
	    "datasource:read" }, \
	{ ODS_POST, "/datasources", h_datasources_create, \
	    ODS_AUTH_REQUIRED, "datasource:create" }, \
	{ ODS_POST, "/datasources/test", h_datasources_test, \
	    ODS_AUTH_REQUIRED, "datasource:create" }, \
	{ ODS_GET, "/datasources/{id}", h_datasources_get, \
	    ODS_AUTH_REQUIRED, "datasource:read" }, \
	{ ODS_PUT, "/datasources/{id}", h_datasources_update, \
	    ODS_AUTH_REQUIRED, "datasource:update" }, \
	{ ODS_DELETE, "/datasources/{id}", h_datasources_delete, \
	    ODS_AUTH_REQUIRED, "datasource:delete" }, \
	{ ODS_POST, "/datasources/{id}/test", h_datasources_test_saved, \
	    ODS_AUTH_REQUIRED, "datasource:update" }

/*
 * An optional string member of a JSON body into *dst (kept NULL when
 * absent; o NULL is no body): the data pool's handlers share it.
 */
struct json_object;
struct ods_why;
enum ods_err	h_optstr(struct json_object *, const char *field,
		    size_t max, const char **dst, struct ods_why *);

/* The Data API pool's context: struct ods_ds_ctx from the conf. */
enum ods_err	h_data_init(const struct ods_req_env *, void **ctx);
void		h_data_fini(void *ctx);

/*
 * ?type=&status=&page=&page_size=: data:{sources:[...], total, page,
 * page_size} and the three numbers at the top level (§11.3).
 */
enum ods_status	h_datasources_list(struct ods_req *, struct ods_resp *);
/*
 * {name, description, type, tags, source_id, visibility, connection:{host,
 * port, username, password, database, schema, params}} (or the connection
 * keys flat): 201 data: the source. 400 naming the field (a clear
 * password without ODS_SECRET_KEY too), 409 code 40900 for a taken id.
 */
enum ods_status	h_datasources_create(struct ods_req *, struct ods_resp *);
enum ods_status	h_datasources_get(struct ods_req *, struct ods_resp *);
/* Merges the same fields; 403 for another user's public source. */
enum ods_status	h_datasources_update(struct ods_req *, struct ods_resp *);
enum ods_status	h_datasources_delete(struct ods_req *, struct ods_resp *);
/*
 * {type, connection:{...}}: 200 data:{success:true, version, latency_ms,
 * message} or 200 data:{success:false, error, message} (§11.2), within
 * ODS_DATASOURCE_CONNECT_TIMEOUT_MS.
 */
enum ods_status	h_datasources_test(struct ods_req *, struct ods_resp *);
/* Optional {password}; records status, last_error, metadata. */
enum ods_status	h_datasources_test_saved(struct ods_req *, struct ods_resp *);

#endif /* H_DATASOURCES_H */
