/*
 * svc/data/data_int.h — between the files of the data sources: the context,
 * the address policy (ds_policy.c) and the drivers (ds_conn.c for the
 * tests, ds_exec.c for the queries: the files that include Connector/C's
 * and libpq's headers), the per-source connection pools (ds_pool.c).
 */
#ifndef SVC_DATA_INT_H
#define SVC_DATA_INT_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_cidr;
struct ods_secret;
struct ods_ds_result;
struct ods_query_sink;
struct ods_ds;

struct ods_ds_ctx {
	struct ods_secret	*secret;
	struct ods_cidr		*allow;
	size_t			 nallow;
	struct ods_cidr		*deny;
	size_t			 ndeny;
	int			 timeout_ms;
	char			*secret_dir;	/* file: references: "" none */
	/* The system database, whose schema no data source may name. */
	char			*sys_host;
	int			 sys_port;
	char			*sys_db;
	char			*sys_user;
	int			 sys_socket;	/* reached by a unix socket */
	struct odsi_ds_pool	*pool;		/* queries' connections */
	int			 query_timeout_ms;	/* ODS_QUERY_TIMEOUT_MS */
	int			 query_max_rows;	/* ODS_QUERY_MAX_ROWS */
};

enum odsi_ds_kind {
	ODSI_DS_NONE = 0,
	ODSI_DS_MYSQL,
	ODSI_DS_PG
};

/* A checked address: what the driver connects to. */
struct odsi_ds_addr {
	int	 family;		/* 4 or 6 */
	unsigned char a[16];
	char	 text[64];		/* numeric form */
};

/* The kind of a type name; -1 for a name that is no type at all. */
int		 odsi_ds_kind(const char *type);
int		 odsi_ds_default_port(int kind);

/* Set res to a failure (slug, message). */
void		 odsi_ds_fail(struct ods_ds_result *, const char *slug,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Resolve host once and choose the first address the policy lets
 * through into *out; 0, or -1 with res set (resolve_failed,
 * address_refused, system_database).
 */
int		 odsi_ds_policy(const struct ods_ds_ctx *, const char *host,
		    int port, int kind, const char *database, const char *user,
		    struct odsi_ds_addr *out, struct ods_ds_result *res);

/* Connect to addr:port, read the server version, close; fills res. */
void		 odsi_ds_probe(int kind, const struct odsi_ds_addr *, int port,
		    const char *user, const char *password,
		    const char *database, int timeout_ms,
		    struct ods_ds_result *res);

/* ---- queries (ds_exec.c, ds_pool.c) ---- */

/*
 * The stored password of d (sealed or a reference) into *pw, to be
 * cleared with ods_secret_clear; "" when none is kept. ODS_OK, or the
 * errors of ods_secret_open / ods_secret_ref_read.
 */
enum ods_err	 odsi_ds_password(const struct ods_ds_ctx *,
		    const struct ods_ds *, char **pw) ODS_MUSTCHECK;

#define ODS_QUERY_COLS_MAX	512	/* columns of a query's result */

/* A driver's open connection, in a read-only session. */
struct odsi_ds_conn;

/*
 * Open a connection to addr:port for queries: a read-only session
 * (SET SESSION TRANSACTION READ ONLY; default_transaction_read_only),
 * one statement per call (no multi-statement mode), no LOCAL INFILE;
 * connect_ms bounds the connect, io_ms each read and write (MySQL).
 * NULL with res filled (as a probe's) on failure.
 */
struct odsi_ds_conn *odsi_ds_open(int kind, const struct odsi_ds_addr *,
		    int port, const char *user, const char *password,
		    const char *database, int connect_ms, int io_ms,
		    struct ods_ds_result *res);
void		 odsi_ds_close(struct odsi_ds_conn *);


/*
 * Run one statement (sql, len bytes) with a statement timeout of
 * timeout_ms, rows streamed to sink as the server sends them (never the
 * whole result in memory). *stopped is 1 when the sink stopped it (the
 * connection is then unusable: close it). Returns ODS_OK, ODS_EINVAL (the
 * server refused it: msg holds its message), ODS_ETIMEOUT (the statement
 * timeout), ODS_EUNAVAIL (the connection failed: msg), ODS_ENOMEM.
 * After anything but ODS_OK the connection should be closed.
 */
enum ods_err	 odsi_ds_run(struct odsi_ds_conn *, const char *sql,
		    size_t len, int timeout_ms, const struct ods_query_sink *,
		    int *stopped, char *msg, size_t msglen);

/*
 * The pools: per data source (key), at most size connections, idle ones
 * closed after idle_s seconds. fp is the connection's description (host,
 * port, user, database, credential): a pooled connection of another fp
 * is closed, so a PUT reaches every worker. Never holds its lock across
 * I/O: connecting and closing happen outside it.
 */
struct odsi_ds_pool *odsi_ds_pool_new(unsigned size, int idle_s);
void		 odsi_ds_pool_free(struct odsi_ds_pool *);
/*
 * A pooled connection of key with fp into *c (NULL: none idle, a slot
 * taken: the caller opens one and gives it to release, or calls release
 * with NULL). ODS_ETIMEOUT when all size are busy for wait_ms.
 */
enum ods_err	 odsi_ds_pool_get(struct odsi_ds_pool *, const char *key,
		    const char *fp, int wait_ms, struct odsi_ds_conn **c)
		    ODS_MUSTCHECK;
/* Give back the slot; c NULL or broken non-zero closes it. */
void		 odsi_ds_pool_put(struct odsi_ds_pool *, const char *key,
		    const char *fp, struct odsi_ds_conn *c, int broken);
/* Open connections (idle and in use) of key; for tests and metrics. */
unsigned	 odsi_ds_pool_open(struct odsi_ds_pool *, const char *key);

#endif /* SVC_DATA_INT_H */
