/*
 * tests/fuzz/fuzz_vec.c — the vector store's file readers. Bit 0 of the
 * first byte picks a segment (seg-*.ovs, mapped and checked, then
 * searched) or a MANIFEST; the rest is the file, written to a temporary
 * directory. With bit 1 set the checksums are recomputed here first, so
 * that the structural checks behind them are reached too.
 */
#include "config.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "core/ods_err.h"
#include "vec/ods_vec_int.h"
#include "fuzz.h"

/* The on-disk layouts (lib/vec/ods_vec_file.c). */
#define SEG_HDR		144	/* sizeof(struct seghdr) */
#define SEG_FILE_NO	32
#define SEG_DIM		20
#define SEG_METRIC	24
#define SEG_PCRC	136
#define SEG_HCRC	140
#define MAN_HDR		72	/* sizeof(struct manhdr) */
#define MAN_GEN		16
#define MAN_END		0x444e4556u

static char	dir[64];
static int	dirfd = -1;

static void
cleanup(void)
{
	(void)rmdir(dir);
}

static void
init(void)
{
	fuzz_quiet();
	odsi_vk_init();
	(void)snprintf(dir, sizeof(dir), "/tmp/ods-fuzz-vec.XXXXXX");
	if (mkdtemp(dir) == NULL ||
	    (dirfd = open(dir, O_RDONLY | O_DIRECTORY)) == -1)
		abort();
	(void)atexit(cleanup);
}

static void
put(const char *name, const void *p, size_t n)
{
	int	fd;

	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd == -1 || write(fd, p, n) != (ssize_t)n || close(fd) == -1)
		abort();
}

static uint32_t
u32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

static void
segment(uint8_t *f, size_t n, int fix)
{
	struct vcand	 out[8];
	struct vseg	*g = NULL;
	struct vsel	 sel;
	uint64_t	 file_no = 1;
	uint32_t	 dim = 4, metric = 0, crc;
	char		 name[64];
	float		*q;

	if (n >= SEG_HDR) {
		file_no = u64(f + SEG_FILE_NO);
		dim = u32(f + SEG_DIM);
		metric = u32(f + SEG_METRIC);
		if (fix) {
			crc = odsi_vk_crc32c(0, f + SEG_HDR, n - SEG_HDR);
			memcpy(f + SEG_PCRC, &crc, 4);
			crc = odsi_vk_crc32c(0, f, SEG_HCRC);
			memcpy(f + SEG_HCRC, &crc, 4);
		}
	}
	(void)snprintf(name, sizeof(name), "seg-%016" PRIx64 ".ovs", file_no);
	put(name, f, n);
	if (odsi_vfile_map_seg(dirfd, file_no, dim, metric, &g) == ODS_OK) {
		/* A sane reader searches what it mapped: do so, bounded. */
		if (dim > 0 && dim <= 4096) {
			q = calloc(dim, sizeof(*q));
			if (q == NULL)
				abort();
			memset(&sel, 0, sizeof(sel));
			(void)odsi_vseg_exact(g, &sel, q, 8, out);
			if (g->kind == VSEG_HNSW)
				(void)odsi_vhnsw_search(g, &sel, q, 8, 16,
				    out);
			free(q);
		}
		odsi_vseg_unref(g);
	}
	(void)unlinkat(dirfd, name, 0);
}

static void
manifest(uint8_t *f, size_t n, int fix)
{
	struct vman	 m;
	uint64_t	 gen = 1;
	uint32_t	 tail[2];
	uint8_t		*buf = NULL;
	char		 name[64];

	if (n >= MAN_HDR)
		gen = u64(f + MAN_GEN);
	if (fix) {
		/* The input is the body: append the CRC and the end mark. */
		if ((buf = malloc(n + sizeof(tail))) == NULL)
			abort();
		memcpy(buf, f, n);
		tail[0] = odsi_vk_crc32c(0, f, n);
		tail[1] = MAN_END;
		memcpy(buf + n, tail, sizeof(tail));
		f = buf;
		n += sizeof(tail);
	}
	(void)snprintf(name, sizeof(name), "MANIFEST-%016" PRIx64, gen);
	put(name, f, n);
	if (odsi_vfile_read_man(dirfd, gen, &m) == ODS_OK)
		odsi_vman_fini(&m);
	(void)unlinkat(dirfd, name, 0);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*f;

	if (dirfd == -1)
		init();
	if (size < 1)
		return 0;
	if ((f = malloc(size)) == NULL)
		abort();
	memcpy(f, data + 1, size - 1);
	if (data[0] & 1)
		manifest(f, size - 1, data[0] & 2);
	else
		segment(f, size - 1, data[0] & 2);
	free(f);
	return 0;
}
