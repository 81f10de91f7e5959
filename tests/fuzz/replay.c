/*
 * tests/fuzz/replay.c — main() for a fuzz target built without libFuzzer:
 * runs LLVMFuzzerTestOneInput once over every file of a corpus, so that
 * make check replays the seeds (under ASan/UBSan with --enable-asan).
 *
 *	fuzz_X [dir|file ...]
 *
 * Without arguments the corpus is $ODS_FUZZ_CORPUS, else
 * $top_srcdir/tests/fuzz/corpus/X (X from the program's name).
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static int
run_file(const char *path)
{
	struct stat	 st;
	uint8_t		*buf;
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL || fstat(fileno(f), &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	/* One byte more than needed: malloc(0) may return NULL. */
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return -1;
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (n != (size_t)st.st_size) {
		fprintf(stderr, "replay: %s: short read\n", path);
		free(buf);
		return -1;
	}
	/* An exact-size copy, so ASan sees reads past the end. */
	if (n > 0) {
		uint8_t	*exact = malloc(n);

		if (exact == NULL)
			abort();
		memcpy(exact, buf, n);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	} else
		LLVMFuzzerTestOneInput(buf, 0);
	free(buf);
	return 0;
}

static int
namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir, in name order; returns the files run or -1. */
static int
run_dir(const char *dir)
{
	struct dirent	 *e;
	char		**names = NULL, path[PATH_MAX];
	size_t		  n = 0, cap = 0, i;
	int		  ran = 0;
	DIR		 *d;

	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			if ((names = realloc(names, cap * sizeof(*names))) ==
			    NULL)
				abort();
		}
		if ((names[n++] = strdup(e->d_name)) == NULL)
			abort();
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof(*names), namecmp);
	for (i = 0; i < n; i++) {
		(void)snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if (ran >= 0 && run_file(path) == 0)
			ran++;
		else
			ran = -1;
		free(names[i]);
	}
	free(names);
	return ran;
}

static int
run_path(const char *path)
{
	struct stat	st;
	int		n;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return run_dir(path);
	if ((n = run_file(path)) == 0)
		n = 1;
	return n;
}

int
main(int argc, char *argv[])
{
	const char	*name, *env, *top;
	char		 dir[PATH_MAX];
	int		 i, n, total = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			if ((n = run_path(argv[i])) == -1)
				return 1;
			total += n;
		}
	} else {
		if ((env = getenv("ODS_FUZZ_CORPUS")) != NULL)
			(void)snprintf(dir, sizeof(dir), "%s", env);
		else {
			name = strrchr(argv[0], '/');
			name = name != NULL ? name + 1 : argv[0];
			if (strncmp(name, "fuzz_", 5) == 0)
				name += 5;
			if ((top = getenv("top_srcdir")) == NULL)
				top = ".";
			(void)snprintf(dir, sizeof(dir),
			    "%s/tests/fuzz/corpus/%s", top, name);
		}
		if ((total = run_path(dir)) == -1)
			return 1;
	}
	if (total == 0) {
		fprintf(stderr, "replay: empty corpus\n");
		return 1;
	}
	printf("replay: %d inputs\n", total);
	return 0;
}
