/*
 * tests/check_ods_text.c — document text extraction and chunking
 * (lib/text): the §4.4 chunker on English and Chinese text (separator
 * priority, last occurrence, overlap, trimming, code points not bytes,
 * chunk counts for known inputs, long texts without separators); format
 * detection; each format from the small real files of tests/text/
 * (made by tests/text/make-fixtures.sh): the expected sentences are in
 * the text, script and style are not; charsets converted; corrupt and
 * hostile files refused with their own error.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "text/ods_text.h"
#include "ods_check.h"

/* ---- chunking ---- */

struct chunks {
	struct ods_text_chunk	*v;
	size_t			 n;
	const char		*text;
};

static void
chunk(struct chunks *c, const char *text, size_t size, size_t overlap)
{
	c->text = text;
	ck_assert_int_eq(ods_text_chunk(text, strlen(text), size, overlap,
	    &c->v, &c->n), ODS_OK);
}

/* Chunk i equals s. */
static void
is(const struct chunks *c, size_t i, const char *s)
{
	ck_assert_uint_lt(i, c->n);
	ck_assert_uint_eq(c->v[i].len, strlen(s));
	ck_assert_msg(memcmp(c->text + c->v[i].off, s, strlen(s)) == 0,
	    "chunk %zu is '%.*s', not '%s'", i, (int)c->v[i].len,
	    c->text + c->v[i].off, s);
}

/* Code points in p[0..n). */
static size_t
cps(const char *p, size_t n)
{
	size_t	i, k = 0;

	for (i = 0; i < n; i++)
		if (((unsigned char)p[i] & 0xc0) != 0x80)
			k++;
	return k;
}

START_TEST(test_chunk_cuts_after_the_last_paragraph_break_first)
{
	struct chunks	c;

	/* Window of 30: "\n\n" beats "." and " " even when earlier. */
	chunk(&c, "One two.\n\nThree four. Five six seven eight", 30, 0);
	ck_assert_uint_eq(c.n, 3);
	is(&c, 0, "One two.");
	is(&c, 1, "Three four.");
	is(&c, 2, "Five six seven eight");
	free(c.v);
}
END_TEST

START_TEST(test_chunk_prefers_line_then_sentence_then_space)
{
	struct chunks	c;

	/* No "\n\n": the last "\n" in the window. */
	chunk(&c, "a b.\nc d.\ne f g h i j k l m n o", 14, 0);
	is(&c, 0, "a b.\nc d.");
	free(c.v);
	/* No line break: the last "." wins over the spaces after it. */
	chunk(&c, "Alpha beta. Gamma delta epsilon zeta", 20, 0);
	is(&c, 0, "Alpha beta.");
	is(&c, 1, "Gamma delta");
	is(&c, 2, "epsilon zeta");
	ck_assert_uint_eq(c.n, 3);
	free(c.v);
	/* "!" only when there is no ".", "?" only when neither. */
	chunk(&c, "Wow! Is it? Yes it is so", 12, 0);
	is(&c, 0, "Wow!");
	free(c.v);
	chunk(&c, "Is it? Yes it is so and so", 12, 0);
	is(&c, 0, "Is it?");
	free(c.v);
}
END_TEST

START_TEST(test_chunk_counts_characters_and_cuts_chinese_at_full_stops)
{
	struct chunks	c;
	const char	*t = "知识库把文档切成小块。每块不超过十个字！"
			    "然后做向量？好的";
	size_t		i;

	/* 10 code points per window (30 bytes): cuts after 。！？. */
	chunk(&c, t, 12, 0);
	is(&c, 0, "知识库把文档切成小块。");
	is(&c, 1, "每块不超过十个字！");
	is(&c, 2, "然后做向量？好的");
	ck_assert_uint_eq(c.n, 3);
	for (i = 0; i < c.n; i++)
		ck_assert_uint_le(cps(t + c.v[i].off, c.v[i].len), 12);
	free(c.v);
	/* 。 beats ". " and " ": CJK punctuation is above ASCII's. */
	chunk(&c, "第一句。Then English. more words here", 20, 0);
	is(&c, 0, "第一句。");
	free(c.v);
}
END_TEST

START_TEST(test_chunk_never_splits_a_utf8_sequence)
{
	struct chunks	c;
	const char	*t = "汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字汉字";
	size_t		i;

	/* No separator at all: cut at the window end, a code point edge. */
	chunk(&c, t, 5, 2);
	for (i = 0; i < c.n; i++) {
		ck_assert_uint_eq(c.v[i].off % 3, 0);
		ck_assert_uint_eq(c.v[i].len % 3, 0);
		ck_assert_uint_le(c.v[i].len, 15);
	}
	/* 22 characters, windows at 0, 3, 6, ... 18 (advance 5 - 2). */
	ck_assert_uint_eq(c.n, 7);
	is(&c, 0, "汉字汉字汉");
	is(&c, 1, "字汉字汉字");
	free(c.v);
}
END_TEST

START_TEST(test_chunk_overlaps_by_characters)
{
	struct chunks	c;

	/* 26 letters, size 10, overlap 3: 0-10, 7-17, 14-24, 21-26. */
	chunk(&c, "abcdefghijklmnopqrstuvwxyz", 10, 3);
	ck_assert_uint_eq(c.n, 4);
	is(&c, 0, "abcdefghij");
	is(&c, 1, "hijklmnopq");
	is(&c, 2, "opqrstuvwx");
	is(&c, 3, "vwxyz");
	free(c.v);
	/* A cut too close to pos for the overlap: the next starts at it. */
	chunk(&c, "ab cdefghijklmn", 6, 4);
	is(&c, 0, "ab");
	is(&c, 1, "cdefgh");
	free(c.v);
}
END_TEST

START_TEST(test_chunk_trims_and_drops_empty_chunks)
{
	struct chunks	c;

	chunk(&c, "   \n\n\n\n  \t  \n\n\u3000 ", 4, 0);
	ck_assert_uint_eq(c.n, 0);
	ck_assert_ptr_null(c.v);
	chunk(&c, "\u3000 hello\u00a0 \n\n  world  ", 12, 0);
	is(&c, 0, "hello");
	is(&c, 1, "world");
	ck_assert_uint_eq(c.n, 2);
	free(c.v);
	chunk(&c, "", 10, 0);
	ck_assert_uint_eq(c.n, 0);
}
END_TEST

START_TEST(test_chunk_last_window_takes_the_rest_once)
{
	struct chunks	c;

	/* Reaching the end, the cut is the end: no duplicate tail. */
	chunk(&c, "one two three. four five", 100, 10);
	ck_assert_uint_eq(c.n, 1);
	is(&c, 0, "one two three. four five");
	free(c.v);
	/* Exactly chunk_size characters: one chunk. */
	chunk(&c, "abc. e", 6, 2);
	ck_assert_uint_eq(c.n, 1);
	free(c.v);
}
END_TEST

START_TEST(test_chunk_counts_for_the_reference_sizes)
{
	struct chunks	 c;
	char		*t;
	size_t		 i, n = 0;

	/*
	 * 100 sentences of 47 characters, "." then a space, at the
	 * reference's 500/50: a window holds 10 and a bit, so it cuts
	 * after the space that follows its last "." (the space is last,
	 * but "." comes first in the priority list: the cut is after the
	 * ".", 469 characters for the first window, 473 for the others).
	 * Counts and lengths as the Python of §4.4 gives them.
	 */
	t = malloc(100 * 47 + 1);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(t + n, 48, "Sentence %03zu is here and it "
		    "says nothing much. ", i);
	ck_assert_uint_eq(n, 4700);
	chunk(&c, t, 500, 50);
	ck_assert_uint_eq(c.n, 11);
	ck_assert_uint_eq(c.v[0].len, 469);
	for (i = 1; i < c.n; i++)
		ck_assert_uint_eq(c.v[i].len, 473);
	free(c.v);
	free(t);
}
END_TEST

START_TEST(test_chunk_is_linear_on_text_without_separators)
{
	struct ods_text_chunk	*v;
	size_t			 n, len = 50u << 20, i;
	char			*t;
	struct timespec		 a, b;
	double			 s;

	t = malloc(len);
	ck_assert_ptr_nonnull(t);
	for (i = 0; i < len; i++)
		t[i] = (char)('a' + i % 26);
	clock_gettime(CLOCK_MONOTONIC, &a);
	ck_assert_int_eq(ods_text_chunk(t, len, 500, 50, &v, &n), ODS_OK);
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) /
	    1e9;
	ck_assert_uint_eq(n, (len - 50 + 449) / 450);
	/* Well under a second even on a loaded, sanitized build. */
	ck_assert_msg(s < 2.0, "50 MB chunked in %.2f s", s);
	free(v);
	free(t);
}
END_TEST

START_TEST(test_chunk_refuses_bad_sizes_and_bad_utf8)
{
	struct ods_text_chunk	*v = (void *)1;
	size_t			 n = 9;

	ck_assert_int_eq(ods_text_chunk("abc", 3, 0, 0, &v, &n), ODS_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(ods_text_chunk("abc", 3, 100001, 0, &v, &n),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_text_chunk("abc", 3, 10, 10, &v, &n), ODS_EINVAL);
	ck_assert_int_eq(ods_text_chunk("a\xff", 2, 10, 0, &v, &n),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_text_chunk("\xe6\xb1", 2, 10, 0, &v, &n),
	    ODS_EINVAL);
}
END_TEST

/* ---- detection ---- */

START_TEST(test_detect_by_name_then_type_then_magic)
{
	ck_assert_int_eq(ods_text_detect("a/b/Report.PDF", "text/plain", NULL,
	    0), ODS_TEXT_PDF);
	ck_assert_int_eq(ods_text_detect("x.exe", "text/markdown; charset=x",
	    NULL, 0), ODS_TEXT_MARKDOWN);
	ck_assert_int_eq(ods_text_detect(NULL, "application/octet-stream",
	    "%PDF-1.4\n", 9), ODS_TEXT_PDF);
	ck_assert_int_eq(ods_text_detect("noext", NULL,
	    "PK\3\4\24\0\0\0\10\0word/document.xml", 27), ODS_TEXT_DOCX);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, "PK\3\4\24\0xl/", 10),
	    ODS_TEXT_UNKNOWN);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, "\n  <!DOCTYPE HTML>",
	    18), ODS_TEXT_HTML);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, "<html lang=en>", 14),
	    ODS_TEXT_HTML);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, "just words", 10),
	    ODS_TEXT_PLAIN);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, "\x7f" "ELF\2\1\1\0", 8),
	    ODS_TEXT_UNKNOWN);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, NULL, 0),
	    ODS_TEXT_UNKNOWN);
	ck_assert_int_eq(ods_text_detect("data.csv", NULL, NULL, 0),
	    ODS_TEXT_CSV);
	ck_assert_int_eq(ods_text_detect(NULL, "application/json", NULL, 0),
	    ODS_TEXT_JSON);
	ck_assert_str_eq(ods_text_format_name(ODS_TEXT_PLAIN), "text");
	ck_assert_str_eq(ods_text_format_name(ODS_TEXT_DOCX), "docx");
	ck_assert_str_eq(ods_text_format_name((enum ods_text_format)99),
	    "unknown");
}
END_TEST

/* ---- plain text from memory ---- */

static void
mem(const char *in, size_t len, enum ods_text_format f, size_t max,
    struct ods_text_result *r)
{
	ck_assert_int_eq(ods_text_extract_mem(in, len, f, max, r), ODS_OK);
	ck_assert_ptr_nonnull(r->text);
	ck_assert_uint_eq(strlen(r->text), r->len);
}

START_TEST(test_plain_utf8_passes_bom_stripped_nul_removed)
{
	struct ods_text_result	r;

	mem("\xef\xbb\xbfhello\0 w\xc3\xb6rld", 16, ODS_TEXT_PLAIN, 0, &r);
	ck_assert_str_eq(r.text, "hello w\xc3\xb6rld");
	ck_assert_str_eq(r.charset, "UTF-8");
	ck_assert_int_eq(r.truncated, 0);
	ods_text_result_fini(&r);
	ods_text_result_fini(&r);
	mem("{\"a\": [1, 2]}\n", 14, ODS_TEXT_JSON, 0, &r);
	ck_assert_str_eq(r.text, "{\"a\": [1, 2]}\n");
	ods_text_result_fini(&r);
	mem("", 0, ODS_TEXT_CSV, 0, &r);
	ck_assert_str_eq(r.text, "");
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_plain_replaces_invalid_sequences)
{
	struct ods_text_result	r;
	const char		in[] = "caf\xc3\xa9 ok \xff and \xe6\xb1 end, "
				    "and plenty of good text to stay utf-8 "
				    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				    "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9";

	mem(in, sizeof(in) - 1, ODS_TEXT_PLAIN, 0, &r);
	ck_assert_ptr_nonnull(strstr(r.text, "caf\xc3\xa9 ok \xef\xbf\xbd and "
	    "\xef\xbf\xbd end"));
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_plain_output_cap_truncates_on_a_code_point)
{
	struct ods_text_result	r;

	mem("\xe6\xb1\x89\xe5\xad\x97\xe6\xb1\x89", 9, ODS_TEXT_PLAIN, 7, &r);
	ck_assert_uint_eq(r.len, 6);
	ck_assert_int_eq(r.truncated, 1);
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_unknown_format_and_binary_are_unsupported)
{
	struct ods_text_result	r;
	char			bin[256];
	size_t			i;

	ck_assert_int_eq(ods_text_extract_mem("x", 1, ODS_TEXT_UNKNOWN, 0,
	    &r), ODS_EUNSUPPORTED);
	ck_assert_ptr_null(r.text);
	for (i = 0; i < sizeof(bin); i++)
		bin[i] = (char)i;
	ck_assert_int_eq(ods_text_extract_mem(bin, sizeof(bin),
	    ODS_TEXT_PLAIN, 0, &r), ODS_EUNSUPPORTED);
	ck_assert_int_eq(ods_err_http(ODS_EUNSUPPORTED), 415);
	ck_assert_int_eq(ods_err_code(ODS_EUNSUPPORTED), 41500);
}
END_TEST

/* ---- files of tests/text/ ---- */

static char *
fixture(const char *name)
{
	static char	path[4096];

	snprintf(path, sizeof(path), "%s/tests/text/%s", ods_check_srcdir(),
	    name);
	return path;
}

/* Extract tests/text/name (format from its name) into r; the error. */
static enum ods_err
file(const char *name, struct ods_text_result *r, struct ods_why *why)
{
	enum ods_text_format	f;
	enum ods_err		er;

	memset(why, 0, sizeof(*why));
	f = ods_text_detect(name, NULL, NULL, 0);
	er = ods_text_extract_file_why(fixture(name), f, 0, r, why);
	if (er == ODS_OK) {
		ck_assert_ptr_nonnull(r->text);
		ck_assert_uint_eq(strlen(r->text), r->len);
	} else
		ck_assert_ptr_null(r->text);
	return er;
}

static void
has(const struct ods_text_result *r, const char *s)
{
	ck_assert_msg(strstr(r->text, s) != NULL, "'%s' not in '%s'", s,
	    r->text);
}

static void
hasnt(const struct ods_text_result *r, const char *s)
{
	ck_assert_msg(strstr(r->text, s) == NULL, "'%s' in '%s'", s, r->text);
}

/* The whole of tests/text/name, malloc'ed, in *n bytes. */
static char *
slurp(const char *name, size_t *n)
{
	FILE	*f;
	char	*buf;

	f = fopen(fixture(name), "rb");
	ck_assert_ptr_nonnull(f);
	buf = malloc(1 << 20);
	ck_assert_ptr_nonnull(buf);
	*n = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static const struct {
	const char	*file;
	const char	*charset;
	const char	*want;
} charsets[] = {
	{ "gbk.txt", "GB18030", "检索时先找到最相近的段落，然后交给模型回答问题。" },
	{ "big5.txt", "BIG5", "檢索時先找到最相近的段落，然後交給模型回答問題。" },
	{ "sjis.txt", "SHIFT_JIS", "検索ではもっとも近い段落を見つけて" },
	{ "latin1.txt", "ISO-8859-1", "À la fin, le modèle répond à la question "
	  "posée en français" },
	{ "utf16le.txt", "UTF-16LE", "知识库把上传的文档切成小块" },
	{ "utf8bom.txt", "UTF-8", "Les données sont découpées" },
	{ "gbk.html", "GB18030", "这段文字用来检查字符集的识别和转换是否正确。" },
};

START_TEST(test_charsets_are_detected_and_converted)
{
	struct ods_text_result	r;
	struct ods_why		why;

	ck_assert_int_eq(file(charsets[_i].file, &r, &why), ODS_OK);
	ck_assert_str_eq(r.charset, charsets[_i].charset);
	has(&r, charsets[_i].want);
	/* No BOM left, nothing but the text. */
	ck_assert_int_ne((unsigned char)r.text[0], 0xef);
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_markdown_csv_json_come_as_they_are)
{
	struct ods_text_result	r;
	struct ods_why		why;

	ck_assert_int_eq(file("sample.md", &r, &why), ODS_OK);
	has(&r, "# Ingestion guide\n\nUpload a **document**");
	has(&r, "- 中文文档也可以。");
	ods_text_result_fini(&r);
	ck_assert_int_eq(file("sample.csv", &r, &why), ODS_OK);
	has(&r, "1,Alice,\"Paris, France\"\n2,王小明,北京");
	ods_text_result_fini(&r);
	ck_assert_int_eq(file("sample.json", &r, &why), ODS_OK);
	has(&r, "\"note\": \"检索设置\"");
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_html_keeps_the_text_and_drops_script_style_head)
{
	struct ods_text_result	r;
	struct ods_why		why;

	ck_assert_int_eq(file("sample.html", &r, &why), ODS_OK);
	ck_assert_str_eq(r.charset, "UTF-8");
	has(&r, "Welcome & hello\n\nThe first paragraph spans two lines.");
	has(&r, "entity: \xc3\xa9t\xc3\xa9 <ok> 中文");
	has(&r, "Name\tRole\nAda\tEngineer");
	has(&r, "First item\nSecond item");
	has(&r, "line one\n  indented line two");
	has(&r, "Last\nline");
	hasnt(&r, "must not appear");
	hasnt(&r, "secret");
	hasnt(&r, "hidden");
	hasnt(&r, "color");
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_html_survives_broken_and_deep_markup)
{
	struct ods_text_result	 r;
	char			*deep;
	size_t			 i, n = 0;
	const char		 broken[] = "<p>unclosed <b>bold <i>both</p>"
				    "<td>stray cell<script>x = 1";

	mem(broken, sizeof(broken) - 1, ODS_TEXT_HTML, 0, &r);
	has(&r, "unclosed bold both");
	has(&r, "stray cell");
	hasnt(&r, "x = 1");
	ods_text_result_fini(&r);
	/* 100000 nested elements: no recursion to overflow. */
	deep = malloc(100000 * 5 + 16);
	ck_assert_ptr_nonnull(deep);
	for (i = 0; i < 100000; i++)
		n += (size_t)sprintf(deep + n, "<div>");
	n += (size_t)sprintf(deep + n, "deep");
	ck_assert_int_eq(ods_text_extract_mem(deep, n, ODS_TEXT_HTML, 0, &r),
	    ODS_OK);
	ods_text_result_fini(&r);
	free(deep);
}
END_TEST

START_TEST(test_docx_paragraphs_tabs_and_table_cells)
{
	struct ods_text_result	r;
	struct ods_why		why;

	ck_assert_int_eq(file("sample.docx", &r, &why), ODS_OK);
	ck_assert_str_eq(r.text, "Quarterly report\n"
	    "Revenue grew twelve percent.\n"
	    "Label\tValue\n"
	    "第二段是中文。\nAfter a break.\n"
	    "Cell A1\tCell B1\nCell A2\tCell B2\n"
	    "The end & goodbye.");
	ods_text_result_fini(&r);
}
END_TEST

START_TEST(test_docx_from_memory_is_the_same)
{
	struct ods_text_result	 r, m;
	struct ods_why		 why;
	char			*buf;
	size_t			 n;

	ck_assert_int_eq(file("sample.docx", &r, &why), ODS_OK);
	buf = slurp("sample.docx", &n);
	ck_assert_int_eq(ods_text_detect(NULL, NULL, buf, n), ODS_TEXT_DOCX);
	mem(buf, n, ODS_TEXT_DOCX, 0, &m);
	ck_assert_str_eq(m.text, r.text);
	ods_text_result_fini(&m);
	/* The cap applies to DOCX too. */
	mem(buf, n, ODS_TEXT_DOCX, 20, &m);
	ck_assert_str_eq(m.text, "Quarterly report\nRev");
	ck_assert_int_eq(m.truncated, 1);
	ods_text_result_fini(&m);
	ods_text_result_fini(&r);
	free(buf);
}
END_TEST

START_TEST(test_docx_refuses_a_zip_that_is_not_one_and_oversized_entries)
{
	struct ods_text_result	r;
	struct ods_why		why;

	ck_assert_int_eq(ods_text_extract_file_why(fixture("notdocx.zip"),
	    ODS_TEXT_DOCX, 0, &r, &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "not a DOCX: no word/document.xml");
	ck_assert_int_eq(ods_text_extract_file_why(fixture("sample.pdf"),
	    ODS_TEXT_DOCX, 0, &r, &why), ODS_EINVAL);
	ck_assert_ptr_nonnull(strstr(why.msg, "not a DOCX"));
	ck_assert_int_eq(ods_text_extract_mem("PK\3\4", 4, ODS_TEXT_DOCX, 0,
	    &r), ODS_EINVAL);
	/* Declared 3 GiB: refused before inflating anything. */
	ck_assert_int_eq(file("bigentry.docx", &r, &why), ODS_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(why.msg, "declares more than"));
	/* Declared 100 bytes, inflates to more: stopped while reading. */
	ck_assert_int_eq(file("liar.docx", &r, &why), ODS_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(why.msg, "over its declared size"));
	ck_assert_int_eq(ods_text_extract_file_why(fixture("no-such.docx"),
	    ODS_TEXT_DOCX, 0, &r, &why), ODS_EIO);
}
END_TEST

START_TEST(test_pdf_text_of_every_page)
{
	struct ods_text_result	 r, m;
	struct ods_why		 why;
	char			*buf, cwd[4096];
	size_t			 n;

	ck_assert_int_eq(file("sample.pdf", &r, &why), ODS_OK);
	ck_assert_uint_eq(r.pages, 2);
	ck_assert_int_eq(r.truncated, 0);
	has(&r, "Knowledge base manual");
	has(&r, "The first page explains how documents are ingested");
	has(&r, "The second page talks about retrieval and the vector index. "
	    "The end of the document is here.");
	/* From memory, found by its magic. */
	buf = slurp("sample.pdf", &n);
	ck_assert_int_eq(ods_text_detect("upload.bin",
	    "application/octet-stream", buf, n), ODS_TEXT_PDF);
	mem(buf, n, ODS_TEXT_PDF, 0, &m);
	ck_assert_str_eq(m.text, r.text);
	ck_assert_uint_eq(m.pages, 2);
	ods_text_result_fini(&m);
	/* A relative path works as well (poppler wants a URI). */
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(ods_check_srcdir()), 0);
	ck_assert_int_eq(ods_text_extract_file("tests/text/sample.pdf",
	    ODS_TEXT_PDF, 0, &m), ODS_OK);
	ck_assert_int_eq(chdir(cwd), 0);
	ck_assert_str_eq(m.text, r.text);
	ods_text_result_fini(&m);
	/* The cap stops before the second page is read. */
	mem(buf, n, ODS_TEXT_PDF, 30, &m);
	ck_assert_uint_eq(m.pages, 1);
	ck_assert_int_eq(m.truncated, 1);
	ck_assert_uint_le(m.len, 30);
	ods_text_result_fini(&m);
	ods_text_result_fini(&r);
	free(buf);
}
END_TEST

START_TEST(test_pdf_corrupt_or_not_a_pdf_is_invalid)
{
	struct ods_text_result	 r;
	struct ods_why		 why;
	char			*buf;
	size_t			 n;

	ck_assert_int_eq(file("corrupt.pdf", &r, &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "not a PDF, or a damaged one");
	ck_assert_int_eq(file("notpdf.pdf", &r, &why), ODS_EINVAL);
	buf = slurp("corrupt.pdf", &n);
	ck_assert_int_eq(ods_text_extract_mem(buf, n, ODS_TEXT_PDF, 0, &r),
	    ODS_EINVAL);
	free(buf);
	buf = slurp("sample.docx", &n);
	ck_assert_int_eq(ods_text_extract_mem(buf, n, ODS_TEXT_PDF, 0, &r),
	    ODS_EINVAL);
	free(buf);
	ck_assert_int_eq(ods_text_extract_mem("", 0, ODS_TEXT_PDF, 0, &r),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_text_extract_file_why(fixture("no-such.pdf"),
	    ODS_TEXT_PDF, 0, &r, &why), ODS_EIO);
}
END_TEST

static void
le(unsigned char **p, unsigned long v, int bytes)
{
	int	i;

	for (i = 0; i < bytes; i++)
		*(*p)++ = (unsigned char)(v >> (8 * i));
}

/*
 * A zip of n empty stored entries named "e00000"... and a last one
 * "word/document.xml" (empty too): made by hand, the test includes no
 * dependency's header. *len gets its size.
 */
static unsigned char *
many_entries(unsigned long n, size_t *len)
{
	unsigned char	*z, *p, *cd;
	unsigned long	 i, off, cdoff;
	char		 name[32];
	size_t		 k;

	z = malloc((n + 1) * 120 + 64);
	ck_assert_ptr_nonnull(z);
	p = z;
	for (i = 0; i <= n; i++) {
		k = (size_t)snprintf(name, sizeof(name), i < n ? "e%05lu" :
		    "word/document.xml", i);
		le(&p, 0x04034b50, 4);	/* local header */
		le(&p, 20, 2); le(&p, 0, 2); le(&p, 0, 2);	/* stored */
		le(&p, 0, 4); le(&p, 0, 4); le(&p, 0, 4); le(&p, 0, 4);
		le(&p, k, 2); le(&p, 0, 2);
		memcpy(p, name, k);
		p += k;
	}
	cd = p;
	cdoff = (unsigned long)(cd - z);
	for (i = 0, off = 0; i <= n; i++) {
		k = (size_t)snprintf(name, sizeof(name), i < n ? "e%05lu" :
		    "word/document.xml", i);
		le(&p, 0x02014b50, 4);	/* central directory */
		le(&p, 20, 2); le(&p, 20, 2); le(&p, 0, 2); le(&p, 0, 2);
		le(&p, 0, 4); le(&p, 0, 4); le(&p, 0, 4); le(&p, 0, 4);
		le(&p, k, 2); le(&p, 0, 2); le(&p, 0, 2); le(&p, 0, 2);
		le(&p, 0, 2); le(&p, 0, 4); le(&p, off, 4);
		memcpy(p, name, k);
		p += k;
		off += 30 + k;
	}
	le(&p, 0x06054b50, 4);		/* end of central directory */
	le(&p, 0, 2); le(&p, 0, 2); le(&p, n + 1, 2); le(&p, n + 1, 2);
	le(&p, (unsigned long)(p - cd) - 4 - 8, 4);
	le(&p, cdoff, 4); le(&p, 0, 2);
	*len = (size_t)(p - z);
	return z;
}

START_TEST(test_docx_refuses_too_many_entries)
{
	struct ods_text_result	 r;
	struct ods_why		 why;
	unsigned char		*z;
	size_t			 n;

	/* Under the cap: opened, word/document.xml read (empty: no XML). */
	z = many_entries(10, &n);
	ck_assert_int_eq(ods_text_extract_mem_why(z, n, ODS_TEXT_DOCX, 0, &r,
	    &why), ODS_EINVAL);
	ck_assert_str_eq(why.msg, "word/document.xml is not well-formed XML");
	free(z);
	z = many_entries(ODS_TEXT_DOCX_MAX_ENTRIES, &n);
	ck_assert_int_eq(ods_text_extract_mem_why(z, n, ODS_TEXT_DOCX, 0, &r,
	    &why), ODS_ETOOBIG);
	ck_assert_ptr_nonnull(strstr(why.msg, "more than 10000 entries"));
	free(z);
}
END_TEST

/* Threads extracting at once get what one thread gets alone. */
static const char *const mt_files[] = { "sample.pdf", "sample.docx",
	"sample.html", "gbk.txt", "big5.txt", "gbk.html" };
static char	*mt_path[6], *mt_want[6];

static void *
mt_run(void *arg)
{
	struct ods_text_result	r;
	size_t			i, k;
	long			bad = 0;

	(void)arg;
	for (k = 0; k < 20; k++)
		for (i = 0; i < ODS_NELEM(mt_files); i++) {
			if (ods_text_extract_file(mt_path[i], ods_text_detect(
			    mt_files[i], NULL, NULL, 0), 0, &r) != ODS_OK) {
				bad++;
				continue;
			}
			bad += strcmp(r.text, mt_want[i]) != 0;
			ods_text_result_fini(&r);
		}
	return (void *)bad;
}

START_TEST(test_extraction_from_threads_at_once_is_the_same)
{
	struct ods_text_result	r;
	pthread_t		t[4];
	size_t			i;
	void			*bad;

	for (i = 0; i < ODS_NELEM(mt_files); i++) {
		mt_path[i] = strdup(fixture(mt_files[i]));
		ck_assert_int_eq(ods_text_extract_file(mt_path[i],
		    ods_text_detect(mt_files[i], NULL, NULL, 0), 0, &r),
		    ODS_OK);
		mt_want[i] = r.text;
	}
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, mt_run, NULL), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &bad), 0);
		ck_assert_ptr_null(bad);
	}
	for (i = 0; i < ODS_NELEM(mt_files); i++) {
		free(mt_path[i]);
		free(mt_want[i]);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("ods_text");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_set_timeout(limits, 60);
	tcase_add_test(core,
	    test_chunk_cuts_after_the_last_paragraph_break_first);
	tcase_add_test(core, test_chunk_prefers_line_then_sentence_then_space);
	tcase_add_test(core,
	    test_chunk_counts_characters_and_cuts_chinese_at_full_stops);
	tcase_add_test(core, test_chunk_never_splits_a_utf8_sequence);
	tcase_add_test(core, test_chunk_overlaps_by_characters);
	tcase_add_test(core, test_chunk_trims_and_drops_empty_chunks);
	tcase_add_test(core, test_chunk_last_window_takes_the_rest_once);
	tcase_add_test(core, test_chunk_counts_for_the_reference_sizes);
	tcase_add_test(core, test_detect_by_name_then_type_then_magic);
	tcase_add_test(core, test_plain_utf8_passes_bom_stripped_nul_removed);
	tcase_add_test(core, test_plain_replaces_invalid_sequences);
	tcase_add_loop_test(core, test_charsets_are_detected_and_converted, 0,
	    (int)ODS_NELEM(charsets));
	tcase_add_test(core, test_markdown_csv_json_come_as_they_are);
	tcase_add_test(core,
	    test_html_keeps_the_text_and_drops_script_style_head);
	tcase_add_test(core, test_docx_paragraphs_tabs_and_table_cells);
	tcase_add_test(core, test_docx_from_memory_is_the_same);
	tcase_add_test(core, test_pdf_text_of_every_page);
	tcase_add_test(limits, test_html_survives_broken_and_deep_markup);
	tcase_add_test(limits, test_extraction_from_threads_at_once_is_the_same);
	tcase_add_test(errors, test_pdf_corrupt_or_not_a_pdf_is_invalid);
	tcase_add_test(errors, test_docx_refuses_too_many_entries);
	tcase_add_test(errors,
	    test_docx_refuses_a_zip_that_is_not_one_and_oversized_entries);
	tcase_add_test(limits, test_chunk_is_linear_on_text_without_separators);
	tcase_add_test(limits, test_plain_output_cap_truncates_on_a_code_point);
	tcase_add_test(errors, test_chunk_refuses_bad_sizes_and_bad_utf8);
	tcase_add_test(errors, test_unknown_format_and_binary_are_unsupported);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

static int
start(void)
{
	ods_check_log("check_ods_text");
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start,
};
