/*
 * svc/data/quality_int.h — between the files of data quality: a rule's
 * result (quality_run.c), the dataset checks (quality_dset.c), the report
 * and what follows it: rule counters, alerts, the webhook, the scores
 * (quality_report.c, quality_alert.c).
 */
#ifndef SVC_QUALITY_INT_H
#define SVC_QUALITY_INT_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_qr_def;
struct ods_quality_env;

struct odsi_qr_result {
	int64_t	 rows;		/* checked (the score's denominator) */
	int64_t	 violations;
	int64_t	 table_rows;	/* row_count, freshness: the table's */
	int	 status;	/* enum ods_qr_status */
	int	 errored;
	double	 score;
	char	 error[512];
	char	*sample;	/* JSON array text or NULL; owned */
};

struct odsi_qr_item {
	const char			*rule_id, *name, *severity;
	const struct ods_qr_def		*def;	/* type -1: none */
	const struct odsi_qr_result	*r;
	char				 label[256];
};

struct odsi_qr_run {
	const char		*task_id, *rule_id, *name, *user;
	double			 score;
	size_t			 n;
	struct odsi_qr_item	*results;
};

/* A dataset rule on the head of its latest version; fills r. */
void		odsi_qr_check_dataset(const struct ods_quality_env *,
		    const struct ods_qr_def *, struct odsi_qr_result *);
/* Store the report ("qrep_<16 hex>" into id) and the rules' counters. */
enum ods_err	odsi_qr_report_store(const struct ods_quality_env *,
		    const struct odsi_qr_run *, char *id) ODS_MUSTCHECK;
/*
 * After a stored report: alerts of the rules over a threshold (and their
 * webhook: the rule's URL, else hook, else the default), the scores.
 * Failures are logged and recorded, never the run's.
 */
void		odsi_qr_after(const struct ods_quality_env *,
		    const struct odsi_qr_run *, const char *report,
		    const char *hook);

#endif /* SVC_QUALITY_INT_H */
