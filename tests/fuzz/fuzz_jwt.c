/*
 * tests/fuzz/fuzz_jwt.c — ods_auth_verify with HS256 keys: the header and
 * claims parsing around the signature check. Bit 0 of the first byte
 * picks the form of the rest: a raw token, or "header\nclaims" (two JSON
 * texts) made into a token here, MACed with the configured key when bit
 * 1 is set, so that the claims checks after the signature are reached.
 */
#include "config.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ods.h"
#include "fuzz.h"

#define HS_KEY	"fuzz-hs256-secret-0123456789abcdef0123"

static struct ods_conf	*conf;
static struct ods_auth	*auth;

static void
set(const char *name, const char *value)
{
	if (ods_conf_set(conf, name, value, NULL) != ODS_OK)
		abort();
}

static void
init(void)
{
	fuzz_quiet();
	conf = ods_conf_new();
	set("JWT_ISSUERS", "https://kc.example/realms/ods");
	set("JWT_ALLOWED_AUDIENCES", "web-frontend,data-api");
	set("JWT_SECRET_KEY", HS_KEY);
	set("JWT_PREVIOUS_KEYS", "fuzz-previous-secret-0123456789abcdef");
	set("ODS_RATE_LIMIT_ENABLED", "false");
	set("ODS_AUDIT_DB", "false");
	if ((auth = ods_auth_new(conf, NULL, NULL)) == NULL)
		abort();
}

/* "b64(header).b64(claims).sig" from "header\nclaims" (malloc). */
static char *
make_token(const char *in, size_t len, int sign)
{
	const char	*nl;
	char		*h, *c, *tok, *sig;
	unsigned char	 mac[EVP_MAX_MD_SIZE];
	unsigned int	 maclen = 0;
	size_t		 hl, n;

	if ((nl = memchr(in, '\n', len)) == NULL)
		nl = in + len;
	hl = (size_t)(nl - in);
	h = ods_b64url_encode((const unsigned char *)in, hl);
	c = ods_b64url_encode((const unsigned char *)nl + (hl < len),
	    len - hl - (hl < len));
	n = strlen(h) + strlen(c) + 2;
	tok = ods_xmalloc(n + 64);
	(void)snprintf(tok, n, "%s.%s", h, c);
	if (sign)
		(void)HMAC(EVP_sha256(), HS_KEY, (int)strlen(HS_KEY),
		    (const unsigned char *)tok, n - 1, mac, &maclen);
	else {
		memset(mac, 'x', 32);
		maclen = 32;
	}
	sig = ods_b64url_encode(mac, maclen);
	(void)snprintf(tok + n - 1, 64, ".%s", sig);
	free(sig);
	free(c);
	free(h);
	return tok;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct ods_principal	*p;
	struct ods_arena		*arena;
	const char			*reason;
	char				*tok;

	if (auth == NULL)
		init();
	if (size < 1)
		return 0;
	if (data[0] & 1)
		tok = make_token((const char *)data + 1, size - 1,
		    data[0] & 2);
	else
		tok = fuzz_str(data + 1, size - 1);
	arena = ods_arena_new(4096);
	p = NULL;
	reason = NULL;
	if (ods_auth_verify(auth, tok, arena, &p, &reason) == ODS_OK &&
	    p != NULL)
		(void)ods_auth_allows(p, "dataset:read");
	ods_arena_free(arena);
	free(tok);
	return 0;
}
