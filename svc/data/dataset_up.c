/*
 * svc/data/dataset_up.c — uploads of a dataset's files by presigned URL
 * (file_uploads) and the object keys of its files (dataset.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "net/ods_multipart.h"
#include "store/ods_db.h"
#include "store/ods_obj.h"
#include "text/ods_tab.h"
#include "dataset.h"
#include "data_int.h"

#define UCOLS "upload_id, dataset_id, file_name, content_type, " \
	"storage_path, status, created_by, " \
	"DATE_FORMAT(expires_at, '%Y-%m-%dT%H:%i:%sZ'), " \
	"expires_at < CURRENT_TIMESTAMP(3), version_id"

void
ods_dsup_new_id(char out[24])
{
	unsigned char	b[8];
	char		hex[17];

	ods_random(b, sizeof(b));
	ods_hex(b, sizeof(b), hex);
	hex[16] = '\0';
	snprintf(out, 24, "upload-%s", hex);
}

void
ods_dset_obj_key(const char *dataset_id, const char *upload_id,
    const char *file_name, char *key, size_t len)
{
	char	safe[ODS_DSET_FILE_MAX + 1];

	ods_multipart_safe_name(file_name != NULL && *file_name != '\0' ?
	    file_name : "data", safe, sizeof(safe));
	snprintf(key, len, ODS_DSET_OBJ_PREFIX "/%s/%s/%s", dataset_id,
	    upload_id, safe);
}

void
ods_dsup_free(struct ods_dsup *u)
{
	if (u == NULL)
		return;
	free(u->upload_id);
	free(u->dataset_id);
	free(u->file_name);
	free(u->content_type);
	free(u->storage_path);
	free(u->status);
	free(u->created_by);
	free(u->expires_at);
	free(u->version_id);
	free(u);
}

enum ods_err
ods_dsup_get(struct ods_db *db, const char *dataset_id, const char *upload_id,
    struct ods_dsup **out)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	struct ods_dsup		*u;
	enum ods_err		 er;
	int64_t			 exp = 0;

	*out = NULL;
	if (upload_id == NULL || strlen(upload_id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(upload_id);
	a[1] = ods_db_text(dataset_id);
	er = ods_db_query_once(db, "SELECT " UCOLS " FROM file_uploads WHERE "
	    "upload_id = ? AND dataset_id = ?", a, 2, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		u = ods_xcalloc(1, sizeof(*u));
		u->upload_id = ods_db_res_strdup(res, 0, 0);
		u->dataset_id = ods_db_res_strdup(res, 0, 1);
		u->file_name = ods_db_res_strdup(res, 0, 2);
		u->content_type = ods_db_res_strdup(res, 0, 3);
		u->storage_path = ods_db_res_strdup(res, 0, 4);
		u->status = ods_db_res_strdup(res, 0, 5);
		u->created_by = ods_db_res_strdup(res, 0, 6);
		u->expires_at = ods_db_res_strdup(res, 0, 7);
		if (ods_db_res_int(res, 0, 8, &exp) != ODS_OK)
			exp = 0;
		u->expired = exp != 0;
		u->version_id = ods_db_res_strdup(res, 0, 9);
		*out = u;
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_dsup_create(struct ods_db *db, const struct ods_dset *d,
    const char *file_name, const char *content_type, int expires_s,
    const char *owner, struct ods_dsup **out)
{
	struct ods_db_arg	a[7];
	char			id[24], key[ODS_DSET_PATH_MAX + 1];
	enum ods_err		er;

	*out = NULL;
	if (!ods_dset_may_change(d, owner))
		return ODS_EFORBIDDEN;
	if (strcmp(d->status, "deleted") == 0)
		return ODS_ECONFLICT;
	ods_dsup_new_id(id);
	ods_dset_obj_key(d->dataset_id, id, file_name, key, sizeof(key));
	a[0] = ods_db_text(id);
	a[1] = ods_db_text(d->dataset_id);
	a[2] = ods_db_text(file_name);
	a[3] = ods_db_text(content_type);
	a[4] = ods_db_text(key);
	a[5] = ods_db_text(owner);
	a[6] = ods_db_int(expires_s);
	er = ods_db_exec_once(db, "INSERT INTO file_uploads (upload_id, "
	    "dataset_id, file_name, content_type, storage_path, created_by, "
	    "status, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', "
	    "CURRENT_TIMESTAMP(3) + INTERVAL ? SECOND)", a, 7, NULL);
	if (er != ODS_OK)
		return er;
	return ods_dsup_get(db, d->dataset_id, id, out);
}

enum ods_err
ods_dsup_claim(struct ods_db *db, const struct ods_dsup *u)
{
	struct ods_db_arg	a[1];
	uint64_t		n = 0;
	enum ods_err		er;

	a[0] = ods_db_text(u->upload_id);
	er = ods_db_exec_once(db, "UPDATE file_uploads SET status = "
	    "'completed', completed_at = CURRENT_TIMESTAMP(3) WHERE "
	    "upload_id = ? AND status = 'pending'", a, 1, &n);
	if (er == ODS_OK && n == 0)
		er = ODS_ECONFLICT;
	return er;
}

enum ods_err
ods_dsup_complete(struct ods_db *db, const struct ods_dsup *u, int64_t size,
    const char *sha256, const char *version_id)
{
	struct ods_db_arg	a[4];

	a[0] = ods_db_int(size);
	a[1] = ods_db_text(sha256);
	a[2] = ods_db_text(version_id);
	a[3] = ods_db_text(u->upload_id);
	return ods_db_exec_once(db, "UPDATE file_uploads SET file_size = ?, "
	    "sha256 = ?, version_id = ? WHERE upload_id = ?", a, 4, NULL);
}

void
ods_dsup_reopen(struct ods_db *db, const struct ods_dsup *u)
{
	struct ods_db_arg	a[1];

	a[0] = ods_db_text(u->upload_id);
	if (ods_db_exec_once(db, "UPDATE file_uploads SET status = "
	    "'pending', completed_at = NULL WHERE upload_id = ?", a, 1,
	    NULL) != ODS_OK)
		ods_log(ODS_LOG_WARN, "dataset_upload_reopen_failed upload=%s",
		    u->upload_id);
}

enum ods_err
ods_dsup_expire(struct ods_db *db, struct ods_obj *store, int grace_s,
    size_t batch, size_t *n)
{
	struct ods_db_res	*res = NULL;
	struct ods_db_arg	 a[2];
	const char		*id, *key;
	enum ods_err		 er, de;
	uint64_t		 hit;
	size_t			 i;

	*n = 0;
	a[0] = ods_db_int(grace_s);
	a[1] = ods_db_int((int64_t)batch);
	er = ods_db_query_once(db, "SELECT upload_id, storage_path FROM "
	    "file_uploads WHERE status = 'pending' AND expires_at < "
	    "CURRENT_TIMESTAMP(3) - INTERVAL ? SECOND ORDER BY id LIMIT ?", a,
	    2, batch, &res);
	if (er != ODS_OK)
		return er;
	for (i = 0; i < ods_db_res_nrows(res); i++) {
		id = ods_db_res_text(res, i, 0, NULL);
		key = ods_db_res_text(res, i, 1, NULL);
		if (store != NULL && key != NULL && key[0] != '\0' &&
		    (de = ods_obj_delete(store, key)) != ODS_OK &&
		    de != ODS_ENOTFOUND) {
			ods_log(ODS_LOG_WARN, "dataset_upload_expire_failed "
			    "upload=%s err=%s", id, ods_err_slug(de));
			continue;	/* the row stays for the next run */
		}
		a[0] = ods_db_text(id);
		hit = 0;
		er = ods_db_exec_once(db, "UPDATE file_uploads SET status = "
		    "'expired' WHERE upload_id = ? AND status = 'pending'", a,
		    1, &hit);
		if (er != ODS_OK)
			break;
		*n += (size_t)hit;
	}
	ods_db_res_free(res);
	return er;
}
