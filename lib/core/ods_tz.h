/*
 * lib/core/ods_tz.h — IANA time zones without the process-global TZ.
 *
 * setenv("TZ")/tzset() and localtime_r() share one zone per process, and
 * changing it while another thread converts is undefined; schedules name
 * their own zones. So a zone here is an immutable object read from the
 * system tz database (TZif files of RFC 8536 under /usr/share/zoneinfo,
 * or $TZDIR read once), with its POSIX TZ footer for times past the last
 * transition: any number of zones, any number of threads, no locks.
 * "UTC" (also "Etc/UTC", "GMT", "Z") is built in, so it works where
 * no tz database is installed (slim containers).
 */
#ifndef ODS_TZ_H
#define ODS_TZ_H

#include <stdint.h>

#include "core/ods_err.h"

struct ods_tz;		/* immutable after ods_tz_load; share across threads */

#define ODS_TZ_NAME_MAX	64	/* bytes of a zone name, NUL excluded */

/*
 * Load zone name ("Europe/Berlin", "UTC"). Names are the tz database's:
 * letters, digits, '_', '-', '+', '/', no "..", not absolute. *out is new
 * (ods_tz_free). Returns ODS_OK, ODS_EINVAL (a bad name: why says why),
 * ODS_ENOTFOUND (no such zone) or ODS_ECORRUPT (not a TZif file).
 */
enum ods_err	 ods_tz_load(const char *name, struct ods_tz **out,
		    struct ods_why *why) ODS_MUSTCHECK;
void		 ods_tz_free(struct ods_tz *);	/* NULL is a no-op */
const char	*ods_tz_name(const struct ods_tz *);

/* Offset from UTC in seconds (east positive) at UTC instant t. */
int32_t		 ods_tz_offset(const struct ods_tz *, int64_t t);

/*
 * The UTC instant of wall time wall (local seconds counted like the epoch:
 * days_from_civil * 86400 + seconds of the day). A wall time that occurs
 * twice (clocks set back) gives the first instant; one that does not occur
 * (clocks set forward) gives the instant the clocks jumped, the first
 * valid instant after it. Non-decreasing in wall.
 */
int64_t		 ods_tz_from_wall(const struct ods_tz *, int64_t wall);

/* Civil calendar (proleptic Gregorian) helpers, shared with ods_cron. */
int64_t		 ods_days_from_civil(int64_t y, unsigned m, unsigned d);
void		 ods_civil_from_days(int64_t days, int64_t *y, unsigned *m,
		    unsigned *d);
int		 ods_is_leap(int64_t y);
unsigned	 ods_days_in_month(int64_t y, unsigned m);

#endif /* ODS_TZ_H */
