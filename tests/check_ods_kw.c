/*
 * tests/check_ods_kw.c — the keyword index: tokens, search in English,
 * Chinese and Japanese, deletes, filters, reopen, other processes, kill
 * -9 of the writer, hostile queries; its BM25 against FTS5's own, its
 * document frequencies against fts5vocab's, a first-version file, English
 * stems and a file of format 1 (words not stemmed).
 */
#include "config.h"

#include <sys/wait.h>

#include <check.h>
#include <libstemmer.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "vec/ods_kw.h"
#include "vec/ods_vec.h"
#include "vec/ods_vec_int.h"
#include "vec/vec_testutil.h"
#include "ods_check.h"

static char	*dir;

static void
setup(void)
{
	ods_log_init("check_ods_kw", ODS_LOG_ERR);
	ods_log_min = ODS_LOG_ERR + 1;	/* the errors below are expected */
	dir = tu_tmpdir();
	ck_assert_ptr_nonnull(dir);
}

static void
teardown(void)
{
	tu_rmdir(dir);
	free(dir);
}

static const char *const docs[] = {
	/* 1 */ "The zebra is an African equine with black and white stripes.",
	/* 2 */ "PostgreSQL is an open source relational database system.",
	/* 3 */ "Backups of the database run every night at two o'clock.",
	/* 4 */ "分布式数据库系统的备份与恢复策略",
	/* 5 */ "告警规则：当错误率超过百分之五时发送通知",
	/* 6 */ "東京の天気は明日晴れるでしょう",
	/* 7 */ "このサーバーはメモリ不足で再起動しました",
	/* 8 */ "Stripes, stripes and more stripes: a zebra zebra crossing.",
};

/* Items 1..8 as doc_id = id, kb_id 10 for odd ids and 20 for even. */
static struct ods_kw *
filled(void)
{
	struct ods_kw_item	it[ODS_NELEM(docs)];
	struct ods_kw		*k;
	size_t			 i;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	for (i = 0; i < ODS_NELEM(docs); i++) {
		it[i].id = (int64_t)i + 1;
		it[i].doc_id = (int64_t)i + 1;
		it[i].kb_id = i % 2 == 0 ? 10 : 20;
		it[i].text = docs[i];
		it[i].len = strlen(docs[i]);
	}
	ck_assert_int_eq(ods_kw_add(k, 1, it, ODS_NELEM(it)), ODS_OK);
	return k;
}

/* Searches q; returns the hit count and the ids in ids (room for 16). */
static size_t
search_f(struct ods_kw *k, const char *q, const struct ods_vec_filter *f,
    int64_t *ids)
{
	struct ods_kw_hit	h[16];
	size_t			n, i;

	ck_assert_int_eq(ods_kw_search(k, q, strlen(q), 16, f, 0, h, &n),
	    ODS_OK);
	for (i = 0; i < n; i++) {
		ids[i] = h[i].id;
		ck_assert(h[i].score >= 0 && h[i].score < 1);
		ck_assert_int_eq(h[i].doc_id, h[i].id);
		/* kb_id as filled() or the 10-item sets (1) stored it */
		ck_assert(h[i].kb_id == 1 ||
		    h[i].kb_id == (h[i].id % 2 == 1 ? 10 : 20));
		if (i > 0)
			ck_assert(h[i].score <= h[i - 1].score);
	}
	return n;
}

static size_t
search(struct ods_kw *k, const char *q, int64_t *ids)
{
	return search_f(k, q, NULL, ids);
}

static int
has(const int64_t *ids, size_t n, int64_t id)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (ids[i] == id)
			return 1;
	return 0;
}

START_TEST(test_tokens_are_lowercased_words_and_cjk_bigrams)
{
	char	out[256];
	size_t	n;
	const char	*t = "Hello, WORLD! 数据库 x 5月 Ｆｕｌｌ";

	n = ods_kw_tokenize(t, strlen(t), out, sizeof(out));
	ck_assert_str_eq(out, "hello world 数据 据库 x 5 月 full");
	ck_assert_uint_eq(n, strlen(out));
	ck_assert_uint_eq(ods_kw_tokenize("東京の天気", 15, out, sizeof(out)),
	    strlen("東京 京の の天 天気"));
	ck_assert_str_eq(out, "東京 京の の天 天気");
	/* Short buffer: cut at a token boundary, full length returned. */
	n = ods_kw_tokenize("alpha beta gamma", 16, out, 12);
	ck_assert_str_eq(out, "alpha beta");
	ck_assert_uint_eq(n, 16);
	ck_assert_uint_eq(ods_kw_tokenize("!!! ... ???", 11, out, 8), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* Words of ASCII letters become their Snowball English stems. */
START_TEST(test_english_words_are_stemmed)
{
	char		 out[256];
	const char	*t = "Compression compressed COMPRESSES running runs "
	    "ran mp3s café is xy";

	char		 *big, *a, *b;
	size_t		  i, n;
	int		  pass;

	/* The second pass takes the stems from the thread's cache. */
	for (pass = 0; pass < 2; pass++) {
		(void)ods_kw_tokenize(t, strlen(t), out, sizeof(out));
		ck_assert_str_eq(out, "compress compress compress run run "
		    "ran mp3s café is xy");
	}
	/* Longer than a cache entry holds. */
	t = "internationalizations internationalizations";
	(void)ods_kw_tokenize(t, strlen(t), out, sizeof(out));
	ck_assert_str_eq(out, "internation internation");
	/* Many words (cache slots taken over): the same tokens each time. */
	big = ods_xcalloc(20000, 16);
	for (i = n = 0; i < 20000; i++)
		n += (size_t)sprintf(big + n, "w%cx%cing%s ", 'a' + (int)(i % 26),
		    'a' + (int)(i / 26 % 26), i % 3 ? "s" : "");
	a = ods_xmalloc(3 * n + 1);
	b = ods_xmalloc(3 * n + 1);
	(void)ods_kw_tokenize(big, n, a, 3 * n + 1);
	(void)ods_kw_tokenize(big, n, b, 3 * n + 1);
	ck_assert_str_eq(a, b);
	ck_assert_ptr_null(strstr(a, "ings"));
	free(a);
	free(b);
	free(big);
	t = "Compression compressed COMPRESSES running runs ran mp3s café "
	    "is xy";
	(void)odsi_kw_tokenize(t, strlen(t), 0, out, sizeof(out));
	ck_assert_str_eq(out, "compression compressed compresses running "
	    "runs ran mp3s café is xy");
}
END_TEST

/*
 * The tokenizer's stems are libstemmer's own, the words it does not ask
 * the stemmer about (their last letter ends no suffix) included: every
 * three-letter word, and each with a few suffixes.
 */
START_TEST(test_stems_are_the_snowball_stemmers)
{
	static const char *const suf[] = { "", "s", "ed", "ing", "o", "ness",
	    "ful", "ly", "ation", "ize", "ous", "x", "ab" };
	struct sb_stemmer	*st = sb_stemmer_new("english", "UTF_8");
	const sb_symbol		*w;
	char			 word[32], out[64];
	size_t			 i, n = 0;
	int			 a, b, c;

	ck_assert_ptr_nonnull(st);
	for (a = 'a'; a <= 'z'; a++)
		for (b = 'a'; b <= 'z'; b++)
			for (c = 'a'; c <= 'z'; c++)
				for (i = 0; i < ODS_NELEM(suf); i++) {
					snprintf(word, sizeof(word), "%c%c%c%s",
					    a, b, c, suf[i]);
					w = sb_stemmer_stem(st,
					    (const sb_symbol *)word,
					    (int)strlen(word));
					ck_assert_ptr_nonnull(w);
					(void)ods_kw_tokenize(word,
					    strlen(word), out, sizeof(out));
					ck_assert_int_eq((int)strlen(out),
					    sb_stemmer_length(st));
					ck_assert(memcmp(out, w,
					    strlen(out)) == 0);
					n++;
				}
	ck_assert_uint_eq(n, 26 * 26 * 26 * ODS_NELEM(suf));
	sb_stemmer_delete(st);
}
END_TEST

START_TEST(test_another_form_of_a_word_finds_the_item)
{
	struct ods_kw	*k = filled();
	int64_t		 ids[16];
	size_t		 n;

	/* "Backups ... run" (3) for "backing up running"; "stripes" (8, 1) */
	n = search(k, "backing up running", ids);
	ck_assert_uint_ge(n, 1);
	ck_assert_int_eq(ids[0], 3);
	n = search(k, "striped", ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 8);
	ck_assert_int_eq(ids[1], 1);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_match_expression_quotes_every_token)
{
	const char	*q = "a AND b\" OR NEAR(c) tok:* ^d";
	char		*m;

	ck_assert_int_eq(ods_kw_match(q, strlen(q), &m), ODS_OK);
	ck_assert_str_eq(m, "\"a\" OR \"and\" OR \"b\" OR \"or\" OR "
	    "\"near\" OR \"c\" OR \"tok\" OR \"d\"");
	free(m);
	ck_assert_int_eq(ods_kw_match("库 5月 库", strlen("库 5月 库"), &m), ODS_OK);
	ck_assert_str_eq(m, "\"库\" * OR \"5\" OR \"月\" *");
	free(m);
	ck_assert_int_eq(ods_kw_match("", 0, &m), ODS_OK);
	ck_assert_str_eq(m, "");
	free(m);
}
END_TEST

START_TEST(test_english_search_finds_the_document)
{
	struct ods_kw	*k = filled();
	int64_t		 ids[16];
	size_t		 n;

	n = search(k, "Which database is open source?", ids);
	ck_assert_uint_ge(n, 2);
	ck_assert_int_eq(ids[0], 2);
	ck_assert(has(ids, n, 3));
	ck_assert_uint_eq(search(k, "ZEBRA", ids), 2);
	ck_assert_uint_eq(search(k, "nothing matches this", ids), 0);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_chinese_phrase_is_found_inside_a_longer_sentence)
{
	struct ods_kw	*k = filled();
	int64_t		 ids[16];
	size_t		 n;

	n = search(k, "数据库", ids);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ids[0], 4);
	n = search(k, "如何恢复数据库的备份？", ids);
	ck_assert_uint_ge(n, 1);
	ck_assert_int_eq(ids[0], 4);
	n = search(k, "错误率告警", ids);
	ck_assert_int_eq(ids[0], 5);
	/* A lone character matches the bigrams it starts. */
	n = search(k, "x 告 y", ids);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ids[0], 5);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_japanese_search_finds_the_document)
{
	struct ods_kw	*k = filled();
	int64_t		 ids[16];

	ck_assert_uint_eq(search(k, "天気", ids), 1);
	ck_assert_int_eq(ids[0], 6);
	ck_assert_uint_ge(search(k, "サーバーの再起動", ids), 1);
	ck_assert_int_eq(ids[0], 7);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_more_occurrences_of_a_rare_term_rank_higher)
{
	struct ods_kw		*k = filled();
	struct ods_kw_hit	 h[4];
	size_t			 n;

	ck_assert_int_eq(ods_kw_search(k, "zebra stripes", 13, 4, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(h[0].id, 8);
	ck_assert_int_eq(h[1].id, 1);
	ck_assert(h[0].bm25 < h[1].bm25 && h[1].bm25 < 0);
	ck_assert(h[0].score > h[1].score && h[1].score > 0);
	ck_assert_double_eq_tol(h[0].score, -h[0].bm25 / (1 - h[0].bm25),
	    1e-6);
	/* Thresholds keep score >= t. */
	ck_assert_int_eq(ods_kw_search(k, "zebra stripes", 13, 4, NULL,
	    h[1].score, h, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ods_kw_search(k, "zebra stripes", 13, 4, NULL,
	    nextafterf(h[1].score, 1), h, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ods_kw_search(k, "zebra stripes", 13, 1, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id, 8);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_words_in_half_the_items_only_count_alone)
{
	struct ods_kw		*k;
	struct ods_kw_item	 it[10];
	struct ods_kw_hit	 h[16];
	char			 text[10][64];
	size_t			 i, n;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	for (i = 0; i < 10; i++) {
		snprintf(text[i], sizeof(text[i]), "the common word %s%zu",
		    i == 3 ? "unicorn " : "", i);
		it[i].id = (int64_t)i + 1;
		it[i].doc_id = (int64_t)i + 1;
		it[i].kb_id = 1;
		it[i].text = text[i];
		it[i].len = strlen(text[i]);
	}
	ck_assert_int_eq(ods_kw_add(k, 1, it, 10), ODS_OK);
	/* bm25 gives "the" no weight: the unicorn alone decides. */
	ck_assert_int_eq(ods_kw_search(k, "the unicorn", 11, 16, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id, 4);
	ck_assert_int_eq(ods_kw_search(k, "the common", 10, 16, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 10);
	/* The item count behind it follows deletes and replaces. */
	ck_assert_int_eq(ods_kw_delete(k, 2, 1, NULL), ODS_OK);
	ck_assert_int_eq(ods_kw_add(k, 3, &it[1], 1), ODS_OK);
	ck_assert_int_eq(ods_kw_search(k, "the 5", 5, 16, NULL, 0, h, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id, 6);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_deleted_items_are_never_returned)
{
	struct ods_kw		*k = filled();
	struct ods_vec_filter	 f;
	int64_t			 ids[16], doc = 2;
	size_t			 nd;

	ck_assert_int_eq(ods_kw_delete(k, 2, 8, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 1);
	ck_assert_int_eq(ods_kw_delete(k, 3, 8, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 0);
	ck_assert_uint_eq(search(k, "zebra", ids), 1);
	ck_assert_int_eq(ids[0], 1);
	memset(&f, 0, sizeof(f));
	f.doc_ids = &doc;
	f.ndoc_ids = 1;
	ck_assert_int_eq(ods_kw_delete_where(k, 4, &f, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 1);
	ck_assert_uint_eq(search(k, "database", ids), 1);
	ck_assert_int_eq(ids[0], 3);
	memset(&f, 0, sizeof(f));
	f.has_kb = 1;
	f.kb_id = 10;
	ck_assert_int_eq(ods_kw_delete_where(k, 5, &f, &nd), ODS_OK);
	ck_assert_uint_eq(nd, 4);
	ck_assert_uint_eq(search(k, "zebra database", ids), 0);
	ck_assert_uint_eq(search(k, "数据库", ids), 1);
	ck_assert_uint_eq(ods_kw_seq(k), 5);
	ods_kw_close(k);
	/* And not after a reopen either. */
	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_OK);
	ck_assert_uint_eq(search(k, "zebra database サーバー", ids), 0);
	ck_assert_uint_eq(search(k, "天気", ids), 1);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_add_with_an_existing_id_replaces_the_text)
{
	struct ods_kw		*k = filled();
	struct ods_kw_item	 it = { .id = 1, .doc_id = 1, .kb_id = 10,
		.text = "giraffe", .len = 7 };
	int64_t			 ids[16];

	ck_assert_int_eq(ods_kw_add(k, 2, &it, 1), ODS_OK);
	ck_assert_uint_eq(search(k, "zebra", ids), 1);
	ck_assert_int_eq(ids[0], 8);
	ck_assert_uint_eq(search(k, "giraffe", ids), 1);
	ck_assert_int_eq(ids[0], 1);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_filters_keep_only_matching_items)
{
	struct ods_kw		*k = filled();
	struct ods_vec_filter	 f;
	int64_t			 ids[16], docs2[] = { 99, 3, 4 };
	size_t			 n;

	memset(&f, 0, sizeof(f));
	f.has_kb = 1;
	f.kb_id = 20;		/* the even ids */
	n = search_f(k, "zebra database", &f, ids);
	ck_assert_uint_eq(n, 2);
	ck_assert(has(ids, n, 8) && has(ids, n, 2));
	f.kb_id = 30;
	ck_assert_uint_eq(search_f(k, "zebra database", &f, ids), 0);
	memset(&f, 0, sizeof(f));
	f.doc_ids = docs2;
	f.ndoc_ids = 3;
	n = search_f(k, "zebra database 数据库", &f, ids);
	ck_assert_uint_eq(n, 2);
	ck_assert(has(ids, n, 3) && has(ids, n, 4));
	f.has_kb = 1;
	f.kb_id = 10;		/* doc 3 only */
	n = search_f(k, "zebra database 数据库", &f, ids);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ids[0], 3);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_reopen_keeps_items_and_seq)
{
	struct ods_kw		*k = filled();
	struct ods_kw_stats	 st;
	int64_t			 ids[16];

	ck_assert_int_eq(ods_kw_delete(k, 7, 3, NULL), ODS_OK);
	ods_kw_close(k);
	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	ck_assert_uint_eq(ods_kw_seq(k), 7);
	ck_assert_int_eq(ods_kw_stats(k, &st), ODS_OK);
	ck_assert_uint_eq(st.items, 7);
	ck_assert_uint_eq(st.seq, 7);
	ck_assert_uint_gt(st.bytes, 0);
	ck_assert_uint_eq(search(k, "database", ids), 1);
	ck_assert_int_eq(ods_kw_optimize(k), ODS_OK);
	ck_assert_uint_eq(search(k, "数据库", ids), 1);
	ods_kw_close(k);
}
END_TEST

/* The child's end of a pipe pair: wait for a byte, answer a byte. */
static void
reader_child(int in, int out)
{
	struct ods_kw		*k = NULL;
	struct ods_kw_hit	 h[4];
	size_t			 n = 0;
	char			 c;

	while (read(in, &c, 1) == 1) {
		if (k == NULL && ods_kw_open_reader(dir, &k) != ODS_OK)
			_exit(2);
		if (ods_kw_search(k, "okapi", 5, 4, NULL, 0, h, &n) != ODS_OK)
			_exit(3);
		c = (char)('0' + n + 3 * (ods_kw_seq(k) == 3));
		if (write(out, &c, 1) != 1)
			_exit(4);
	}
	ods_kw_close(k);
	_exit(0);
}

static char
ask(int to, int from)
{
	char	c = 'q';

	ck_assert_int_eq(write(to, &c, 1), 1);
	ck_assert_int_eq(read(from, &c, 1), 1);
	return c;
}

START_TEST(test_reader_in_another_process_sees_commits)
{
	struct ods_kw		*k;
	struct ods_kw_item	 it = { .id = 50, .doc_id = 5, .kb_id = 1,
		.text = "the okapi is a forest giraffe", .len = 29 };
	int			 to[2], from[2], st;
	pid_t			 pid;

	/* Fork before SQLite is opened here: a child never inherits it. */
	ck_assert_int_eq(pipe(to), 0);
	ck_assert_int_eq(pipe(from), 0);
	if ((pid = fork()) == 0) {
		close(to[1]);
		close(from[0]);
		reader_child(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	k = filled();
	ck_assert_int_eq(ask(to[1], from[0]), '0');
	ck_assert_int_eq(ods_kw_add(k, 3, &it, 1), ODS_OK);
	ck_assert_int_eq(ask(to[1], from[0]), '0' + 1 + 3);
	ck_assert_int_eq(ods_kw_delete(k, 4, 50, NULL), ODS_OK);
	ck_assert_int_eq(ask(to[1], from[0]), '0');
	close(to[1]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(from[0]);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_kill9_after_add_returned_keeps_the_item)
{
	struct ods_kw		*k;
	struct ods_kw_item	 it = { .id = 77, .doc_id = 77, .kb_id = 1,
		.text = "durable aardvark", .len = 16 };
	int64_t			 ids[16];
	int			 p[2], st;
	pid_t			 pid;
	char			 c;

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		if (ods_kw_open_writer(dir, &k) != ODS_OK ||
		    ods_kw_add(k, 41, &it, 1) != ODS_OK)
			_exit(1);
		c = 'y';
		if (write(p[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();	/* killed with the handle open */
	}
	close(p[1]);
	ck_assert_int_eq(read(p[0], &c, 1), 1);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	close(p[0]);
	/* The lock went with the process; the item and seq stayed. */
	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	ck_assert_uint_eq(ods_kw_seq(k), 41);
	ck_assert_uint_eq(search(k, "aardvark", ids), 1);
	ck_assert_int_eq(ids[0], 77);
	ods_kw_close(k);
}
END_TEST

struct shared {
	struct ods_kw	*k;
	int		 failed;
	volatile int	 stop;
};

static void *
searcher(void *arg)
{
	struct shared		*sh = arg;
	struct ods_kw_hit	 h[4];
	size_t			 n, i;

	while (!sh->stop) {
		if (ods_kw_search(sh->k, "okapi zebra", 11, 4, NULL, 0, h,
		    &n) != ODS_OK || n < 1 || n > 4)
			sh->failed = 1;
		/* Zebras (1, 8) and okapis (1000...) only. */
		for (i = 0; i < n; i++)
			if (h[i].id != 1 && h[i].id != 8 && h[i].id < 1000)
				sh->failed = 1;
	}
	return NULL;
}

START_TEST(test_threads_share_one_handle)
{
	struct shared		sh = { .k = filled() };
	struct ods_kw_item	it = { .doc_id = 9, .kb_id = 1,
		.text = "okapi", .len = 5 };
	pthread_t		t[8];
	size_t			i;

	for (i = 0; i < 8; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, searcher, &sh), 0);
	for (i = 0; i < 100; i++) {
		it.id = 1000 + (int64_t)i;
		ck_assert_int_eq(ods_kw_add(sh.k, 2 + i, &it, 1), ODS_OK);
	}
	sh.stop = 1;
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(sh.failed, 0);
	ck_assert_uint_eq(ods_kw_seq(sh.k), 101);
	ods_kw_close(sh.k);
}
END_TEST

/* Runs sql on dir's file with a plain connection; the first column. */
static int64_t
sql_int(const char *q)
{
	sqlite3		*db;
	sqlite3_stmt	*s;
	char		 path[4096];
	int64_t		 v = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, ODS_KW_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* Items 1..n of words from a small vocabulary, some often, some rarely. */
static void
corpus(struct ods_kw *k, uint64_t seq, int n, int salt)
{
	static const char *const w[] = { "alpha", "beta", "gamma", "delta",
	    "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda",
	    "数据", "据库" };
	struct ods_kw_item	it[64];
	char			text[64][256];
	int			i, j, len;

	ck_assert_int_le(n, 64);
	for (i = 0; i < n; i++) {
		len = 0;
		for (j = 0; j < 3 + (i * 7 + salt) % 17; j++)
			len += snprintf(text[i] + len, sizeof(text[i]) - len,
			    "%s ", w[(i * j + j * j + salt) % (i % 5 == 0 ?
			    13 : 7)]);
		it[i].id = i + 1;
		it[i].doc_id = i + 1;
		it[i].kb_id = 1;
		it[i].text = text[i];
		it[i].len = (size_t)len;
	}
	ck_assert_int_eq(ods_kw_add(k, seq, it, (size_t)n), ODS_OK);
}

/* Our hits against FTS5's bm25() over the same MATCH, rank by rank. */
static void
same_as_fts5(struct ods_kw *k, const char *q)
{
	struct ods_kw_hit	 h[64];
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			 path[4096], *m;
	size_t			 n, i = 0;

	ck_assert_int_eq(ods_kw_search(k, q, strlen(q), 64, NULL, 0, h, &n),
	    ODS_OK);
	ck_assert_int_eq(ods_kw_match(q, strlen(q), &m), ODS_OK);
	snprintf(path, sizeof(path), "%s/%s", dir, ODS_KW_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT rowid, bm25(kw_fts) "
	    "FROM kw_fts WHERE kw_fts MATCH ?1 ORDER BY rank, rowid", -1, &s,
	    NULL), SQLITE_OK);
	sqlite3_bind_text(s, 1, m, -1, SQLITE_STATIC);
	while (sqlite3_step(s) == SQLITE_ROW) {
		/* Left out: items with only words in half the items. */
		if (i >= n) {
			ck_assert(fabs(sqlite3_column_double(s, 1)) < 1e-3);
			continue;
		}
		ck_assert(fabs(h[i].bm25 - sqlite3_column_double(s, 1)) <
		    1e-9 * (1 + fabs(h[i].bm25)));
		/* Equal scores may come in either order. */
		if (i + 1 < n && fabs(h[i].bm25 - h[i + 1].bm25) > 1e-9)
			ck_assert_int_eq(h[i].id, sqlite3_column_int64(s, 0));
		i++;
	}
	ck_assert_uint_eq(i, n);
	ck_assert_uint_gt(n, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	free(m);
}

START_TEST(test_bm25_is_the_one_fts5_computes)
{
	struct ods_kw	*k;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	corpus(k, 1, 60, 0);
	same_as_fts5(k, "alpha");
	same_as_fts5(k, "kappa theta iota");
	same_as_fts5(k, "lambda kappa beta gamma zeta");
	same_as_fts5(k, "分布式数据库");
	same_as_fts5(k, "数 kappa");	/* a lone character: a prefix */
	/* After replaces and deletes, and for a reader. */
	corpus(k, 2, 40, 3);
	ck_assert_int_eq(ods_kw_delete(k, 3, 7, NULL), ODS_OK);
	same_as_fts5(k, "kappa theta iota lambda");
	ods_kw_close(k);
	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_OK);
	same_as_fts5(k, "kappa theta iota lambda 数据");
	ods_kw_close(k);
}
END_TEST

/* More matches than candidates: a filter still finds its items. */
START_TEST(test_filters_reach_past_the_candidates)
{
	struct ods_kw		*k;
	struct ods_kw_item	 it[600];
	struct ods_vec_filter	 f;
	struct ods_kw_hit	 h[8];
	char			 text[600][32];
	int64_t			 doc = 577;
	size_t			 i, n;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	for (i = 0; i < 600; i++) {
		snprintf(text[i], sizeof(text[i]), "walrus %s w%zu",
		    i % 3 ? "tusk" : "", i);
		it[i].id = (int64_t)i + 1;
		it[i].doc_id = (int64_t)i + 1;
		it[i].kb_id = i == 591 ? 2 : 1;	/* no tusk */
		it[i].text = text[i];
		it[i].len = strlen(text[i]);
	}
	ck_assert_int_eq(ods_kw_add(k, 1, it, 600), ODS_OK);
	memset(&f, 0, sizeof(f));
	f.doc_ids = &doc;
	f.ndoc_ids = 1;
	ck_assert_int_eq(ods_kw_search(k, "walrus tusk", 11, 8, &f, 0, h, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id, 577);
	memset(&f, 0, sizeof(f));
	f.has_kb = 1;
	f.kb_id = 2;
	ck_assert_int_eq(ods_kw_search(k, "walrus tusk", 11, 8, &f, 0, h, &n),
	    ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(h[0].id, 592);
	/* Unfiltered: items with both words first. */
	ck_assert_int_eq(ods_kw_search(k, "walrus tusk", 11, 8, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 8);
	for (i = 0; i < n; i++)
		ck_assert_int_ne((h[i].id - 1) % 3, 0);
	ods_kw_close(k);
}
END_TEST

/* kw_df against fts5vocab, ntok against the token strings. */
static void
df_is_exact(void)
{
	ck_assert_int_eq(sql_int("SELECT count(*) FROM kw_vocab v "
	    "FULL JOIN (SELECT * FROM kw_df WHERE term NOT LIKE '% *') d "
	    "ON d.term = v.term WHERE d.df IS NOT v.doc"), 0);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM kw_df WHERE term "
	    "NOT LIKE '% *' AND df <= 0"), 0);
	ck_assert_int_eq(sql_int("SELECT v FROM kw_meta WHERE k = 'ntok'"),
	    sql_int("SELECT sum(length(tok) - length(replace(tok, ' ', '')) "
	    "+ (tok <> '')) FROM kw_fts"));
}

START_TEST(test_document_frequencies_follow_every_change)
{
	struct ods_vec_filter	 f;
	struct ods_kw		*k;
	int64_t			 doc = 5;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	corpus(k, 1, 60, 0);
	df_is_exact();
	corpus(k, 2, 30, 5);		/* replaces 1..30 */
	ck_assert_int_eq(ods_kw_delete(k, 3, 40, NULL), ODS_OK);
	memset(&f, 0, sizeof(f));
	f.doc_ids = &doc;
	f.ndoc_ids = 1;
	ck_assert_int_eq(ods_kw_delete_where(k, 4, &f, NULL), ODS_OK);
	df_is_exact();
	/* A failed transaction changes nothing. */
	ck_assert_int_eq(ods_kw_delete(k, 4, 41, NULL), ODS_EINVAL);
	df_is_exact();
	ck_assert_int_eq(sql_int("SELECT df FROM kw_df WHERE term = '数 *'"),
	    sql_int("SELECT count(*) FROM kw_fts WHERE kw_fts MATCH "
	    "'\"数\" *'"));
	ods_kw_close(k);
}
END_TEST

/*
 * A file whose kw_df is missing or behind (the first version wrote it):
 * a reader searches with FTS5's bm25, the writer rebuilds kw_df at open.
 */
START_TEST(test_a_file_without_frequencies_is_searched_and_rebuilt)
{
	struct ods_kw		*k, *r;
	struct ods_kw_hit	 h[64];
	sqlite3			*db;
	char			 path[4096];
	size_t			 n;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	corpus(k, 1, 60, 0);
	ods_kw_close(k);
	snprintf(path, sizeof(path), "%s/%s", dir, ODS_KW_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE kw_df SET df = 1;"
	    "UPDATE kw_meta SET v = 99 WHERE k = 'seq'", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_OK);
	ck_assert_int_eq(ods_kw_search(k, "kappa theta", 11, 64, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_gt(n, 0);
	same_as_fts5(k, "kappa theta");
	ods_kw_close(k);
	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	df_is_exact();
	same_as_fts5(k, "kappa theta");
	ods_kw_close(k);
	/* No kw_df at all, as the first version made it. */
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DROP TABLE kw_df;"
	    "DELETE FROM kw_meta WHERE k IN ('dfseq', 'ntok')", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_close(db);
	/* A reader open across the writer's rebuild follows it. */
	ck_assert_int_eq(ods_kw_open_reader(dir, &r), ODS_OK);
	same_as_fts5(r, "kappa theta");
	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	df_is_exact();
	same_as_fts5(k, "kappa theta");
	corpus(k, 100, 50, 1);
	same_as_fts5(r, "kappa theta iota");
	ods_kw_close(k);
	ods_kw_close(r);
}
END_TEST

/*
 * A file of format 1 (its words as written): a reader searches it with
 * words as written; its writer empties it (seq 0) for the owner to
 * refill from the source, and a reader open across that follows.
 */
START_TEST(test_a_format1_file_is_read_then_emptied_by_its_writer)
{
	struct ods_kw		*k, *r;
	struct ods_kw_stats	 st;
	sqlite3			*db;
	sqlite3_stmt		*s;
	char			 path[4096], tok[512];
	int64_t			 ids[16];
	size_t			 i, n;

	k = filled();
	ods_kw_close(k);
	snprintf(path, sizeof(path), "%s/%s", dir, ODS_KW_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "UPDATE kw_fts SET tok = ?1 "
	    "WHERE rowid = ?2", -1, &s, NULL), SQLITE_OK);
	for (i = 0; i < ODS_NELEM(docs); i++) {
		(void)odsi_kw_tokenize(docs[i], strlen(docs[i]), 0, tok,
		    sizeof(tok));
		sqlite3_bind_text(s, 1, tok, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(s, 2, (int64_t)i + 1);
		ck_assert_int_eq(sqlite3_step(s), SQLITE_DONE);
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	/* Frequencies not kept (dfseq behind seq): FTS5's bm25 ranks. */
	ck_assert_int_eq(sqlite3_exec(db, "UPDATE kw_meta SET v = 1 WHERE "
	    "k = 'format'; UPDATE kw_meta SET v = 0 WHERE k = 'dfseq'",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(ods_kw_open_reader(dir, &r), ODS_OK);
	n = search(r, "stripes", ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 8);
	ck_assert_uint_eq(search(r, "striped", ids), 0);

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	ck_assert_uint_eq(ods_kw_seq(k), 0);
	ck_assert_int_eq(ods_kw_stats(k, &st), ODS_OK);
	ck_assert_uint_eq(st.items, 0);
	ck_assert_int_eq(sql_int("SELECT v FROM kw_meta WHERE k = 'format'"),
	    3);
	ck_assert_uint_eq(search(r, "stripes", ids), 0);
	ods_kw_close(k);
	k = filled();			/* the owner's refill */
	df_is_exact();
	n = search(r, "striped", ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 8);
	ck_assert_uint_eq(ods_kw_seq(r), 1);
	ods_kw_close(k);
	ods_kw_close(r);
}
END_TEST

/*
 * A file of format 2 (kw_fts on unicode61, with positions): the same
 * tokens, so its writer rebuilds kw_fts in place, keeping seq and every
 * item, and a reader open across that follows without a gap.
 */
START_TEST(test_a_format2_file_is_rebuilt_in_place_by_its_writer)
{
	struct ods_kw		*k, *r;
	struct ods_kw_stats	 st;
	sqlite3			*db;
	char			 path[4096];
	int64_t			 ids[16];
	size_t			 n;

	k = filled();
	ods_kw_close(k);
	snprintf(path, sizeof(path), "%s/%s", dir, ODS_KW_FILE);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN;"
	    "DROP TABLE kw_vocab;"
	    "CREATE VIRTUAL TABLE old USING fts5(tok, "
	    "tokenize = 'unicode61 remove_diacritics 2');"
	    "INSERT INTO old(rowid, tok) SELECT rowid, tok FROM kw_fts;"
	    "DROP TABLE kw_fts;"
	    "ALTER TABLE old RENAME TO kw_fts;"
	    "CREATE VIRTUAL TABLE kw_vocab USING fts5vocab(kw_fts, 'row');"
	    "UPDATE kw_meta SET v = 2 WHERE k = 'format';"
	    "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'kw_fts' AND sql LIKE '%unicode61%'"), 1);

	ck_assert_int_eq(ods_kw_open_reader(dir, &r), ODS_OK);
	n = search(r, "striped", ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 8);

	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_OK);
	ck_assert_int_eq(sql_int("SELECT v FROM kw_meta WHERE k = 'format'"),
	    3);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name = 'kw_fts' AND sql LIKE '%detail = none%'"), 1);
	ck_assert_int_eq(sql_int("SELECT count(*) FROM sqlite_master WHERE "
	    "name LIKE 'kw_fts_new%'"), 0);
	ck_assert_uint_eq(ods_kw_seq(k), 1);
	ck_assert_int_eq(ods_kw_stats(k, &st), ODS_OK);
	ck_assert_uint_eq(st.items, ODS_NELEM(docs));
	df_is_exact();
	n = search(r, "striped", ids);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ids[0], 8);
	ck_assert(has(ids, search(k, "数据库", ids), 4));
	ck_assert(has(ids, search(r, "天気", ids), 6));
	same_as_fts5(k, "zebra stripes database");
	ods_kw_close(k);
	ods_kw_close(r);
}
END_TEST

START_TEST(test_hostile_queries_are_plain_words)
{
	static const char *const q[] = {
		"\"", "\"\"\"", "zebra\" OR \"database", "NEAR(zebra stripes)",
		"zebra AND database", "zebra NOT stripes", "*", "zeb*", "^zebra",
		"tok: zebra", "{tok}: zebra", "-zebra", "+zebra", "(zebra",
		")", "zebra)", "AND", "OR OR OR", "NEAR", "a:b:c", "'", "\\",
		"zebra; DROP TABLE kw_items; --", "rank:1", "\xff\xfe\xc3",
		"☃ ☃", "\xe5\xba", "", "   ",
	};
	struct ods_kw		*k = filled();
	struct ods_kw_hit	 h[8];
	int64_t			 ids[16];
	size_t			 i, n, big = 1024 * 1024;
	char			*b;

	for (i = 0; i < ODS_NELEM(q); i++)
		ck_assert_msg(ods_kw_search(k, q[i], strlen(q[i]), 8, NULL, 0,
		    h, &n) == ODS_OK, "query %zu", i);
	/* Syntax is words: "and", "near", "tok" are searched for. */
	ck_assert_uint_eq(search(k, "zebra\" OR \"database", ids), 4);
	ck_assert_uint_eq(search(k, "NEAR(zebra stripes)", ids), 2);
	ck_assert_uint_eq(search(k, "{tok}: zebra", ids), 2);
	ck_assert_uint_eq(search(k, "zeb*", ids), 0);
	ck_assert_int_eq(ods_kw_search(k, "zeb\0ra zebra", 12, 8, NULL, 0, h,
	    &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	/* A 1 MiB query: no error, the first distinct tokens count. */
	b = malloc(big);
	ck_assert_ptr_nonnull(b);
	memset(b, 'x', big);
	memcpy(b, "zebra ", 6);
	for (i = 100; i + 8 < big; i += 7)
		b[i] = i % 3 == 0 ? ' ' : (char)('a' + i % 26);
	ck_assert_int_eq(ods_kw_search(k, b, big, 8, NULL, 0, h, &n), ODS_OK);
	ck_assert_uint_ge(n, 2);
	memset(b, 0, big);
	ck_assert_int_eq(ods_kw_search(k, b, big, 8, NULL, 0, h, &n), ODS_OK);
	ck_assert_uint_eq(n, 0);
	free(b);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_second_writer_fails_with_conflict)
{
	struct ods_kw	*k = filled(), *k2 = NULL, *r = NULL;

	ck_assert_int_eq(ods_kw_open_writer(dir, &k2), ODS_ECONFLICT);
	ck_assert_ptr_null(k2);
	ck_assert_int_eq(ods_kw_open_reader(dir, &r), ODS_OK);
	ods_kw_close(r);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_bad_calls_are_refused)
{
	struct ods_kw		*k = filled(), *r;
	struct ods_kw_item	 it = { .id = 1, .doc_id = 1, .kb_id = 1,
		.text = NULL, .len = 3 };
	struct ods_kw_hit	 h[2];
	struct ods_vec_filter	 f;
	size_t			 n;

	ck_assert_int_eq(ods_kw_add(k, 2, &it, 1), ODS_EINVAL);
	it.text = "abc";
	ck_assert_int_eq(ods_kw_add(k, 1, &it, 1), ODS_EINVAL);	/* seq */
	ck_assert_int_eq(ods_kw_delete(k, 1, 1, NULL), ODS_EINVAL);
	it.len = ODS_KW_MAX_TEXT + 1;
	ck_assert_int_eq(ods_kw_add(k, 2, &it, 1), ODS_ETOOBIG);
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(ods_kw_delete_where(k, 2, &f, &n), ODS_EINVAL);
	ck_assert_int_eq(ods_kw_search(k, "a", 1, 0, NULL, 0, h, &n),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_kw_search(k, "a", 1, ODS_KW_MAX_K + 1, NULL, 0,
	    h, &n), ODS_ETOOBIG);
	ck_assert_int_eq(ods_kw_search(k, "a", 1, 2, NULL, nanf(""), h, &n),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_kw_search(k, NULL, 1, 2, NULL, 0, h, &n),
	    ODS_EINVAL);
	f.ndoc_ids = ODS_KW_MAX_DOCS + 1;
	f.doc_ids = (const int64_t *)h;
	ck_assert_int_eq(ods_kw_search(k, "a", 1, 2, &f, 0, h, &n),
	    ODS_ETOOBIG);
	ck_assert_uint_eq(ods_kw_seq(k), 1);
	ck_assert_int_eq(ods_kw_open_reader(dir, &r), ODS_OK);
	it.len = 3;
	ck_assert_int_eq(ods_kw_add(r, 9, &it, 1), ODS_EINVAL);
	ck_assert_int_eq(ods_kw_optimize(r), ODS_EINVAL);
	ods_kw_close(r);
	ods_kw_close(k);
}
END_TEST

START_TEST(test_missing_or_foreign_index_is_refused)
{
	struct ods_kw	*k;
	char		 p[4096];
	FILE		*fp;

	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_ENOTFOUND);
	ck_assert_int_eq(ods_kw_open_reader("/nonexistent/x", &k),
	    ODS_ENOTFOUND);
	snprintf(p, sizeof(p), "%s/%s", dir, ODS_KW_FILE);
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("this is not a database file, not at all, no no no......\n", fp);
	fclose(fp);
	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_ECORRUPT);
	ck_assert_int_eq(ods_kw_open_writer(dir, &k), ODS_ECORRUPT);
	ck_assert_ptr_null(k);
	/* An empty file (a writer creating it) is no index yet. */
	fp = fopen(p, "w");
	ck_assert_ptr_nonnull(fp);
	fclose(fp);
	ck_assert_int_eq(ods_kw_open_reader(dir, &k), ODS_ENOTFOUND);
	unlink(p);
}
END_TEST

static Suite *
kw_suite(void)
{
	Suite	*s = suite_create("ods_kw");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_checked_fixture(core, setup, teardown);
	tcase_add_checked_fixture(limits, setup, teardown);
	tcase_add_checked_fixture(errors, setup, teardown);
	tcase_set_timeout(limits, 60);
	tcase_add_test(core, test_tokens_are_lowercased_words_and_cjk_bigrams);
	tcase_add_test(core, test_english_words_are_stemmed);
	tcase_add_test(core, test_stems_are_the_snowball_stemmers);
	tcase_add_test(core, test_another_form_of_a_word_finds_the_item);
	tcase_add_test(core, test_match_expression_quotes_every_token);
	tcase_add_test(core, test_english_search_finds_the_document);
	tcase_add_test(core,
	    test_chinese_phrase_is_found_inside_a_longer_sentence);
	tcase_add_test(core, test_japanese_search_finds_the_document);
	tcase_add_test(core, test_more_occurrences_of_a_rare_term_rank_higher);
	tcase_add_test(core, test_words_in_half_the_items_only_count_alone);
	tcase_add_test(core, test_deleted_items_are_never_returned);
	tcase_add_test(core, test_add_with_an_existing_id_replaces_the_text);
	tcase_add_test(core, test_filters_keep_only_matching_items);
	tcase_add_test(core, test_reopen_keeps_items_and_seq);
	tcase_add_test(core, test_reader_in_another_process_sees_commits);
	tcase_add_test(core, test_kill9_after_add_returned_keeps_the_item);
	tcase_add_test(core, test_threads_share_one_handle);
	tcase_add_test(core, test_bm25_is_the_one_fts5_computes);
	tcase_add_test(core, test_filters_reach_past_the_candidates);
	tcase_add_test(core, test_document_frequencies_follow_every_change);
	tcase_add_test(core,
	    test_a_file_without_frequencies_is_searched_and_rebuilt);
	tcase_add_test(core,
	    test_a_format1_file_is_read_then_emptied_by_its_writer);
	tcase_add_test(core,
	    test_a_format2_file_is_rebuilt_in_place_by_its_writer);
	tcase_add_test(limits, test_hostile_queries_are_plain_words);
	tcase_add_test(errors, test_second_writer_fails_with_conflict);
	tcase_add_test(errors, test_bad_calls_are_refused);
	tcase_add_test(errors, test_missing_or_foreign_index_is_refused);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = kw_suite };
