/*
 * lib/text/ods_text.c — which format a file is, and the extraction entry
 * points: the textual formats (plain, Markdown, CSV, JSON) are decoded
 * here, the structured ones handed to their own file (HTML, DOCX, PDF).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "core/ods_log.h"
#include "text/ods_text.h"
#include "text/ods_text_int.h"

static const char *const names[] = {
	[ODS_TEXT_UNKNOWN] = "unknown",
	[ODS_TEXT_PLAIN] = "text",
	[ODS_TEXT_MARKDOWN] = "markdown",
	[ODS_TEXT_HTML] = "html",
	[ODS_TEXT_PDF] = "pdf",
	[ODS_TEXT_DOCX] = "docx",
	[ODS_TEXT_CSV] = "csv",
	[ODS_TEXT_JSON] = "json",
};

static const struct {
	const char		*ext;
	enum ods_text_format	 fmt;
} exts[] = {
	{ "txt", ODS_TEXT_PLAIN }, { "text", ODS_TEXT_PLAIN },
	{ "log", ODS_TEXT_PLAIN },
	{ "md", ODS_TEXT_MARKDOWN }, { "markdown", ODS_TEXT_MARKDOWN },
	{ "mdown", ODS_TEXT_MARKDOWN }, { "mkd", ODS_TEXT_MARKDOWN },
	{ "html", ODS_TEXT_HTML }, { "htm", ODS_TEXT_HTML },
	{ "xhtml", ODS_TEXT_HTML },
	{ "pdf", ODS_TEXT_PDF },
	{ "docx", ODS_TEXT_DOCX },
	{ "csv", ODS_TEXT_CSV }, { "tsv", ODS_TEXT_CSV },
	{ "json", ODS_TEXT_JSON }, { "jsonl", ODS_TEXT_JSON },
	{ "ndjson", ODS_TEXT_JSON },
};

static const struct {
	const char		*type;
	enum ods_text_format	 fmt;
} types[] = {
	{ "text/plain", ODS_TEXT_PLAIN },
	{ "text/markdown", ODS_TEXT_MARKDOWN },
	{ "text/x-markdown", ODS_TEXT_MARKDOWN },
	{ "text/html", ODS_TEXT_HTML },
	{ "application/xhtml+xml", ODS_TEXT_HTML },
	{ "application/pdf", ODS_TEXT_PDF },
	{ "application/vnd.openxmlformats-officedocument."
	  "wordprocessingml.document", ODS_TEXT_DOCX },
	{ "text/csv", ODS_TEXT_CSV },
	{ "text/tab-separated-values", ODS_TEXT_CSV },
	{ "application/json", ODS_TEXT_JSON },
	{ "text/json", ODS_TEXT_JSON },
	{ "application/x-ndjson", ODS_TEXT_JSON },
};

const char *
ods_text_format_name(enum ods_text_format f)
{
	if ((int)f < 0 || (size_t)f >= ODS_NELEM(names))
		return names[ODS_TEXT_UNKNOWN];
	return names[f];
}

static enum ods_text_format
by_name(const char *name)
{
	const char	*dot, *slash;
	size_t		 i;

	if (name == NULL)
		return ODS_TEXT_UNKNOWN;
	dot = strrchr(name, '.');
	slash = strrchr(name, '/');
	if (dot == NULL || (slash != NULL && slash > dot))
		return ODS_TEXT_UNKNOWN;
	for (i = 0; i < ODS_NELEM(exts); i++)
		if (strcasecmp(dot + 1, exts[i].ext) == 0)
			return exts[i].fmt;
	return ODS_TEXT_UNKNOWN;
}

static enum ods_text_format
by_type(const char *ct)
{
	size_t	i, n;

	if (ct == NULL)
		return ODS_TEXT_UNKNOWN;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	n = strcspn(ct, "; \t");
	for (i = 0; i < ODS_NELEM(types); i++)
		if (strlen(types[i].type) == n &&
		    strncasecmp(ct, types[i].type, n) == 0)
			return types[i].fmt;
	return ODS_TEXT_UNKNOWN;
}

/* Does p[0..n) contain s (n small: the head of a file)? */
static int
has(const unsigned char *p, size_t n, const char *s)
{
	size_t	k = strlen(s);

	return k <= n && memmem(p, n, s, k) != NULL;
}

static int
starts_ci(const unsigned char *p, size_t n, const char *s)
{
	size_t	k = strlen(s);

	return n >= k && strncasecmp((const char *)p, s, k) == 0;
}

static enum ods_text_format
by_magic(const unsigned char *p, size_t n)
{
	size_t	i;

	if (p == NULL || n == 0)
		return ODS_TEXT_UNKNOWN;
	/* Readers accept %PDF- anywhere in the first kilobyte. */
	if (has(p, n < 1024 ? n : 1024, "%PDF-"))
		return ODS_TEXT_PDF;
	if (n >= 4 && memcmp(p, "PK\3\4", 4) == 0)
		return has(p, n, "word/") ? ODS_TEXT_DOCX : ODS_TEXT_UNKNOWN;
	i = n >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	if (starts_ci(p + i, n - i, "<html") ||
	    starts_ci(p + i, n - i, "<!doctype html"))
		return ODS_TEXT_HTML;
	/* Text with no name and no type: a BOM, or UTF-8 that is not binary. */
	if ((n >= 2 && (memcmp(p, "\xff\xfe", 2) == 0 ||
	    memcmp(p, "\xfe\xff", 2) == 0)) || i == 3)
		return ODS_TEXT_PLAIN;
	/* The head may end inside a sequence: judge all but its last 3. */
	if (memchr(p, '\0', n) == NULL &&
	    odsi_utf8_valid((const char *)p, n > 3 ? n - 3 : n))
		return ODS_TEXT_PLAIN;
	return ODS_TEXT_UNKNOWN;
}

enum ods_text_format
ods_text_detect(const char *file_name, const char *content_type,
    const void *head, size_t headlen)
{
	enum ods_text_format	f;

	if ((f = by_name(file_name)) != ODS_TEXT_UNKNOWN)
		return f;
	if ((f = by_type(content_type)) != ODS_TEXT_UNKNOWN)
		return f;
	return by_magic(head, headlen);
}

void
ods_text_result_fini(struct ods_text_result *res)
{
	if (res == NULL)
		return;
	free(res->text);
	res->text = NULL;
	res->len = 0;
}

/* The whole file into *buf (malloc'ed), at most ODS_TEXT_MAX_IN bytes. */
static enum ods_err
slurp(const char *path, char **buf, size_t *len, struct ods_why *why)
{
	struct stat	 st;
	char		*b = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	enum ods_err	 er = ODS_OK;
	int		 fd;

	*buf = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "text_open path=%s", path);
		ods_why_set(why, NULL, "the file cannot be opened");
		return ODS_EIO;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		ods_why_set(why, NULL, "not a regular file");
		er = ODS_EIO;
		goto out;
	}
	if ((uintmax_t)st.st_size > ODS_TEXT_MAX_IN) {
		ods_why_set(why, NULL, "the file is over %u bytes",
		    ODS_TEXT_MAX_IN);
		er = ODS_ETOOBIG;
		goto out;
	}
	if ((b = malloc((size_t)st.st_size + 1)) == NULL) {
		er = ODS_ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size) {
		r = read(fd, b + n, (size_t)st.st_size - n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			ods_log(ODS_LOG_WARN | ODS_LOG_ERRNO, "text_read path=%s", path);
			ods_why_set(why, NULL, "the file cannot be read");
			er = ODS_EIO;
			goto out;
		}
		n += (size_t)r;
	}
	*buf = b;
	*len = n;
	b = NULL;
out:
	free(b);
	close(fd);
	return er;
}

static enum ods_err
extract(const char *path, const void *buf, size_t len,
    enum ods_text_format fmt, size_t max_out, struct ods_text_result *res,
    struct ods_why *why)
{
	struct odsi_text_out	 o;
	char			*file = NULL;
	enum ods_err		 er;

	memset(res, 0, sizeof(*res));
	if (fmt <= ODS_TEXT_UNKNOWN || fmt > ODS_TEXT_JSON) {
		ods_why_set(why, NULL, "not a format text can be read from");
		return ODS_EUNSUPPORTED;
	}
	odsi_text_out_init(&o, max_out == 0 ? ODS_TEXT_DEFAULT_MAX_OUT :
	    max_out);
	if (fmt == ODS_TEXT_PDF) {
		snprintf(res->charset, sizeof(res->charset), "UTF-8");
		er = odsi_text_pdf(&o, path, buf, len, &res->pages,
		    &res->truncated, why);
	} else if (fmt == ODS_TEXT_DOCX) {
		snprintf(res->charset, sizeof(res->charset), "UTF-8");
		er = odsi_text_docx(&o, path, buf, len, why);
	} else {
		if (path != NULL) {
			if ((er = slurp(path, &file, &len, why)) != ODS_OK)
				goto out;
			buf = file;
		} else if (len > ODS_TEXT_MAX_IN) {
			ods_why_set(why, NULL, "the file is over %u bytes",
			    ODS_TEXT_MAX_IN);
			er = ODS_ETOOBIG;
			goto out;
		}
		if (fmt == ODS_TEXT_HTML)
			er = odsi_text_html(&o, buf, len, res->charset, why);
		else
			er = odsi_text_decode(&o, buf, len, NULL, res->charset,
			    why);
	}
out:
	free(file);
	if (er == ODS_OK) {
		int	truncated = res->truncated;

		er = odsi_text_out_take(&o, res);
		res->truncated |= truncated;
	}
	odsi_text_out_fini(&o);
	if (er != ODS_OK) {
		res->text = NULL;
		res->len = 0;
	}
	return er;
}

enum ods_err
ods_text_extract_file_why(const char *path, enum ods_text_format fmt,
    size_t max_out, struct ods_text_result *res, struct ods_why *why)
{
	if (path == NULL) {
		memset(res, 0, sizeof(*res));
		return ODS_EINVAL;
	}
	return extract(path, NULL, 0, fmt, max_out, res, why);
}

enum ods_err
ods_text_extract_mem_why(const void *buf, size_t len,
    enum ods_text_format fmt, size_t max_out, struct ods_text_result *res,
    struct ods_why *why)
{
	if (buf == NULL && len > 0) {
		memset(res, 0, sizeof(*res));
		return ODS_EINVAL;
	}
	return extract(NULL, buf != NULL ? buf : "", len, fmt, max_out, res,
	    why);
}

enum ods_err
ods_text_extract_file(const char *path, enum ods_text_format fmt,
    size_t max_out, struct ods_text_result *res)
{
	return ods_text_extract_file_why(path, fmt, max_out, res, NULL);
}

enum ods_err
ods_text_extract_mem(const void *buf, size_t len, enum ods_text_format fmt,
    size_t max_out, struct ods_text_result *res)
{
	return ods_text_extract_mem_why(buf, len, fmt, max_out, res, NULL);
}
