/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the squashfs validation and reader (images/).
 *
 * The input is an image file. It is validated; if accepted it is opened as
 * a generation and the whole tree is walked through the reader API the
 * daemon uses: every directory listed, every name looked up, every inode
 * stat'ed, every symlink read and resolved, every xattr listed and read,
 * every file read to its end; then image_verify reads it all once more.
 * Besides "no crash, no leak, no undefined behaviour": a refusal always
 * comes with a reason, and what validation accepts always opens.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "images/images.h"

#define MAX_DEPTH   8
#define MAX_ENTRIES 4096 /* per input: a corrupt listing may go on and on */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, int line)
{
	fprintf(stderr, "fuzz_image.c:%d: check failed: %s\n", line, what);
	abort();
}

#define check(ok) ((ok) ? (void)0 : fail(#ok, __LINE__))

struct walk {
	struct image_gen *g;
	img_ino dir;
	int depth;
	unsigned *entries;
};

static void read_xattrs(struct image_gen *g, img_ino ino)
{
	char names[4096], value[512];
	ssize_t len = img_listxattr(g, ino, names, sizeof(names));

	check(len >= 0 || len == -EIO || len == -ERANGE);
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(names + off) + 1) {
		ssize_t want = img_getxattr(g, ino, names + off, NULL, 0);
		ssize_t got = img_getxattr(g, ino, names + off, value, sizeof(value));

		check(want >= 0 || want == -EIO || want == -ENODATA);
		check(got == want || got < 0);
	}
}

static void read_file(struct image_gen *g, img_ino ino, const struct stat *st)
{
	char buf[16384];
	off_t off = 0;
	ssize_t n;

	while ((n = img_read(g, ino, buf, sizeof(buf), off)) > 0) {
		off += n;
		check(off <= st->st_size);
	}
	if (!(n == 0 || n == -EIO))
		fprintf(stderr, "img_read: %zd\n", n);
	check(n == 0 || n == -EIO);
	/* A read starting inside the file, as NFS and TFTP clients do. */
	if (st->st_size > 1)
		check(img_read(g, ino, buf, 7, st->st_size / 2) >= -EIO);
}

static int walk_dir(struct image_gen *g, img_ino dir, int depth, unsigned *entries);

static int visit(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	struct walk *w = ctx;
	char target[4096];
	struct stat st, lst;
	img_ino found, parent;

	(void)next_off;
	if (++*w->entries > MAX_ENTRIES)
		return 1;
	check(name[0] && !strchr(name, '/'));
	if (img_lookup(w->g, w->dir, name, &found, &lst))
		return 0;
	check((lst.st_mode & S_IFMT) == type);
	if (img_getattr(w->g, ino, &st) == 0)
		check(st.st_ino == ino);
	read_xattrs(w->g, found);
	switch (type) {
	case S_IFDIR:
		if (img_parent(w->g, found, &parent) == 0 && w->depth < MAX_DEPTH)
			walk_dir(w->g, found, w->depth + 1, w->entries);
		break;
	case S_IFLNK: {
		ssize_t n = img_readlink(w->g, found, target, sizeof(target));

		check(n < 0 || (size_t)n == strlen(target));
		if (n > 0)
			(void)img_resolve(w->g, target, true, &found, &st);
		break;
	}
	case S_IFREG:
		read_file(w->g, found, &lst);
		break;
	default:
		break;
	}
	return 0;
}

static int walk_dir(struct image_gen *g, img_ino dir, int depth, unsigned *entries)
{
	struct walk w = {.g = g, .dir = dir, .depth = depth, .entries = entries};

	return img_readdir(g, dir, 0, visit, &w);
}

static void walk_image(const char *path)
{
	struct image_gen *g = NULL;
	char why[512] = "";
	unsigned entries = 0;
	struct stat st;
	img_ino root, ino;
	int err;

	err = image_gen_open(path, &g, why, sizeof(why));
	check(err == 0 && g); /* validation accepted it */
	check(img_root(g, &root) == 0);
	check(img_getattr(g, root, &st) == 0 && S_ISDIR(st.st_mode));
	walk_dir(g, root, 0, &entries);
	(void)img_resolve(g, "boot/firmware/../../etc/./hostname", true, &ino, &st);
	(void)img_resolve(g, "no/such/file", false, &ino, &st);
	image_gen_put(g);

	why[0] = '\0';
	err = image_verify(path, NULL, NULL, why, sizeof(why));
	check(err == 0 || (err < 0 && why[0]));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct image_info info;
	char path[64], why[512] = "";
	int fd, err;

	fd = memfd_create("fuzz.sqfs", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = image_validate(path, &info, why, sizeof(why));
	if (err) {
		check(err < 0 && why[0]);
	} else {
		check(info.bytes_used <= size && info.file_size == size);
		walk_image(path);
	}
	close(fd);
	return 0;
}
