/*
 * fcgi/odsctl/c_kb.c — `odsctl kb list|reindex`: the knowledge bases and
 * a rebuild of this machine's indexes from MariaDB (svc/agent/rag.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ods.h"
#include "../../svc/agent/kb.h"
#include "../../svc/agent/rag.h"
#include "c_kb.h"

#define EXIT_USAGE	2

static int
list(struct ods_db *db)
{
	struct ods_kb	*v = NULL;
	size_t		 n = 0, i;
	int64_t		 total = 0;
	enum ods_err	 er;

	if ((er = ods_kb_list(db, NULL, 0, ODS_KB_LIST_MAX, &v, &n,
	    &total)) != ODS_OK) {
		fprintf(stderr, "odsctl: kb list: %s\n", ods_strerror(er));
		return EXIT_FAILURE;
	}
	printf("%-16s %-32s %-24s %9s %9s\n", "ID", "COLLECTION", "MODEL",
	    "DOCUMENTS", "CHUNKS");
	for (i = 0; i < n; i++)
		printf("%-16s %-32s %-24s %9lld %9lld\n", v[i].kb_id,
		    v[i].collection, v[i].embedding_model,
		    (long long)v[i].document_count,
		    (long long)v[i].chunk_count);
	ods_kb_list_free(v, n);
	return EXIT_SUCCESS;
}

static int
reindex_one(struct ods_rag *rg, const struct ods_kb *kb)
{
	enum ods_err	er;
	size_t		n = 0;

	er = ods_rag_reindex(rg, kb, &n);
	if (er == ODS_ECONFLICT) {
		fprintf(stderr, "odsctl: %s: an agent process of this machine "
		    "is the writer of its indexes; stop the agent pool (or let "
		    "it catch up by itself)\n", kb->kb_id);
		return EXIT_FAILURE;
	}
	if (er != ODS_OK) {
		fprintf(stderr, "odsctl: %s: reindex failed: %s\n", kb->kb_id,
		    ods_strerror(er));
		return EXIT_FAILURE;
	}
	printf("%s: %zu chunks\n", kb->kb_id, n);
	return EXIT_SUCCESS;
}

static int
reindex(const struct ods_conf *conf, struct ods_db *db, const char *id)
{
	struct ods_llm	*llm = ods_llm_new(conf);
	struct ods_rag	*rg;
	struct ods_kb	*kb = NULL, *v = NULL;
	char		 root[4096];
	size_t		 n = 0, i;
	int64_t		 total = 0;
	enum ods_err	 er;
	int		 rc = EXIT_SUCCESS;

	snprintf(root, sizeof(root), "%s/index", conf->data_dir);
	rg = ods_rag_new(root, db, llm);
	if (strcmp(id, "--all") == 0) {
		if ((er = ods_kb_list(db, NULL, 0, ODS_KB_LIST_MAX, &v, &n,
		    &total)) != ODS_OK) {
			fprintf(stderr, "odsctl: kb list: %s\n",
			    ods_strerror(er));
			rc = EXIT_FAILURE;
		}
		for (i = 0; i < n; i++)
			if (reindex_one(rg, &v[i]) != EXIT_SUCCESS)
				rc = EXIT_FAILURE;
		ods_kb_list_free(v, n);
	} else if ((er = ods_kb_get(db, id, NULL, &kb)) != ODS_OK) {
		fprintf(stderr, "odsctl: %s: %s\n", id, er == ODS_ENOTFOUND ?
		    "no such knowledge base" : ods_strerror(er));
		rc = EXIT_FAILURE;
	} else
		rc = reindex_one(rg, kb);
	ods_kb_free(kb);
	ods_rag_free(rg);
	ods_llm_free(llm);
	return rc;
}

int
c_kb(const struct ods_conf *conf, int argc, char *argv[])
{
	struct ods_db	*db;
	int		 rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		db = ods_db_new(conf, 1);
		rc = list(db);
	} else if (argc == 3 && strcmp(argv[1], "reindex") == 0) {
		db = ods_db_new(conf, 2);
		rc = reindex(conf, db, argv[2]);
	} else
		return EXIT_USAGE;
	ods_db_free(db);
	return rc;
}
