/*
 * svc/data/dataset.h — datasets (reference-api §3.3 D2–D9): the rows in
 * MariaDB, their schema (dataset_columns), their versions (one stored
 * file each: dataset_versions) and uploads by presigned URL
 * (file_uploads); reading a version's file for a preview and scanning
 * it (size, SHA-256, rows, columns) when a version is made.
 *
 * A dataset has a public id ("dataset-<12 hex>", or the client's own
 * dataset_id), a name (1..100 characters: letters, digits, CJK, '_', '-'
 * and spaces, as D3's rules), a description (at most 500), a storage
 * type (s3 | hdfs | local), a format (csv | tsv | json | jsonl | parquet
 * | excel), a status (active | archived | deleted), at most 20 tags of
 * at most 50 bytes, a schema, and a visibility.
 *
 * Owner scoping: every lookup takes the caller's user id as owner (NULL:
 * an admin, who sees all). Another user's private dataset is
 * ODS_ENOTFOUND; a public one can be read by anyone allowed to read
 * datasets; changes (update, versions, uploads) are its creator's or an
 * admin's (else ODS_EFORBIDDEN). Delete is soft: status "deleted", and a
 * deleted dataset is left out of lists (unless status=deleted is asked)
 * and refuses new versions.
 *
 * Versions: ods_dsver_add numbers them 1, 2, ... under a lock of the
 * dataset's row, so concurrent adds get distinct, consecutive numbers.
 * The newest version's size, rows and object are the dataset's.
 *
 * Thread-safe: every function takes its database pool or object store.
 */
#ifndef SVC_DATASET_H
#define SVC_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_jw;
struct ods_obj;
struct ods_tab;
struct ods_why;

#define ODS_DSET_ID_MAX		64
#define ODS_DSET_NAME_MAX	100	/* characters */
#define ODS_DSET_DESC_MAX	500	/* characters */
#define ODS_DSET_TAGS_MAX	20
#define ODS_DSET_TAG_MAX	50	/* bytes */
#define ODS_DSET_COLS_MAX	1024
#define ODS_DSET_PATH_MAX	512
#define ODS_DSET_FILE_MAX	255	/* bytes of a file name */
#define ODS_DSET_LIST_MAX	1000
/* What a preview reads of a file at most (a ranged read of the head). */
#define ODS_DSET_HEAD_BYTES	(4u << 20)
/* Object keys: datasets/<dataset_id>/<upload_id>/<file name>. */
#define ODS_DSET_OBJ_PREFIX	"datasets"

struct ods_dset_col {
	char	*name;
	char	*type;
	int	 nullable;
	char	*description;
};

struct ods_dset {
	int64_t			 id;
	char			*dataset_id;
	char			*name;
	char			*description;
	char			*storage_type;
	char			*storage_path;
	char			*format;
	char			*status;
	int64_t			 row_count;
	int64_t			 size_bytes;
	char			*tags;		/* JSON array text */
	char			*visibility;
	char			*created_by;
	char			*created_at;
	char			*updated_at;
	int64_t			 version;	/* newest version number, 0 */
	size_t			 ncols;
	struct ods_dset_col	*cols;
};

/*
 * Fields of a create or an update: NULL / -1 leave them as they are (a
 * create fills defaults). tags is a JSON array text already checked;
 * cols (ncols of them) replaces the schema when set_cols.
 */
struct ods_dset_spec {
	const char			*dataset_id;
	const char			*name;
	const char			*description;
	const char			*storage_type;
	const char			*storage_path;
	const char			*format;
	const char			*status;
	const char			*visibility;
	const char			*tags;
	int64_t				 row_count;
	int64_t				 size_bytes;
	int				 set_cols;
	const struct ods_dset_col	*cols;
	size_t				 ncols;
};
void		 ods_dset_spec_init(struct ods_dset_spec *);

/*
 * Check a spec's values (create: name required): ODS_OK or ODS_EINVAL
 * with why naming the field.
 */
enum ods_err	 ods_dset_spec_check(const struct ods_dset_spec *,
		    int create, struct ods_why *) ODS_MUSTCHECK;

/*
 * Create a dataset owned by owner: ODS_OK, ODS_EINVAL (why), ODS_ECONFLICT
 * (dataset_id taken), or the errors of ods_db.
 */
enum ods_err	 ods_dset_create(struct ods_db *, const struct ods_dset_spec *,
		    const char *owner, struct ods_dset **out, struct ods_why *)
		    ODS_MUSTCHECK;
/* By dataset_id, seen as owner, with its schema: ODS_ENOTFOUND. */
enum ods_err	 ods_dset_get(struct ods_db *, const char *id,
		    const char *owner, struct ods_dset **out) ODS_MUSTCHECK;

/* A list's filters; NULL: any. */
struct ods_dset_filter {
	const char	*status;	/* NULL: all but deleted */
	const char	*format;
	const char	*tag;		/* one of the tags */
	const char	*q;		/* in the name or description */
};
/* Newest first (no schema in the items). */
enum ods_err	 ods_dset_list(struct ods_db *, const char *owner,
		    const struct ods_dset_filter *, size_t offset, size_t limit,
		    struct ods_dset **out, size_t *n, int64_t *total)
		    ODS_MUSTCHECK;
/*
 * Merge spec into d and store it (d is read back). ODS_EFORBIDDEN when
 * owner may not change it; errors as create.
 */
enum ods_err	 ods_dset_update(struct ods_db *, struct ods_dset *,
		    const struct ods_dset_spec *, const char *owner,
		    struct ods_why *) ODS_MUSTCHECK;
/* Soft delete; ODS_EFORBIDDEN as for update. */
enum ods_err	 ods_dset_delete(struct ods_db *, struct ods_dset *,
		    const char *owner) ODS_MUSTCHECK;
/* Whether owner may change d (update, versions, uploads). */
int		 ods_dset_may_change(const struct ods_dset *,
		    const char *owner);
void		 ods_dset_free(struct ods_dset *);
void		 ods_dset_list_free(struct ods_dset *, size_t n);
/* The dataset as a JSON object (reference and web field names). */
void		 ods_dset_json(struct ods_jw *, const struct ods_dset *);

/* ---- versions ---- */

struct ods_dsver {
	char	*version_id;		/* "ver-<dataset_id>-<n>" */
	char	*dataset_id;
	int64_t	 number;
	char	*storage_path;		/* the object key */
	char	*description;
	int64_t	 row_count;
	int64_t	 size_bytes;
	char	*checksum;		/* SHA-256 hex */
	char	*file_name;
	char	*content_type;
	char	*format;
	int	 has_header;
	char	*charset;
	char	*upload_id;
	char	*created_by;
	char	*created_at;
};

/* What a new version is; tab (may be NULL) gives the schema. */
struct ods_dsver_spec {
	const char		*storage_path;
	const char		*description;
	int64_t			 row_count;
	int64_t			 size_bytes;
	const char		*checksum;
	const char		*file_name;
	const char		*content_type;
	const char		*format;
	int			 has_header;
	const char		*charset;
	const char		*upload_id;
	const struct ods_tab	*tab;
};

/*
 * The next version of d: its number taken under a lock of d's row; the
 * dataset's storage_path, size, rows (and format, schema when given) set
 * from it. ODS_EFORBIDDEN (owner), ODS_ECONFLICT (d is deleted), errors
 * of ods_db.
 */
enum ods_err	 ods_dsver_add(struct ods_db *, const struct ods_dset *,
		    const struct ods_dsver_spec *, const char *owner,
		    struct ods_dsver **out) ODS_MUSTCHECK;
/* Newest first. */
enum ods_err	 ods_dsver_list(struct ods_db *, const char *dataset_id,
		    size_t offset, size_t limit, struct ods_dsver **out,
		    size_t *n, int64_t *total) ODS_MUSTCHECK;
/* Version number of dataset_id (0: the newest): ODS_ENOTFOUND. */
enum ods_err	 ods_dsver_get(struct ods_db *, const char *dataset_id,
		    int64_t number, struct ods_dsver **out) ODS_MUSTCHECK;
void		 ods_dsver_free(struct ods_dsver *);
void		 ods_dsver_list_free(struct ods_dsver *, size_t n);
void		 ods_dsver_json(struct ods_jw *, const struct ods_dsver *);
/* Its members only, into an object the caller opened. */
void		 ods_dsver_json_fields(struct ods_jw *,
		    const struct ods_dsver *);

/* ---- uploads by presigned URL ---- */

struct ods_dsup {
	char	*upload_id;		/* "upload-<16 hex>" */
	char	*dataset_id;
	char	*file_name;
	char	*content_type;
	char	*storage_path;		/* the key the URL may write */
	char	*status;		/* pending | completed | failed |
					   expired */
	char	*created_by;
	char	*expires_at;
	int	 expired;
	char	*version_id;
};

/* A pending upload of file_name into d for expires_s seconds. */
enum ods_err	 ods_dsup_create(struct ods_db *, const struct ods_dset *,
		    const char *file_name, const char *content_type,
		    int expires_s, const char *owner, struct ods_dsup **out)
		    ODS_MUSTCHECK;
/* By upload_id within dataset_id: ODS_ENOTFOUND. */
enum ods_err	 ods_dsup_get(struct ods_db *, const char *dataset_id,
		    const char *upload_id, struct ods_dsup **out)
		    ODS_MUSTCHECK;
/*
 * Take a pending upload for completion, once: ODS_ECONFLICT when it was
 * no longer pending (completed already, or being completed).
 */
enum ods_err	 ods_dsup_claim(struct ods_db *, const struct ods_dsup *)
		    ODS_MUSTCHECK;
/* Record what arrived and the version it made. */
enum ods_err	 ods_dsup_complete(struct ods_db *, const struct ods_dsup *,
		    int64_t size, const char *sha256, const char *version_id)
		    ODS_MUSTCHECK;
/* Back to pending after a claim whose completion failed (to retry). */
void		 ods_dsup_reopen(struct ods_db *, const struct ods_dsup *);
void		 ods_dsup_free(struct ods_dsup *);
/*
 * Uploads left pending grace_s seconds past their expiry (completion
 * refuses them, so they never will be): up to batch of them, whatever the
 * client PUT at the key deleted from store (NULL: rows only) and the row
 * marked "expired". Object first, row second: a crash between the two
 * leaves a row the next call finishes. *n: rows expired.
 */
struct ods_obj;
enum ods_err	 ods_dsup_expire(struct ods_db *, struct ods_obj *store,
		    int grace_s, size_t batch, size_t *n) ODS_MUSTCHECK;
/* A fresh upload id and the object key for a file of d. */
void		 ods_dsup_new_id(char out[24]);
void		 ods_dset_obj_key(const char *dataset_id, const char *upload_id,
		    const char *file_name, char *key, size_t len);

/* ---- files ---- */

/*
 * The table format of a version: its file name's extension, else its
 * format, else the dataset's format.
 */
int		 ods_dset_tab_format(const struct ods_dset *,
		    const struct ods_dsver *);

/* What a whole file is: its bytes, rows, and its head's table. */
struct ods_dset_scan {
	uint64_t	 size;
	char		 sha256[65];
	uint64_t	 rows;
	int		 header;
	char		 charset[32];
	struct ods_tab	*tab;		/* NULL when the head did not parse */
	char		 why[256];	/* then why */
};
/*
 * The record counter and the head of a file as it streams by (for an
 * upload spooled by the caller): init, feed, end. fmt is an enum
 * ods_tab_format.
 */
struct ods_dset_scanner;
struct ods_dset_scanner *ods_dset_scanner_new(int fmt);
void		 ods_dset_scanner_feed(struct ods_dset_scanner *, const char *,
		    size_t);
/* Fills out (the size and SHA-256 the scanner saw); frees s. */
void		 ods_dset_scanner_end(struct ods_dset_scanner *,
		    struct ods_dset_scan *out);
/*
 * Stream key from the store through a scanner: ODS_OK with out filled
 * (release with ods_dset_scan_fini), errors of ods_obj_get.
 */
enum ods_err	 ods_dset_scan_obj(struct ods_obj *, const char *key, int fmt,
		    struct ods_dset_scan *out) ODS_MUSTCHECK;
void		 ods_dset_scan_fini(struct ods_dset_scan *);

/*
 * The first limit rows of key by a ranged read of at most
 * ODS_DSET_HEAD_BYTES: errors of ods_tab_read (ODS_EMALFORMED with why
 * and *line) and of ods_obj_get. *out: ods_tab_free.
 */
enum ods_err	 ods_dset_preview(struct ods_obj *, const char *key, int fmt,
		    size_t limit, const char *charset_hint,
		    struct ods_tab **out, size_t *line, struct ods_why *)
		    ODS_MUSTCHECK;

#endif /* SVC_DATASET_H */
