/*
 * lib/core/ods_cron.c — crontab(5) expressions: bitmasks per field, and a
 * search over wall-clock minutes that skips whole months, days and hours.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/ods_cron.h"
#include "core/ods_tz.h"

enum field { F_MIN, F_HOUR, F_DOM, F_MON, F_DOW, F__N };

struct spec {
	const char		*name;
	int			 lo, hi;
	const char *const	*names;	/* names[i] is lo + i; NULL: none */
};

static const char *const mon_names[] = { "JAN", "FEB", "MAR", "APR", "MAY",
	"JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const dow_names[] = { "SUN", "MON", "TUE", "WED", "THU",
	"FRI", "SAT", NULL };

static const struct spec specs[F__N] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day-of-month", 1, 31, NULL },
	{ "month", 1, 12, mon_names },
	{ "day-of-week", 0, 7, dow_names },
};

static const struct {
	const char	*name;
	const char	*expr;
} macros[] = {
	{ "@yearly", "0 0 1 1 *" },
	{ "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },
	{ "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* Token [p, p + n) for a message: printable ASCII, at most 24 bytes. */
static const char *
show(const char *p, size_t n, char *buf, size_t size)
{
	size_t	i;

	if (n > 24)
		n = 24;
	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = p[i] > ' ' && p[i] < 0x7f ? p[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* A number or (where the field has them) a name at *pp. */
static int
value(const struct spec *sp, const char **pp, const char *end, int *out,
    struct ods_why *why)
{
	const char	*p = *pp;
	char		 tok[32];
	int		 n = 0, digits = 0, i;

	while (p < end && *p >= '0' && *p <= '9') {
		if (++digits > 4) {
			ods_why_set(why, NULL, "%s field: number too long",
			    sp->name);
			return -1;
		}
		n = n * 10 + (*p++ - '0');
	}
	if (digits == 0) {
		for (i = 0; sp->names != NULL && sp->names[i] != NULL; i++) {
			if (end - p >= 3 && strncasecmp(p, sp->names[i], 3) == 0) {
				*out = sp->lo + i;
				*pp = p + 3;
				return 0;
			}
		}
		ods_why_set(why, NULL, "%s field: expected a number%s at '%s'",
		    sp->name, sp->names != NULL ? " or a name" : "",
		    show(p, (size_t)(end - p), tok, sizeof(tok)));
		return -1;
	}
	if (n < sp->lo || n > sp->hi) {
		ods_why_set(why, NULL, "%s field: %d is out of range %d-%d",
		    sp->name, n, sp->lo, sp->hi);
		return -1;
	}
	*out = n;
	*pp = p;
	return 0;
}

/* One comma-separated item of a field into *mask. */
static int
item(enum field f, const char *p, const char *end, uint64_t *mask,
    struct ods_why *why)
{
	const struct spec	*sp = &specs[f];
	char			 tok[32];
	int			 a, b, step = 1, range = 0, v;

	if (p == end) {
		ods_why_set(why, NULL, "%s field: empty list item", sp->name);
		return -1;
	}
	if (*p == '*' || *p == '?') {
		if (*p == '?' && f != F_DOM && f != F_DOW) {
			ods_why_set(why, NULL, "%s field: '?' is only allowed "
			    "in the day fields", sp->name);
			return -1;
		}
		a = sp->lo, b = sp->hi, range = 1, p++;
	} else {
		if (value(sp, &p, end, &a, why) < 0)
			return -1;
		b = a;
		if (p < end && *p == '-') {
			p++;
			if (value(sp, &p, end, &b, why) < 0)
				return -1;
			if (b < a) {
				ods_why_set(why, NULL, "%s field: range %d-%d "
				    "goes backwards", sp->name, a, b);
				return -1;
			}
			range = 1;
		}
	}
	if (p < end && *p == '/') {
		p++;
		step = 0;
		while (p < end && *p >= '0' && *p <= '9' && step <= 1000)
			step = step * 10 + (*p++ - '0');
		if (step < 1 || step > sp->hi - sp->lo + 1) {
			ods_why_set(why, NULL, "%s field: a step is a number "
			    "from 1 to %d", sp->name, sp->hi - sp->lo + 1);
			return -1;
		}
		if (!range)		/* N/S: from N to the end */
			b = sp->hi;
	}
	if (p != end) {
		ods_why_set(why, NULL, "%s field: unexpected '%s'", sp->name,
		    show(p, (size_t)(end - p), tok, sizeof(tok)));
		return -1;
	}
	for (v = a; v <= b; v += step)
		*mask |= 1ULL << (f == F_DOW && v == 7 ? 0 : v);
	return 0;
}

static int
field(enum field f, const char *p, const char *end, uint64_t *mask,
    struct ods_why *why)
{
	const char	*comma;

	*mask = 0;
	for (;;) {
		comma = memchr(p, ',', (size_t)(end - p));
		if (item(f, p, comma != NULL ? comma : end, mask, why) < 0)
			return -1;
		if (comma == NULL)
			return 0;
		p = comma + 1;
	}
}

/* With AND of the day fields, some selected month must hold a selected day. */
static int
possible(const struct ods_cron *c)
{
	static const unsigned char	maxd[] = { 31, 29, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };
	unsigned			m;

	if (!c->dom_star && !c->dow_star)
		return 1;
	for (m = 1; m <= 12; m++)
		if ((c->month >> m & 1) &&
		    (c->dom & (uint32_t)((2ULL << maxd[m - 1]) - 1)) != 0)
			return 1;
	return 0;
}

static const char *
expand(const char *expr, struct ods_why *why)
{
	size_t	i;

	for (i = 0; i < ODS_NELEM(macros); i++)
		if (strcasecmp(expr, macros[i].name) == 0)
			return macros[i].expr;
	ods_why_set(why, NULL, "unknown macro '%.16s' (@yearly, @annually, "
	    "@monthly, @weekly, @daily, @midnight or @hourly)", expr);
	return NULL;
}

enum ods_err
ods_cron_parse(const char *expr, struct ods_cron *c, struct ods_why *why)
{
	const char	*p, *s[F__N], *e[F__N];
	uint64_t	 mask[F__N];
	size_t		 len;
	int		 n = 0, i;

	memset(c, 0, sizeof(*c));
	if (expr == NULL || (len = strlen(expr)) == 0 ||
	    len > ODS_CRON_EXPR_MAX) {
		ods_why_set(why, NULL, "a cron expression has 1 to %d bytes",
		    ODS_CRON_EXPR_MAX);
		return ODS_EINVAL;
	}
	while (*expr == ' ' || *expr == '\t')
		expr++;
	if (*expr == '@' && (expr = expand(expr, why)) == NULL)
		return ODS_EINVAL;
	for (p = expr; *p != '\0';) {
		if (*p == ' ' || *p == '\t') {
			p++;
			continue;
		}
		if (n == F__N) {
			n++;
			break;
		}
		s[n] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		e[n++] = p;
	}
	if (n != F__N) {
		ods_why_set(why, NULL, "expected 5 fields (minute hour "
		    "day-of-month month day-of-week) or a macro, got %s%d",
		    n > F__N ? "more than " : "", n > F__N ? F__N : n);
		return ODS_EINVAL;
	}
	for (i = 0; i < F__N; i++)
		if (field((enum field)i, s[i], e[i], &mask[i], why) < 0)
			return ODS_EINVAL;
	c->minute = mask[F_MIN];
	c->hour = (uint32_t)mask[F_HOUR];
	c->dom = (uint32_t)mask[F_DOM];
	c->month = (uint16_t)mask[F_MON];
	c->dow = (uint8_t)mask[F_DOW];
	c->dom_star = *s[F_DOM] == '*' || *s[F_DOM] == '?';
	c->dow_star = *s[F_DOW] == '*' || *s[F_DOW] == '?';
	if (!possible(c)) {
		ods_why_set(why, NULL, "day-of-month field: no day selected "
		    "occurs in the months selected; the expression never "
		    "matches");
		return ODS_EINVAL;
	}
	return ODS_OK;
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int
day_match(const struct ods_cron *c, int64_t days, unsigned d)
{
	int	wd = (int)((days % 7 + 11) % 7);	/* 1970-01-01: Thu */
	int	dom = c->dom >> d & 1, dow = c->dow >> wd & 1;

	if (c->dom_star || c->dow_star)
		return dom && dow;
	return dom || dow;
}

int
ods_cron_match(const struct ods_cron *c, int64_t wall)
{
	int64_t		days = floordiv(wall, 86400), y;
	int64_t		sod = wall - days * 86400;
	unsigned	m, d;

	ods_civil_from_days(days, &y, &m, &d);
	return (c->month >> m & 1) && day_match(c, days, d) &&
	    (c->hour >> (sod / 3600) & 1) && (c->minute >> (sod % 3600 / 60) & 1);
}

/*
 * The first matching wall minute at or after wall: jumps to the next
 * month, day or hour when that field does not match. 0 or -1 past limit.
 */
static int
wall_next(const struct ods_cron *c, int64_t wall, int64_t limit,
    int64_t *out)
{
	int64_t		days, sod, y;
	unsigned	m, d, h, mi;

	while (wall <= limit) {
		days = floordiv(wall, 86400);
		sod = wall - days * 86400;
		ods_civil_from_days(days, &y, &m, &d);
		if (!(c->month >> m & 1)) {
			wall = ods_days_from_civil(m == 12 ? y + 1 : y,
			    m % 12 + 1, 1) * 86400;
			continue;
		}
		if (!day_match(c, days, d)) {
			wall = (days + 1) * 86400;
			continue;
		}
		h = (unsigned)(sod / 3600);
		if (!(c->hour >> h & 1)) {
			wall = days * 86400 + (int64_t)(h + 1) * 3600;
			continue;
		}
		mi = (unsigned)(sod % 3600 / 60);
		while (mi < 60 && !(c->minute >> mi & 1))
			mi++;
		if (mi == 60) {
			wall = days * 86400 + (int64_t)(h + 1) * 3600;
			continue;
		}
		*out = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60;
		return 0;
	}
	return -1;
}

#define YEAR_1970	0LL
#define YEAR_9000	221845392000LL	/* 9000-01-01T00:00:00Z */

enum ods_err
ods_cron_next(const struct ods_cron *c, const struct ods_tz *tz, int64_t now,
    int64_t *next)
{
	int64_t		wall, limit, t;

	if (now < YEAR_1970 || now >= YEAR_9000)
		return ODS_ENOTFOUND;
	wall = floordiv(now + ods_tz_offset(tz, now), 60) * 60 + 60;
	limit = wall + (int64_t)ODS_CRON_SEARCH_YEARS * 366 * 86400;
	/*
	 * ods_tz_from_wall is non-decreasing, and every wall time up to
	 * now's own maps to an instant <= now: the first matching wall time
	 * after now's whose instant is past now is the answer. Those that
	 * are not past now are the second pass of clocks set back.
	 */
	while (wall_next(c, wall, limit, &wall) == 0) {
		t = ods_tz_from_wall(tz, wall);
		if (t > now) {
			*next = t;
			return ODS_OK;
		}
		wall += 60;
	}
	return ODS_ENOTFOUND;
}
