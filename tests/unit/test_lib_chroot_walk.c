/* SPDX-License-Identifier: MIT */
/*
 * lib/chroot_walk over a real directory tree on the host (the callbacks
 * walk it with openat, never following a link themselves): absolute and
 * relative links, ".." at the root, loops, and the jail rules of the TFTP
 * view.
 *
 *	root/etc/passwd          "root passwd"
 *	root/etc/hostname        "host"
 *	root/boot/cmdline.txt    "cmdline"        <- the jail
 *	root/boot/fw/start.elf   "start"
 *	root/boot/rel -> cmdline.txt
 *	root/boot/abs -> /boot/fw/start.elf
 *	root/boot/out -> ../etc/passwd           (leaves the jail)
 *	root/boot/absout -> /etc/passwd          (leaves the jail)
 *	root/boot/climb -> ../../../../etc/hostname
 *	root/boot/fwlink -> fw
 *	root/boot/closed/secret  (closed: mode 0700)
 *	root/loop_a -> loop_b, root/loop_b -> loop_a
 *	root/file, root/dangling -> nowhere
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>

#include "lib/chroot_walk.h"
#include "tests/unit/lib_fixture.h"

struct host_walk {
	int root, cur;
	char name[NAME_MAX + 1];
	char up_path[PATH_MAX]; /* the last path up() was given */
};

static int h_lookup(void *ctx, const char *name, mode_t *mode)
{
	struct host_walk *h = ctx;
	struct stat st;

	if (fstatat(h->cur, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	snprintf(h->name, sizeof(h->name), "%s", name);
	*mode = st.st_mode;
	return 0;
}

static int h_readlink(void *ctx, char *buf, size_t size)
{
	struct host_walk *h = ctx;
	ssize_t n = readlinkat(h->cur, h->name, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

static int h_move(struct host_walk *h, int at, const char *path)
{
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	close(h->cur);
	h->cur = fd;
	return 0;
}

static int h_enter(void *ctx)
{
	struct host_walk *h = ctx;

	return h_move(h, h->cur, h->name);
}

static int h_up(void *ctx, const char *path)
{
	struct host_walk *h = ctx;

	snprintf(h->up_path, sizeof(h->up_path), "%s", path);
	return h_move(h, h->root, path[0] ? path : ".");
}

static int h_to_root(void *ctx)
{
	struct host_walk *h = ctx;

	return h_move(h, h->root, ".");
}

static const struct chroot_walk_ops host_ops = {
	.lookup = h_lookup,
	.readlink = h_readlink,
	.enter = h_enter,
	.up = h_up,
	.to_root = h_to_root,
};

static char *fx_dir;
static char fx_root[PATH_MAX];
static char result[NAME_MAX + 16];

static void mk(const char *rel, const char *text)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", fx_root, rel);
	if (text)
		lf_write(path, text);
	else
		assert_int_equal(mkdir(path, 0755), 0);
}

static void ln(const char *target, const char *rel)
{
	char path[PATH_MAX + 256];

	snprintf(path, sizeof(path), "%s/%s", fx_root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	char path[PATH_MAX + 256];

	(void)state;
	fx_dir = lf_tmpdir("chroot_walk");
	if (!fx_dir)
		return -1;
	snprintf(fx_root, sizeof(fx_root), "%s/root", fx_dir);
	if (mkdir(fx_root, 0755))
		return -1;
	mk("etc", NULL);
	mk("etc/passwd", "root passwd");
	mk("etc/hostname", "host");
	mk("boot", NULL);
	mk("boot/cmdline.txt", "cmdline");
	mk("boot/fw", NULL);
	mk("boot/fw/start.elf", "start");
	ln("cmdline.txt", "boot/rel");
	ln("/boot/fw/start.elf", "boot/abs");
	ln("../etc/passwd", "boot/out");
	ln("/etc/passwd", "boot/absout");
	ln("../../../../etc/hostname", "boot/climb");
	ln("fw", "boot/fwlink");
	mk("boot/closed", NULL);
	mk("boot/closed/secret", "secret");
	snprintf(path, sizeof(path), "%s/boot/closed", fx_root);
	chmod(path, 0700);
	ln("loop_b", "loop_a");
	ln("loop_a", "loop_b");
	mk("file", "plain");
	ln("nowhere", "dangling");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	lf_rm_rf(fx_dir);
	free(fx_dir);
	return 0;
}

/*
 * Walk @path; on success @result holds what the walk ended at: the
 * content of a file, "link:TARGET" for a link not followed, "dir:" and the
 * directory's first file for a directory.
 */
static int walk(const char *path, unsigned flags, const char *jail, struct chroot_walk *out)
{
	struct host_walk h = {.root = open(fx_root, O_RDONLY | O_DIRECTORY)};
	struct chroot_walk w = {.jail = jail, .flags = flags};
	int err;

	assert_true(h.root >= 0);
	h.cur = dup(h.root);
	err = chroot_walk(&host_ops, &h, path, &w);
	result[0] = '\0';
	if (!err) {
		struct stat st;

		if (!w.named) {
			snprintf(result, sizeof(result), "dir");
		} else {
			assert_int_equal(fstatat(h.cur, h.name, &st, AT_SYMLINK_NOFOLLOW), 0);
			if (S_ISLNK(st.st_mode)) {
				char t[128] = "";

				assert_true(readlinkat(h.cur, h.name, t, sizeof(t) - 1) > 0);
				snprintf(result, sizeof(result), "link:%s", t);
			} else if (S_ISDIR(st.st_mode)) {
				snprintf(result, sizeof(result), "dir:%s", h.name);
			} else {
				int fd = openat(h.cur, h.name, O_RDONLY);
				ssize_t n = read(fd, result, sizeof(result) - 1);

				result[n > 0 ? n : 0] = '\0';
				close(fd);
			}
		}
	}
	if (out)
		*out = w;
	close(h.cur);
	close(h.root);
	return err;
}

static void test_plain_paths(void **state)
{
	(void)state;
	assert_int_equal(walk("etc/passwd", 0, NULL, NULL), 0);
	assert_string_equal(result, "root passwd");
	assert_int_equal(walk("/etc//./passwd", 0, NULL, NULL), 0);
	assert_string_equal(result, "root passwd");
	assert_int_equal(walk("etc/nope", 0, NULL, NULL), -ENOENT);
	assert_int_equal(walk("file/x", 0, NULL, NULL), -ENOTDIR);
	assert_int_equal(walk("", 0, NULL, NULL), 0);
	assert_string_equal(result, "dir");
}

static void test_links(void **state)
{
	struct chroot_walk w;

	(void)state;
	/* Relative, and absolute from the tree's root (not the host's). */
	assert_int_equal(walk("boot/rel", CHROOT_FOLLOW_LAST, NULL, &w), 0);
	assert_string_equal(result, "cmdline");
	assert_true(w.via_link);
	assert_int_equal(walk("boot/abs", CHROOT_FOLLOW_LAST, NULL, &w), 0);
	assert_string_equal(result, "start");
	assert_true(w.via_link); /* though the target enters directories */
	/* The last link unfollowed unless asked, or named with a '/'. */
	assert_int_equal(walk("boot/rel", 0, NULL, &w), 0);
	assert_string_equal(result, "link:cmdline.txt");
	assert_false(w.via_link);
	assert_int_equal(walk("boot/fwlink/", 0, NULL, NULL), 0);
	assert_string_equal(result, "dir:fw");
	/* A link on the way is always followed; the last name was no link. */
	assert_int_equal(walk("boot/fwlink/start.elf", 0, NULL, &w), 0);
	assert_string_equal(result, "start");
	assert_false(w.via_link);
	assert_int_equal(walk("dangling", CHROOT_FOLLOW_LAST, NULL, NULL), -ENOENT);
	assert_int_equal(walk("dangling", 0, NULL, NULL), 0);
	assert_string_equal(result, "link:nowhere");
}

static void test_dotdot_at_root(void **state)
{
	(void)state;
	/* ".." at the root stays there, as in a chroot. */
	assert_int_equal(walk("../../etc/hostname", 0, NULL, NULL), 0);
	assert_string_equal(result, "host");
	assert_int_equal(walk("boot/climb", CHROOT_FOLLOW_LAST, NULL, NULL), 0);
	assert_string_equal(result, "host");
	/* up() is told the parent's path from the root. */
	assert_int_equal(walk("boot/fw/../cmdline.txt", 0, NULL, NULL), 0);
	assert_string_equal(result, "cmdline");
	assert_int_equal(walk("boot/..", 0, NULL, NULL), 0);
	assert_string_equal(result, "dir");
}

static void test_loops(void **state)
{
	(void)state;
	assert_int_equal(walk("loop_a", CHROOT_FOLLOW_LAST, NULL, NULL), -ELOOP);
	assert_int_equal(walk("loop_a/x", 0, NULL, NULL), -ELOOP);
	assert_int_equal(walk("loop_a", 0, NULL, NULL), 0);
	assert_string_equal(result, "link:loop_b");
}

static void test_need_name(void **state)
{
	(void)state;
	assert_int_equal(walk("", CHROOT_NEED_NAME, NULL, NULL), -EISDIR);
	assert_int_equal(walk("boot/.", CHROOT_NEED_NAME, NULL, NULL), -EISDIR);
	assert_int_equal(walk("boot/..", CHROOT_NEED_NAME, NULL, NULL), -EISDIR);
	assert_int_equal(walk("boot/", CHROOT_NEED_NAME, NULL, NULL), 0);
	assert_string_equal(result, "dir:boot");
}

/* The TFTP view's jail: links followed only while they stay inside. */
static void test_jail(void **state)
{
	const unsigned f = CHROOT_FOLLOW_LAST | CHROOT_NEED_NAME | CHROOT_SEARCH_OTHERS;

	(void)state;
	assert_int_equal(walk("boot/rel", f, "boot", NULL), 0);
	assert_string_equal(result, "cmdline");
	/* An absolute link comes down into the jail from the root. */
	assert_int_equal(walk("boot/abs", f, "boot", NULL), 0);
	assert_string_equal(result, "start");
	/* Escapes, relative or absolute, end nowhere. */
	assert_int_equal(walk("boot/out", f, "boot", NULL), -ENOENT);
	assert_int_equal(walk("boot/absout", f, "boot", NULL), -ENOENT);
	assert_int_equal(walk("boot/climb", f, "boot", NULL), -ENOENT);
	assert_int_equal(walk("boot/../etc/passwd", f, "boot", NULL), -ENOENT);
	assert_int_equal(walk("etc/passwd", f, "boot", NULL), -ENOENT);
	/* The root and the way down are no place to end. */
	assert_int_equal(walk("boot", f, "boot", NULL), 0);
	assert_int_equal(walk("etc", f, "boot/fw", NULL), -ENOENT);
	assert_int_equal(walk("boot", f, "boot/fw", NULL), -ENOENT);
	/* Inside, ".." works down to the jail's own root. */
	assert_int_equal(walk("boot/fw/../cmdline.txt", f, "boot", NULL), 0);
	assert_string_equal(result, "cmdline");
	/* A directory others may not search. */
	assert_int_equal(walk("boot/closed/secret", f, "boot", NULL), -EACCES);
	assert_int_equal(walk("boot/closed/secret", CHROOT_NEED_NAME, "boot", NULL), 0);
	assert_string_equal(result, "secret");
	/* Without a jail the same escapes are clamped to the tree's root. */
	assert_int_equal(walk("boot/climb", f, NULL, NULL), 0);
	assert_string_equal(result, "host");
}

static void test_name_too_long(void **state)
{
	char path[NAME_MAX + 8];

	(void)state;
	memset(path, 'x', NAME_MAX + 1);
	path[NAME_MAX + 1] = '\0';
	assert_int_equal(walk(path, 0, NULL, NULL), -ENAMETOOLONG);
	path[NAME_MAX] = '\0';
	assert_int_equal(walk(path, 0, NULL, NULL), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_paths),    cmocka_unit_test(test_links),
		cmocka_unit_test(test_dotdot_at_root), cmocka_unit_test(test_loops),
		cmocka_unit_test(test_need_name),      cmocka_unit_test(test_jail),
		cmocka_unit_test(test_name_too_long),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
