/* lib/core/ods_err.h — the one error enum and its single map to HTTP. */
#ifndef ODS_ERR_H
#define ODS_ERR_H

#define ODS_MUSTCHECK	__attribute__((warn_unused_result))
#define ODS_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * Every fallible function in lib/ returns one of these. Dependency errors
 * (mysql_errno, hiredis err, CURLcode, errno) are turned into one of these
 * inside the module that saw them, and logged there once.
 */
enum ods_err {
	ODS_OK = 0,
	ODS_ENOMEM,		/* allocation failed			500 */
	ODS_EINVAL,		/* bad input from the client		400 */
	ODS_EAUTH,		/* missing or invalid credentials	401 */
	ODS_EFORBIDDEN,		/* authenticated, not allowed		403 */
	ODS_ENOTFOUND,		/* no such thing			404 */
	ODS_EMETHOD,		/* path exists, method does not		405 */
	ODS_ECONFLICT,		/* already exists / state conflict	409 */
	ODS_ETOOBIG,		/* over a size cap			413 */
	ODS_ELIMIT,		/* rate or quota limit			429 */
	ODS_EUPSTREAM,		/* upstream answered badly		502 */
	ODS_EUNAVAIL,		/* dependency down (DB, Redis, ...)	503 */
	ODS_ETIMEOUT,		/* dependency too slow			504 */
	ODS_EIO,		/* local I/O failure			500 */
	ODS_ENOSPC,		/* disk full				507 */
	ODS_ECORRUPT,		/* stored data failed its checksum	500 */
	ODS_EINTERNAL,		/* a bug: never bad input		500 */
	ODS_ERR__MAX
};

/* Short human text ("database unavailable"); never NULL. */
const char	*ods_strerror(enum ods_err);

/* Machine slug used as "error" in JSON bodies ("unavailable"); never NULL. */
const char	*ods_err_slug(enum ods_err);

/* The ONLY error -> HTTP status map. */
int		 ods_err_http(enum ods_err);

/*
 * The default five-digit envelope code (HTTP x 100 + n, reference-api §11.2):
 * 40000, 40100, ..., 50003 for ODS_EUNAVAIL.
 */
int		 ods_err_code(enum ods_err);

/* Turn an errno value into the nearest enum ods_err. */
enum ods_err	 ods_err_from_errno(int);

#endif /* ODS_ERR_H */
