/* SPDX-License-Identifier: MIT */
/*
 * sqfs_mutate: damaged copies of good squashfs images, aimed at one
 * structure at a time (tests/t/t202[12]-*.t).
 *
 *   sqfs_mutate IN OUT KIND       one named damage (see kinds[] below)
 *   sqfs_mutate -o DIR -n N -s SEED IN...
 *                                 N mutants of the INs, round robin over
 *                                 the classes, as DIR/mNNNN-CLASS-BASE.sqfs;
 *                                 prints "FILE CLASS OFFSET" per mutant
 *
 * Where each table lies is computed from the superblock and the tables'
 * own indexes (an image is read as mksquashfs writes it: data, inode
 * table, directory table, then the fragment, export, id and xattr tables,
 * each one's metadata blocks before its index), so a mutant of class
 * "frag" changes bytes of the fragment table and nothing else. A mutant
 * that would come out identical to its source is changed again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SB_SIZE	 96
#define NO_TABLE UINT64_MAX

enum {
	F_BLOCK_LOG = 22,
	F_ROOT = 32,
	F_BYTES_USED = 40,
	F_ID = 48,
	F_XATTR = 56,
	F_INODE = 64,
	F_DIR = 72,
	F_FRAG = 80,
	F_EXPORT = 88,
};

struct region {
	uint64_t start, end; /* [start, end) */
};

struct image {
	const char *name; /* base name without .sqfs */
	unsigned char *b;
	size_t len;
	uint64_t used;
	/* regions of each class; a class may have several (blocks, index) */
	struct region data, inode, dir, frag[2], export[2], id[2], xattr[3];
	/* offsets of 8-byte pointers that libsquashfuse follows */
	uint64_t ptrs[64];
	size_t nptrs;
};

static uint64_t rng;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static uint64_t below(uint64_t n)
{
	return n ? next_rand() % n : 0;
}

static uint64_t le(const unsigned char *p, int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static void put_le(unsigned char *p, int n, uint64_t v)
{
	for (int i = 0; i < n; i++, v >>= 8)
		p[i] = (unsigned char)v;
}

static void die(const char *what, const char *arg)
{
	fprintf(stderr, "sqfs_mutate: %s%s%s\n", what, arg ? ": " : "", arg ? arg : "");
	exit(2);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t size;
	unsigned char *b;

	if (fd < 0 || (size = lseek(fd, 0, SEEK_END)) < SB_SIZE)
		die("cannot read an image from", path);
	b = malloc((size_t)size);
	if (!b || pread(fd, b, (size_t)size, 0) != size)
		die("cannot read", path);
	close(fd);
	*len = (size_t)size;
	return b;
}

static void spit(const char *path, const unsigned char *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, b, len) != (ssize_t)len || close(fd) < 0)
		die("cannot write", path);
}

static uint64_t sb(const struct image *im, int field)
{
	return le(im->b + field, 8);
}

/* The index of a table at @start with @entries of @each bytes: record its
 * entries as pointers; returns the first block's offset (or @start). */
static uint64_t index_walk(struct image *im, uint64_t start, uint64_t each, uint64_t entries,
			   struct region *index)
{
	uint64_t blocks = (each * entries + 8191) / 8192;
	uint64_t first = start;

	index->start = start;
	index->end = start + blocks * 8;
	if (index->end > im->len)
		die("table index outside the image", im->name);
	for (uint64_t i = 0; i < blocks; i++) {
		uint64_t at = start + i * 8;

		if (im->nptrs < sizeof(im->ptrs) / sizeof(im->ptrs[0]))
			im->ptrs[im->nptrs++] = at;
		if (i == 0)
			first = le(im->b + at, 8);
	}
	return first;
}

static void image_load(struct image *im, const char *path)
{
	const char *base = strrchr(path, '/');
	char *dot;
	uint64_t inodes, frags, ids, first;

	memset(im, 0, sizeof(*im));
	im->b = slurp(path, &im->len);
	im->name = strdup(base ? base + 1 : path);
	dot = strstr(im->name, ".sqfs");
	if (dot)
		*dot = '\0';
	inodes = le(im->b + 4, 4);
	frags = le(im->b + 16, 4);
	ids = le(im->b + 26, 2);
	im->used = sb(im, F_BYTES_USED);
	for (int f = F_ID; f <= F_EXPORT; f += 8)
		im->ptrs[im->nptrs++] = (uint64_t)f;

	im->data = (struct region){SB_SIZE, sb(im, F_INODE)};
	im->inode = (struct region){sb(im, F_INODE), sb(im, F_DIR)};
	/* The directory table ends where the next table's blocks begin. */
	im->dir = (struct region){sb(im, F_DIR), im->used};
	if (frags) {
		first = index_walk(im, sb(im, F_FRAG), 16, frags, &im->frag[1]);
		im->frag[0] = (struct region){first, sb(im, F_FRAG)};
		if (first < im->dir.end && first > im->dir.start)
			im->dir.end = first;
	}
	if (sb(im, F_EXPORT) != NO_TABLE) {
		first = index_walk(im, sb(im, F_EXPORT), 8, inodes, &im->export[1]);
		im->export[0] = (struct region){first, sb(im, F_EXPORT)};
		if (first < im->dir.end && first > im->dir.start)
			im->dir.end = first;
	}
	first = index_walk(im, sb(im, F_ID), 4, ids, &im->id[1]);
	im->id[0] = (struct region){first, sb(im, F_ID)};
	if (first < im->dir.end && first > im->dir.start)
		im->dir.end = first;
	if (sb(im, F_XATTR) != NO_TABLE) {
		uint64_t head = sb(im, F_XATTR), kv = le(im->b + head, 8);
		uint64_t nx = le(im->b + head + 8, 4);

		im->ptrs[im->nptrs++] = head; /* xattr_table_start */
		first = index_walk(im, head + 16, 16, nx, &im->xattr[2]);
		im->xattr[2].start = head;
		im->xattr[0] = (struct region){kv, first};
		im->xattr[1] = (struct region){first, head};
		if (kv < im->dir.end && kv > im->dir.start)
			im->dir.end = kv;
	}
}

static void image_free(struct image *im)
{
	free(im->b);
	free((char *)im->name);
}

/* ---- damage ------------------------------------------------------------- */

static void flip_in(unsigned char *b, struct region r, unsigned bits, uint64_t *where)
{
	if (r.end <= r.start)
		return;
	for (unsigned i = 0; i < bits; i++) {
		uint64_t at = r.start + below(r.end - r.start);

		b[at] ^= (unsigned char)(1u << below(8));
		if (i == 0)
			*where = at;
	}
}

/* One of several regions, chosen at random among the non-empty ones. */
static struct region pick(const struct region *rs, size_t n)
{
	struct region r = {0, 0};

	for (size_t tries = 0; tries < 8 * n; tries++) {
		r = rs[below(n)];
		if (r.end > r.start)
			break;
	}
	return r;
}

static const char *const classes[] = {"trunc", "sb",	 "inode", "dir",  "frag",
				      "id",    "export", "xattr", "zero", "data"};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))

/* Apply class @c to @b (a copy of @im), possibly shortening *@len. */
static void mutate(const struct image *im, unsigned c, unsigned char *b, size_t *len,
		   uint64_t *where)
{
	unsigned bits = 1 + (unsigned)below(4);

	*where = 0;
	switch (c) {
	case 0: { /* truncation: anywhere, or just short of a table */
		static const int fields[] = {F_INODE, F_DIR, F_FRAG, F_EXPORT, F_ID, F_XATTR};
		uint64_t at = below(3) ? below(im->len) : sb(im, fields[below(6)]) + below(16);

		if (at >= im->len)
			at = im->len - 1 - below(64);
		*len = (size_t)at;
		*where = at;
		break;
	}
	case 1: /* superblock, keeping the magic half the time */
		flip_in(b, (struct region){below(2) ? 4 : 0, SB_SIZE}, bits, where);
		break;
	case 2:
		flip_in(b, im->inode, bits, where);
		break;
	case 3:
		flip_in(b, im->dir, bits, where);
		break;
	case 4:
		flip_in(b, pick(im->frag, 2), bits, where);
		break;
	case 5:
		flip_in(b, pick(im->id, 2), bits, where);
		break;
	case 6:
		flip_in(b, pick(im->export, 2), bits, where);
		break;
	case 7:
		flip_in(b, pick(im->xattr, 3), bits, where);
		break;
	case 8: { /* a pointer zeroed, or pointed somewhere odd */
		static const uint64_t odd[] = {0, 1, 95, 96};
		uint64_t at = im->ptrs[below(im->nptrs)];
		uint64_t v = below(2)	? odd[below(4)]
			     : below(2) ? im->used - below(8)
					: next_rand();

		put_le(b + at, 8, v);
		*where = at;
		break;
	}
	default: /* compressed data blocks */
		flip_in(b, im->data, bits * 4, where);
		break;
	}
}

/* ---- the named kinds ------------------------------------------------------ */

static const char *const kinds[] = {"zero-id",		"zero-frag",	    "zero-export",
				    "zero-xattr-id",	"zero-xattr-start", "block-log",
				    "ptr-in-superblock"};

static void named(const char *in, const char *out, const char *kind)
{
	struct image im;
	uint64_t at = 0, v = 0;
	int bytes = 8;

	image_load(&im, in);
	if (!strcmp(kind, "zero-id")) {
		at = im.id[1].start;
	} else if (!strcmp(kind, "zero-frag")) {
		at = im.frag[1].start;
	} else if (!strcmp(kind, "zero-export")) {
		at = im.export[1].start;
	} else if (!strcmp(kind, "zero-xattr-id")) {
		at = im.xattr[2].start + 16;
	} else if (!strcmp(kind, "zero-xattr-start")) {
		at = im.xattr[2].start;
	} else if (!strcmp(kind, "block-log")) {
		at = F_BLOCK_LOG;
		bytes = 2;
		v = 40;
	} else if (!strcmp(kind, "ptr-in-superblock")) {
		at = im.id[1].start;
		v = 40;
	} else {
		die("unknown kind", kind);
	}
	if (!at)
		die("the image has no such table", kind);
	put_le(im.b + at, bytes, v);
	spit(out, im.b, im.len);
	image_free(&im);
}

static void usage(void)
{
	fprintf(stderr, "usage: sqfs_mutate IN OUT KIND\n"
			"       sqfs_mutate -o DIR -n N -s SEED IN...\nkinds:");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(stderr, " %s", kinds[i]);
	fputc('\n', stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *dir = NULL;
	unsigned long n = 0, seed = 1;
	struct image *ims;
	int opt, nims;

	if (argc == 4 && argv[1][0] != '-') {
		named(argv[1], argv[2], argv[3]);
		return 0;
	}
	while ((opt = getopt(argc, argv, "o:n:s:")) != -1) {
		if (opt == 'o')
			dir = optarg;
		else if (opt == 'n')
			n = strtoul(optarg, NULL, 0);
		else if (opt == 's')
			seed = strtoul(optarg, NULL, 0);
		else
			usage();
	}
	nims = argc - optind;
	if (!dir || !n || nims < 1)
		usage();
	rng = seed * 0x9e3779b97f4a7c15ull + 1;
	ims = calloc((size_t)nims, sizeof(*ims));
	if (!ims)
		die("out of memory", NULL);
	for (int i = 0; i < nims; i++)
		image_load(&ims[i], argv[optind + i]);
	for (unsigned long k = 0; k < n; k++) {
		const struct image *im = &ims[(k / NCLASSES) % (unsigned long)nims];
		unsigned c = (unsigned)(k % NCLASSES);
		unsigned char *b = malloc(im->len);
		size_t len = im->len;
		uint64_t where;
		char path[4096];
		int tries = 0;

		if (!b)
			die("out of memory", NULL);
		do {
			if (++tries > 100)
				die("cannot damage this class of", im->name);
			memcpy(b, im->b, im->len);
			len = im->len;
			mutate(im, c, b, &len, &where);
		} while (len == im->len && !memcmp(b, im->b, len));
		snprintf(path, sizeof(path), "%s/m%04lu-%s-%s.sqfs", dir, k, classes[c], im->name);
		spit(path, b, len);
		printf("%s %s %llu\n", path, classes[c], (unsigned long long)where);
		free(b);
	}
	for (int i = 0; i < nims; i++)
		image_free(&ims[i]);
	free(ims);
	return 0;
}
