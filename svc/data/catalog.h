/*
 * svc/data/catalog.h — the metadata catalog (reference-api §3.3 D15–D17,
 * D25): scans of data sources into the metadata_* tables and data_assets
 * (sql/0008_catalog.sql), and the reads of the catalog and the assets.
 *
 * A scan connects to a saved source with its stored credential through
 * the address policy (datasource.h) and reads information_schema
 * (mysql, mariadb: the source's database, or every schema but the
 * server's own and the system database's) or pg_catalog (postgresql: the
 * schemas of the source's database, or only its schema): databases
 * (schemas), tables and views (comment, row estimate, size), columns
 * (type, nullable, default, comment, primary key), foreign keys as
 * relations, indexes. What it finds is upserted with scanned_at = the
 * scan's start and removed_at cleared; once everything was read, what
 * the source no longer has is stamped removed_at (never deleted). A scan
 * that fails half-way marks nothing removed.
 *
 * Reads see the catalog of the sources the caller may read (owner: the
 * caller's user id, NULL for an admin; as datasource.h), and leave out
 * removed objects unless asked. Names are at most ODS_CAT_NAME_MAX bytes.
 */
#ifndef SVC_CATALOG_H
#define SVC_CATALOG_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_db;
struct ods_ds;
struct ods_ds_ctx;
struct ods_jw;
struct ods_redis;

#define ODS_CAT_NAME_MAX	128
#define ODS_CAT_QUERY_MAX	200	/* bytes of a search text */
#define ODS_CAT_JOB		"metadata_scan"	/* the job type */

struct ods_cat_stats {
	int64_t	 databases;
	int64_t	 tables;
	int64_t	 columns;
	int64_t	 relations;
	int64_t	 indexes;
	int64_t	 removed;	/* objects newly marked removed */
	char	 error[48];	/* a failed connection's slug */
	char	 message[384];	/* and why, for people */
};

/*
 * Queue a scan of ds (already read as the caller sees it) for the worker:
 * job type ODS_CAT_JOB, payload {"source_id"}. Returns ODS_OK with *job,
 * ODS_EINVAL for a type that cannot connect, or the errors of the job
 * queue.
 */
enum ods_err	 ods_cat_scan_enqueue(struct ods_db *, struct ods_redis *,
		    const struct ods_ds *, const char *user, int64_t *job)
		    ODS_MUSTCHECK;

/*
 * Scan source_id now (the job's work). stopping (may be NULL) is asked
 * between steps. ODS_OK with st filled; ODS_ENOTFOUND (no such source),
 * ODS_EUNAVAIL (it could not be reached or read: st->error and
 * st->message say why), ODS_ETIMEOUT when stopped, or
 * the errors of ods_db.
 */
enum ods_err	 ods_cat_scan(struct ods_db *, const struct ods_ds_ctx *,
		    const char *source_id, int (*stopping)(void *),
		    void *arg, struct ods_cat_stats *st) ODS_MUSTCHECK;

/* What a read selects; strings borrowed, NULL for any. */
struct ods_cat_filter {
	const char	*owner;		/* NULL: an admin */
	const char	*source_id;
	int		 include_removed;
	int64_t		 offset;
	int64_t		 limit;
};

/*
 * Each writes the items of one page into jw (an open array) and sets
 * *total. Databases: MetaDatabase {name, description, owner} with
 * source_id, table_count, scanned_at, removed_at. Tables of database:
 * MetaTable {name, description, row_count, updated_at} with table_type,
 * size_bytes, source_id, database, removed_at (an unknown database: no
 * items). Errors of ods_db.
 */
enum ods_err	 ods_cat_databases(struct ods_db *, const struct ods_cat_filter *,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;
enum ods_err	 ods_cat_tables(struct ods_db *, const struct ods_cat_filter *,
		    const char *database, struct ods_jw *, int64_t *total)
		    ODS_MUSTCHECK;
/*
 * One table as D17's object (columns by position, primary_key,
 * relations, indexes, sample_data []) written to jw; the newest scanned
 * when several sources have it and none is named. ODS_ENOTFOUND.
 */
enum ods_err	 ods_cat_table(struct ods_db *, const struct ods_cat_filter *,
		    const char *database, const char *table, struct ods_jw *)
		    ODS_MUSTCHECK;
/*
 * The words of each table's columns in database (names and comments, in
 * position order), as one object {table: "words ..."} (the tables the
 * filter shows): for text to SQL's retrieval of the relevant tables.
 */
enum ods_err	 ods_cat_table_words(struct ods_db *,
		    const struct ods_cat_filter *, const char *database,
		    struct ods_jw *) ODS_MUSTCHECK;
/*
 * Search names and comments of databases, tables and columns for q
 * (a substring, case-insensitive); type "database", "table", "column" or
 * NULL for all. Items {type, name, database, table, column, description,
 * source_id, matched: "name"|"description", removed_at}, names first.
 */
enum ods_err	 ods_cat_search(struct ods_db *, const struct ods_cat_filter *,
		    const char *q, const char *type, struct ods_jw *,
		    int64_t *total) ODS_MUSTCHECK;

/*
 * Data assets (reference-api §3.3 D25): the DataAsset shape (id =
 * asset_id). A scan registers each table as an asset "tbl-<24 hex>";
 * rows without a source are shown to every reader. q matches name and
 * description, category and type filter when non-NULL. ods_cat_asset
 * shows a removed asset too (with removed_at); ODS_ENOTFOUND.
 */
enum ods_err	 ods_cat_assets(struct ods_db *, const struct ods_cat_filter *,
		    const char *q, const char *category, const char *type,
		    struct ods_jw *, int64_t *total) ODS_MUSTCHECK;
enum ods_err	 ods_cat_asset(struct ods_db *, const struct ods_cat_filter *,
		    const char *asset_id, struct ods_jw *) ODS_MUSTCHECK;

#endif /* SVC_CATALOG_H */
