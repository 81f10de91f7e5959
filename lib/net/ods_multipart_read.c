/*
 * lib/net/ods_multipart_read.c — a request's multipart body, read in
 * chunks through the parser: file parts to a sink as they arrive, small
 * fields collected for the handler. Memory stays the parser's fixed
 * buffers, one read chunk and the fields (bounded), whatever the body's
 * size.
 */
#include "config.h"

#include <string.h>

#include "core/ods_mem.h"
#include "net/ods_multipart.h"
#include "net/ods_req.h"

#define CHUNK	(64u << 10)

struct rd {
	struct ods_req				*r;
	const struct ods_multipart_sink		*sink;
	struct ods_multipart_form		*form;
	struct ods_multipart_limits		 lim;
	size_t					 cap;	/* of form->fields */
	size_t					 total;
	void					*file;
	int					 is_file, open;
	struct ods_buf				 val;
};

static enum ods_err
on_begin(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	struct rd	*rd = arg;
	enum ods_err	 er;

	if ((rd->is_file = p->filename != NULL)) {
		if (rd->sink == NULL || rd->sink->open == NULL) {
			ods_why_set(e, p->name, "field '%.60s' is a file; a "
			    "value was expected", p->name);
			return ODS_EINVAL;
		}
		rd->file = NULL;
		if ((er = rd->sink->open(rd->sink->arg, p, &rd->file, e)) !=
		    ODS_OK)
			return er;
		rd->open = 1;
		rd->form->nfiles++;
		return ODS_OK;
	}
	if (rd->form->nfields >= rd->lim.max_fields) {
		ods_why_set(e, p->name, "more than %zu form fields",
		    rd->lim.max_fields);
		return ODS_EINVAL;
	}
	ods_buf_reset(&rd->val);
	return ODS_OK;
}

static enum ods_err
on_data(void *arg, const struct ods_multipart_part *p, const char *b,
    size_t n, struct ods_why *e)
{
	struct rd	*rd = arg;

	if (rd->is_file)
		return rd->sink->write != NULL ? rd->sink->write(rd->sink->arg,
		    rd->file, b, n, e) : ODS_OK;
	if (n > rd->lim.max_field_bytes - rd->val.len) {
		ods_why_set(e, p->name, "field '%.60s' is larger than %zu "
		    "bytes", p->name, rd->lim.max_field_bytes);
		return ODS_ETOOBIG;
	}
	if (n > rd->lim.max_fields_total - rd->total) {
		ods_why_set(e, p->name, "the form fields are larger than %zu "
		    "bytes together", rd->lim.max_fields_total);
		return ODS_ETOOBIG;
	}
	rd->total += n;
	return ods_buf_add(&rd->val, b, n);
}

/* The field just ended into the form (request arena). */
static enum ods_err
field_add(struct rd *rd, const struct ods_multipart_part *p)
{
	struct ods_multipart_form	*f = rd->form;
	struct ods_multipart_field	*nf, *fl;
	char				*v;

	if (f->nfields == rd->cap) {
		rd->cap = rd->cap == 0 ? 8 : 2 * rd->cap;
		if ((nf = ods_req_alloc(rd->r, rd->cap * sizeof(*nf))) == NULL)
			return ODS_ENOMEM;
		if (f->nfields > 0)
			memcpy(nf, f->fields, f->nfields * sizeof(*nf));
		f->fields = nf;
	}
	fl = &f->fields[f->nfields];
	if ((v = ods_req_alloc(rd->r, rd->val.len + 1)) == NULL ||
	    (fl->name = ods_req_strdup(rd->r, p->name)) == NULL ||
	    (fl->content_type = ods_req_strdup(rd->r, p->content_type)) ==
	    NULL)
		return ODS_ENOMEM;
	if (rd->val.len > 0)
		memcpy(v, rd->val.data, rd->val.len);
	fl->value = v;
	fl->len = rd->val.len;
	f->nfields++;
	return ODS_OK;
}

static enum ods_err
on_end(void *arg, const struct ods_multipart_part *p, struct ods_why *e)
{
	struct rd	*rd = arg;

	if (!rd->is_file)
		return field_add(rd, p);
	/* A sink whose close fails has cleaned up itself. */
	rd->open = 0;
	return rd->sink->close != NULL ? rd->sink->close(rd->sink->arg,
	    rd->file, e) : ODS_OK;
}

/* Read and feed until the body ends. */
static enum ods_err
pump(struct rd *rd, struct ods_multipart *m, struct ods_why *e)
{
	char		*buf;
	size_t		 got;
	enum ods_err	 er;

	if ((buf = ods_req_alloc(rd->r, CHUNK)) == NULL)
		return ODS_ENOMEM;
	for (;;) {
		if ((er = ods_req_read(rd->r, buf, CHUNK, &got)) != ODS_OK) {
			if (er == ODS_ETOOBIG)
				ods_why_set(e, NULL, "request body is larger "
				    "than %zu bytes", ods_req_body_max(rd->r));
			else
				ods_why_set(e, NULL, "reading the body: %s",
				    ods_strerror(er));
			return er;
		}
		if (got == 0)
			return ods_multipart_finish(m, e);
		if ((er = ods_multipart_feed(m, buf, got, e)) != ODS_OK)
			return er;
	}
}

enum ods_err
ods_multipart_read(struct ods_req *r, const struct ods_multipart_sink *sink,
    const struct ods_multipart_limits *lim, struct ods_multipart_form *form,
    struct ods_why *e)
{
	struct ods_multipart_cb	 cb = { on_begin, on_data, on_end, NULL };
	struct ods_multipart	*m = NULL;
	struct rd		 rd;
	const char		*ctype = ods_req_header(r, "Content-Type");
	char			 b[ODS_MULTIPART_BOUNDARY_MAX + 1];
	enum ods_err		 er;

	memset(form, 0, sizeof(*form));
	memset(&rd, 0, sizeof(rd));
	rd.r = r;
	rd.sink = sink;
	rd.form = form;
	if (lim != NULL)
		rd.lim = *lim;
	if (rd.lim.max_field_bytes == 0)
		rd.lim.max_field_bytes = ODS_MULTIPART_MAX_FIELD_BYTES;
	if (rd.lim.max_fields == 0)
		rd.lim.max_fields = ODS_MULTIPART_MAX_FIELDS;
	if (rd.lim.max_fields_total == 0)
		rd.lim.max_fields_total = ODS_MULTIPART_MAX_FIELDS_TOTAL;
	ods_buf_init(&rd.val, rd.lim.max_field_bytes);
	cb.arg = &rd;
	if ((er = ods_multipart_boundary(ctype, b, e)) != ODS_OK)
		goto out;
	if ((m = ods_multipart_new(ctype, lim, &cb, e)) == NULL) {
		er = ODS_ENOMEM;
		goto out;
	}
	er = pump(&rd, m, e);
out:
	if (er != ODS_OK && rd.open && sink->abort != NULL)
		sink->abort(sink->arg, rd.file);
	ods_multipart_free(m);
	ods_buf_free(&rd.val);
	return er;
}

const struct ods_multipart_field *
ods_multipart_field(const struct ods_multipart_form *f, const char *name)
{
	size_t	i;

	for (i = 0; i < f->nfields; i++)
		if (strcmp(f->fields[i].name, name) == 0)
			return &f->fields[i];
	return NULL;
}
