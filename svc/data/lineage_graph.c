/*
 * svc/data/lineage_graph.c — reading the lineage graph (lineage.h): walks
 * over lineage_edges breadth-first, one query per depth level (the level's
 * nodes go to the server as one JSON array, read by JSON_TABLE), never
 * visiting a node twice, so cycles end; a depth limit and a node cap
 * (truncated) bound every walk. The answers of the web's and the
 * reference's routes are written from the one walk.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "store/ods_db.h"
#include "lineage.h"

#define LEVEL_ROWS	5000	/* edges read per level, at most */
#define EDGES_MAX	5000
#define STARTS_MAX	100

struct node {
	char	*ns, *name, *type;
	int	 depth;		/* 0: a start */
	int	 dir;		/* -1 reached walking up, 1 down, 0 start */
	size_t	 parent;	/* the node it was reached from */
	char	*transformation;/* of the edge that reached it */
};

struct edge {
	int64_t	 id;
	size_t	 src, dst;
	int	 dir;
	char	*edge_type, *transformation, *job, *run;
};

struct graph {
	struct node	*n;
	size_t		 nn, ncap;
	struct edge	*e;
	size_t		 ne, ecap;
	size_t		 max_nodes;
	int		 truncated;
	int		 nomem;
};

static char *
dup(struct graph *g, const char *s)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = strdup(s)) == NULL)
		g->nomem = 1;
	return d;
}

static void
graph_free(struct graph *g)
{
	size_t	i;

	for (i = 0; i < g->nn; i++) {
		free(g->n[i].ns);
		free(g->n[i].name);
		free(g->n[i].type);
		free(g->n[i].transformation);
	}
	for (i = 0; i < g->ne; i++) {
		free(g->e[i].edge_type);
		free(g->e[i].transformation);
		free(g->e[i].job);
		free(g->e[i].run);
	}
	free(g->n);
	free(g->e);
	memset(g, 0, sizeof(*g));
}

static size_t
node_find(const struct graph *g, const char *ns, const char *name)
{
	size_t	i;

	for (i = 0; i < g->nn; i++)
		if (strcmp(g->n[i].name, name) == 0 &&
		    strcmp(g->n[i].ns, ns) == 0)
			return i;
	return (size_t)-1;
}

/* The node's index, added when new (-1: over the cap, or no memory). */
static size_t
node_add(struct graph *g, const char *ns, const char *name,
    const char *type, int depth, int dir, size_t parent, const char *tr,
    int *added)
{
	struct node	*nn;
	size_t		 i, cap;

	*added = 0;
	if ((i = node_find(g, ns, name)) != (size_t)-1)
		return i;
	if (g->nn >= g->max_nodes) {
		g->truncated = 1;
		return (size_t)-1;
	}
	if (g->nn == g->ncap) {
		cap = g->ncap == 0 ? 16 : g->ncap * 2;
		if ((nn = reallocarray(g->n, cap, sizeof(*nn))) == NULL) {
			g->nomem = 1;
			return (size_t)-1;
		}
		g->n = nn;
		g->ncap = cap;
	}
	nn = &g->n[g->nn];
	memset(nn, 0, sizeof(*nn));
	nn->ns = dup(g, ns);
	nn->name = dup(g, name);
	nn->type = dup(g, type != NULL ? type : "table");
	nn->transformation = dup(g, tr);
	nn->depth = depth;
	nn->dir = dir;
	nn->parent = parent;
	if (g->nomem)
		return (size_t)-1;
	*added = 1;
	return g->nn++;
}

static void
edge_add(struct graph *g, const struct ods_db_res *res, size_t row,
    size_t src, size_t dst, int dir)
{
	struct edge	*ne;
	int64_t		 id;
	size_t		 i, cap;

	if (ods_db_res_int(res, row, 0, &id) != ODS_OK)
		return;
	for (i = 0; i < g->ne; i++)
		if (g->e[i].id == id)
			return;
	if (g->ne >= EDGES_MAX) {
		g->truncated = 1;
		return;
	}
	if (g->ne == g->ecap) {
		cap = g->ecap == 0 ? 16 : g->ecap * 2;
		if ((ne = reallocarray(g->e, cap, sizeof(*ne))) == NULL) {
			g->nomem = 1;
			return;
		}
		g->e = ne;
		g->ecap = cap;
	}
	ne = &g->e[g->ne++];
	memset(ne, 0, sizeof(*ne));
	ne->id = id;
	ne->src = src;
	ne->dst = dst;
	ne->dir = dir;
	ne->edge_type = dup(g, ods_db_res_text(res, row, 7, NULL));
	ne->transformation = dup(g, ods_db_res_text(res, row, 8, NULL));
	ne->job = dup(g, ods_db_res_text(res, row, 9, NULL));
	ne->run = dup(g, ods_db_res_text(res, row, 10, NULL));
}

/* [[ns, name], ...] of the nodes [from, to) that reached depth. */
static enum ods_err
frontier(const struct graph *g, size_t from, size_t to, int dir,
    struct ods_buf *b)
{
	struct ods_jw	jw;
	size_t		i;

	ods_buf_reset(b);
	ods_jw_init(&jw, b);
	ods_jw_arr(&jw);
	for (i = from; i < to; i++) {
		if (g->n[i].dir != 0 && g->n[i].dir != dir)
			continue;
		ods_jw_arr(&jw);
		ods_jw_str(&jw, g->n[i].ns);
		ods_jw_str(&jw, g->n[i].name);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	return ods_jw_error(&jw);
}

/* One level in one direction: the edges out of (dir 1) or into the level. */
static enum ods_err
level(struct ods_db *db, struct graph *g, const struct ods_buf *front,
    int dir, int columns, int depth)
{
	struct ods_db_arg	 a[2];
	struct ods_db_res	*res = NULL;
	enum ods_err		 er;
	size_t			 i, n, from, to;
	int			 added, far;

	a[0] = ods_db_textn(front->data, front->len);
	a[1] = ods_db_int(columns);
	if (dir > 0)
		er = ods_db_query_once(db, "SELECT e.id, e.source_namespace, "
		    "e.source_name, e.source_type, e.target_namespace, "
		    "e.target_name, e.target_type, e.edge_type, "
		    "e.transformation, e.job_name, e.run_id FROM JSON_TABLE(?, "
		    "'$[*]' COLUMNS (ns VARCHAR(128) PATH '$[0]', nm "
		    "VARCHAR(255) PATH '$[1]')) f JOIN lineage_edges e ON "
		    "e.source_namespace = f.ns AND e.source_name = f.nm WHERE "
		    "(e.edge_type = 'column_flow') = ? ORDER BY e.id", a, 2,
		    LEVEL_ROWS, &res);
	else
		er = ods_db_query_once(db, "SELECT e.id, e.source_namespace, "
		    "e.source_name, e.source_type, e.target_namespace, "
		    "e.target_name, e.target_type, e.edge_type, "
		    "e.transformation, e.job_name, e.run_id FROM JSON_TABLE(?, "
		    "'$[*]' COLUMNS (ns VARCHAR(128) PATH '$[0]', nm "
		    "VARCHAR(255) PATH '$[1]')) f JOIN lineage_edges e ON "
		    "e.target_namespace = f.ns AND e.target_name = f.nm WHERE "
		    "(e.edge_type = 'column_flow') = ? ORDER BY e.id", a, 2,
		    LEVEL_ROWS, &res);
	if (er != ODS_OK)
		return er;
	if (ods_db_res_truncated(res))
		g->truncated = 1;
	n = ods_db_res_nrows(res);
	/* Near side: columns 1-3 walking down, 4-6 walking up. */
	far = dir > 0 ? 4 : 1;
	for (i = 0; i < n && !g->nomem; i++) {
		from = node_find(g, ods_db_res_text(res, i, 5 - far, NULL),
		    ods_db_res_text(res, i, 6 - far, NULL));
		if (from == (size_t)-1)
			continue;
		to = node_add(g, ods_db_res_text(res, i, far, NULL),
		    ods_db_res_text(res, i, far + 1, NULL),
		    ods_db_res_text(res, i, far + 2, NULL), depth, dir, from,
		    ods_db_res_text(res, i, 8, NULL), &added);
		if (to == (size_t)-1)
			continue;
		if (dir > 0)
			edge_add(g, res, i, from, to, dir);
		else
			edge_add(g, res, i, to, from, dir);
	}
	ods_db_res_free(res);
	return g->nomem ? ODS_ENOMEM : ODS_OK;
}

/*
 * Walk from the nodes already in g (the starts) up (dir -1), down (1) or
 * both (0), until max_depth, a level with nothing new, or stop (a node
 * the caller looks for: path) is reached.
 */
static enum ods_err
walk(struct ods_db *db, struct graph *g, int dir, int columns,
    int max_depth, const char *stop_ns, const char *stop_name)
{
	struct ods_buf	b;
	enum ods_err	er = ODS_OK;
	size_t		from = 0, to;
	int		d, k;

	ods_buf_init(&b, 8u << 20);
	for (d = 1; d <= max_depth && from < g->nn; d++) {
		to = g->nn;
		for (k = -1; k <= 1 && er == ODS_OK; k += 2) {
			if (dir != 0 && dir != k)
				continue;
			if ((er = frontier(g, from, to, k, &b)) == ODS_OK)
				er = level(db, g, &b, k, columns, d);
		}
		if (er != ODS_OK)
			break;
		from = to;
		if (stop_name != NULL && node_find(g, stop_ns, stop_name) !=
		    (size_t)-1)
			break;
	}
	ods_buf_free(&b);
	return er;
}

/* The last dotted part of s. */
static const char *
base_of(const char *s)
{
	const char	*p = strrchr(s, '.');

	return p == NULL ? s : p + 1;
}

/*
 * The start nodes of the web's routes: the tables named name (its last
 * part when it has no '.', exactly when it has), of any namespace; with
 * column, the columns "name.column" (or "*.name.column").
 */
static enum ods_err
starts(struct ods_db *db, struct graph *g, const char *name,
    const char *column)
{
	struct ods_db_arg	 a[12];
	struct ods_db_res	*res = NULL;
	struct ods_buf		 exact, suffix;
	enum ods_err		 er;
	size_t			 i, n;
	int			 added;

	ods_buf_init(&exact, 1024);
	ods_buf_init(&suffix, 1024);
	if (column != NULL)
		er = ods_buf_addf(&exact, "%s.%s", name, column);
	else
		er = ods_buf_addf(&exact, "%s", name);
	if (er == ODS_OK && strchr(name, '.') == NULL)
		er = ods_buf_addf(&suffix, ".%s", exact.data);
	if (er == ODS_OK && suffix.data == NULL)
		er = ods_buf_add(&suffix, "", 0);
	if (er != ODS_OK)
		goto out;
	a[0] = ods_db_text(column != NULL ? column : base_of(name));
	a[1] = ods_db_text(exact.data);
	a[2] = ods_db_text(suffix.data);
	a[3] = ods_db_text(suffix.data);
	a[4] = ods_db_text(suffix.data);
	a[5] = ods_db_int(column != NULL);
	for (i = 0; i < 6; i++)
		a[6 + i] = a[i];
	er = ods_db_query_once(db, "SELECT ns, name, type FROM (SELECT "
	    "source_namespace ns, source_name name, source_type type FROM "
	    "lineage_edges WHERE source_base = ? AND (source_name = ? OR (? "
	    "<> '' AND RIGHT(source_name, CHAR_LENGTH(?)) = ?)) AND "
	    "(source_type = 'column') = ? UNION SELECT target_namespace, "
	    "target_name, target_type FROM lineage_edges WHERE target_base = "
	    "? AND (target_name = ? OR (? <> '' AND RIGHT(target_name, "
	    "CHAR_LENGTH(?)) = ?)) AND (target_type = 'column') = ?) x "
	    "ORDER BY ns, name", a, 12, STARTS_MAX, &res);
	if (er != ODS_OK)
		goto out;
	n = ods_db_res_nrows(res);
	for (i = 0; i < n; i++)
		(void)node_add(g, ods_db_res_text(res, i, 0, NULL),
		    ods_db_res_text(res, i, 1, NULL), ods_db_res_text(res, i, 2,
		    NULL), 0, 0, (size_t)-1, NULL, &added);
	ods_db_res_free(res);
	er = g->nomem ? ODS_ENOMEM : ODS_OK;
out:
	ods_buf_free(&exact);
	ods_buf_free(&suffix);
	return er;
}

static void
node_id(struct ods_buf *b, const struct node *n)
{
	ods_buf_reset(b);
	if (ods_buf_addf(b, "%s:%s", n->ns, n->name) != ODS_OK)
		ods_buf_reset(b);
}

static void
node_json(struct ods_jw *jw, const struct node *n, struct ods_buf *id)
{
	const char	*dot, *dot2;

	node_id(id, n);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", id->data);
	ods_jw_kstr(jw, "type", n->type);
	ods_jw_kstr(jw, "name", n->name);
	if ((dot = strchr(n->name, '.')) != NULL &&
	    strcmp(n->type, "dataset") != 0) {
		ods_jw_key(jw, "database");
		ods_jw_strn(jw, n->name, (size_t)(dot - n->name));
		dot2 = strchr(dot + 1, '.');
		if (dot2 != NULL && strcmp(n->type, "column") != 0) {
			ods_jw_key(jw, "schema");
			ods_jw_strn(jw, dot + 1, (size_t)(dot2 - dot - 1));
		}
	}
	ods_jw_kstr(jw, "source_type", n->ns);
	ods_jw_key(jw, "properties");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "namespace", n->ns);
	ods_jw_kint(jw, "depth", n->depth);
	ods_jw_kstr(jw, "direction", n->dir < 0 ? "upstream" : n->dir > 0 ?
	    "downstream" : "root");
	ods_jw_end(jw);
	ods_jw_end(jw);
}

static void
edge_json(struct ods_jw *jw, const struct graph *g, const struct edge *e,
    struct ods_buf *id)
{
	char	eid[32];

	snprintf(eid, sizeof(eid), "e%lld", (long long)e->id);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "id", eid);
	node_id(id, &g->n[e->src]);
	ods_jw_kstr(jw, "source", id->data);
	node_id(id, &g->n[e->dst]);
	ods_jw_kstr(jw, "target", id->data);
	ods_jw_kstr(jw, "type", e->dir < 0 ? "upstream" : "downstream");
	ods_jw_key(jw, "properties");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "edge_type", e->edge_type);
	ods_jw_kstr(jw, "transformation", e->transformation);
	ods_jw_kstr(jw, "job_name", e->job);
	ods_jw_kstr(jw, "run_id", e->run);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

/* {nodes, edges, truncated} of g. */
static void
graph_json(struct ods_jw *jw, const struct graph *g)
{
	struct ods_buf	id;
	size_t		i;

	ods_buf_init(&id, 4096);
	ods_jw_key(jw, "nodes");
	ods_jw_arr(jw);
	for (i = 0; i < g->nn; i++)
		node_json(jw, &g->n[i], &id);
	ods_jw_end(jw);
	ods_jw_key(jw, "edges");
	ods_jw_arr(jw);
	for (i = 0; i < g->ne; i++)
		edge_json(jw, g, &g->e[i], &id);
	ods_jw_end(jw);
	ods_jw_kbool(jw, "truncated", g->truncated);
	ods_buf_free(&id);
}

static void
graph_init(struct graph *g, size_t max_nodes)
{
	memset(g, 0, sizeof(*g));
	g->max_nodes = max_nodes == 0 || max_nodes > ODS_LINEAGE_NODES_MAX ?
	    ODS_LINEAGE_NODES_MAX : max_nodes;
}

enum ods_err
ods_lineage_graph(struct ods_db *db, const struct ods_lineage_query *q,
    struct ods_jw *jw)
{
	struct graph	g;
	enum ods_err	er;

	graph_init(&g, q->max_nodes);
	if ((er = starts(db, &g, q->name, q->column)) == ODS_OK)
		er = walk(db, &g, 0, q->column != NULL, q->depth, NULL, NULL);
	if (er == ODS_OK) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "table_name", q->name);
		if (q->column != NULL)
			ods_jw_kstr(jw, "column_name", q->column);
		ods_jw_kint(jw, "depth", q->depth);
		graph_json(jw, &g);
		ods_jw_end(jw);
	}
	graph_free(&g);
	return er;
}

/* The reference's node: {fqn, namespace, name, type, depth, ...}. */
static void
ref_json(struct ods_jw *jw, const struct node *n, struct ods_buf *id)
{
	ods_buf_reset(id);
	if (ods_buf_addf(id, "%s.%s", n->ns, n->name) != ODS_OK)
		ods_buf_reset(id);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "fqn", id->data);
	ods_jw_kstr(jw, "namespace", n->ns);
	ods_jw_kstr(jw, "name", n->name);
	ods_jw_kstr(jw, "type", n->type);
	ods_jw_kint(jw, "depth", n->depth);
	ods_jw_kstr(jw, "transformation", n->transformation);
	ods_jw_end(jw);
}

static enum ods_err
walk_from(struct ods_db *db, struct graph *g,
    const struct ods_lineage_query *q, int dir)
{
	int	added;

	graph_init(g, q->max_nodes);
	if (node_add(g, q->ns, q->name, "table", 0, 0, (size_t)-1, NULL,
	    &added) == (size_t)-1)
		return ODS_ENOMEM;
	return walk(db, g, dir, 0, q->depth, NULL, NULL);
}

enum ods_err
ods_lineage_list(struct ods_db *db, const struct ods_lineage_query *q,
    int dir, struct ods_jw *jw)
{
	struct graph	g;
	struct ods_buf	id;
	enum ods_err	er;
	size_t		i;

	if ((er = walk_from(db, &g, q, dir)) == ODS_OK) {
		ods_buf_init(&id, 4096);
		ods_jw_obj(jw);
		if (ods_buf_addf(&id, "%s.%s", q->ns, q->name) == ODS_OK)
			ods_jw_kstr(jw, "dataset", id.data);
		ods_jw_key(jw, dir < 0 ? "upstream" : "downstream");
		ods_jw_arr(jw);
		for (i = 1; i < g.nn; i++)
			ref_json(jw, &g.n[i], &id);
		ods_jw_end(jw);
		ods_jw_kint(jw, "total", (int64_t)(g.nn - 1));
		ods_jw_kint(jw, "max_depth", q->depth);
		ods_jw_kbool(jw, "truncated", g.truncated);
		ods_jw_end(jw);
		ods_buf_free(&id);
	}
	graph_free(&g);
	return er;
}

enum ods_err
ods_lineage_impact(struct ods_db *db, const struct ods_lineage_query *q,
    struct ods_jw *jw)
{
	struct graph	g;
	struct ods_buf	id;
	enum ods_err	er;
	size_t		i, j, n;
	char		k[16];
	int		d;

	if ((er = walk_from(db, &g, q, 1)) != ODS_OK)
		goto out;
	ods_buf_init(&id, 4096);
	ods_jw_obj(jw);
	if (ods_buf_addf(&id, "%s.%s", q->ns, q->name) == ODS_OK)
		ods_jw_kstr(jw, "source", id.data);
	ods_jw_kint(jw, "total_downstream", (int64_t)(g.nn - 1));
	ods_jw_key(jw, "by_depth");
	ods_jw_obj(jw);
	for (d = 1; d <= q->depth; d++) {
		for (i = 1, n = 0; i < g.nn; i++)
			n += g.n[i].depth == d;
		if (n == 0)
			continue;
		snprintf(k, sizeof(k), "%d", d);
		ods_jw_kint(jw, k, (int64_t)n);
	}
	ods_jw_end(jw);
	ods_jw_key(jw, "by_type");
	ods_jw_obj(jw);
	for (i = 1; i < g.nn; i++) {
		for (j = 1; j < i; j++)
			if (strcmp(g.n[j].type, g.n[i].type) == 0)
				break;
		if (j < i)
			continue;
		for (j = i, n = 0; j < g.nn; j++)
			n += strcmp(g.n[j].type, g.n[i].type) == 0;
		ods_jw_kint(jw, g.n[i].type, (int64_t)n);
	}
	ods_jw_end(jw);
	ods_jw_key(jw, "direct_downstream");
	ods_jw_arr(jw);
	for (i = 1; i < g.nn; i++)
		if (g.n[i].depth == 1)
			ref_json(jw, &g.n[i], &id);
	ods_jw_end(jw);
	ods_jw_key(jw, "all_downstream");
	ods_jw_arr(jw);
	for (i = 1; i < g.nn; i++)
		ref_json(jw, &g.n[i], &id);
	ods_jw_end(jw);
	ods_jw_kint(jw, "max_depth", q->depth);
	ods_jw_kbool(jw, "truncated", g.truncated);
	ods_jw_end(jw);
	ods_buf_free(&id);
out:
	graph_free(&g);
	return er;
}

/* The nodes from a start to i, start first, into idx (at most cap). */
static size_t
path_of(const struct graph *g, size_t i, size_t *idx, size_t cap)
{
	size_t	n = 0, j;

	for (; i != (size_t)-1 && n < cap; i = g->n[i].parent)
		idx[n++] = i;
	for (j = 0; j < n / 2; j++) {
		i = idx[j];
		idx[j] = idx[n - 1 - j];
		idx[n - 1 - j] = i;
	}
	return n;
}

/* The first node of g named like target (the web: its last part). */
static size_t
target_find(const struct graph *g, const struct ods_lineage_query *t)
{
	size_t	i;

	if (t->ns != NULL)
		return node_find(g, t->ns, t->name);
	for (i = 0; i < g->nn; i++)
		if (g->n[i].depth > 0 && (strcmp(g->n[i].name, t->name) == 0 ||
		    (strchr(t->name, '.') == NULL &&
		    strcmp(base_of(g->n[i].name), t->name) == 0)))
			return i;
	return (size_t)-1;
}

enum ods_err
ods_lineage_path(struct ods_db *db, const struct ods_lineage_query *s,
    const struct ods_lineage_query *t, struct ods_jw *jw)
{
	struct graph	 g;
	struct ods_buf	 id;
	enum ods_err	 er;
	size_t		 i, n = 0, *idx = NULL, hit;
	int		 added;

	graph_init(&g, s->max_nodes);
	if (s->ns != NULL) {
		if (node_add(&g, s->ns, s->name, "table", 0, 0, (size_t)-1,
		    NULL, &added) == (size_t)-1)
			er = ODS_ENOMEM;
		else
			er = walk(db, &g, 1, 0, s->depth, t->ns, t->name);
	} else if ((er = starts(db, &g, s->name, NULL)) == ODS_OK)
		er = walk(db, &g, 1, 0, s->depth, NULL, NULL);
	if (er != ODS_OK)
		goto out;
	hit = target_find(&g, t);
	if (hit != (size_t)-1) {
		idx = calloc((size_t)s->depth + 1, sizeof(*idx));
		if (idx == NULL) {
			er = ODS_ENOMEM;
			goto out;
		}
		n = path_of(&g, hit, idx, (size_t)s->depth + 1);
	}
	ods_buf_init(&id, 4096);
	ods_jw_obj(jw);
	if (s->ns != NULL) {
		/* The reference: {source, target, path:[fqn], ...}. */
		if (ods_buf_addf(&id, "%s.%s", s->ns, s->name) == ODS_OK)
			ods_jw_kstr(jw, "source", id.data);
		ods_buf_reset(&id);
		if (ods_buf_addf(&id, "%s.%s", t->ns, t->name) == ODS_OK)
			ods_jw_kstr(jw, "target", id.data);
		ods_jw_key(jw, "path");
		ods_jw_arr(jw);
		for (i = 0; i < n; i++) {
			ods_buf_reset(&id);
			if (ods_buf_addf(&id, "%s.%s", g.n[idx[i]].ns,
			    g.n[idx[i]].name) == ODS_OK)
				ods_jw_str(jw, id.data);
		}
		ods_jw_end(jw);
	} else {
		/* The web: {path:[{type, name, id}]}. */
		ods_jw_kstr(jw, "source", s->name);
		ods_jw_kstr(jw, "target", t->name);
		ods_jw_key(jw, "path");
		ods_jw_arr(jw);
		for (i = 0; i < n; i++) {
			node_id(&id, &g.n[idx[i]]);
			ods_jw_obj(jw);
			ods_jw_kstr(jw, "type", g.n[idx[i]].type);
			ods_jw_kstr(jw, "name", g.n[idx[i]].name);
			ods_jw_kstr(jw, "id", id.data);
			ods_jw_end(jw);
		}
		ods_jw_end(jw);
	}
	ods_jw_kint(jw, "path_length", n > 0 ? (int64_t)(n - 1) : 0);
	ods_jw_kbool(jw, "exists", n > 0);
	ods_jw_kint(jw, "max_depth", s->depth);
	ods_jw_end(jw);
	ods_buf_free(&id);
out:
	free(idx);
	graph_free(&g);
	return er;
}

/* What LIKE reads literally: \ % _ escaped. */
static enum ods_err
like_escape(const char *s, struct ods_buf *b)
{
	enum ods_err	er = ODS_OK;

	for (; *s != '\0' && er == ODS_OK; s++) {
		if (*s == '%' || *s == '_' || *s == '\\')
			er = ods_buf_add(b, "\\", 1);
		if (er == ODS_OK)
			er = ods_buf_add(b, s, 1);
	}
	return er;
}

enum ods_err
ods_lineage_search(struct ods_db *db, const char *query, const char *type,
    size_t limit, struct ods_jw *jw)
{
	struct ods_db_arg	 a[6];
	struct ods_db_res	*res = NULL;
	struct ods_buf		 pat, id;
	enum ods_err		 er;
	size_t			 i, n;

	ods_buf_init(&pat, 1024);
	ods_buf_init(&id, 4096);
	if ((er = like_escape(query, &pat)) != ODS_OK ||
	    (er = ods_buf_add(&pat, "", 0)) != ODS_OK)
		goto out;
	a[0] = ods_db_text(pat.data);
	a[1] = ods_db_text(type == NULL ? "" : type);
	a[2] = a[1];
	a[3] = a[0];
	a[4] = a[1];
	a[5] = a[1];
	er = ods_db_query_once(db, "SELECT ns, name, type FROM (SELECT "
	    "source_namespace ns, source_name name, source_type type FROM "
	    "lineage_edges WHERE source_name LIKE CONCAT('%', ?, '%') AND "
	    "(? = '' OR source_type = ?) UNION SELECT target_namespace, "
	    "target_name, target_type FROM lineage_edges WHERE target_name "
	    "LIKE CONCAT('%', ?, '%') AND (? = '' OR target_type = ?)) x "
	    "ORDER BY CHAR_LENGTH(name), name, ns", a, 6, limit, &res);
	if (er != ODS_OK)
		goto out;
	n = ods_db_res_nrows(res);
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "query", query);
	ods_jw_key(jw, "results");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++) {
		struct node	nd = {
			.ns = (char *)ods_db_res_text(res, i, 0, NULL),
			.name = (char *)ods_db_res_text(res, i, 1, NULL),
			.type = (char *)ods_db_res_text(res, i, 2, NULL),
		};

		node_id(&id, &nd);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "id", id.data);
		ods_jw_kstr(jw, "type", nd.type);
		ods_jw_kstr(jw, "name", nd.name);
		ods_jw_kstr(jw, "namespace", nd.ns);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_kint(jw, "total", (int64_t)n);
	ods_jw_kbool(jw, "truncated", ods_db_res_truncated(res));
	ods_jw_end(jw);
	ods_db_res_free(res);
out:
	ods_buf_free(&pat);
	ods_buf_free(&id);
	return er;
}

/*
 * The web's /lineage/etl/{task_id}: the task as a node between the tables
 * its runs read ("transform" edges in) and wrote ("output" edges out).
 */
enum ods_err
ods_lineage_job(struct ods_db *db, const char *job, struct ods_jw *jw)
{
	struct ods_db_arg	 a[1];
	struct ods_db_res	*res = NULL;
	struct graph		 g;
	struct ods_buf		 id;
	enum ods_err		 er;
	size_t			 i, n, s, t, k;
	int			 added;

	a[0] = ods_db_text(job);
	er = ods_db_query_once(db, "SELECT id, source_namespace, source_name, "
	    "source_type, target_namespace, target_name, target_type, "
	    "edge_type, transformation, job_name, run_id, DATE_FORMAT("
	    "updated_at, '%Y-%m-%dT%H:%i:%s.%fZ') FROM lineage_edges WHERE "
	    "job_name = ? AND edge_type <> 'column_flow' ORDER BY id", a, 1,
	    EDGES_MAX, &res);
	if (er != ODS_OK)
		return er;
	graph_init(&g, ODS_LINEAGE_NODES_MAX);
	ods_buf_init(&id, 4096);
	n = ods_db_res_nrows(res);
	k = node_add(&g, "etl", job, "etl_task", 0, 0, (size_t)-1, NULL,
	    &added);
	for (i = 0; i < n && k != (size_t)-1; i++) {
		s = node_add(&g, ods_db_res_text(res, i, 1, NULL),
		    ods_db_res_text(res, i, 2, NULL), ods_db_res_text(res, i,
		    3, NULL), 1, -1, k, NULL, &added);
		t = node_add(&g, ods_db_res_text(res, i, 4, NULL),
		    ods_db_res_text(res, i, 5, NULL), ods_db_res_text(res, i,
		    6, NULL), 1, 1, k, NULL, &added);
		if (s == (size_t)-1 || t == (size_t)-1)
			continue;
		if (g.nomem)
			break;
	}
	if (g.nomem || k == (size_t)-1) {
		er = ODS_ENOMEM;
		goto out;
	}
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "task_id", job);
	ods_jw_key(jw, "nodes");
	ods_jw_arr(jw);
	for (i = 0; i < g.nn; i++)
		node_json(jw, &g.n[i], &id);
	ods_jw_end(jw);
	ods_jw_key(jw, "edges");
	ods_jw_arr(jw);
	for (i = 1; i < g.nn; i++) {
		char	eid[64];

		snprintf(eid, sizeof(eid), "%s%zu", g.n[i].dir < 0 ? "in" :
		    "out", i);
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "id", eid);
		node_id(&id, g.n[i].dir < 0 ? &g.n[i] : &g.n[0]);
		ods_jw_kstr(jw, "source", id.data);
		node_id(&id, g.n[i].dir < 0 ? &g.n[0] : &g.n[i]);
		ods_jw_kstr(jw, "target", id.data);
		ods_jw_kstr(jw, "type", g.n[i].dir < 0 ? "transform" :
		    "output");
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_key(jw, "runs");
	ods_jw_arr(jw);
	for (i = 0; i < n; i++) {
		ods_jw_obj(jw);
		ods_jw_kstr(jw, "source", ods_db_res_text(res, i, 2, NULL));
		ods_jw_kstr(jw, "target", ods_db_res_text(res, i, 5, NULL));
		ods_jw_kstr(jw, "run_id", ods_db_res_text(res, i, 10, NULL));
		ods_jw_kstr(jw, "transformation", ods_db_res_text(res, i, 8,
		    NULL));
		ods_jw_kstr(jw, "updated_at", ods_db_res_text(res, i, 11,
		    NULL));
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_kint(jw, "total_edges", (int64_t)n);
	ods_jw_end(jw);
out:
	ods_db_res_free(res);
	ods_buf_free(&id);
	graph_free(&g);
	return er;
}
