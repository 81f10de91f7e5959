/*
 * lib/core/ods_secret.h — secrets at rest: AES-256-GCM under
 * ODS_SECRET_KEY, with previous keys for rotation (like JWT_PREVIOUS_KEYS),
 * and references to secrets kept elsewhere ("env:NAME", "file:/path").
 *
 * A key is 32 bytes written as 64 hex digits or as base64 (44 characters,
 * standard or URL alphabet); generate one with `openssl rand -base64 32`.
 * A sealed value is text:
 *
 *	"v1:" base64( kid[4] | nonce[12] | tag[16] | ciphertext )
 *
 * kid is the first 4 bytes of SHA-256(key), so a value names the key that
 * sealed it; "v1:" and kid are authenticated as additional data. Values
 * are sealed with the current key and opened with whichever key their kid
 * names; one sealed with a previous key opens with *stale set, so the
 * caller can seal it again under the current key.
 *
 * Thread-safe: a struct ods_secret is read-only once made. Plaintext
 * buffers are wiped before they are freed (ods_secret_clear).
 */
#ifndef ODS_SECRET_H
#define ODS_SECRET_H

#include <stddef.h>

#include "core/ods_err.h"

struct ods_secret;
struct ods_why;

#define ODS_SECRET_KEY_BYTES	32
#define ODS_SECRET_MAX_PREVIOUS	4
#define ODS_SECRET_PLAIN_MAX	4096	/* bytes sealed or read from a file */

/*
 * Keys from their text: key (NULL or "": none, then only references can
 * be used) and previous (NULL, "" or a comma-separated list of at most
 * ODS_SECRET_MAX_PREVIOUS). Returns ODS_OK with *out (free with
 * ods_secret_free), ODS_EINVAL naming the bad variable in why (never the
 * key), ODS_ENOMEM.
 */
enum ods_err	 ods_secret_new(const char *key, const char *previous,
		    struct ods_secret **out, struct ods_why *) ODS_MUSTCHECK;
void		 ods_secret_free(struct ods_secret *);	/* NULL: no-op */
/* Whether a current key is set (sealing is possible). */
int		 ods_secret_has_key(const struct ods_secret *);

/*
 * Seal len bytes: *out is a new NUL-terminated "v1:..." string (free(3)).
 * ODS_EINVAL without a current key or past ODS_SECRET_PLAIN_MAX.
 */
enum ods_err	 ods_secret_seal(const struct ods_secret *, const void *,
		    size_t len, char **out) ODS_MUSTCHECK;
/*
 * Open a sealed value: *out is a new NUL-terminated plaintext (free with
 * ods_secret_clear), *stale (may be NULL) 1 when a previous key opened
 * it. ODS_EINVAL: not a sealed value; ODS_ENOTFOUND: no key of ours has
 * its kid; ODS_ECORRUPT: the value was altered (or the kid collides).
 */
enum ods_err	 ods_secret_open(const struct ods_secret *, const char *,
		    char **out, int *stale) ODS_MUSTCHECK;
/* Whether s looks like a sealed value ("v1:"). */
int		 ods_secret_is_sealed(const char *);

/*
 * References: "env:NAME" (an environment variable of the worker) or
 * "file:/absolute/path" (its first line, at most ODS_SECRET_PLAIN_MAX
 * bytes, the line end trimmed). ods_secret_ref_valid checks the form
 * only. ods_secret_ref_read returns the secret in *out (free with
 * ods_secret_clear): ODS_EINVAL not a reference, ODS_ENOTFOUND the
 * variable or file does not exist, ODS_EFORBIDDEN unreadable, ODS_ETOOBIG.
 */
int		 ods_secret_ref_valid(const char *);
enum ods_err	 ods_secret_ref_read(const char *, char **out) ODS_MUSTCHECK;

/* Wipe and free a plaintext returned above. NULL is a no-op. */
void		 ods_secret_clear(char *);

#endif /* ODS_SECRET_H */
