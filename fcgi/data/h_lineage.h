/*
 * fcgi/data/h_lineage.h — lineage (issue 17, reference-api §3.3 D24): the
 * web's graph routes (/lineage/table, /column, /search, /path?source&
 * target, /etl/{task_id}) and the reference's (/lineage/upstream,
 * /downstream, /impact, /path?source_namespace&source_name&..., /events,
 * /events/emit, /export). The domain is svc/data/lineage.h.
 *
 * Permissions (§7.2): metadata:read for the reads (viewer, guest,
 * analyst, engineer, admin), metadata:create to emit an event (engineer,
 * admin). Lineage is the organisation's metadata, like the catalog's
 * tables: every reader sees the whole graph (there is no owner to check;
 * the edges name tables, not rows).
 *
 * depth / max_depth: an integer in 1..10 (default 3; 5 for the
 * reference's impact and path); anything else is a 400 naming it.
 * Names are 1..255 bytes. An unknown table is an empty answer (200).
 */
#ifndef H_LINEAGE_H
#define H_LINEAGE_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_LINEAGE_ROUTES \
	{ ODS_GET, "/lineage/table", h_lineage_table, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/lineage/column", h_lineage_column, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/lineage/search", h_lineage_search, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/lineage/path", h_lineage_path, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/lineage/etl/{task_id}", h_lineage_etl, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/lineage/upstream", h_lineage_upstream, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/lineage/downstream", h_lineage_downstream, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/lineage/impact", h_lineage_impact, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_POST, "/lineage/events/emit", h_lineage_emit, \
	    ODS_AUTH_REQUIRED, "metadata:create" }, \
	{ ODS_GET, "/lineage/events", h_lineage_events, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/lineage/export", h_lineage_export, ODS_AUTH_REQUIRED, \
	    "metadata:read" }

/* ?table_name&depth: data:{table_name, depth, nodes, edges, truncated}. */
enum ods_status	h_lineage_table(struct ods_req *, struct ods_resp *);
/* ?table_name&column_name&depth: the same over column edges. */
enum ods_status	h_lineage_column(struct ods_req *, struct ods_resp *);
/* ?query (1..200 bytes)&type (table|view|dataset|column)&limit (50). */
enum ods_status	h_lineage_search(struct ods_req *, struct ods_resp *);
/*
 * ?source_namespace&source_name&target_namespace&target_name&max_depth
 * (the reference: {source, target, path:[fqn], path_length, exists}), or
 * ?source&target&depth (the web: {path:[{type, name, id}], ...}).
 */
enum ods_status	h_lineage_path(struct ods_req *, struct ods_resp *);
/* data:{task_id, nodes, edges, runs, total_edges}. */
enum ods_status	h_lineage_etl(struct ods_req *, struct ods_resp *);
/* ?namespace (data-service)&name&max_depth: {dataset, upstream|
 * downstream, total, truncated}; 400 code 40000 without name. */
enum ods_status	h_lineage_upstream(struct ods_req *, struct ods_resp *);
enum ods_status	h_lineage_downstream(struct ods_req *, struct ods_resp *);
/* ?namespace&name&max_depth (5): {source, total_downstream, by_depth,
 * by_type, direct_downstream, all_downstream, truncated}. */
enum ods_status	h_lineage_impact(struct ods_req *, struct ods_resp *);
/*
 * An OpenLineage RunEvent or the reference's {event_type, job_name,
 * source_tables, target_tables, ...}, stored before the answer:
 * data:{queued:true, stored:true, run_id}; 400 naming the field.
 */
enum ods_status	h_lineage_emit(struct ods_req *, struct ods_resp *);
/* ?limit (100, 1..1000)&event_type&job_name: {events, total, stats}. */
enum ods_status	h_lineage_events(struct ods_req *, struct ods_resp *);
/* ?limit (100, 1..1000): {events: OpenLineage RunEvents, total,
 * format:"openlineage"}. */
enum ods_status	h_lineage_export(struct ods_req *, struct ods_resp *);

#endif /* H_LINEAGE_H */
