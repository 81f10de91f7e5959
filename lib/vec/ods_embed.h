/*
 * lib/vec/ods_embed.h — the built-in embedding model "ods-hash-embed-<dim>".
 *
 * Used when no embedding server is configured. It is LEXICAL, not
 * semantic: texts that share words, word pairs and character trigrams
 * score high; synonyms and paraphrases with other words do not. Features:
 * lowercased word unigrams (weight 1.0) and bigrams (0.5), character
 * trigrams of each word with boundary marks (0.25), and for CJK runs
 * character bigrams (1.0) and unigrams (0.4). Each feature is hashed
 * (64-bit, own mix function) to one of dim buckets with a sign from
 * another hash bit; weights are sublinear, w * (1 + ln tf); the result is
 * L2-normalised. Deterministic across runs, machines and locales; any
 * byte sequence is accepted (invalid UTF-8 bytes act as separators).
 * Term frequencies are counted in windows of at most 16384 distinct
 * features, which only long texts (~20 kB and more) reach.
 *
 * Thread-safe: no global state.
 */
#ifndef ODS_EMBED_H
#define ODS_EMBED_H

#include <stddef.h>
#include <stdint.h>

#include "core/ods_err.h"

#define ODS_EMBED_FAMILY	"ods-hash-embed"
#define ODS_EMBED_VERSION	"1.0.0"
#define ODS_EMBED_DIM_DEFAULT	384
#define ODS_EMBED_DIM_MIN	8
#define ODS_EMBED_DIM_MAX	4096
#define ODS_EMBED_MAX_TEXT	(1024 * 1024)	/* bytes per input */

/*
 * Write the model name for dim ("ods-hash-embed-384") into buf.
 * Returns ODS_OK, ODS_EINVAL (dim out of range), ODS_ETOOBIG (buf short).
 */
enum ods_err	 ods_embed_model_name(uint32_t dim, char *buf, size_t len)
		    ODS_MUSTCHECK;

/*
 * Parse a model name: "ods-hash-embed" (the default dim) or
 * "ods-hash-embed-<dim>". Returns ODS_OK or ODS_EINVAL.
 */
enum ods_err	 ods_embed_parse_model(const char *name, uint32_t *dim)
		    ODS_MUSTCHECK;

/*
 * Embed text[0..len) (not NUL-terminated, any bytes) into out[dim].
 * *ntokens (may be NULL) receives the number of words plus CJK
 * characters. Text without any token gives the zero vector (ods_vec
 * refuses it under cosine: skip such chunks). Returns ODS_OK, ODS_EINVAL
 * (dim out of range, text NULL with len > 0), ODS_ETOOBIG (len over
 * ODS_EMBED_MAX_TEXT).
 */
enum ods_err	 ods_embed(const char *text, size_t len, uint32_t dim,
		    float *out, size_t *ntokens) ODS_MUSTCHECK;

#endif /* ODS_EMBED_H */
