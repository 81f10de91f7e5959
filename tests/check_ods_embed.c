/* tests/check_ods_embed.c — the built-in ods-hash-embed model. */
#include "config.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vec/ods_embed.h"
#include "ods_check.h"

#define D	ODS_EMBED_DIM_DEFAULT

static double
cosine(const float *a, const float *b, size_t n)
{
	double	s = 0;
	size_t	i;

	for (i = 0; i < n; i++)
		s += (double)a[i] * b[i];
	return s;
}

static double
norm(const float *a, size_t n)
{
	return sqrt(cosine(a, a, n));
}

/* Embed s through an exact-size heap copy, so any over-read is caught. */
static size_t
embed(const char *s, size_t len, float *out)
{
	char	*copy = malloc(len ? len : 1);
	size_t	 ntok;

	memcpy(copy, s, len);
	ck_assert_int_eq(ods_embed(copy, len, D, out, &ntok), ODS_OK);
	free(copy);
	return ntok;
}

static size_t
embeds(const char *s, float *out)
{
	return embed(s, strlen(s), out);
}

START_TEST(test_embedding_is_deterministic_and_unit_length)
{
	float	a[D], b[D];
	size_t	n;

	n = embeds("The quick brown fox jumps over the lazy dog.", a);
	ck_assert_uint_eq(n, 9);
	embeds("The quick brown fox jumps over the lazy dog.", b);
	ck_assert_mem_eq(a, b, sizeof(a));
	ck_assert_double_eq_tol(norm(a, D), 1.0, 1e-5);
}
END_TEST

START_TEST(test_shared_words_score_higher_than_unrelated_text)
{
	float	a[D], b[D], c[D];

	embeds("the cat sat on the mat", a);
	embeds("a cat sat on a mat", b);
	embeds("stock market prices crashed overnight", c);
	ck_assert_double_gt(cosine(a, b, D), 0.5);
	ck_assert_double_lt(fabs(cosine(a, c, D)), 0.2);
	ck_assert_double_gt(cosine(a, b, D), cosine(a, c, D) + 0.3);
}
END_TEST

START_TEST(test_case_and_fullwidth_forms_fold_together)
{
	float	a[D], b[D];

	embeds("Hello World", a);
	embeds("hello world", b);
	ck_assert_double_gt(cosine(a, b, D), 0.9999);
	embeds("\xef\xbc\xa8\xef\xbd\x85llo world", b);	/* fullwidth "He" */
	ck_assert_double_gt(cosine(a, b, D), 0.9999);
}
END_TEST

START_TEST(test_char_trigrams_relate_inflected_words)
{
	float	a[D], b[D], c[D];

	embeds("configuration", a);
	embeds("configurations", b);
	embeds("elephant", c);
	ck_assert_double_gt(cosine(a, b, D), 0.3);
	ck_assert_double_gt(cosine(a, b, D), cosine(a, c, D) + 0.2);
}
END_TEST

START_TEST(test_cjk_text_uses_character_bigrams)
{
	float	a[D], b[D], c[D];
	size_t	n;

	/* "machine learning is fun" / "machine learning" / "weather today" */
	n = embeds("机器学习很有趣", a);
	ck_assert_uint_eq(n, 7);
	embeds("机器学习", b);
	embeds("今天天气很好", c);
	ck_assert_double_gt(cosine(a, b, D), 0.5);
	ck_assert_double_gt(cosine(a, b, D), cosine(a, c, D) + 0.3);
	/* Mixed scripts: both parts contribute. */
	embeds("Milvus 向量数据库", c);
	ck_assert_double_gt(norm(c, D), 0.999);
}
END_TEST

START_TEST(test_empty_or_separator_only_text_is_the_zero_vector)
{
	float	a[D];
	size_t	i, n;

	n = embed("", 0, a);
	ck_assert_uint_eq(n, 0);
	for (i = 0; i < D; i++)
		ck_assert(a[i] == 0.0f);
	n = embeds(" \t\n.,;!?。、", a);
	ck_assert_uint_eq(n, 0);
	ck_assert_double_eq(norm(a, D), 0.0);
	ck_assert_int_eq(ods_embed(NULL, 0, D, a, NULL), ODS_OK);
}
END_TEST

START_TEST(test_invalid_utf8_never_crashes_or_overreads)
{
	static const char *bad[] = {
		"\xff\xfe\xfd", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80",
		"\xf4\x90\x80\x80", "abc\xe4\xb8", "\xe4", "\xf0\x9f\x98",
		"x\x80y\xbfz", "\xc3", "caf\xc3\xa9\xc3",
	};
	float		 a[D], b[D];
	unsigned char	 buf[257];
	uint64_t	 s = 12345;
	size_t		 i, j, len;
	double		 nm;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		embeds(bad[i], a);
		nm = norm(a, D);
		ck_assert(nm == 0.0 || fabs(nm - 1.0) < 1e-5);
	}
	/* Invalid bytes separate words: "x\x80y" is "x y". */
	embeds("x\x80y\xbfz", a);
	embeds("x y z", b);
	ck_assert_double_gt(cosine(a, b, D), 0.9999);
	for (i = 0; i < 2000; i++) {	/* random bytes, random lengths */
		len = (size_t)(s % 257);
		for (j = 0; j < len; j++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			buf[j] = (unsigned char)(s >> 56);
		}
		embed((const char *)buf, len, a);
		nm = norm(a, D);
		ck_assert(nm == 0.0 || fabs(nm - 1.0) < 1e-5);
	}
}
END_TEST

START_TEST(test_model_names_round_trip)
{
	char		buf[64];
	uint32_t	d;

	ck_assert_int_eq(ods_embed_model_name(384, buf, sizeof(buf)), ODS_OK);
	ck_assert_str_eq(buf, "ods-hash-embed-384");
	ck_assert_int_eq(ods_embed_parse_model(buf, &d), ODS_OK);
	ck_assert_uint_eq(d, 384);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed", &d), ODS_OK);
	ck_assert_uint_eq(d, ODS_EMBED_DIM_DEFAULT);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-1024", &d),
	    ODS_OK);
	ck_assert_uint_eq(d, 1024);
}
END_TEST

/* Limits. */

START_TEST(test_dimensions_at_the_edges_work)
{
	float	*a = malloc(ODS_EMBED_DIM_MAX * sizeof(float));
	float	 small[ODS_EMBED_DIM_MIN];

	ck_assert_int_eq(ods_embed("hello world", 11, ODS_EMBED_DIM_MAX, a,
	    NULL), ODS_OK);
	ck_assert_double_eq_tol(norm(a, ODS_EMBED_DIM_MAX), 1.0, 1e-5);
	ck_assert_int_eq(ods_embed("hello world", 11, ODS_EMBED_DIM_MIN, small,
	    NULL), ODS_OK);
	ck_assert_double_eq_tol(norm(small, ODS_EMBED_DIM_MIN), 1.0, 1e-5);
	free(a);
}
END_TEST

START_TEST(test_long_text_up_to_the_cap_is_embedded)
{
	size_t	 len = ODS_EMBED_MAX_TEXT, i, n;
	char	*t = malloc(len);
	float	 a[D];

	for (i = 0; i < len; i++)	/* many distinct words */
		t[i] = (i % 7 == 6) ? ' ' : (char)('a' + (i * 31 / 7) % 26);
	ck_assert_int_eq(ods_embed(t, len, D, a, &n), ODS_OK);
	ck_assert_uint_gt(n, 100000);
	ck_assert_double_eq_tol(norm(a, D), 1.0, 1e-5);
	ck_assert_int_eq(ods_embed(t, len + 1, D, a, &n), ODS_ETOOBIG);
	free(t);
}
END_TEST

START_TEST(test_very_long_word_is_handled)
{
	char	w[5000];
	float	a[D];

	memset(w, 'q', sizeof(w));
	ck_assert_uint_eq(embed(w, sizeof(w), a), 1);
	ck_assert_double_eq_tol(norm(a, D), 1.0, 1e-5);
}
END_TEST

/* Errors. */

START_TEST(test_bad_arguments_are_refused)
{
	float		a[D];
	char		buf[8];
	uint32_t	d;

	ck_assert_int_eq(ods_embed("x", 1, ODS_EMBED_DIM_MIN - 1, a, NULL),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed("x", 1, ODS_EMBED_DIM_MAX + 1, a, NULL),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed(NULL, 3, D, a, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_embed("x", 1, D, NULL, NULL), ODS_EINVAL);
	ck_assert_int_eq(ods_embed_model_name(384, buf, sizeof(buf)),
	    ODS_ETOOBIG);
	ck_assert_int_eq(ods_embed_model_name(2, buf, sizeof(buf)),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("text-embedding-ada-002", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-0384", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-99999", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-4", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model("ods-hash-embed-38x", &d),
	    ODS_EINVAL);
	ck_assert_int_eq(ods_embed_parse_model(NULL, &d), ODS_EINVAL);
}
END_TEST

static Suite *
embed_suite(void)
{
	Suite	*s = suite_create("ods_embed");
	TCase	*core = tcase_create("core");
	TCase	*limits = tcase_create("limits");
	TCase	*errors = tcase_create("errors");

	tcase_add_test(core, test_embedding_is_deterministic_and_unit_length);
	tcase_add_test(core, test_shared_words_score_higher_than_unrelated_text);
	tcase_add_test(core, test_case_and_fullwidth_forms_fold_together);
	tcase_add_test(core, test_char_trigrams_relate_inflected_words);
	tcase_add_test(core, test_cjk_text_uses_character_bigrams);
	tcase_add_test(core, test_empty_or_separator_only_text_is_the_zero_vector);
	tcase_add_test(core, test_invalid_utf8_never_crashes_or_overreads);
	tcase_add_test(core, test_model_names_round_trip);
	tcase_add_test(limits, test_dimensions_at_the_edges_work);
	tcase_add_test(limits, test_long_text_up_to_the_cap_is_embedded);
	tcase_add_test(limits, test_very_long_word_is_handled);
	tcase_add_test(errors, test_bad_arguments_are_refused);
	suite_add_tcase(s, core);
	suite_add_tcase(s, limits);
	suite_add_tcase(s, errors);
	return s;
}

const struct ods_check ods_check_program = { .suite = embed_suite };
