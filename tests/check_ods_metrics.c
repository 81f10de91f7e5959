/* tests/check_ods_metrics.c — the shared registry across processes. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <check.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_mem.h"
#include "metrics/ods_metrics.h"
#include "metrics/ods_metrics_int.h"
#include "ods_check.h"
#include "ods_test_metrics.h"

#define RENDER_MAX	(64u << 20)

static const char *const GET_X[] = { "GET", "/datasets/{id}", "200" };

/* ---- helpers ---- */

static int
count_of(const char *text, const char *needle)
{
	const char	*p = text;
	int		 n = 0;

	while ((p = strstr(p, needle)) != NULL) {
		n++;
		p += strlen(needle);
	}
	return n;
}

static int
have_promtool(void)
{
	return system("command -v promtool >/dev/null 2>&1") == 0;
}

/* Exit status of `promtool check metrics` on text; -1 without promtool. */
static int
promtool_check(const char *text)
{
	FILE	*p;
	int	 st;

	if (!have_promtool())
		return -1;
	p = popen("promtool check metrics 1>&2", "w");
	ck_assert_ptr_nonnull(p);
	fputs(text, p);
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Every line is a comment or "name[{...}] value" with a numeric value. */
static void
assert_well_formed(const char *text)
{
	const char	*line = text, *nl, *sp;
	char		 num[64], *end;
	size_t		 l;

	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	for (; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		ck_assert_ptr_nonnull(nl);
		if (strncmp(line, "# HELP ", 7) == 0 ||
		    strncmp(line, "# TYPE ", 7) == 0)
			continue;
		sp = nl;
		while (sp > line && sp[-1] != ' ')
			sp--;
		ck_assert_ptr_ne(sp, line);
		l = (size_t)(nl - sp);
		ck_assert_uint_lt(l, sizeof(num));
		memcpy(num, sp, l);
		num[l] = '\0';
		if (strcmp(num, "+Inf") != 0 && strcmp(num, "NaN") != 0) {
			(void)strtod(num, &end);
			ck_assert_msg(*end == '\0', "bad value in %.*s",
			    (int)(nl - line), line);
		}
	}
}

static void
assert_promtool_accepts(const char *text)
{
	int	rc;

	assert_well_formed(text);
	rc = promtool_check(text);
	if (rc == -1)
		fprintf(stderr, "promtool not installed: format checked "
		    "by the test alone\n");
	else
		ck_assert_msg(rc == 0, "promtool check metrics rc=%d", rc);
}

static int
fcntl_nonblock(int fd)
{
	return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void
wait_ok(pid_t pid)
{
	int	st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child failed (status %d)", st);
}

/* ---- core ---- */

START_TEST(test_render_lists_every_standard_family)
{
	struct ods_metrics	*m;
	char			*t, want[160];
	unsigned		 i;

	m = ods_metrics_new("data-api", 2);
	ck_assert_ptr_nonnull(m);
	t = ods_test_metrics_text(m);
	for (i = 0; i < ODS_M__STD; i++) {
		snprintf(want, sizeof(want), "# TYPE %s ", ods_m_std[i].name);
		ck_assert_int_eq(count_of(t, want), 1);
	}
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "ods_build_info{service=\"data-api\",version=\"" PACKAGE_VERSION
	    "\"}"), 1);
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "ods_fcgi_accepted_connections_total"), 0);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_histogram_buckets_are_cumulative_with_sum_and_count)
{
	struct ods_metrics	*m;
	char			*t;
	const char		*p = "http_request_duration_seconds";
	char			 s[256];

	m = ods_metrics_new("data-api", 1);
	ods_metrics_http_begin("GET", "/x");
	ods_metrics_http_end("GET", "/x", 200, 0.003, 50);
	ods_metrics_http_begin("GET", "/x");
	ods_metrics_http_end("GET", "/x", 503, 0.3, 5000);
	ods_metrics_http_end("GET", "/x", 200, 20, 0);
	t = ods_test_metrics_text(m);
#define S(suf, le) (snprintf(s, sizeof(s), "%s%s{method=\"GET\","	\
	"endpoint=\"/x\"%s}", p, suf, le), s)
	ck_assert_double_eq(ods_test_metrics_value(t, S("_bucket", ",le=\"0.005\"")), 1);
	ck_assert_double_eq(ods_test_metrics_value(t, S("_bucket", ",le=\"0.25\"")), 1);
	ck_assert_double_eq(ods_test_metrics_value(t, S("_bucket", ",le=\"0.5\"")), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, S("_bucket", ",le=\"10\"")), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, S("_bucket", ",le=\"+Inf\"")), 3);
	ck_assert_double_eq(ods_test_metrics_value(t, S("_count", "")), 3);
	ck_assert_double_eq_tol(ods_test_metrics_value(t, S("_sum", "")), 20.303, 1e-9);
#undef S
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_total{method=\"GET\","
	    "endpoint=\"/x\",status=\"503\"}"), 1);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_request_errors_total{method="
	    "\"GET\",endpoint=\"/x\",status=\"503\"}"), 1);
	ck_assert(isnan(ods_test_metrics_value(t, "http_request_errors_total{method="
	    "\"GET\",endpoint=\"/x\",status=\"200\"}")));
	ck_assert_double_eq(ods_test_metrics_value(t, "http_response_size_bytes_bucket{"
	    "method=\"GET\",endpoint=\"/x\",le=\"100\"}"), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_in_progress{method="
	    "\"GET\",endpoint=\"/x\"}"), -1);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

#define NPROC		4
#define NTHREAD		4
#define NITER		20000

static void *
hammer(void *arg)
{
	const char	*lv[2] = { "GET", "/items" };
	int		 i;

	(void)arg;
	for (i = 0; i < NITER; i++) {
		(void)ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X, 1);
		(void)ods_metrics_observe(ODS_M_HTTP_DURATION, lv, 0.25);
		ods_metrics_http_begin("POST", "/items");
		ods_metrics_http_end("POST", "/items", 201, 0.5, 10);
	}
	return NULL;
}

START_TEST(test_forked_workers_and_threads_sum_exactly)
{
	struct ods_metrics	*m;
	pthread_t		 th[NTHREAD];
	pid_t			 pid[NPROC];
	char			*t;
	int			 p, i;
	double			 total = (double)NPROC * NTHREAD * NITER;

	m = ods_metrics_new("data-api", NPROC);
	for (p = 0; p < NPROC; p++) {
		pid[p] = fork();
		ck_assert_int_ne(pid[p], -1);
		if (pid[p] == 0) {
			if (ods_metrics_bind(m, (unsigned)p) != ODS_OK)
				_exit(1);
			for (i = 0; i < NTHREAD; i++)
				pthread_create(&th[i], NULL, hammer, NULL);
			for (i = 0; i < NTHREAD; i++)
				pthread_join(th[i], NULL);
			_exit(0);
		}
	}
	for (p = 0; p < NPROC; p++)
		wait_ok(pid[p]);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_total{method=\"GET\","
	    "endpoint=\"/datasets/{id}\",status=\"200\"}"), total);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_total{method=\"POST\","
	    "endpoint=\"/items\",status=\"201\"}"), total);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_request_duration_seconds_count{"
	    "method=\"GET\",endpoint=\"/items\"}"), total);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_request_duration_seconds_sum{"
	    "method=\"GET\",endpoint=\"/items\"}"), total * 0.25);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_request_duration_seconds_sum{"
	    "method=\"POST\",endpoint=\"/items\"}"), total * 0.5);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_in_progress{method="
	    "\"POST\",endpoint=\"/items\"}"), 0);
	ck_assert_int_eq(count_of(t, "endpoint=\"/items\",status=\"201\"}"),
	    1);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_workers{state=\"idle\"}"),
	    NPROC);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_counters_survive_a_killed_worker_and_gauges_do_not)
{
	struct ods_metrics	*m;
	int			 fds[2], st;
	pid_t			 pid;
	char			*t, c;
	const char		*inprog = "http_requests_in_progress{method="
	    "\"GET\",endpoint=\"/slow\"}";
	const char		*reqs = "http_requests_total{method=\"GET\","
	    "endpoint=\"/datasets/{id}\",status=\"200\"}";

	m = ods_metrics_new("data-api", 2);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	if (pid == 0) {
		if (ods_metrics_bind(m, 1) != ODS_OK)
			_exit(1);
		(void)ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X, 100);
		ods_metrics_http_begin("GET", "/slow");	/* never ends */
		(void)write(fds[1], "x", 1);
		pause();
		_exit(0);
	}
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, reqs), 100);
	ck_assert_double_eq(ods_test_metrics_value(t, inprog), 1);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_workers{state=\"busy\"}"),
	    1);
	free(t);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_int_eq(ods_metrics_retire(m, 1), ODS_OK);
	ods_metrics_pool_restart(m, "crash");
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, reqs), 100);
	ck_assert_double_eq(ods_test_metrics_value(t, inprog), 0);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_workers{state=\"busy\"}"),
	    0);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_workers{state=\"idle\"}"),
	    0);
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "ods_fcgi_worker_restarts_total{reason=\"crash\"}"), 1);
	free(t);
	pid = fork();
	if (pid == 0) {
		if (ods_metrics_bind(m, 1) != ODS_OK)
			_exit(1);
		(void)ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X, 5);
		_exit(0);
	}
	wait_ok(pid);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, reqs), 105);
	free(t);
	ods_metrics_free(m);
}
END_TEST

#define RESTARTS	400

/* A renderer in another process never sees the counter go backwards. */
static void
watch_monotonic(struct ods_metrics *m, int stopfd)
{
	struct ods_buf	b;
	double		v, last = 0;
	char		c;
	int		n = 0;

	ods_buf_init(&b, RENDER_MAX);
	for (;;) {
		ods_buf_reset(&b);
		if (ods_metrics_render(m, &b) != ODS_OK)
			_exit(2);
		v = ods_test_metrics_value(b.data, "business_operations_total{operation="
		    "\"import\",status=\"ok\"}");
		if (!isnan(v)) {
			if (v < last)
				_exit(3);
			last = v;
		}
		n++;
		if (read(stopfd, &c, 1) == 1)
			break;
	}
	_exit(n > 10 ? 0 : 4);
}

START_TEST(test_retire_while_rendering_never_decreases_a_counter)
{
	struct ods_metrics	*m;
	pid_t			 watcher, pid;
	int			 fds[2], i;
	char			*t;

	m = ods_metrics_new("data-api", 3);
	ck_assert_int_eq(pipe(fds), 0);
	signal(SIGPIPE, SIG_IGN);	/* a failed watcher is reported below */
	watcher = fork();
	if (watcher == 0) {
		close(fds[1]);
		(void)fcntl_nonblock(fds[0]);
		if (ods_metrics_bind(m, 2) != ODS_OK)
			_exit(1);
		watch_monotonic(m, fds[0]);
	}
	close(fds[0]);
	for (i = 0; i < RESTARTS; i++) {
		pid = fork();
		if (pid == 0) {
			if (ods_metrics_bind(m, (unsigned)i % 2) != ODS_OK)
				_exit(1);
			ods_metrics_business("import", "ok", 0.01);
			_exit(0);
		}
		wait_ok(pid);
		ck_assert_int_eq(ods_metrics_retire(m, (unsigned)i % 2),
		    ODS_OK);
	}
	(void)write(fds[1], "x", 1);
	wait_ok(watcher);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "business_operations_total{operation="
	    "\"import\",status=\"ok\"}"), RESTARTS);
	ck_assert_double_eq(ods_test_metrics_value(t, "business_operation_duration_seconds"
	    "_count{operation=\"import\"}"), RESTARTS);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_render_escapes_label_values)
{
	struct ods_metrics	*m;
	const char		*lv[2] = { "a\\b\"c\nd", "ok" };
	char			*t;

	m = ods_metrics_new("data-api", 1);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_BUSINESS_OPS, lv, 2),
	    ODS_OK);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "business_operations_total{operation="
	    "\"a\\\\b\\\"c\\nd\",status=\"ok\"}"), 2);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_every_family_with_data_passes_promtool)
{
	struct ods_metrics	*m;
	const char		*one[1] = { "x" }, *two[2] = { "x", "y" };
	char			*t;

	m = ods_metrics_new("agent-api", 2);
	ods_metrics_http_begin("GET", "unknown");
	ods_metrics_http_end("GET", "unknown", 404, 0.001, 120);
	ods_metrics_db_connection("one_data_studio", 1);
	ods_metrics_db_connection("one_data_studio", 0);
	ods_metrics_db_in_use("one_data_studio", 1);
	ods_metrics_db_observe("one_data_studio", "query", 0.002);
	ods_metrics_cache("datasets", 1);
	ods_metrics_cache("datasets", 0);
	ods_metrics_business("workflow_run", "ok", 1.5);
	ods_metrics_ai("openai-proxy", "qwen2.5", "success", 2.5, 10, 20);
	ck_assert_int_eq(ods_metrics_gauge_set(ODS_M_TASK_QUEUE_SIZE, one, 3),
	    ODS_OK);
	ck_assert_int_eq(ods_metrics_observe(ODS_M_RAG_DURATION, one, 0.2),
	    ODS_OK);
	ck_assert_int_eq(ods_metrics_gauge_set(ODS_M_VECTOR_SCORE, one, 0.8),
	    ODS_OK);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_ETL_JOBS, two, 1),
	    ODS_OK);
	ck_assert_int_eq(ods_metrics_gauge_set(ODS_M_DATA_QUALITY, one, 0.9),
	    ODS_OK);
	ods_metrics_pool_accepted();
	ods_metrics_pool_slow_request();
	ods_metrics_pool_max_children_reached(m);
	ods_metrics_pool_listen_queue(m, 3, 128);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "ai_request_tokens_total{service="
	    "\"openai-proxy\",model=\"qwen2.5\",type=\"completion\"}"), 20);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_listen_queue_length"), 128);
	ck_assert_double_eq(ods_test_metrics_value(t, "db_connections_total{database="
	    "\"one_data_studio\",state=\"closed\"}"), 1);
	ck_assert_double_eq(ods_test_metrics_value(t, "rag_retrieval_duration_seconds_bucket"
	    "{method=\"x\",le=\"3\"}"), 1);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_mostrecent_gauge_outlives_its_writer)
{
	struct ods_metrics	*m;
	const char		*lv[1] = { "sales" };
	pid_t			 pid;
	char			*t;
	int			 i;

	m = ods_metrics_new("data-api", 2);
	for (i = 0; i < 2; i++) {
		pid = fork();
		if (pid == 0) {
			if (ods_metrics_bind(m, (unsigned)i) != ODS_OK ||
			    ods_metrics_gauge_set(ODS_M_DATA_QUALITY, lv,
			    i == 0 ? 0.4 : 0.95) != ODS_OK)
				_exit(1);
			_exit(0);
		}
		wait_ok(pid);
	}
	ck_assert_int_eq(ods_metrics_retire(m, 1), ODS_OK);
	ck_assert_int_eq(ods_metrics_retire(m, 0), ODS_OK);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "data_quality_score{dataset="
	    "\"sales\"}"), 0.95);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_series_ids_resolved_before_fork_work_in_workers)
{
	struct ods_metrics	*m;
	uint32_t		 sid;
	pid_t			 pid;
	char			*t;

	m = ods_metrics_new("data-api", 1);
	ck_assert_int_eq(ods_metrics_series(ODS_M_HTTP_REQUESTS, GET_X, &sid),
	    ODS_OK);
	pid = fork();
	if (pid == 0) {
		if (ods_metrics_bind(m, 0) != ODS_OK)
			_exit(1);
		ods_metrics_counter_add_id(ODS_M_HTTP_REQUESTS, sid, 7);
		_exit(0);
	}
	wait_ok(pid);
	ods_metrics_counter_add_id(ODS_M_HTTP_REQUESTS, sid, 1);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_total{method=\"GET\","
	    "endpoint=\"/datasets/{id}\",status=\"200\"}"), 8);
	free(t);
	ods_metrics_free(m);
}
END_TEST

/* ---- limits ---- */

static unsigned
register_small(const char *name, unsigned max)
{
	struct ods_metrics_def	d = { name, "Test family.",
	    ODS_METRICS_COUNTER, 0, { "k" }, NULL, 0, max };
	unsigned		id;

	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_OK);
	ck_assert_uint_ge(id, ODS_M__STD);
	return id;
}

START_TEST(test_full_series_table_counts_in_the_overflow_series)
{
	struct ods_metrics	*m;
	unsigned		 id = register_small("test_small_total", 4);
	const char		*lv[1];
	char			 v[16], *t;
	int			 i;

	m = ods_metrics_new("data-api", 1);
	for (i = 0; i < 10; i++) {
		snprintf(v, sizeof(v), "v%d", i);
		lv[0] = v;
		ck_assert_int_eq(ods_metrics_counter_add(id, lv, 1),
		    i < 4 ? ODS_OK : ODS_ENOSPC);
	}
	lv[0] = "v1";
	ck_assert_int_eq(ods_metrics_counter_add(id, lv, 1), ODS_OK);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "test_small_total{k=\"v1\"}"), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, "test_small_total{k=\"__overflow__\"}"),
	    6);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_metrics_series_overflow_total{"
	    "family=\"test_small_total\"}"), 6);
	ck_assert_int_eq(count_of(t, "\ntest_small_total{"), 5);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

#define NKEYS	300

START_TEST(test_concurrent_interning_never_duplicates_a_series)
{
	struct ods_metrics	*m;
	unsigned		 id = register_small("test_keys_total", 1000);
	const char		*lv[1];
	pid_t			 pid[NPROC];
	char			 v[32], *t;
	int			 p, i, k;

	m = ods_metrics_new("data-api", NPROC);
	for (p = 0; p < NPROC; p++) {
		if ((pid[p] = fork()) != 0)
			continue;
		if (ods_metrics_bind(m, (unsigned)p) != ODS_OK)
			_exit(1);
		for (i = 0; i < NKEYS; i++) {
			k = (i * 7 + p * 131) % NKEYS;
			snprintf(v, sizeof(v), "key-%d", k);
			lv[0] = v;
			if (ods_metrics_counter_add(id, lv, 1) != ODS_OK)
				_exit(2);
		}
		_exit(0);
	}
	for (p = 0; p < NPROC; p++)
		wait_ok(pid[p]);
	t = ods_test_metrics_text(m);
	ck_assert_int_eq(count_of(t, "\ntest_keys_total{"), NKEYS);
	for (k = 0; k < NKEYS; k++) {
		snprintf(v, sizeof(v), "test_keys_total{k=\"key-%d\"}", k);
		ck_assert_double_eq(ods_test_metrics_value(t, v), NPROC);
	}
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_oversized_or_invalid_label_values_go_to_overflow)
{
	struct ods_metrics	*m;
	char			 big[400], *t;
	const char		*lv[1] = { big };

	m = ods_metrics_new("data-api", 1);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_CACHE_HITS, lv, 1),
	    ODS_EINVAL);
	lv[0] = "bad\xff\xfe";
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_CACHE_HITS, lv, 1),
	    ODS_EINVAL);
	lv[0] = "caf\xc3\xa9";
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_CACHE_HITS, lv, 1),
	    ODS_OK);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "cache_hits_total{cache=\"__overflow__\"}"), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, "cache_hits_total{cache=\"caf\xc3\xa9\"}"),
	    1);
	assert_promtool_accepts(t);
	free(t);
	ods_metrics_free(m);
}
END_TEST

/*
 * A worker killed between claiming an entry and publishing it leaves a
 * BUSY entry; others wait a bounded time, then overflow; once the master
 * retires the slot the entry is skipped and the label set interned anew.
 */
START_TEST(test_entry_of_a_worker_killed_mid_claim_is_skipped_after_retire)
{
	struct ods_metrics	*m;
	struct ods_m_key	 k;
	const char		*lv[1] = { "orphan" };
	struct ods_m_fam	*f;
	uint64_t		*w;
	char			*t;

	m = ods_metrics_new("data-api", 2);
	f = &m->fam[ODS_M_CACHE_MISSES];
	ck_assert_int_eq(odsi_m_key_make(&k, 1, lv), ODS_OK);
	w = &odsi_m_words(m, f)[k.hash & (f->cap - 1)];
	*w = ODS_M_BUSY | (uint64_t)(0 + 1) << 8;
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_CACHE_MISSES, lv, 1),
	    ODS_ENOSPC);
	ck_assert_int_eq(ods_metrics_retire(m, 0), ODS_OK);
	ck_assert_uint_eq(ODS_M_STATE(*w), ODS_M_DEAD);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_CACHE_MISSES, lv, 1),
	    ODS_OK);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "cache_misses_total{cache=\"orphan\"}"),
	    1);
	ck_assert_double_eq(ods_test_metrics_value(t,
	    "cache_misses_total{cache=\"__overflow__\"}"), 1);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_render_reports_a_too_small_buffer)
{
	struct ods_metrics	*m;
	struct ods_buf		 b;

	m = ods_metrics_new("data-api", 1);
	ods_buf_init(&b, 100);
	ck_assert_int_eq(ods_metrics_render(m, &b), ODS_ETOOBIG);
	ods_buf_free(&b);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_listen_queue_is_read_from_a_unix_listener)
{
	struct ods_metrics	*m;
	struct sockaddr_un	 sa;
	int			 l, c[3], i;
	char			*t;

	m = ods_metrics_new("data-api", 1);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "/tmp/ods-met-%d.sock",
	    (int)getpid());
	unlink(sa.sun_path);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 17), 0);
	for (i = 0; i < 3; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(c[i], (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
	}
	ods_metrics_pool_listen_fd(l);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_listen_queue"), 3);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_listen_queue_length"), 17);
	free(t);
	for (i = 0; i < 3; i++)
		close(c[i]);
	close(l);
	unlink(sa.sun_path);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_listen_queue_is_read_from_a_tcp_listener)
{
	struct ods_metrics	*m;
	struct sockaddr_in	 sa;
	int			 l, c[2], i, port, one = 1;
	char			*t;

	m = ods_metrics_new("data-api", 1);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (port = 29000 + getpid() % 900, i = 0; i < 100; i++, port++) {
		sa.sin_port = htons((uint16_t)port);
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
	}
	ck_assert_int_lt(i, 100);
	ck_assert_int_eq(listen(l, 9), 0);
	for (i = 0; i < 2; i++) {
		c[i] = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_eq(connect(c[i], (struct sockaddr *)&sa,
		    sizeof(sa)), 0);
	}
	ods_metrics_pool_listen_fd(l);
	t = ods_test_metrics_text(m);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_listen_queue"), 2);
	ck_assert_double_eq(ods_test_metrics_value(t, "ods_fcgi_listen_queue_length"), 9);
	free(t);
	for (i = 0; i < 2; i++)
		close(c[i]);
	close(l);
	ods_metrics_free(m);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_register_rejects_bad_definitions)
{
	static const double	up[] = { 1, 2 }, down[] = { 2, 1 };
	struct ods_metrics_def	d;
	unsigned		id;

#define BAD(field, value, want) do {					\
	memset(&d, 0, sizeof(d));					\
	d.name = "test_ok_total";					\
	d.help = "h";							\
	d.type = ODS_METRICS_COUNTER;					\
	d.max_series = 8;						\
	d.field = value;						\
	ck_assert_int_eq(ods_metrics_register(&d, &id), (want));	\
} while (0)
	BAD(name, "1bad_total", ODS_EINVAL);
	BAD(name, "bad-name_total", ODS_EINVAL);
	BAD(name, "no_suffix", ODS_EINVAL);
	BAD(name, "http_requests_total", ODS_ECONFLICT);
	BAD(help, NULL, ODS_EINVAL);
	BAD(max_series, 0, ODS_EINVAL);
	BAD(max_series, 1u << 20, ODS_EINVAL);
	BAD(labels[0], "__reserved", ODS_EINVAL);
	BAD(labels[0], "bad label", ODS_EINVAL);
	BAD(type, ODS_METRICS_GAUGE, ODS_EINVAL);	/* gauge named _total */
	memset(&d, 0, sizeof(d));
	d.name = "test_h_seconds";
	d.help = "h";
	d.type = ODS_METRICS_HISTOGRAM;
	d.max_series = 8;
	d.buckets = down;
	d.nbuckets = 2;
	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_EINVAL);
	d.buckets = up;
	d.labels[0] = "le";
	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_EINVAL);
	d.labels[0] = "a";
	d.labels[1] = "a";
	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_EINVAL);
	d.labels[1] = "b";
	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_OK);
	ck_assert_int_eq(ods_metrics_register(&d, &id), ODS_ECONFLICT);
#undef BAD
}
END_TEST

START_TEST(test_updates_reject_wrong_types_and_values)
{
	struct ods_metrics	*m;
	const char		*lv[1] = { "q" };
	char			*t;

	m = ods_metrics_new("data-api", 1);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X,
	    -1), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X,
	    NAN), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_TASK_QUEUE_SIZE, lv,
	    1), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_gauge_add(ODS_M_TASK_QUEUE_SIZE, lv, 1),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_observe(ODS_M_RAG_DURATION, lv, NAN),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_observe(ODS_M_CACHE_HITS, lv, 1),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_counter_add(9999, lv, 1), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, NULL,
	    1), ODS_EINVAL);
	ods_metrics_counter_add_id(ODS_M_HTTP_REQUESTS, 1u << 30, 1);
	ods_metrics_observe_id(9999, 0, 1);
	t = ods_test_metrics_text(m);
	ck_assert(isnan(ods_test_metrics_value(t, "task_queue_size{queue=\"q\"}")));
	ck_assert(isnan(ods_test_metrics_value(t, "rag_retrieval_duration_seconds_count{"
	    "method=\"q\"}")));
	ck_assert_double_eq(ods_test_metrics_value(t, "http_requests_total{method="
	    "\"__overflow__\",endpoint=\"__overflow__\",status="
	    "\"__overflow__\"}"), 1);
	free(t);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_bad_slots_are_refused)
{
	struct ods_metrics	*m;
	struct ods_buf		 b;

	ck_assert_ptr_null(ods_metrics_new("x", 0));
	ck_assert_ptr_null(ods_metrics_new("x", ODS_METRICS_SLOTS_MAX + 1));
	ck_assert_ptr_null(ods_metrics_new(NULL, 1));
	m = ods_metrics_new("x", 2);
	ck_assert_int_eq(ods_metrics_bind(m, 2), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_bind(NULL, 0), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_retire(m, 2), ODS_EINVAL);
	ods_buf_init(&b, 1024);
	ck_assert_int_eq(ods_metrics_render(NULL, &b), ODS_EINVAL);
	ck_assert_int_eq(ods_metrics_render(m, NULL), ODS_EINVAL);
	ods_metrics_free(m);
}
END_TEST

START_TEST(test_updates_without_a_registry_do_nothing)
{
	ods_metrics_free(NULL);
	ck_assert_int_eq(ods_metrics_counter_add(ODS_M_HTTP_REQUESTS, GET_X,
	    1), ODS_OK);
	ods_metrics_http_begin("GET", "/x");
	ods_metrics_http_end("GET", "/x", 200, 0.1, 10);
	ods_metrics_pool_accepted();
	ods_metrics_pool_restart(NULL, "crash");
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("ods_metrics");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_set_timeout(core, 60);
	tcase_set_timeout(limits, 60);
	tcase_add_test(core, test_render_lists_every_standard_family);
	tcase_add_test(core,
	    test_histogram_buckets_are_cumulative_with_sum_and_count);
	tcase_add_test(core, test_forked_workers_and_threads_sum_exactly);
	tcase_add_test(core,
	    test_counters_survive_a_killed_worker_and_gauges_do_not);
	tcase_add_test(core,
	    test_retire_while_rendering_never_decreases_a_counter);
	tcase_add_test(core, test_render_escapes_label_values);
	tcase_add_test(core, test_every_family_with_data_passes_promtool);
	tcase_add_test(core, test_mostrecent_gauge_outlives_its_writer);
	tcase_add_test(core,
	    test_series_ids_resolved_before_fork_work_in_workers);
	tcase_add_test(limits,
	    test_full_series_table_counts_in_the_overflow_series);
	tcase_add_test(limits,
	    test_concurrent_interning_never_duplicates_a_series);
	tcase_add_test(limits,
	    test_oversized_or_invalid_label_values_go_to_overflow);
	tcase_add_test(limits,
	    test_entry_of_a_worker_killed_mid_claim_is_skipped_after_retire);
	tcase_add_test(limits, test_render_reports_a_too_small_buffer);
	tcase_add_test(limits, test_listen_queue_is_read_from_a_unix_listener);
	tcase_add_test(limits, test_listen_queue_is_read_from_a_tcp_listener);
	tcase_add_test(errors, test_register_rejects_bad_definitions);
	tcase_add_test(errors, test_updates_reject_wrong_types_and_values);
	tcase_add_test(errors, test_bad_slots_are_refused);
	tcase_add_test(errors, test_updates_without_a_registry_do_nothing);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = metrics_suite };
