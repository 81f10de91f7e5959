/*
 * tests/bench/http/f0.c — F0, the FastCGI "hop floor": the least a libfcgi
 * responder can do.  A parent opens a unix socket and preforks PROCS
 * processes of THREADS threads each, every thread looping on
 * FCGX_Accept_r and answering a fixed JSON body the size of the pools'
 * liveness answer.  No routing, no parsing, no logging: whatever our
 * liveness route costs above this is ours.
 *
 * usage: f0 SOCKET PROCS THREADS
 * Built by tests/bench/http/run.sh with: cc -O2 f0.c -lfcgi -lpthread
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <fcgiapp.h>

#define F0_MAX		256

static const char	 reply[] = "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n\r\n"
    "{\"code\":0,\"message\":\"alive\",\"request_id\":"
    "\"00000000000000000000000000000000\",\"data\":{\"status\":\"alive\","
    "\"service\":\"f0\",\"pid\":1}}";

static int		 listen_fd;
static volatile sig_atomic_t stop;

static void *
serve(void *arg)
{
	FCGX_Request	 rq;

	(void)arg;
	if (FCGX_InitRequest(&rq, listen_fd, 0) != 0)
		errx(1, "FCGX_InitRequest");
	while (FCGX_Accept_r(&rq) >= 0) {
		FCGX_PutStr(reply, sizeof(reply) - 1, rq.out);
		FCGX_Finish_r(&rq);
	}
	return NULL;
}

static void
child(int threads)
{
	pthread_t	 tid[F0_MAX];
	int		 i;

	for (i = 1; i < threads; i++)
		if (pthread_create(&tid[i], NULL, serve, NULL) != 0)
			errx(1, "pthread_create");
	serve(NULL);
	_exit(0);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int
arg_int(const char *s, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > F0_MAX)
		errx(2, "%s must be 1..%d", what, F0_MAX);
	return (int)v;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	pid_t		 kids[F0_MAX];
	int		 procs, threads, i;

	if (argc != 4)
		errx(2, "usage: f0 SOCKET PROCS THREADS");
	procs = arg_int(argv[2], "PROCS");
	threads = arg_int(argv[3], "THREADS");
	if (FCGX_Init() != 0)
		errx(1, "FCGX_Init");
	(void)unlink(argv[1]);
	if ((listen_fd = FCGX_OpenSocket(argv[1], 1024)) < 0)
		errx(1, "cannot listen on %s", argv[1]);
	if (chmod(argv[1], 0666) == -1)
		err(1, "chmod %s", argv[1]);
	for (i = 0; i < procs; i++) {
		if ((kids[i] = fork()) == -1)
			err(1, "fork");
		if (kids[i] == 0)
			child(threads);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stop)
		pause();
	for (i = 0; i < procs; i++)
		kill(kids[i], SIGKILL);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	(void)unlink(argv[1]);
	return 0;
}
