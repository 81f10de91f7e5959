/* lib/text/ods_text_html.c — HTML to text (libxml2's HTML parser). */
#include "config.h"

#include "core/ods_err.h"
#include "text/ods_text_int.h"

enum ods_err
odsi_text_html(struct odsi_text_out *o, const char *in, size_t len,
    char charset[32], struct ods_why *why)
{
	(void)o; (void)in; (void)len; (void)charset;
	ods_why_set(why, NULL, "HTML is not read yet");
	return ODS_EUNSUPPORTED;
}
