/*
 * tests/auth/fixture.h — the JWT fixture of the ods_auth tests: keys made
 * at test time and a JWKS/token server on loopback (tests/auth/
 * jwt-fixture.js under Node), plus tokens minted by it.
 */
#ifndef ODS_TEST_AUTH_FIXTURE_H
#define ODS_TEST_AUTH_FIXTURE_H

#include <check.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char	fx_dir[64];		/* keys, JWKS files, port file */
static char	fx_js[512];		/* jwt-fixture.js */
static int	fx_port;
static pid_t	fx_pid;

static inline int
fx_sh(const char *fmt, ...)
{
	char	cmd[4096];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

/* Publish the JWKS of set: names are key names, "enc:k" an enc key. */
static inline void
fx_jwks(const char *set, const char *names)
{
	ck_assert_int_eq(fx_sh("node '%s' jwks '%s' '%s/%s.jwks.json' %s",
	    fx_js, fx_dir, fx_dir, set, names), 0);
}

/* Make the certs endpoint of set answer status (0: serve the file). */
static inline void
fx_status(const char *set, int status)
{
	if (status == 0)
		ck_assert_int_eq(fx_sh("rm -f '%s/%s.status'", fx_dir, set), 0);
	else
		ck_assert_int_eq(fx_sh("echo %d > '%s/%s.status'", status,
		    fx_dir, set), 0);
}

/* HTTP fetches of set's certs so far, as the fixture counted them. */
static inline int
fx_count(const char *set)
{
	char	 cmd[256], buf[128];
	FILE	*fp;
	int	 n = -1;

	snprintf(cmd, sizeof(cmd), "curl -sf http://127.0.0.1:%d/count/%s",
	    fx_port, set);
	if ((fp = popen(cmd, "r")) == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), fp) != NULL)
		sscanf(buf, "{\"certs\":%d}", &n);
	pclose(fp);
	return n;
}

/* A token from `jwt-fixture.js mint ARGS` (malloc'ed). */
static inline char *
fx_mint(const char *fmt, ...)
{
	char	 args[4096], cmd[5120], *tok;
	FILE	*fp;
	size_t	 n;
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	snprintf(cmd, sizeof(cmd), "node '%s' mint %s", fx_js, args);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	tok = calloc(1, 16384);
	ck_assert_ptr_nonnull(fgets(tok, 16384, fp));
	ck_assert_int_eq(pclose(fp), 0);
	n = strlen(tok);
	if (n > 0 && tok[n - 1] == '\n')
		tok[n - 1] = '\0';
	return tok;
}

/* Start the fixture; returns -1 when Node is not there. */
static inline int
fx_start(const char *srcdir)
{
	char	portfile[128];
	FILE	*fp;
	int	i;

	snprintf(fx_js, sizeof(fx_js), "%s/tests/auth/jwt-fixture.js",
	    srcdir);
	if (system("node --version >/dev/null 2>&1") != 0)
		return -1;
	snprintf(fx_dir, sizeof(fx_dir), "/tmp/ods-auth-test.XXXXXX");
	if (mkdtemp(fx_dir) == NULL)
		return -1;
	if (fx_sh("node '%s' keygen %s k1 && node '%s' keygen %s k2 && "
	    "node '%s' keygen %s k3 1024", fx_js, fx_dir, fx_js, fx_dir,
	    fx_js, fx_dir) != 0)
		return -1;
	snprintf(portfile, sizeof(portfile), "%s/port", fx_dir);
	if ((fx_pid = fork()) == 0) {
		/* The server dies with the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execlp("node", "node", fx_js, "serve", fx_dir, portfile,
		    (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 200 && fx_port == 0; i++) {
		usleep(25000);
		if ((fp = fopen(portfile, "r")) != NULL) {
			if (fscanf(fp, "%d", &fx_port) != 1)
				fx_port = 0;
			fclose(fp);
		}
	}
	return fx_port > 0 ? 0 : -1;
}

static inline void
fx_stop(void)
{
	if (fx_pid > 0) {
		kill(fx_pid, SIGTERM);
		waitpid(fx_pid, NULL, 0);
	}
	if (fx_dir[0] != '\0')
		fx_sh("rm -rf '%s'", fx_dir);
}

#endif /* ODS_TEST_AUTH_FIXTURE_H */
