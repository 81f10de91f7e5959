/*
 * fcgi/data/h_datasets.h — /datasets (reference-api §3.3 D2–D9): list,
 * create, read, update, soft delete; uploads (multipart through this
 * route, or a presigned PUT then a completion), versions, presigned
 * downloads and previews. The domain is svc/data/dataset.h; files live
 * in the object store under datasets/<dataset_id>/<upload_id>/<name>.
 *
 * Permissions (§7.2): dataset:read for reads (viewer, analyst, user,
 * guest, engineer), dataset:create for versions and uploads (engineer),
 * dataset:update for changes, dataset:delete (admin). Another user's
 * private dataset is a 404; changing a dataset is its creator's or an
 * admin's (403 otherwise).
 */
#ifndef H_DATASETS_H
#define H_DATASETS_H

#include "net/ods_req.h"
#include "server/ods_router.h"

#define H_DATASETS_ROUTES \
	{ ODS_GET, "/datasets", h_datasets_list, ODS_AUTH_REQUIRED, \
	    "dataset:read" }, \
	{ ODS_POST, "/datasets", h_datasets_create, ODS_AUTH_REQUIRED, \
	    "dataset:create" }, \
	{ ODS_GET, "/datasets/{id}", h_datasets_get, ODS_AUTH_REQUIRED, \
	    "dataset:read" }, \
	{ ODS_PUT, "/datasets/{id}", h_datasets_update, ODS_AUTH_REQUIRED, \
	    "dataset:update" }, \
	{ ODS_DELETE, "/datasets/{id}", h_datasets_delete, \
	    ODS_AUTH_REQUIRED, "dataset:delete" }, \
	{ ODS_POST, "/datasets/{id}/upload", h_datasets_upload, \
	    ODS_AUTH_REQUIRED, "dataset:create", ODS_BODY_UPLOAD }, \
	{ ODS_POST, "/datasets/{id}/upload-url", h_datasets_upload_url, \
	    ODS_AUTH_REQUIRED, "dataset:create" }, \
	{ ODS_POST, "/datasets/{id}/uploads/{upload_id}/complete", \
	    h_datasets_upload_complete, ODS_AUTH_REQUIRED, \
	    "dataset:create" }, \
	{ ODS_POST, "/datasets/{id}/access", h_datasets_access, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_GET, "/datasets/{id}/preview", h_datasets_preview, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_GET, "/datasets/{id}/versions", h_datasets_versions, \
	    ODS_AUTH_REQUIRED, "dataset:read" }, \
	{ ODS_POST, "/datasets/{id}/versions", h_datasets_version_add, \
	    ODS_AUTH_REQUIRED, "dataset:create" }

/*
 * ?status=&format=&tags=&q= (or search, keyword)&page=&page_size=:
 * data:{datasets:[...], total, page, page_size} and the three numbers at
 * the top level (§11.3). Deleted datasets only with status=deleted.
 */
enum ods_status	h_datasets_list(struct ods_req *, struct ods_resp *);
/*
 * {name, dataset_id?, description, storage_type, storage_path, format,
 * status, visibility, tags, row_count, size_bytes, schema:{columns:[{name,
 * type, nullable, description}]}}: 201 data: the dataset. 400 naming the
 * field; 409 code 40901 for a taken dataset_id.
 */
enum ods_status	h_datasets_create(struct ods_req *, struct ods_resp *);
/* data: the dataset with its schema; 404 code 40401. */
enum ods_status	h_datasets_get(struct ods_req *, struct ods_resp *);
/* The same fields but dataset_id; 200 data: the dataset. */
enum ods_status	h_datasets_update(struct ods_req *, struct ods_resp *);
/* Soft delete (status "deleted"): 200 data null. */
enum ods_status	h_datasets_delete(struct ods_req *, struct ods_resp *);
/*
 * multipart/form-data: file (required), description: the file streamed
 * into the store (spooled once to count and hash it), then the next
 * version: 201 data: the version, with the dataset's columns.
 */
enum ods_status	h_datasets_upload(struct ods_req *, struct ods_resp *);
/*
 * {file_name (required), content_type, expires (1..86400, 3600)}: 200
 * data:{upload_id, upload_url, url, method:"PUT", expires_in, file_id,
 * expires_at, object_path, complete_url}. The client PUTs the bytes to
 * upload_url, then completes.
 */
enum ods_status	h_datasets_upload_url(struct ods_req *, struct ods_resp *);
/*
 * {sha256?, description?}: the uploaded object read through (size,
 * SHA-256, rows, columns) and made the next version: 201 data: the
 * version. 409 when nothing was uploaded yet or the upload was completed
 * already; 400 when sha256 is given and differs.
 */
enum ods_status	h_datasets_upload_complete(struct ods_req *,
		    struct ods_resp *);
/*
 * {operation: download|upload, expires (1..86400), version?, file_name}:
 * download: data:{presigned_url, url, method:"GET", bucket, object_path,
 * expires_in, expires_at, operation}; upload: as upload-url.
 */
enum ods_status	h_datasets_access(struct ods_req *, struct ods_resp *);
/*
 * ?limit= (1..1000, 100)&version=&encoding=: data:{columns:[{name, type,
 * nullable}], rows:[{column: value}], total_rows, format, charset,
 * delimiter, has_header, version}; 422 {error:"malformed_file", message,
 * line} for a file that does not parse; 404 before any version; 415 for
 * a format without a reader (parquet, excel).
 */
enum ods_status	h_datasets_preview(struct ods_req *, struct ods_resp *);
/* ?page=&page_size=: data:{versions:[...], total, page, page_size}. */
enum ods_status	h_datasets_versions(struct ods_req *, struct ods_resp *);
/*
 * {upload_id} completes that upload; {storage_path (an object under
 * datasets/<id>/), description, checksum?}: the object read through and
 * made the next version. 201 data: the version.
 */
enum ods_status	h_datasets_version_add(struct ods_req *, struct ods_resp *);

#endif /* H_DATASETS_H */
