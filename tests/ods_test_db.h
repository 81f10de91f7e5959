/*
 * tests/ods_test_db.h — a scratch database for the Check programs that
 * need the schema (tests/ods_test_db.c, in tests/libodscheck.a).
 *
 * ods_test_scratch_create makes "<db of the DSN>_<tag><pid>" with the
 * migrations of sql/ applied, for one run of a program (its setup hook);
 * ods_test_scratch_drop removes it (its teardown hook).
 */
#ifndef ODS_TEST_DB_H
#define ODS_TEST_DB_H

#include <stddef.h>
#include <stdint.h>

struct ods_conf;
struct ods_db;

/* Create and migrate the scratch database; its name in name. 0 or -1. */
int		 ods_test_scratch_create(const char *dsn, char tag, char *name,
		    size_t namelen);
/* Drop it; 0 or -1. */
int		 ods_test_scratch_drop(const char *dsn, const char *name);

/*
 * Run one statement as the DSN's user on database dbname (NULL: the
 * DSN's own) as trusted text; 0 or -1 with the reason on stderr.
 */
int		 ods_test_sql(const char *dsn, const char *dbname,
		    const char *sql);

/* A configuration from the DSN pointing at database dbname (the caller frees). */
struct ods_conf	*ods_test_conf(const char *dsn, const char *dbname);

/*
 * The one integer a query with one text argument returns, -1 when it
 * returns no row or NULL (Check assertions).
 */
int64_t		 ods_test_scalar(struct ods_db *, const char *sql,
		    const char *arg);

#endif /* ODS_TEST_DB_H */
