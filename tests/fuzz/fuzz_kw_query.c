/*
 * tests/fuzz/fuzz_kw_query.c — the keyword index's query path: the
 * tokenizer (into a buffer sized by the first byte, to reach the cut at
 * a token boundary), the MATCH builder, and a search of a small index
 * (in /dev/shm when there). Aborts when the MATCH expression is anything
 * but quoted terms joined by " OR " (with " *" after a lone character),
 * or when the search fails: FTS5 must never see a syntax error.
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "vec/ods_kw.h"
#include "../vec/vec_testutil.h"
#include "fuzz.h"

static struct ods_kw	*kw;
static char		 dir[64];

static const char *const seed_docs[] = {
	"The zebra is an African equine with black and white stripes.",
	"PostgreSQL is an open source relational database system.",
	"分布式数据库系统的备份与恢复策略",
	"東京の天気は明日晴れるでしょう",
	"Ünïcödé wörds and \"quoted\" text: NEAR(a b) AND c OR d*",
};

static void
cleanup(void)
{
	ods_kw_close(kw);
	tu_rmdir(dir);
}

static void
init(void)
{
	struct ods_kw_item	it[ODS_NELEM(seed_docs)];
	size_t			i;

	fuzz_quiet();
	(void)snprintf(dir, sizeof(dir), "%s/ods-fuzz-kw.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL || ods_kw_open_writer(dir, &kw) != ODS_OK)
		abort();
	for (i = 0; i < ODS_NELEM(seed_docs); i++) {
		it[i].id = (int64_t)i + 1;
		it[i].doc_id = (int64_t)i + 1;
		it[i].kb_id = 1;
		it[i].text = seed_docs[i];
		it[i].len = strlen(seed_docs[i]);
	}
	if (ods_kw_add(kw, 1, it, ODS_NELEM(it)) != ODS_OK)
		abort();
	(void)atexit(cleanup);
}

/* "t1" OR "t2" * OR ...: nothing else, and no quote inside a term. */
static void
check_match(const char *m)
{
	const char	*p = m;
	size_t		 terms = 0;

	while (*p != '\0') {
		if (terms > 0) {
			if (strncmp(p, " OR ", 4) != 0)
				abort();
			p += 4;
		}
		if (*p++ != '"')
			abort();
		while (*p != '"' || p[1] == '"') {
			if (*p == '\0')
				abort();
			p += *p == '"' ? 2 : 1;
		}
		p++;
		if (strncmp(p, " *", 2) == 0)
			p += 2;
		terms++;
	}
	if (terms > ODS_KW_MAX_QTERMS)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ods_kw_hit	 h[8];
	const char		*q = (const char *)data + 1;
	size_t			 n, need, len;
	char			*m, *tok;

	if (kw == NULL)
		init();
	if (size < 1)
		return 0;
	len = size - 1;
	/* The token string: whole, then cut into data[0] bytes. */
	need = ods_kw_tokenize(q, len, NULL, 0);
	if (need > 3 * len || (tok = malloc(need + 1)) == NULL)
		abort();
	if (ods_kw_tokenize(q, len, tok, need + 1) != need ||
	    strlen(tok) != need)
		abort();
	free(tok);
	if ((tok = malloc(data[0] + 1)) == NULL)
		abort();
	if (ods_kw_tokenize(q, len, tok, data[0]) != need ||
	    (data[0] > 0 && strlen(tok) >= data[0]))
		abort();
	free(tok);
	if (ods_kw_match(q, len, &m) != ODS_OK)
		abort();
	check_match(m);
	free(m);
	if (ods_kw_search(kw, q, len, 8, NULL, 0, h, &n) != ODS_OK)
		abort();
	return 0;
}
