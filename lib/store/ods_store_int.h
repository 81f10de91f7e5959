/*
 * lib/store/ods_store_int.h — what the object store's files share (ods_obj.c
 * the front and the route signatures, ods_obj_dir.c, ods_obj_s3.c). Not
 * for use outside lib/store.
 */
#ifndef ODS_STORE_INT_H
#define ODS_STORE_INT_H

#include "core/ods_mem.h"
#include "store/ods_obj.h"

/* A backend; the front has validated keys, content types and ranges. */
struct odsi_obj_ops {
	const char	*name;
	enum ods_err	(*put)(void *, const char *key, const char *ctype,
			    const char *sha256, uint64_t max, ods_obj_reader,
			    void *, struct ods_obj_info *);
	enum ods_err	(*get)(void *, const char *key, uint64_t off,
			    uint64_t len, const struct ods_obj_sink *);
	enum ods_err	(*head)(void *, const char *key,
			    struct ods_obj_info *);
	enum ods_err	(*del)(void *, const char *key);
	enum ods_err	(*copy)(void *, const char *src, const char *dst);
	enum ods_err	(*list)(void *, const char *prefix, const char *token,
			    size_t max, struct ods_obj_list *);
	/* NULL: the route's URL (ods_obj_route_url). */
	enum ods_err	(*presign)(void *, const char *method,
			    const char *key, int expires_s, time_t now,
			    char **url);
	enum ods_err	(*check)(void *, int timeout_ms);
	void		(*free)(void *);
};

extern const struct odsi_obj_ops odsi_obj_dir_ops;
extern const struct odsi_obj_ops odsi_obj_s3_ops;

/* Backend state from the configuration; NULL (logged) when unusable. */
void		*odsi_obj_dir_new(const struct ods_conf *, const char *root);
void		*odsi_obj_s3_new(const struct ods_conf *);

/*
 * Percent-encode s into b the SigV4 way (RFC 3986 unreserved bytes kept,
 * the rest %XX upper-case); '/' kept when keep_slash.
 */
enum ods_err	 odsi_obj_pct(struct ods_buf *, const char *s,
		    int keep_slash);

/* Content type acceptable for a header line (printable ASCII, short). */
int		 odsi_obj_ctype_ok(const char *);

/* Growing a list page by one zeroed item. */
struct ods_obj_info *odsi_obj_list_add(struct ods_obj_list *, size_t max);

#endif /* ODS_STORE_INT_H */
