/*
 * lib/text/ods_text_int.h — what the files of lib/text share: the output
 * sink every extractor writes into, charset decoding, and one extractor
 * per format. Not for use outside lib/text.
 */
#ifndef ODS_TEXT_INT_H
#define ODS_TEXT_INT_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_text_result;

/*
 * The text being built. Whatever is put is made valid UTF-8 (each
 * maximal invalid subpart becomes U+FFFD, NUL bytes are dropped) and
 * stops at max bytes on a code point boundary, setting full: extractors
 * check full and stop reading. The layout helpers (flow, brk, sep) are
 * for the structured formats: runs of white space become one space,
 * block ends become line breaks, nothing dangles at either end.
 */
struct odsi_text_out {
	char		*buf;
	size_t		 len;
	size_t		 alloc;
	size_t		 max;
	int		 full;		/* max reached */
	int		 nl;		/* line breaks owed before the next text */
	char		 sep;		/* ' ' or '\t' owed, 0: none */
};

void		 odsi_text_out_init(struct odsi_text_out *, size_t max);
void		 odsi_text_out_fini(struct odsi_text_out *);
/* Append p[0..n) as it is, made valid UTF-8. */
enum ods_err	 odsi_text_put(struct odsi_text_out *, const char *p, size_t n)
		    ODS_MUSTCHECK;
/* The same for p[0..n) known to be valid UTF-8 (NUL still dropped). */
enum ods_err	 odsi_text_put_valid(struct odsi_text_out *, const char *p,
		    size_t n) ODS_MUSTCHECK;
/* Append text whose white space is layout: runs of it become one space. */
enum ods_err	 odsi_text_flow(struct odsi_text_out *, const char *p,
		    size_t n) ODS_MUSTCHECK;
/* Append text after what is owed, white space kept (<pre>, a tab). */
enum ods_err	 odsi_text_hard(struct odsi_text_out *, const char *p,
		    size_t n) ODS_MUSTCHECK;
/* Owe k (1 or 2) line breaks before the next text. */
void		 odsi_text_brk(struct odsi_text_out *, int k);
/* Owe a separator c (' ' or '\t') before the next text on this line. */
void		 odsi_text_sep(struct odsi_text_out *, char c);
/* Hand the text to res (NUL-terminated; an empty text is "", not NULL). */
enum ods_err	 odsi_text_out_take(struct odsi_text_out *,
		    struct ods_text_result *) ODS_MUSTCHECK;

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
size_t		 odsi_utf8_seq(const unsigned char *p, size_t n);
/* At an invalid sequence: the bytes one U+FFFD replaces (1..3). */
size_t		 odsi_utf8_bad(const unsigned char *p, size_t n);
/* 1 when p[0..n) is all valid UTF-8. */
int		 odsi_utf8_valid(const char *p, size_t n);

/*
 * Bytes of unknown charset to UTF-8 into out: a BOM decides (and is
 * dropped), else (mostly) valid UTF-8 passes, else the hint (a charset
 * the document names itself; NULL: none) if iconv knows it, else
 * uchardet guesses and iconv converts. charset gets the source
 * charset's name. ODS_EUNSUPPORTED for bytes that are not text
 * (binary), ODS_EINVAL for text whose charset cannot be told.
 */
enum ods_err	 odsi_text_decode(struct odsi_text_out *, const char *in,
		    size_t len, const char *hint, char charset[32],
		    struct ods_why *) ODS_MUSTCHECK;
/* xmlInitParser() once, before any thread uses libxml2. */
void		 odsi_text_xml_init(void);

/* The extractors: into out, ODS_OK or a reason in why. */
enum ods_err	 odsi_text_html(struct odsi_text_out *, const char *in,
		    size_t len, char charset[32], struct ods_why *)
		    ODS_MUSTCHECK;
enum ods_err	 odsi_text_docx(struct odsi_text_out *, const char *path,
		    const void *buf, size_t len, struct ods_why *)
		    ODS_MUSTCHECK;
enum ods_err	 odsi_text_pdf(struct odsi_text_out *, const char *path,
		    const void *buf, size_t len, unsigned *pages,
		    int *truncated, struct ods_why *) ODS_MUSTCHECK;

#endif /* ODS_TEXT_INT_H */
