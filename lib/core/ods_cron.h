/*
 * lib/core/ods_cron.h — cron expressions and their next due time.
 *
 * The five fields of crontab(5): minute (0-59), hour (0-23), day of month
 * (1-31), month (1-12 or JAN-DEC), day of week (0-7 or SUN-SAT, 0 and 7
 * both Sunday). Each field is '*', or a comma list of items: N, A-B,
 * '*' or A-B or N with a step /S (N/S is N-max/S). '?' is '*' in the two
 * day fields. Names are case-insensitive. Macros: @yearly, @annually,
 * @monthly, @weekly, @daily, @midnight, @hourly.
 *
 * Days (Vixie cron, crontab(5)): when both day fields are restricted
 * (neither starts with '*' or '?'), a day matches when EITHER matches;
 * otherwise both must.
 *
 * Times are evaluated on the wall clock of a time zone (core/ods_tz.h).
 * Daylight saving: a wall time the clocks skip runs at the first instant
 * after the jump (02:30 on a spring-forward night runs at 03:00); a wall
 * time that occurs twice runs once, at its first occurrence.
 */
#ifndef ODS_CRON_H
#define ODS_CRON_H

#include <stdint.h>

#include "core/ods_err.h"

struct ods_tz;

#define ODS_CRON_EXPR_MAX	256	/* bytes of an expression */
/*
 * How far ods_cron_next looks: far enough for 29 February on some weekday
 * (with a step in the day-of-week field: 8 years apart and more), at a few
 * hundred steps a year.
 */
#define ODS_CRON_SEARCH_YEARS	50

/* A parsed expression: plain data, copy it freely. */
struct ods_cron {
	uint64_t	minute;		/* bit n: minute n */
	uint32_t	hour;		/* bit n: hour n */
	uint32_t	dom;		/* bit n: day n (1-31) */
	uint16_t	month;		/* bit n: month n (1-12) */
	uint8_t		dow;		/* bit n: weekday n (0 Sunday - 6) */
	uint8_t		dom_star;	/* the field started with * or ? */
	uint8_t		dow_star;
};

/*
 * Parse expr into *c. Returns ODS_OK or ODS_EINVAL with why's message
 * naming the field and the reason ("day-of-week field: 8 is out of range
 * 0-7"; field of why is left empty for the caller's name). Refuses an
 * expression that can never match (day 30 of February).
 */
enum ods_err	 ods_cron_parse(const char *expr, struct ods_cron *c,
		    struct ods_why *why) ODS_MUSTCHECK;

/*
 * The first instant strictly after now (UTC seconds; whole minutes) at
 * which c is due on the wall clock of tz, into *next. Returns ODS_OK, or
 * ODS_ENOTFOUND when nothing matches within ODS_CRON_SEARCH_YEARS (or now
 * is outside years 1970-9000).
 */
enum ods_err	 ods_cron_next(const struct ods_cron *, const struct ods_tz *,
		    int64_t now, int64_t *next) ODS_MUSTCHECK;

/* Whether wall time (local seconds, as ods_tz_from_wall) matches. */
int		 ods_cron_match(const struct ods_cron *, int64_t wall);

#endif /* ODS_CRON_H */
