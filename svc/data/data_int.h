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

/* A text cell of a result as a new string (NULL for NULL): dataset*.c. */
struct ods_db_res;
char	*odsi_dset_text(const struct ods_db_res *, size_t row, size_t col);

#endif /* SVC_DATA_INT_H */
