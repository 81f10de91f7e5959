/*
 * svc/data/datasource.h — data sources (reference-api §3.3 D10–D14): the
 * rows in MariaDB, their credentials, and connection tests through the
 * address policy.
 *
 * A data source has a public id ("ds-<12 hex>", or the client's own
 * source_id), a type, a connection {host, port, username, database,
 * schema, params} and a credential: the password sealed under
 * ODS_SECRET_KEY (core/ods_secret.h) or a reference ("env:NAME",
 * "file:/path") kept as given. Without ODS_SECRET_KEY a password can only
 * be given as a reference. A reference makes the worker send what it
 * names to the source's server, so it may name only what the operator
 * set aside: env:ODS_DS_* and files directly in ODS_DATASOURCE_SECRET_DIR
 * (never MYSQL_PASSWORD or /etc/...). A password never leaves this module
 * in a struct, a JSON writer or a message: only "has_password".
 *
 * Owner scoping: every lookup takes the caller's user id as owner (NULL:
 * an admin, who sees all). A private source of another user is
 * ODS_ENOTFOUND; a public one can be read and tested by anyone allowed to
 * read data sources, changed or deleted by its creator (else
 * ODS_EFORBIDDEN) or an admin.
 *
 * Connections (tests now; scans and queries later) go through the
 * address policy: the host is resolved once; link-local and metadata
 * addresses (169.254.0.0/16, fe80::/10, fd00:ec2::254) and the unspecified
 * ones are refused; ODS_DATASOURCE_DENY refuses; loopback and private
 * ranges (RFC 1918, 100.64.0.0/10, fc00::/7) pass only when
 * ODS_DATASOURCE_ALLOW lists them; on the system database's own server
 * the system schema and the system user are refused. The driver is given
 * the address that was checked, never the name (no second lookup: DNS
 * rebinding cannot move it).
 *
 * Types: mysql and mariadb (Connector/C), postgresql (libpq); the other
 * reference types (oracle, sqlserver, hive, mongodb, redis,
 * elasticsearch) are kept but cannot connect: "unsupported_type".
 *
 * Thread-safe: a struct ods_ds_ctx is read-only once made; every function
 * takes its database pool.
 */
#ifndef SVC_DATASOURCE_H
#define SVC_DATASOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_conf;
struct ods_db;
struct ods_jw;
struct ods_why;
struct ods_ds_ctx;

#define ODS_DS_NAME_MAX		255
#define ODS_DS_DESC_MAX		4000
#define ODS_DS_HOST_MAX		253
#define ODS_DS_FIELD_MAX	128	/* username, database, schema */
#define ODS_DS_ID_MAX		64
#define ODS_DS_PASSWORD_MAX	1024
#define ODS_DS_TAGS_MAX		64
#define ODS_DS_PARAMS_MAX	32
#define ODS_DS_LIST_MAX		1000

struct ods_ds {
	int64_t	 id;
	char	*source_id;
	char	*name;
	char	*description;
	char	*type;
	char	*status;	/* disconnected | connected | error */
	char	*last_connected;	/* ISO-8601 UTC or NULL */
	char	*last_error;
	char	*metadata;	/* JSON object text: {version, latency_ms} */
	char	*tags;		/* JSON array text */
	char	*visibility;	/* private | public */
	char	*created_by;
	char	*created_at;
	char	*updated_at;
	char	*host;
	int	 port;
	char	*username;
	char	*database;
	char	*schema;
	char	*params;	/* JSON object text */
	char	*credential;	/* sealed or a reference: never sent */
};

/*
 * Fields of a create or an update: NULL / -1 leave them as they are (a
 * create fills defaults). tags and params are JSON texts already checked
 * (an array of strings, an object of scalars); password is plain text or
 * a reference, password_clear 1 removes the stored one.
 */
struct ods_ds_spec {
	const char	*source_id;
	const char	*name;
	const char	*description;
	const char	*type;
	const char	*visibility;
	const char	*tags;
	const char	*host;
	int64_t		 port;
	const char	*username;
	const char	*password;
	int		 password_clear;
	const char	*database;
	const char	*schema;
	const char	*params;
};
void		 ods_ds_spec_init(struct ods_ds_spec *);

/*
 * The data sources' context from conf: keys and address lists (already
 * checked by ods_conf). ODS_EINVAL with why, ODS_ENOMEM.
 */
enum ods_err	 ods_ds_ctx_new(const struct ods_conf *, struct ods_ds_ctx **,
		    struct ods_why *) ODS_MUSTCHECK;
void		 ods_ds_ctx_free(struct ods_ds_ctx *);

/*
 * Create a source owned by owner. name and host are required. Returns
 * ODS_OK, ODS_EINVAL (why names the field: a bad value, or a password
 * given in clear without ODS_SECRET_KEY), ODS_ECONFLICT (source_id or
 * name taken), or the errors of ods_db.
 */
enum ods_err	 ods_ds_create(struct ods_db *, const struct ods_ds_ctx *,
		    const struct ods_ds_spec *, const char *owner,
		    struct ods_ds **out, struct ods_why *) ODS_MUSTCHECK;
/* By source_id, seen as owner: ODS_ENOTFOUND. */
enum ods_err	 ods_ds_get(struct ods_db *, const char *id, const char *owner,
		    struct ods_ds **out) ODS_MUSTCHECK;
/* Newest first; type and status filter when non-NULL. */
enum ods_err	 ods_ds_list(struct ods_db *, const char *owner,
		    const char *type, const char *status, size_t offset,
		    size_t limit, struct ods_ds **out, size_t *n,
		    int64_t *total) ODS_MUSTCHECK;
/*
 * Merge spec into ds and store it; a sealed credential is sealed again
 * under the current key (rotation). owner as for ods_ds_get: another
 * user's public source is ODS_EFORBIDDEN. Errors as ods_ds_create.
 */
enum ods_err	 ods_ds_update(struct ods_db *, const struct ods_ds_ctx *,
		    struct ods_ds *, const struct ods_ds_spec *,
		    const char *owner, struct ods_why *) ODS_MUSTCHECK;
/* Hard delete (the reference's); ODS_EFORBIDDEN as for update. */
enum ods_err	 ods_ds_delete(struct ods_db *, const struct ods_ds *,
		    const char *owner) ODS_MUSTCHECK;
void		 ods_ds_free(struct ods_ds *);
void		 ods_ds_list_free(struct ods_ds *, size_t n);

/* The source as a JSON object (reference and web field names). */
void		 ods_ds_json(struct ods_jw *, const struct ods_ds *);

/* A connection test's outcome; error is a slug, message for people. */
struct ods_ds_result {
	int	 success;
	char	 version[128];
	double	 latency_ms;
	char	 error[48];	/* unsupported_type, address_refused, ... */
	char	 message[384];	/* never holds the password */
};

/*
 * Test a connection described by spec (nothing saved): password plain or
 * a reference. Always fills res; returns ODS_EINVAL (why names the field)
 * only for a spec that cannot describe a connection (no host, bad port).
 */
enum ods_err	 ods_ds_test_spec(const struct ods_ds_ctx *,
		    const struct ods_ds_spec *, struct ods_ds_result *,
		    struct ods_why *) ODS_MUSTCHECK;
/*
 * Test a saved source with its stored credential (or password, when
 * non-NULL, as the reference's D14 body) and record status, last_error,
 * last_connected and metadata. ODS_OK with res filled, or the errors of
 * ods_db for the bookkeeping.
 */
enum ods_err	 ods_ds_test_saved(struct ods_db *, const struct ods_ds_ctx *,
		    struct ods_ds *, const char *password,
		    struct ods_ds_result *) ODS_MUSTCHECK;

#endif /* SVC_DATASOURCE_H */
