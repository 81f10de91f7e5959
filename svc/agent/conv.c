/*
 * svc/agent/conv.c — conversation and message rows, titles, and the
 * history a chat call sends (conv.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "agent_int.h"
#include "conv.h"

#define COLS "c.id, c.conversation_id, c.user_id, c.title, c.model, " \
	"c.system_prompt, c.knowledge_base_id, c.app_id, " \
	KBI_TS("c.created_at") ", " KBI_TS("c.updated_at") ", " \
	"c.message_count, c.total_tokens, c.title_custom"

#define MCOLS "id, message_id, conversation_id, role, content, model, " \
	"status, sources, " KBI_TS("created_at") ", prompt_tokens, " \
	"completion_tokens, latency_ms"

static int	 status_ok(const char *);
static enum ods_err msg_row_insert(struct ods_db_conn *, const char *,
    const struct ods_msg_spec *, char[64]);
static int	 msg_ok(const struct ods_msg_spec *);
static enum ods_err in_tx(struct ods_db *,
		    enum ods_err (*)(struct ods_db_conn *, void *), void *);

static void
conv_row(const struct ods_db_res *res, size_t i, struct ods_conv *c)
{
	memset(c, 0, sizeof(*c));
	c->id = ods_db_res_int0(res, i, 0);
	c->conversation_id = ods_db_res_strdup(res, i, 1);
	c->user_id = ods_db_res_strdup(res, i, 2);
	c->title = ods_db_res_strdup(res, i, 3);
	c->model = ods_db_res_strdup(res, i, 4);
	c->system_prompt = ods_db_res_strdup(res, i, 5);
	c->knowledge_base_id = ods_db_res_strdup(res, i, 6);
	c->app_id = ods_db_res_strdup(res, i, 7);
	c->created_at = ods_db_res_strdup(res, i, 8);
	c->updated_at = ods_db_res_strdup(res, i, 9);
	c->message_count = ods_db_res_int0(res, i, 10);
	c->total_tokens = ods_db_res_int0(res, i, 11);
	c->title_custom = (int)ods_db_res_int0(res, i, 12);
}

static void
conv_fini(struct ods_conv *c)
{
	free(c->conversation_id);
	free(c->user_id);
	free(c->title);
	free(c->model);
	free(c->system_prompt);
	free(c->knowledge_base_id);
	free(c->app_id);
	free(c->created_at);
	free(c->updated_at);
}

void
ods_conv_free(struct ods_conv *c)
{
	if (c == NULL)
		return;
	conv_fini(c);
	free(c);
}

void
ods_conv_list_free(struct ods_conv *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		conv_fini(&v[i]);
	free(v);
}

static struct ods_db_arg
text_or_null(const char *s)
{
	return s != NULL ? ods_db_text(s) : ods_db_null();
}

struct create_arg {
	const struct ods_conv_spec	*s;
	const struct ods_msg_spec	*first;
	const char			*owner;
	char				*message_id;
	struct ods_conv			*c;
};

static enum ods_err
create_tx(struct ods_db_conn *cn, void *arg)
{
	struct create_arg	*ca = arg;
	const struct ods_conv_spec *s = ca->s;
	const struct ods_msg_spec *m = ca->first;
	struct ods_db_arg	 a[10];
	char			 title[4 * ODS_CONV_TITLE_AUTO + 8];
	enum ods_err		 er;

	/* The first message counted and titled here: one statement less. */
	*title = '\0';
	if (s->title == NULL && m != NULL && strcmp(m->role, "user") == 0)
		ods_conv_title(m->content, m->len, title, sizeof(title));
	a[0] = ods_db_text(ca->c->conversation_id);
	a[1] = ods_db_text(ca->owner);
	a[2] = s->title != NULL ? ods_db_text(s->title) : *title != '\0' ?
	    ods_db_text(title) : ods_db_null();
	a[3] = ods_db_int(s->title != NULL);
	a[4] = text_or_null(s->model);
	a[5] = text_or_null(s->system_prompt);
	a[6] = text_or_null(s->knowledge_base_id);
	a[7] = text_or_null(s->app_id);
	a[8] = ods_db_int(m != NULL);
	a[9] = ods_db_int(m != NULL ? m->prompt_tokens + m->completion_tokens :
	    0);
	er = ods_db_exec(cn, "INSERT INTO conversations (conversation_id, "
	    "user_id, title, title_custom, model, system_prompt, "
	    "knowledge_base_id, app_id, message_count, total_tokens) VALUES "
	    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", a, 10, NULL);
	if (er != ODS_OK)
		return er;
	ca->c->id = (int64_t)ods_db_insert_id(cn);
	if (m == NULL)
		return ODS_OK;
	return msg_row_insert(cn, ca->c->conversation_id, m, ca->message_id);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? ods_xstrdup(s) : NULL;
}

void
ods_conv_new_id(char out[32])
{
	kbi_new_id("conv", out, 32);
}

enum ods_err
ods_conv_create(struct ods_db *db, const struct ods_conv_spec *s,
    const char *owner, const struct ods_msg_spec *first, char message_id[64],
    struct ods_conv **out)
{
	struct create_arg	 ca = { s, first, owner, message_id, NULL };
	struct ods_conv		*c;
	char			 id[32], now[32], title[4 * ODS_CONV_TITLE_AUTO + 8];
	time_t			 t = time(NULL);
	struct tm		 tm;
	enum ods_err		 er;

	*out = NULL;
	if (owner == NULL || *owner == '\0' || (first != NULL &&
	    !msg_ok(first)))
		return ODS_EINVAL;
	if (s->id != NULL && strncmp(s->id, "conv-", 5) == 0 &&
	    strlen(s->id) < sizeof(id))
		snprintf(id, sizeof(id), "%s", s->id);
	else
		ods_conv_new_id(id);
	c = ods_xcalloc(1, sizeof(*c));
	c->conversation_id = ods_xstrdup(id);
	ca.c = c;
	if ((er = in_tx(db, create_tx, &ca)) != ODS_OK) {
		ods_conv_free(c);
		return er;
	}
	/* The row as written, without reading it back. */
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	c->user_id = ods_xstrdup(owner);
	c->title = dup_or_null(s->title);
	c->title_custom = s->title != NULL;
	if (c->title == NULL && first != NULL &&
	    strcmp(first->role, "user") == 0) {
		ods_conv_title(first->content, first->len, title,
		    sizeof(title));
		if (*title != '\0')
			c->title = ods_xstrdup(title);
	}
	c->model = dup_or_null(s->model);
	c->system_prompt = dup_or_null(s->system_prompt);
	c->knowledge_base_id = dup_or_null(s->knowledge_base_id);
	c->app_id = dup_or_null(s->app_id);
	c->created_at = ods_xstrdup(now);
	c->updated_at = ods_xstrdup(now);
	if (first != NULL) {
		c->message_count = 1;
		c->total_tokens = first->prompt_tokens +
		    first->completion_tokens;
	}
	*out = c;
	return ODS_OK;
}

enum ods_err
ods_conv_get(struct ods_db *db, const char *id, const char *owner,
    struct ods_conv **out)
{
	struct ods_db_arg	 a[3];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	*out = NULL;
	if (id == NULL || strlen(id) > 64)
		return ODS_ENOTFOUND;
	a[0] = ods_db_text(id);
	a[1] = ods_db_int(owner == NULL);
	a[2] = ods_db_text(owner != NULL ? owner : "");
	er = ods_db_query_once(db, "SELECT " COLS " FROM conversations c "
	    "WHERE c.conversation_id = ? AND (? OR c.user_id = ?)", a, 3, 1,
	    &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	if (er == ODS_OK) {
		*out = ods_xcalloc(1, sizeof(**out));
		conv_row(res, 0, *out);
	}
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_conv_list(struct ods_db *db, const char *user, size_t offset,
    size_t limit, struct ods_conv **out, size_t *n, int64_t *total)
{
	struct ods_db_arg	 a[4];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_CONV_LIST_MAX)
		limit = ODS_CONV_LIST_MAX;
	a[0] = ods_db_int(user == NULL);
	a[1] = ods_db_text(user != NULL ? user : "");
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM conversations c "
	    "WHERE (? OR c.user_id = ?)", a, 2, 1, &res);
	if (er != ODS_OK)
		return er;
	*total = ods_db_res_int0(res, 0, 0);
	ods_db_res_free(res);
	res = NULL;
	a[2] = ods_db_int((int64_t)limit);
	a[3] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db, "SELECT " COLS " FROM conversations c "
	    "WHERE (? OR c.user_id = ?) ORDER BY c.updated_at DESC, c.id DESC "
	    "LIMIT ? OFFSET ?", a, 4, limit, &res);
	if (er != ODS_OK)
		return er;
	if ((*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			conv_row(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	return ODS_OK;
}

static void
replace(char **dst, const char *s)
{
	if (s == NULL)
		return;
	free(*dst);
	*dst = ods_xstrdup(s);
}

enum ods_err
ods_conv_update(struct ods_db *db, struct ods_conv *c,
    const struct ods_conv_spec *s)
{
	struct ods_db_arg	a[6];
	enum ods_err		er;

	a[0] = text_or_null(s->title);
	a[1] = text_or_null(s->model);
	a[2] = text_or_null(s->system_prompt);
	a[3] = text_or_null(s->knowledge_base_id);
	a[4] = ods_db_int(s->title != NULL);
	a[5] = ods_db_int(c->id);
	er = ods_db_exec_once(db, "UPDATE conversations SET title = "
	    "COALESCE(?, title), model = COALESCE(?, model), system_prompt = "
	    "COALESCE(?, system_prompt), knowledge_base_id = COALESCE(?, "
	    "knowledge_base_id), title_custom = GREATEST(title_custom, ?) "
	    "WHERE id = ?", a, 6, NULL);
	if (er != ODS_OK)
		return er;
	replace(&c->title, s->title);
	replace(&c->model, s->model);
	replace(&c->system_prompt, s->system_prompt);
	replace(&c->knowledge_base_id, s->knowledge_base_id);
	if (s->title != NULL)
		c->title_custom = 1;
	return ODS_OK;
}

enum ods_err
ods_conv_delete(struct ods_db *db, const struct ods_conv *c)
{
	struct ods_db_arg	a[1] = { ods_db_int(c->id) };

	/* Messages go with it (ON DELETE CASCADE). */
	return ods_db_exec_once(db, "DELETE FROM conversations WHERE id = ?",
	    a, 1, NULL);
}

void
ods_conv_json_fields(struct ods_jw *jw, const struct ods_conv *c)
{
	ods_jw_kint(jw, "id", c->id);
	ods_jw_kstr(jw, "conversation_id", c->conversation_id);
	ods_jw_kstr(jw, "user_id", c->user_id);
	ods_jw_kstr(jw, "title", c->title);
	ods_jw_kbool(jw, "title_custom", c->title_custom);
	ods_jw_kstr(jw, "model", c->model);
	ods_jw_kstr(jw, "system_prompt", c->system_prompt);
	ods_jw_kstr(jw, "knowledge_base_id", c->knowledge_base_id);
	ods_jw_kint(jw, "message_count", c->message_count);
	ods_jw_kint(jw, "total_tokens", c->total_tokens);
	ods_jw_kstr(jw, "created_at", c->created_at);
	ods_jw_kstr(jw, "updated_at", c->updated_at);
}

/* Blanks and control characters (NUL included) all separate words. */
static int
space(unsigned char ch)
{
	return ch <= ' ' || ch == 0x7f;
}

void
ods_conv_title(const char *text, size_t len, char *out, size_t cap)
{
	size_t	i = 0, o = 0, chars = 0, clen;
	int	gap = 0;

	if (cap < 4)
		return;
	while (i < len && space((unsigned char)text[i]))
		i++;
	while (i < len) {
		if (space((unsigned char)text[i])) {
			gap = 1;
			i++;
			continue;
		}
		/* The bytes of one character. */
		for (clen = 1; i + clen < len &&
		    ((unsigned char)text[i + clen] & 0xC0) == 0x80; clen++)
			;
		if (chars + gap + 1 > ODS_CONV_TITLE_AUTO ||
		    o + gap + clen + 4 > cap)
			break;
		if (gap)
			out[o++] = ' ';
		chars += gap + 1;
		gap = 0;
		memcpy(out + o, text + i, clen);
		o += clen;
		i += clen;
	}
	if (i < len) {
		memcpy(out + o, "\xe2\x80\xa6", 3);	/* "…" */
		o += 3;
	}
	out[o] = '\0';
}

int
ods_msg_role_ok(const char *role)
{
	return role != NULL && (strcmp(role, "user") == 0 ||
	    strcmp(role, "assistant") == 0 || strcmp(role, "system") == 0 ||
	    strcmp(role, "tool") == 0);
}

static int
status_ok(const char *s)
{
	return s == NULL || strcmp(s, "complete") == 0 ||
	    strcmp(s, "partial") == 0 || strcmp(s, "error") == 0;
}

/* Insert a message of c on cn and count it (the caller's transaction). */
static enum ods_err
msg_row_insert(struct ods_db_conn *cn, const char *conv_id,
    const struct ods_msg_spec *s, char message_id[64])
{
	struct ods_db_arg	 a[12];
	int64_t			 total = s->prompt_tokens + s->completion_tokens;

	kbi_new_id("msg", message_id, 64);
	a[0] = ods_db_text(message_id);
	a[1] = ods_db_text(conv_id);
	a[2] = ods_db_text(s->role);
	a[3] = ods_db_textn(s->content, s->len);
	a[4] = text_or_null(s->model);
	a[5] = ods_db_int(s->prompt_tokens);
	a[6] = ods_db_int(s->completion_tokens);
	a[7] = ods_db_int(total);
	a[8] = ods_db_int(total);
	a[9] = ods_db_text(s->status != NULL ? s->status : "complete");
	a[10] = text_or_null(s->sources);
	a[11] = s->latency_ms >= 0 ? ods_db_int(s->latency_ms) : ods_db_null();
	return ods_db_exec(cn, "INSERT INTO messages (message_id, "
	    "conversation_id, role, content, model, prompt_tokens, "
	    "completion_tokens, total_tokens, tokens, status, sources, "
	    "latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULLIF(?, 0), ?, ?, ?)",
	    a, 12, NULL);
}

static enum ods_err
msg_insert(struct ods_db_conn *cn, int64_t conv_num, const char *conv_id,
    const struct ods_msg_spec *s, char message_id[64])
{
	struct ods_db_arg	 a[4];
	char			 title[4 * ODS_CONV_TITLE_AUTO + 8];
	enum ods_err		 er;

	if ((er = msg_row_insert(cn, conv_id, s, message_id)) != ODS_OK)
		return er;
	/* Counted in one statement: parallel adds never lose a count. */
	ods_conv_title(s->content, s->len, title, sizeof(title));
	a[0] = ods_db_int(s->prompt_tokens + s->completion_tokens);
	a[1] = ods_db_int(strcmp(s->role, "user") == 0 && *title != '\0');
	a[2] = ods_db_text(title);
	a[3] = ods_db_int(conv_num);
	return ods_db_exec(cn, "UPDATE conversations SET message_count = "
	    "message_count + 1, total_tokens = total_tokens + ?, title = "
	    "IF(? AND title_custom = 0 AND (title IS NULL OR title = ''), ?, "
	    "title), updated_at = NOW(3) WHERE id = ?", a, 4, NULL);
}

static int
msg_ok(const struct ods_msg_spec *s)
{
	return ods_msg_role_ok(s->role) && status_ok(s->status) &&
	    s->len <= ODS_CONV_MSG_MAX;
}

/*
 * One transaction (one commit: a log flush) around f on a connection of
 * its own.
 */
static enum ods_err
in_tx(struct ods_db *db, enum ods_err (*f)(struct ods_db_conn *, void *),
    void *arg)
{
	struct ods_db_conn	*cn = NULL;
	enum ods_err		 er;

	if ((er = ods_db_acquire(db, &cn)) != ODS_OK)
		return er;
	if ((er = ods_db_begin(cn)) == ODS_OK &&
	    (er = f(cn, arg)) == ODS_OK)
		er = ods_db_commit(cn);
	ods_db_release(cn);	/* rolls back what did not commit */
	return er;
}

struct add_arg {
	const struct ods_conv		*c;
	const struct ods_msg_spec	*s;
	char				*message_id;
};

static enum ods_err
add_tx(struct ods_db_conn *cn, void *arg)
{
	struct add_arg	*a = arg;

	return msg_insert(cn, a->c->id, a->c->conversation_id, a->s,
	    a->message_id);
}

enum ods_err
ods_msg_add(struct ods_db *db, const struct ods_conv *c,
    const struct ods_msg_spec *s, char message_id[64])
{
	struct add_arg	a = { c, s, message_id };

	if (!msg_ok(s))
		return ODS_EINVAL;
	return in_tx(db, add_tx, &a);
}

static void
msg_row(const struct ods_db_res *res, size_t i, struct ods_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->id = ods_db_res_int0(res, i, 0);
	m->message_id = ods_db_res_strdup(res, i, 1);
	m->conversation_id = ods_db_res_strdup(res, i, 2);
	m->role = ods_db_res_strdup(res, i, 3);
	m->content = ods_db_res_strdup(res, i, 4);
	m->model = ods_db_res_strdup(res, i, 5);
	m->status = ods_db_res_strdup(res, i, 6);
	m->sources = ods_db_res_strdup(res, i, 7);
	m->created_at = ods_db_res_strdup(res, i, 8);
	m->prompt_tokens = ods_db_res_int0(res, i, 9);
	m->completion_tokens = ods_db_res_int0(res, i, 10);
	m->latency_ms = ods_db_res_isnull(res, i, 11) ? -1 :
	    ods_db_res_int0(res, i, 11);
}

void
ods_msg_list_free(struct ods_msg *v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(v[i].message_id);
		free(v[i].conversation_id);
		free(v[i].role);
		free(v[i].content);
		free(v[i].model);
		free(v[i].status);
		free(v[i].sources);
		free(v[i].created_at);
	}
	free(v);
}

enum ods_err
ods_msg_list(struct ods_db *db, const char *conv, size_t offset,
    size_t limit, struct ods_msg **out, size_t *n, int64_t *total)
{
	struct ods_db_arg	 a[3];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i;

	*out = NULL;
	*n = 0;
	*total = 0;
	if (limit > ODS_CONV_LIST_MAX)
		limit = ODS_CONV_LIST_MAX;
	a[0] = ods_db_text(conv);
	er = ods_db_query_once(db, "SELECT COUNT(*) FROM messages WHERE "
	    "conversation_id = ?", a, 1, 1, &res);
	if (er != ODS_OK)
		return er;
	*total = ods_db_res_int0(res, 0, 0);
	ods_db_res_free(res);
	res = NULL;
	a[1] = ods_db_int((int64_t)limit);
	a[2] = ods_db_int((int64_t)offset);
	er = ods_db_query_once(db, "SELECT " MCOLS " FROM messages WHERE "
	    "conversation_id = ? ORDER BY created_at, id LIMIT ? OFFSET ?", a,
	    3, limit, &res);
	if (er != ODS_OK)
		return er;
	if ((*n = ods_db_res_nrows(res)) > 0) {
		*out = ods_xcalloc(*n, sizeof(**out));
		for (i = 0; i < *n; i++)
			msg_row(res, i, &(*out)[i]);
	}
	ods_db_res_free(res);
	return ODS_OK;
}

void
ods_msg_json(struct ods_jw *jw, const struct ods_msg *m)
{
	ods_jw_obj(jw);
	ods_jw_kint(jw, "id", m->id);
	ods_jw_kstr(jw, "message_id", m->message_id);
	ods_jw_kstr(jw, "conversation_id", m->conversation_id);
	ods_jw_kstr(jw, "role", m->role);
	ods_jw_kstr(jw, "content", m->content);
	ods_jw_kstr(jw, "model", m->model);
	ods_jw_kstr(jw, "status", m->status);
	ods_jw_kint(jw, "prompt_tokens", m->prompt_tokens);
	ods_jw_kint(jw, "completion_tokens", m->completion_tokens);
	ods_jw_kint(jw, "total_tokens", m->prompt_tokens +
	    m->completion_tokens);
	ods_jw_key(jw, "sources");
	if (m->sources != NULL)
		ods_jw_raw(jw, m->sources, strlen(m->sources));
	else
		ods_jw_null(jw);
	if (m->latency_ms >= 0)
		ods_jw_kint(jw, "latency_ms", m->latency_ms);
	ods_jw_kstr(jw, "created_at", m->created_at);
	ods_jw_end(jw);
}

enum ods_err
ods_conv_usage(struct ods_db *db, const char *conv, struct ods_conv_usage *u)
{
	struct ods_db_arg	 a[1] = { ods_db_text(conv) };
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	memset(u, 0, sizeof(*u));
	er = ods_db_query_once(db, "SELECT COALESCE(SUM(prompt_tokens), 0), "
	    "COALESCE(SUM(completion_tokens), 0), COUNT(*) FROM messages "
	    "WHERE conversation_id = ?", a, 1, 1, &res);
	if (er == ODS_OK) {
		u->prompt_tokens = ods_db_res_int0(res, 0, 0);
		u->completion_tokens = ods_db_res_int0(res, 0, 1);
		u->messages = ods_db_res_int0(res, 0, 2);
	}
	ods_db_res_free(res);
	return er;
}

static void
turn_json(struct ods_jw *jw, const char *role, const char *content,
    size_t len)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "role", role);
	ods_jw_key(jw, "content");
	ods_jw_strn(jw, content, len);
	ods_jw_end(jw);
}

enum ods_err
ods_conv_prompt(struct ods_db *db, const char *conv, const char *system,
    const char *next, int64_t budget, char **json, size_t *count)
{
	struct ods_db_arg	 a[2];
	struct ods_db_res	*res = NULL;
	struct ods_buf		 b;
	struct ods_jw		 jw;
	size_t			 n = 0, keep = 0, i, len;
	int64_t			 used = 0, cost;
	enum ods_err		 er;

	*json = NULL;
	if (system != NULL && *system != '\0')
		used = (int64_t)(strlen(system) / 4 + 1);
	if (next != NULL)
		used += (int64_t)(strlen(next) / 4 + 1);
	if (conv != NULL) {
		a[0] = ods_db_text(conv);
		a[1] = ods_db_int(ODS_CONV_HISTORY_ROWS);
		/* Newest first: the budget keeps the latest turns. */
		er = ods_db_query_once(db, "SELECT role, content FROM messages "
		    "WHERE conversation_id = ? AND status <> 'error' ORDER BY "
		    "created_at DESC, id DESC LIMIT ?", a, 2,
		    ODS_CONV_HISTORY_ROWS, &res);
		if (er != ODS_OK)
			return er;
		n = ods_db_res_nrows(res);
	}
	for (keep = 0; keep < n; keep++) {
		(void)ods_db_res_text(res, keep, 1, &len);
		cost = (int64_t)(len / 4 + 1);
		/* The newest turn always, unless a next one ends the prompt. */
		if ((keep > 0 || next != NULL) && used + cost > budget)
			break;
		used += cost;
	}
	ods_buf_init(&b, (size_t)64 << 20);
	ods_jw_init(&jw, &b);
	ods_jw_arr(&jw);
	if (system != NULL && *system != '\0')
		turn_json(&jw, "system", system, strlen(system));
	for (i = keep; i > 0; i--) {
		const char *t = ods_db_res_text(res, i - 1, 1, &len);

		turn_json(&jw, ods_db_res_text(res, i - 1, 0, NULL),
		    t != NULL ? t : "", t != NULL ? len : 0);
	}
	if (next != NULL)
		turn_json(&jw, "user", next, strlen(next));
	ods_jw_end(&jw);
	ods_db_res_free(res);
	if ((er = ods_jw_error(&jw)) == ODS_OK)
		er = ods_buf_add(&b, "", 1);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return er;
	}
	*json = ods_buf_take(&b, NULL);
	if (count != NULL)
		*count = keep;
	return ODS_OK;
}

enum ods_err
ods_conv_history(struct ods_db *db, const char *conv, const char *system,
    int64_t budget, char **json, size_t *count)
{
	return ods_conv_prompt(db, conv, system, NULL, budget, json, count);
}
