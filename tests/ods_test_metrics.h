/*
 * tests/ods_test_metrics.h — reading /metrics text in the Check programs
 * (tests/ods_test_metrics.c, in tests/libodscheck.a).
 */
#ifndef ODS_TEST_METRICS_H
#define ODS_TEST_METRICS_H

struct ods_metrics;

/* The exposition of the registry (malloc'ed; Check fails on an error). */
char	*ods_test_metrics_text(struct ods_metrics *);

/* The value of the sample whose name{labels} is exactly series; NAN if none. */
double	 ods_test_metrics_value(const char *text, const char *series);

#endif /* ODS_TEST_METRICS_H */
