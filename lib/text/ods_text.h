/*
 * lib/text/ods_text.h — the text of a document, and its chunks.
 *
 * Extraction turns a file (plain text, Markdown, HTML, PDF, DOCX, CSV,
 * JSON) into UTF-8 text for the knowledge base: always valid UTF-8
 * (invalid sequences become U+FFFD), no NUL bytes, at most max_out bytes.
 * Text in another charset (GBK/GB18030, Big5, Shift-JIS, Latin-1, UTF-16
 * with a BOM, ...) is detected and converted. Chunking cuts that text as
 * the reference's RAG pipeline does (reference-api §4.4).
 *
 * This layer is its own library (lib/text/libods_text.a): libxml2,
 * libzip, poppler-glib and uchardet stay inside it and out of the
 * programs that do not read documents. Thread-safe: no shared state.
 */
#ifndef ODS_TEXT_H
#define ODS_TEXT_H

#include <stddef.h>

#include "core/ods_err.h"

enum ods_text_format {
	ODS_TEXT_UNKNOWN = 0, ODS_TEXT_PLAIN, ODS_TEXT_MARKDOWN, ODS_TEXT_HTML,
	ODS_TEXT_PDF, ODS_TEXT_DOCX, ODS_TEXT_CSV, ODS_TEXT_JSON
};

/* max_out 0 means this many bytes of text. */
#define ODS_TEXT_DEFAULT_MAX_OUT	(64u << 20)
/* PDF pages read at most; the rest is left out and truncated set. */
#define ODS_TEXT_PDF_MAX_PAGES		10000
/* DOCX: entries in the zip, and word/document.xml's uncompressed bytes. */
#define ODS_TEXT_DOCX_MAX_ENTRIES	10000
#define ODS_TEXT_DOCX_MAX_XML		(256u << 20)
/* Input bytes for the formats read from memory whole (not PDF/DOCX). */
#define ODS_TEXT_MAX_IN			(512u << 20)

/*
 * From the file name's extension, else the content type (parameters
 * ignored), else magic bytes of head[0..headlen) (%PDF-, PK\3\4 with
 * word/, <html/<!doctype html, then text that is valid UTF-8 or has a
 * BOM: ODS_TEXT_PLAIN). Any argument may be NULL. ODS_TEXT_UNKNOWN when
 * nothing matches.
 */
enum ods_text_format	 ods_text_detect(const char *file_name,
			    const char *content_type, const void *head,
			    size_t headlen);
/* "text","markdown","html","pdf","docx","csv","json","unknown" */
const char		*ods_text_format_name(enum ods_text_format);

struct ods_text_result {
	char		*text;		/* UTF-8, NUL-terminated, free with ods_text_result_fini */
	size_t		 len;
	char		 charset[32];	/* detected source charset, "UTF-8" when it was */
	unsigned	 pages;		/* PDF pages read, else 0 */
	int		 truncated;	/* output cap reached */
};

/*
 * Extract the text of the file at path (PDF and DOCX need random access;
 * the caller has it on disk). max_out caps the output bytes (truncated
 * set when reached; 0: ODS_TEXT_DEFAULT_MAX_OUT). Returns ODS_OK,
 * ODS_EUNSUPPORTED (format unknown or not text), ODS_EINVAL (corrupt
 * file: bad PDF, bad zip, no word/document.xml, undecodable text),
 * ODS_ETOOBIG (zip entry or input over its cap), ODS_EIO, ODS_ENOMEM.
 * On error *res holds nothing to free (text NULL); why, when not NULL,
 * says what was wrong in words fit for the client.
 */
enum ods_err	 ods_text_extract_file(const char *path, enum ods_text_format,
		    size_t max_out, struct ods_text_result *) ODS_MUSTCHECK;
/* The same from memory (all formats). */
enum ods_err	 ods_text_extract_mem(const void *buf, size_t len,
		    enum ods_text_format, size_t max_out,
		    struct ods_text_result *) ODS_MUSTCHECK;
/* The two above, saying in why what was wrong (why may be NULL). */
enum ods_err	 ods_text_extract_file_why(const char *path,
		    enum ods_text_format, size_t max_out,
		    struct ods_text_result *, struct ods_why *) ODS_MUSTCHECK;
enum ods_err	 ods_text_extract_mem_why(const void *buf, size_t len,
		    enum ods_text_format, size_t max_out,
		    struct ods_text_result *, struct ods_why *) ODS_MUSTCHECK;
/* Free the text; NULL and an already finished result are no-ops. */
void		 ods_text_result_fini(struct ods_text_result *);

/* Chunking, reference-api §4.4 */
struct ods_text_chunk { size_t off; size_t len; };	/* byte range into text, after trimming */
/*
 * Split text[0..len) (valid UTF-8) into chunks of at most chunk_size
 * CHARACTERS (code points, not bytes) with overlap characters of overlap,
 * as §4.4 describes: for each window [pos, pos+chunk_size) the first
 * separator of the priority list "\n\n", "\n", "。", "！", "？", ".", "!",
 * "?", " " that occurs inside the window sets the cut, placed just after
 * that separator's LAST occurrence in the window; a window with none of
 * them is cut at its end; when the window reaches the end of the text,
 * the cut is the end and that chunk is the last. Chunks are trimmed of
 * whitespace (Unicode's, as Python's str.strip()) and empty ones dropped;
 * the next window starts overlap characters before the cut, or at the cut
 * if that would not move forward. A cut never splits a UTF-8 sequence.
 * Linear in len for overlap well below chunk_size.
 * chunk_size 1..100000, overlap < chunk_size. *out is malloc'ed (free());
 * NULL when *n is 0. Returns ODS_OK, ODS_EINVAL (bad sizes, text not
 * valid UTF-8), ODS_ENOMEM.
 */
enum ods_err	 ods_text_chunk(const char *text, size_t len,
		    size_t chunk_size, size_t overlap,
		    struct ods_text_chunk **out, size_t *n) ODS_MUSTCHECK;

#endif /* ODS_TEXT_H */
