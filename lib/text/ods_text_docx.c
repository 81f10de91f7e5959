/*
 * lib/text/ods_text_docx.c — DOCX to text: word/document.xml is read
 * from the zip with libzip and streamed through libxml2's xmlReader, so
 * neither the archive nor the XML is ever held whole in memory.
 *
 * Zip bombs: at most ODS_TEXT_DOCX_MAX_ENTRIES entries; the entry's
 * declared size must be under ODS_TEXT_DOCX_MAX_XML, and the bytes read
 * are counted against both while inflating (a lying header stops there).
 * XML: no network, no DTD (a DOCTYPE is refused before any entity could
 * be expanded), libxml2's own depth limit.
 *
 * WordprocessingML: w:p ends a line (in a table cell, a space), w:t is
 * text, w:tab a tab, w:br/w:cr a line break, w:tc ends with a tab, w:tr
 * with a line; deleted text (w:delText) and field codes (w:instrText)
 * are not text.
 */
#include "config.h"

#include <string.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

#define NS_W		"http://schemas.openxmlformats.org/" \
			"wordprocessingml/2006/main"
#define NS_W_STRICT	"http://purl.oclc.org/ooxml/wordprocessingml/main"

struct src {
	zip_file_t	*zf;
	int		 mem;		/* the zip is in memory */
	zip_uint64_t	 declared;
	zip_uint64_t	 read;
	int		 toobig;
	int		 zip_err;	/* libzip's error, 0: none */
	int		 zip_io;	/* and it was the disk's */
};

struct state {
	struct odsi_text_out	*o;
	int			 in_r;	/* inside w:r */
	int			 in_t;	/* inside w:t */
	int			 in_tc;	/* inside table cells */
};

/* A read or seek that failed with an errno, on a file. */
static int
io_error(const struct src *s, zip_error_t *e)
{
	int	ze = zip_error_code_zip(e);

	return !s->mem && (ze == ZIP_ER_READ || ze == ZIP_ER_SEEK) &&
	    zip_error_code_system(e) != 0;
}

static int
read_cb(void *arg, char *buf, int len)
{
	struct src	*s = arg;
	zip_int64_t	 n;

	if (len <= 0)
		return 0;
	n = zip_fread(s->zf, buf, (zip_uint64_t)len);
	if (n < 0) {
		s->zip_err = zip_error_code_zip(zip_file_get_error(s->zf));
		s->zip_io = io_error(s, zip_file_get_error(s->zf));
		return -1;
	}
	s->read += (zip_uint64_t)n;
	if (s->read > s->declared || s->read > ODS_TEXT_DOCX_MAX_XML) {
		s->toobig = 1;
		return -1;
	}
	return (int)n;
}

static int
close_cb(void *arg)
{
	(void)arg;
	return 0;
}

/*
 * A libzip error code as ours, with words for the client. io says it was
 * the disk's doing (the file cannot be opened, or a read failed with an
 * errno); anything else, and everything on memory, is a damaged file.
 */
static enum ods_err
zip_fail(int ze, int io, struct ods_why *why)
{
	if (ze == ZIP_ER_MEMORY)
		return ODS_ENOMEM;
	if (io) {
		ods_log(ODS_LOG_WARN, "text_docx_read zip_error=%d", ze);
		ods_why_set(why, NULL, "the file cannot be read");
		return ODS_EIO;
	}
	if (ze == ZIP_ER_NOPASSWD || ze == ZIP_ER_WRONGPASSWD ||
	    ze == ZIP_ER_ENCRNOTSUPP)
		ods_why_set(why, NULL, "the DOCX is encrypted");
	else if (ze == ZIP_ER_CRC)
		ods_why_set(why, NULL, "the DOCX is damaged (bad checksum)");
	else
		ods_why_set(why, NULL, "not a DOCX: the zip is damaged or is "
		    "no zip");
	return ODS_EINVAL;
}

static int
is(const xmlChar *name, const char *s)
{
	return strcmp((const char *)name, s) == 0;
}

static enum ods_err
on_start(struct state *st, const xmlChar *name, int empty)
{
	if (is(name, "r"))
		st->in_r += !empty;
	else if (is(name, "t"))
		st->in_t = !empty;
	else if (is(name, "tc"))
		st->in_tc += !empty;
	else if (st->in_r > 0 && is(name, "tab"))
		return odsi_text_hard(st->o, "\t", 1);
	else if (st->in_r > 0 && (is(name, "br") || is(name, "cr")))
		odsi_text_brk(st->o, st->o->nl + 1);
	else if (st->in_r > 0 && is(name, "noBreakHyphen"))
		return odsi_text_hard(st->o, "-", 1);
	else if (empty && is(name, "p"))
		odsi_text_brk(st->o, 1);
	return ODS_OK;
}

static void
on_end(struct state *st, const xmlChar *name)
{
	if (is(name, "r") && st->in_r > 0)
		st->in_r--;
	else if (is(name, "t"))
		st->in_t = 0;
	else if (is(name, "p")) {
		if (st->in_tc > 0)
			odsi_text_sep(st->o, ' ');
		else
			odsi_text_brk(st->o, 1);
	} else if (is(name, "tc")) {
		if (st->in_tc > 0)
			st->in_tc--;
		odsi_text_sep(st->o, '\t');
	} else if (is(name, "tr") || is(name, "tbl"))
		odsi_text_brk(st->o, 1);
}

/* Stream the XML into out. */
static enum ods_err
read_xml(struct odsi_text_out *o, struct src *s, struct ods_why *why)
{
	struct state		 st = { o, 0, 0, 0 };
	xmlTextReaderPtr	 rd;
	const xmlChar		*ns, *name, *v;
	enum ods_err		 er = ODS_OK;
	int			 r = 0, type;

	odsi_text_xml_init();
	rd = xmlReaderForIO(read_cb, close_cb, s, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (rd == NULL)
		return ODS_ENOMEM;
	while (er == ODS_OK && !o->full && (r = xmlTextReaderRead(rd)) == 1) {
		type = xmlTextReaderNodeType(rd);
		if (type == XML_READER_TYPE_DOCUMENT_TYPE) {
			ods_why_set(why, NULL, "word/document.xml has a DTD");
			er = ODS_EINVAL;
			break;
		}
		if (type == XML_READER_TYPE_TEXT ||
		    type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE ||
		    type == XML_READER_TYPE_CDATA) {
			if (st.in_t && (v = xmlTextReaderConstValue(rd)) != NULL)
				er = odsi_text_hard(o, (const char *)v,
				    strlen((const char *)v));
			continue;
		}
		if (type != XML_READER_TYPE_ELEMENT &&
		    type != XML_READER_TYPE_END_ELEMENT)
			continue;
		ns = xmlTextReaderConstNamespaceUri(rd);
		name = xmlTextReaderConstLocalName(rd);
		if (ns == NULL || name == NULL || (!is(ns, NS_W) &&
		    !is(ns, NS_W_STRICT)))
			continue;
		if (type == XML_READER_TYPE_ELEMENT)
			er = on_start(&st, name,
			    xmlTextReaderIsEmptyElement(rd) == 1);
		else
			on_end(&st, name);
	}
	if (er == ODS_OK && !o->full && r != 0) {
		if (s->toobig) {
			ods_why_set(why, NULL, "word/document.xml is over its "
			    "declared size or %u bytes", ODS_TEXT_DOCX_MAX_XML);
			er = ODS_ETOOBIG;
		} else if (s->zip_err != 0)
			er = zip_fail(s->zip_err, s->zip_io, why);
		else {
			ods_why_set(why, NULL, "word/document.xml is not "
			    "well-formed XML");
			er = ODS_EINVAL;
		}
	}
	xmlFreeTextReader(rd);
	return er;
}

/* The zip of a file or of memory; on failure libzip's error, and io set
 * when the disk is to blame (no such file, a failed read). */
static zip_t *
open_zip(const struct src *s, const char *path, const void *buf, size_t len,
    int *ze, int *io)
{
	zip_source_t	*src;
	zip_error_t	 err;
	zip_t		*za = NULL;

	zip_error_init(&err);
	src = path != NULL ? zip_source_file_create(path, 0, 0, &err) :
	    zip_source_buffer_create(buf, len, 0, &err);
	if (src != NULL &&
	    (za = zip_open_from_source(src, ZIP_RDONLY, &err)) == NULL)
		zip_source_free(src);
	if (za == NULL) {
		*ze = zip_error_code_zip(&err);
		*io = io_error(s, &err) || (path != NULL &&
		    (*ze == ZIP_ER_OPEN || *ze == ZIP_ER_NOENT));
	}
	zip_error_fini(&err);
	return za;
}

enum ods_err
odsi_text_docx(struct odsi_text_out *o, const char *path, const void *buf,
    size_t len, struct ods_why *why)
{
	struct src	 s;
	zip_stat_t	 st;
	zip_t		*za;
	zip_int64_t	 idx;
	enum ods_err	 er;
	int		 ze = 0, io = 0;

	memset(&s, 0, sizeof(s));
	s.mem = path == NULL;
	if ((za = open_zip(&s, path, buf, len, &ze, &io)) == NULL)
		return zip_fail(ze, io, why);
	if (zip_get_num_entries(za, 0) > ODS_TEXT_DOCX_MAX_ENTRIES) {
		ods_why_set(why, NULL, "the DOCX has more than %d entries",
		    ODS_TEXT_DOCX_MAX_ENTRIES);
		er = ODS_ETOOBIG;
		goto out;
	}
	if ((idx = zip_name_locate(za, "word/document.xml", 0)) < 0 ||
	    zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0) {
		ods_why_set(why, NULL, "not a DOCX: no word/document.xml");
		er = ODS_EINVAL;
		goto out;
	}
	if (!(st.valid & ZIP_STAT_SIZE) || st.size > ODS_TEXT_DOCX_MAX_XML) {
		ods_why_set(why, NULL, "word/document.xml declares more than "
		    "%u bytes", ODS_TEXT_DOCX_MAX_XML);
		er = ODS_ETOOBIG;
		goto out;
	}
	s.declared = st.size;
	if ((s.zf = zip_fopen_index(za, (zip_uint64_t)idx, 0)) == NULL) {
		er = zip_fail(zip_error_code_zip(zip_get_error(za)),
		    io_error(&s, zip_get_error(za)), why);
		goto out;
	}
	er = read_xml(o, &s, why);
	zip_fclose(s.zf);
out:
	zip_discard(za);
	return er;
}
