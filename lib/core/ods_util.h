/*
 * lib/core/ods_util.h — small pieces more than one layer needs: strict
 * base64url (RFC 4648 §5, no padding), random bytes from the kernel,
 * hex, SHA-256 in hex, comma-separated lists, and URLs fit to show.
 */
#ifndef ODS_UTIL_H
#define ODS_UTIL_H

#include <stddef.h>

#include "core/ods_err.h"

/*
 * Strict base64url: no padding, no white space, zero leftover bits (one
 * canonical encoding). *out is malloc'ed and NUL-terminated. ODS_EINVAL
 * on anything else.
 */
enum ods_err	 ods_b64url_decode(const char *, size_t, unsigned char **out,
		    size_t *outlen) ODS_MUSTCHECK;
char		*ods_b64url_encode(const unsigned char *, size_t);

/* Random bytes from getrandom(2); aborts when the kernel has none. */
void		 ods_random(void *, size_t);

/* SHA-256 of the bytes as 64 lower-case hex digits and a NUL. */
void		 ods_sha256_hex(const void *, size_t, char out[65]);
/* n bytes as 2n lower-case hex digits and a NUL (out: 2n + 1 bytes). */
void		 ods_hex(const void *, size_t n, char *out);
/* The value of one hex digit (either case), or -1. */
int		 ods_hexval(int c);
/*
 * The length of the valid UTF-8 sequence at p (n bytes left): 1 to 4, or
 * 0 when it is not one (overlong forms, surrogates, past U+10FFFF).
 */
size_t		 ods_utf8_len(const void *p, size_t n);
/* n hex digits into at most size bytes; the byte count, or -1. */
long		 ods_unhex(const char *, size_t n, unsigned char *out,
		    size_t size) ODS_MUSTCHECK;

/*
 * SHA-256 over bytes that arrive in pieces (a streamed upload). _new
 * returns NULL when out of memory; _final writes the hex digest and may be
 * called once; _free accepts NULL.
 */
struct ods_sha256;
struct ods_sha256 *ods_sha256_new(void);
void		 ods_sha256_update(struct ods_sha256 *, const void *, size_t);
void		 ods_sha256_final(struct ods_sha256 *, char out[65]);
void		 ods_sha256_free(struct ods_sha256 *);

/*
 * SHA-256 on a thread of its own, beside the caller's I/O, so that a large
 * transfer takes the longer of its copying and its hashing, not the sum.
 * The caller is lent nbufs buffers of bufsize bytes in turn: _buf returns
 * the next one (waiting until the hasher is done with it), the caller
 * fills it, and _push hands its first n (<= bufsize) bytes to the hasher;
 * after the push the caller may still read that buffer (write it out) but
 * must not change it. The first push is hashed on the caller's thread
 * (small objects start no thread); a thread that cannot start means
 * hashing inline. _final waits for the hasher and writes the hex digest
 * (once); _free (NULL is a no-op) also stops an unfinished hasher. _new:
 * NULL when out of memory.
 */
struct ods_sha256_pipe;
struct ods_sha256_pipe *ods_sha256_pipe_new(size_t bufsize, unsigned nbufs);
char		*ods_sha256_pipe_buf(struct ods_sha256_pipe *);
void		 ods_sha256_pipe_push(struct ods_sha256_pipe *, size_t n);
void		 ods_sha256_pipe_final(struct ods_sha256_pipe *, char out[65]);
void		 ods_sha256_pipe_free(struct ods_sha256_pipe *);

/* HMAC-SHA256 of msg under key: 32 raw bytes into out. */
void		 ods_hmac_sha256(const void *key, size_t keylen,
		    const void *msg, size_t msglen, unsigned char out[32]);

/*
 * Split a comma list into trimmed, non-empty strings (ods_x* allocated).
 * Returns the count; free with ods_strv_free.
 */
size_t		 ods_strsplit(const char *, char ***out);
void		 ods_strv_free(char **, size_t);

/*
 * A copy of url fit for a report or a log line: credentials (user:pass@)
 * and anything from '?' or '#' on are left out. Owner: caller (free(3));
 * never NULL (ods_x* allocated).
 */
char		*ods_url_redact(const char *url);

#endif /* ODS_UTIL_H */
