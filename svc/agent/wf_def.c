/*
 * svc/agent/wf_def.c — workflow definitions (wf.h): parse, validate
 * every rule and name every problem, order the graph.
 *
 * Validation collects messages rather than stopping at the first: a
 * definition drawn in the web's editor often has several mistakes and
 * the user should see them all. Messages name the node ("node 'n3'
 * (llm): config.prompt or config.input_from is required") or the edge
 * by its position ("edges[4]: target 'x' is not a node").
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "wf.h"
#include "wf_node.h"
#include "tool.h"

static const char *const type_names[ODS_WF__NTYPES] = {
	"input", "output", "llm", "retriever", "condition", "switch", "loop",
	"merge", "transform", "http", "database", "tool_call", "agent"
};

int
ods_wf_type_parse(const char *s)
{
	size_t	i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ODS_WF__NTYPES; i++)
		if (strcmp(s, type_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *
ods_wf_type_name(enum ods_wf_type t)
{
	return (unsigned)t < ODS_WF__NTYPES ? type_names[t] : "unknown";
}

/* The messages of one validation, written as a JSON array. */
struct msgs {
	struct ods_buf	*buf;		/* NULL: only counted */
	struct ods_jw	 jw;
	size_t		 n;
};

static void __attribute__((format(printf, 2, 3)))
msg(struct msgs *m, const char *fmt, ...)
{
	char	s[512];
	va_list	ap;

	if (m->n++ >= ODS_WF_MAX_ERRORS || m->buf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	ods_jw_str(&m->jw, s);
}

/* A node's prefix in messages: "node 'id' (type)". */
static void
nmsg(struct msgs *m, const struct ods_wf_node *n, const char *what)
{
	msg(m, "node '%s' (%s): %s", n->id, ods_wf_type_name(n->type),
	    what);
}

static int
id_ok(const char *s)
{
	size_t	i, len = strlen(s);

	if (len == 0 || len > ODS_WF_ID_MAX)
		return 0;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	return 1;
}

/*
 * An optional string of config: ODS_OK (*out set), ODS_ENOTFOUND, or
 * ODS_EINVAL with the message recorded.
 */
static enum ods_err
cstr(struct msgs *m, const struct ods_wf_node *n, const char *f,
    size_t maxlen, const char **out)
{
	struct ods_why	why;
	enum ods_err	er;

	*out = NULL;
	if (n->config == NULL)
		return ODS_ENOTFOUND;
	memset(&why, 0, sizeof(why));
	er = ods_json_str(n->config, f, 0, maxlen, out, &why);
	if (er == ODS_EINVAL) {
		char	s[300];

		snprintf(s, sizeof(s), "config.%s must be a string of at "
		    "most %zu bytes", f, maxlen);
		nmsg(m, n, s);
	}
	if (er == ODS_OK && **out == '\0') {
		*out = NULL;
		return ODS_ENOTFOUND;
	}
	return er;
}

static int
cint(struct msgs *m, const struct ods_wf_node *n, const char *f,
    int64_t min, int64_t max, int64_t def)
{
	struct ods_why	why;
	int64_t		v = def;
	char		s[300];

	memset(&why, 0, sizeof(why));
	if (n->config != NULL &&
	    ods_json_int(n->config, f, 0, min, max, &v, &why) == ODS_EINVAL) {
		snprintf(s, sizeof(s), "config.%s must be an integer in "
		    "%lld..%lld", f, (long long)min, (long long)max);
		nmsg(m, n, s);
		v = def;
	}
	return (int)v;
}

static int
cbool(struct msgs *m, const struct ods_wf_node *n, const char *f)
{
	struct ods_why	why;
	int		v = 0;
	char		s[300];

	memset(&why, 0, sizeof(why));
	if (n->config != NULL &&
	    ods_json_bool(n->config, f, 0, &v, &why) == ODS_EINVAL) {
		snprintf(s, sizeof(s), "config.%s must be a boolean", f);
		nmsg(m, n, s);
		v = 0;
	}
	return v;
}

static void
cnum(struct msgs *m, const struct ods_wf_node *n, const char *f,
    double min, double max)
{
	struct ods_why	why;
	double		v;
	char		s[300];

	memset(&why, 0, sizeof(why));
	if (n->config != NULL &&
	    ods_json_num(n->config, f, 0, min, max, &v, &why) == ODS_EINVAL) {
		snprintf(s, sizeof(s), "config.%s must be a number in "
		    "%g..%g", f, min, max);
		nmsg(m, n, s);
	}
}

/* A reference "node.field..." or "inputs.x" or a node id. */
static void
cref(struct msgs *m, const struct ods_wf_def *d, const struct ods_wf_node *n,
    const char *f, const char *ref)
{
	const char	*dot = strchr(ref, '.');
	size_t		 len = dot != NULL ? (size_t)(dot - ref) : strlen(ref);
	char		 s[400];

	if (len == 6 && strncmp(ref, "inputs", 6) == 0)
		return;
	if (ods_wf_def_find(d, ref, len) >= 0)
		return;
	snprintf(s, sizeof(s), "config.%s refers to '%.*s', which is not a "
	    "node", f, (int)(len > 64 ? 64 : len), ref);
	nmsg(m, n, s);
}

static void
cexpr(struct msgs *m, const struct ods_wf_node *n, const char *f,
    const char *e)
{
	struct ods_why	why;
	char		s[400];

	memset(&why, 0, sizeof(why));
	if (odsi_wf_expr_check(e, strlen(e), &why) != ODS_OK) {
		snprintf(s, sizeof(s), "config.%s: %s", f, why.msg);
		nmsg(m, n, s);
	}
}

static void
ctemplate(struct msgs *m, const struct ods_wf_node *n, const char *f,
    const char *t)
{
	struct ods_why	why;
	char		s[400];

	memset(&why, 0, sizeof(why));
	if (odsi_wf_template_check(t, strlen(t), &why) != ODS_OK) {
		snprintf(s, sizeof(s), "config.%s: %s", f, why.msg);
		nmsg(m, n, s);
	}
}

/*
 * The rules of each type's config: one case per type, read as a table
 * (hence its length).
 */
static void
check_type(struct msgs *m, const struct ods_wf_def *d,
    const struct ods_wf_node *n)
{
	struct json_object	*o;
	const char		*a = NULL, *b = NULL, *c = NULL;
	size_t			 i;

	switch (n->type) {
	case ODS_WF_INPUT:
		(void)cstr(m, n, "key", 256, &a);
		break;
	case ODS_WF_OUTPUT:
		if (cstr(m, n, "input_from", 512, &a) == ODS_OK)
			cref(m, d, n, "input_from", a);
		if (cstr(m, n, "template", 65536, &b) == ODS_OK)
			ctemplate(m, n, "template", b);
		(void)cstr(m, n, "output_key", 256, &c);
		break;
	case ODS_WF_LLM:
		if (cstr(m, n, "prompt", 65536, &a) == ODS_OK)
			ctemplate(m, n, "prompt", a);
		if (cstr(m, n, "input_from", 512, &b) == ODS_OK)
			cref(m, d, n, "input_from", b);
		if (a == NULL && b == NULL)
			nmsg(m, n, "config.prompt or config.input_from is "
			    "required");
		(void)cstr(m, n, "model", 128, &c);
		if (cstr(m, n, "system_prompt", 65536, &c) == ODS_OK)
			ctemplate(m, n, "system_prompt", c);
		cnum(m, n, "temperature", 0, 2);
		(void)cint(m, n, "max_tokens", 1, 128000, 2000);
		break;
	case ODS_WF_RETRIEVER:
		(void)cstr(m, n, "knowledge_base_id", 256, &a);
		(void)cstr(m, n, "collection", 256, &b);
		if (a == NULL && b == NULL)
			nmsg(m, n, "config.knowledge_base_id or "
			    "config.collection is required");
		if (cstr(m, n, "query_from", 512, &c) == ODS_OK)
			cref(m, d, n, "query_from", c);
		(void)cint(m, n, "top_k", 1, 50, 5);
		cnum(m, n, "score_threshold", 0, 1);
		break;
	case ODS_WF_CONDITION:
		if (cstr(m, n, "expression", 4096, &a) == ODS_OK)
			cexpr(m, n, "expression", a);
		else if (a == NULL)
			nmsg(m, n, "config.expression is required");
		break;
	case ODS_WF_SWITCH:
		if (cstr(m, n, "expression", 4096, &a) == ODS_OK)
			cexpr(m, n, "expression", a);
		else if (a == NULL)
			nmsg(m, n, "config.expression is required");
		o = ods_json_get(n->config, "cases");
		if (ods_json_kind(o) != ODS_JSON_ARRAY ||
		    ods_json_arr_len(o) == 0 || ods_json_arr_len(o) > 100)
			nmsg(m, n, "config.cases must be an array of 1..100 "
			    "strings");
		else
			for (i = 0; i < ods_json_arr_len(o); i++)
				if (ods_json_arr_str(o, i) == NULL) {
					nmsg(m, n, "config.cases must hold "
					    "strings");
					break;
				}
		break;
	case ODS_WF_LOOP:
		if (cstr(m, n, "over", 512, &a) == ODS_OK)
			cref(m, d, n, "over", a);
		else if (a == NULL)
			nmsg(m, n, "config.over (a reference to a list) is "
			    "required");
		o = ods_json_get(n->config, "template");
		(void)cstr(m, n, "expression", 4096, &b);
		if (b != NULL)
			cexpr(m, n, "expression", b);
		if (ods_json_kind(o) == ODS_JSON_STRING)
			ctemplate(m, n, "template", ods_json_string(o));
		else if (o != NULL && ods_json_kind(o) != ODS_JSON_OBJECT)
			nmsg(m, n, "config.template must be a string or an "
			    "object");
		if (o == NULL && b == NULL)
			nmsg(m, n, "config.template or config.expression is "
			    "required");
		(void)cint(m, n, "max_iterations", 1, ODS_WF_MAX_ITER, 100);
		break;
	case ODS_WF_MERGE:
		if (cstr(m, n, "mode", 16, &a) == ODS_OK &&
		    strcmp(a, "object") != 0 && strcmp(a, "list") != 0)
			nmsg(m, n, "config.mode must be \"object\" or "
			    "\"list\"");
		break;
	case ODS_WF_TRANSFORM:
		o = ods_json_get(n->config, "mapping");
		if (o != NULL && ods_json_kind(o) != ODS_JSON_OBJECT)
			nmsg(m, n, "config.mapping must be an object");
		if (cstr(m, n, "template", 65536, &a) == ODS_OK)
			ctemplate(m, n, "template", a);
		if (cstr(m, n, "pick", 512, &b) == ODS_OK)
			cref(m, d, n, "pick", b);
		if (o == NULL && a == NULL && b == NULL)
			nmsg(m, n, "config.template, config.mapping or "
			    "config.pick is required");
		break;
	case ODS_WF_HTTP:
		if (cstr(m, n, "url", 2048, &a) == ODS_OK)
			ctemplate(m, n, "url", a);
		else if (a == NULL)
			nmsg(m, n, "config.url is required");
		if (cstr(m, n, "method", 8, &b) == ODS_OK &&
		    strcmp(b, "GET") != 0 && strcmp(b, "POST") != 0)
			nmsg(m, n, "config.method must be GET or POST");
		if (cstr(m, n, "body", 65536, &c) == ODS_OK)
			ctemplate(m, n, "body", c);
		o = ods_json_get(n->config, "headers");
		if (o != NULL && ods_json_kind(o) != ODS_JSON_OBJECT)
			nmsg(m, n, "config.headers must be an object");
		break;
	case ODS_WF_DATABASE:
		if (cstr(m, n, "source_id", 64, &a) != ODS_OK && a == NULL)
			nmsg(m, n, "config.source_id is required");
		if (cstr(m, n, "sql", 65536, &b) == ODS_OK)
			ctemplate(m, n, "sql", b);
		else if (b == NULL)
			nmsg(m, n, "config.sql is required");
		(void)cint(m, n, "limit", 1, 100, 100);
		break;
	case ODS_WF_TOOL_CALL:
		if (cstr(m, n, "tool", 64, &a) != ODS_OK && a == NULL)
			(void)cstr(m, n, "tool_name", 64, &a);
		if (a == NULL)
			nmsg(m, n, "config.tool (a tool's name) is required");
		else if (ods_tool_find(a) == NULL && !id_ok(a))
			/* A stored user tool is looked up when it runs. */
			nmsg(m, n, "config.tool is not a tool's name");
		o = ods_json_get(n->config, "args");
		if (o != NULL && ods_json_kind(o) != ODS_JSON_OBJECT)
			nmsg(m, n, "config.args must be an object");
		break;
	case ODS_WF_AGENT:
		if (cstr(m, n, "query", 32768, &a) == ODS_OK)
			ctemplate(m, n, "query", a);
		if (cstr(m, n, "input_from", 512, &b) == ODS_OK)
			cref(m, d, n, "input_from", b);
		if (a == NULL && b == NULL)
			nmsg(m, n, "config.query or config.input_from is "
			    "required");
		if (cstr(m, n, "agent_type", 32, &c) == ODS_OK &&
		    strcmp(c, "function_calling") != 0 &&
		    strcmp(c, "react") != 0 && strcmp(c, "plan_execute") != 0)
			nmsg(m, n, "config.agent_type must be "
			    "function_calling, "
			    "react or plan_execute");
		(void)cint(m, n, "max_iterations", 1, 20, 5);
		break;
	default:
		break;
	}
}

/* The common config: timeouts, retries, delay, continue_on_error. */
static void
check_common(struct msgs *m, struct ods_wf_node *n)
{
	n->timeout_ms = cint(m, n, "timeout_ms", 1, ODS_WF_TIMEOUT_MAX,
	    ODS_WF_TIMEOUT_MS);
	n->retries = cint(m, n, "retries", 0, ODS_WF_RETRIES_MAX, 0);
	n->retry_delay_ms = cint(m, n, "retry_delay_ms", 0, 600000, 1000);
	n->delay_ms = cint(m, n, "delay_ms", 0, ODS_WF_DELAY_MAX, 0);
	n->continue_on_error = cbool(m, n, "continue_on_error");
}

static const struct ods_wf_def *sort_def;	/* qsort has no argument */

static int
byid_cmp(const void *a, const void *b)
{
	return strcmp(sort_def->nodes[*(const size_t *)a].id,
	    sort_def->nodes[*(const size_t *)b].id);
}

long
ods_wf_def_find(const struct ods_wf_def *d, const char *id, size_t len)
{
	size_t	lo = 0, hi = d->nnodes, mid;
	int	c;

	if (len > ODS_WF_ID_MAX || d->byid == NULL)
		return -1;
	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strncmp(d->nodes[d->byid[mid]].id, id, len);
		if (c == 0 && d->nodes[d->byid[mid]].id[len] != '\0')
			c = 1;
		if (c == 0)
			return (long)d->byid[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Nodes: ids, types, common config; the id index. */
static void
parse_nodes(struct msgs *m, struct ods_wf_def *d, struct json_object *arr)
{
	struct ods_wf_node	*n;
	struct json_object	*o, *cfg;
	const char		*id, *type;
	size_t			 i, k;
	int			 t;

	d->nnodes = ods_json_arr_len(arr);
	d->nodes = ods_xcalloc(d->nnodes + 1, sizeof(*d->nodes));
	for (i = 0; i < d->nnodes; i++) {
		n = &d->nodes[i];
		o = ods_json_arr_get(arr, i);
		if (!ods_json_is_obj(o)) {
			msg(m, "nodes[%zu] must be an object", i);
			snprintf(n->id, sizeof(n->id), "#%zu", i);
			continue;
		}
		id = ods_json_get_str(o, "id");
		if (id == NULL || !id_ok(id)) {
			msg(m, "nodes[%zu]: id must be 1..%d characters of "
			    "[A-Za-z0-9_-]", i, ODS_WF_ID_MAX);
			snprintf(n->id, sizeof(n->id), "#%zu", i);
		} else
			snprintf(n->id, sizeof(n->id), "%s", id);
		type = ods_json_get_str(o, "type");
		t = ods_wf_type_parse(type);
		if (t < 0) {
			msg(m, "node '%s': unknown type '%.64s'", n->id,
			    type != NULL ? type : "(none)");
			n->type = ODS_WF__NTYPES;
		} else
			n->type = (enum ods_wf_type)t;
		if (ods_json_get(o, "name") != NULL &&
		    (ods_json_get_str(o, "name") == NULL ||
		    strlen(ods_json_get_str(o, "name")) > 255))
			msg(m, "node '%s': name must be a string of at most "
			    "255 bytes", n->id);
		cfg = ods_json_get(o, "config");
		if (cfg != NULL && !ods_json_is_obj(cfg)) {
			msg(m, "node '%s': config must be an object", n->id);
			cfg = NULL;
		}
		n->config = cfg;
		check_common(m, n);
	}
	d->byid = ods_xcalloc(d->nnodes + 1, sizeof(*d->byid));
	for (i = 0; i < d->nnodes; i++)
		d->byid[i] = i;
	sort_def = d;
	qsort(d->byid, d->nnodes, sizeof(*d->byid), byid_cmp);
	sort_def = NULL;
	for (k = 1; k < d->nnodes; k++)
		if (d->nodes[d->byid[k]].id[0] != '#' &&
		    strcmp(d->nodes[d->byid[k]].id,
		    d->nodes[d->byid[k - 1]].id) == 0 && (k < 2 ||
		    strcmp(d->nodes[d->byid[k]].id,
		    d->nodes[d->byid[k - 2]].id) != 0))
			msg(m, "node id '%s' is used more than once",
			    d->nodes[d->byid[k]].id);
}

static long
endpoint(struct msgs *m, struct ods_wf_def *d, struct json_object *e,
    size_t i, const char *f)
{
	const char	*s = ods_json_get_str(e, f);
	long		 k;

	if (s == NULL) {
		msg(m, "edges[%zu]: %s is required", i, f);
		return -1;
	}
	k = ods_wf_def_find(d, s, strlen(s));
	if (k < 0)
		msg(m, "edges[%zu]: %s '%.64s' is not a node", i, f, s);
	return k;
}

/* The condition or branch of an edge, checked against its source. */
static void
edge_label(struct msgs *m, struct ods_wf_def *d, struct json_object *e,
    size_t i, struct ods_wf_edge *x)
{
	const struct ods_wf_node	*s = &d->nodes[x->src];
	struct json_object		*c = ods_json_get(e, "condition");
	struct json_object		*cases;
	const char			*t;
	size_t				 k;

	x->cond = -1;
	if (c != NULL) {
		t = ods_json_text(c);
		if (strcmp(t, "true") == 0 || strcmp(t, "\"true\"") == 0)
			x->cond = 1;
		else if (strcmp(t, "false") == 0 ||
		    strcmp(t, "\"false\"") == 0)
			x->cond = 0;
		else
			msg(m, "edges[%zu]: condition must be \"true\" or "
			    "\"false\"", i);
		if (s->type != ODS_WF_CONDITION)
			msg(m, "edges[%zu]: a condition on an edge from "
			    "'%s', which is not a condition node", i, s->id);
	}
	if (ods_json_get(e, "branch") == NULL)
		return;
	x->branch = ods_json_get_str(e, "branch");
	if (x->branch == NULL) {
		msg(m, "edges[%zu]: branch must be a string", i);
		return;
	}
	if (s->type != ODS_WF_SWITCH) {
		msg(m, "edges[%zu]: a branch on an edge from '%s', which is "
		    "not a switch node", i, s->id);
		return;
	}
	if (strcmp(x->branch, "default") == 0)
		return;
	cases = ods_json_get(s->config, "cases");
	for (k = 0; k < ods_json_arr_len(cases); k++)
		if (ods_json_arr_str(cases, k) != NULL &&
		    strcmp(ods_json_arr_str(cases, k), x->branch) == 0)
			return;
	msg(m, "edges[%zu]: branch '%.64s' is not one of the cases of '%s'",
	    i, x->branch, s->id);
}

static void
parse_edges(struct msgs *m, struct ods_wf_def *d, struct json_object *arr)
{
	struct json_object	*e;
	struct ods_wf_edge	*x;
	size_t			 i, ne = 0;
	long			 s, t;

	d->edges = ods_xcalloc(ods_json_arr_len(arr) + 1, sizeof(*d->edges));
	for (i = 0; i < ods_json_arr_len(arr); i++) {
		e = ods_json_arr_get(arr, i);
		if (!ods_json_is_obj(e)) {
			msg(m, "edges[%zu] must be an object", i);
			continue;
		}
		s = endpoint(m, d, e, i, "source");
		t = endpoint(m, d, e, i, "target");
		if (s < 0 || t < 0)
			continue;
		x = &d->edges[ne];
		x->src = (size_t)s;
		x->dst = (size_t)t;
		edge_label(m, d, e, i, x);
		if (d->nodes[t].type == ODS_WF_INPUT)
			msg(m, "edges[%zu]: target '%s' is an input node", i,
			    d->nodes[t].id);
		ne++;
	}
	d->nedges = ne;
}

/* in[]/out[] of each node from the edges. */
static void
link_nodes(struct ods_wf_def *d)
{
	size_t	i;

	for (i = 0; i < d->nedges; i++) {
		d->nodes[d->edges[i].src].nout++;
		d->nodes[d->edges[i].dst].nin++;
	}
	for (i = 0; i < d->nnodes; i++) {
		d->nodes[i].in = ods_xcalloc(d->nodes[i].nin + 1,
		    sizeof(size_t));
		d->nodes[i].out = ods_xcalloc(d->nodes[i].nout + 1,
		    sizeof(size_t));
		d->nodes[i].nin = d->nodes[i].nout = 0;
	}
	for (i = 0; i < d->nedges; i++) {
		struct ods_wf_node *s = &d->nodes[d->edges[i].src];
		struct ods_wf_node *t = &d->nodes[d->edges[i].dst];

		s->out[s->nout++] = i;
		t->in[t->nin++] = i;
	}
}

/*
 * Kahn's order; what remains holds a cycle. Each remaining node has a
 * remaining predecessor, so walking back from one must come round: the
 * walk names the cycle's nodes. One message per cycle found.
 */
static void
order_nodes(struct msgs *m, struct ods_wf_def *d)
{
	size_t	*deg = ods_xcalloc(d->nnodes + 1, sizeof(size_t));
	long	*walk = ods_xcalloc(d->nnodes + 1, sizeof(long));
	size_t	 i, k, head = 0, tail = 0, v, p, e = 0;
	char	 s[400];
	int	 len;

	d->order = ods_xcalloc(d->nnodes + 1, sizeof(size_t));
	for (i = 0; i < d->nnodes; i++)
		if ((deg[i] = d->nodes[i].nin) == 0)
			d->order[tail++] = i;
	while (head < tail) {
		v = d->order[head++];
		for (k = 0; k < d->nodes[v].nout; k++) {
			e = d->nodes[v].out[k];
			if (--deg[d->edges[e].dst] == 0)
				d->order[tail++] = d->edges[e].dst;
		}
	}
	for (i = 0; i < d->nnodes; i++)
		walk[i] = deg[i] == 0 ? -2 : -1;	/* -2 ordered */
	for (i = 0; i < d->nnodes && tail < d->nnodes; i++) {
		if (walk[i] != -1)
			continue;
		for (v = i; walk[v] == -1; v = p) {
			walk[v] = (long)i;
			p = v;
			for (k = 0; k < d->nodes[v].nin; k++) {
				p = d->edges[d->nodes[v].in[k]].src;
				if (walk[p] != -2)
					break;
			}
		}
		if (walk[v] != (long)i)
			continue;	/* reached an earlier walk's nodes */
		/* v is on the cycle: list it forwards from v. */
		len = snprintf(s, sizeof(s), "cycle: %s", d->nodes[v].id);
		p = v;
		do {
			for (k = 0; k < d->nodes[p].nin; k++) {
				e = d->edges[d->nodes[p].in[k]].src;
				if (walk[e] == (long)i)
					break;
			}
			p = e;
			if (len > 0 && (size_t)len < sizeof(s))
				len += snprintf(s + len, sizeof(s) - len,
				    " <- %s", d->nodes[p].id);
		} while (p != v);
		msg(m, "%s (a workflow must be acyclic)", s);
	}
	free(deg);
	free(walk);
}

/*
 * Walking back from v takes the first remaining predecessor, so the
 * loop above visits each node once; "p <- q" reads "p depends on q".
 */

static void
check_graph(struct msgs *m, struct ods_wf_def *d)
{
	size_t	i, ninput = 0;

	for (i = 0; i < d->nnodes; i++) {
		if (d->nodes[i].type == ODS_WF_INPUT)
			ninput++;
		else if (d->nnodes > 1 && d->nodes[i].nin == 0 &&
		    d->nodes[i].nout == 0 && d->nodes[i].type < ODS_WF__NTYPES)
			msg(m, "node '%s' is not connected to any edge",
			    d->nodes[i].id);
	}
	if (ninput == 0)
		msg(m, "at least one node of type input is required");
	for (i = 0; i < d->nnodes; i++)
		if (d->nodes[i].type < ODS_WF__NTYPES)
			check_type(m, d, &d->nodes[i]);
}

static enum ods_err
parse(const char *s, size_t len, struct ods_wf_def **out,
    struct msgs *m)
{
	struct ods_wf_def	*d;
	struct json_object	*nodes, *edges;
	struct ods_why		 why;
	const char		*v;
	enum ods_err		 er;

	*out = NULL;
	if (len > ODS_WF_MAX_DEF) {
		msg(m, "the definition is larger than %zu bytes",
		    ODS_WF_MAX_DEF);
		return ODS_ETOOBIG;
	}
	d = ods_xcalloc(1, sizeof(*d));
	memset(&why, 0, sizeof(why));
	er = ods_json_parse(s, len, 64, &d->root, &why);
	if (er != ODS_OK) {
		msg(m, "definition: %s", why.msg[0] ? why.msg :
		    "invalid JSON");
		ods_wf_def_free(d);
		return er == ODS_ENOMEM ? er : ODS_EINVAL;
	}
	if (!ods_json_is_obj(d->root)) {
		msg(m, "the definition must be a JSON object");
		ods_wf_def_free(d);
		return ODS_EINVAL;
	}
	v = ods_json_get_str(d->root, "version");
	if (v == NULL || strcmp(v, "1.0") != 0)
		msg(m, "version must be \"1.0\"");
	nodes = ods_json_get(d->root, "nodes");
	edges = ods_json_get(d->root, "edges");
	if (ods_json_kind(nodes) != ODS_JSON_ARRAY ||
	    ods_json_arr_len(nodes) == 0)
		msg(m, "nodes must be a non-empty array");
	else if (ods_json_arr_len(nodes) > ODS_WF_MAX_NODES)
		msg(m, "at most %d nodes (%zu given)", ODS_WF_MAX_NODES,
		    ods_json_arr_len(nodes));
	else
		parse_nodes(m, d, nodes);
	if (edges != NULL && ods_json_kind(edges) != ODS_JSON_ARRAY)
		msg(m, "edges must be an array");
	else if (ods_json_arr_len(edges) > ODS_WF_MAX_EDGES)
		msg(m, "at most %d edges (%zu given)", ODS_WF_MAX_EDGES,
		    ods_json_arr_len(edges));
	else if (d->nodes != NULL)
		parse_edges(m, d, edges);
	if (d->nodes != NULL) {
		link_nodes(d);
		order_nodes(m, d);
		check_graph(m, d);
	}
	if (m->n > 0) {
		ods_wf_def_free(d);
		return ODS_EINVAL;
	}
	*out = d;
	return ODS_OK;
}

enum ods_err
ods_wf_def_parse(const char *s, size_t len, struct ods_wf_def **out,
    struct ods_buf *errors)
{
	struct msgs	m;
	enum ods_err	er;

	memset(&m, 0, sizeof(m));
	m.buf = errors;
	if (errors != NULL) {
		ods_buf_reset(errors);
		ods_jw_init(&m.jw, errors);
		ods_jw_arr(&m.jw);
	}
	er = parse(s, len, out, &m);
	if (m.n > ODS_WF_MAX_ERRORS && errors != NULL) {
		char	t[64];

		snprintf(t, sizeof(t), "... and %zu more problems",
		    m.n - ODS_WF_MAX_ERRORS);
		ods_jw_str(&m.jw, t);
	}
	if (errors != NULL)
		ods_jw_end(&m.jw);
	return er;
}

enum ods_err
ods_wf_validate(const char *s, size_t len, struct ods_buf *errors)
{
	struct ods_wf_def	*d = NULL;
	enum ods_err		 er;

	er = ods_wf_def_parse(s, len, &d, errors);
	ods_wf_def_free(d);
	return er;
}

/* Whether name is an enabled user tool (ODS_ENOTFOUND if not). */
static enum ods_err
user_tool(struct ods_db *db, const char *name)
{
	struct ods_db_arg	 a = ods_db_text(name);
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;

	er = ods_db_query_once(db, "SELECT 1 FROM tools WHERE name = ? AND "
	    "enabled = 1 AND tool_type = 'http'", &a, 1, 1, &res);
	if (er == ODS_OK && ods_db_res_nrows(res) == 0)
		er = ODS_ENOTFOUND;
	ods_db_res_free(res);
	return er;
}

enum ods_err
ods_wf_check_tools(struct ods_db *db, const char *s, size_t len,
    struct ods_buf *errors)
{
	struct ods_wf_def	*d = NULL;
	const char		*name;
	struct msgs		 m;
	size_t			 i;
	enum ods_err		 er;

	if ((er = ods_wf_def_parse(s, len, &d, errors)) != ODS_OK)
		return er;
	memset(&m, 0, sizeof(m));
	m.buf = errors;
	if (errors != NULL) {
		/* Reopen the array ods_wf_def_parse closed ("[]"). */
		ods_buf_reset(errors);
		ods_jw_init(&m.jw, errors);
		ods_jw_arr(&m.jw);
	}
	for (i = 0; i < d->nnodes && er == ODS_OK; i++) {
		if (d->nodes[i].type != ODS_WF_TOOL_CALL)
			continue;
		name = ods_json_get_str(d->nodes[i].config, "tool");
		if (name == NULL || *name == '\0')
			name = ods_json_get_str(d->nodes[i].config,
			    "tool_name");
		if (name == NULL || ods_tool_find(name) != NULL)
			continue;
		er = user_tool(db, name);
		if (er == ODS_ENOTFOUND) {
			nmsg(&m, &d->nodes[i], "config.tool names no built-in "
			    "or enabled user tool");
			er = ODS_OK;
		}
	}
	if (errors != NULL)
		ods_jw_end(&m.jw);
	ods_wf_def_free(d);
	if (er == ODS_OK && m.n > 0)
		er = ODS_EINVAL;
	return er;
}

void
ods_wf_def_free(struct ods_wf_def *d)
{
	size_t	i;

	if (d == NULL)
		return;
	for (i = 0; d->nodes != NULL && i < d->nnodes; i++) {
		free(d->nodes[i].in);
		free(d->nodes[i].out);
	}
	free(d->nodes);
	free(d->edges);
	free(d->order);
	free(d->byid);
	ods_json_put(d->root);
	free(d);
}

const char *
ods_wf_builtin_rag(void)
{
	return "{\"version\":\"1.0\",\"nodes\":["
	    "{\"id\":\"input\",\"type\":\"input\",\"name\":\"Input\","
	    "\"config\":{\"key\":\"query\"}},"
	    "{\"id\":\"retriever\",\"type\":\"retriever\",\"name\":"
	    "\"Retriever\",\"config\":{\"knowledge_base_id\":"
	    "\"{{ inputs.knowledge_base_id }}\",\"query_from\":\"input.value\","
	    "\"top_k\":5}},"
	    "{\"id\":\"llm\",\"type\":\"llm\",\"name\":\"LLM\",\"config\":"
	    "{\"system_prompt\":\"Answer the question from the passages "
	    "below; say so when they do not hold the answer.\\n\\n"
	    "{{ retriever.text }}\",\"prompt\":\"{{ input.value }}\"}},"
	    "{\"id\":\"output\",\"type\":\"output\",\"name\":\"Output\","
	    "\"config\":{\"input_from\":\"llm.output\"}}],"
	    "\"edges\":[{\"source\":\"input\",\"target\":\"retriever\"},"
	    "{\"source\":\"retriever\",\"target\":\"llm\"},"
	    "{\"source\":\"llm\",\"target\":\"output\"}]}";
}
