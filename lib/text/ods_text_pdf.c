/*
 * lib/text/ods_text_pdf.c — PDF to text with poppler's C API
 * (poppler-glib): the text of each page in reading order, a blank line
 * between pages, at most ODS_TEXT_PDF_MAX_PAGES pages (then truncated).
 * An encrypted, damaged or non-PDF file is ODS_EINVAL; a file that
 * cannot be opened ODS_EIO. GLib and poppler objects stay in this file.
 */
#include "config.h"

#include <string.h>

#include <glib.h>
#include <poppler.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

static enum ods_err
open_fail(GError *err, struct ods_why *why)
{
	enum ods_err	er = ODS_EINVAL;

	if (err == NULL) {
		ods_why_set(why, NULL, "the PDF cannot be read");
		return ODS_EINVAL;
	}
	if (err->domain == POPPLER_ERROR &&
	    err->code == POPPLER_ERROR_ENCRYPTED)
		ods_why_set(why, NULL, "the PDF is encrypted");
	else if (err->domain == G_FILE_ERROR ||
	    (err->domain == POPPLER_ERROR &&
	    err->code == POPPLER_ERROR_OPEN_FILE)) {
		ods_log(ODS_LOG_WARN, "text_pdf_open error=%s", err->message);
		ods_why_set(why, NULL, "the file cannot be opened");
		er = ODS_EIO;
	} else
		ods_why_set(why, NULL, "not a PDF, or a damaged one");
	g_error_free(err);
	return er;
}

static PopplerDocument *
open_doc(const char *path, const void *buf, size_t len, GBytes **bytes,
    GError **err)
{
	PopplerDocument	*doc;
	char		*abs, *uri;

	*bytes = NULL;
	if (path != NULL) {
		/* A URI wants an absolute path; path may be relative. */
		abs = g_canonicalize_filename(path, NULL);
		uri = g_filename_to_uri(abs, NULL, err);
		g_free(abs);
		if (uri == NULL)
			return NULL;
		doc = poppler_document_new_from_file(uri, NULL, err);
		g_free(uri);
		return doc;
	}
	/* The document refers to buf, it does not copy it. */
	*bytes = g_bytes_new_static(buf, len);
	return poppler_document_new_from_bytes(*bytes, NULL, err);
}

enum ods_err
odsi_text_pdf(struct odsi_text_out *o, const char *path, const void *buf,
    size_t len, unsigned *pages, int *truncated, struct ods_why *why)
{
	PopplerDocument	*doc;
	PopplerPage	*page;
	GBytes		*bytes;
	GError		*err = NULL;
	char		*text;
	enum ods_err	 er = ODS_OK;
	int		 i, n;

	*pages = 0;
	if (path == NULL && (len < 5 || memmem(buf, len < 1024 ? len : 1024,
	    "%PDF-", 5) == NULL)) {
		/* poppler would say so too, after a search of the file. */
		ods_why_set(why, NULL, "not a PDF, or a damaged one");
		return ODS_EINVAL;
	}
	if ((doc = open_doc(path, buf, len, &bytes, &err)) == NULL) {
		if (bytes != NULL)
			g_bytes_unref(bytes);
		return open_fail(err, why);
	}
	n = poppler_document_get_n_pages(doc);
	for (i = 0; i < n && er == ODS_OK && !o->full; i++) {
		if (i >= ODS_TEXT_PDF_MAX_PAGES) {
			*truncated = 1;
			break;
		}
		if ((page = poppler_document_get_page(doc, i)) == NULL)
			continue;
		if ((text = poppler_page_get_text(page)) != NULL)
			er = odsi_text_hard(o, text, strlen(text));
		odsi_text_brk(o, 2);
		g_free(text);
		g_object_unref(page);
		(*pages)++;
	}
	g_object_unref(doc);
	if (bytes != NULL)
		g_bytes_unref(bytes);
	return er;
}
