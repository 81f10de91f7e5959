/*
 * tests/bench/auth/verify.c — what ods_auth adds to a request: the
 * verification of one bearer token with the JWKS cached, N times.
 *
 *	ODS_BENCH_ISS=... auth-verify-bench JWKS_URL TOKEN [N]
 *
 * Prints "verify_per_sec=X us_per_verify=Y". run.sh mints the token and
 * serves the JWKS.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ods.h"
#include "auth/ods_auth.h"

int
main(int argc, char *argv[])
{
	struct ods_conf			*c = ods_conf_new();
	struct ods_arena		*ar = ods_arena_new(16384);
	struct ods_auth			*a;
	const struct ods_principal	*p;
	const char			*why, *iss = getenv("ODS_BENCH_ISS");
	struct timespec			 t0, t1;
	long				 i, n = argc > 3 ? atol(argv[3]) : 20000;
	double				 s;

	if (argc < 3 || n < 1) {
		fprintf(stderr, "usage: auth-verify-bench JWKS_URL TOKEN "
		    "[N]\n");
		return 2;
	}
	ods_log_init("bench", ODS_LOG_ERR);
	if (ods_conf_set(c, "KEYCLOAK_JWKS_URL", argv[1], NULL) != ODS_OK ||
	    ods_conf_set(c, "JWT_ISSUERS", iss != NULL ? iss : "bench",
	    NULL) != ODS_OK || (a = ods_auth_new(c, NULL, NULL)) == NULL)
		return 1;
	/* The first call fetches the JWKS; the loop runs on the cache. */
	if (ods_auth_verify(a, argv[2], ar, &p, &why) != ODS_OK) {
		fprintf(stderr, "token refused: %s\n", why);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++) {
		if (ods_auth_verify(a, argv[2], ar, &p, &why) != ODS_OK)
			return 1;
		ods_arena_reset(ar);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	s = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("verify_per_sec=%.0f us_per_verify=%.1f\n", n / s, s * 1e6 / n);
	ods_auth_free(a);
	ods_arena_free(ar);
	ods_conf_free(c);
	return 0;
}
