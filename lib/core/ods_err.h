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
	ODS_EUNSUPPORTED,	/* a media type we cannot read		415 */
	ODS_EMALFORMED,		/* a stored file we cannot parse		422 */
	ODS_ERR__MAX
};

/*
 * The envelope's five-digit codes (reference-api §11.2): HTTP status x
 * 100 plus a sub-code. They are user-visible (the web and scripts match
 * on them), so they are named here once and never written as literals.
 */
enum ods_code {
	ODS_C_DEFAULT = 0,		/* the error's own: ods_err_code() */
	ODS_C_BAD_REQUEST = 40000,	/* generic 400 */
	ODS_C_INVALID_FIELD = 40001,	/* a field missing or invalid */
	ODS_C_INVALID_STATE = 40002,	/* invalid state or definition */
	ODS_C_SQL_REJECTED = 40003,	/* SQL refused by the query rules */
	ODS_C_TOKEN_MISSING = 40100,	/* no credentials */
	ODS_C_TOKEN_INVALID = 40101,	/* invalid or expired credentials */
	ODS_C_FORBIDDEN = 40300,	/* with "required":"res:op" */
	ODS_C_NOT_FOUND = 40400,	/* generic 404 */
	ODS_C_ENTITY_NOT_FOUND = 40401,	/* a named entity */
	ODS_C_TABLE_NOT_FOUND = 40402,	/* a table or an execution */
	ODS_C_METHOD = 40500,
	ODS_C_CONFLICT = 40900,		/* e.g. a data source exists */
	ODS_C_DATASET_EXISTS = 40901,
	ODS_C_TOO_LARGE = 41300,
	ODS_C_UNSUPPORTED_MEDIA = 41500,	/* a file format we cannot read */
	ODS_C_UNPROCESSABLE = 42200,	/* a file that does not parse */
	ODS_C_RATE_LIMITED = 42900,	/* with Retry-After */
	ODS_C_INTERNAL = 50000,
	ODS_C_AGENT_INTERNAL = 50001,
	ODS_C_UPSTREAM = 50002,		/* upstream LLM or query failure */
	ODS_C_UNAVAILABLE = 50003,	/* a dependency is down */
	ODS_C_BAD_GATEWAY = 50200,	/* an upstream answered badly */
	ODS_C_GATEWAY_TIMEOUT = 50400,
	ODS_C_NO_SPACE = 50700
};

/*
 * The one way to say what went wrong, beside an enum ods_err: for the
 * client (a 400 names the field of its body) or for the operator (a
 * setting, a line of a SQL file). Functions that explain a failure take
 * a struct ods_why * (NULL: no details wanted) and fill it with
 * ods_why_set; msg never holds a secret (a password, a token, a key).
 */
struct ods_why {
	char	field[64];	/* "" when no one field is at fault */
	char	msg[256];
};

/* Set why's field (NULL: none) and message; why NULL is a no-op. */
void		 ods_why_set(struct ods_why *, const char *field,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Short human text ("database unavailable"); never NULL. */
const char	*ods_strerror(enum ods_err);

/* Machine slug used as "error" in JSON bodies ("unavailable"); never NULL. */
const char	*ods_err_slug(enum ods_err);

/* The ONLY error -> HTTP status map. */
int		 ods_err_http(enum ods_err);

/* The error's default envelope code (ODS_C_BAD_REQUEST, ...). */
enum ods_code	 ods_err_code(enum ods_err);

/* Turn an errno value into the nearest enum ods_err. */
enum ods_err	 ods_err_from_errno(int);

#endif /* ODS_ERR_H */
