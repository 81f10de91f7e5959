/* lib/text/ods_text_docx.c — DOCX to text (libzip, libxml2). */
#include "config.h"

#include "core/ods_err.h"
#include "text/ods_text_int.h"

enum ods_err
odsi_text_docx(struct odsi_text_out *o, const char *path, const void *buf,
    size_t len, struct ods_why *why)
{
	(void)o; (void)path; (void)buf; (void)len;
	ods_why_set(why, NULL, "DOCX is not read yet");
	return ODS_EUNSUPPORTED;
}
