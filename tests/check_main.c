/*
 * tests/check_main.c — main() of every Check program: the program's
 * setup hook, its suite, its teardown hook (see ods_check.h).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/ods_log.h"
#include "ods_check.h"

#ifndef ODS_CHECK_SRCDIR
#define ODS_CHECK_SRCDIR	"."
#endif

static char	sqldir[4096];	/* set by main(), before any test thread */

const char *
ods_check_env(const char *name)
{
	const char	*v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "%s not set: skipped\n", name);
		return NULL;
	}
	return v;
}

void
ods_check_log(const char *prog)
{
	ods_log_init(prog, getenv("ODS_TEST_VERBOSE") != NULL ?
	    ODS_LOG_DEBUG : ODS_LOG_ERR);
}

const char *
ods_check_srcdir(void)
{
	const char	*src = getenv("top_srcdir");

	return src != NULL && *src != '\0' ? src : ODS_CHECK_SRCDIR;
}

const char *
ods_check_sqldir(void)
{
	return sqldir;
}

int
main(void)
{
	const struct ods_check	*p = &ods_check_program;
	SRunner			*sr;
	int			 rc, failed;

	snprintf(sqldir, sizeof(sqldir), "%s/sql", ods_check_srcdir());
	if (p->setup != NULL && (rc = p->setup()) != 0)
		return rc;
	sr = srunner_create(p->suite());
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (p->teardown != NULL)
		failed += p->teardown();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
