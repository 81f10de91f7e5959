/*
 * svc/agent/wf_node.c — the node types that compute (wf_node.h): input,
 * output, condition, switch, loop, merge, transform. Each writes its
 * output object into the task's writer; values come from the task's
 * scope through the expression language (wf_expr.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "wf_node.h"

static const wf_node_fn fns[ODS_WF__NTYPES] = {
	[ODS_WF_INPUT] = odsi_wf_n_input,
	[ODS_WF_OUTPUT] = odsi_wf_n_output,
	[ODS_WF_LLM] = odsi_wf_n_llm,
	[ODS_WF_RETRIEVER] = odsi_wf_n_retriever,
	[ODS_WF_CONDITION] = odsi_wf_n_condition,
	[ODS_WF_SWITCH] = odsi_wf_n_switch,
	[ODS_WF_LOOP] = odsi_wf_n_loop,
	[ODS_WF_MERGE] = odsi_wf_n_merge,
	[ODS_WF_TRANSFORM] = odsi_wf_n_transform,
	[ODS_WF_HTTP] = odsi_wf_n_http,
	[ODS_WF_DATABASE] = odsi_wf_n_database,
	[ODS_WF_TOOL_CALL] = odsi_wf_n_tool_call,
	[ODS_WF_AGENT] = odsi_wf_n_agent,
};

wf_node_fn
odsi_wf_node_fn(int type)
{
	return type >= 0 && type < ODS_WF__NTYPES ? fns[type] : NULL;
}

static const char *
cfg(const struct wf_task *t, const char *key)
{
	const char	*s = ods_json_get_str(t->node->config, key);

	return s != NULL && *s != '\0' ? s : NULL;
}

/* A value into jw as JSON (NULL: null). */
static void
raw(struct ods_jw *jw, struct json_object *v)
{
	const char	*s;

	if (v == NULL) {
		ods_jw_null(jw);
		return;
	}
	s = ods_json_text(v);
	ods_jw_raw(jw, s, strlen(s));
}

static enum ods_err
eval(struct wf_task *t, const char *src, struct json_object **out)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_expr_eval(src, &t->scope, out, &why);
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "expression: %s", why.msg[0] ?
		    why.msg : ods_strerror(er));
	return er;
}

static enum ods_err
render_json(struct wf_task *t, struct json_object *tmpl,
    struct json_object **out)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(&why, 0, sizeof(why));
	er = ods_wf_render_json(tmpl, &t->scope, out, &why);
	if (er != ODS_OK)
		(void)odsi_wf_tfail(t, er, "template: %s", why.msg[0] ?
		    why.msg : ods_strerror(er));
	return er;
}

/*
 * input: inputs[config.key] (default "input"), falling back to
 * inputs.query: {value}.
 */
enum ods_err
odsi_wf_n_input(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*in = t->scope.lookup(t, "inputs", 6);
	struct json_object	*v;
	const char		*key = cfg(t, "key");

	v = ods_json_get(in, key != NULL ? key : "input");
	if (v == NULL)
		v = ods_json_get(in, "query");
	ods_jw_obj(jw);
	ods_jw_key(jw, "value");
	raw(jw, v);
	ods_jw_end(jw);
	return ODS_OK;
}

/*
 * The first predecessor that ran, for nodes that take "the previous
 * node's output" when their config names none.
 */
static const char *
first_pred(struct wf_task *t)
{
	size_t	k;

	for (k = 0; k < t->node->nin; k++) {
		const char *id = t->def->nodes[
		    t->def->edges[t->node->in[k]].src].id;

		if (t->scope.lookup(t, id, strlen(id)) != NULL)
			return id;
	}
	return NULL;
}

/*
 * output: input_from (a reference), template (a string), or the
 * previous node's "output" field (its whole output without one):
 * {output, final_result}.
 */
enum ods_err
odsi_wf_n_output(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*v = NULL, *p;
	const char		*from = cfg(t, "input_from");
	const char		*tmpl = cfg(t, "template");
	struct ods_buf		 b;
	enum ods_err		 er = ODS_OK;

	ods_buf_init(&b, ODS_WF_TMPL_MAX);
	if (tmpl != NULL)
		er = odsi_wf_render(t, tmpl, &b);
	else if (from != NULL)
		er = odsi_wf_ref(t, from, &v);
	else if ((from = first_pred(t)) != NULL) {
		p = t->scope.lookup(t, from, strlen(from));
		v = ods_json_get(p, "output") != NULL ?
		    ods_json_get(p, "output") : p;
		if (ods_wf_pick(v, "", &v, NULL) != ODS_OK)
			v = NULL;
	}
	if (er == ODS_OK) {
		ods_jw_obj(jw);
		ods_jw_key(jw, "output");
		if (tmpl != NULL)
			ods_jw_strn(jw, b.data ? b.data : "", b.len);
		else
			raw(jw, v);
		ods_jw_key(jw, "final_result");
		if (tmpl != NULL)
			ods_jw_strn(jw, b.data ? b.data : "", b.len);
		else
			raw(jw, v);
		ods_jw_end(jw);
	}
	ods_json_put(v);
	ods_buf_free(&b);
	return er;
}

/* condition: {result: bool} (edges "true" / "false" follow it). */
enum ods_err
odsi_wf_n_condition(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*v = NULL;
	enum ods_err		 er;

	if ((er = eval(t, cfg(t, "expression"), &v)) != ODS_OK)
		return er;
	t->cond = ods_wf_truthy(v) ? 1 : 0;
	ods_json_put(v);
	ods_jw_obj(jw);
	ods_jw_kbool(jw, "result", t->cond);
	ods_jw_end(jw);
	return ODS_OK;
}

/*
 * switch: the expression's value; branch the case equal to its text, or
 * "default": {value, branch}.
 */
enum ods_err
odsi_wf_n_switch(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*v = NULL;
	struct json_object	*cases = ods_json_get(t->node->config, "cases");
	const char		*text, *c, *branch = "default";
	size_t			 k;
	enum ods_err		 er;

	if ((er = eval(t, cfg(t, "expression"), &v)) != ODS_OK)
		return er;
	text = odsi_wf_value_text(v);
	for (k = 0; k < ods_json_arr_len(cases); k++)
		if ((c = ods_json_arr_str(cases, k)) != NULL &&
		    strcmp(c, text) == 0) {
			branch = c;
			break;
		}
	t->branch = ods_xstrdup(branch);
	ods_jw_obj(jw);
	ods_jw_key(jw, "value");
	raw(jw, v);
	ods_jw_kstr(jw, "branch", branch);
	ods_jw_end(jw);
	ods_json_put(v);
	return ODS_OK;
}

/*
 * loop: a bounded map. config.over names a list (a reference); each item
 * (with its index) goes through config.template (a string rendered, or
 * an object rendered as JSON) or config.expression: {items, count}. A
 * list longer than max_iterations (default 100, at most 1000) is an
 * error rather than a silent cut. An item that is JSON null is not a
 * name the scope resolves (json-c's null is no object): default(item,
 * ...) reads it.
 */
enum ods_err
odsi_wf_n_loop(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*list = NULL, *tmpl, *v, *hold = NULL;
	const char		*expr = cfg(t, "expression");
	struct ods_buf		 b;
	struct ods_why		 why;
	int64_t			 max = 100;
	size_t			 i, n;
	char			 num[32];
	enum ods_err		 er;

	(void)ods_json_int(t->node->config, "max_iterations", 0, 1,
	    ODS_WF_MAX_ITER, &max, &why);
	if ((er = odsi_wf_ref(t, cfg(t, "over"), &list)) != ODS_OK)
		return er;
	if (ods_json_kind(list) != ODS_JSON_ARRAY) {
		ods_json_put(list);
		return odsi_wf_tfail(t, ODS_EINVAL, "%s is not a list",
		    cfg(t, "over"));
	}
	n = ods_json_arr_len(list);
	if (n > (size_t)max) {
		ods_json_put(list);
		return odsi_wf_tfail(t, ODS_EINVAL, "%zu items, more than "
		    "max_iterations (%lld)", n, (long long)max);
	}
	tmpl = ods_json_get(t->node->config, "template");
	ods_buf_init(&b, ODS_WF_TMPL_MAX);
	ods_jw_obj(jw);
	ods_jw_key(jw, "items");
	ods_jw_arr(jw);
	for (i = 0; i < n && er == ODS_OK; i++) {
		if (odsi_wf_task_stopping(t)) {
			er = ODS_ETIMEOUT;
			break;
		}
		ods_json_put(t->item);
		ods_json_put(t->index);
		t->item = t->index = NULL;
		if (ods_wf_pick(ods_json_arr_get(list, i), "", &t->item,
		    NULL) != ODS_OK)
			t->item = NULL;
		/* A bare number does not end for the parser: in a list. */
		snprintf(num, sizeof(num), "[%zu]", i);
		if (ods_json_parse(num, strlen(num), 0, &hold, NULL) !=
		    ODS_OK || ods_wf_pick(hold, "[0]", &t->index, NULL) !=
		    ODS_OK)
			t->index = NULL;
		ods_json_put(hold);
		hold = NULL;
		v = NULL;
		if (ods_json_kind(tmpl) == ODS_JSON_STRING) {
			ods_buf_reset(&b);
			if ((er = odsi_wf_render(t, ods_json_string(tmpl),
			    &b)) == ODS_OK)
				ods_jw_strn(jw, b.data ? b.data : "", b.len);
			continue;
		}
		if (tmpl != NULL)
			er = render_json(t, tmpl, &v);
		else
			er = eval(t, expr, &v);
		if (er == ODS_OK)
			raw(jw, v);
		ods_json_put(v);
	}
	ods_jw_end(jw);
	ods_jw_kint(jw, "count", (int64_t)n);
	ods_jw_end(jw);
	ods_buf_free(&b);
	ods_json_put(list);
	return er;
}

/*
 * merge: the outputs of the predecessors that ran, as an object by node
 * id (mode "object", the default) or a list: {merged}.
 */
enum ods_err
odsi_wf_n_merge(struct wf_task *t, struct ods_jw *jw)
{
	const char		*mode = cfg(t, "mode");
	int			 list;
	struct json_object	*v;
	const char		*id;
	size_t			 k;

	list = mode != NULL && strcmp(mode, "list") == 0;
	ods_jw_obj(jw);
	ods_jw_key(jw, "merged");
	if (list)
		ods_jw_arr(jw);
	else
		ods_jw_obj(jw);
	for (k = 0; k < t->node->nin; k++) {
		id = t->def->nodes[t->def->edges[t->node->in[k]].src].id;
		if ((v = t->scope.lookup(t, id, strlen(id))) == NULL)
			continue;	/* skipped */
		if (!list)
			ods_jw_key(jw, id);
		raw(jw, v);
	}
	ods_jw_end(jw);
	ods_jw_end(jw);
	return ODS_OK;
}

/*
 * transform: config.template (a string: {result: text}), mapping (an
 * object rendered as JSON: {result: object}) or pick (a reference:
 * {result: its value}).
 */
enum ods_err
odsi_wf_n_transform(struct wf_task *t, struct ods_jw *jw)
{
	struct json_object	*map = ods_json_get(t->node->config, "mapping");
	struct json_object	*v = NULL;
	const char		*tmpl = cfg(t, "template");
	struct ods_buf		 b;
	enum ods_err		 er;

	if (map != NULL)
		er = render_json(t, map, &v);
	else if (tmpl == NULL)
		er = odsi_wf_ref(t, cfg(t, "pick"), &v);
	else {
		ods_buf_init(&b, ODS_WF_TMPL_MAX);
		if ((er = odsi_wf_render(t, tmpl, &b)) == ODS_OK) {
			ods_jw_obj(jw);
			ods_jw_key(jw, "result");
			ods_jw_strn(jw, b.data ? b.data : "", b.len);
			ods_jw_end(jw);
		}
		ods_buf_free(&b);
		return er;
	}
	if (er == ODS_OK) {
		ods_jw_obj(jw);
		ods_jw_key(jw, "result");
		raw(jw, v);
		ods_jw_end(jw);
	}
	ods_json_put(v);
	return er;
}
