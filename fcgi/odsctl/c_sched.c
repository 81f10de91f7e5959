/*
 * fcgi/odsctl/c_sched.c — `odsctl schedules list|create|show|pause|resume|
 * trigger|rm`: the operator's view of the schedules (lib/store/ods_sched.h)
 * that ods-worker turns into jobs when due.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "c_sched.h"

#define EXIT_USAGE	2

struct schedopts {
	struct ods_sched_spec	 spec;
	const char		*interval;
};

static int
opts(int argc, char *argv[], struct schedopts *o)
{
	static const struct option long_opts[] = {
		{ "cron", required_argument, NULL, 'c' },
		{ "interval", required_argument, NULL, 'i' },
		{ "job", required_argument, NULL, 'j' },
		{ "payload", required_argument, NULL, 'p' },
		{ "tz", required_argument, NULL, 'z' },
		{ "paused", no_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	int	 ch;

	memset(o, 0, sizeof(*o));
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->spec.kind = ODS_SCHED_CRON;
			o->spec.cron = optarg;
			break;
		case 'i':
			o->spec.kind = ODS_SCHED_INTERVAL;
			o->spec.interval_s = strtoll(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0') {
				fprintf(stderr, "odsctl: --interval wants "
				    "seconds\n");
				return -1;
			}
			break;
		case 'j': o->spec.job_type = optarg; break;
		case 'p': o->spec.payload = optarg; break;
		case 'z': o->spec.tz = optarg; break;
		case 'P': o->spec.paused = 1; break;
		default: return -1;
		}
	}
	return 0;
}

static int
fail(const char *what, enum ods_err er, const struct ods_why *why)
{
	fprintf(stderr, "odsctl: schedules %s failed: %s%s%s\n", what,
	    er == ODS_ENOTFOUND ? "no such schedule" :
	    er == ODS_ECONFLICT ? "the name is taken" : ods_strerror(er),
	    why != NULL && why->msg[0] != '\0' ? ": " : "",
	    why != NULL ? why->msg : "");
	return EXIT_FAILURE;
}

/* Epoch seconds as UTC ISO 8601, or "-". */
static const char *
when(int64_t t, char *buf, size_t len)
{
	struct tm	tm;
	time_t		tt = (time_t)t;

	if (t <= 0 || gmtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
print_one(const struct ods_sched *s)
{
	char	spec[300], nb[32], lb[32];

	if (s->kind == ODS_SCHED_CRON)
		snprintf(spec, sizeof(spec), "cron '%s'", s->cron);
	else
		snprintf(spec, sizeof(spec), "every %llds",
		    (long long)s->interval_s);
	printf("%-6lld %-24s %-8s %-22s %-16s %-18s %-20s %-20s %lld\n",
	    (long long)s->id, s->name, s->enabled ? "active" : "paused", spec,
	    s->tz, s->job_type, when(s->next_due_at, nb, sizeof(nb)),
	    when(s->last_run_at, lb, sizeof(lb)), (long long)s->run_count);
}

static void
print_head(void)
{
	printf("%-6s %-24s %-8s %-22s %-16s %-18s %-20s %-20s %s\n", "ID",
	    "NAME", "STATE", "WHEN", "ZONE", "JOB", "NEXT_DUE", "LAST_RUN",
	    "RUNS");
}

static int
list(struct ods_db *db)
{
	struct ods_sched	*v = NULL;
	enum ods_err		 er;
	int64_t			 total = 0;
	size_t			 n = 0, i, off = 0;

	print_head();
	do {
		er = ods_sched_list(db, off, 100, &v, &n, &total);
		if (er != ODS_OK)
			return fail("list", er, NULL);
		for (i = 0; i < n; i++)
			print_one(&v[i]);
		ods_sched_list_free(v, n);
		off += n;
	} while (n > 0 && (int64_t)off < total);
	return EXIT_SUCCESS;
}

/* NAME or ID to the stored schedule (*out, ods_sched_free). */
static enum ods_err
lookup(struct ods_db *db, const char *arg, struct ods_sched **out)
{
	char		*end;
	long long	 id;

	if (ods_sched_get_by_name(db, arg, out) == ODS_OK)
		return ODS_OK;
	id = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || id <= 0)
		return ODS_ENOTFOUND;
	return ods_sched_get(db, (int64_t)id, out);
}

static int
act(struct ods_db *db, const char *verb, const char *arg)
{
	struct ods_sched	*s = NULL;
	enum ods_err		 er;

	if ((er = lookup(db, arg, &s)) != ODS_OK)
		return fail(verb, er, NULL);
	if (strcmp(verb, "show") == 0) {
		print_head();
		print_one(s);
		if (s->payload != NULL)
			printf("payload %s\n", s->payload);
	} else if (strcmp(verb, "pause") == 0)
		er = ods_sched_pause(db, s->id);
	else if (strcmp(verb, "resume") == 0)
		er = ods_sched_resume(db, s->id, (int64_t)time(NULL));
	else if (strcmp(verb, "trigger") == 0)
		er = ods_sched_trigger(db, s->id);
	else
		er = ods_sched_delete(db, s->id);
	ods_sched_free(s);
	return er == ODS_OK ? EXIT_SUCCESS : fail(verb, er, NULL);
}

int
c_sched(const struct ods_conf *conf, int argc, char *argv[])
{
	struct schedopts	 o;
	struct ods_why		 why;
	struct ods_db		*db;
	const char		*verb = argc > 1 ? argv[1] : "";
	enum ods_err		 er;
	int64_t			 id = 0;
	int			 rc, nargs;

	if (opts(argc - 1, argv + 1, &o) < 0)
		return EXIT_USAGE;
	nargs = argc - 1 - optind;
	if (strcmp(verb, "list") == 0 ? nargs != 0 : nargs != 1)
		return EXIT_USAGE;
	db = ods_db_new(conf, 1);
	if (strcmp(verb, "list") == 0)
		rc = list(db);
	else if (strcmp(verb, "create") == 0) {
		o.spec.name = argv[1 + optind];
		if (o.spec.tz == NULL)
			o.spec.tz = conf->schedule_tz;
		o.spec.created_by = "odsctl";
		memset(&why, 0, sizeof(why));
		er = ods_sched_create(db, &o.spec, (int64_t)time(NULL), &id,
		    &why);
		if (er == ODS_OK) {
			printf("%lld\n", (long long)id);
			rc = EXIT_SUCCESS;
		} else
			rc = fail("create", er, &why);
	} else if (strcmp(verb, "show") == 0 || strcmp(verb, "pause") == 0 ||
	    strcmp(verb, "resume") == 0 || strcmp(verb, "trigger") == 0 ||
	    strcmp(verb, "rm") == 0)
		rc = act(db, verb, argv[1 + optind]);
	else
		rc = EXIT_USAGE;
	ods_db_free(db);
	return rc;
}
