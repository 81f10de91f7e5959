/*
 * svc/data/lineage.h — lineage recorded by ETL runs and by emitted
 * OpenLineage events (issue 17, reference-api §3.3 D24), and what a SELECT
 * reads, for the SQL transforms' column-level lineage.
 *
 * Storage (sql/0001_init.sql, sql/0013_lineage.sql): lineage_events keeps
 * every event as OpenLineage 1.x JSON (payload) with its type, job and
 * run; lineage_edges keeps one row per (source, target, edge type, job):
 * a rerun of a job updates its edges (run id, transformation, time) and
 * never adds a second copy.
 *
 * Thread-safe: no state of its own.
 */
#ifndef SVC_LINEAGE_H
#define SVC_LINEAGE_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_db;

#define ODS_LINEAGE_NS_DEFAULT	"data-service"
#define ODS_LINEAGE_NAME_MAX	255	/* bytes of a node's name */
#define ODS_LINEAGE_NS_MAX	128	/* bytes of a namespace */
#define ODS_LINEAGE_REFS_MAX	256	/* inputs, outputs of one event */
#define ODS_LINEAGE_COLS_MAX	1024	/* column edges of one event */

/* A node of the lineage graph. */
struct ods_lineage_ref {
	const char	*ns;	/* a data source id ("ds_..."), "dataset", or a
				   namespace given by an emitted event; NULL:
				   ODS_LINEAGE_NS_DEFAULT */
	const char	*name;	/* a table "db.table" (PostgreSQL
				   "db.schema.table"), a dataset id, or a
				   column "db.table.column" */
	const char	*type;	/* "table", "view", "dataset", "column";
				   NULL: "table" */
};

/*
 * A column-level edge: src (a column of one of the run's inputs) -> dst
 * (a column of outputs[0]); expr is the expression text when it is not a
 * plain copy, else NULL. src_ns NULL: ODS_LINEAGE_NS_DEFAULT.
 */
struct ods_lineage_col {
	const char	*src_ns, *src_table, *src_col;
	const char	*dst_col;
	const char	*expr;
};

/*
 * One run's event. The fields after cols are optional (zero/NULL when a
 * designated initialiser leaves them out).
 */
struct ods_lineage_run {
	/* The ETL task id. */
	const char			*job_name;
	/* The execution id; NULL: a new UUID. */
	const char			*run_id;
	/* START, RUNNING, COMPLETE, FAIL, ABORT, OTHER. */
	const char			*event_type;
	/* The SQL, "table_copy", ... (may be NULL). */
	const char			*transformation;
	const struct ods_lineage_ref	*inputs;
	size_t				 ninputs;
	const struct ods_lineage_ref	*outputs;
	size_t				 noutputs;
	const struct ods_lineage_col	*cols;
	size_t				 ncols;
	/* Optional. NULL: "data-service". */
	const char			*job_namespace;
	/* Optional. RFC 3339; NULL: now. */
	const char			*event_time;
	/* Optional. The event as received (JSON), kept as is; NULL: built. */
	const char			*payload;
};

/*
 * Store run's event in lineage_events and, for COMPLETE, its edges in
 * lineage_edges: every input -> every output (edge_type "data_flow",
 * the transformation, job_name, run_id) and every column edge (types
 * "column", edge_type "column_flow", src_table.src_col ->
 * outputs[0].name.dst_col, the expression as transformation), in one
 * transaction, upserted: recording the same run, or a rerun of the job,
 * again never duplicates an edge or an event (an event is keyed by job,
 * run and type).
 *
 * Returns ODS_OK; ODS_EINVAL (no job name, an unknown event type, a
 * reference without a name or past the sizes above, a column edge on a
 * run without outputs, a bad event_time); or the errors of ods_db.
 */
enum ods_err	 ods_lineage_record(struct ods_db *,
		    const struct ods_lineage_run *) ODS_MUSTCHECK;

/*
 * What a SELECT reads and, where it maps columns plainly (SELECT lists,
 * aliases, simple expressions over columns), which output column comes
 * from which input column(s): an output computed from several columns
 * has one entry per column, each with the same dst and expr.
 * column_level is 0 when the query is too complex (then only tables are
 * known): WITH, a subquery, UNION/INTERSECT/EXCEPT, a '*' in the SELECT
 * list, no FROM. Tables are as written in the query (unqualified or
 * db.table, quotes removed), each once, CTE names left out; the caller
 * qualifies them.
 */
struct ods_lineage_sqlcol {
	char	*dst;		/* output column name (alias or column) */
	char	*src_table;	/* as written, resolved through aliases;
				   NULL if ambiguous */
	char	*src_col;
	char	*expr;		/* NULL for a plain column, else the
				   expression text */
};
struct ods_lineage_sql {
	char			**tables;
	size_t			  ntables;
	struct ods_lineage_sqlcol *cols;
	size_t			  ncols;
	int			  column_level;
};

/*
 * Parse sql (len bytes; MySQL/MariaDB or PostgreSQL quoting, read with
 * svc/data/sql_lex.c's lexer) into *out (zeroed first; free with
 * ods_lineage_sql_fini even on failure). Returns ODS_OK; ODS_EINVAL (text
 * the lexer refuses: an unterminated quote, two statements, ...; or no
 * SELECT at all); ODS_ENOMEM.
 */
enum ods_err	 ods_lineage_parse_sql(const char *sql, size_t len,
		    struct ods_lineage_sql *out) ODS_MUSTCHECK;
void		 ods_lineage_sql_fini(struct ods_lineage_sql *);

/* ---- reading the graph (lineage_graph.c, lineage_events.c) ---- */

struct ods_jw;

#define ODS_LINEAGE_DEPTH_DEFAULT	3
#define ODS_LINEAGE_DEPTH_MAX		10
#define ODS_LINEAGE_NODES_MAX		500	/* nodes of one walk */

/*
 * Where a walk starts. ns NULL (the web's routes): the tables named name
 * in any namespace, by their last part when name has no '.', exactly when
 * it has; with column, those tables' column. ns set (the reference's):
 * exactly (ns, name). depth in 1..ODS_LINEAGE_DEPTH_MAX (the caller
 * checks); max_nodes 0: ODS_LINEAGE_NODES_MAX.
 */
struct ods_lineage_query {
	const char	*ns;
	const char	*name;
	const char	*column;
	int		 depth;
	size_t		 max_nodes;
};

/*
 * The walks write one JSON object to jw, breadth-first with one query per
 * level, each node once (cycles end), "truncated" when the node cap or a
 * level's edge cap stopped them. An unknown start is an empty answer.
 * Errors of ods_db, ODS_ENOMEM.
 *
 * graph (the web's /lineage/table and /lineage/column): both directions,
 * table edges (or column edges with column): {table_name, depth,
 * nodes:[{id, type, name, database?, schema?, source_type, properties}],
 * edges:[{id, source, target, type: upstream|downstream, properties}],
 * truncated}.
 */
enum ods_err	 ods_lineage_graph(struct ods_db *,
		    const struct ods_lineage_query *, struct ods_jw *)
		    ODS_MUSTCHECK;
/* dir -1 upstream, 1 downstream: {dataset, upstream|downstream:[{fqn,
 * namespace, name, type, depth, transformation}], total, truncated}. */
enum ods_err	 ods_lineage_list(struct ods_db *,
		    const struct ods_lineage_query *, int dir, struct ods_jw *)
		    ODS_MUSTCHECK;
/* {source, total_downstream, by_depth, by_type, direct_downstream,
 * all_downstream, truncated}. */
enum ods_err	 ods_lineage_impact(struct ods_db *,
		    const struct ods_lineage_query *, struct ods_jw *)
		    ODS_MUSTCHECK;
/*
 * The shortest downstream path from s to t (s->depth levels at most).
 * s->ns set: the reference's {source, target, path:[fqn], path_length,
 * exists}; NULL: the web's {source, target, path:[{type, name, id}], ...},
 * t matched by name as the starts are.
 */
enum ods_err	 ods_lineage_path(struct ods_db *,
		    const struct ods_lineage_query *s,
		    const struct ods_lineage_query *t, struct ods_jw *)
		    ODS_MUSTCHECK;
/* Nodes whose name holds query (type "" or NULL: any): {query, results:
 * [{id, type, name, namespace}], total, truncated}, at most limit. */
enum ods_err	 ods_lineage_search(struct ods_db *, const char *query,
		    const char *type, size_t limit, struct ods_jw *)
		    ODS_MUSTCHECK;
/* The edges job's runs recorded: {task_id, nodes, edges, runs,
 * total_edges}; the task is a node of type etl_task. */
enum ods_err	 ods_lineage_job(struct ods_db *, const char *job,
		    struct ods_jw *) ODS_MUSTCHECK;

/*
 * Events, newest first: event_type (START..., or the reference's
 * JOB_STARTED, JOB_COMPLETED, JOB_FAILED) and job_name filter when not
 * NULL. {events:[{event_id, event_type, job_namespace, job_name, run_id,
 * event_time, inputs, outputs, transformation}], total, stats:{by_type,
 * jobs, edges}}. ODS_EINVAL for an unknown event_type.
 */
enum ods_err	 ods_lineage_events(struct ods_db *, size_t limit,
		    const char *event_type, const char *job_name,
		    struct ods_jw *) ODS_MUSTCHECK;
/* {events:[OpenLineage RunEvent], total, format:"openlineage"}, oldest
 * of the newest limit first. */
enum ods_err	 ods_lineage_export(struct ods_db *, size_t limit,
		    struct ods_jw *) ODS_MUSTCHECK;

struct json_object;
struct ods_why;
/*
 * An emitted event (POST /lineage/events/emit), checked and recorded: an
 * OpenLineage RunEvent {eventType, eventTime, run:{runId}, job:{namespace,
 * name}, inputs, outputs (its first output's columnLineage facet gives
 * column edges), producer, schemaURL}, or the reference's {event_type:
 * JOB_STARTED|JOB_COMPLETED|JOB_FAILED, job_name, source_tables,
 * target_tables, transformation, run_id, namespace}. On success run_id
 * (37 bytes) holds the run's id. ODS_EINVAL with why naming the field;
 * the errors of ods_lineage_record.
 */
enum ods_err	 ods_lineage_emit(struct ods_db *, struct json_object *,
		    char run_id[65], struct ods_why *) ODS_MUSTCHECK;

#endif /* SVC_LINEAGE_H */
