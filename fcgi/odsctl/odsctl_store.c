/*
 * fcgi/odsctl/odsctl_store.c — `odsctl store`: the object store from the
 * command line, on the backend the environment names exactly as the
 * pools see it (S3 when MINIO_ENDPOINT is set, else ODS_DATA_DIR/objects).
 *
 *	odsctl store put KEY [FILE|-] [--content-type T] [--sha256 HEX]
 *	odsctl store get KEY [FILE|-] [--range A-B|A-|-N]
 *	odsctl store head KEY
 *	odsctl store ls [PREFIX] [--limit N] [--token T] [--json]
 *	odsctl store rm KEY...
 *	odsctl store presign GET|PUT KEY [--expires S] [--route] [--base URL]
 *
 * Bodies stream both ways (stdin or a file into the store, the store into
 * a file or stdout), so an object of any size moves in a fixed amount of
 * memory. A whole-object get checks the bytes against the SHA-256 the
 * store recorded; a get into a file writes a temporary file beside it and
 * renames it at the end, so a failed get leaves the file as it was.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_obj.h"
#include "odsctl_store.h"

#define EXIT_USAGE		2
#define PRESIGN_DEFAULT_S	3600

/* The options, as bits: what a verb takes and what was given. */
enum {
	O_CTYPE = 1 << 0, O_SHA256 = 1 << 1, O_RANGE = 1 << 2,
	O_LIMIT = 1 << 3, O_TOKEN = 1 << 4, O_JSON = 1 << 5,
	O_EXPIRES = 1 << 6, O_ROUTE = 1 << 7, O_BASE = 1 << 8
};

struct store_opts {
	const char	*ctype, *sha256, *range, *token, *base;
	long		 limit, expires;
	int		 json, route;
	unsigned	 seen;		/* O_* given */
};

void
odsctl_store_usage(FILE *fp)
{
	fprintf(fp,
	    "  store put KEY [FILE|-] [--content-type T] [--sha256 HEX]\n"
	    "                    store a file or stdin (streamed); prints "
	    "key, size, sha256\n"
	    "                    and content type as JSON; --sha256 refuses "
	    "other bytes\n"
	    "  store get KEY [FILE|-] [--range A-B|A-|-N]\n"
	    "                    an object (or a byte range) to a file or "
	    "stdout; a whole\n"
	    "                    object is checked against its SHA-256\n"
	    "  store head KEY    an object's size, sha256, content type, "
	    "time, as JSON\n"
	    "  store ls [PREFIX] [--limit N] [--token T] [--json]\n"
	    "                    keys by prefix (SIZE MODIFIED SHA256 KEY); "
	    "past --limit the\n"
	    "                    token of the next page is printed on "
	    "stderr\n"
	    "  store rm KEY...   delete objects (a missing one is not an "
	    "error)\n"
	    "  store presign GET|PUT KEY [--expires SECONDS] [--route] "
	    "[--base URL]\n"
	    "                    a URL that needs no other credential "
	    "(default %d s, at\n"
	    "                    most %d). S3: the bucket's own; --route: "
	    "our route\n"
	    "                    /api/v1/store/presigned (through nginx) on "
	    "either backend;\n"
	    "                    --base URL prefixes a relative one\n",
	    PRESIGN_DEFAULT_S, ODS_OBJ_PRESIGN_MAX_S);
}

static int
store_usage_error(void)
{
	fprintf(stderr, "usage: odsctl store put|get|head|ls|rm|presign ... "
	    "(odsctl --help lists the\narguments and options of each)\n");
	return EXIT_USAGE;
}

static int
num_opt(const char *opt, const char *v, long lo, long hi, long *out)
{
	char	*end;
	long	 n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < lo || n > hi) {
		fprintf(stderr, "odsctl: %s wants %ld..%ld\n", opt, lo, hi);
		return -1;
	}
	*out = n;
	return 0;
}

/* Options of every store verb (each verb checks it got only its own). */
static int
store_opts_parse(int argc, char *argv[], struct store_opts *o)
{
	static const struct option longopts[] = {
		{ "content-type", required_argument, NULL, 't' },
		{ "sha256", required_argument, NULL, 's' },
		{ "range", required_argument, NULL, 'r' },
		{ "limit", required_argument, NULL, 'n' },
		{ "token", required_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "expires", required_argument, NULL, 'e' },
		{ "route", no_argument, NULL, 'R' },
		{ "base", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	int	ch, bad = 0;

	memset(o, 0, sizeof(*o));
	o->expires = PRESIGN_DEFAULT_S;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 't': o->ctype = optarg; o->seen |= O_CTYPE; break;
		case 's': o->sha256 = optarg; o->seen |= O_SHA256; break;
		case 'r': o->range = optarg; o->seen |= O_RANGE; break;
		case 'k': o->token = optarg; o->seen |= O_TOKEN; break;
		case 'j': o->json = 1; o->seen |= O_JSON; break;
		case 'R': o->route = 1; o->seen |= O_ROUTE; break;
		case 'b': o->base = optarg; o->seen |= O_BASE; break;
		case 'n':
			bad |= num_opt("--limit", optarg, 1, LONG_MAX, &o->limit);
			o->seen |= O_LIMIT;
			break;
		case 'e':
			bad |= num_opt("--expires", optarg, 1,
			    ODS_OBJ_PRESIGN_MAX_S, &o->expires);
			o->seen |= O_EXPIRES;
			break;
		default:
			return -1;
		}
	}
	return bad ? -1 : 0;
}

/* The store of the environment; NULL (reported) when it cannot be used. */
static struct ods_obj *
store_open(struct ods_conf **confp)
{
	struct ods_conf	*conf = ods_conf_new();
	struct ods_obj	*o = NULL;

	*confp = conf;
	if (ods_conf_load_env(conf, stderr) != ODS_OK) {
		fprintf(stderr, "odsctl: fix the configuration first\n");
		return NULL;
	}
	ods_log_init("odsctl", conf->log_level);
	if ((o = ods_obj_new(conf)) == NULL)
		fprintf(stderr, "odsctl: the object store (%s) cannot be "
		    "used; see the log above\n", *conf->minio_endpoint != '\0' ?
		    "MINIO_ENDPOINT" : "ODS_DATA_DIR/objects");
	return o;
}

static int
store_fail(const char *verb, const char *key, enum ods_err er)
{
	const char	*why = ods_strerror(er);

	if (er == ODS_ENOTFOUND)
		why = "no such object";
	else if (er == ODS_EINVAL && strcmp(verb, "get") == 0)
		why = "bad key, or the range is past the object's end";
	else if (er == ODS_EINVAL)
		why = "bad key or argument";
	else if (er == ODS_ECORRUPT)
		why = "the bytes do not match the SHA-256";
	fprintf(stderr, "odsctl: store %s '%s': %s\n", verb, key != NULL ?
	    key : "", why);
	return EXIT_FAILURE;
}

/* One object's info as a JSON line on stdout. */
static void
info_print(const struct ods_obj_info *in, const char *backend)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 64 * 1024);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "key", in->key);
	ods_jw_kint(&jw, "size", (int64_t)in->size);
	ods_jw_kstr(&jw, "sha256", in->sha256[0] != '\0' ? in->sha256 : NULL);
	ods_jw_kstr(&jw, "content_type", in->ctype[0] != '\0' ? in->ctype :
	    NULL);
	ods_jw_kint(&jw, "mtime", in->mtime);
	if (in->etag[0] != '\0')
		ods_jw_kstr(&jw, "etag", in->etag);
	if (backend != NULL)
		ods_jw_kstr(&jw, "backend", backend);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		printf("%.*s\n", (int)b.len, b.data);
	ods_buf_free(&b);
}

/* ---- put ---- */

static long
fd_read(void *arg, char *buf, size_t n)
{
	int	*fd = arg;
	ssize_t	 r;

	do
		r = read(*fd, buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		fprintf(stderr, "odsctl: read: %s\n", strerror(errno));
	return (long)r;
}

static int
store_put(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	struct ods_obj_info	 in;
	const char		*key, *path;
	enum ods_err		 er;
	int			 fd = STDIN_FILENO;

	key = argv[0];
	path = argc == 2 ? argv[1] : "-";
	if (strcmp(path, "-") != 0 &&
	    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "odsctl: %s: %s\n", path, strerror(errno));
		return EXIT_FAILURE;
	}
	er = ods_obj_put(o, key, so->ctype, so->sha256, 0, fd_read, &fd, &in);
	if (fd != STDIN_FILENO)
		close(fd);
	if (er != ODS_OK)
		return store_fail("put", key, er);
	info_print(&in, ods_obj_backend(o));
	return EXIT_SUCCESS;
}

/* ---- get ---- */

#define KICK_BYTES	(8u * 1024 * 1024)

struct get_out {
	int			 fd;
	int			 file;	/* fd is a file of ours (fsynced) */
	struct ods_obj_info	 in;
	uint64_t		 off, len, got, kicked;
};

static int
get_begin(void *arg, const struct ods_obj_info *in, uint64_t off,
    uint64_t len)
{
	struct get_out	*g = arg;

	g->in = *in;
	g->off = off;
	g->len = len;
	return 0;
}

static int
get_write(void *arg, const char *p, size_t n)
{
	struct get_out	*g = arg;
	ssize_t		 w;

	g->got += n;
	while (n > 0) {
		if ((w = write(g->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "odsctl: write: %s\n", strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
#ifdef SYNC_FILE_RANGE_WRITE
	/* The writeback starts now, so the fsync at the end is short. */
	if (g->file && g->got - g->kicked >= KICK_BYTES) {
		(void)sync_file_range(g->fd, (off_t)g->kicked,
		    (off_t)(g->got - g->kicked), SYNC_FILE_RANGE_WRITE);
		g->kicked = g->got;
	}
#endif
	return 0;
}

/*
 * "A-B", "A-" or "-N" (the last N bytes; needs the size), with or without
 * "bytes=": 0 with [*off, *off + *len), -1 when malformed.
 */
static int
range_parse(struct ods_obj *o, const char *key, const char *s,
    uint64_t *off, uint64_t *len, enum ods_err *er)
{
	struct ods_obj_info	 in;
	unsigned long long	 a, b;
	char			*end;

	*er = ODS_OK;
	if (strncmp(s, "bytes=", 6) == 0)
		s += 6;
	if (*s == '-') {
		errno = 0;
		b = strtoull(s + 1, &end, 10);
		if (s[1] == '\0' || *end != '\0' || errno != 0 || b == 0)
			return -1;
		if ((*er = ods_obj_head(o, key, &in)) != ODS_OK)
			return 0;
		*off = b >= in.size ? 0 : in.size - b;
		*len = ODS_OBJ_ALL;
		return 0;
	}
	errno = 0;
	a = strtoull(s, &end, 10);
	if (end == s || *end != '-' || errno != 0)
		return -1;
	*off = a;
	if (end[1] == '\0') {
		*len = ODS_OBJ_ALL;
		return 0;
	}
	s = end + 1;
	b = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end != '\0' || errno != 0 || b < a)
		return -1;
	*len = b - a + 1;
	return 0;
}

/*
 * Where a get writes: stdout, or a temporary file beside path (*tmp set)
 * to be renamed over it; a path that is not a regular file (a device, a
 * fifo) is written in place. -1 (reported) on failure.
 */
static int
out_open(const char *path, char *tmp, size_t len)
{
	struct stat	st;
	mode_t		mask;
	int		fd;

	tmp[0] = '\0';
	if (strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
		fd = open(path, O_WRONLY | O_CLOEXEC);
	else if (snprintf(tmp, len, "%s.odsctl-XXXXXX", path) >= (int)len) {
		tmp[0] = '\0';
		errno = ENAMETOOLONG;
		fd = -1;
	} else if ((fd = mkstemp(tmp)) < 0)
		tmp[0] = '\0';
	else {
		/* mkstemp's 0600, made what a new file would get. */
		mask = umask(0);
		(void)umask(mask);
		(void)fchmod(fd, 0666 & ~mask);
	}
	if (fd < 0)
		fprintf(stderr, "odsctl: %s: %s\n", path, strerror(errno));
	return fd;
}

/* Finish a get into a file: fsync and rename, or remove on failure. */
static int
out_close(int fd, const char *path, const char *tmp, int ok)
{
	if (fd == STDOUT_FILENO)
		return ok ? 0 : -1;
	if (ok && tmp[0] != '\0' && fsync(fd) < 0) {
		fprintf(stderr, "odsctl: %s: %s\n", path, strerror(errno));
		ok = 0;
	}
	if (close(fd) < 0 && ok) {
		fprintf(stderr, "odsctl: %s: %s\n", path, strerror(errno));
		ok = 0;
	}
	if (tmp[0] == '\0')
		return ok ? 0 : -1;
	if (ok && rename(tmp, path) < 0) {
		fprintf(stderr, "odsctl: %s: %s\n", path, strerror(errno));
		ok = 0;
	}
	if (!ok)
		(void)unlink(tmp);
	return ok ? 0 : -1;
}

static int
store_get(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	struct get_out		 g;
	struct ods_obj_sink	 sink = { get_begin, get_write, &g };
	const char		*key, *path;
	char			 tmp[PATH_MAX];
	enum ods_err		 er = ODS_OK;
	uint64_t		 off = 0, len = ODS_OBJ_ALL;

	key = argv[0];
	path = argc == 2 ? argv[1] : "-";
	if (so->range != NULL &&
	    range_parse(o, key, so->range, &off, &len, &er) < 0) {
		fprintf(stderr, "odsctl: --range wants A-B, A- or -N\n");
		return EXIT_USAGE;
	}
	if (er != ODS_OK)
		return store_fail("get", key, er);
	memset(&g, 0, sizeof(g));
	if ((g.fd = out_open(path, tmp, sizeof(tmp))) < 0)
		return EXIT_FAILURE;
	g.file = tmp[0] != '\0';
	/* A whole object is checked against its SHA-256 (on the way). */
	if (so->range == NULL)
		er = ods_obj_get_checked(o, key, &sink, NULL);
	else
		er = ods_obj_get(o, key, off, len, &sink);
	if (er == ODS_OK && g.got != g.len)
		er = ODS_EIO;
	if (out_close(g.fd, path, tmp, er == ODS_OK) < 0 && er == ODS_OK)
		return EXIT_FAILURE;
	if (er != ODS_OK)
		return store_fail("get", key, er);
	if (g.fd != STDOUT_FILENO)
		fprintf(stderr, "odsctl: %s: %" PRIu64 " bytes%s%s\n", path,
		    g.got, so->range == NULL ? ", sha256 " : "",
		    so->range == NULL ? g.in.sha256 : "");
	return EXIT_SUCCESS;
}

/* ---- head, ls, rm ---- */

static int
store_head(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	struct ods_obj_info	in;
	enum ods_err		er;

	(void)argc;
	(void)so;
	if ((er = ods_obj_head(o, argv[0], &in)) != ODS_OK)
		return store_fail("head", argv[0], er);
	info_print(&in, ods_obj_backend(o));
	return EXIT_SUCCESS;
}

static void
ls_line(const struct ods_obj_info *in, int json)
{
	struct tm	tm;
	time_t		t = (time_t)in->mtime;
	char		when[32];

	if (json) {
		info_print(in, NULL);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	printf("%12" PRIu64 "  %s  %-64s  %s\n", in->size, when,
	    in->sha256[0] != '\0' ? in->sha256 : "-", in->key);
}

/*
 * Every key under the prefix, page after page, or at most --limit of them
 * (then the next page's token goes to stderr, to resume with --token).
 * --json: one JSON object per key (S3 lists have no sha256 nor content
 * type: null; head has them).
 */
static int
store_ls(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	struct ods_obj_list	 l;
	const char		*prefix;
	char			*token = NULL;
	enum ods_err		 er = ODS_OK;
	size_t			 i, page;
	long			 left = so->limit;

	prefix = argc == 1 ? argv[0] : "";
	if (so->token != NULL)
		token = ods_xstrdup(so->token);
	do {
		page = left > 0 && left < ODS_OBJ_LIST_MAX ? (size_t)left :
		    ODS_OBJ_LIST_MAX;
		if ((er = ods_obj_list(o, prefix, token, page, &l)) != ODS_OK)
			break;
		for (i = 0; i < l.n; i++)
			ls_line(&l.items[i], so->json);
		free(token);
		token = l.next != NULL ? ods_xstrdup(l.next) : NULL;
		if (left > 0)
			left -= (long)l.n;	/* l.n <= page <= left */
		ods_obj_list_fini(&l);
	} while (token != NULL && (so->limit == 0 || left > 0));
	if (er == ODS_OK && token != NULL)
		fprintf(stderr, "odsctl: more keys: --token %s\n", token);
	free(token);
	if (fflush(stdout) != 0 && er == ODS_OK)
		er = ODS_EIO;
	return er == ODS_OK ? EXIT_SUCCESS : store_fail("ls", prefix, er);
}

static int
store_rm(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	enum ods_err	er;
	int		i, rc = EXIT_SUCCESS;

	(void)so;
	for (i = 0; i < argc; i++)
		if ((er = ods_obj_delete(o, argv[i])) != ODS_OK)
			rc = store_fail("rm", argv[i], er);
	return rc;
}

/* ---- presign ---- */

static int
store_presign(struct ods_obj *o, int argc, char *argv[],
    const struct store_opts *so)
{
	const char	*method;
	char		*url = NULL;
	size_t		 n;
	enum ods_err	 er;

	(void)argc;
	if (strcasecmp(argv[0], "GET") == 0)
		method = "GET";
	else if (strcasecmp(argv[0], "PUT") == 0)
		method = "PUT";
	else
		return store_usage_error();
	if (so->route)
		er = ods_obj_route_url(o, method, argv[1], (int)so->expires,
		    time(NULL), &url);
	else
		er = ods_obj_presign(o, method, argv[1], (int)so->expires,
		    time(NULL), &url);
	if (er != ODS_OK)
		return store_fail("presign", argv[1], er);
	if (url[0] == '/' && so->base != NULL) {
		/* A relative URL (no ODS_STORE_PUBLIC_URL): on --base. */
		n = strlen(so->base);
		while (n > 0 && so->base[n - 1] == '/')
			n--;
		printf("%.*s%s\n", (int)n, so->base, url);
	} else
		printf("%s\n", url);
	free(url);
	return EXIT_SUCCESS;
}

/* ---- dispatch ---- */

/* Each verb: its options and how many arguments (max -1: any number). */
static const struct {
	const char	*name;
	int		(*run)(struct ods_obj *, int, char *[],
			    const struct store_opts *);
	unsigned	 opts;
	int		 min, max;
} verbs[] = {
	{ "put", store_put, O_CTYPE | O_SHA256, 1, 2 },
	{ "get", store_get, O_RANGE, 1, 2 },
	{ "head", store_head, 0, 1, 1 },
	{ "ls", store_ls, O_LIMIT | O_TOKEN | O_JSON, 0, 1 },
	{ "rm", store_rm, 0, 1, -1 },
	{ "presign", store_presign, O_EXPIRES | O_ROUTE | O_BASE, 2, 2 },
};

int
odsctl_store(int argc, char *argv[])
{
	struct store_opts	 so;
	struct ods_conf		*conf = NULL;
	struct ods_obj		*o;
	size_t			 i;
	int			 rc, nargs;

	if (argc < 2)
		return store_usage_error();
	for (i = 0; i < ODS_NELEM(verbs); i++)
		if (strcmp(argv[1], verbs[i].name) == 0)
			break;
	if (i == ODS_NELEM(verbs)) {
		fprintf(stderr, "odsctl: unknown store command '%s'\n",
		    argv[1]);
		return store_usage_error();
	}
	/* getopt sees argv[1..] with the verb as its argv[0]. */
	if (store_opts_parse(argc - 1, argv + 1, &so) < 0 ||
	    (so.seen & ~verbs[i].opts) != 0)
		return store_usage_error();
	nargs = argc - 1 - optind;
	if (nargs < verbs[i].min || (verbs[i].max >= 0 &&
	    nargs > verbs[i].max))
		return store_usage_error();
	if ((o = store_open(&conf)) == NULL) {
		ods_conf_free(conf);
		return EXIT_FAILURE;
	}
	rc = verbs[i].run(o, nargs, argv + 1 + optind, &so);
	ods_obj_free(o);
	ods_conf_free(conf);
	return rc;
}
