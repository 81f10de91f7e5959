/*
 * fcgi/data/h_lineage.c — the lineage routes (h_lineage.h): parameters
 * checked here, the walks and events in svc/data/lineage*.c, whose JSON
 * is written into a buffer first so that a failing database is a clean
 * error answer, never half an envelope.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "ods.h"
#include "../../svc/data/lineage.h"
#include "h_lineage.h"

#define ANSWER_MAX	(32u << 20)
#define NAME_MAX_	ODS_LINEAGE_NAME_MAX

/* What the svc call writes, given the writer. */
struct call {
	enum ods_err	(*fn)(struct ods_req *, const struct call *,
			    struct ods_jw *);
	struct ods_lineage_query q, t;
	int		 dir;
	const char	*a, *b;
	size_t		 limit;
};

static enum ods_status
answer(struct ods_req *r, struct ods_resp *w, const struct call *c)
{
	struct ods_buf	 b;
	struct ods_jw	 jw, *out;
	enum ods_err	 er;
	enum ods_status	 hs;

	ods_buf_init(&b, ANSWER_MAX);
	ods_jw_init(&jw, &b);
	er = c->fn(r, c, &jw);
	if (er == ODS_OK)
		er = ods_jw_error(&jw);
	if (er != ODS_OK) {
		ods_buf_free(&b);
		return ods_resp_error(w, er, NULL);
	}
	out = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_raw(out, b.data, b.len);
	hs = ods_resp_send(w);
	ods_buf_free(&b);
	return hs;
}

static enum ods_status
invalid(struct ods_resp *w, const char *field, const char *msg)
{
	struct ods_why	why;

	ods_why_set(&why, field, "%s", msg);
	return ods_resp_input_error(w, ODS_EINVAL, &why);
}

/* A missing parameter: code 40000, as the reference answers it. */
static enum ods_status
missing(struct ods_resp *w, const char *field)
{
	struct ods_error	e;

	memset(&e, 0, sizeof(e));
	e.err = ODS_EINVAL;
	e.code = ODS_C_BAD_REQUEST;
	e.slug = "validation_error";
	e.msg = "required";
	snprintf(e.field, sizeof(e.field), "%s", field);
	return ods_resp_fail(w, &e);
}

/* A required (or optional: NULL) name of 1..255 bytes into *out. */
static int
name_param(struct ods_req *r, struct ods_resp *w, const char *p,
    int required, const char **out, enum ods_status *hs)
{
	const char	*v = ods_req_query(r, p);

	*out = NULL;
	if (v == NULL || *v == '\0') {
		if (!required)
			return 0;
		*hs = missing(w, p);
		return -1;
	}
	if (strlen(v) > NAME_MAX_) {
		*hs = invalid(w, p, "at most 255 bytes");
		return -1;
	}
	*out = v;
	return 0;
}

/* depth (or max_depth): 1..10, def when absent. */
static int
depth_param(struct ods_req *r, struct ods_resp *w, int def, int *out,
    enum ods_status *hs)
{
	const char	*p = ods_req_query(r, "max_depth") != NULL ?
			    "max_depth" : "depth";
	int64_t		 v;

	if (ods_req_query_int(r, p, def, 1, ODS_LINEAGE_DEPTH_MAX, &v) !=
	    ODS_OK) {
		*hs = invalid(w, p, "an integer in 1..10");
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
limit_param(struct ods_req *r, struct ods_resp *w, int64_t def,
    size_t *out, enum ods_status *hs)
{
	int64_t	v;

	if (ods_req_query_int(r, "limit", def, 1, 1000, &v) != ODS_OK) {
		*hs = invalid(w, "limit", "an integer in 1..1000");
		return -1;
	}
	*out = (size_t)v;
	return 0;
}

static enum ods_err
do_graph(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	return ods_lineage_graph(ods_req_db(r), &c->q, jw);
}

enum ods_status
h_lineage_table(struct ods_req *r, struct ods_resp *w)
{
	struct call	c = { .fn = do_graph };
	enum ods_status	hs;

	if (name_param(r, w, "table_name", 1, &c.q.name, &hs) != 0 ||
	    depth_param(r, w, ODS_LINEAGE_DEPTH_DEFAULT, &c.q.depth, &hs) != 0)
		return hs;
	return answer(r, w, &c);
}

enum ods_status
h_lineage_column(struct ods_req *r, struct ods_resp *w)
{
	struct call	c = { .fn = do_graph };
	enum ods_status	hs;

	if (name_param(r, w, "table_name", 1, &c.q.name, &hs) != 0 ||
	    name_param(r, w, "column_name", 1, &c.q.column, &hs) != 0 ||
	    depth_param(r, w, ODS_LINEAGE_DEPTH_DEFAULT, &c.q.depth,
	    &hs) != 0)
		return hs;
	return answer(r, w, &c);
}

static enum ods_err
do_search(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	return ods_lineage_search(ods_req_db(r), c->a, c->b, c->limit, jw);
}

enum ods_status
h_lineage_search(struct ods_req *r, struct ods_resp *w)
{
	static const char *const types[] = {
		"table", "view", "dataset", "column"
	};
	struct call	c = { .fn = do_search };
	enum ods_status	hs;
	size_t		i;

	if (name_param(r, w, "query", 1, &c.a, &hs) != 0 ||
	    name_param(r, w, "type", 0, &c.b, &hs) != 0 ||
	    limit_param(r, w, 50, &c.limit, &hs) != 0)
		return hs;
	if (strlen(c.a) > 200)
		return invalid(w, "query", "at most 200 bytes");
	for (i = 0; c.b != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(c.b, types[i]) == 0)
			break;
	if (c.b != NULL && i == sizeof(types) / sizeof(types[0]))
		return invalid(w, "type", "one of table, view, dataset, "
		    "column");
	return answer(r, w, &c);
}

static enum ods_err
do_path(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	return ods_lineage_path(ods_req_db(r), &c->q, &c->t, jw);
}

/* The reference's namespace parameter: default data-service. */
static int
ns_param(struct ods_req *r, struct ods_resp *w, const char *p,
    const char **out, enum ods_status *hs)
{
	if (name_param(r, w, p, 0, out, hs) != 0)
		return -1;
	if (*out == NULL)
		*out = ODS_LINEAGE_NS_DEFAULT;
	else if (strlen(*out) > ODS_LINEAGE_NS_MAX) {
		*hs = invalid(w, p, "at most 128 bytes");
		return -1;
	}
	return 0;
}

enum ods_status
h_lineage_path(struct ods_req *r, struct ods_resp *w)
{
	struct call	c = { .fn = do_path };
	enum ods_status	hs;

	if (ods_req_query(r, "source_name") != NULL ||
	    ods_req_query(r, "target_name") != NULL) {
		if (ns_param(r, w, "source_namespace", &c.q.ns, &hs) != 0 ||
		    name_param(r, w, "source_name", 1, &c.q.name, &hs) != 0 ||
		    ns_param(r, w, "target_namespace", &c.t.ns, &hs) != 0 ||
		    name_param(r, w, "target_name", 1, &c.t.name, &hs) != 0 ||
		    depth_param(r, w, 5, &c.q.depth, &hs) != 0)
			return hs;
	} else if (name_param(r, w, "source", 1, &c.q.name, &hs) != 0 ||
	    name_param(r, w, "target", 1, &c.t.name, &hs) != 0 ||
	    depth_param(r, w, 5, &c.q.depth, &hs) != 0)
		return hs;
	return answer(r, w, &c);
}

static enum ods_err
do_job(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	return ods_lineage_job(ods_req_db(r), c->a, jw);
}

enum ods_status
h_lineage_etl(struct ods_req *r, struct ods_resp *w)
{
	struct call	c = { .fn = do_job };

	c.a = ods_req_param(r, "task_id");
	if (c.a == NULL || *c.a == '\0' || strlen(c.a) > NAME_MAX_)
		return invalid(w, "task_id", "1 to 255 bytes");
	return answer(r, w, &c);
}

static enum ods_err
do_list(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	if (c->dir == 0)
		return ods_lineage_impact(ods_req_db(r), &c->q, jw);
	return ods_lineage_list(ods_req_db(r), &c->q, c->dir, jw);
}

static enum ods_status
walk_route(struct ods_req *r, struct ods_resp *w, int dir, int def)
{
	struct call	c = { .fn = do_list, .dir = dir };
	enum ods_status	hs;

	if (ns_param(r, w, "namespace", &c.q.ns, &hs) != 0 ||
	    name_param(r, w, "name", 1, &c.q.name, &hs) != 0 ||
	    depth_param(r, w, def, &c.q.depth, &hs) != 0)
		return hs;
	return answer(r, w, &c);
}

enum ods_status
h_lineage_upstream(struct ods_req *r, struct ods_resp *w)
{
	return walk_route(r, w, -1, ODS_LINEAGE_DEPTH_DEFAULT);
}

enum ods_status
h_lineage_downstream(struct ods_req *r, struct ods_resp *w)
{
	return walk_route(r, w, 1, ODS_LINEAGE_DEPTH_DEFAULT);
}

enum ods_status
h_lineage_impact(struct ods_req *r, struct ods_resp *w)
{
	return walk_route(r, w, 0, 5);
}

enum ods_status
h_lineage_emit(struct ods_req *r, struct ods_resp *w)
{
	struct json_object	*body = NULL;
	struct ods_why		 why;
	struct ods_jw		*jw;
	char			 run_id[65];
	enum ods_err		 er;

	memset(&why, 0, sizeof(why));
	if ((er = ods_req_json(r, &body, &why)) != ODS_OK)
		return ods_resp_input_error(w, er, &why);
	er = ods_lineage_emit(ods_req_db(r), body, run_id, &why);
	if (er == ODS_EINVAL)
		return ods_resp_input_error(w, er, &why);
	if (er != ODS_OK)
		return ods_resp_error(w, er, NULL);
	jw = ods_resp_envelope(w, ODS_HTTP_200, NULL);
	ods_jw_obj(jw);
	ods_jw_kbool(jw, "queued", 1);
	ods_jw_kbool(jw, "stored", 1);
	ods_jw_kstr(jw, "run_id", run_id);
	ods_jw_end(jw);
	return ods_resp_send(w);
}

static enum ods_err
do_events(struct ods_req *r, const struct call *c, struct ods_jw *jw)
{
	if (c->dir != 0)
		return ods_lineage_export(ods_req_db(r), c->limit, jw);
	return ods_lineage_events(ods_req_db(r), c->limit, c->a, c->b, jw);
}

enum ods_status
h_lineage_events(struct ods_req *r, struct ods_resp *w)
{
	static const char *const types[] = {
		"START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER",
		"JOB_STARTED", "JOB_COMPLETED", "JOB_FAILED", "JOB_ABORTED"
	};
	struct call	c = { .fn = do_events };
	enum ods_status	hs;
	size_t		i;

	if (limit_param(r, w, 100, &c.limit, &hs) != 0 ||
	    name_param(r, w, "event_type", 0, &c.a, &hs) != 0 ||
	    name_param(r, w, "job_name", 0, &c.b, &hs) != 0)
		return hs;
	for (i = 0; c.a != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(c.a, types[i]) == 0)
			break;
	if (c.a != NULL && i == sizeof(types) / sizeof(types[0]))
		return invalid(w, "event_type", "one of START, RUNNING, "
		    "COMPLETE, FAIL, ABORT, OTHER (or JOB_STARTED, "
		    "JOB_COMPLETED, JOB_FAILED)");
	return answer(r, w, &c);
}

enum ods_status
h_lineage_export(struct ods_req *r, struct ods_resp *w)
{
	struct call	c = { .fn = do_events, .dir = 1 };
	enum ods_status	hs;

	if (limit_param(r, w, 100, &c.limit, &hs) != 0)
		return hs;
	return answer(r, w, &c);
}
