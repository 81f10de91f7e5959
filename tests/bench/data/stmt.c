/*
 * tests/bench/data/stmt.c — what MariaDB itself spends on one prepared
 * statement: the server's CPU (its threads' scheduler run time) per
 * execution, N executions in a row on one connection over the unix
 * socket, the statement prepared once as the pools do. Each remaining
 * argument is a statement; its ? are bound, in order, to the first of
 * the comma-separated texts of PARAMS (up to 8; "-" for none). Prints one
 * line per statement: "stmt K server_us X wall_us Y rows R".
 *
 * tests/bench/data/get.sh runs it for SELECT 1 and for the statement of
 * GET /datasets/{id}: the first is the floor of any request that reads
 * MariaDB, whatever the code around it.
 *
 * usage: stmt SOCKET USER DATABASE SERVER_PID N PARAMS SQL...
 * (the password in MYSQL_PASSWORD, not on the command line)
 * Built by get.sh with: cc -O2 stmt.c $(mariadb_config --cflags --libs)
 */
#include <dirent.h>
#include <err.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>

#define NPARAMS	8

/*
 * The server's CPU time in ns: the sum of its threads' run time in
 * /proc/PID/task/TID/schedstat (the scheduler's own clock; /proc/PID/stat
 * counts whole ticks by sampling, which misses most of a 20 us burst on
 * an otherwise idle CPU). A thread that exits meanwhile is not counted:
 * the connection's thread lives as long as the connection.
 */
static long long
server_ns(const char *pid)
{
	char		 path[PATH_MAX];
	DIR		*d;
	struct dirent	*de;
	FILE		*f;
	long long	 sum = 0, ns;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	if ((d = opendir(path)) == NULL)
		err(1, "%s", path);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid,
		    de->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;		/* exited */
		if (fscanf(f, "%lld", &ns) == 1)
			sum += ns;
		fclose(f);
	}
	closedir(d);
	return sum;
}

static double
now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char		*param[NPARAMS];
static unsigned long	 paramlen[NPARAMS];
static unsigned		 nparam;

static void
params(char *list)
{
	char	*p;

	if (strcmp(list, "-") == 0)
		return;
	while ((p = strsep(&list, ",")) != NULL) {
		if (nparam == NPARAMS)
			errx(2, "more than %d parameters", NPARAMS);
		param[nparam] = p;
		paramlen[nparam++] = strlen(p);
	}
}

static void
run(MYSQL *my, const char *pid, long n, const char *sql, int k)
{
	MYSQL_STMT	*st;
	MYSQL_BIND	 b[NPARAMS];
	unsigned	 np, i;
	long long	 t0, t1, rows = 0;
	double		 w0, w1;
	long		 j;

	if ((st = mysql_stmt_init(my)) == NULL ||
	    mysql_stmt_prepare(st, sql, strlen(sql)) != 0)
		errx(1, "prepare %s: %s", sql, mysql_error(my));
	if ((np = mysql_stmt_param_count(st)) > nparam)
		errx(1, "%s: %u parameters, %u given", sql, np, nparam);
	memset(b, 0, sizeof(b));
	for (i = 0; i < np; i++) {
		b[i].buffer_type = MYSQL_TYPE_STRING;
		b[i].buffer = param[i];
		b[i].buffer_length = paramlen[i];
		b[i].length = &paramlen[i];
	}
	if (np > 0 && mysql_stmt_bind_param(st, b) != 0)
		errx(1, "bind: %s", mysql_stmt_error(st));
	t0 = server_ns(pid);
	w0 = now();
	for (j = 0; j < n; j++) {
		if (mysql_stmt_execute(st) != 0 ||
		    mysql_stmt_store_result(st) != 0)
			errx(1, "execute: %s", mysql_stmt_error(st));
		rows += (long long)mysql_stmt_num_rows(st);
		mysql_stmt_free_result(st);
	}
	w1 = now();
	t1 = server_ns(pid);
	printf("stmt %d server_us %.1f wall_us %.1f rows %.1f\n", k,
	    (double)(t1 - t0) / 1e3 / (double)n, (w1 - w0) * 1e6 /
	    (double)n, (double)rows / (double)n);
	mysql_stmt_close(st);
}

int
main(int argc, char *argv[])
{
	MYSQL	*my;
	long	 n;
	int	 i;

	if (argc < 8)
		errx(2, "usage: stmt SOCKET USER DATABASE SERVER_PID N PARAMS "
		    "SQL...");
	if ((n = strtol(argv[5], NULL, 10)) < 1)
		errx(2, "N must be > 0");
	if ((my = mysql_init(NULL)) == NULL ||
	    mysql_real_connect(my, NULL, argv[2], getenv("MYSQL_PASSWORD"),
	    argv[3], 0, argv[1], 0) == NULL)
		errx(1, "connect: %s", mysql_error(my));
	params(argv[6]);
	for (i = 7; i < argc; i++)
		run(my, argv[4], n, argv[i], i - 6);
	mysql_close(my);
	return 0;
}
