/*
 * svc/agent/rag_answer.c — an answer grounded in retrieved passages:
 * through a chat model with numbered citations, or extractive (rag.h);
 * whole or streamed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "llm/ods_llm.h"
#include "rag.h"

#define CONTEXT_MAX	(24u * 1024)	/* bytes of passages sent */
#define EXTRACT_N	3		/* passages in an extractive answer */
#define EXTRACT_LEN	600		/* bytes of each */
#define ANSWER_MAX	(64u * 1024)	/* an extractive answer */
#define STREAM_PIECE	64		/* bytes of an extractive frame */

static const char system_prompt[] =
    "You answer the user's question using only the numbered passages "
    "below, taken from a knowledge base. Cite the passages you use with "
    "their numbers in square brackets, like [1] or [2][3]. If the passages "
    "do not hold the answer, say that the knowledge base does not say, "
    "and do not make one up. Answer in the language of the question.";

/* n bytes of s, cut back to a character boundary. */
static size_t
utf8_cut(const char *s, size_t len, size_t n)
{
	if (len <= n)
		return len;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

static enum ods_err
extractive(const char *question, const struct ods_rag_hit *h, size_t n,
    char **answer)
{
	struct ods_buf	b;
	size_t		i, len, cut;
	enum ods_err	er;

	(void)question;
	ods_buf_init(&b, ANSWER_MAX);
	if (n == 0)
		er = ods_buf_addf(&b, "No passage of the knowledge base "
		    "matches the question.");
	else
		er = ods_buf_addf(&b, "No chat model is configured; these are "
		    "the passages that best match the question:");
	for (i = 0; i < n && i < EXTRACT_N && er == ODS_OK; i++) {
		len = strlen(h[i].content);
		cut = utf8_cut(h[i].content, len, EXTRACT_LEN);
		if ((er = ods_buf_addf(&b, "\n\n[%zu] ", i + 1)) == ODS_OK)
			er = ods_buf_add(&b, h[i].content, cut);
		if (er == ODS_OK && cut < len)
			er = ods_buf_add(&b, "…", strlen("…"));
	}
	if (er != ODS_OK || ods_buf_add(&b, "", 1) != ODS_OK) {
		ods_buf_free(&b);
		return ODS_ENOMEM;
	}
	*answer = ods_buf_take(&b, NULL);
	return ODS_OK;
}

/* The system message's text: the instruction and the numbered passages. */
static enum ods_err
passages(const struct ods_rag_hit *h, size_t n, struct ods_buf *ctx)
{
	size_t		i, len;
	enum ods_err	er;

	ods_buf_init(ctx, CONTEXT_MAX + 4096);
	er = ods_buf_addf(ctx, "%s\n\nPassages:", system_prompt);
	for (i = 0; i < n && er == ODS_OK; i++) {
		len = strlen(h[i].content);
		if (ctx->len + len > CONTEXT_MAX)
			len = utf8_cut(h[i].content, len, CONTEXT_MAX >
			    ctx->len ? CONTEXT_MAX - ctx->len : 0);
		if (len == 0)
			break;
		if ((er = ods_buf_addf(ctx, "\n\n[%zu] (%s) ", i + 1,
		    h[i].title != NULL ? h[i].title : "untitled")) == ODS_OK)
			er = ods_buf_add(ctx, h[i].content, len);
	}
	if (er == ODS_OK && n == 0)
		er = ods_buf_addf(ctx, "\n\n(no passage matched)");
	if (er != ODS_OK)
		ods_buf_free(ctx);
	return er;
}

/*
 * The passages' system message, then the messages of the JSON array text
 * rest (NULL: one user message holding question).
 */
static enum ods_err
grounded(const char *rest, const char *question, const struct ods_rag_hit *h,
    size_t n, char **out)
{
	struct ods_buf	ctx, msg;
	struct ods_jw	jw;
	const char	*p;
	enum ods_err	er;

	if ((er = passages(h, n, &ctx)) != ODS_OK)
		return er;
	ods_buf_init(&msg, 2 * CONTEXT_MAX + 65536 + (rest != NULL ?
	    strlen(rest) : 0));
	ods_jw_init(&jw, &msg);
	ods_jw_arr(&jw);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "role", "system");
	ods_jw_key(&jw, "content");
	ods_jw_strn(&jw, ctx.data, ctx.len);
	ods_jw_end(&jw);
	if (rest == NULL) {
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "role", "user");
		ods_jw_kstr(&jw, "content", question);
		ods_jw_end(&jw);
		ods_jw_end(&jw);
	}
	ods_buf_free(&ctx);
	er = ods_jw_error(&jw);
	if (er == ODS_OK && rest != NULL) {
		/* The elements of rest follow ours: "[a,b]" -> ",a,b]". */
		for (p = rest; *p == ' ' || *p == '\t' || *p == '\n' ||
		    *p == '\r'; p++)
			;
		if (*p != '[')
			er = ODS_EINVAL;
		else {
			for (p++; *p == ' ' || *p == '\t' || *p == '\n' ||
			    *p == '\r'; p++)
				;
			if (*p != ']')
				er = ods_buf_add(&msg, ",", 1);
			if (er == ODS_OK)
				er = ods_buf_add(&msg, p, strlen(p));
		}
	}
	if (er == ODS_OK)
		er = ods_buf_add(&msg, "", 1);
	if (er != ODS_OK) {
		ods_buf_free(&msg);
		return er;
	}
	*out = ods_buf_take(&msg, NULL);
	return ODS_OK;
}

/* The chat messages: the passages in the system message, then the user. */
static enum ods_err
messages(const char *question, const struct ods_rag_hit *h, size_t n,
    char **out)
{
	return grounded(NULL, question, h, n, out);
}

enum ods_err
ods_rag_ground(const char *msgs, const struct ods_rag_hit *h, size_t n,
    char **out)
{
	*out = NULL;
	if (msgs == NULL)
		return ODS_EINVAL;
	return grounded(msgs, NULL, h, n, out);
}

void
ods_rag_sources_json(struct ods_jw *jw, const struct ods_rag_hit *h,
    size_t n)
{
	size_t	i;

	ods_jw_arr(jw);
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_jw_kint(jw, "index", (int64_t)i + 1);
		ods_jw_kstr(jw, "doc_id", h[i].doc_id);
		ods_jw_kstr(jw, "title", h[i].title);
		ods_jw_kstr(jw, "file_name", h[i].file_name);
		ods_jw_kint(jw, "chunk_index", h[i].chunk_index);
		ods_jw_knum(jw, "score", h[i].score);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
}

/* A chat model answers (else the extractive answer). */
static int
uses_llm(struct ods_llm *llm, const char *model)
{
	return model != NULL && *model != '\0' && llm != NULL &&
	    ods_llm_model_known(llm, model);
}

enum ods_err
ods_rag_answer(struct ods_llm *llm, const char *model, const char *question,
    const struct ods_rag_hit *h, size_t n, char **answer, const char **mode,
    struct ods_llm_usage *u)
{
	char		*msgs = NULL;
	enum ods_err	 er;

	*answer = NULL;
	memset(u, 0, sizeof(*u));
	if (!uses_llm(llm, model)) {
		*mode = "extractive";
		return extractive(question, h, n, answer);
	}
	*mode = "llm";
	if ((er = messages(question, h, n, &msgs)) != ODS_OK)
		return er;
	er = ods_llm_chat(llm, model, msgs, NULL, answer, u);
	free(msgs);
	return er;
}

/* The extractive answer to delta in pieces cut after a character. */
static enum ods_err
extractive_stream(const char *question, const struct ods_rag_hit *h,
    size_t n, const struct ods_llm_chat_sink *cs, int *started)
{
	char		*answer = NULL;
	size_t		 off = 0, len, step;
	enum ods_err	 er;

	if ((er = extractive(question, h, n, &answer)) != ODS_OK)
		return er;
	len = strlen(answer);
	while (off < len && er == ODS_OK) {
		step = len - off < STREAM_PIECE ? len - off : STREAM_PIECE;
		while (off + step < len &&
		    ((unsigned char)answer[off + step] & 0xC0) == 0x80)
			step++;
		*started = 1;
		if (cs->delta(cs->arg, answer + off, step, NULL, 0) != 0)
			er = ODS_EIO;
		off += step;
	}
	free(answer);
	return er;
}

enum ods_err
ods_rag_answer_stream(struct ods_llm *llm, const char *model,
    const char *question, const struct ods_rag_hit *h, size_t n,
    const struct ods_llm_chat_sink *cs, const char **mode, int *started,
    struct ods_llm_usage *u)
{
	char		*msgs = NULL;
	enum ods_err	 er;

	*started = 0;
	memset(u, 0, sizeof(*u));
	if (!uses_llm(llm, model)) {
		*mode = "extractive";
		return extractive_stream(question, h, n, cs, started);
	}
	*mode = "llm";
	if ((er = messages(question, h, n, &msgs)) != ODS_OK)
		return er;
	er = ods_llm_chat_stream(llm, model, msgs, NULL, cs, started, u);
	free(msgs);
	return er;
}
