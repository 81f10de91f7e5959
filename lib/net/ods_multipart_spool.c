/*
 * lib/net/ods_multipart_spool.c — one file part of a multipart body
 * spooled to a temporary file (ods_multipart.h), for the upload routes
 * that store it afterwards (documents, datasets).
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/ods_util.h"
#include "net/ods_multipart.h"

void
ods_multipart_spool_init(struct ods_multipart_spool *s, const char *dir,
    const char *prefix, const char *default_name, int hash)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	s->hash = hash;
	s->default_name = default_name;
	(void)mkdir(dir, 0700);
	snprintf(s->path, sizeof(s->path), "%s/%s-XXXXXX", dir, prefix);
}

void
ods_multipart_spool_drop(struct ods_multipart_spool *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	if (s->nfiles > 0 && s->path[0] != '\0')
		(void)unlink(s->path);
	s->path[0] = '\0';
	ods_sha256_free(s->sha);
	s->sha = NULL;
}

static enum ods_err
sp_open(void *arg, const struct ods_multipart_part *p, void **file,
    struct ods_why *why)
{
	struct ods_multipart_spool	*s = arg;

	if (strcmp(p->name, "file") != 0 || s->nfiles > 0) {
		ods_why_set(why, p->name, "one file, in the field 'file'");
		return ODS_EINVAL;
	}
	s->nfiles++;
	ods_multipart_safe_name(p->filename != NULL && *p->filename != '\0' ?
	    p->filename : s->default_name != NULL ? s->default_name : "file",
	    s->name, sizeof(s->name));
	snprintf(s->ctype, sizeof(s->ctype), "%s", p->content_type);
	if ((s->fd = mkstemp(s->path)) < 0) {
		s->path[0] = '\0';
		return ODS_EIO;
	}
	if (s->hash && (s->sha = ods_sha256_new()) == NULL)
		return ODS_ENOMEM;
	*file = s;
	return ODS_OK;
}

static enum ods_err
sp_write(void *arg, void *file, const char *p, size_t n, struct ods_why *why)
{
	struct ods_multipart_spool	*s = arg;
	ssize_t				 w;
	size_t				 k;

	(void)file;
	(void)why;
	if (s->headlen < sizeof(s->head)) {
		k = sizeof(s->head) - s->headlen < n ?
		    sizeof(s->head) - s->headlen : n;
		memcpy(s->head + s->headlen, p, k);
		s->headlen += k;
	}
	if (s->sha != NULL)
		ods_sha256_update(s->sha, p, n);
	if (s->tap != NULL)
		s->tap(s->tap_arg, p, n);
	s->size += n;
	while (n > 0) {
		if ((w = write(s->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC ? ODS_ENOSPC : ODS_EIO;
		}
		p += w;
		n -= (size_t)w;
	}
	return ODS_OK;
}

static enum ods_err
sp_close(void *arg, void *file, struct ods_why *why)
{
	struct ods_multipart_spool	*s = arg;

	(void)file;
	(void)why;
	if (s->sha != NULL)
		ods_sha256_final(s->sha, s->sum);
	return ODS_OK;
}

static void
sp_abort(void *arg, void *file)
{
	(void)file;
	ods_multipart_spool_drop(arg);
}

struct ods_multipart_sink
ods_multipart_spool_sink(struct ods_multipart_spool *s)
{
	struct ods_multipart_sink	k = { sp_open, sp_write, sp_close,
	    sp_abort, s };

	return k;
}

enum ods_err
ods_multipart_spool_rewind(struct ods_multipart_spool *s)
{
	return s->fd >= 0 && lseek(s->fd, 0, SEEK_SET) == 0 ? ODS_OK :
	    ODS_EIO;
}

long
ods_multipart_spool_read(void *arg, char *buf, size_t n)
{
	struct ods_multipart_spool	*s = arg;
	ssize_t				 got;

	do
		got = read(s->fd, buf, n);
	while (got < 0 && errno == EINTR);
	return (long)got;
}
