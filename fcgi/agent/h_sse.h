/*
 * fcgi/agent/h_sse.h — the SSE answer of the Agent API's model calls
 * (/rag/query, /chat, the apps' chat): one frame per piece of the answer,
 * each flushed as it comes, then a closing frame and [DONE].
 *
 * Two shapes. H_SSE_WEB: {"content": piece, <the upstream chunk's
 * members>} (the web reads content or choices[0].delta.content). H_SSE_
 * OPENAI: the upstream's chat.completion.chunk as it is. A piece without
 * an upstream chunk (an extractive answer, an upstream that answered
 * whole) gets the members of a chunk made here.
 */
#ifndef H_SSE_H
#define H_SSE_H

#include <stddef.h>
#include <stdint.h>

#include "ods.h"

enum h_sse_shape { H_SSE_WEB, H_SSE_OPENAI };

struct h_sse {
	struct ods_req		*r;
	struct ods_resp		*w;
	enum h_sse_shape	 shape;
	const char		*model;	/* of chunks made here */
	/* With mode set: model only while *mode is "llm" ("extractive"). */
	const char *const	*mode;
	char			 id[40];	/* "chatcmpl-..." of made chunks */
	int64_t			 created;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	int			 begun;
	size_t			 bytes;		/* content sent */
};

void		 h_sse_init(struct h_sse *, struct ods_req *, struct ods_resp *,
		    enum h_sse_shape, const char *model);
void		 h_sse_fini(struct h_sse *);
/* ods_llm_chat_sink's delta and client_gone, arg a struct h_sse. */
int		 h_sse_delta(void *arg, const char *text, size_t len,
		    const char *chunk, size_t clen);
int		 h_sse_gone(void *arg);
/* The model a frame names. */
const char	*h_sse_model(const struct h_sse *);
/*
 * A closing frame: h_sse_open gives the writer with "data: " and the
 * object open; h_sse_close ends it, adds [DONE] and sends. 1: not sent.
 */
struct ods_jw	*h_sse_open(struct h_sse *);
int		 h_sse_close(struct h_sse *);
/* The error frame of a model that broke after the first piece, [DONE]. */
void		 h_sse_error(struct h_sse *, enum ods_err);

/* A model's failure before any answer: 502, 503 or 504 (envelope). */
enum ods_status	 h_llm_error(struct ods_resp *, enum ods_err);
/* "usage": {prompt_tokens, completion_tokens, total_tokens}. */
void		 h_usage_json(struct ods_jw *, const struct ods_llm_usage *);

#endif /* H_SSE_H */
