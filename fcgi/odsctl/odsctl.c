/*
 * fcgi/odsctl/odsctl.c — the administration command.
 *
 *	odsctl migrate [--dir DIR] [--lock-timeout S]	apply pending migrations
 *	odsctl migrate --status [--dir DIR]		show what is applied
 *	odsctl apikey create --owner O --name N [--models a,b] [--rpm N]
 *	    [--tpm N] [--expires-days D]		make an sk-ods- key
 *	odsctl apikey list [--owner O]			list keys (no secrets)
 *	odsctl apikey revoke KEY_ID			revoke a key
 *	odsctl token --sub S [--username U] [--roles a,b] [--ttl S]
 *							dev HS256 token
 *	odsctl jobs list|show|cancel|retry|enqueue|wait	the job queue
 *	odsctl kb list|reindex		knowledge bases, their indexes
 *	odsctl schedules list|create|...		schedules (c_sched.c)
 *	odsctl store put|get|head|ls|rm|presign ...	the object store
 *							(odsctl_store.c)
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
#include <time.h>

#include "auth/ods_auth.h"
#include "core/ods_conf.h"
#include "store/ods_db.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "llm/ods_llm_usage.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "store/ods_migrate.h"
#include "store/ods_redis.h"
#include "c_jobs.h"
#include "c_kb.h"
#include "c_sched.h"
#include "odsctl_store.h"

#define EXIT_USAGE	2

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: odsctl [--check-config] [--help] [--version]\n"
	    "       odsctl migrate [--dir DIR] [--status] "
	    "[--lock-timeout SECONDS]\n"
	    "       odsctl apikey create|list|revoke ...\n"
	    "       odsctl token --sub SUBJECT ...\n"
	    "       odsctl usage [--key KEY_ID] [--from DAY] [--to DAY]\n"
	    "       odsctl jobs list|show|cancel|retry|enqueue|wait ...\n"
	    "       odsctl kb list|reindex ...\n"
	    "       odsctl schedules list|create|show|pause|resume|trigger|rm "
	    "...\n"
	    "       odsctl store put|get|head|ls|rm|presign ...\n"
	    "\n"
	    "commands:\n"
	    "  migrate           apply pending SQL migrations, in order, once\n"
	    "    --status        list applied and pending migrations; change "
	    "nothing\n"
	    "    --dir DIR       migration files (default: $ODS_SQL_DIR, else "
	    "%s/sql)\n"
	    "    --lock-timeout S  wait at most S seconds for another migrate "
	    "(default %d)\n"
	    "  apikey create --owner O --name N [--models a,b] [--rpm N] "
	    "[--tpm N]\n"
	    "                [--expires-days D]   create a key; the secret is "
	    "printed once\n"
	    "  apikey list [--owner O]           list keys (never a secret)\n"
	    "  apikey revoke KEY_ID              revoke a key\n"
	    "  token --sub S [--username U] [--roles a,b] [--ttl SECONDS]\n"
	    "                    a development HS256 token signed with "
	    "JWT_SECRET_KEY\n"
	    "  usage [--key KEY_ID] [--from YYYY-MM-DD] [--to YYYY-MM-DD]\n"
	    "                    LLM usage per key, model and day as JSON "
	    "(default: the\n"
	    "                    last 30 days)\n",
	    ODS_DATADIR, ODS_MIGRATE_LOCK_TIMEOUT_S);
	odsctl_store_usage(fp);
	fprintf(fp, C_JOBS_USAGE C_KB_USAGE C_SCHED_USAGE "\n"
	    "options:\n"
	    "  --check-config    check the environment (MYSQL_*, REDIS_URL, "
	    "...) and exit\n"
	    "  --help, --version\n"
	    "\n"
	    "The database is the one of MYSQL_HOST, MYSQL_PORT, MYSQL_USER, "
	    "MYSQL_PASSWORD,\nMYSQL_DATABASE (or ODS_MYSQL_SOCKET). The object "
	    "store is the pools': S3\nwhen MINIO_ENDPOINT is set, else "
	    "ODS_DATA_DIR/objects.\n");
}

/* Load the environment; report each bad key on report. */
static struct ods_conf *
load_conf(FILE *report, int *ok)
{
	struct ods_conf	*conf = ods_conf_new();
	struct ods_why		 why;

	*ok = ods_conf_load_env(conf, report) == ODS_OK;
	if (conf->redis_url[0] != '\0' &&
	    ods_redis_url_check(conf->redis_url, &why) != ODS_OK) {
		fprintf(report, "REDIS_URL: %s\n", why.msg);
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

/* ---- API keys and dev tokens ---- */

struct keyopts {
	const char	*owner, *name, *models, *username, *roles, *sub;
	const char	*key_id, *from, *to;
	long		 rpm, tpm, days, ttl;
};

static int
num_arg(const char *opt, const char *v, long lo, long hi, long *out)
{
	char	*end;
	long	 n = strtol(v, &end, 10);

	if (*v == '\0' || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "odsctl: %s wants %ld..%ld\n", opt, lo, hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* Parse the options of apikey and token; -1 on a usage error. */
static int
key_opts(int argc, char *argv[], struct keyopts *o)
{
	static const struct option longopts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "models", required_argument, NULL, 'm' },
		{ "rpm", required_argument, NULL, 'r' },
		{ "tpm", required_argument, NULL, 't' },
		{ "expires-days", required_argument, NULL, 'e' },
		{ "sub", required_argument, NULL, 's' },
		{ "username", required_argument, NULL, 'u' },
		{ "roles", required_argument, NULL, 'R' },
		{ "ttl", required_argument, NULL, 'T' },
		{ "key", required_argument, NULL, 'k' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, bad = 0;

	memset(o, 0, sizeof(*o));
	o->ttl = 3600;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o->owner = optarg; break;
		case 'n': o->name = optarg; break;
		case 'm': o->models = optarg; break;
		case 's': o->sub = optarg; break;
		case 'u': o->username = optarg; break;
		case 'R': o->roles = optarg; break;
		case 'k': o->key_id = optarg; break;
		case 'f': o->from = optarg; break;
		case 'F': o->to = optarg; break;
		case 'r': bad |= num_arg("--rpm", optarg, 1, 1000000, &o->rpm);
			break;
		case 't': bad |= num_arg("--tpm", optarg, 1, 1000000000,
			    &o->tpm);
			break;
		case 'e': bad |= num_arg("--expires-days", optarg, 1, 3650,
			    &o->days);
			break;
		case 'T': bad |= num_arg("--ttl", optarg, 60, 31536000,
			    &o->ttl);
			break;
		default: return -1;
		}
	}
	return bad ? -1 : 0;
}

/* Split "a,b" in place into at most max names. */
static size_t
split_models(char *s, const char **v, size_t max)
{
	size_t	 n = 0;
	char	*tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok != NULL && n < max;
	    tok = strtok_r(NULL, ",", &save))
		v[n++] = tok;
	return n;
}

static int
apikey_create(struct ods_db *db, const struct keyopts *o)
{
	struct ods_apikey_spec	 s;
	const char		*models[64];
	char			*secret = NULL, *mcopy = NULL;
	enum ods_err		 er;

	memset(&s, 0, sizeof(s));
	s.owner = o->owner;
	s.name = o->name;
	s.rpm = (int)o->rpm;
	s.tpm = (int)o->tpm;
	s.expires_at = o->days > 0 ? (int64_t)time(NULL) + o->days * 86400 : 0;
	s.created_by = "odsctl";
	if (o->models != NULL) {
		mcopy = strdup(o->models);
		s.models = models;
		s.nmodels = split_models(mcopy, models, 64);
	}
	er = ods_apikey_create(db, &s, &secret, NULL);
	free(mcopy);
	if (er != ODS_OK) {
		fprintf(stderr, "odsctl: apikey create failed: %s%s\n",
		    ods_strerror(er), er == ODS_EINVAL ? " (--owner and "
		    "--name are required)" : "");
		return EXIT_FAILURE;
	}
	printf("%s\n", secret);
	fprintf(stderr, "odsctl: keep this key now: it is not stored and "
	    "cannot be shown again\n");
	free(secret);
	return EXIT_SUCCESS;
}

static int
apikey_list(struct ods_db *db, const struct keyopts *o)
{
	struct ods_apikey	*k = NULL;
	enum ods_err		 er;
	size_t			 n = 0, i;
	char			 exp[32];
	time_t			 t;

	if ((er = ods_apikey_list(db, o->owner, &k, &n)) != ODS_OK) {
		fprintf(stderr, "odsctl: apikey list failed: %s\n",
		    ods_strerror(er));
		return EXIT_FAILURE;
	}
	printf("%-20s %-16s %-20s %-8s %-20s %s\n", "KEY_ID", "PREFIX",
	    "OWNER", "STATE", "EXPIRES", "NAME");
	for (i = 0; i < n; i++) {
		t = (time_t)k[i].expires_at;
		if (t > 0)
			strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ",
			    gmtime(&t));
		else
			snprintf(exp, sizeof(exp), "never");
		printf("%-20s %-16s %-20s %-8s %-20s %s\n", k[i].key_id,
		    k[i].prefix, k[i].owner, k[i].revoked ? "revoked" :
		    (t > 0 && t <= time(NULL)) ? "expired" : "active", exp,
		    k[i].name);
	}
	ods_apikey_list_free(k, n);
	return EXIT_SUCCESS;
}

static int
apikey(int argc, char *argv[])
{
	struct keyopts	 o;
	struct ods_conf	*conf;
	struct ods_db	*db;
	const char	*verb = argc > 1 ? argv[1] : "";
	enum ods_err	 er;
	int		 rc, ok;

	if (key_opts(argc - 1, argv + 1, &o) < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	conf = load_conf(stderr, &ok);
	db = ods_db_new(conf, 1);
	if (strcmp(verb, "create") == 0 && optind + 1 == argc)
		rc = apikey_create(db, &o);
	else if (strcmp(verb, "list") == 0 && optind + 1 == argc)
		rc = apikey_list(db, &o);
	else if (strcmp(verb, "revoke") == 0 && optind + 2 == argc) {
		er = ods_apikey_revoke(db, argv[optind + 1], "odsctl");
		if (er != ODS_OK)
			fprintf(stderr, "odsctl: apikey revoke failed: %s\n",
			    ods_strerror(er));
		rc = er == ODS_OK ? EXIT_SUCCESS : EXIT_FAILURE;
	} else {
		usage(stderr);
		rc = EXIT_USAGE;
	}
	ods_db_free(db);
	ods_conf_free(conf);
	return rc;
}

/* LLM usage per key, model and day (the proxy's GET /api/v1/usage). */
static int
usage_report(int argc, char *argv[])
{
	struct keyopts	 o;
	struct ods_conf	*conf;
	struct ods_db	*db;
	struct ods_buf	 b;
	struct ods_jw	 jw;
	enum ods_err	 er;
	int		 ok;

	if (key_opts(argc, argv, &o) < 0 || optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	conf = load_conf(stderr, &ok);
	db = ods_db_new(conf, 1);
	ods_buf_init(&b, 64u << 20);
	ods_jw_init(&jw, &b);
	/* The operator's view: every row at once. */
	er = ods_llm_usage_report(db, o.key_id, o.from, o.to, 0, INT64_MAX,
	    &jw, NULL);
	if (er == ODS_OK)
		er = ods_jw_error(&jw);
	if (er == ODS_OK)
		printf("%.*s\n", (int)b.len, b.data);
	else
		fprintf(stderr, "odsctl: usage failed: %s%s\n",
		    ods_strerror(er), er == ODS_EINVAL ? " (--from and --to "
		    "are YYYY-MM-DD)" : "");
	ods_buf_free(&b);
	ods_db_free(db);
	ods_conf_free(conf);
	return er == ODS_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
token(int argc, char *argv[])
{
	struct keyopts	 o;
	struct ods_conf	*conf;
	char		*t = NULL;
	enum ods_err	 er;
	int		 ok;

	if (key_opts(argc, argv, &o) < 0 || optind != argc || o.sub == NULL) {
		usage(stderr);
		return EXIT_USAGE;
	}
	conf = load_conf(stderr, &ok);
	er = ods_auth_mint_hs256(conf, o.sub, o.username, o.roles,
	    (int)o.ttl, &t);
	ods_conf_free(conf);
	if (er != ODS_OK) {
		fprintf(stderr, "odsctl: token needs JWT_SECRET_KEY (at least "
		    "32 bytes)\n");
		return EXIT_FAILURE;
	}
	printf("%s\n", t);
	free(t);
	return EXIT_SUCCESS;
}

static int
jobs(int argc, char *argv[])
{
	struct ods_conf	*conf;
	int		 ok, rc;

	conf = load_conf(stderr, &ok);
	rc = ok ? c_jobs(conf, argc, argv) : EXIT_FAILURE;
	if (rc == EXIT_USAGE)
		usage(stderr);
	ods_conf_free(conf);
	return rc;
}

static int
kb(int argc, char *argv[])
{
	struct ods_conf	*conf;
	int		 ok, rc;

	conf = load_conf(stderr, &ok);
	rc = ok ? c_kb(conf, argc, argv) : EXIT_FAILURE;
	if (rc == EXIT_USAGE)
		usage(stderr);
	ods_conf_free(conf);
	return rc;
}

static int
schedules(int argc, char *argv[])
{
	struct ods_conf	*conf;
	int		 ok, rc;

	conf = load_conf(stderr, &ok);
	rc = ok ? c_sched(conf, argc, argv) : EXIT_FAILURE;
	if (rc == EXIT_USAGE)
		usage(stderr);
	ods_conf_free(conf);
	return rc;
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
	if (strcmp(argv[1], "apikey") == 0)
		return apikey(argc - 1, argv + 1);
	if (strcmp(argv[1], "token") == 0)
		return token(argc - 1, argv + 1);
	if (strcmp(argv[1], "usage") == 0)
		return usage_report(argc - 1, argv + 1);
	if (strcmp(argv[1], "jobs") == 0)
		return jobs(argc - 1, argv + 1);
	if (strcmp(argv[1], "schedules") == 0)
		return schedules(argc - 1, argv + 1);
	if (strcmp(argv[1], "kb") == 0)
		return kb(argc - 1, argv + 1);
	/* `odsctl reindex KB|--all`: the same as `odsctl kb reindex`. */
	if (strcmp(argv[1], "reindex") == 0) {
		argv[0] = "kb";
		return kb(argc, argv);
	}
	if (strcmp(argv[1], "store") == 0)
		return odsctl_store(argc - 1, argv + 1);
	fprintf(stderr, "odsctl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
