/*
 * lib/text/ods_tab.h — tables in text files: CSV, TSV, JSON (an array of
 * objects) and JSON Lines, read for a preview and counted for a version.
 *
 * ods_tab_read takes the head of a file (or all of it: eof) and gives its
 * first rows with named, typed columns. CSV follows RFC 4180 (quoted
 * fields with "" escapes and line breaks inside, CRLF or LF) and detects
 * its dialect: the delimiter among , ; | and TAB that splits the first
 * records into the same number of fields, and whether the first record is
 * a header (distinct, non-empty, non-numeric names). Text in another
 * charset (GBK/GB18030 and the others lib/text knows) is converted to
 * UTF-8 first; charset tells which it was. Blank lines are skipped.
 *
 * When the head is not the whole file (eof 0), the last record may be cut
 * in the middle: it is left out, and more is set. A file that does not
 * parse is ODS_EMALFORMED (HTTP 422) with why saying where ("line 7: ...")
 * and *line (may be NULL) the 1-based line: an unterminated quote at the
 * end of the file, a character after a closing quote, a record with
 * another number of fields than the first, a JSON Lines line that is not
 * an object, JSON that is not an array of objects.
 *
 * Column types: integer, number, boolean, date (YYYY-MM-DD), datetime
 * (ISO-8601), string, json (nested objects and arrays); numbers follow
 * JSON's grammar (so "007" and "0x1F" stay strings); an empty cell is
 * null and makes the column nullable; a column of different kinds is a
 * string (integer and number make number, date and datetime datetime).
 *
 * ods_tab_count counts the records of a whole file as it streams by, in
 * constant memory (quotes that open a field are followed, so a line break
 * inside a quoted field does not count; GBK never puts '"' or a line
 * break inside a character, so the raw bytes are counted). It does not
 * know the delimiter, so a quote after any of , ; | TAB opens a field.
 *
 * Thread-safe: no shared state.
 */
#ifndef ODS_TAB_H
#define ODS_TAB_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

struct ods_why;

enum ods_tab_format {
	ODS_TAB_UNKNOWN = 0, ODS_TAB_CSV, ODS_TAB_TSV, ODS_TAB_JSON,
	ODS_TAB_JSONL
};

enum ods_tab_type {
	ODS_TAB_T_NULL = 0,	/* no value seen yet */
	ODS_TAB_T_BOOL, ODS_TAB_T_INT, ODS_TAB_T_NUMBER, ODS_TAB_T_DATE,
	ODS_TAB_T_DATETIME, ODS_TAB_T_STRING, ODS_TAB_T_JSON
};

#define ODS_TAB_COLS_MAX	1024	/* columns of a table */
#define ODS_TAB_ROWS_MAX	1000	/* rows of a preview */
#define ODS_TAB_NAME_MAX	128	/* bytes of a column name */

/* "csv", "tsv"/"tab", "json", "jsonl"/"ndjson"/"jsonlines"; else UNKNOWN. */
enum ods_tab_format	 ods_tab_format_of(const char *name);
/* The format a file name's extension says (.csv .tsv .json .jsonl ...). */
enum ods_tab_format	 ods_tab_format_of_file(const char *file_name);
/* "csv", "tsv", "json", "jsonl", "unknown". */
const char		*ods_tab_format_name(enum ods_tab_format);
/* "integer", "number", "boolean", "date", "datetime", "string", "json". */
const char		*ods_tab_type_name(enum ods_tab_type);

struct ods_tab_col {
	char			*name;
	enum ods_tab_type	 type;	/* never ODS_TAB_T_NULL: STRING then */
	int			 nullable;
};

struct ods_tab {
	char			 charset[32];
	char			 delim;		/* CSV/TSV: the delimiter */
	int			 header;	/* CSV/TSV: the first record named */
	int			 more;		/* rows were left unread */
	size_t			 ncols;
	struct ods_tab_col	*cols;
	size_t			 nrows;
	/*
	 * nrows * ncols cells, row after row: UTF-8 text, NULL for null (an
	 * empty CSV cell, a JSON null or a missing member). A json cell is
	 * the value's JSON text.
	 */
	char			**cells;
};

/*
 * The first limit rows (1..ODS_TAB_ROWS_MAX) of buf[0..len), a head of
 * the file or (eof) all of it. charset_hint (may be NULL) is used when
 * the bytes are not UTF-8 (else it is guessed). *out: caller frees with
 * ods_tab_free. Returns ODS_OK, ODS_EMALFORMED (why, *line), ODS_EINVAL
 * (bad arguments, a format UNKNOWN), ODS_EUNSUPPORTED (binary bytes),
 * ODS_ENOMEM.
 */
enum ods_err	 ods_tab_read(enum ods_tab_format, const char *buf,
		    size_t len, int eof, size_t limit, const char *charset_hint,
		    struct ods_tab **out, size_t *line, struct ods_why *)
		    ODS_MUSTCHECK;
void		 ods_tab_free(struct ods_tab *);
/* Cell (row, col): borrowed, NULL for null or out of range. */
const char	*ods_tab_cell(const struct ods_tab *, size_t row, size_t col);

/* The record counter; init, feed the bytes in order, then end. */
struct ods_tab_count {
	enum ods_tab_format	 fmt;
	uint64_t		 records;
	int			 inq;		/* inside a quoted field */
	int			 at_field;	/* at a field's start */
	int			 bom;		/* BOM bytes seen; -1 past */
	int			 content;	/* the line has content */
	int			 depth;		/* JSON nesting */
	int			 instr, esc;	/* JSON string state */
	int			 expect;	/* JSON: an element may start */
};
void		 ods_tab_count_init(struct ods_tab_count *,
		    enum ods_tab_format);
void		 ods_tab_count_feed(struct ods_tab_count *, const char *,
		    size_t);
/* Records seen (rows: the header, when header, is not one). */
uint64_t	 ods_tab_count_end(struct ods_tab_count *, int header);

/*
 * Records of a whole delimited file as it streams by (ods_tab_rec.c), in
 * memory bounded by the longest record: init, feed the bytes in order,
 * end. delim is the field delimiter (',' or '\t'), or '\0' for lines
 * (JSON Lines: one field a non-blank line). fn gets each record: n fields
 * (f[i], l[i] bytes, not NUL-terminated), bad non-NULL when the record is
 * malformed (why, for people): a character after a closing quote, an
 * unterminated quote at the end, a record past max_record bytes (its
 * fields cut) or of more than 2 * ODS_TAB_COLS_MAX fields. Non-zero from
 * fn stops: feed and end return it. feed and end return -1 out of memory.
 */
typedef int	(*ods_tab_rec_fn)(void *arg, const char **f, const size_t *l,
		    size_t n, const char *bad);
struct ods_tab_rec {
	char		 delim;
	size_t		 max;
	ods_tab_rec_fn	 fn;
	void		*arg;
	int		 st, bom;
	int		 malformed, toobig, quoted_seen;
	char		*buf;
	size_t		 len, cap;
	size_t		*off;	/* each field's end in buf */
	size_t		 nf, capf;
	uint64_t	 records;
};
void		 ods_tab_rec_init(struct ods_tab_rec *, char delim,
		    size_t max_record, ods_tab_rec_fn, void *arg);
int		 ods_tab_rec_feed(struct ods_tab_rec *, const char *, size_t);
/* The last record (one without a line end) and the memory released. */
int		 ods_tab_rec_end(struct ods_tab_rec *);

struct ods_buf;
/*
 * s (n bytes) as one CSV field into b: quoted ("" for a quote) when it
 * holds delim, a quote or a line end. ODS_OK or the errors of
 * ods_buf_add.
 */
enum ods_err	 ods_tab_csv_field(struct ods_buf *, const char *s, size_t n,
		    char delim) ODS_MUSTCHECK;

#endif /* ODS_TAB_H */
