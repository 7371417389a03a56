/* SPDX-License-Identifier: MIT */
/*
 * The hashed metadata block cache (md_cache.c) and the inode parser that
 * reads through it (inode_read.c), against real mksquashfs images: hits,
 * misses, eviction of a set's least recently used block, blocks whose
 * positions share a set, identical bytes when an evicted block is read
 * again, every inode type parsed as libsquashfuse's sqfs_inode_get() does,
 * and no metadata read left going through libsquashfuse's own cache.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"
#undef FUSE_USE_VERSION /* squashfuse.h brings its own */
#include "images/image_priv.h"

#define BIG_FILES  6000
#define MAX_BLOCKS 256

struct fx {
	char *dir;
	char *img;
	bool root; /* devices, fifos, sockets, xattrs on symlinks */
	int fd;
	struct img_sqfs sq;
	/* the inode table's blocks, in order */
	uint64_t pos[MAX_BLOCKS];
	size_t nblocks;
};

static void set_trusted(const char *tree, const char *rel)
{
	char *p = fx_path(tree, rel);

	assert_int_equal(lsetxattr(p, "trusted.netbootfs", "x", 1, 0), 0);
	free(p);
}

static void make_special(const char *tree, const char *rel, mode_t mode, dev_t dev)
{
	char *p = fx_path(tree, rel);

	if (S_ISSOCK(mode)) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		assert_true(s >= 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", p);
		assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
		close(s);
	} else {
		assert_int_equal(mknod(p, mode | 0644, dev), 0);
	}
	free(p);
}

static void make_tree(struct fx *f, const char *tree)
{
	char rel[128], *p, *q;

	fx_mkdirs(tree, "big/x");
	fx_mkdirs(tree, "small/x");
	fx_mkdirs(tree, "dev/x");
	/* A directory large enough for an index, and an inode table of many
	 * blocks. */
	for (int i = 0; i < BIG_FILES; i++) {
		snprintf(rel, sizeof(rel), "big/file-with-a-longish-name-%05d", i);
		free(fx_write(tree, rel, (size_t)(i % 7) * 100, (uint64_t)i));
	}
	free(fx_write(tree, "small/plain", 5000, 1));
	free(fx_write(tree, "small/xattr", 300, 2));
	p = fx_path(tree, "small/xattr");
	assert_int_equal(setxattr(p, "user.role", "node", 4, 0), 0);
	free(p);
	p = fx_path(tree, "small/plain");
	q = fx_path(tree, "small/hardlink");
	assert_int_equal(link(p, q), 0);
	free(p);
	free(q);
	p = fx_path(tree, "small");
	assert_int_equal(setxattr(p, "user.dir", "d", 1, 0), 0);
	free(p);
	fx_symlink(tree, "small/link", "plain");
	f->root = geteuid() == 0;
	if (!f->root)
		return;
	fx_symlink(tree, "small/xlink", "a-long-enough-target/for/the/xattr/to/follow");
	set_trusted(tree, "small/xlink");
	make_special(tree, "dev/chr", S_IFCHR, makedev(1, 3));
	make_special(tree, "dev/blk", S_IFBLK, makedev(259, 70000));
	make_special(tree, "dev/fifo", S_IFIFO, 0);
	make_special(tree, "dev/sock", S_IFSOCK, 0);
	make_special(tree, "dev/xchr", S_IFCHR, makedev(4, 64));
	make_special(tree, "dev/xfifo", S_IFIFO, 0);
	make_special(tree, "dev/xsock", S_IFSOCK, 0);
	set_trusted(tree, "dev/xchr");
	set_trusted(tree, "dev/xfifo");
	set_trusted(tree, "dev/xsock");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *tree;
	uint64_t pos;

	f->dir = fx_tmpdir();
	tree = fx_path(f->dir, "tree");
	make_tree(f, tree);
	f->img = fx_path(f->dir, "img.sqfs");
	assert_int_equal(fx_mksquashfs(tree, f->img, "-mkfs-time", "1700000000", NULL), 0);
	free(tree);
	f->fd = open(f->img, O_RDONLY | O_CLOEXEC);
	assert_true(f->fd >= 0);
	assert_int_equal(img_sqfs_init(&f->sq, f->fd), 0);
	/* The inode table's blocks, found by following each block's size. */
	for (pos = f->sq.fs.sb.inode_table_start; pos < f->sq.fs.sb.directory_table_start;) {
		sqfs_block *b = NULL;
		size_t size = 0;

		assert_true(f->nblocks < MAX_BLOCKS);
		f->pos[f->nblocks++] = pos;
		assert_int_equal(sqfs_md_block_read(&f->sq.fs, (sqfs_off_t)pos, &size, &b),
				 SQFS_OK);
		sqfs_block_dispose(b);
		pos += size;
	}
	assert_true(f->nblocks > 2 * MD_CACHE_WAYS + 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	img_sqfs_destroy(&f->sq);
	close(f->fd);
	fx_rm_rf(f->dir);
	free(f->img);
	free(f->dir);
	free(f);
	return 0;
}

/* The bytes of the block at @pos as libsquashfuse decompresses them. */
static sqfs_block *direct(struct fx *f, uint64_t pos, size_t *size)
{
	sqfs_block *b = NULL;

	assert_int_equal(sqfs_md_block_read(&f->sq.fs, (sqfs_off_t)pos, size, &b), SQFS_OK);
	return b;
}

static void assert_block(struct fx *f, struct md_cache *c, size_t i)
{
	sqfs_block *got, *want;
	uint64_t next;
	size_t size;

	assert_int_equal(md_cache_get(c, &f->sq.fs, f->pos[i], &got, &next), 0);
	want = direct(f, f->pos[i], &size);
	assert_int_equal(next, f->pos[i] + size);
	assert_int_equal(got->size, want->size);
	assert_memory_equal(got->data, want->data, want->size);
	sqfs_block_dispose(want);
}

static size_t resident(const struct md_cache *c)
{
	size_t n = 0;

	for (size_t i = 0; i < (size_t)c->sets * MD_CACHE_WAYS; i++)
		n += c->slots[i].block != NULL;
	return n;
}

static void test_hit_after_miss(void **state)
{
	struct fx *f = *state;
	struct md_cache c;
	sqfs_block *a, *b;
	uint64_t na, nb;

	assert_int_equal(md_cache_init(&c, MD_CACHE_SETS), 0);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[3], &a, &na), 0);
	assert_int_equal(c.loads, 1);
	assert_int_equal(c.hits, 0);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[3], &b, &nb), 0);
	assert_int_equal(c.loads, 1);
	assert_int_equal(c.hits, 1);
	assert_ptr_equal(a, b);
	assert_int_equal(na, nb);
	assert_int_equal(na, f->pos[4]);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[4], &b, &nb), 0);
	assert_int_equal(c.loads, 2);
	assert_ptr_not_equal(a, b);
	md_cache_destroy(&c);
}

/* Every block, read cold and warm, is what libsquashfuse decompresses. */
static void test_bytes_match_libsquashfuse(void **state)
{
	struct fx *f = *state;
	struct md_cache c;

	assert_int_equal(md_cache_init(&c, MD_CACHE_SETS), 0);
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < f->nblocks; i++)
			assert_block(f, &c, i);
	assert_int_equal(c.loads, f->nblocks);
	assert_int_equal(c.hits, f->nblocks);
	md_cache_destroy(&c);
}

/* One set: the least recently used block goes, a block used since stays,
 * and the evicted one reads back identical. */
static void test_evicts_least_recently_used(void **state)
{
	struct fx *f = *state;
	struct md_cache c;
	sqfs_block *b;
	uint64_t next;
	char *copy;
	size_t copy_size;

	assert_int_equal(md_cache_init(&c, 1), 0);
	for (size_t i = 0; i < MD_CACHE_WAYS; i++)
		assert_block(f, &c, i);
	assert_int_equal(c.loads, MD_CACHE_WAYS);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[1], &b, &next), 0);
	copy_size = b->size;
	copy = malloc(copy_size);
	memcpy(copy, b->data, copy_size);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[0], &b, &next), 0); /* 0 is fresh */
	assert_int_equal(c.loads, MD_CACHE_WAYS);
	assert_block(f, &c, MD_CACHE_WAYS); /* evicts 2, used longest ago */
	assert_int_equal(c.loads, MD_CACHE_WAYS + 1);
	assert_int_equal(resident(&c), MD_CACHE_WAYS);
	assert_block(f, &c, 0);
	assert_block(f, &c, 1);
	assert_int_equal(c.loads, MD_CACHE_WAYS + 1);
	assert_block(f, &c, 2);
	assert_int_equal(c.loads, MD_CACHE_WAYS + 2);
	/* Cycling through more blocks than the set holds keeps it bounded
	 * and evicts 1 too; it reads back with the same bytes. */
	for (size_t i = 0; i < f->nblocks; i++)
		assert_block(f, &c, i);
	assert_int_equal(resident(&c), MD_CACHE_WAYS);
	assert_int_equal(md_cache_get(&c, &f->sq.fs, f->pos[1], &b, &next), 0);
	assert_int_equal(b->size, copy_size);
	assert_memory_equal(b->data, copy, copy_size);
	free(copy);
	md_cache_destroy(&c);
}

/* Blocks whose positions fall into the same set live side by side up to
 * MD_CACHE_WAYS; filling that set evicts none of another set's. */
static void test_same_set(void **state)
{
	struct fx *f = *state;
	size_t in[2][MAX_BLOCKS], n[2] = {0, 0};
	struct md_cache c;
	unsigned full;

	assert_int_equal(md_cache_init(&c, 2), 0);
	for (size_t i = 0; i < f->nblocks; i++) {
		unsigned s = md_cache_set_of(&c, f->pos[i]);

		assert_true(s < 2);
		in[s][n[s]++] = i;
	}
	full = n[0] > MD_CACHE_WAYS ? 0 : 1;
	assert_true(n[full] > MD_CACHE_WAYS);
	assert_true(n[!full] >= 2);
	/* Two blocks of the other set, then a full set's worth plus one of
	 * this one: the first of this set goes, the other set's stay. */
	assert_block(f, &c, in[!full][0]);
	assert_block(f, &c, in[!full][1]);
	for (size_t k = 0; k <= MD_CACHE_WAYS; k++)
		assert_block(f, &c, in[full][k]);
	assert_int_equal(c.loads, MD_CACHE_WAYS + 3);
	assert_int_equal(resident(&c), MD_CACHE_WAYS + 2);
	assert_block(f, &c, in[!full][0]);
	assert_block(f, &c, in[!full][1]);
	for (size_t k = 1; k <= MD_CACHE_WAYS; k++)
		assert_block(f, &c, in[full][k]);
	assert_int_equal(c.loads, MD_CACHE_WAYS + 3);
	assert_block(f, &c, in[full][0]);
	assert_int_equal(c.loads, MD_CACHE_WAYS + 4);
	md_cache_destroy(&c);
}

static void test_rejects_positions_outside(void **state)
{
	struct fx *f = *state;
	uint64_t loads = f->sq.md.loads;
	sqfs_block *b;

	assert_int_equal(md_block_get(&f->sq.fs, 0, &b, NULL), -EIO);
	assert_int_equal(md_block_get(&f->sq.fs, IMG_SB_SIZE - 1, &b, NULL), -EIO);
	assert_int_equal(md_block_get(&f->sq.fs, f->sq.fs.sb.bytes_used, &b, NULL), -EIO);
	assert_int_equal(f->sq.md.loads, loads);
	assert_int_equal(md_cache_init(&(struct md_cache){0}, 3), -EINVAL);
}

/* Every inode of the image, through inode_load() and through
 * sqfs_inode_get() on a separate instance: the same struct. */
static void test_inodes_match_libsquashfuse(void **state)
{
	struct fx *f = *state;
	unsigned seen[SQUASHFS_LSOCKET_TYPE + 1] = {0};
	sqfs ref;

	assert_int_equal(sqfs_init(&ref, f->fd, 0), SQFS_OK);
	for (uint32_t n = 1; n <= f->sq.fs.sb.inodes; n++) {
		sqfs_inode mine, theirs;
		sqfs_inode_id id;

		assert_int_equal(export_lookup(&f->sq.fs, n, &id), 0);
		memset(&mine, 0xa5, sizeof(mine));
		assert_int_equal(inode_load(&f->sq.fs, id, &mine), 0);
		assert_int_equal(sqfs_inode_get(&ref, &theirs, id), SQFS_OK);
		assert_int_equal(mine.base.inode_number, n);
		assert_memory_equal(&mine, &theirs, sizeof(mine));
		assert_true(mine.base.inode_type <= SQUASHFS_LSOCKET_TYPE);
		seen[mine.base.inode_type]++;
	}
	sqfs_destroy(&ref);
	sqfs_table_destroy(&ref.xattr_table);
	assert_int_equal(seen[SQUASHFS_DIR_TYPE], 5);  /* root, dev, big/x, small/x, dev/x */
	assert_int_equal(seen[SQUASHFS_LDIR_TYPE], 2); /* big (indexed), small (xattr) */
	assert_int_equal(seen[SQUASHFS_REG_TYPE], BIG_FILES);
	assert_int_equal(seen[SQUASHFS_LREG_TYPE], 2); /* hard link, xattr */
	assert_int_equal(seen[SQUASHFS_SYMLINK_TYPE], 1);
	if (!f->root)
		return;
	assert_int_equal(seen[SQUASHFS_LSYMLINK_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_CHRDEV_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_BLKDEV_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_FIFO_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_SOCKET_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_LCHRDEV_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_LFIFO_TYPE], 1);
	assert_int_equal(seen[SQUASHFS_LSOCKET_TYPE], 1);
}

/* A generation's reads (lookups, listings, stat, symlinks, xattrs, data)
 * leave libsquashfuse's linear metadata cache empty, and looking every
 * name up again decompresses nothing. */
static void test_reader_bypasses_linear_cache(void **state)
{
	struct fx *f = *state;
	struct image_gen *g;
	struct img_sqfs *sq;
	char why[256], name[64], buf[64];
	img_ino big, small, ino;
	uint64_t loads = 0;

	assert_int_equal(gen_open(f->img, "img", 1, &g, why, sizeof(why)), 0);
	sq = &g->readers[0].sq;
	assert_int_equal(img_resolve(g, "big", true, &big, NULL), 0);
	assert_int_equal(img_resolve(g, "small", true, &small, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < BIG_FILES; i++) {
			struct stat st;

			snprintf(name, sizeof(name), "file-with-a-longish-name-%05d", i);
			assert_int_equal(img_lookup(g, big, name, &ino, &st), 0);
			assert_int_equal(st.st_size, (i % 7) * 100);
		}
		if (pass == 0)
			loads = sq->md.loads;
	}
	assert_true(loads > 0);
	assert_int_equal(sq->md.loads, loads);
	assert_int_equal(img_lookup(g, small, "link", &ino, NULL), 0);
	assert_int_equal(img_readlink(g, ino, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "plain");
	assert_int_equal(img_lookup(g, small, "xattr", &ino, NULL), 0);
	assert_int_equal(img_getxattr(g, ino, "user.role", buf, sizeof(buf)), 4);
	assert_int_equal(img_read(g, ino, buf, 10, 0), 10);
	for (int r = 0; r < IMG_READERS; r++)
		for (size_t i = 0; i < g->readers[r].sq.fs.md_cache.count; i++)
			assert_int_equal(g->readers[r].sq.fs.md_cache.idxs[i],
					 SQFS_CACHE_IDX_INVALID);
	image_gen_put(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_after_miss),
		cmocka_unit_test(test_bytes_match_libsquashfuse),
		cmocka_unit_test(test_evicts_least_recently_used),
		cmocka_unit_test(test_same_set),
		cmocka_unit_test(test_rejects_positions_outside),
		cmocka_unit_test(test_inodes_match_libsquashfuse),
		cmocka_unit_test(test_reader_bypasses_linear_cache),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
