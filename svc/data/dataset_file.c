/*
 * svc/data/dataset_file.c — a dataset's files: their format, the scan
 * that makes a version (size, SHA-256, rows, the head's columns) and the
 * preview (a ranged read of the head). dataset.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_mem.h"
#include "core/ods_util.h"
#include "store/ods_obj.h"
#include "text/ods_tab.h"
#include "dataset.h"

/* Rows of the head read to learn a version's columns. */
#define SCHEMA_ROWS	200

int
ods_dset_tab_format(const struct ods_dset *d, const struct ods_dsver *v)
{
	enum ods_tab_format	f = ODS_TAB_UNKNOWN;

	/* A version's own format is the word (parquet has no reader). */
	if (v != NULL && v->format != NULL && *v->format != '\0')
		return (int)ods_tab_format_of(v->format);
	if (v != NULL)
		f = ods_tab_format_of_file(v->file_name);
	if (f == ODS_TAB_UNKNOWN && v != NULL)
		f = ods_tab_format_of(v->format);
	if (f == ODS_TAB_UNKNOWN && d != NULL)
		f = ods_tab_format_of(d->format);
	return (int)f;
}

struct ods_dset_scanner {
	int			 fmt;
	struct ods_sha256	*sha;
	struct ods_tab_count	 count;
	uint64_t		 size;
	char			*head;
	size_t			 headlen;
};

struct ods_dset_scanner *
ods_dset_scanner_new(int fmt)
{
	struct ods_dset_scanner	*s;

	s = ods_xcalloc(1, sizeof(*s));
	s->fmt = fmt;
	if ((s->sha = ods_sha256_new()) == NULL) {
		free(s);
		return NULL;
	}
	ods_tab_count_init(&s->count, (enum ods_tab_format)fmt);
	s->head = ods_xmalloc(ODS_DSET_HEAD_BYTES);
	return s;
}

void
ods_dset_scanner_feed(struct ods_dset_scanner *s, const char *p, size_t n)
{
	size_t	k;

	if (s->headlen < ODS_DSET_HEAD_BYTES) {
		k = ODS_DSET_HEAD_BYTES - s->headlen;
		if (k > n)
			k = n;
		memcpy(s->head + s->headlen, p, k);
		s->headlen += k;
	}
	ods_sha256_update(s->sha, p, n);
	if (s->fmt != ODS_TAB_UNKNOWN)
		ods_tab_count_feed(&s->count, p, n);
	s->size += n;
}

void
ods_dset_scanner_end(struct ods_dset_scanner *s, struct ods_dset_scan *out)
{
	struct ods_why	why;
	enum ods_err	er;

	memset(out, 0, sizeof(*out));
	memset(&why, 0, sizeof(why));
	out->size = s->size;
	ods_sha256_final(s->sha, out->sha256);
	if (s->fmt != ODS_TAB_UNKNOWN) {
		er = ods_tab_read((enum ods_tab_format)s->fmt, s->head,
		    s->headlen, s->headlen == s->size, SCHEMA_ROWS, NULL,
		    &out->tab, NULL, &why);
		if (er == ODS_OK) {
			out->header = out->tab->header;
			snprintf(out->charset, sizeof(out->charset), "%s",
			    out->tab->charset);
		} else
			snprintf(out->why, sizeof(out->why), "%s", why.msg);
		out->rows = ods_tab_count_end(&s->count, out->header);
	}
	ods_sha256_free(s->sha);
	free(s->head);
	free(s);
}

void
ods_dset_scan_fini(struct ods_dset_scan *s)
{
	ods_tab_free(s->tab);
	s->tab = NULL;
}

static int
scan_write(void *arg, const char *p, size_t n)
{
	ods_dset_scanner_feed(arg, p, n);
	return 0;
}

enum ods_err
ods_dset_scan_obj(struct ods_obj *obj, const char *key, int fmt,
    struct ods_dset_scan *out)
{
	struct ods_dset_scanner	*s;
	struct ods_obj_sink	 sink;
	enum ods_err		 er;

	memset(out, 0, sizeof(*out));
	if ((s = ods_dset_scanner_new(fmt)) == NULL)
		return ODS_ENOMEM;
	memset(&sink, 0, sizeof(sink));
	sink.write = scan_write;
	sink.arg = s;
	er = ods_obj_get(obj, key, 0, ODS_OBJ_ALL, &sink);
	ods_dset_scanner_end(s, out);
	if (er != ODS_OK)
		ods_dset_scan_fini(out);
	return er;
}

/* The head of an object, in memory. */
struct head {
	char		*buf;
	size_t		 len;
	uint64_t	 size;	/* the whole object's */
};

static int
head_begin(void *arg, const struct ods_obj_info *in, uint64_t off,
    uint64_t len)
{
	struct head	*h = arg;

	(void)off;
	(void)len;
	h->size = in->size;
	return 0;
}

static int
head_write(void *arg, const char *p, size_t n)
{
	struct head	*h = arg;

	if (h->len + n > ODS_DSET_HEAD_BYTES)
		n = ODS_DSET_HEAD_BYTES - h->len;
	memcpy(h->buf + h->len, p, n);
	h->len += n;
	return 0;
}

enum ods_err
ods_dset_preview(struct ods_obj *obj, const char *key, int fmt,
    size_t limit, const char *charset_hint, struct ods_tab **out,
    size_t *line, struct ods_why *why)
{
	struct head		h;
	struct ods_obj_sink	sink = { head_begin, head_write, NULL };
	enum ods_err		er;

	*out = NULL;
	memset(&h, 0, sizeof(h));
	h.buf = ods_xmalloc(ODS_DSET_HEAD_BYTES);
	sink.arg = &h;
	er = ods_obj_get(obj, key, 0, ODS_DSET_HEAD_BYTES, &sink);
	if (er == ODS_EINVAL)	/* an empty object: nothing to read */
		er = ODS_OK;
	if (er == ODS_OK)
		er = ods_tab_read((enum ods_tab_format)fmt, h.buf, h.len,
		    h.len >= h.size, limit, charset_hint, out, line, why);
	free(h.buf);
	return er;
}
