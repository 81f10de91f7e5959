/*
 * lib/core/ods_secret.c — AES-256-GCM sealing under ODS_SECRET_KEY with
 * previous keys, and env:/file: references (ods_secret.h). libcrypto's
 * objects live and die in this file.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "core/ods_err.h"
#include "core/ods_mem.h"
#include "core/ods_secret.h"
#include "core/ods_util.h"

#define KID_LEN		4
#define NONCE_LEN	12
#define TAG_LEN		16
#define HDR_LEN		(KID_LEN + NONCE_LEN + TAG_LEN)
#define PREFIX		"v1:"
#define PREFIX_LEN	3

struct key {
	unsigned char	 k[ODS_SECRET_KEY_BYTES];
	unsigned char	 kid[KID_LEN];
};

struct ods_secret {
	int		 has_current;
	size_t		 nkeys;			/* keys[0] is current if set */
	struct key	 keys[1 + ODS_SECRET_MAX_PREVIOUS];
};

/* Standard or URL-safe base64, padding optional: decoded bytes or -1. */
static long
b64_decode(const char *s, size_t n, unsigned char *out, size_t outmax)
{
	unsigned	 acc = 0;
	size_t		 i, bits = 0, o = 0;
	int		 v, c;

	while (n > 0 && s[n - 1] == '=')
		n--;
	for (i = 0; i < n; i++) {
		c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+' || c == '-')
			v = 62;
		else if (c == '/' || c == '_')
			v = 63;
		else
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero padding of less than a byte. */
	if (bits >= 6 || acc != 0)
		return -1;
	return (long)o;
}

static char *
b64_encode(const unsigned char *p, size_t n)
{
	char	*out;
	int	 len;

	out = ods_xmalloc(4 * ((n + 2) / 3) + 1);
	len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	out[len] = '\0';
	return out;
}

static int
key_parse(const char *s, size_t n, struct key *k)
{
	unsigned char	d[SHA256_DIGEST_LENGTH];

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	if (n == 2 * ODS_SECRET_KEY_BYTES) {
		if (ods_unhex(s, n, k->k, sizeof(k->k)) !=
		    ODS_SECRET_KEY_BYTES)
			return -1;
	} else if (b64_decode(s, n, k->k, sizeof(k->k)) !=
	    ODS_SECRET_KEY_BYTES)
		return -1;
	SHA256(k->k, sizeof(k->k), d);
	memcpy(k->kid, d, KID_LEN);
	OPENSSL_cleanse(d, sizeof(d));
	return 0;
}

enum ods_err
ods_secret_new(const char *key, const char *previous, struct ods_secret **out,
    struct ods_why *why)
{
	struct ods_secret	*s;
	const char		*p, *comma;
	size_t			 n;

	*out = NULL;
	s = ods_xcalloc(1, sizeof(*s));
	if (key != NULL && *key != '\0') {
		if (key_parse(key, strlen(key), &s->keys[0]) != 0) {
			ods_why_set(why, "ODS_SECRET_KEY", "must be 32 bytes "
			    "as 64 hex digits or base64");
			ods_secret_free(s);
			return ODS_EINVAL;
		}
		s->has_current = 1;
		s->nkeys = 1;
	} else
		s->nkeys = 1;	/* slot 0 stays unused */
	for (p = previous; p != NULL && *p != '\0'; p = comma + 1) {
		comma = strchr(p, ',');
		n = comma == NULL ? strlen(p) : (size_t)(comma - p);
		if (n > 0) {
			if (s->nkeys == 1 + ODS_SECRET_MAX_PREVIOUS ||
			    key_parse(p, n, &s->keys[s->nkeys]) != 0) {
				ods_why_set(why, "ODS_SECRET_KEY_PREVIOUS",
				    "must be at most %d comma-separated keys "
				    "of 32 bytes (hex or base64)",
				    ODS_SECRET_MAX_PREVIOUS);
				ods_secret_free(s);
				return ODS_EINVAL;
			}
			s->nkeys++;
		}
		if (comma == NULL)
			break;
	}
	*out = s;
	return ODS_OK;
}

void
ods_secret_free(struct ods_secret *s)
{
	if (s == NULL)
		return;
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}

int
ods_secret_has_key(const struct ods_secret *s)
{
	return s != NULL && s->has_current;
}

int
ods_secret_is_sealed(const char *v)
{
	return v != NULL && strncmp(v, PREFIX, PREFIX_LEN) == 0;
}

/* AAD: the version prefix and the kid. */
static int
gcm(int enc, const struct key *k, const unsigned char *nonce,
    const unsigned char *in, size_t n, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX	*c;
	unsigned char	 aad[PREFIX_LEN + KID_LEN];
	int		 len, ok = 0;

	memcpy(aad, PREFIX, PREFIX_LEN);
	memcpy(aad + PREFIX_LEN, k->kid, KID_LEN);
	if ((c = EVP_CIPHER_CTX_new()) == NULL)
		return -1;
	if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) !=
	    1 || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN,
	    NULL) != 1 || EVP_CipherInit_ex(c, NULL, NULL, k->k, nonce, enc) !=
	    1 || EVP_CipherUpdate(c, NULL, &len, aad, sizeof(aad)) != 1)
		goto out;
	if (n > 0 && EVP_CipherUpdate(c, out, &len, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &len) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN,
	    tag) != 1)
		goto out;
	ok = 1;
out:
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

enum ods_err
ods_secret_seal(const struct ods_secret *s, const void *plain, size_t len,
    char **out)
{
	unsigned char	*buf;
	const struct key *k;

	*out = NULL;
	if (!ods_secret_has_key(s) || len > ODS_SECRET_PLAIN_MAX)
		return ODS_EINVAL;
	k = &s->keys[0];
	buf = ods_xmalloc(HDR_LEN + len + 16);
	memcpy(buf, k->kid, KID_LEN);
	if (RAND_bytes(buf + KID_LEN, NONCE_LEN) != 1 ||
	    gcm(1, k, buf + KID_LEN, plain, len, buf + HDR_LEN,
	    buf + KID_LEN + NONCE_LEN) != 0) {
		free(buf);
		return ODS_EINTERNAL;
	}
	{
		char	*b = b64_encode(buf, HDR_LEN + len);
		size_t	 bl = strlen(b);

		*out = ods_xmalloc(PREFIX_LEN + bl + 1);
		memcpy(*out, PREFIX, PREFIX_LEN);
		memcpy(*out + PREFIX_LEN, b, bl + 1);
		free(b);
	}
	OPENSSL_cleanse(buf, HDR_LEN + len);
	free(buf);
	return ODS_OK;
}

enum ods_err
ods_secret_open(const struct ods_secret *s, const char *v, char **out,
    int *stale)
{
	unsigned char	*buf = NULL;
	char		*plain;
	enum ods_err	 er = ODS_ENOTFOUND;
	size_t		 i, vlen, max;
	long		 n;

	*out = NULL;
	if (stale != NULL)
		*stale = 0;
	if (!ods_secret_is_sealed(v))
		return ODS_EINVAL;
	v += PREFIX_LEN;
	vlen = strlen(v);
	if (vlen > 4 * ((HDR_LEN + ODS_SECRET_PLAIN_MAX + 2) / 3))
		return ODS_EINVAL;
	max = vlen * 3 / 4 + 3;
	buf = ods_xmalloc(max);
	n = b64_decode(v, vlen, buf, max);
	if (n < HDR_LEN) {
		free(buf);
		return ODS_EINVAL;
	}
	for (i = s == NULL ? 0 : (s->has_current ? 0 : 1);
	    s != NULL && i < s->nkeys; i++) {
		if (memcmp(s->keys[i].kid, buf, KID_LEN) != 0)
			continue;
		plain = ods_xmalloc((size_t)n - HDR_LEN + 16 + 1);
		if (gcm(0, &s->keys[i], buf + KID_LEN, buf + HDR_LEN,
		    (size_t)n - HDR_LEN, (unsigned char *)plain,
		    buf + KID_LEN + NONCE_LEN) != 0) {
			/* Not a string (no NUL): wipe the whole buffer. */
			OPENSSL_cleanse(plain, (size_t)n - HDR_LEN + 16 + 1);
			free(plain);
			er = ODS_ECORRUPT;
			continue;
		}
		plain[n - HDR_LEN] = '\0';
		*out = plain;
		if (stale != NULL)
			*stale = i != 0;
		er = ODS_OK;
		break;
	}
	free(buf);
	return er;
}

int
ods_secret_ref_valid(const char *v)
{
	size_t	i;

	if (v == NULL)
		return 0;
	if (strncmp(v, "env:", 4) == 0) {
		v += 4;
		if (*v == '\0' || (*v >= '0' && *v <= '9'))
			return 0;
		for (i = 0; v[i] != '\0'; i++)
			if (!(v[i] == '_' || (v[i] >= 'A' && v[i] <= 'Z') ||
			    (v[i] >= 'a' && v[i] <= 'z') ||
			    (v[i] >= '0' && v[i] <= '9')) || i >= 128)
				return 0;
		return 1;
	}
	if (strncmp(v, "file:/", 6) == 0)
		return strlen(v) < 4096 && strchr(v, '\n') == NULL;
	return 0;
}

static enum ods_err
read_file(const char *path, char **out)
{
	char		*buf;
	ssize_t		 got;
	size_t		 n = 0;
	int		 fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		return e == ENOENT || e == ENOTDIR ? ODS_ENOTFOUND :
		    ODS_EFORBIDDEN;
	}
	buf = ods_xmalloc(ODS_SECRET_PLAIN_MAX + 2);
	while (n < ODS_SECRET_PLAIN_MAX + 1) {
		got = read(fd, buf + n, ODS_SECRET_PLAIN_MAX + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	/* The first line: a trailing newline is the file's, not the key's. */
	n = strcspn(buf, "\r\n");
	if (n > ODS_SECRET_PLAIN_MAX) {
		ods_secret_clear(buf);
		return ODS_ETOOBIG;
	}
	buf[n] = '\0';
	*out = buf;
	return ODS_OK;
}

enum ods_err
ods_secret_ref_read(const char *v, char **out)
{
	const char	*e;

	*out = NULL;
	if (!ods_secret_ref_valid(v))
		return ODS_EINVAL;
	if (strncmp(v, "env:", 4) == 0) {
		if ((e = getenv(v + 4)) == NULL)
			return ODS_ENOTFOUND;
		if (strlen(e) > ODS_SECRET_PLAIN_MAX)
			return ODS_ETOOBIG;
		*out = ods_xstrdup(e);
		return ODS_OK;
	}
	return read_file(v + 5, out);
}

void
ods_secret_clear(char *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, strlen(p));
	free(p);
}
