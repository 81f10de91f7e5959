/*
 * lib/core/ods_util.c — small pieces more than one layer needs: strict
 * base64url, random bytes, SHA-256 in hex (also on a thread beside the
 * caller's I/O), comma lists.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "core/ods_log.h"
#include "core/ods_mem.h"
#include "core/ods_util.h"

static int
b64url_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

enum ods_err
ods_b64url_decode(const char *s, size_t n, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*o;
	uint32_t	 acc = 0;
	size_t		 i, k = 0;
	int		 v, bits = 0;

	*out = NULL;
	if (n % 4 == 1)
		return ODS_EINVAL;
	o = malloc(n / 4 * 3 + 3);
	if (o == NULL)
		return ODS_ENOMEM;
	for (i = 0; i < n; i++) {
		if ((v = b64url_val((unsigned char)s[i])) < 0) {
			free(o);
			return ODS_EINVAL;
		}
		acc = acc << 6 | (uint32_t)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	/* Leftover bits must be zero (one canonical encoding). */
	if ((acc & ((1u << bits) - 1)) != 0) {
		free(o);
		return ODS_EINVAL;
	}
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return ODS_OK;
}

char *
ods_b64url_encode(const unsigned char *p, size_t n)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	char			*o = ods_xmalloc(n / 3 * 4 + 5);
	uint32_t		 acc = 0;
	size_t			 i, k = 0;
	int			 bits = 0;

	for (i = 0; i < n; i++) {
		acc = acc << 8 | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			o[k++] = tab[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		o[k++] = tab[(acc << (6 - bits)) & 63];
	o[k] = '\0';
	return o;
}

void
ods_random(void *p, size_t n)
{
	unsigned char	*c = p;
	ssize_t		 got;

	while (n > 0) {
		got = getrandom(c, n, 0);
		if (got < 0) {
			/* The kernel has no entropy source: nothing safe. */
			ods_log(ODS_LOG_ERR | ODS_LOG_ERRNO, "getrandom");
			abort();
		}
		c += got;
		n -= (size_t)got;
	}
}

void
ods_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char	md[SHA256_DIGEST_LENGTH];

	SHA256(p, n, md);
	ods_hex(md, sizeof(md), out);
}

void
ods_hex(const void *p, size_t n, char *out)
{
	static const char	 d[] = "0123456789abcdef";
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
ods_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
ods_unhex(const char *s, size_t n, unsigned char *out, size_t size)
{
	size_t	i;
	int	hi, lo;

	if (n % 2 != 0 || n / 2 > size)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if ((hi = ods_hexval(s[2 * i])) < 0 ||
		    (lo = ods_hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

/* An EVP context: the SHA256_* calls are deprecated in OpenSSL 3. */
struct ods_sha256 *
ods_sha256_new(void)
{
	EVP_MD_CTX	*c;

	if ((c = EVP_MD_CTX_new()) == NULL)
		return NULL;
	if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(c);
		return NULL;
	}
	return (struct ods_sha256 *)c;
}

void
ods_sha256_update(struct ods_sha256 *h, const void *p, size_t n)
{
	EVP_DigestUpdate((EVP_MD_CTX *)h, p, n);
}

void
ods_sha256_final(struct ods_sha256 *h, char out[65])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	len = 0;

	EVP_DigestFinal_ex((EVP_MD_CTX *)h, md, &len);
	ods_hex(md, len, out);
}

void
ods_sha256_free(struct ods_sha256 *h)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)h);
}

/* ---- SHA-256 on a thread beside the caller ---- */

struct ods_sha256_pipe {
	struct ods_sha256	 *h;
	char			**bufs;
	size_t			 *lens;
	size_t			  bufsize;
	unsigned		  nbufs;
	uint64_t		  pushed;	/* buffers handed over */
	uint64_t		  hashed;	/* buffers done */
	int			  started;	/* the thread runs */
	int			  closing;	/* no more pushes */
	pthread_t		  tid;
	pthread_mutex_t		  mu;
	pthread_cond_t		  cv;
};

static void *
pipe_main(void *arg)
{
	struct ods_sha256_pipe	*p = arg;
	unsigned		 i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->hashed == p->pushed && !p->closing)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->hashed == p->pushed)
			break;
		i = (unsigned)(p->hashed % p->nbufs);
		pthread_mutex_unlock(&p->mu);
		ods_sha256_update(p->h, p->bufs[i], p->lens[i]);
		pthread_mutex_lock(&p->mu);
		p->hashed++;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct ods_sha256_pipe *
ods_sha256_pipe_new(size_t bufsize, unsigned nbufs)
{
	struct ods_sha256_pipe	*p;
	unsigned		 i;

	if (bufsize == 0 || nbufs < 2 || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->bufsize = bufsize;
	p->nbufs = nbufs;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->h = ods_sha256_new();
	p->bufs = calloc(nbufs, sizeof(*p->bufs));
	p->lens = calloc(nbufs, sizeof(*p->lens));
	if (p->h == NULL || p->bufs == NULL || p->lens == NULL)
		goto fail;
	for (i = 0; i < nbufs; i++)
		if ((p->bufs[i] = malloc(bufsize)) == NULL)
			goto fail;
	return p;
fail:
	ods_sha256_pipe_free(p);
	return NULL;
}

char *
ods_sha256_pipe_buf(struct ods_sha256_pipe *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->pushed - p->hashed >= p->nbufs)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return p->bufs[p->pushed % p->nbufs];
}

void
ods_sha256_pipe_push(struct ods_sha256_pipe *p, size_t n)
{
	unsigned	i = (unsigned)(p->pushed % p->nbufs);

	p->lens[i] = n < p->bufsize ? n : p->bufsize;
	if (!p->started && p->pushed > 0 &&
	    pthread_create(&p->tid, NULL, pipe_main, p) == 0)
		p->started = 1;
	if (!p->started) {
		/* The first buffer, or no thread: hash here. */
		ods_sha256_update(p->h, p->bufs[i], p->lens[i]);
		p->pushed++;
		p->hashed++;
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->pushed++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void
pipe_stop(struct ods_sha256_pipe *p)
{
	if (!p->started)
		return;
	pthread_mutex_lock(&p->mu);
	p->closing = 1;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);
	p->started = 0;
}

void
ods_sha256_pipe_final(struct ods_sha256_pipe *p, char out[65])
{
	pipe_stop(p);
	ods_sha256_final(p->h, out);
}

void
ods_sha256_pipe_free(struct ods_sha256_pipe *p)
{
	unsigned	i;

	if (p == NULL)
		return;
	pipe_stop(p);
	for (i = 0; p->bufs != NULL && i < p->nbufs; i++)
		free(p->bufs[i]);
	free(p->bufs);
	free(p->lens);
	ods_sha256_free(p->h);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

void
ods_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[32])
{
	unsigned int	len = 32;

	if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &len) ==
	    NULL)
		abort();	/* libcrypto cannot fail here but for OOM */
}

size_t
ods_strsplit(const char *s, char ***out)
{
	const char	*p = s, *e, *b;
	char		**v = NULL;
	size_t		 n = 0;

	while (*p != '\0') {
		e = p + strcspn(p, ",");
		b = p;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e > b) {
			v = ods_xrealloc(v, (n + 1) * sizeof(*v));
			v[n++] = ods_xstrndup(b, (size_t)(e - b));
		}
		p += strcspn(p, ",");
		if (*p == ',')
			p++;
	}
	*out = v;
	return n;
}

void
ods_strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

char *
ods_url_redact(const char *url)
{
	const char	*host, *at, *rest;
	char		*out;
	size_t		 pre, n;

	host = strstr(url, "://");
	host = host != NULL ? host + 3 : url;
	/* The last '@' before the path: a raw '?' or '#' in a password
	 * must not end the authority early and show the rest of it. */
	at = memrchr(host, '@', strcspn(host, "/"));
	rest = at != NULL ? at + 1 : host;
	pre = (size_t)(host - url);
	n = strcspn(rest, "?#");
	out = ods_xmalloc(pre + n + 1);
	memcpy(out, url, pre);
	memcpy(out + pre, rest, n);
	out[pre + n] = '\0';
	return out;
}

size_t
ods_utf8_len(const void *p, size_t n)
{
	const unsigned char	*s = p;
	size_t			 len, i;
	unsigned int		 cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}
