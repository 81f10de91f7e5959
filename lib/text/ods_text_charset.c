/*
 * lib/text/ods_text_charset.c — bytes of unknown charset to UTF-8: a BOM
 * decides, else valid UTF-8 passes as it is, else uchardet guesses the
 * charset (GB18030, Big5, Shift-JIS, windows-1252, ...) and iconv
 * converts. uchardet and iconv stay in this file.
 */
#include "config.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uchardet/uchardet.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "text/ods_text_int.h"

/* Bytes uchardet looks at: enough to tell, bounded for large files. */
#define SNIFF_BYTES	(256u << 10)
/* Bytes looked at to tell text from binary. */
#define BINARY_SAMPLE	(64u << 10)

static const struct {
	const char	*bom;
	size_t		 len;
	const char	*charset;
} boms[] = {
	/* UTF-32LE before UTF-16LE: its BOM starts with UTF-16LE's. */
	{ "\xff\xfe\x00\x00", 4, "UTF-32LE" },
	{ "\x00\x00\xfe\xff", 4, "UTF-32BE" },
	{ "\xef\xbb\xbf", 3, "UTF-8" },
	{ "\xff\xfe", 2, "UTF-16LE" },
	{ "\xfe\xff", 2, "UTF-16BE" },
};

/*
 * Binary, not text: more than one byte in 16 of the sample is a control
 * character that no text file holds (NUL and the C0 codes other than
 * tab, line feed, vertical tab, form feed, carriage return and escape).
 */
static int
is_binary(const unsigned char *p, size_t n)
{
	size_t	i, bad = 0;

	if (n > BINARY_SAMPLE)
		n = BINARY_SAMPLE;
	for (i = 0; i < n; i++)
		if ((p[i] < 0x20 && !(p[i] >= '\t' && p[i] <= '\r') &&
		    p[i] != 0x1b) || p[i] == 0x7f)
			bad++;
	return bad * 16 > n;
}

/* Convert with iconv, one U+FFFD for each byte it cannot read. */
static enum ods_err
convert(struct odsi_text_out *o, iconv_t cd, const char *in, size_t len)
{
	char		 buf[16384], *ip = (char *)(uintptr_t)in, *op;
	size_t		 il = len, ol, r;
	enum ods_err	 er;
	int		 e;

	while (!o->full) {
		op = buf;
		ol = sizeof(buf);
		r = il > 0 ? iconv(cd, &ip, &il, &op, &ol) :
		    iconv(cd, NULL, NULL, &op, &ol);
		e = r == (size_t)-1 ? errno : 0;
		if ((er = odsi_text_put(o, buf, (size_t)(op - buf))) != ODS_OK)
			return er;
		if (e == EILSEQ || e == EINVAL) {
			if ((er = odsi_text_put(o, "\xef\xbf\xbd", 3)) !=
			    ODS_OK)
				return er;
			/* EINVAL: an incomplete sequence at the end. */
			if (e == EINVAL) {
				il = 0;
				continue;
			}
			ip++;
			il--;
		} else if (e == 0 && il == 0)
			break;
		else if (e != 0 && e != E2BIG)
			return ODS_EINTERNAL;
	}
	return ODS_OK;
}

static enum ods_err
convert_from(struct odsi_text_out *o, const char *charset, const char *in,
    size_t len)
{
	iconv_t		cd;
	enum ods_err	er;

	if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1) {
		ods_log(ODS_LOG_WARN, "text_iconv_open from=%s", charset);
		return ODS_EINVAL;
	}
	er = convert(o, cd, in, len);
	iconv_close(cd);
	return er;
}

/* uchardet's guess for in[0..len), "" when it has none. */
static enum ods_err
guess(const char *in, size_t len, char charset[32])
{
	uchardet_t	 ud;
	const char	*cs;

	if ((ud = uchardet_new()) == NULL)
		return ODS_ENOMEM;
	if (uchardet_handle_data(ud, in, len > SNIFF_BYTES ? SNIFF_BYTES :
	    len) != 0) {
		uchardet_delete(ud);
		return ODS_ENOMEM;
	}
	uchardet_data_end(ud);
	cs = uchardet_get_charset(ud);
	snprintf(charset, 32, "%s", cs != NULL ? cs : "");
	uchardet_delete(ud);
	return ODS_OK;
}

/*
 * Mostly UTF-8: at most one invalid sequence for 8 valid multi-byte
 * ones. Text in a legacy
 * charset is far from it (a Latin-1 letter is one high byte between
 * ASCII ones, never valid), UTF-8 with a few damaged bytes well inside.
 */
static int
mostly_utf8(const char *s, size_t n)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i = 0, k, good = 0, bad = 0;

	while (i < n) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = odsi_utf8_seq(p + i, n - i)) == 0) {
			bad++;
			k = odsi_utf8_bad(p + i, n - i);
		} else
			good++;
		i += k;
	}
	return bad * 8 <= good;
}

enum ods_err
odsi_text_decode(struct odsi_text_out *o, const char *in, size_t len,
    const char *hint, char charset[32], struct ods_why *why)
{
	size_t		i;
	enum ods_err	er;
	iconv_t		cd;

	for (i = 0; i < ODS_NELEM(boms); i++) {
		if (len < boms[i].len || memcmp(in, boms[i].bom,
		    boms[i].len) != 0)
			continue;
		snprintf(charset, 32, "%s", boms[i].charset);
		in += boms[i].len;
		len -= boms[i].len;
		if (strcmp(charset, "UTF-8") == 0)
			return odsi_text_put(o, in, len);
		return convert_from(o, charset, in, len);
	}
	if (is_binary((const unsigned char *)in, len)) {
		ods_why_set(why, NULL, "the file is binary, not text");
		return ODS_EUNSUPPORTED;
	}
	if (odsi_utf8_valid(in, len)) {
		snprintf(charset, 32, "UTF-8");
		return odsi_text_put_valid(o, in, len);
	}
	if (mostly_utf8(in, len)) {
		/* A few bad bytes in UTF-8 text: replaced, not refused. */
		snprintf(charset, 32, "UTF-8");
		return odsi_text_put(o, in, len);
	}
	if (hint != NULL && (cd = iconv_open("UTF-8", hint)) != (iconv_t)-1) {
		snprintf(charset, 32, "%s", hint);
		er = convert(o, cd, in, len);
		iconv_close(cd);
		return er;
	}
	if ((er = guess(in, len, charset)) != ODS_OK)
		return er;
	if (charset[0] == '\0' || strcmp(charset, "ASCII") == 0 ||
	    strcmp(charset, "UTF-8") == 0) {
		ods_why_set(why, NULL, "the text's charset could not be told");
		return ODS_EINVAL;
	}
	if ((er = convert_from(o, charset, in, len)) == ODS_EINVAL)
		ods_why_set(why, NULL, "the text's charset %s cannot be read",
		    charset);
	return er;
}
