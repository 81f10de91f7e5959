/* lib/core/ods_log.c — JSON-lines logging on stderr, escaped and redacted. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/ods_log.h"
#include "core/ods_util.h"

#define LINE_MAX_BYTES	4096	/* one write(2): lines stay whole under load */
#define MSG_MAX_BYTES	2048

int			 ods_log_min = ODS_LOG_INFO;
static const char	*service = "ods";
static _Thread_local char reqid[65];

static const char *const level_names[] = { "debug", "info", "warn", "error" };

/* Field keys whose values are never written. */
static const char *const secret_keys[] = {
	"password", "passwd", "secret", "token", "authorization", "api_key",
	"apikey", "dsn", "cookie", "jwt", "key"
};

void
ods_log_init(const char *name, int min_level)
{
	if (name != NULL)
		service = name;
	if (min_level >= ODS_LOG_DEBUG && min_level <= ODS_LOG_ERR)
		ods_log_min = min_level;
}

int
ods_log_level_parse(const char *s)
{
	size_t	i;

	for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(s, "warning") == 0)
		return ODS_LOG_WARN;
	if (strcasecmp(s, "err") == 0)
		return ODS_LOG_ERR;
	return -1;
}

void
ods_log_set_request_id(const char *id)
{
	if (id == NULL) {
		reqid[0] = '\0';
		return;
	}
	snprintf(reqid, sizeof(reqid), "%s", id);
}

const char *
ods_log_request_id(void)
{
	return reqid;
}

size_t
ods_log_escape(char *dst, size_t dstsz, const char *src, size_t srclen)
{
	const unsigned char	*s = (const unsigned char *)src;
	char			 esc[8];
	const char		*piece;
	size_t			 o = 0, i = 0, plen, ulen;

	if (dstsz == 0)
		return 0;
	while (i < srclen) {
		ulen = 1;
		piece = esc;
		if (s[i] == '"' || s[i] == '\\') {
			esc[0] = '\\', esc[1] = (char)s[i], plen = 2;
		} else if (s[i] == '\n') {
			memcpy(esc, "\\n", 2), plen = 2;
		} else if (s[i] == '\r') {
			memcpy(esc, "\\r", 2), plen = 2;
		} else if (s[i] == '\t') {
			memcpy(esc, "\\t", 2), plen = 2;
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			plen = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[i]);
		} else if ((ulen = ods_utf8_len(s + i, srclen - i)) == 0) {
			ulen = 1;
			piece = "\\ufffd", plen = 6;
		} else {
			piece = (const char *)s + i, plen = ulen;
		}
		if (o + plen >= dstsz)
			break;
		memcpy(dst + o, piece, plen);
		o += plen;
		i += ulen;
	}
	dst[o] = '\0';
	return o;
}

static int
is_secret_key(const char *k, size_t n)
{
	size_t	i, kl;

	for (i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++) {
		kl = strlen(secret_keys[i]);
		/* "db_password", "access_token", "x_api_key" all match. */
		if (n >= kl && strncasecmp(k + n - kl, secret_keys[i], kl) == 0)
			return 1;
	}
	return 0;
}

/* If s starts a "key=" token, return the key length, else 0. */
static size_t
key_at(const char *s)
{
	size_t	n = 0;

	while (isalnum((unsigned char)s[n]) || s[n] == '_' || s[n] == '.')
		n++;
	return (n > 0 && s[n] == '=') ? n : 0;
}

/* Append "text" (escaped) to the line; returns the new offset. */
static size_t
put_esc(char *line, size_t o, const char *s, size_t n)
{
	/* Room is kept for the closing quote, "}}" and the newline. */
	if (o + 16 >= LINE_MAX_BYTES)
		return o;
	line[o++] = '"';
	o += ods_log_escape(line + o, LINE_MAX_BYTES - o - 8, s, n);
	line[o++] = '"';
	return o;
}

static size_t
put_raw(char *line, size_t o, const char *s)
{
	size_t	n = strlen(s);

	if (o + n >= LINE_MAX_BYTES - 8)
		return o;
	memcpy(line + o, s, n);
	return o + n;
}

/* Split "event k=v k2=v v" into msg and fields, written into line. */
static size_t
put_msg_fields(char *line, size_t o, const char *msg)
{
	const char	*p, *v, *end;
	size_t		 kl, nfields = 0;

	/* msg: everything up to the first " key=". */
	for (p = msg; *p != '\0'; p++)
		if (*p == ' ' && key_at(p + 1) > 0)
			break;
	o = put_raw(line, o, ",\"msg\":");
	o = put_esc(line, o, msg, (size_t)(p - msg));

	while (*p == ' ' && (kl = key_at(p + 1)) > 0) {
		p++;
		v = p + kl + 1;
		for (end = v; *end != '\0'; end++)
			if (*end == ' ' && key_at(end + 1) > 0)
				break;
		o = put_raw(line, o, nfields++ == 0 ? ",\"fields\":{" : ",");
		o = put_esc(line, o, p, kl);
		o = put_raw(line, o, ":");
		if (is_secret_key(p, kl))
			o = put_esc(line, o, "[redacted]", 10);
		else
			o = put_esc(line, o, v, (size_t)(end - v));
		p = end;
	}
	if (nfields > 0)
		o = put_raw(line, o, "}");
	return o;
}

void
ods_log_emit(int lvl, const char *func, const char *fmt, ...)
{
	char		 line[LINE_MAX_BYTES], msg[MSG_MAX_BYTES], ts[40];
	struct timespec	 now;
	struct tm	 tm;
	va_list		 ap;
	size_t		 o;
	int		 saved = errno, level = lvl & ODS_LOG_LEVELMASK, n;
	ssize_t		 w;

	if (level > ODS_LOG_ERR)
		level = ODS_LOG_ERR;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	n = snprintf(line, sizeof(line),
	    "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"pid\":%ld,"
	    "\"service\":\"%s\"", ts, now.tv_nsec / 1000000L,
	    level_names[level], (long)getpid(), service);
	o = (size_t)n;
	if (reqid[0] != '\0') {
		o = put_raw(line, o, ",\"request_id\":");
		o = put_esc(line, o, reqid, strlen(reqid));
	}
	o = put_raw(line, o, ",\"func\":");
	o = put_esc(line, o, func, strlen(func));
	o = put_msg_fields(line, o, msg);
	if (lvl & ODS_LOG_ERRNO) {
		o = put_raw(line, o, ",\"errno\":");
		o = put_esc(line, o, strerror(saved), strlen(strerror(saved)));
	}
	line[o++] = '}';
	line[o++] = '\n';
	do {
		w = write(STDERR_FILENO, line, o);
	} while (w < 0 && errno == EINTR);
	errno = saved;
}
