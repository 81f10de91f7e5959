/* lib/store/ods_migrate.h — numbered, forward-only SQL migrations, applied once. */
#ifndef ODS_MIGRATE_H
#define ODS_MIGRATE_H

#include <stddef.h>
#include <stdio.h>

#include "core/ods_err.h"

struct ods_db;

#define ODS_MIGRATE_LOCK_TIMEOUT_S	60
#define ODS_MIGRATE_MAX_FILE		(8u << 20)	/* bytes per file */
#define ODS_MIGRATE_MAX_FILES		10000

/*
 * dir holds NNNN_name.sql files (version = the leading number, name =
 * the rest; other .sql names are refused, non-.sql files ignored). The
 * statements of a file are split as sql/README.md says. out (may be NULL)
 * receives one human line per event. lock_timeout_s 0 means the default.
 */
struct ods_migrate_opts {
	const char	*dir;
	FILE		*out;
	int		 lock_timeout_s;
};

/*
 * Apply the pending files in version order, holding a named lock
 * (GET_LOCK, one per database) so that any number of processes may run
 * this at once: the first applies, the others then find nothing to do.
 * Each file is recorded in schema_migrations (version, name, checksum,
 * applied_at) after its last statement succeeded. *applied (may be NULL)
 * is the number of files applied by this call.
 *
 * Returns ODS_OK (also when nothing was pending); ODS_ECORRUPT when an
 * applied file was changed since (nothing is applied); ODS_EINVAL for a
 * bad file name, duplicate version, a pending file older than an applied
 * one, or a file that does not split (nothing is applied); ODS_ETOOBIG
 * for a file over ODS_MIGRATE_MAX_FILE; ODS_EIO when dir cannot be read;
 * ODS_ETIMEOUT when the lock was not granted in time; otherwise the error
 * of the failed statement (that file is not recorded: fix it, run again —
 * statements should be idempotent because DDL is not transactional).
 */
enum ods_err	 ods_migrate_run(struct ods_db *,
		    const struct ods_migrate_opts *, unsigned *applied)
		    ODS_MUSTCHECK;

/*
 * Print each version's state (applied with its time, pending, changed,
 * applied without a file) to opts->out. *pending (may be NULL) counts
 * the pending files. Errors as ods_migrate_run (ODS_ECORRUPT when a
 * checksum differs); takes no lock and changes nothing.
 */
enum ods_err	 ods_migrate_status(struct ods_db *,
		    const struct ods_migrate_opts *, unsigned *pending)
		    ODS_MUSTCHECK;

/*
 * Split SQL text into statements: fn(arg, stmt, len, line) for each, where
 * stmt is not NUL-terminated and line is where it starts (from 1); fn
 * returns ODS_OK to go on, anything else stops the split and is returned.
 * Returns ODS_OK, or ODS_EINVAL with the offending line in *bad_line (may
 * be NULL) and the reason in why (may be NULL).
 */
enum ods_err	 ods_migrate_split(const char *text, size_t len,
		    enum ods_err (*fn)(void *, const char *, size_t, unsigned),
		    void *arg, unsigned *bad_line, struct ods_why *why)
		    ODS_MUSTCHECK;

#endif /* ODS_MIGRATE_H */
