/*
 * fcgi/odsctl/odsctl.c — the administration command.
 *
 *	odsctl migrate [--dir DIR] [--lock-timeout S]	apply pending migrations
 *	odsctl migrate --status [--dir DIR]		show what is applied
 *	odsctl --check-config				validate the environment
 *
 * Configuration comes from the environment, like the services. Exit
 * status: 0 done, 1 failed, 2 usage.
 */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods_conf.h"
#include "ods_db.h"
#include "ods_err.h"
#include "ods_log.h"
#include "ods_migrate.h"
#include "ods_redis.h"

#define EXIT_USAGE	2

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: odsctl [--check-config] [--help] [--version]\n"
	    "       odsctl migrate [--dir DIR] [--status] "
	    "[--lock-timeout SECONDS]\n"
	    "\n"
	    "commands:\n"
	    "  migrate           apply pending SQL migrations, in order, once\n"
	    "    --status        list applied and pending migrations; change "
	    "nothing\n"
	    "    --dir DIR       migration files (default: $ODS_SQL_DIR, else "
	    "%s/sql)\n"
	    "    --lock-timeout S  wait at most S seconds for another migrate "
	    "(default %d)\n"
	    "\n"
	    "options:\n"
	    "  --check-config    check the environment (MYSQL_*, REDIS_URL, "
	    "...) and exit\n"
	    "  --help, --version\n"
	    "\n"
	    "The database is the one of MYSQL_HOST, MYSQL_PORT, MYSQL_USER, "
	    "MYSQL_PASSWORD,\nMYSQL_DATABASE (or ODS_MYSQL_SOCKET).\n",
	    ODS_DATADIR, ODS_MIGRATE_LOCK_TIMEOUT_S);
}

/* Load the environment; report each bad key on report. */
static struct ods_conf *
load_conf(FILE *report, int *ok)
{
	struct ods_conf	*conf = ods_conf_new();
	char		 why[160];

	*ok = ods_conf_load_env(conf, report) == ODS_OK;
	if (conf->redis_url[0] != '\0' &&
	    ods_redis_url_check(conf->redis_url, why, sizeof(why)) != ODS_OK) {
		fprintf(report, "REDIS_URL: %s\n", why);
		*ok = 0;
	}
	ods_log_init("odsctl", conf->log_level);
	return conf;
}

static int
check_config(void)
{
	struct ods_conf	*conf;
	int		 ok;

	conf = load_conf(stdout, &ok);
	printf("configuration %s\n", ok ? "ok" : "has errors");
	ods_conf_free(conf);
	return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}

/* Parse migrate's options; returns -1 to go on, else an exit status. */
static int
migrate_opts(int argc, char *argv[], struct ods_migrate_opts *o,
    int *status)
{
	static const struct option longopts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "status", no_argument, NULL, 's' },
		{ "lock-timeout", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	char	*end;
	long	 v;
	int	 ch;

	while ((ch = getopt_long(argc, argv, "d:sl:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 's':
			*status = 1;
			break;
		case 'l':
			v = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || v < 1 ||
			    v > 86400) {
				fprintf(stderr, "odsctl: --lock-timeout wants "
				    "1..86400 seconds\n");
				return EXIT_USAGE;
			}
			o->lock_timeout_s = (int)v;
			break;
		case 'h':
			usage(stdout);
			return EXIT_SUCCESS;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return -1;
}

static int
migrate(int argc, char *argv[])
{
	struct ods_migrate_opts	 o = { NULL, stdout, 0 };
	struct ods_conf		*conf;
	struct ods_db		*db;
	enum ods_err		 er;
	char			*dflt = NULL;
	unsigned		 n = 0;
	int			 rc, status = 0, ok;

	if ((rc = migrate_opts(argc, argv, &o, &status)) >= 0)
		return rc;
	if (o.dir == NULL)
		o.dir = getenv("ODS_SQL_DIR");
	if (o.dir == NULL || o.dir[0] == '\0') {
		if (asprintf(&dflt, "%s/sql", ODS_DATADIR) < 0)
			return EXIT_FAILURE;
		o.dir = dflt;
	}
	conf = load_conf(stderr, &ok);
	if (!ok) {
		fprintf(stderr, "odsctl: fix the configuration first\n");
		ods_conf_free(conf);
		free(dflt);
		return EXIT_FAILURE;
	}
	db = ods_db_new(conf, 1);
	if (status)
		er = ods_migrate_status(db, &o, &n);
	else
		er = ods_migrate_run(db, &o, &n);
	if (er != ODS_OK)
		fprintf(stderr, "odsctl: migrate%s failed: %s\n",
		    status ? " --status" : "", ods_strerror(er));
	ods_db_free(db);
	ods_conf_free(conf);
	free(dflt);
	return er == ODS_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

int
main(int argc, char *argv[])
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--version") == 0) {
		printf("odsctl %s\n", PACKAGE_VERSION);
		return EXIT_SUCCESS;
	}
	if (strcmp(argv[1], "--check-config") == 0 && argc == 2)
		return check_config();
	if (strcmp(argv[1], "migrate") == 0)
		return migrate(argc - 1, argv + 1);
	fprintf(stderr, "odsctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
