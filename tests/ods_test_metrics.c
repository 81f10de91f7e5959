/* tests/ods_test_metrics.c — /metrics text for the Check programs. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "ods_test_metrics.h"

#define RENDER_MAX	(64u << 20)

char *
ods_test_metrics_text(struct ods_metrics *m)
{
	struct ods_buf	b;

	ods_buf_init(&b, RENDER_MAX);
	ck_assert_int_eq(ods_metrics_render(m, &b), ODS_OK);
	return ods_buf_take(&b, NULL);
}

double
ods_test_metrics_value(const char *text, const char *series)
{
	const char	*p = text;
	size_t		 n = strlen(series);

	while ((p = strstr(p, series)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return NAN;
}
