/*
 * tests/fuzz/fuzz_cron.c — cron expressions and their next due time. The
 * first byte picks a zone (some with 30- and 45-minute offsets, a skipped
 * day), the next five are "now" (1970 to 2200), the rest the expression.
 * When it parses: next is after now; its wall time matches, or it is the
 * instant clocks jumped over a matching wall time; no instant between now
 * and next was due (checked minute by minute up to two days). A search
 * that never ends is libFuzzer's timeout.
 */
#include "config.h"

#include "core/ods_cron.h"
#include "core/ods_err.h"
#include "core/ods_tz.h"
#include "fuzz.h"

static const char *const zones[] = { "UTC", "Europe/Berlin",
	"America/New_York", "Australia/Lord_Howe", "Pacific/Apia",
	"Asia/Kathmandu", "America/St_Johns", "Australia/Sydney" };
static struct ods_tz	*tzs[ODS_NELEM(zones)];

#define YEAR_2200	7258118400LL

static int64_t
wall(const struct ods_tz *tz, int64_t t)
{
	return t + ods_tz_offset(tz, t);
}

/* A matching wall minute in (from, to): clocks jumped over it. */
static int
skipped_match(const struct ods_cron *c, int64_t from, int64_t to)
{
	int64_t	w;

	for (w = (from / 60 + 1) * 60; w < to; w += 60)
		if (ods_cron_match(c, w))
			return 1;
	return 0;
}

static void
check(const struct ods_cron *c, const struct ods_tz *tz, int64_t now)
{
	int64_t	next, t, w;

	if (ods_cron_next(c, tz, now, &next) != ODS_OK)
		return;
	if (next <= now)
		abort();
	w = wall(tz, next);
	if (!ods_cron_match(c, w) && !skipped_match(c, wall(tz, next - 1), w))
		abort();
	/* Nothing due in between: a matching wall time seen there is the
	 * second pass of clocks set back. */
	for (t = (now / 60 + 1) * 60; t < next && t - now < 2 * 86400;
	    t += 60) {
		w = wall(tz, t);
		if (ods_cron_match(c, w) && ods_tz_from_wall(tz, w) == t)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_cron	 c;
	struct ods_why	 why;
	static int	 once;
	uint64_t	 v = 0;
	size_t		 i;
	char		*s;

	if (!once) {
		fuzz_quiet();
		for (i = 0; i < ODS_NELEM(zones); i++)
			if (ods_tz_load(zones[i], &tzs[i], NULL) != ODS_OK)
				tzs[i] = NULL;
		once = 1;
	}
	if (size < 6)
		return 0;
	for (i = 1; i < 6; i++)
		v = v << 8 | data[i];
	s = fuzz_str(data + 6, size - 6);
	if (ods_cron_parse(s, &c, &why) == ODS_OK &&
	    tzs[data[0] % ODS_NELEM(zones)] != NULL)
		check(&c, tzs[data[0] % ODS_NELEM(zones)],
		    (int64_t)(v % YEAR_2200));
	free(s);
	return 0;
}
