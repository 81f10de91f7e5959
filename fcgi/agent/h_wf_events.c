/*
 * fcgi/agent/h_wf_events.c — GET /executions/{id}/events: a run's events
 * as server-sent events, for the web to follow a run live.
 *
 * The engine appends each event of a run to the Redis stream
 * "ods:wf:ev:<execution_id>" (one field "e", a JSON object with "type").
 * This route replays the stream from the start (or after Last-Event-ID)
 * and follows it, each event sent and flushed as "id: <stream id>",
 * "event: <type>", "data: <json>"; it ends after the "end" event. The
 * stream is read with non-blocking XREADs 10 times a second rather than
 * XREAD BLOCK, so a pooled Redis connection is never held while waiting.
 *
 * Without Redis (down, or the run left no stream: it ran while Redis was
 * down, or it never started) the route follows the run's execution_logs
 * rows (id > the last sent, "id: log-<row id>") and its status every
 * 250 ms, and ends with an "end" event made from the row once the run
 * has ended. A run that ended without its engine writing "end" (stopped
 * while queued) gets that "end" too, after a second of silence.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "store/ods_redis.h"
#include "../../svc/agent/workflow.h"
#include "../common/h_auth.h"
#include "h_workflows.h"

#define FRAME_MAX	(4u * 1024 * 1024)
#define POLL_MS		100	/* Redis */
#define DB_POLL_MS	250	/* the fallback */
#define STATUS_EVERY	10	/* Redis polls between status reads */
#define PING_S		15
#define MAX_S		3600	/* nginx's read timeout of SSE locations */
#define XREAD_COUNT	"200"

struct ev {
	struct ods_req	*r;
	struct ods_resp	*w;
	const char	*exec_id;
	struct ods_buf	 b;
	int		 begun;
	int		 gone;
	int		 ended;		/* "end" sent */
	char		 last[48];	/* stream id of the last event sent */
	int64_t		 last_log;	/* execution_logs id, fallback */
	size_t		 sent;
	time_t		 ping_at;
};

static void
nap(int ms)
{
	struct timespec	ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	(void)nanosleep(&ts, NULL);
}

/* Write b as it is; sets gone when the client went away. */
static void
flush(struct ev *e)
{
	if (e->gone)
		return;
	if (!e->begun) {
		if (ods_resp_stream_begin(e->w, ODS_HTTP_200,
		    "text/event-stream") != ODS_OK) {
			e->gone = 1;
			return;
		}
		e->begun = 1;
	}
	if (ods_resp_stream_write(e->w, e->b.data, e->b.len) != ODS_OK)
		e->gone = 1;
	e->ping_at = time(NULL) + PING_S;
}

/*
 * One event: id (NULL: none), its type and its JSON. Line breaks in the
 * JSON (white space between tokens) become spaces: they would end the
 * event's data line.
 */
static void
send_ev(struct ev *e, const char *id, const char *type, const char *data,
    size_t len)
{
	size_t	from;

	ods_buf_reset(&e->b);
	if (id != NULL && ods_buf_addf(&e->b, "id: %s\n", id) != ODS_OK)
		return;
	if (ods_buf_addf(&e->b, "event: %s\ndata: ", type) != ODS_OK)
		return;
	from = e->b.len;
	if (ods_buf_add(&e->b, data, len) != ODS_OK ||
	    ods_buf_add(&e->b, "\n\n", 2) != ODS_OK) {
		ods_log(ODS_LOG_WARN, "wf_event_too_big exec=%s", e->exec_id);
		return;
	}
	for (; from < e->b.len - 2; from++)
		if (e->b.data[from] == '\n' || e->b.data[from] == '\r')
			e->b.data[from] = ' ';
	flush(e);
	e->sent++;
	if (strcmp(type, "end") == 0)
		e->ended = 1;
}

static void
ping(struct ev *e)
{
	if (time(NULL) < e->ping_at)
		return;
	ods_buf_reset(&e->b);
	if (ods_buf_add(&e->b, ": ping\n\n", 8) == ODS_OK)
		flush(e);
}

/* The run's status (and its end event's members) from its row. */
static enum ods_err
status_of(struct ev *e, struct ods_wf_exec **out)
{
	return ods_wf_exec_get(ods_req_db(e->r), e->exec_id, NULL, out);
}

/* The "end" (or "status") event made from the row. */
static void
send_row(struct ev *e, const char *type, const struct ods_wf_exec *x)
{
	struct ods_buf	b;
	struct ods_jw	jw;

	ods_buf_init(&b, 64 * 1024);
	ods_jw_init(&jw, &b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "type", type);
	ods_jw_kstr(&jw, "execution_id", x->execution_id);
	ods_jw_kstr(&jw, "status", x->status);
	if (x->error != NULL)
		ods_jw_kstr(&jw, "error", x->error);
	if (x->duration_ms >= 0)
		ods_jw_kint(&jw, "duration_ms", x->duration_ms);
	ods_jw_end(&jw);
	if (ods_jw_error(&jw) == ODS_OK)
		send_ev(e, NULL, type, b.data, b.len);
	ods_buf_free(&b);
}

/* ---- the fallback: execution_logs and the status ---- */

/* The event of a row: a node's, or "log" (the run's own rows: its end
 * event is made from the execution row). */
static const char *
log_type(const char *node, const char *event)
{
	if (node == NULL || event == NULL)
		return "log";
	if (strcmp(event, "start") == 0)
		return "node_start";
	if (strcmp(event, "end") == 0)
		return "node_end";
	if (strcmp(event, "error") == 0)
		return "node_error";
	if (strcmp(event, "retry") == 0)
		return "node_retry";
	if (strcmp(event, "skip") == 0)
		return "node_skip";
	return "log";
}

/* Rows after last_log; ODS_OK when read (sent or not). */
static enum ods_err
send_logs(struct ev *e)
{
	struct ods_wf_log	*v = NULL;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	enum ods_err		 er;
	const char		*type;
	char			 id[32];
	size_t			 n = 0, i;

	if ((er = ods_wf_logs(ods_req_db(e->r), e->exec_id, e->last_log, 500,
	    &v, &n)) != ODS_OK)
		return er;
	ods_buf_init(&b, FRAME_MAX);
	for (i = 0; i < n && !e->gone; i++) {
		type = log_type(v[i].node_id, v[i].event);
		ods_buf_reset(&b);
		ods_jw_init(&jw, &b);
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "type", type);
		ods_jw_kint(&jw, "log_id", v[i].id);
		ods_jw_kstr(&jw, "node_id", v[i].node_id);
		ods_jw_kstr(&jw, "level", v[i].level);
		ods_jw_kstr(&jw, "message", v[i].message);
		ods_jw_kstr(&jw, "event", v[i].event);
		if (strcmp(type, "node_end") == 0)
			ods_jw_kstr(&jw, "status", v[i].level != NULL &&
			    strcmp(v[i].level, "error") == 0 ? "error" :
			    "success");
		if (v[i].attempt >= 0)
			ods_jw_kint(&jw, "attempt", v[i].attempt);
		if (v[i].duration_ms >= 0)
			ods_jw_kint(&jw, "duration_ms", v[i].duration_ms);
		if (v[i].output_bytes >= 0)
			ods_jw_kint(&jw, "output_bytes", v[i].output_bytes);
		ods_jw_kstr(&jw, "timestamp", v[i].timestamp);
		ods_jw_end(&jw);
		snprintf(id, sizeof(id), "log-%lld", (long long)v[i].id);
		if (ods_jw_error(&jw) == ODS_OK)
			send_ev(e, id, type, b.data, b.len);
		e->last_log = v[i].id;
	}
	ods_buf_free(&b);
	ods_wf_logs_free(v, n);
	return ODS_OK;
}

/*
 * Falling back after events were relayed from the stream: the rows
 * written so far told the same, so the rows follow from the last one.
 */
static void
skip_logs(struct ev *e)
{
	struct ods_wf_log	*v = NULL;
	size_t			 n = 0;

	do {
		if (ods_wf_logs(ods_req_db(e->r), e->exec_id, e->last_log,
		    ODS_WF_LIST_MAX, &v, &n) != ODS_OK)
			return;
		if (n > 0)
			e->last_log = v[n - 1].id;
		ods_wf_logs_free(v, n);
		v = NULL;
	} while (n == ODS_WF_LIST_MAX);
}

static void
follow_db(struct ev *e, time_t until)
{
	struct ods_wf_exec	*x = NULL;
	int			 done = 0;

	if (e->sent == 0 && status_of(e, &x) == ODS_OK) {
		send_row(e, "status", x);
		ods_wf_exec_free(x);
		x = NULL;
	}
	while (!e->gone && !e->ended && time(NULL) < until) {
		/* The status first: rows written before the end are read
		 * after it, so none is missed. */
		if (status_of(e, &x) == ODS_OK)
			done = ods_wf_exec_ended(x->status);
		(void)send_logs(e);
		if (done && x != NULL) {
			send_row(e, "end", x);
			break;
		}
		ods_wf_exec_free(x);
		x = NULL;
		if (ods_req_client_gone(e->r))
			break;
		ping(e);
		nap(DB_POLL_MS);
	}
	ods_wf_exec_free(x);
}

/* ---- Redis ---- */

/*
 * One XREAD after e->last: each entry sent. ODS_OK (*got entries),
 * ODS_EUNAVAIL (Redis is down: fall back), or another error.
 */
static enum ods_err
xread(struct ev *e, size_t *got)
{
	struct ods_redis_reply	*rep = NULL, *ents, *ent, *kv;
	struct json_object	*o = NULL;
	const char		*argv[6], *type;
	char			 key[96];
	enum ods_err		 er;
	size_t			 i, j;

	*got = 0;
	snprintf(key, sizeof(key), "%s%s", ODS_WF_EV_PREFIX, e->exec_id);
	argv[0] = "XREAD";
	argv[1] = "COUNT";
	argv[2] = XREAD_COUNT;
	argv[3] = "STREAMS";
	argv[4] = key;
	argv[5] = e->last;
	if (ods_req_redis(e->r) == NULL)
		return ODS_EUNAVAIL;
	if ((er = ods_redis_command(ods_req_redis(e->r), 6, argv, NULL,
	    &rep)) != ODS_OK) {
		ods_redis_reply_free(rep);
		return er == ODS_ETIMEOUT ? ODS_EUNAVAIL : er;
	}
	/* nil: nothing new; else [[key, [[id, [field, value...]]...]]]. */
	if (rep == NULL || rep->type != ODS_REDIS_ARRAY || rep->nelem < 1 ||
	    rep->elem[0].type != ODS_REDIS_ARRAY || rep->elem[0].nelem < 2) {
		ods_redis_reply_free(rep);
		return ODS_OK;
	}
	ents = &rep->elem[0].elem[1];
	for (i = 0; i < ents->nelem && !e->gone && !e->ended; i++) {
		ent = &ents->elem[i];
		if (ent->type != ODS_REDIS_ARRAY || ent->nelem < 2 ||
		    ent->elem[0].type != ODS_REDIS_STRING ||
		    ent->elem[0].len >= sizeof(e->last))
			continue;
		memcpy(e->last, ent->elem[0].str, ent->elem[0].len + 1);
		kv = &ent->elem[1];
		for (j = 0; j + 1 < kv->nelem; j += 2) {
			if (kv->elem[j].type != ODS_REDIS_STRING ||
			    strcmp(kv->elem[j].str, "e") != 0 ||
			    kv->elem[j + 1].type != ODS_REDIS_STRING)
				continue;
			/* The engine's JSON, checked before it is relayed. */
			type = NULL;
			if (ods_json_parse(kv->elem[j + 1].str,
			    kv->elem[j + 1].len, 0, &o, NULL) == ODS_OK)
				type = ods_json_get_str(o, "type");
			if (type != NULL && strlen(type) < 32 &&
			    strspn(type, "abcdefghijklmnopqrstuvwxyz_") ==
			    strlen(type))
				send_ev(e, e->last, type, kv->elem[j + 1].str,
				    kv->elem[j + 1].len);
			ods_json_put(o);
			o = NULL;
			(*got)++;
		}
	}
	ods_redis_reply_free(rep);
	return ODS_OK;
}

/* 0: done (ended or gone); 1: fall back to the rows. */
static int
follow_redis(struct ev *e, time_t until)
{
	struct ods_wf_exec	*x = NULL;
	size_t			 got, seen = 0;
	int			 polls = 0, quiet = 0;
	enum ods_err		 er;

	while (!e->gone && !e->ended && time(NULL) < until) {
		if ((er = xread(e, &got)) != ODS_OK) {
			ods_log(ODS_LOG_DEBUG, "wf_events_redis_down exec=%s",
			    e->exec_id);
			return 1;
		}
		seen += got;
		if (e->ended || e->gone)
			return 0;
		if (got > 0) {
			quiet = 0;
			continue;	/* more may be there already */
		}
		if (++polls % STATUS_EVERY == 0 && status_of(e, &x) ==
		    ODS_OK) {
			if (ods_wf_exec_ended(x->status)) {
				/* No stream at all: the rows tell it. */
				if (seen == 0 && e->last[0] == '0') {
					ods_wf_exec_free(x);
					return 1;
				}
				/* Ended without its "end" (stopped while
				 * queued): one more second, then ours. */
				if (++quiet >= 2) {
					send_row(e, "end", x);
					ods_wf_exec_free(x);
					return 0;
				}
			}
			ods_wf_exec_free(x);
			x = NULL;
		}
		if (ods_req_client_gone(e->r))
			return 0;
		ping(e);
		nap(POLL_MS);
	}
	return 0;
}

/* A stream id "<ms>-<seq>". */
static int
stream_id(const char *s)
{
	size_t	n = strspn(s, "0123456789");

	return n > 0 && s[n] == '-' && strspn(s + n + 1, "0123456789") > 0 &&
	    s[n + 1 + strspn(s + n + 1, "0123456789")] == '\0' &&
	    strlen(s) < 40;
}

enum ods_status
h_exec_events(struct ods_req *r, struct ods_resp *w)
{
	struct ods_wf_exec	*x = NULL;
	struct ev		 e;
	const char		*from;
	enum ods_err		 er;
	time_t			 until = time(NULL) + MAX_S;
	int64_t			 lid;

	er = ods_wf_exec_get(ods_req_db(r), ods_req_param(r, "id"),
	    h_owner(r), &x);
	if (er == ODS_ENOTFOUND)
		return ods_resp_error_ex(w, er, ODS_C_TABLE_NOT_FOUND,
		    "not_found", "Execution not found");
	if (er != ODS_OK)
		return ods_resp_error(w, er, "could not read the execution");
	memset(&e, 0, sizeof(e));
	e.r = r;
	e.w = w;
	e.exec_id = ods_req_strdup(r, x->execution_id);
	ods_wf_exec_free(x);
	ods_buf_init(&e.b, FRAME_MAX);
	snprintf(e.last, sizeof(e.last), "0-0");
	if ((from = ods_req_header(r, "Last-Event-ID")) == NULL)
		from = ods_req_query(r, "last_event_id");
	if (from != NULL && strncmp(from, "log-", 4) == 0 &&
	    (lid = strtoll(from + 4, NULL, 10)) > 0) {
		e.last_log = lid;
		follow_db(&e, until);
	} else {
		if (from != NULL && stream_id(from))
			snprintf(e.last, sizeof(e.last), "%s", from);
		if (follow_redis(&e, until)) {
			if (e.sent > 0)
				skip_logs(&e);
			follow_db(&e, until);
		}
	}
	/* Nothing sent (gone at once): an empty stream still answers. */
	if (!e.begun && !e.gone) {
		ods_buf_reset(&e.b);
		if (ods_buf_add(&e.b, ": end\n\n", 7) == ODS_OK)
			flush(&e);
	}
	ods_buf_free(&e.b);
	return ODS_HTTP_200;
}
