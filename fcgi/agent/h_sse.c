/*
 * fcgi/agent/h_sse.c — SSE frames of the Agent API's model answers
 * (h_sse.h).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ods.h"
#include "h_sse.h"

#define FRAME_MAX	(8u * 1024 * 1024)	/* one SSE frame */

void
h_sse_init(struct h_sse *s, struct ods_req *r, struct ods_resp *w,
    enum h_sse_shape shape, const char *model)
{
	unsigned char	rnd[12];
	char		hex[25];

	memset(s, 0, sizeof(*s));
	s->r = r;
	s->w = w;
	s->shape = shape;
	s->model = model;
	ods_random(rnd, sizeof(rnd));
	ods_hex(rnd, sizeof(rnd), hex);
	hex[24] = '\0';
	snprintf(s->id, sizeof(s->id), "chatcmpl-%s", hex);
	s->created = (int64_t)time(NULL);
	ods_buf_init(&s->b, FRAME_MAX);
}

void
h_sse_fini(struct h_sse *s)
{
	ods_buf_free(&s->b);
}

const char *
h_sse_model(const struct h_sse *s)
{
	if (s->mode != NULL && strcmp(*s->mode, "llm") != 0)
		return "extractive";
	return s->model;
}

int
h_sse_gone(void *arg)
{
	struct h_sse	*s = arg;

	return ods_req_client_gone(s->r);
}

/* Send b as one event; 1 when the client went away. */
static int
send_frame(struct h_sse *s)
{
	if (!s->begun) {
		if (ods_resp_stream_begin(s->w, ODS_HTTP_200,
		    "text/event-stream") != ODS_OK)
			return 1;
		s->begun = 1;
	}
	return ods_resp_stream_write(s->w, s->b.data, s->b.len) != ODS_OK;
}

/*
 * The members of chunk (a JSON object's text) after ours: the bytes
 * after its '{' (all of it with bare set). Line breaks (whitespace between
 * tokens; those in strings are escaped) become spaces: they would end the
 * SSE event.
 */
static enum ods_err
splice(struct ods_buf *b, const char *chunk, size_t clen, int bare)
{
	const char	*p = chunk, *end = chunk + clen;
	size_t		 from;

	if (!bare) {
		while (p < end && *p != '{')
			p++;
		if (p < end)
			p++;
		while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
		    *p == '\n'))
			p++;
		if (p < end && *p != '}' && ods_buf_add(b, ",", 1) != ODS_OK)
			return ODS_ETOOBIG;
	}
	from = b->len;
	if (ods_buf_add(b, p, (size_t)(end - p)) != ODS_OK)
		return ODS_ETOOBIG;
	for (; from < b->len; from++)
		if (b->data[from] == '\n' || b->data[from] == '\r')
			b->data[from] = ' ';
	return ODS_OK;
}

/* The members of a chunk made here (no upstream chunk). */
static void
chunk_members(struct h_sse *s, struct ods_jw *jw, const char *text,
    size_t len)
{
	if (s->shape == H_SSE_OPENAI) {
		ods_jw_kstr(jw, "id", s->id);
		ods_jw_kint(jw, "created", s->created);
	}
	ods_jw_kstr(jw, "object", "chat.completion.chunk");
	ods_jw_kstr(jw, "model", h_sse_model(s));
	ods_jw_key(jw, "choices");
	ods_jw_arr(jw);
	ods_jw_obj(jw);
	ods_jw_kint(jw, "index", 0);
	ods_jw_key(jw, "delta");
	ods_jw_obj(jw);
	ods_jw_key(jw, "content");
	ods_jw_strn(jw, text, len);
	ods_jw_end(jw);
	ods_jw_key(jw, "finish_reason");
	ods_jw_null(jw);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

int
h_sse_delta(void *arg, const char *text, size_t len, const char *chunk,
    size_t clen)
{
	struct h_sse	*s = arg;
	struct ods_jw	 jw;
	int		 bare = s->shape == H_SSE_OPENAI && chunk != NULL;

	s->bytes += len;
	ods_buf_reset(&s->b);
	if (ods_buf_add(&s->b, "data: ", 6) != ODS_OK)
		return 1;
	ods_jw_init(&jw, &s->b);
	if (!bare) {
		ods_jw_obj(&jw);
		if (s->shape == H_SSE_WEB) {
			ods_jw_key(&jw, "content");
			ods_jw_strn(&jw, text, len);
		}
		if (chunk == NULL) {
			chunk_members(s, &jw, text, len);
			ods_jw_end(&jw);
		}
	}
	if (ods_jw_error(&jw) != ODS_OK || (chunk != NULL &&
	    splice(&s->b, chunk, clen, bare) != ODS_OK) ||
	    ods_buf_add(&s->b, "\n\n", 2) != ODS_OK) {
		ods_log(ODS_LOG_WARN, "sse_frame_too_big");
		return 1;
	}
	return send_frame(s);
}

struct ods_jw *
h_sse_open(struct h_sse *s)
{
	ods_buf_reset(&s->b);
	if (ods_buf_add(&s->b, "data: ", 6) != ODS_OK)
		return NULL;
	ods_jw_init(&s->jw, &s->b);
	ods_jw_obj(&s->jw);
	return &s->jw;
}

int
h_sse_close(struct h_sse *s)
{
	ods_jw_end(&s->jw);
	if (ods_jw_error(&s->jw) != ODS_OK ||
	    ods_buf_add(&s->b, "\n\ndata: [DONE]\n\n", 16) != ODS_OK ||
	    send_frame(s) != 0) {
		ods_log(ODS_LOG_DEBUG, "sse_end_not_sent");
		return 1;
	}
	return 0;
}

void
h_sse_error(struct h_sse *s, enum ods_err er)
{
	struct ods_jw	*jw;

	if (er == ODS_EIO || (jw = h_sse_open(s)) == NULL)
		return;		/* the client is gone */
	ods_jw_key(jw, "error");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "message", er == ODS_ETIMEOUT ? "The chat model "
	    "stopped sending during the answer." : "The chat model failed "
	    "during the answer.");
	ods_jw_kstr(jw, "type", "api_error");
	ods_jw_kstr(jw, "code", er == ODS_ETIMEOUT ? "upstream_timeout" :
	    "upstream_error");
	ods_jw_end(jw);
	(void)h_sse_close(s);
}

enum ods_status
h_llm_error(struct ods_resp *w, enum ods_err er)
{
	if (er == ODS_EINVAL || er == ODS_ENOTFOUND || er == ODS_EIO)
		er = ODS_EUPSTREAM;
	return ods_resp_error(w, er, "the chat model did not answer");
}

void
h_usage_json(struct ods_jw *jw, const struct ods_llm_usage *u)
{
	ods_jw_key(jw, "usage");
	ods_jw_obj(jw);
	ods_jw_kint(jw, "prompt_tokens", u->prompt_tokens);
	ods_jw_kint(jw, "completion_tokens", u->completion_tokens);
	ods_jw_kint(jw, "total_tokens", u->prompt_tokens +
	    u->completion_tokens);
	ods_jw_end(jw);
}
