/*
 * tests/ods_check.h — the one main() of the Check programs (check_main.c).
 *
 * A test program defines its suite and, when it needs them, hooks around
 * the run:
 *
 *	const struct ods_check ods_check_program = {
 *		.suite = suite, .setup = start, .teardown = stop,
 *	};
 *
 * The runner calls setup, builds the suite, runs it in print mode CK_ENV
 * (CK_VERBOSITY; Check itself reads CK_FORK, CK_RUN_SUITE, CK_RUN_CASE,
 * CK_DEFAULT_TIMEOUT...), calls teardown and exits 0 when nothing failed,
 * 1 otherwise.
 */
#ifndef ODS_CHECK_H
#define ODS_CHECK_H

#include <check.h>

#define ODS_CHECK_SKIP	77	/* automake's "skipped" exit status */

struct ods_check {
	Suite	*(*suite)(void);
	/*
	 * NULL, or 0 to run the suite; anything else is the exit status
	 * (ODS_CHECK_SKIP when a server or tool is missing), after setup
	 * has undone what it started.
	 */
	int	 (*setup)(void);
	/* NULL, or failures to add (runs only when setup returned 0). */
	int	 (*teardown)(void);
};

/* Each test program defines it. */
extern const struct ods_check ods_check_program;

/*
 * The value of the environment variable, or NULL (empty counts as unset)
 * after printing "NAME not set: skipped": for tests that need
 * ODS_TEST_DB_DSN or ODS_TEST_REDIS_URL.
 */
const char	*ods_check_env(const char *name);

/* ods_log_init(prog, ...) at ERR, or DEBUG when ODS_TEST_VERBOSE is set. */
void		 ods_check_log(const char *prog);

/*
 * The source tree: $top_srcdir (make check exports it), else the one
 * configure saw. The sql/ directory in it.
 */
const char	*ods_check_srcdir(void);
const char	*ods_check_sqldir(void);

/* The migrations the tests apply (an expression, not a literal). */
#define ODS_TEST_SQLDIR	ods_check_sqldir()

#endif /* ODS_CHECK_H */
