/* lib/core/ods_mem.h — process-lifetime allocation, capped buffers, arenas. */
#ifndef ODS_MEM_H
#define ODS_MEM_H

#include <stddef.h>

#include "core/ods_err.h"

/*
 * tmux-style allocators for process-lifetime data: they log and _exit(1)
 * on failure. A worker is disposable; the master respawns it.
 */
void	*ods_xmalloc(size_t);
void	*ods_xcalloc(size_t, size_t);
void	*ods_xrealloc(void *, size_t);
char	*ods_xstrdup(const char *);
char	*ods_xstrndup(const char *, size_t);
int	 ods_xasprintf(char **, const char *, ...)
	    __attribute__((format(printf, 2, 3)));

/*
 * A growable byte buffer with a hard cap (curl dynbuf): anything sized by
 * a client goes through one. data is always NUL-terminated when non-NULL.
 */
struct ods_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
	size_t	 max;	/* ods_buf_add past this returns ODS_ETOOBIG */
};

void		 ods_buf_init(struct ods_buf *, size_t max);
/* Returns ODS_OK, ODS_ETOOBIG (buffer unchanged) or ODS_ENOMEM. */
enum ods_err	 ods_buf_add(struct ods_buf *, const void *, size_t)
		    ODS_MUSTCHECK;
enum ods_err	 ods_buf_addf(struct ods_buf *, const char *, ...)
		    ODS_MUSTCHECK __attribute__((format(printf, 2, 3)));
void		 ods_buf_reset(struct ods_buf *);
/* Hands the bytes to the caller (free(3)); the buffer is left empty. */
char		*ods_buf_take(struct ods_buf *, size_t *len);
void		 ods_buf_free(struct ods_buf *);

/*
 * Arena (nginx pool): many small allocations released at once. Blocks are
 * kept between resets, so a worker reaches a steady state and stops
 * calling malloc for each request.
 */
struct ods_arena;

struct ods_arena *ods_arena_new(size_t block_size);
void		 ods_arena_free(struct ods_arena *);	/* NULL is a no-op */
/* Returns 16-byte aligned zeroed memory, or NULL when out of memory. */
void		*ods_arena_alloc(struct ods_arena *, size_t);
char		*ods_arena_strdup(struct ods_arena *, const char *);
char		*ods_arena_strndup(struct ods_arena *, const char *, size_t);
char		*ods_arena_printf(struct ods_arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
/* Register fn(arg) to run at the next reset or free, last first. */
enum ods_err	 ods_arena_defer(struct ods_arena *, void (*)(void *), void *)
		    ODS_MUSTCHECK;
/* Run deferred calls and forget every allocation; keeps one block. */
void		 ods_arena_reset(struct ods_arena *);
/* Bytes handed out since the last reset. */
size_t		 ods_arena_used(const struct ods_arena *);

#endif /* ODS_MEM_H */
