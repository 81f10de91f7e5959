/*
 * tests/check_dataset.c — the dataset domain (svc/data/dataset.h) on a
 * scratch database "<db>_v<pid>" (needs ODS_TEST_DB_DSN; exits 77
 * without): D3's validation naming each field, owners (another user's
 * private dataset is not found, a public one cannot be changed), soft
 * delete, tag and text filters; version numbers taken by 8 threads at
 * once are 1..N without a gap or a repeat, each thread told its own;
 * uploads complete once.
 */
#include "config.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ods_conf.h"
#include "core/ods_err.h"
#include "store/ods_db.h"
#include "../svc/data/dataset.h"
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
	db = ods_db_new(conf, 8);
}

static void
teardown(void)
{
	ods_db_free(db);
	ods_conf_free(conf);
}

static struct ods_dset *
make(const char *id, const char *name, const char *owner, const char *vis)
{
	struct ods_dset_spec	 sp;
	struct ods_dset		*d = NULL;
	struct ods_why		 why;

	memset(&why, 0, sizeof(why));
	ods_dset_spec_init(&sp);
	sp.dataset_id = id;
	sp.name = name;
	sp.visibility = vis;
	sp.tags = "[\"t1\",\"t2\"]";
	ck_assert_msg(ods_dset_create(db, &sp, owner, &d, &why) == ODS_OK,
	    "create %s: %s %s", id, why.field, why.msg);
	return d;
}

START_TEST(test_validation_names_the_field)
{
	static const struct {
		const char	*field;
		const char	*name, *format, *storage, *status, *vis;
	} bad[] = {
		{ "name", NULL, NULL, NULL, NULL, NULL },
		{ "name", "", NULL, NULL, NULL, NULL },
		{ "name", "a/b", NULL, NULL, NULL, NULL },
		{ "format", "ok", "xml", NULL, NULL, NULL },
		{ "storage_type", "ok", NULL, "ftp", NULL, NULL },
		{ "status", "ok", NULL, NULL, "gone", NULL },
		{ "visibility", "ok", NULL, NULL, NULL, "all" },
	};
	struct ods_dset_spec	sp;
	struct ods_why		why;
	char			long_name[400];
	size_t			i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ods_dset_spec_init(&sp);
		sp.name = bad[i].name;
		sp.format = bad[i].format;
		sp.storage_type = bad[i].storage;
		sp.status = bad[i].status;
		sp.visibility = bad[i].vis;
		memset(&why, 0, sizeof(why));
		ck_assert_int_eq(ods_dset_spec_check(&sp, 1, &why), ODS_EINVAL);
		ck_assert_str_eq(why.field, bad[i].field);
	}
	/* 100 CJK characters pass (300 bytes), 101 do not. */
	ods_dset_spec_init(&sp);
	long_name[0] = '\0';
	for (i = 0; i < 100; i++)
		strcat(long_name, "数");
	sp.name = long_name;
	ck_assert_int_eq(ods_dset_spec_check(&sp, 1, &why), ODS_OK);
	strcat(long_name, "数");
	ck_assert_int_eq(ods_dset_spec_check(&sp, 1, &why), ODS_EINVAL);
}
END_TEST

START_TEST(test_owners_visibility_and_soft_delete)
{
	struct ods_dset_filter	 f;
	struct ods_dset_spec	 sp;
	struct ods_dset		*pub, *priv, *d = NULL, *v = NULL;
	struct ods_why		 why;
	size_t			 n = 0;
	int64_t			 total = 0;

	pub = make("own-pub", "public one", "alice", NULL);
	priv = make("own-priv", "private one", "alice", "private");
	ck_assert_str_eq(pub->visibility, "public");
	ck_assert_int_eq(ods_dset_get(db, "own-priv", "bob", &d),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_dset_get(db, "own-priv", NULL, &d), ODS_OK);
	ods_dset_free(d);
	ck_assert_int_eq(ods_dset_get(db, "own-pub", "bob", &d), ODS_OK);
	ods_dset_spec_init(&sp);
	sp.description = "bob was here";
	memset(&why, 0, sizeof(why));
	ck_assert_int_eq(ods_dset_update(db, d, &sp, "bob", &why),
	    ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_dset_update(db, d, &sp, "alice", &why), ODS_OK);
	ck_assert_str_eq(d->description, "bob was here");
	ods_dset_free(d);

	memset(&f, 0, sizeof(f));
	f.tag = "t2";
	f.q = "one";
	ck_assert_int_eq(ods_dset_list(db, "bob", &f, 0, 10, &v, &n, &total),
	    ODS_OK);
	ck_assert_int_eq(total, 1);
	ods_dset_list_free(v, n);
	ck_assert_int_eq(ods_dset_list(db, "alice", &f, 0, 10, &v, &n,
	    &total), ODS_OK);
	ck_assert_int_eq(total, 2);
	ods_dset_list_free(v, n);

	ck_assert_int_eq(ods_dset_delete(db, pub, "bob"), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_dset_delete(db, pub, NULL), ODS_OK);
	ck_assert_int_eq(ods_dset_list(db, "alice", &f, 0, 10, &v, &n,
	    &total), ODS_OK);
	ck_assert_int_eq(total, 1);
	ods_dset_list_free(v, n);
	f.status = "deleted";
	ck_assert_int_eq(ods_dset_list(db, "alice", &f, 0, 10, &v, &n,
	    &total), ODS_OK);
	ck_assert_int_eq(total, 1);
	ck_assert_str_eq(v[0].dataset_id, "own-pub");
	ods_dset_list_free(v, n);
	ods_dset_free(pub);
	ods_dset_free(priv);
}
END_TEST

#define THREADS	8
#define EACH	5

struct adder {
	const struct ods_dset	*d;
	int64_t			 got[EACH];
	enum ods_err		 er;
};

static void *
add_versions(void *arg)
{
	struct adder		*a = arg;
	struct ods_dsver_spec	 vs;
	struct ods_dsver	*v;
	int			 i;

	memset(&vs, 0, sizeof(vs));
	vs.storage_path = "datasets/race/x.csv";
	vs.row_count = 1;
	vs.size_bytes = 2;
	for (i = 0; i < EACH; i++) {
		v = NULL;
		if ((a->er = ods_dsver_add(db, a->d, &vs, "alice", &v)) !=
		    ODS_OK)
			return NULL;
		a->got[i] = v->number;
		ods_dsver_free(v);
	}
	return NULL;
}

START_TEST(test_concurrent_versions_get_distinct_numbers)
{
	struct adder		 a[THREADS];
	pthread_t		 th[THREADS];
	struct ods_dset		*d, *back = NULL;
	int			 seen[THREADS * EACH + 1];
	int			 i, k;

	d = make("race", "race", "alice", NULL);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < THREADS; i++) {
		memset(&a[i], 0, sizeof(a[i]));
		a[i].d = d;
		ck_assert_int_eq(pthread_create(&th[i], NULL, add_versions,
		    &a[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(a[i].er, ODS_OK);
		for (k = 0; k < EACH; k++) {
			ck_assert_int_ge(a[i].got[k], 1);
			ck_assert_int_le(a[i].got[k], THREADS * EACH);
			ck_assert_int_eq(seen[a[i].got[k]]++, 0);
		}
	}
	ck_assert_int_eq(ods_dset_get(db, "race", NULL, &back), ODS_OK);
	ck_assert_int_eq(back->version, THREADS * EACH);
	ods_dset_free(back);
	ods_dset_free(d);
}
END_TEST

START_TEST(test_uploads_complete_once_and_deleted_refuses)
{
	struct ods_dset		*d;
	struct ods_dsup		*u = NULL, *u2 = NULL;
	struct ods_dsver_spec	 vs;
	struct ods_dsver	*v = NULL;

	d = make("upl", "uploads", "alice", NULL);
	ck_assert_int_eq(ods_dsup_create(db, d, "a b.csv", "text/csv", 60,
	    "bob", &u), ODS_EFORBIDDEN);
	ck_assert_int_eq(ods_dsup_create(db, d, "a b.csv", "text/csv", 60,
	    "alice", &u), ODS_OK);
	ck_assert(strncmp(u->upload_id, "upload-", 7) == 0);
	ck_assert(strncmp(u->storage_path, "datasets/upl/upload-", 20) == 0);
	ck_assert_str_eq(u->status, "pending");
	ck_assert_int_eq(ods_dsup_get(db, "other", u->upload_id, &u2),
	    ODS_ENOTFOUND);
	ck_assert_int_eq(ods_dsup_claim(db, u), ODS_OK);
	ck_assert_int_eq(ods_dsup_claim(db, u), ODS_ECONFLICT);
	ods_dsup_reopen(db, u);
	ck_assert_int_eq(ods_dsup_claim(db, u), ODS_OK);
	ods_dsup_free(u);

	ck_assert_int_eq(ods_dset_delete(db, d, NULL), ODS_OK);
	ods_dset_free(d);
	ck_assert_int_eq(ods_dset_get(db, "upl", NULL, &d), ODS_OK);
	memset(&vs, 0, sizeof(vs));
	ck_assert_int_eq(ods_dsver_add(db, d, &vs, NULL, &v), ODS_ECONFLICT);
	ods_dset_free(d);
}
END_TEST

static Suite *
suite(void)
{
	Suite	*s = suite_create("dataset");
	TCase	*tc = tcase_create("db");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_validation_names_the_field);
	tcase_add_test(tc, test_owners_visibility_and_soft_delete);
	tcase_add_test(tc, test_concurrent_versions_get_distinct_numbers);
	tcase_add_test(tc, test_uploads_complete_once_and_deleted_refuses);
	suite_add_tcase(s, tc);
	return s;
}

static int
start(void)
{
	if ((dsn = ods_check_env("ODS_TEST_DB_DSN")) == NULL)
		return ODS_CHECK_SKIP;
	ods_check_log("check_dataset");
	if (ods_test_scratch_create(dsn, 'v', scratch, sizeof(scratch)) < 0) {
		fprintf(stderr, "check_dataset: no scratch database\n");
		return 1;
	}
	return 0;
}

static int
stop(void)
{
	return ods_test_scratch_drop(dsn, scratch) < 0;
}

const struct ods_check ods_check_program = {
	.suite = suite, .setup = start, .teardown = stop,
};
