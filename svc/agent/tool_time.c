/*
 * svc/agent/tool_time.c — the datetime tool (tool.h): now in a time zone
 * (core/ods_tz: no process-global TZ), adding days/hours/minutes to a
 * date, the difference of two dates, formatting with strftime.
 *
 * A date is "YYYY-MM-DD", optionally "THH:MM[:SS]" (or a space), and
 * "Z" or nothing: wall time in the tool's time zone (default UTC).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_time.h"
#include "core/ods_tz.h"
#include "agent_int.h"
#include "tool.h"

/* The UTC instant of s read as wall time in tz; -1 on a bad date. */
static int
parse_date(const char *s, const struct ods_tz *tz, int64_t *t)
{
	unsigned	y, mo, d, h = 0, mi = 0, se = 0;
	int		n = 0, z = 0;
	int64_t		wall;

	if (sscanf(s, "%4u-%2u-%2u%n", &y, &mo, &d, &n) != 3)
		return -1;
	s += n;
	if ((*s == 'T' || *s == ' ') &&
	    sscanf(s + 1, "%2u:%2u%n", &h, &mi, &n) == 2) {
		s += 1 + n;
		if (*s == ':' && sscanf(s + 1, "%2u%n", &se, &n) == 1)
			s += 1 + n;
	}
	if (*s == 'Z') {
		z = 1;
		s++;
	}
	if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    d > ods_days_in_month(y, mo) || h > 23 || mi > 59 || se > 60)
		return -1;
	wall = ods_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    se;
	*t = z ? wall : ods_tz_from_wall(tz, wall);
	return 0;
}

/* t as "YYYY-MM-DDTHH:MM:SS+hh:mm" in tz, or with fmt (strftime). */
static void
put_time(struct ods_jw *jw, const char *key, int64_t t,
    const struct ods_tz *tz, const char *fmt)
{
	struct tm	tm;
	time_t		local;
	char		buf[256], off[16];
	int32_t		o = ods_tz_offset(tz, t);

	local = (time_t)(t + o);
	gmtime_r(&local, &tm);
	if (fmt == NULL) {
		snprintf(off, sizeof(off), "%c%02d:%02d", o < 0 ? '-' : '+',
		    (o < 0 ? -o : o) / 3600, (o < 0 ? -o : o) % 3600 / 60);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
		strncat(buf, o == 0 ? "Z" : off, sizeof(buf) - strlen(buf) -
		    1);
	} else {
		/* The caller's format (the schema caps its length). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		if (strftime(buf, sizeof(buf), fmt, &tm) == 0)
			buf[0] = '\0';
#pragma GCC diagnostic pop
	}
	ods_jw_kstr(jw, key, buf);
}

static enum ods_err
date_arg(struct json_object *args, const char *key, const struct ods_tz *tz,
    int64_t *t, struct ods_why *why)
{
	const char	*s = ods_json_get_str(args, key);

	if (s == NULL) {
		ods_why_set(why, key, "argument '%s' is required", key);
		return ODS_EINVAL;
	}
	if (parse_date(s, tz, t) != 0) {
		ods_why_set(why, key, "argument '%s' is not a date "
		    "(YYYY-MM-DD[THH:MM[:SS]][Z])", key);
		return ODS_EINVAL;
	}
	return ODS_OK;
}

static int64_t
delta(struct json_object *args)
{
	int64_t	d = 0, h = 0, m = 0;

	(void)ods_json_int(args, "days", 0, -1000000, 1000000, &d, NULL);
	(void)ods_json_int(args, "hours", 0, -10000000, 10000000, &h, NULL);
	(void)ods_json_int(args, "minutes", 0, -100000000, 100000000, &m,
	    NULL);
	return d * 86400 + h * 3600 + m * 60;
}

static enum ods_err
compute(const char *op, struct json_object *args, const struct ods_tz *tz,
    struct ods_jw *jw, struct ods_why *why)
{
	int64_t		t, t2;
	enum ods_err	er;

	if (strcmp(op, "now") == 0)
		t = ods_wall_ms() / 1000;
	else if ((er = date_arg(args, "date", tz, &t, why)) != ODS_OK)
		return er;
	if (strcmp(op, "diff") == 0) {
		if ((er = date_arg(args, "date2", tz, &t2, why)) != ODS_OK)
			return er;
		ods_jw_obj(jw);
		ods_jw_kint(jw, "seconds", t2 - t);
		ods_jw_knum(jw, "days", (double)(t2 - t) / 86400.0);
		ods_jw_end(jw);
		return ODS_OK;
	}
	if (strcmp(op, "add") == 0)
		t += delta(args);
	ods_jw_obj(jw);
	put_time(jw, "datetime", t, tz, NULL);
	if (ods_json_get_str(args, "format") != NULL)
		put_time(jw, "formatted", t, tz,
		    ods_json_get_str(args, "format"));
	put_time(jw, "date", t, tz, "%Y-%m-%d");
	put_time(jw, "weekday", t, tz, "%A");
	ods_jw_kstr(jw, "timezone", ods_tz_name(tz));
	ods_jw_kint(jw, "utc_offset_seconds", ods_tz_offset(tz, t));
	ods_jw_kint(jw, "unix", t);
	ods_jw_end(jw);
	return ODS_OK;
}

enum ods_err
odsi_tool_datetime(const struct ods_tool_ctx *ctx, struct json_object *args,
    struct ods_jw *jw, struct ods_why *why)
{
	const char	*zone = ods_json_get_str(args, "timezone");
	struct ods_tz	*tz = NULL;
	enum ods_err	 er;

	(void)ctx;
	er = ods_tz_load(zone != NULL ? zone : "UTC", &tz, why);
	if (er != ODS_OK) {
		ods_why_set(why, "timezone", "argument 'timezone' is not a "
		    "known time zone");
		return ODS_EINVAL;
	}
	er = compute(ods_json_get_str(args, "operation"), args, tz, jw, why);
	ods_tz_free(tz);
	return er;
}
