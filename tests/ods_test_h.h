/*
 * tests/ods_test_h.h — route handlers run on requests built in memory
 * against a scratch database (tests/ods_test_h.c, in tests/libodscheck.a):
 * the world one handler test needs (arena, configuration, pool, the
 * request's fake I/O and environment), requests as a given principal with
 * a JSON body and an {id}, and the principals the tests use.
 */
#ifndef ODS_TEST_H_H
#define ODS_TEST_H_H

#include <stddef.h>

#include "ods.h"
#include "auth/ods_auth.h"
#include "ods_test.h"

struct ods_test_h {
	struct ods_arena	*arena;
	struct ods_conf		*conf;
	struct ods_db		*db;
	struct fake_io		 fio;
	struct ods_req_io	 io;
	struct ods_req_env	 env;
	const char		*uri;	/* DOCUMENT_URI of the requests */
	size_t			 body_max; /* 0: the default */
};

/*
 * The world of service's handlers on database dbname of dsn, requests to
 * uri. ods_test_h_fini releases it.
 */
void		 ods_test_h_init(struct ods_test_h *, const char *dsn,
		    const char *dbname, const char *service, const char *uri);
void		 ods_test_h_fini(struct ods_test_h *);
/*
 * A request as p (may be NULL) with a query string, a JSON body and path
 * parameters "name=value" (a NULL-terminated list); any may be NULL.
 */
struct ods_req	*ods_test_h_request(struct ods_test_h *, const char *method,
		    const struct ods_principal *p, const char *query,
		    const char *json, const char *const *params);
/* The same with only a JSON body and an {id} (both may be NULL). */
struct ods_req	*ods_test_h_req(struct ods_test_h *, const char *method,
		    const struct ods_principal *p, const char *id,
		    const char *json);
/* Run handler h on r; the HTTP status it answered. */
int		 ods_test_h_run(enum ods_status (*h)(struct ods_req *,
		    struct ods_resp *), struct ods_req *r);
/* The body of the last answer. */
const char	*ods_test_h_body(const struct ods_test_h *);
/*
 * The string value of the first "key" in the last body, copied into out
 * (NULL when absent).
 */
const char	*ods_test_h_field(const struct ods_test_h *, const char *key,
		    char *out, size_t len);

/*
 * Token principals: users alice and bob, data engineers erin and eddy,
 * admin root.
 */
extern const struct ods_principal ods_test_alice, ods_test_bob,
		    ods_test_erin, ods_test_eddy, ods_test_root;

#endif /* ODS_TEST_H_H */
