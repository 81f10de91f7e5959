/*
 * tests/llm/fake_upstream.h — a scripted HTTP/1.1 server on a thread, for
 * the unit tests of ods_http and ods_llm (no Node needed). One connection
 * at a time; keep-alive for answers with a length, close after streams.
 */
#ifndef FAKE_UPSTREAM_H
#define FAKE_UPSTREAM_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FAKE_PIECES	16

struct fake_script {
	int		 status;
	const char	*ctype;
	const char	*pieces[FAKE_PIECES];	/* body, written one by one */
	int		 npieces;
	int		 stream;		/* no length; close at the end */
	int		 first_delay_ms;	/* before the status line */
	int		 piece_delay_ms;
	int		 reset_after;		/* >0: close after n pieces */
};

struct fake_upstream {
	int			 lfd;
	int			 port;
	pthread_t		 tid;
	pthread_mutex_t		 mu;
	struct fake_script	 script;
	int			 connections;
	int			 requests;
	int			 peer_closed;	/* a write failed: client left */
	char			 last_body[8192];
};

static inline void
fake_sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	if (ms > 0)
		nanosleep(&ts, NULL);
}

/* Read one request; returns 0 at EOF or error. */
static inline int
fake_read_request(struct fake_upstream *f, int fd)
{
	char	buf[16384], *end, *cl;
	size_t	len = 0, want;
	ssize_t	n;

	for (;;) {
		if (len >= sizeof(buf) - 1)
			return 0;
		if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return 0;
		len += (size_t)n;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
	}
	want = (size_t)(end + 4 - buf);
	if ((cl = strcasestr(buf, "Content-Length:")) != NULL && cl < end)
		want += strtoul(cl + 15, NULL, 10);
	while (len < want && len < sizeof(buf) - 1) {
		if ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) <= 0)
			return 0;
		len += (size_t)n;
	}
	buf[len] = '\0';
	pthread_mutex_lock(&f->mu);
	f->requests++;
	snprintf(f->last_body, sizeof(f->last_body), "%s", end + 4);
	pthread_mutex_unlock(&f->mu);
	return 1;
}

static inline int
fake_write(struct fake_upstream *f, int fd, const char *s, size_t n)
{
	if (send(fd, s, n, MSG_NOSIGNAL) != (ssize_t)n) {
		pthread_mutex_lock(&f->mu);
		f->peer_closed = 1;
		pthread_mutex_unlock(&f->mu);
		return -1;
	}
	return 0;
}

/* Answer one request; returns 1 to keep the connection. */
static inline int
fake_answer(struct fake_upstream *f, int fd)
{
	struct fake_script	s;
	char			head[512];
	size_t			total = 0;
	int			i, n;

	pthread_mutex_lock(&f->mu);
	s = f->script;
	pthread_mutex_unlock(&f->mu);
	for (i = 0; i < s.npieces; i++)
		total += strlen(s.pieces[i]);
	fake_sleep_ms(s.first_delay_ms);
	if (s.stream)
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
		    "%s\r\nConnection: close\r\n\r\n", s.status, s.ctype);
	else
		n = snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
		    "%s\r\nContent-Length: %zu\r\n\r\n", s.status, s.ctype,
		    total);
	if (fake_write(f, fd, head, (size_t)n) < 0)
		return 0;
	for (i = 0; i < s.npieces; i++) {
		if (s.reset_after > 0 && i == s.reset_after)
			return 0;
		if (i > 0)
			fake_sleep_ms(s.piece_delay_ms);
		if (fake_write(f, fd, s.pieces[i], strlen(s.pieces[i])) < 0)
			return 0;
	}
	return !s.stream;
}

static inline void *
fake_main(void *arg)
{
	struct fake_upstream	*f = arg;
	int			 fd;

	while ((fd = accept(f->lfd, NULL, NULL)) >= 0) {
		pthread_mutex_lock(&f->mu);
		f->connections++;
		pthread_mutex_unlock(&f->mu);
		while (fake_read_request(f, fd) && fake_answer(f, fd))
			;
		close(fd);
	}
	return NULL;
}

static inline void
fake_start(struct fake_upstream *f)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof(sa);
	int			one = 1;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(f->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(f->lfd, 16) < 0 ||
	    getsockname(f->lfd, (struct sockaddr *)&sa, &len) < 0)
		abort();
	f->port = ntohs(sa.sin_port);
	f->script.status = 200;
	f->script.ctype = "application/json";
	pthread_create(&f->tid, NULL, fake_main, f);
}

static inline void
fake_set(struct fake_upstream *f, const struct fake_script *s)
{
	pthread_mutex_lock(&f->mu);
	f->script = *s;
	pthread_mutex_unlock(&f->mu);
}

static inline void
fake_stop(struct fake_upstream *f)
{
	shutdown(f->lfd, SHUT_RDWR);
	close(f->lfd);
	pthread_join(f->tid, NULL);
}

#endif /* FAKE_UPSTREAM_H */
