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

enum dsi_kind {
	DSI_UNSUPPORTED = 0,
	DSI_MYSQL,
	DSI_PG
};

/* A checked address: what the driver connects to. */
struct dsi_addr {
	int	 family;		/* 4 or 6 */
	unsigned char a[16];
	char	 text[64];		/* numeric form */
};

/* The kind of a type name; -1 for a name that is no type at all. */
int		 dsi_kind(const char *type);
int		 dsi_default_port(int kind);

/* Set res to a failure (slug, message). */
void		 dsi_fail(struct ods_ds_result *, const char *slug,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Resolve host once and choose the first address the policy lets
 * through into *out; 0, or -1 with res set (resolve_failed,
 * address_refused, system_database).
 */
int		 dsi_policy(const struct ods_ds_ctx *, const char *host,
		    int port, int kind, const char *database, const char *user,
		    struct dsi_addr *out, struct ods_ds_result *res);

/* Connect to addr:port, read the server version, close; fills res. */
void		 dsi_probe(int kind, const struct dsi_addr *, int port,
		    const char *user, const char *password,
		    const char *database, int timeout_ms,
		    struct ods_ds_result *res);

#endif /* SVC_DATA_INT_H */
