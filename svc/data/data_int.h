/*
 * svc/data/data_int.h — between the files of the data sources: the context,
 * the address policy (ds_policy.c) and the drivers (ds_conn.c, the one
 * file that includes Connector/C's and libpq's headers).
 */
#ifndef SVC_DATA_INT_H
#define SVC_DATA_INT_H

#include <stddef.h>

struct ods_cidr;
struct ods_secret;
struct ods_ds_result;

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

/*
 * A session on a data source (ds_conn.c): opened on an address the
 * policy checked, used by one thread, closed by odsi_ds_close. Only
 * catalog reads (ods_cat_scan) use it: trusted SQL text of ours, with
 * one text parameter ("$1" for PostgreSQL; for MySQL the session
 * variable @ods_p, set from its hex form), every value a string.
 */
struct odsi_ds_conn;

/* One row: n values, NULL for SQL NULL; non-zero stops the read. */
typedef int	(*odsi_ds_row_fn)(void *arg, const char *const *v, size_t n);

/* 0, or -1 with res set as a failed test (slug, message). */
int		 odsi_ds_open(int kind, const struct odsi_ds_addr *, int port,
		    const char *user, const char *password,
		    const char *database, int timeout_ms,
		    struct odsi_ds_conn **out, struct ods_ds_result *res);
/*
 * Run sql with param (NULL: none) and call fn for every row. 0; -1 with
 * err set to the driver's message; 1 when fn stopped it.
 */
int		 odsi_ds_select(struct odsi_ds_conn *, const char *sql,
		    const char *param, odsi_ds_row_fn fn, void *arg,
		    char *err, size_t errlen);
int		 odsi_ds_conn_kind(const struct odsi_ds_conn *);
void		 odsi_ds_close(struct odsi_ds_conn *);

/*
 * Open a session on a saved source: its stored credential, the address
 * policy, its database. 0, or -1 with res set.
 */
struct ods_ds;
int		 odsi_ds_connect_saved(const struct ods_ds_ctx *,
		    const struct ods_ds *, struct odsi_ds_conn **out,
		    struct ods_ds_result *res);

#endif /* SVC_DATA_INT_H */
