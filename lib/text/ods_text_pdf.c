/* lib/text/ods_text_pdf.c — PDF to text (poppler-glib). */
#include "config.h"

#include "core/ods_err.h"
#include "text/ods_text_int.h"

enum ods_err
odsi_text_pdf(struct odsi_text_out *o, const char *path, const void *buf,
    size_t len, unsigned *pages, int *truncated, struct ods_why *why)
{
	(void)o; (void)path; (void)buf; (void)len; (void)pages;
	(void)truncated;
	ods_why_set(why, NULL, "PDF is not read yet");
	return ODS_EUNSUPPORTED;
}
