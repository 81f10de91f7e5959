/*
 * svc/data/lineage.c — recording a run's lineage (lineage.h): the event as
 * OpenLineage 1.x JSON in lineage_events, the edges of a COMPLETE event
 * upserted into lineage_edges, both in one transaction.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/ods_err.h"
#include "core/ods_json.h"
#include "core/ods_mem.h"
#include "core/ods_time.h"
#include "core/ods_util.h"
#include "store/ods_db.h"
#include "lineage.h"

#define PRODUCER	"https://github.com/one-data-studio/one-data-studio"
#define SCHEMA_URL	"https://openlineage.io/spec/2-0-2/OpenLineage.json" \
			"#/$defs/RunEvent"
#define FACET_URL	"https://openlineage.io/spec/facets/1-0-1/" \
			"ColumnLineageDatasetFacet.json#/$defs/" \
			"ColumnLineageDatasetFacet"
#define SQL_FACET_URL	"https://openlineage.io/spec/facets/1-0-1/" \
			"SQLJobFacet.json#/$defs/SQLJobFacet"
#define PAYLOAD_MAX	(4u * 1024 * 1024)
#define TRIES		3	/* a deadlock is retried */

static const char *const event_types[] = {
	"START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"
};

/* The event's time in both spellings: RFC 3339 and DATETIME(3), UTC. */
struct when {
	char	iso[64];
	char	db[64];
};

static const char *
ns_of(const char *ns)
{
	return ns == NULL || ns[0] == '\0' ? ODS_LINEAGE_NS_DEFAULT : ns;
}

static const char *
type_of(const char *type)
{
	return type == NULL || type[0] == '\0' ? "table" : type;
}

static int
name_ok(const char *s, size_t max)
{
	size_t	i, n;

	if (s == NULL || (n = strlen(s)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return 0;
	return 1;
}

static int
ref_ok(const struct ods_lineage_ref *r)
{
	return name_ok(r->name, ODS_LINEAGE_NAME_MAX) &&
	    (r->ns == NULL || r->ns[0] == '\0' ||
	    name_ok(r->ns, ODS_LINEAGE_NS_MAX)) &&
	    (r->type == NULL || r->type[0] == '\0' || name_ok(r->type, 32));
}

static void
when_set(struct when *w, time_t t, int ms)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	snprintf(w->iso, sizeof(w->iso), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms);
	snprintf(w->db, sizeof(w->db), "%04d-%02d-%02d %02d:%02d:%02d.%03d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ms);
}

/* RFC 3339: YYYY-MM-DDThh:mm:ss[.f...](Z|+hh:mm|-hh:mm); -1 if not. */
static int
when_parse(struct when *w, const char *s)
{
	struct tm	tm;
	int		y, mo, d, h, mi, sec, n = 0, ms = 0, digits = 0, oh, om;
	time_t		t;
	const char	*p;

	if (sscanf(s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi,
	    &sec, &n) != 6 || n != 19)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits++ < 3)
				ms = ms * 10 + (*p - '0');
	while (digits > 0 && digits < 3) {
		ms *= 10;
		digits++;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || y < 1970)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		p++;
	else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh,
	    &om, &n) == 2 && n == 5 && oh < 24 && om < 60) {
		t += (*p == '+' ? -1 : 1) * (oh * 3600 + om * 60);
		p += 6;
	} else
		return -1;
	if (*p != '\0')
		return -1;
	when_set(w, t, ms);
	return 0;
}

static void
when_now(struct when *w)
{
	int64_t	ms = ods_wall_ms();

	when_set(w, (time_t)(ms / 1000), (int)(ms % 1000));
}

static int
uuid_shaped(const char *s)
{
	size_t	i;

	if (s == NULL || strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++)
		if ((i == 8 || i == 13 || i == 18 || i == 23) ? s[i] != '-' :
		    ods_hexval((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}

/*
 * OpenLineage's runId is a UUID: a run id that is none (an ETL execution
 * id) is spelt as the name-based UUID of its SHA-256, the same every time.
 */
static void
run_uuid(const char *run_id, char out[37])
{
	unsigned char	b[16];
	char		h[65];

	if (run_id == NULL) {
		ods_random(b, sizeof(b));
		ods_hex(b, sizeof(b), h);
	} else if (uuid_shaped(run_id)) {
		memcpy(out, run_id, 37);
		return;
	} else
		ods_sha256_hex(run_id, strlen(run_id), h);
	h[12] = run_id == NULL ? '4' : '5';	/* version */
	h[16] = "89ab"[ods_hexval((unsigned char)h[16]) & 3];	/* variant */
	snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
	    h + 16, h + 20);
}

static void
dataset_json(struct ods_jw *jw, const struct ods_lineage_ref *r)
{
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "namespace", ns_of(r->ns));
	ods_jw_kstr(jw, "name", r->name);
	ods_jw_key(jw, "facets");
	ods_jw_obj(jw);
	ods_jw_end(jw);
	ods_jw_end(jw);
}

/* outputs[0]'s columnLineage facet: fields{dst:{inputFields[...]}}. */
static void
column_facet(struct ods_jw *jw, const struct ods_lineage_run *run)
{
	size_t	i, j;

	ods_jw_key(jw, "columnLineage");
	ods_jw_obj(jw);
	ods_jw_kstr(jw, "_producer", PRODUCER);
	ods_jw_kstr(jw, "_schemaURL", FACET_URL);
	ods_jw_key(jw, "fields");
	ods_jw_obj(jw);
	for (i = 0; i < run->ncols; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(run->cols[j].dst_col,
			    run->cols[i].dst_col) == 0)
				break;
		if (j < i)
			continue;	/* written with its first */
		ods_jw_key(jw, run->cols[i].dst_col);
		ods_jw_obj(jw);
		ods_jw_key(jw, "inputFields");
		ods_jw_arr(jw);
		for (j = i; j < run->ncols; j++) {
			if (strcmp(run->cols[j].dst_col,
			    run->cols[i].dst_col) != 0)
				continue;
			ods_jw_obj(jw);
			ods_jw_kstr(jw, "namespace",
			    ns_of(run->cols[j].src_ns));
			ods_jw_kstr(jw, "name", run->cols[j].src_table);
			ods_jw_kstr(jw, "field", run->cols[j].src_col);
			ods_jw_end(jw);
		}
		ods_jw_end(jw);
		ods_jw_kstr(jw, "transformationType", run->cols[i].expr ==
		    NULL ? "IDENTITY" : "MASKED");
		ods_jw_kstr(jw, "transformationDescription",
		    run->cols[i].expr == NULL ? "copy" : run->cols[i].expr);
		ods_jw_end(jw);
	}
	ods_jw_end(jw);
	ods_jw_end(jw);
}

static enum ods_err
payload_build(const struct ods_lineage_run *run, const struct when *w,
    const char *uuid, struct ods_buf *b)
{
	struct ods_jw	jw;
	size_t		i;

	ods_jw_init(&jw, b);
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "eventType", run->event_type);
	ods_jw_kstr(&jw, "eventTime", w->iso);
	ods_jw_key(&jw, "run");
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "runId", uuid);
	ods_jw_end(&jw);
	ods_jw_key(&jw, "job");
	ods_jw_obj(&jw);
	ods_jw_kstr(&jw, "namespace", ns_of(run->job_namespace));
	ods_jw_kstr(&jw, "name", run->job_name);
	ods_jw_key(&jw, "facets");
	ods_jw_obj(&jw);
	if (run->transformation != NULL) {
		ods_jw_key(&jw, "sql");
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "_producer", PRODUCER);
		ods_jw_kstr(&jw, "_schemaURL", SQL_FACET_URL);
		ods_jw_kstr(&jw, "query", run->transformation);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	ods_jw_end(&jw);
	ods_jw_key(&jw, "inputs");
	ods_jw_arr(&jw);
	for (i = 0; i < run->ninputs; i++)
		dataset_json(&jw, &run->inputs[i]);
	ods_jw_end(&jw);
	ods_jw_key(&jw, "outputs");
	ods_jw_arr(&jw);
	for (i = 0; i < run->noutputs; i++) {
		if (i > 0 || run->ncols == 0) {
			dataset_json(&jw, &run->outputs[i]);
			continue;
		}
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "namespace", ns_of(run->outputs[i].ns));
		ods_jw_kstr(&jw, "name", run->outputs[i].name);
		ods_jw_key(&jw, "facets");
		ods_jw_obj(&jw);
		column_facet(&jw, run);
		ods_jw_end(&jw);
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	ods_jw_kstr(&jw, "producer", PRODUCER);
	ods_jw_kstr(&jw, "schemaURL", SCHEMA_URL);
	ods_jw_end(&jw);
	return ods_jw_error(&jw);
}

/* [{"namespace","name","type"}...] for the tables columns. */
static enum ods_err
refs_json(const struct ods_lineage_ref *r, size_t n, struct ods_buf *b)
{
	struct ods_jw	jw;
	size_t		i;

	ods_jw_init(&jw, b);
	ods_jw_arr(&jw);
	for (i = 0; i < n; i++) {
		ods_jw_obj(&jw);
		ods_jw_kstr(&jw, "namespace", ns_of(r[i].ns));
		ods_jw_kstr(&jw, "name", r[i].name);
		ods_jw_kstr(&jw, "type", type_of(r[i].type));
		ods_jw_end(&jw);
	}
	ods_jw_end(&jw);
	return ods_jw_error(&jw);
}

static enum ods_err
bad(struct ods_why *why, const char *field, const char *msg)
{
	ods_why_set(why, field, "%s", msg);
	return ODS_EINVAL;
}

static enum ods_err
refs_check(const struct ods_lineage_ref *r, size_t n, const char *field,
    struct ods_why *why)
{
	size_t	i;

	if (n > ODS_LINEAGE_REFS_MAX)
		return bad(why, field, "too many datasets (256 at most)");
	for (i = 0; i < n; i++)
		if (!ref_ok(&r[i]))
			return bad(why, field, "every dataset needs a name of "
			    "1 to 255 bytes, a namespace of at most 128");
	return ODS_OK;
}

static enum ods_err
run_check(const struct ods_lineage_run *run, struct ods_why *why)
{
	const struct ods_lineage_col	*c;
	size_t				 i;
	enum ods_err			 er;

	if (!name_ok(run->job_name, ODS_LINEAGE_NAME_MAX))
		return bad(why, "job_name", "the job's name is required (1 to "
		    "255 bytes)");
	if (run->job_namespace != NULL &&
	    !name_ok(run->job_namespace, ODS_LINEAGE_NS_MAX))
		return bad(why, "job_namespace", "at most 128 bytes");
	if (run->run_id != NULL && !name_ok(run->run_id, 64))
		return bad(why, "run_id", "1 to 64 bytes");
	for (i = 0; run->event_type != NULL &&
	    i < sizeof(event_types) / sizeof(event_types[0]); i++)
		if (strcmp(run->event_type, event_types[i]) == 0)
			break;
	if (run->event_type == NULL ||
	    i == sizeof(event_types) / sizeof(event_types[0]))
		return bad(why, "event_type", "one of START, RUNNING, "
		    "COMPLETE, FAIL, ABORT, OTHER");
	if ((er = refs_check(run->inputs, run->ninputs, "inputs", why)) !=
	    ODS_OK || (er = refs_check(run->outputs, run->noutputs,
	    "outputs", why)) != ODS_OK)
		return er;
	if (run->ncols > ODS_LINEAGE_COLS_MAX)
		return bad(why, "columns", "too many column edges (1024 at "
		    "most)");
	if (run->ncols > 0 && run->noutputs == 0)
		return bad(why, "outputs", "column edges need an output");
	for (i = 0; i < run->ncols; i++) {
		c = &run->cols[i];
		if (!name_ok(c->src_table, ODS_LINEAGE_NAME_MAX) ||
		    !name_ok(c->src_col, 128) || !name_ok(c->dst_col, 128) ||
		    strlen(c->src_table) + strlen(c->src_col) >=
		    ODS_LINEAGE_NAME_MAX || strlen(run->outputs[0].name) +
		    strlen(c->dst_col) >= ODS_LINEAGE_NAME_MAX)
			return bad(why, "columns", "a column edge needs a "
			    "table and columns whose names fit 255 bytes");
	}
	return ODS_OK;
}

static enum ods_err
edge_put(struct ods_db_conn *c, const struct ods_lineage_run *run,
    const char *sns, const char *sname, const char *stype, const char *tns,
    const char *tname, const char *ttype, const char *etype,
    const char *transformation)
{
	struct ods_db_arg	a[10];

	a[0] = ods_db_text(ns_of(sns));
	a[1] = ods_db_text(sname);
	a[2] = ods_db_text(type_of(stype));
	a[3] = ods_db_text(ns_of(tns));
	a[4] = ods_db_text(tname);
	a[5] = ods_db_text(type_of(ttype));
	a[6] = ods_db_text(etype);
	a[7] = ods_db_text(transformation);
	a[8] = ods_db_text(run->job_name);
	a[9] = ods_db_text(run->run_id);
	return ods_db_exec(c, "INSERT INTO lineage_edges (source_namespace, "
	    "source_name, source_type, target_namespace, target_name, "
	    "target_type, edge_type, transformation, job_name, run_id) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
	    "transformation = VALUES(transformation), run_id = "
	    "VALUES(run_id), updated_at = CURRENT_TIMESTAMP(3)", a, 10, NULL);
}

static enum ods_err
edges_put(struct ods_db_conn *c, const struct ods_lineage_run *run)
{
	const struct ods_lineage_col	*col;
	const struct ods_lineage_ref	*out;
	char				 src[ODS_LINEAGE_NAME_MAX + 1];
	char				 dst[ODS_LINEAGE_NAME_MAX + 1];
	size_t				 i, j;
	enum ods_err			 er;

	for (i = 0; i < run->ninputs; i++)
		for (j = 0; j < run->noutputs; j++)
			if ((er = edge_put(c, run, run->inputs[i].ns,
			    run->inputs[i].name, run->inputs[i].type,
			    run->outputs[j].ns, run->outputs[j].name,
			    run->outputs[j].type, "data_flow",
			    run->transformation)) != ODS_OK)
				return er;
	for (i = 0; i < run->ncols; i++) {
		col = &run->cols[i];
		out = &run->outputs[0];
		snprintf(src, sizeof(src), "%s.%s", col->src_table,
		    col->src_col);
		snprintf(dst, sizeof(dst), "%s.%s", out->name, col->dst_col);
		if ((er = edge_put(c, run, col->src_ns, src, "column",
		    out->ns, dst, "column", "column_flow", col->expr)) !=
		    ODS_OK)
			return er;
	}
	return ODS_OK;
}

static enum ods_err
event_put(struct ods_db_conn *c, const struct ods_lineage_run *run,
    const struct when *w, const char *run_id, const struct ods_buf *in,
    const struct ods_buf *out, const char *payload)
{
	struct ods_db_arg	a[13];

	a[0] = ods_db_text(ns_of(run->job_namespace));
	a[1] = ods_db_text(run->job_name);
	a[2] = ods_db_text(run_id);
	a[3] = ods_db_text(run->event_type);
	a[4] = ods_db_text(run->event_type);
	a[5] = ods_db_text(ns_of(run->job_namespace));
	a[6] = ods_db_text(run->job_name);
	a[7] = ods_db_text(run_id);
	a[8] = ods_db_textn(in->data, in->len);
	a[9] = ods_db_textn(out->data, out->len);
	a[10] = ods_db_text(run->transformation);
	a[11] = ods_db_text(payload);
	a[12] = ods_db_text(w->db);
	/* Keyed by job, run and type: the same event twice is one row. */
	return ods_db_exec(c, "INSERT INTO lineage_events (event_id, "
	    "event_type, job_namespace, job_name, run_id, source_tables, "
	    "target_tables, transformation, payload, event_time) VALUES "
	    "(SHA2(CONCAT_WS(CHAR(31), ?, ?, ?, ?), 256), ?, ?, ?, ?, ?, ?, "
	    "?, ?, ?) ON DUPLICATE KEY UPDATE source_tables = "
	    "VALUES(source_tables), target_tables = VALUES(target_tables), "
	    "transformation = VALUES(transformation), payload = "
	    "VALUES(payload), event_time = VALUES(event_time)", a, 13, NULL);
}

static enum ods_err
record_tx(struct ods_db *db, const struct ods_lineage_run *run,
    const struct when *w, const char *run_id, const struct ods_buf *in,
    const struct ods_buf *out, const char *payload)
{
	struct ods_db_conn	*c = NULL;
	enum ods_err		 er;
	int			 try;

	if ((er = ods_db_acquire(db, &c)) != ODS_OK)
		return er;
	for (try = 0; try < TRIES; try++) {
		if ((er = ods_db_begin(c)) != ODS_OK)
			break;
		er = event_put(c, run, w, run_id, in, out, payload);
		if (er == ODS_OK && strcmp(run->event_type, "COMPLETE") == 0)
			er = edges_put(c, run);
		if (er == ODS_OK)
			er = ods_db_commit(c);
		else
			ods_db_rollback(c);
		if (er != ODS_ECONFLICT)
			break;	/* done, or no deadlock to retry */
	}
	ods_db_release(c);
	return er;
}

static enum ods_err
record(struct ods_db *db, const struct ods_lineage_run *run,
    struct ods_why *why)
{
	struct ods_buf	 in, out, pl;
	struct when	 w;
	char		 uuid[37];
	const char	*run_id, *payload;
	enum ods_err	 er;

	if ((er = run_check(run, why)) != ODS_OK)
		return er;
	if (run->event_time != NULL) {
		if (when_parse(&w, run->event_time) != 0)
			return bad(why, "event_time", "an RFC 3339 time "
			    "(2024-05-01T10:00:00.000Z)");
	} else
		when_now(&w);
	run_uuid(run->run_id, uuid);
	run_id = run->run_id != NULL ? run->run_id : uuid;
	ods_buf_init(&in, PAYLOAD_MAX);
	ods_buf_init(&out, PAYLOAD_MAX);
	ods_buf_init(&pl, PAYLOAD_MAX);
	if ((er = refs_json(run->inputs, run->ninputs, &in)) != ODS_OK ||
	    (er = refs_json(run->outputs, run->noutputs, &out)) != ODS_OK)
		goto out;
	payload = run->payload;
	if (payload == NULL) {
		if ((er = payload_build(run, &w, uuid, &pl)) != ODS_OK)
			goto out;
		payload = pl.data;
	}
	er = record_tx(db, run, &w, run_id, &in, &out, payload);
out:
	ods_buf_free(&in);
	ods_buf_free(&out);
	ods_buf_free(&pl);
	return er;
}

enum ods_err
ods_lineage_record(struct ods_db *db, const struct ods_lineage_run *run)
{
	return record(db, run, NULL);
}

/* ---- emitted events (POST /lineage/events/emit) ---- */

struct emit {
	struct ods_lineage_ref	*in, *out;
	size_t			 nin, nout;
	struct ods_lineage_col	*cols;
	size_t			 ncols;
	const char		*ns;		/* the reference's namespace */
	struct ods_why		*why;
	enum ods_err		 er;
};

static void
emit_free(struct emit *e)
{
	free(e->in);
	free(e->out);
	free(e->cols);
}

/*
 * Datasets of field: [{namespace, name}] (OpenLineage) or, for the
 * reference's shape (loose), also ["db.table"] in e->ns.
 */
static enum ods_err
emit_refs(struct emit *e, struct json_object *body, const char *field,
    int loose, struct ods_lineage_ref **out, size_t *n)
{
	struct json_object	*arr = NULL, *it;
	struct ods_lineage_ref	*r;
	enum ods_err		 er;
	size_t			 i, len;

	er = ods_json_arr(body, field, 0, &arr, e->why);
	if (er == ODS_ENOTFOUND)
		return ODS_OK;
	if (er != ODS_OK)
		return er;
	if ((len = ods_json_arr_len(arr)) > ODS_LINEAGE_REFS_MAX)
		return bad(e->why, field, "too many datasets (256 at most)");
	if (len == 0)
		return ODS_OK;
	if ((r = calloc(len, sizeof(*r))) == NULL)
		return ODS_ENOMEM;
	*out = r;
	*n = len;
	for (i = 0; i < len; i++) {
		it = ods_json_arr_get(arr, i);
		if (loose && ods_json_kind(it) == ODS_JSON_STRING) {
			r[i].ns = e->ns;
			r[i].name = ods_json_string(it);
			continue;
		}
		if (!ods_json_is_obj(it) ||
		    (r[i].name = ods_json_get_str(it, "name")) == NULL)
			return bad(e->why, field, "every dataset needs a name");
		r[i].ns = ods_json_get_str(it, "namespace");
		if (r[i].ns == NULL && !loose)
			return bad(e->why, field, "every dataset needs a "
			    "namespace");
		if (r[i].ns == NULL)
			r[i].ns = e->ns;
		r[i].type = ods_json_get_str(it, "type");
	}
	return ODS_OK;
}

/* One output field of columnLineage: {inputFields:[{namespace, name,
 * field}], transformationDescription?, transformationType?}. */
static int
emit_field(void *arg, const char *dst, struct json_object *v)
{
	struct emit		*e = arg;
	struct json_object	*arr = NULL, *it;
	struct ods_lineage_col	*c;
	const char		*type, *desc;
	size_t			 i, len;

	if (ods_json_arr(v, "inputFields", 1, &arr, e->why) != ODS_OK) {
		e->er = bad(e->why, "outputs", "columnLineage fields need "
		    "inputFields");
		return 1;
	}
	type = ods_json_get_str(v, "transformationType");
	desc = ods_json_get_str(v, "transformationDescription");
	len = ods_json_arr_len(arr);
	if (e->ncols + len > ODS_LINEAGE_COLS_MAX) {
		e->er = bad(e->why, "outputs", "too many column edges (1024 "
		    "at most)");
		return 1;
	}
	c = reallocarray(e->cols, e->ncols + len + 1, sizeof(*c));
	if (c == NULL) {
		e->er = ODS_ENOMEM;
		return 1;
	}
	e->cols = c;
	for (i = 0; i < len; i++) {
		it = ods_json_arr_get(arr, i);
		c = &e->cols[e->ncols];
		memset(c, 0, sizeof(*c));
		c->src_ns = ods_json_get_str(it, "namespace");
		c->src_table = ods_json_get_str(it, "name");
		c->src_col = ods_json_get_str(it, "field");
		c->dst_col = dst;
		c->expr = type != NULL && strcmp(type, "IDENTITY") == 0 ?
		    NULL : desc;
		if (c->src_table == NULL || c->src_col == NULL) {
			e->er = bad(e->why, "outputs", "inputFields need "
			    "name and field");
			return 1;
		}
		e->ncols++;
	}
	return 0;
}

static enum ods_err
emit_openlineage(struct emit *e, struct json_object *body,
    struct ods_lineage_run *run)
{
	struct json_object	*o = NULL, *facets;
	const char		*producer;
	enum ods_err		 er;

	if ((er = ods_json_str(body, "eventType", 1, 32, &run->event_type,
	    e->why)) != ODS_OK || (er = ods_json_str(body, "eventTime", 1, 64,
	    &run->event_time, e->why)) != ODS_OK ||
	    (er = ods_json_str(body, "producer", 1, 2048, &producer, e->why)) !=
	    ODS_OK)
		return er;
	if ((er = ods_json_obj(body, "run", 1, &o, e->why)) != ODS_OK)
		return er;
	if ((er = ods_json_str(o, "runId", 1, 64, &run->run_id, e->why)) !=
	    ODS_OK)
		return er;
	if (!uuid_shaped(run->run_id))
		return bad(e->why, "run.runId", "a UUID");
	if ((er = ods_json_obj(body, "job", 1, &o, e->why)) != ODS_OK)
		return er;
	if ((er = ods_json_str(o, "namespace", 1, ODS_LINEAGE_NS_MAX,
	    &run->job_namespace, e->why)) != ODS_OK ||
	    (er = ods_json_str(o, "name", 1, ODS_LINEAGE_NAME_MAX,
	    &run->job_name, e->why)) != ODS_OK)
		return er;
	facets = ods_json_get(ods_json_get(o, "facets"), "sql");
	run->transformation = ods_json_get_str(facets, "query");
	if ((er = emit_refs(e, body, "inputs", 0, &e->in, &e->nin)) !=
	    ODS_OK || (er = emit_refs(e, body, "outputs", 0, &e->out,
	    &e->nout)) != ODS_OK)
		return er;
	if (e->nout > 0) {
		o = ods_json_arr_get(ods_json_get(body, "outputs"), 0);
		facets = ods_json_get(ods_json_get(ods_json_get(o, "facets"),
		    "columnLineage"), "fields");
		e->er = ODS_OK;
		if (facets != NULL && ods_json_obj_each(facets, emit_field,
		    e) != 0)
			return e->er;
	}
	/* Kept as sent when it says what it is; else written again. */
	if (ods_json_get_str(body, "schemaURL") != NULL)
		run->payload = ods_json_text(body);
	return ODS_OK;
}

static enum ods_err
emit_reference(struct emit *e, struct json_object *body,
    struct ods_lineage_run *run)
{
	static const struct {
		const char	*ref, *ol;
	} types[] = {
		{ "JOB_STARTED", "START" }, { "JOB_COMPLETED", "COMPLETE" },
		{ "JOB_FAILED", "FAIL" }, { "JOB_ABORTED", "ABORT" },
	};
	const char	*t;
	enum ods_err	 er;
	size_t		 i;

	if ((er = ods_json_str(body, "event_type", 1, 32, &t, e->why)) !=
	    ODS_OK)
		return er;
	run->event_type = t;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(t, types[i].ref) == 0)
			run->event_type = types[i].ol;
	if ((er = ods_json_str(body, "job_name", 1, ODS_LINEAGE_NAME_MAX,
	    &run->job_name, e->why)) != ODS_OK)
		return er;
	e->ns = ODS_LINEAGE_NS_DEFAULT;
	if ((er = ods_json_str(body, "namespace", 0, ODS_LINEAGE_NS_MAX,
	    &e->ns, e->why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_str(body, "transformation", 0, 0,
	    &run->transformation, e->why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_str(body, "run_id", 0, 64, &run->run_id,
	    e->why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = ods_json_str(body, "event_time", 0, 64, &run->event_time,
	    e->why)) != ODS_OK && er != ODS_ENOTFOUND)
		return er;
	if ((er = emit_refs(e, body, "source_tables", 1, &e->in, &e->nin)) !=
	    ODS_OK)
		return er;
	return emit_refs(e, body, "target_tables", 1, &e->out, &e->nout);
}

enum ods_err
ods_lineage_emit(struct ods_db *db, struct json_object *body,
    char run_id[65], struct ods_why *why)
{
	struct ods_lineage_run	run;
	struct emit		e;
	enum ods_err		er;
	char			uuid[37];

	memset(&run, 0, sizeof(run));
	memset(&e, 0, sizeof(e));
	e.why = why;
	if (!ods_json_is_obj(body))
		return bad(why, "", "the body must be a JSON object");
	if (ods_json_get(body, "eventType") != NULL)
		er = emit_openlineage(&e, body, &run);
	else
		er = emit_reference(&e, body, &run);
	if (er != ODS_OK)
		goto out;
	run.inputs = e.in;
	run.ninputs = e.nin;
	run.outputs = e.out;
	run.noutputs = e.nout;
	run.cols = e.cols;
	run.ncols = e.ncols;
	if (run.run_id == NULL) {
		run_uuid(NULL, uuid);
		run.run_id = uuid;
	}
	snprintf(run_id, 65, "%s", run.run_id);
	er = record(db, &run, why);
out:
	emit_free(&e);
	return er;
}
