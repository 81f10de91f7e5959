/* lib/core/ods_log.h — one JSON object per line on stderr. */
#ifndef ODS_LOG_H
#define ODS_LOG_H

#include <stddef.h>

enum ods_log_level {
	ODS_LOG_DEBUG = 0,
	ODS_LOG_INFO,
	ODS_LOG_WARN,
	ODS_LOG_ERR
};
#define ODS_LOG_ERRNO	0x100	/* or'ed into the level: append strerror(errno) */
#define ODS_LOG_LEVELMASK 0xff

extern int	ods_log_min;	/* lowest level written; set by ods_log_init */

/*
 * ods_log(level, fmt, ...): formats nothing below the current level.
 * Convention: fmt is "event key=value key=value"; the first word becomes
 * "msg" and each key=value becomes a string in "fields". Values that come
 * from outside are escaped; keys that look like secrets (password, secret,
 * token, authorization, api_key, dsn, cookie) are written as "[redacted]".
 */
#define ods_log(lvl, ...) do {						\
	if (((lvl) & ODS_LOG_LEVELMASK) >= ods_log_min)			\
		ods_log_emit((lvl), __func__, __VA_ARGS__);		\
} while (0)

void	 ods_log_emit(int, const char *func, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Service name written in every line ("data-api"); the pointer is kept. */
void	 ods_log_init(const char *service, int min_level);

/* Parse "debug|info|warn|error"; returns -1 for anything else. */
int	 ods_log_level_parse(const char *);

/*
 * The request id of the calling thread, included in its lines; the string
 * is copied (at most 64 bytes). NULL clears it.
 */
void	 ods_log_set_request_id(const char *);
const char *ods_log_request_id(void);

/*
 * Write src (srclen bytes, not NUL-terminated) into dst as the inside of a
 * JSON string: quotes, backslashes and control bytes escaped, invalid UTF-8
 * replaced by U+FFFD. Always NUL-terminates when dstsz > 0 and never splits
 * an escape. Returns the bytes written, excluding the NUL.
 */
size_t	 ods_log_escape(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif /* ODS_LOG_H */
