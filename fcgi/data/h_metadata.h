/*
 * fcgi/data/h_metadata.h — the metadata catalog (reference-api §3.3
 * D15–D17, D25): the databases, tables and one table of the catalog, a
 * search across them, scans of data sources run by ods-worker, and the
 * data assets the scans register. The domain is
 * svc/data/catalog.h.
 *
 * Permissions (§7.2, lib/auth/ods_auth_rbac.c): metadata:read for reads
 * (viewer, guest, analyst, engineer), metadata:create for a scan
 * (engineer, admin). Reads show the catalog of the sources the caller may
 * read; a scan of another user's private source is a 404.
 */
#ifndef H_METADATA_H
#define H_METADATA_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_METADATA_ROUTES \
	{ ODS_GET, "/metadata/databases", h_metadata_databases, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/metadata/databases/{database}/tables", \
	    h_metadata_tables, ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/metadata/databases/{database}/tables/{table}", \
	    h_metadata_table, ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/metadata/search", h_metadata_search, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_POST, "/metadata/scan", h_metadata_scan, ODS_AUTH_REQUIRED, \
	    "metadata:create" }, \
	{ ODS_GET, "/metadata/scan/{task_id}/result", h_metadata_scan_result, \
	    ODS_AUTH_REQUIRED, "metadata:read" }, \
	{ ODS_GET, "/assets", h_assets_list, ODS_AUTH_REQUIRED, \
	    "metadata:read" }, \
	{ ODS_GET, "/assets/{asset_id}", h_assets_get, ODS_AUTH_REQUIRED, \
	    "metadata:read" }

/*
 * Query parameters of the reads: source_id (one source), include_removed
 * (1: also what scans found removed), page/page_size (§11.3).
 * D15: data:{databases:[...], total, page, page_size} and the page at the
 * top level; D16 the same with tables (an unknown database: none).
 */
enum ods_status	h_metadata_databases(struct ods_req *, struct ods_resp *);
enum ods_status	h_metadata_tables(struct ods_req *, struct ods_resp *);
/* D17: data:{table_name, database, description, row_count, columns, ...}; 404 code 40402. */
enum ods_status	h_metadata_table(struct ods_req *, struct ods_resp *);
/* ?q= (required, 1..200 bytes) &type=database|table|column: data:{results:[...], ...}. */
enum ods_status	h_metadata_search(struct ods_req *, struct ods_resp *);
/* {source_id}: 202 data:{job_id, task_id, source_id, status:"queued"}. */
enum ods_status	h_metadata_scan(struct ods_req *, struct ods_resp *);
/* The scan job (the caller's own; an admin's any): data: the job and its result. */
enum ods_status	h_metadata_scan_result(struct ods_req *, struct ods_resp *);

/*
 * D25: ?q=&category=&asset_type=&source_id=&include_removed=&page=
 * &page_size= (20): data:{assets:[DataAsset], total, page, page_size}.
 * GET /assets/{asset_id}: data: the asset, 404 code 40400.
 */
enum ods_status	h_assets_list(struct ods_req *, struct ods_resp *);
enum ods_status	h_assets_get(struct ods_req *, struct ods_resp *);

#endif /* H_METADATA_H */
