/*
 * lib/core/ods_tz.c — TZif (RFC 8536) zones and their POSIX TZ footers,
 * read into immutable objects: no TZ variable, no tzset, no shared state.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_tz.h"

#define TZ_FILE_MAX	(512 * 1024)	/* the largest zone is ~4 KB */
#define TZ_TRANS_MAX	20000
#define TZ_OFF_MAX	(26 * 3600)

/* One end of daylight time in a POSIX TZ rule. */
struct edge {
	char	 kind;		/* 'J' (1-365, no Feb 29), 'N' (0-365), 'M' */
	int	 m, w, d, n;
	int32_t	 time;		/* seconds after local midnight */
};

struct rule {
	int	 valid;
	int	 has_dst;
	int32_t	 std_off, dst_off;	/* east positive */
	struct edge start, end;
};

struct ods_tz {
	char		 name[ODS_TZ_NAME_MAX + 1];
	size_t		 ntrans;
	int64_t		*trans;		/* UTC instants, ascending */
	int32_t		*trans_off;	/* the offset from each on */
	int32_t		 first_off;	/* before the first transition */
	struct rule	 rule;		/* past the last transition */
};

/* --- calendar -------------------------------------------------------- */

int64_t
ods_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t		era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
ods_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int
ods_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned
ods_days_in_month(int64_t y, unsigned m)
{
	static const unsigned char	dim[] = { 31, 28, 31, 30, 31, 30, 31,
	    31, 30, 31, 30, 31 };

	if (m == 2 && ods_is_leap(y))
		return 29;
	return m >= 1 && m <= 12 ? dim[m - 1] : 0;
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* --- POSIX TZ strings ("CET-1CEST,M3.5.0,M10.5.0/3") ------------------ */

static const char *
p_name(const char *p)
{
	const char	*s = p;

	if (*p == '<') {
		while (*p != '\0' && *p != '>')
			p++;
		return *p == '>' && p - s > 1 ? p + 1 : NULL;
	}
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
		p++;
	return p - s >= 3 ? p : NULL;
}

static const char *
p_num(const char *p, int lo, int hi, int *out)
{
	int	n = 0, digits = 0;

	while (*p >= '0' && *p <= '9' && digits < 4) {
		n = n * 10 + (*p++ - '0');
		digits++;
	}
	if (digits == 0 || n < lo || n > hi)
		return NULL;
	*out = n;
	return p;
}

/* [+-]hh[:mm[:ss]], hours up to maxh. */
static const char *
p_hms(const char *p, int maxh, int32_t *out)
{
	int	sign = 1, h, mi = 0, s = 0;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	if ((p = p_num(p, 0, maxh, &h)) == NULL)
		return NULL;
	if (*p == ':' && (p = p_num(p + 1, 0, 59, &mi)) != NULL && *p == ':')
		p = p_num(p + 1, 0, 59, &s);
	if (p == NULL)
		return NULL;
	*out = sign * (h * 3600 + mi * 60 + s);
	return p;
}

static const char *
p_edge(const char *p, struct edge *e)
{
	e->time = 7200;
	if (*p == 'M') {
		e->kind = 'M';
		if ((p = p_num(p + 1, 1, 12, &e->m)) == NULL || *p != '.' ||
		    (p = p_num(p + 1, 1, 5, &e->w)) == NULL || *p != '.' ||
		    (p = p_num(p + 1, 0, 6, &e->d)) == NULL)
			return NULL;
	} else if (*p == 'J') {
		e->kind = 'J';
		if ((p = p_num(p + 1, 1, 365, &e->n)) == NULL)
			return NULL;
	} else {
		e->kind = 'N';
		if ((p = p_num(p, 0, 365, &e->n)) == NULL)
			return NULL;
	}
	if (*p == '/')
		p = p_hms(p + 1, 167, &e->time);
	return p;
}

static int
rule_parse(const char *p, struct rule *r)
{
	int32_t	 off;

	memset(r, 0, sizeof(*r));
	if ((p = p_name(p)) == NULL || (p = p_hms(p, 24, &off)) == NULL)
		return -1;
	r->std_off = -off;
	r->valid = 1;
	if (*p == '\0')
		return 0;
	if ((p = p_name(p)) == NULL)
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p != ',' && *p != '\0') {
		if ((p = p_hms(p, 24, &off)) == NULL)
			return -1;
		r->dst_off = -off;
	}
	if (*p == '\0')		/* POSIX's default: the US rules */
		p = ",M3.2.0,M11.1.0";
	if (*p != ',' || (p = p_edge(p + 1, &r->start)) == NULL ||
	    *p != ',' || (p = p_edge(p + 1, &r->end)) == NULL || *p != '\0')
		return -1;
	return 0;
}

/* The UTC instant an edge falls on in year y, given the offset before it. */
static int64_t
edge_at(const struct edge *e, int64_t y, int32_t off_before)
{
	int64_t		day, first;
	unsigned	dim;
	int		wd;

	first = ods_days_from_civil(y, e->kind == 'M' ? (unsigned)e->m : 1,
	    1);
	if (e->kind == 'J')
		day = first + e->n - 1 + (ods_is_leap(y) && e->n >= 60);
	else if (e->kind == 'N')
		day = first + e->n;
	else {
		wd = (int)((first % 7 + 11) % 7);	/* 1970-01-01: Thu */
		day = first + (e->d - wd + 7) % 7 + (int64_t)(e->w - 1) * 7;
		dim = ods_days_in_month(y, (unsigned)e->m);
		while (day >= first + dim)
			day -= 7;
	}
	return day * 86400 + e->time - off_before;
}

static int32_t
rule_offset(const struct rule *r, int64_t t)
{
	int64_t		y, s, e;
	unsigned	m, d;
	int		dst;

	if (!r->has_dst)
		return r->std_off;
	ods_civil_from_days(floordiv(t + r->std_off, 86400), &y, &m, &d);
	s = edge_at(&r->start, y, r->std_off);
	e = edge_at(&r->end, y, r->dst_off);
	if (s < e)
		dst = t >= s && t < e;
	else
		dst = !(t >= e && t < s);
	return dst ? r->dst_off : r->std_off;
}

/* --- TZif ------------------------------------------------------------ */

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/*
 * Parse the data block at *pp (sz: 4 or 8 byte times) of a file ending
 * at end; on success *pp points past it. Fills z when fill is set.
 */
static int
tzif_block(const unsigned char **pp, const unsigned char *end, int sz,
    struct ods_tz *z, int fill)
{
	const unsigned char	*p = *pp, *tt, *idx, *types;
	uint32_t		 isut, isstd, leap, timecnt, typecnt, charcnt;
	size_t			 len, i;

	if (end - p < 44 || memcmp(p, "TZif", 4) != 0)
		return -1;
	isut = be32(p + 20), isstd = be32(p + 24), leap = be32(p + 28);
	timecnt = be32(p + 32), typecnt = be32(p + 36), charcnt = be32(p + 40);
	/* Zones counting leap seconds ("right/...") are not civil time. */
	if (timecnt > TZ_TRANS_MAX || typecnt == 0 || typecnt > 256 ||
	    charcnt > 65536 || leap > 65536 || isut > typecnt ||
	    isstd > typecnt || (fill && leap > 0))
		return -1;
	p += 44;
	len = (size_t)timecnt * (sz + 1) + typecnt * 6 + charcnt +
	    (size_t)leap * (sz + 4) + isstd + isut;
	if ((size_t)(end - p) < len)
		return -1;
	tt = p, idx = p + (size_t)timecnt * sz, types = idx + timecnt;
	*pp = p + len;
	if (!fill)
		return 0;
	for (i = 0; i < typecnt; i++) {
		int32_t	o = (int32_t)be32(types + i * 6);

		if (o < -TZ_OFF_MAX || o > TZ_OFF_MAX)
			return -1;
	}
	z->first_off = (int32_t)be32(types);
	z->ntrans = timecnt;
	z->trans = ods_xcalloc(timecnt + 1, sizeof(*z->trans));
	z->trans_off = ods_xcalloc(timecnt + 1, sizeof(*z->trans_off));
	for (i = 0; i < timecnt; i++) {
		z->trans[i] = sz == 8 ? be64(tt + i * 8) :
		    (int32_t)be32(tt + i * 4);
		if (idx[i] >= typecnt || (i > 0 && z->trans[i] <= z->trans[i - 1]))
			return -1;
		z->trans_off[i] = (int32_t)be32(types + idx[i] * 6);
	}
	return 0;
}

static int
tzif_parse(const unsigned char *buf, size_t n, struct ods_tz *z)
{
	const unsigned char	*p = buf, *end = buf + n, *nl;
	char			 footer[128];
	int			 v2;

	if (n < 44 || memcmp(buf, "TZif", 4) != 0)
		return -1;
	v2 = buf[4] >= '2';
	if (tzif_block(&p, end, 4, z, !v2) < 0)
		return -1;
	if (!v2)
		return 0;
	if (tzif_block(&p, end, 8, z, 1) < 0)
		return -1;
	if (p < end && *p == '\n' && (nl = memchr(p + 1, '\n',
	    (size_t)(end - p - 1))) != NULL && nl > p + 1 &&
	    (size_t)(nl - p - 1) < sizeof(footer)) {
		memcpy(footer, p + 1, (size_t)(nl - p - 1));
		footer[nl - p - 1] = '\0';
		/* An unreadable footer: the last transition holds. */
		if (rule_parse(footer, &z->rule) < 0)
			memset(&z->rule, 0, sizeof(z->rule));
	}
	return 0;
}

static int
name_ok(const char *name, struct ods_why *why)
{
	const char	*p;
	size_t		 len = strlen(name);

	if (len == 0 || len > ODS_TZ_NAME_MAX) {
		ods_why_set(why, NULL, "a time zone name has 1 to %d bytes",
		    ODS_TZ_NAME_MAX);
		return 0;
	}
	for (p = name; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
		    *p == '+' || (*p == '/' && p > name && p[1] != '\0' &&
		    p[-1] != '/'))
			continue;
		if (*p == '.' && p > name && p[-1] != '/' && p[-1] != '.')
			continue;
		ods_why_set(why, NULL, "'%.64s' is not a time zone name "
		    "(like Europe/Berlin or UTC)", name);
		return 0;
	}
	return 1;
}

static int
is_utc(const char *name)
{
	static const char *const utc[] = { "UTC", "Etc/UTC", "GMT",
	    "Etc/GMT", "Z", "Zulu", "Etc/Zulu", "UCT", "Etc/UCT",
	    "Universal", "Etc/Universal" };
	size_t			 i;

	for (i = 0; i < ODS_NELEM(utc); i++)
		if (strcmp(name, utc[i]) == 0)
			return 1;
	return 0;
}

static enum ods_err
read_file(const char *name, unsigned char **buf, size_t *n)
{
	static const char *const dirs[] = { "/usr/share/zoneinfo",
	    "/usr/lib/zoneinfo", "/usr/share/lib/zoneinfo" };
	const char		*env = getenv("TZDIR");
	char			 path[1024];
	FILE			*fp = NULL;
	size_t			 i;

	if (env != NULL && *env == '/') {
		snprintf(path, sizeof(path), "%s/%s", env, name);
		fp = fopen(path, "rb");
	}
	for (i = 0; fp == NULL && i < ODS_NELEM(dirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		fp = fopen(path, "rb");
	}
	if (fp == NULL)
		return ODS_ENOTFOUND;
	*buf = ods_xmalloc(TZ_FILE_MAX);
	*n = fread(*buf, 1, TZ_FILE_MAX, fp);
	fclose(fp);
	/* A directory ("Europe") reads nothing: not a zone either. */
	if (*n == 0) {
		free(*buf);
		*buf = NULL;
		return ODS_ENOTFOUND;
	}
	return ODS_OK;
}

enum ods_err
ods_tz_load(const char *name, struct ods_tz **out, struct ods_why *why)
{
	struct ods_tz	*z;
	unsigned char	*buf = NULL;
	size_t		 n = 0;
	enum ods_err	 er;

	*out = NULL;
	if (name == NULL || !name_ok(name, why))
		return ODS_EINVAL;
	z = ods_xcalloc(1, sizeof(*z));
	snprintf(z->name, sizeof(z->name), "%s", name);
	if (is_utc(name)) {
		z->rule.valid = 1;
		*out = z;
		return ODS_OK;
	}
	if ((er = read_file(name, &buf, &n)) != ODS_OK) {
		ods_why_set(why, NULL, "unknown time zone '%s'", name);
		ods_tz_free(z);
		return er;
	}
	if (tzif_parse(buf, n, z) < 0) {
		ods_why_set(why, NULL, "time zone '%s': not a TZif file", name);
		ods_log(ODS_LOG_WARN, "tz_corrupt name=%s", name);
		free(buf);
		ods_tz_free(z);
		return ODS_ECORRUPT;
	}
	free(buf);
	*out = z;
	return ODS_OK;
}

void
ods_tz_free(struct ods_tz *z)
{
	if (z == NULL)
		return;
	free(z->trans);
	free(z->trans_off);
	free(z);
}

const char *
ods_tz_name(const struct ods_tz *z)
{
	return z->name;
}

int32_t
ods_tz_offset(const struct ods_tz *z, int64_t t)
{
	size_t	lo, hi, mid;

	if (z->ntrans == 0 || t >= z->trans[z->ntrans - 1]) {
		if (z->rule.valid)
			return rule_offset(&z->rule, t);
		return z->ntrans == 0 ? z->first_off :
		    z->trans_off[z->ntrans - 1];
	}
	if (t < z->trans[0])
		return z->first_off;
	lo = 0, hi = z->ntrans - 1;	/* trans[lo] <= t < trans[hi] */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	return z->trans_off[lo];
}

int64_t
ods_tz_from_wall(const struct ods_tz *z, int64_t wall)
{
	int32_t		o[3], off_lo;
	int64_t		best = INT64_MAX, t, lo, hi, mid;
	int32_t		omin, omax;
	size_t		i;

	/* Every offset is within 26 h: sample before and after that. */
	o[0] = ods_tz_offset(z, wall - TZ_OFF_MAX - 3600);
	o[1] = ods_tz_offset(z, wall);
	o[2] = ods_tz_offset(z, wall + TZ_OFF_MAX + 3600);
	omin = omax = o[0];
	for (i = 0; i < 3; i++) {
		t = wall - o[i];
		if (ods_tz_offset(z, t) == o[i] && t < best)
			best = t;
		omin = o[i] < omin ? o[i] : omin;
		omax = o[i] > omax ? o[i] : omax;
	}
	if (best != INT64_MAX)
		return best;
	/* In a gap: the instant the offset changed, between these two. */
	lo = wall - omax;
	hi = wall - omin;
	off_lo = ods_tz_offset(z, lo);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (ods_tz_offset(z, mid) == off_lo)
			lo = mid;
		else
			hi = mid;
	}
	return hi;
}
