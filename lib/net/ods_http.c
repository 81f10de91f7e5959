/*
 * lib/net/ods_http.c — libcurl behind ods_http_do.
 *
 * Each thread keeps one multi handle and one easy handle (a thread-local
 * pair, freed when the thread exits): the multi handle owns the connection
 * cache, so keep-alive connections to the upstreams are reused by the next
 * request of the same thread. The transfer is driven by our own loop
 * (curl_multi_perform + curl_multi_poll at most 50 ms apart) so that the
 * first-byte and idle timeouts, which libcurl has no option for, fire on
 * time, and so that should_stop() is polled while an upstream is silent.
 * Removing an unfinished transfer makes libcurl close its connection.
 */
#include "config.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "net/ods_http.h"
#include "core/ods_log.h"
#include "core/ods_time.h"

#define DEFAULT_CONNECT_MS	3000
#define DEFAULT_MAX_BODY	(64u << 20)
#define POLL_MS			50

struct tls_handles {
	CURLM	*multi;
	CURL	*easy;
};

/* The state of one transfer, seen by the curl callbacks. */
struct xfer {
	const struct ods_http_req	*req;
	struct ods_http_resp		*resp;
	CURL				*easy;
	double				 t0;
	double				 last_data;
	int				 head_done;
	int				 toobig;
};

static pthread_once_t	global_once = PTHREAD_ONCE_INIT;
static pthread_key_t	tls_key;

static void
tls_free(void *arg)
{
	struct tls_handles	*h = arg;

	if (h == NULL)
		return;
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	free(h);
}

static void
global_setup(void)
{
	if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK)
		ods_log(ODS_LOG_ERR, "curl_global_init_failed");
	if (pthread_key_create(&tls_key, tls_free) != 0)
		abort();
}

void
ods_http_global_init(void)
{
	pthread_once(&global_once, global_setup);
}

static struct tls_handles *
tls_get(void)
{
	struct tls_handles	*h;

	ods_http_global_init();
	if ((h = pthread_getspecific(tls_key)) != NULL)
		return h;
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return NULL;
	h->multi = curl_multi_init();
	h->easy = curl_easy_init();
	if (h->multi == NULL || h->easy == NULL ||
	    pthread_setspecific(tls_key, h) != 0) {
		tls_free(h);
		return NULL;
	}
	/* Idle connections kept per thread, across upstreams. */
	curl_multi_setopt(h->multi, CURLMOPT_MAXCONNECTS, 8L);
	return h;
}

void
ods_http_thread_reset(void)
{
	ods_http_global_init();
	tls_free(pthread_getspecific(tls_key));
	pthread_setspecific(tls_key, NULL);
}

/* The response headers are complete (final response, not a 1xx). */
static int
head_complete(struct xfer *x)
{
	struct ods_http_resp	*resp = x->resp;
	const char		*ct = NULL;
	long			 code = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200)
		return 0;
	x->head_done = 1;
	resp->status = (int)code;
	resp->first_byte_s = ods_now_sec() - x->t0;
	x->last_data = ods_now_sec();
	if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) ==
	    CURLE_OK && ct != NULL)
		snprintf(resp->ctype, sizeof(resp->ctype), "%s", ct);
	if (x->req->on_head != NULL &&
	    x->req->on_head(x->req->arg, resp->status, resp->ctype) != 0) {
		resp->aborted = 1;
		return -1;
	}
	return 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	long		 code = 0;

	if (!x->head_done && (len == 2 && p[0] == '\r' && p[1] == '\n') &&
	    head_complete(x) < 0)
		return 0;
	if (x->head_done || x->req->on_header == NULL || len < 3 ||
	    memchr(p, ':', len) == NULL)
		return len;
	/* Only the final response's lines (not a 100 Continue's). */
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 200 && x->req->on_header(x->req->arg, p,
	    len - (p[len - 2] == '\r' ? 2 : 1)) != 0) {
		x->resp->aborted = 1;
		return 0;
	}
	return len;
}

static size_t
on_write(char *p, size_t size, size_t n, void *arg)
{
	struct xfer	*x = arg;
	size_t		 len = size * n;

	if (!x->head_done && head_complete(x) < 0)
		return 0;
	x->last_data = ods_now_sec();
	x->resp->got_body = 1;
	if (x->req->on_data != NULL) {
		if (x->req->on_data(x->req->arg, p, len) != 0) {
			x->resp->aborted = 1;
			return 0;
		}
		return len;
	}
	if (ods_buf_add(&x->resp->body, p, len) != ODS_OK) {
		x->toobig = 1;
		return 0;
	}
	return len;
}

static enum ods_err
curl_err(CURLcode cc)
{
	switch (cc) {
	case CURLE_OK:
		return ODS_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return ODS_ETIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
		return ODS_EUNAVAIL;
	case CURLE_FILESIZE_EXCEEDED:
		return ODS_ETOOBIG;
	case CURLE_OUT_OF_MEMORY:
		return ODS_ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return ODS_EINVAL;
	default:
		return ODS_EUPSTREAM;
	}
}

static struct curl_slist *
set_options(CURL *e, const struct ods_http_req *req, struct xfer *x)
{
	const struct ods_http_limits	*l = &req->limits;
	struct curl_slist		*h = NULL, *t;
	size_t				 i;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, l->insecure ? 0L : 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, l->insecure ? 0L : 2L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(l->connect_ms > 0 ? l->connect_ms : DEFAULT_CONNECT_MS));
	if (l->total_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)l->total_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "one-data-studio/" VERSION);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	if (req->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
	}
	if (strcmp(req->method, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->aws_sigv4 != NULL && req->userpwd != NULL) {
		curl_easy_setopt(e, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		curl_easy_setopt(e, CURLOPT_USERPWD, req->userpwd);
	}
	if (req->path_as_is)
		curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	/* No "Expect: 100-continue" round trip before a large body. */
	h = curl_slist_append(h, "Expect:");
	for (i = 0; h != NULL && i < req->nheaders && i < ODS_HTTP_MAX_HEADERS;
	    i++) {
		if ((t = curl_slist_append(h, req->headers[i])) == NULL) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = t;
	}
	if (h != NULL)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	return h;
}

/* Our own timeouts; returns non-zero when the transfer must stop. */
static int
check_limits(struct xfer *x, enum ods_err *why)
{
	const struct ods_http_limits	*l = &x->req->limits;
	double				 t = ods_now_sec();

	if (!x->head_done && l->first_byte_ms > 0 &&
	    (t - x->t0) * 1000.0 >= (double)l->first_byte_ms) {
		*why = ODS_ETIMEOUT;
		return 1;
	}
	if (x->head_done && l->idle_ms > 0 &&
	    (t - x->last_data) * 1000.0 >= (double)l->idle_ms) {
		*why = ODS_ETIMEOUT;
		return 1;
	}
	if (x->req->should_stop != NULL && x->req->should_stop(x->req->arg)) {
		x->resp->aborted = 1;
		*why = ODS_EIO;
		return 1;
	}
	return 0;
}

/* Drive the transfer; returns the CURLcode or sets *ours. */
static CURLcode
drive(CURLM *m, struct xfer *x, enum ods_err *ours)
{
	CURLMsg		*msg;
	CURLcode	 cc = CURLE_OK;
	int		 running = 1, left;

	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			*ours = ODS_ENOMEM;
			return CURLE_OK;
		}
		if (!running)
			break;
		if (check_limits(x, ours))
			return CURLE_OK;
		if (curl_multi_poll(m, NULL, 0, POLL_MS, NULL) != CURLM_OK) {
			*ours = ODS_ENOMEM;
			return CURLE_OK;
		}
	}
	while ((msg = curl_multi_info_read(m, &left)) != NULL)
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == x->easy)
			cc = msg->data.result;
	return cc;
}

static enum ods_err
result(struct xfer *x, CURLcode cc, enum ods_err ours)
{
	if (ours != ODS_OK)
		return ours;
	if (x->toobig)
		return ODS_ETOOBIG;
	if (x->resp->aborted)
		return ODS_EIO;
	if (cc == CURLE_OK && !x->head_done && head_complete(x) < 0)
		return ODS_EIO;
	if (cc != CURLE_OK) {
		ods_log(ODS_LOG_DEBUG, "http_failed code=%d err=%s", (int)cc,
		    curl_easy_strerror(cc));
		return curl_err(cc);
	}
	return ODS_OK;
}

enum ods_err
ods_http_do(const struct ods_http_req *req, struct ods_http_resp *resp)
{
	struct tls_handles	*h;
	struct curl_slist	*hdrs, *pin = NULL;
	struct xfer		 x;
	enum ods_err		 ours = ODS_OK;
	CURLcode		 cc;

	memset(resp, 0, sizeof(*resp));
	ods_buf_init(&resp->body, req->limits.max_body > 0 ?
	    req->limits.max_body : DEFAULT_MAX_BODY);
	if (req->url == NULL || req->method == NULL ||
	    (strncasecmp(req->url, "http://", 7) != 0 &&
	    strncasecmp(req->url, "https://", 8) != 0))
		return ODS_EINVAL;
	if ((h = tls_get()) == NULL)
		return ODS_ENOMEM;
	memset(&x, 0, sizeof(x));
	x.req = req;
	x.resp = resp;
	x.easy = h->easy;
	if ((hdrs = set_options(h->easy, req, &x)) == NULL)
		return ODS_ENOMEM;
	if (req->pin != NULL) {
		if ((pin = curl_slist_append(NULL, req->pin)) == NULL) {
			curl_slist_free_all(hdrs);
			return ODS_ENOMEM;
		}
		curl_easy_setopt(h->easy, CURLOPT_RESOLVE, pin);
	}
	x.t0 = ods_now_sec();
	if (curl_multi_add_handle(h->multi, h->easy) != CURLM_OK) {
		curl_slist_free_all(hdrs);
		curl_slist_free_all(pin);
		return ODS_ENOMEM;
	}
	cc = drive(h->multi, &x, &ours);
	/* An unfinished transfer's connection is closed here. */
	curl_multi_remove_handle(h->multi, h->easy);
	curl_slist_free_all(hdrs);
	curl_slist_free_all(pin);
	resp->total_s = ods_now_sec() - x.t0;
	return result(&x, cc, ours);
}

void
ods_http_resp_fini(struct ods_http_resp *resp)
{
	if (resp != NULL)
		ods_buf_free(&resp->body);
}
