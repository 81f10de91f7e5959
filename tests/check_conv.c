/*
 * tests/check_conv.c — conversations and messages (svc/agent/conv.c)
 * against a scratch database "<db>_c<pid>" (needs ODS_TEST_DB_DSN; exits
 * 77 without it): first-message titles cut on a character, counts and
 * totals, owner scoping, a rename that sticks, and the history a chat
 * call sends under its token budget.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../svc/agent/conv.h"
#include "ods_check.h"
#include "ods_test_db.h"

static const char	*dsn;
static char		 scratch[128];
static struct ods_conf	*conf;
static struct ods_db	*db;

static void
setup(void)
{
	conf = ods_test_conf(dsn, scratch);
	db = ods_db_new(conf, 2);
	ck_assert_int_eq(ods_test_sql(dsn, scratch, "DELETE FROM "
	    "conversations"), 0);
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
}

static void
title(const char *in, const char *want)
{
	char	out[4 * ODS_CONV_TITLE_AUTO + 8];

	ods_conv_title(in, strlen(in), out, sizeof(out));
	ck_assert_str_eq(out, want);
}

START_TEST(test_conv_title_trims_and_cuts_on_a_character)
{
	char	in[256], want[256];
	int	i;

	title("  hello\n\n  world \t", "hello world");
	title("", "");
	title(" \n ", "");
	/* 60 two-byte characters: 50 kept, then "…". */
	in[0] = want[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(in, "é");
	for (i = 0; i < 50; i++)
		strcat(want, "é");
	strcat(want, "…");
	title(in, want);
	/* Exactly 50 characters: no "…"; trailing blanks do not count. */
	memset(in, 'a', 50);
	strcpy(in + 50, "   ");
	memset(want, 'a', 50);
	want[50] = '\0';
	title(in, want);
}
END_TEST

static void
add(const struct ods_conv *c, const char *role, const char *text,
    int64_t pt, int64_t ct)
{
	struct ods_msg_spec	m;
	char			id[64];

	memset(&m, 0, sizeof(m));
	m.role = role;
	m.content = text;
	m.len = strlen(text);
	m.prompt_tokens = pt;
	m.completion_tokens = ct;
	m.latency_ms = -1;
	ck_assert_int_eq(ods_msg_add(db, c, &m, id), ODS_OK);
	ck_assert_int_eq(strncmp(id, "msg-", 4), 0);
}

START_TEST(test_conv_counts_titles_and_owner)
{
	struct ods_conv_spec	 s;
	struct ods_msg_spec	 first;
	struct ods_conv		*c, *g = NULL;
	char			 id[64];

	memset(&s, 0, sizeof(s));
	memset(&first, 0, sizeof(first));
	first.role = "user";
	first.content = " What is  the plan? ";
	first.len = strlen(first.content);
	ck_assert_int_eq(ods_conv_create(db, &s, "alice", &first, id, &c),
	    ODS_OK);
	ck_assert_str_eq(c->title, "What is the plan?");
	add(c, "assistant", "A plan.", 10, 3);
	add(c, "user", "Another question", 0, 0);
	ck_assert_int_eq(ods_conv_get(db, c->conversation_id, "alice", &g),
	    ODS_OK);
	ck_assert_int_eq(g->message_count, 3);
	ck_assert_int_eq(g->total_tokens, 13);
	ck_assert_str_eq(g->title, "What is the plan?");
	ods_conv_free(g);
	/* Another user: not found; an admin's read (NULL): found. */
	ck_assert_int_eq(ods_conv_get(db, c->conversation_id, "bob", &g),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_conv_get(db, c->conversation_id, NULL, &g),
	    ODS_OK);
	ods_conv_free(g);
	/* A rename sticks. */
	memset(&s, 0, sizeof(s));
	s.title = "Renamed";
	ck_assert_int_eq(ods_conv_update(db, c, &s), ODS_OK);
	ck_assert_int_eq(ods_conv_get(db, c->conversation_id, "alice", &g),
	    ODS_OK);
	ck_assert_str_eq(g->title, "Renamed");
	ck_assert_int_eq(g->title_custom, 1);
	ods_conv_free(g);
	/* A bad role is refused, nothing counted. */
	first.role = "robot";
	ck_assert_int_eq(ods_msg_add(db, c, &first, id), ODS_EINVAL);
	ck_assert_int_eq(ods_conv_delete(db, c), ODS_OK);
	ck_assert_int_eq(ods_conv_get(db, c->conversation_id, NULL, &g),
	    ODS_ENOTFOUND);
	ods_conv_free(c);
}
END_TEST

START_TEST(test_conv_history_keeps_the_newest_turns_in_budget)
{
	struct ods_conv_spec	 s;
	struct ods_conv		*c;
	char			*json = NULL, big[401];
	size_t			 n;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(ods_conv_create(db, &s, "alice", NULL, NULL, &c),
	    ODS_OK);
	memset(big, 'x', 400);		/* 101 tokens each */
	big[400] = '\0';
	add(c, "user", big, 0, 0);
	add(c, "assistant", big, 0, 0);
	add(c, "user", "last question", 0, 0);
	/* 4 (system) + 4 (last) + 101 fit in 120; the oldest does not. */
	ck_assert_int_eq(ods_conv_history(db, c->conversation_id, "Be terse",
	    120, &json, &n), ODS_OK);
	ck_assert_uint_eq(n, 2);
	ck_assert_ptr_nonnull(strstr(json, "[{\"role\":\"system\",\"content\":"
	    "\"Be terse\"},{\"role\":\"assistant\""));
	ck_assert_ptr_nonnull(strstr(json, "{\"role\":\"user\",\"content\":"
	    "\"last question\"}]"));
	free(json);
	/* The newest message is kept even past the budget. */
	ck_assert_int_eq(ods_conv_history(db, c->conversation_id, NULL, 1,
	    &json, &n), ODS_OK);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(json, "[{\"role\":\"user\",\"content\":"
	    "\"last question\"}]");
	free(json);
	ods_conv_free(c);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("conv");
	TCase	*tc;

	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_conv_title_trims_and_cuts_on_a_character);
	tcase_add_test(tc, test_conv_counts_titles_and_owner);
	tcase_add_test(tc, test_conv_history_keeps_the_newest_turns_in_budget);
	suite_add_tcase(s, tc);
	return s;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_conv");
	if (ods_test_scratch_create(dsn, 'c', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_conv: no scratch database\n");
		return 1;
	}
	return 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
