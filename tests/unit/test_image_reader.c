/* SPDX-License-Identifier: MIT */
/*
 * The reader API against a tree we built: attributes, lookups, directory
 * offsets that resume in later calls, exact bytes for every file size,
 * symlinks, xattrs, and path resolution that never leaves the image.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

#define MTIME	 1600000000
#define MANY	 1000
#define BIG_SIZE (30u << 20)
#define ODD_SIZE 300001u

struct file_spec {
	const char *rel;
	size_t size;
	uint64_t seed;
	unsigned char *data;
};

static struct file_spec files[] = {
	{"empty", 0, 1, NULL},
	{"one", 1, 2, NULL},
	{"four_k", 4096, 3, NULL},
	{"mib", 1u << 20, 4, NULL},
	{"big", BIG_SIZE, 5, NULL},
	{"odd", ODD_SIZE, 6, NULL},
	{"dir/sub/deep.txt", 777, 7, NULL},
};

#define NFILES (sizeof(files) / sizeof(files[0]))

struct fx {
	char *dir;
	char *tree;
	char *img;
	char *img_noexp;
	struct image_gen *g;
	struct image_gen *g_noexp;
	bool have_xattrs;
	bool have_chr;
};

static void set_times(const char *tree, const char *rel)
{
	char *path = fx_path(tree, rel);
	struct timespec ts[2] = {{MTIME, 0}, {MTIME, 0}};

	assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
	free(path);
}

static void build_tree(struct fx *f)
{
	char *p;

	fx_mkdirs(f->tree, "dir/sub");
	fx_mkdirs(f->tree, "dir/many");
	fx_mkdirs(f->tree, "etc");
	for (size_t i = 0; i < NFILES; i++)
		files[i].data = fx_write(f->tree, files[i].rel, files[i].size, files[i].seed);
	for (int i = 0; i < MANY; i++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "dir/many/file-%04d", i);
		fx_write_str(f->tree, rel, "x");
	}
	fx_write_str(f->tree, "etc/shadow", "image-shadow\n");
	fx_symlink(f->tree, "abs_link", "/etc/shadow");
	fx_symlink(f->tree, "escape", "../../../../../etc/shadow");
	fx_symlink(f->tree, "dir/sub/up", "../../../../etc/shadow");
	fx_symlink(f->tree, "missing", "/etc/passwd");
	fx_symlink(f->tree, "rel_link", "dir/sub/deep.txt");
	fx_symlink(f->tree, "dir_link", "dir");
	fx_symlink(f->tree, "loop_a", "loop_b");
	fx_symlink(f->tree, "loop_b", "loop_a");
	fx_symlink(f->tree, "dir/sub/chain", "../../dir_link/sub/deep.txt");

	p = fx_path(f->tree, "one");
	assert_int_equal(chown(p, 1234, 5678), 0);
	f->have_xattrs = setxattr(p, "user.comment", "hello", 5, 0) == 0 &&
			 setxattr(p, "trusted.netboot", "t-value", 7, 0) == 0;
	free(p);
	p = fx_path(f->tree, "hardlink");
	{
		char *one = fx_path(f->tree, "one");

		assert_int_equal(link(one, p), 0);
		free(one);
	}
	free(p);
	p = fx_path(f->tree, "null");
	f->have_chr = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
	free(p);
	set_times(f->tree, "one");
	set_times(f->tree, "abs_link");
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	f->dir = fx_tmpdir();
	f->tree = fx_path(f->dir, "tree");
	f->img = fx_path(f->dir, "img.sqfs");
	f->img_noexp = fx_path(f->dir, "noexp.sqfs");
	build_tree(f);
	assert_int_equal(fx_mksquashfs(f->tree, f->img, NULL), 0);
	assert_int_equal(fx_mksquashfs(f->tree, f->img_noexp, "-no-exports", NULL), 0);
	assert_int_equal(image_gen_open(f->img, &f->g, why, sizeof(why)), 0);
	assert_int_equal(image_gen_open(f->img_noexp, &f->g_noexp, why, sizeof(why)), 0);
	assert_true(image_gen_info(f->g)->has_export_table);
	assert_false(image_gen_info(f->g_noexp)->has_export_table);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	image_gen_put(f->g);
	image_gen_put(f->g_noexp);
	fx_rm_rf(f->dir);
	for (size_t i = 0; i < NFILES; i++)
		free(files[i].data);
	free(f->dir);
	free(f->tree);
	free(f->img);
	free(f->img_noexp);
	free(f);
	return 0;
}

static img_ino must_resolve(struct image_gen *g, const char *path, struct stat *st)
{
	img_ino ino = 0;

	assert_int_equal(img_resolve(g, path, true, &ino, st), 0);
	return ino;
}

static void test_root_and_lookup(void **state)
{
	struct fx *f = *state;
	img_ino root, dir, sub, deep, parent, dot;
	struct stat st, st2;

	assert_int_equal(img_root(f->g, &root), 0);
	assert_int_equal(img_getattr(f->g, root, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_ino, root);
	assert_int_equal(st.st_dev, 0);

	assert_int_equal(img_lookup(f->g, root, "dir", &dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(img_lookup(f->g, dir, "sub", &sub, NULL), 0);
	assert_int_equal(img_lookup(f->g, sub, "deep.txt", &deep, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 777);
	assert_int_equal(st.st_ino, deep);

	assert_int_equal(img_lookup(f->g, sub, "nope", &deep, &st), -ENOENT);
	assert_int_equal(img_lookup(f->g, deep, "x", &dot, &st), -ENOTDIR);
	assert_int_equal(img_lookup(f->g, root, "dir_link", &dot, &st), 0);
	assert_true(S_ISLNK(st.st_mode)); /* lookup never follows */

	assert_int_equal(img_lookup(f->g, sub, ".", &dot, NULL), 0);
	assert_int_equal(dot, sub);
	assert_int_equal(img_lookup(f->g, sub, "..", &dot, NULL), 0);
	assert_int_equal(dot, dir);
	assert_int_equal(img_parent(f->g, sub, &parent), 0);
	assert_int_equal(parent, dir);
	assert_int_equal(img_parent(f->g, dir, &parent), 0);
	assert_int_equal(parent, root);
	assert_int_equal(img_parent(f->g, root, &parent), 0);
	assert_int_equal(parent, root);
	assert_int_equal(img_parent(f->g, deep, &parent), -ENOTDIR);

	/* a big directory: lookups go through its index */
	for (size_t k = 0; k < 2; k++) {
		struct image_gen *g = k ? f->g_noexp : f->g;
		static const int hits[] = {0, 1, 250, 499, 500, 501, 998, 999};
		static const char *const misses[] = {"file-0500x", "file-", "file-1000",
						     "a",	   "zzz",   "file-050"};
		img_ino many = must_resolve(g, "dir/many", NULL);

		for (size_t i = 0; i < sizeof(hits) / sizeof(hits[0]); i++) {
			char name[32];

			snprintf(name, sizeof(name), "file-%04d", hits[i]);
			assert_int_equal(img_lookup(g, many, name, &dot, &st), 0);
			assert_true(S_ISREG(st.st_mode));
			assert_int_equal(st.st_size, 1);
		}
		for (size_t i = 0; i < sizeof(misses) / sizeof(misses[0]); i++)
			assert_int_equal(img_lookup(g, many, misses[i], &dot, &st), -ENOENT);
	}

	/* the same numbers in the image without export table */
	assert_int_equal(img_resolve(f->g_noexp, "dir/sub/deep.txt", false, &dot, &st2), 0);
	assert_int_equal(dot, deep);
}

static void test_attributes(void **state)
{
	struct fx *f = *state;
	struct stat st;
	img_ino ino;

	ino = must_resolve(f->g, "one", &st);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(st.st_mtime, MTIME);
	assert_int_equal(st.st_mode, S_IFREG | 0644);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(st.st_nlink, 2); /* "hardlink" */
	assert_int_equal(must_resolve(f->g, "hardlink", NULL), ino);

	assert_int_equal(img_resolve(f->g, "abs_link", false, &ino, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(st.st_size, strlen("/etc/shadow"));
	assert_int_equal(st.st_mtime, MTIME);

	assert_int_equal(img_resolve(f->g, "big", false, &ino, &st), 0);
	assert_int_equal(st.st_size, BIG_SIZE);
	assert_int_equal(st.st_uid, 0);

	if (f->have_chr) {
		assert_int_equal(img_resolve(f->g, "null", false, &ino, &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_int_equal(major(st.st_rdev), 1);
		assert_int_equal(minor(st.st_rdev), 3);
	}
	assert_int_equal(img_getattr(f->g, 0x7ffffff0u, &st), -ESTALE);
	assert_int_equal(img_getattr(f->g_noexp, 0x7ffffff0u, &st), -ESTALE);
}

/* Each call reads at most @limit entries, then the next call resumes. */
struct collect {
	char **names;
	size_t n;
	int limit;
	int taken;
	uint64_t last_off;
};

static int collect_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	struct collect *c = ctx;

	(void)ino;
	(void)type;
	if (c->taken == c->limit)
		return 1;
	assert_true(next_off > c->last_off);
	c->names = realloc(c->names, (c->n + 1) * sizeof(*c->names));
	c->names[c->n++] = strdup(name);
	c->last_off = next_off;
	c->taken++;
	return 0;
}

static void read_all(struct image_gen *g, img_ino dir, int limit, struct collect *c)
{
	memset(c, 0, sizeof(*c));
	c->limit = limit;
	for (;;) {
		size_t before = c->n;

		c->taken = 0;
		assert_int_equal(img_readdir(g, dir, c->last_off, collect_cb, c), 0);
		if (c->n == before)
			break;
	}
}

static void free_collect(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
}

static void test_readdir_resume(void **state)
{
	struct fx *f = *state;
	struct image_gen *gens[] = {f->g, f->g_noexp};

	for (size_t k = 0; k < 2; k++) {
		struct collect c;
		img_ino many = must_resolve(gens[k], "dir/many", NULL);

		read_all(gens[k], many, 7, &c);
		assert_int_equal(c.n, MANY);
		for (int i = 0; i < MANY; i++) {
			char want[32];

			snprintf(want, sizeof(want), "file-%04d", i);
			assert_string_equal(c.names[i], want);
		}
		free_collect(&c);

		/* all at once gives the same; the root is sorted too */
		read_all(gens[k], many, 1 << 30, &c);
		assert_int_equal(c.n, MANY);
		free_collect(&c);
		{
			img_ino root;
			const char *want[] = {"abs_link", "big", "dir",	   "dir_link", "empty",
					      "escape",	  "etc", "four_k", "hardlink", "loop_a",
					      "loop_b",	  "mib", "missing"};

			img_root(gens[k], &root);
			read_all(gens[k], root, 3, &c);
			for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
				assert_string_equal(c.names[i], want[i]);
			free_collect(&c);
		}
	}
}

static int type_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	struct image_gen *g = ctx;
	struct stat st;

	(void)next_off;
	/* calling back into the reader from the callback must not deadlock */
	assert_int_equal(img_getattr(g, ino, &st), 0);
	assert_int_equal(st.st_mode & S_IFMT, type);
	assert_int_equal(st.st_ino, ino);
	(void)name;
	return 0;
}

static void test_readdir_types(void **state)
{
	struct fx *f = *state;
	img_ino root;

	img_root(f->g, &root);
	assert_int_equal(img_readdir(f->g, root, 0, type_cb, f->g), 0);
	img_root(f->g_noexp, &root);
	assert_int_equal(img_readdir(f->g_noexp, root, 0, type_cb, f->g_noexp), 0);
	assert_int_equal(img_readdir(f->g, must_resolve(f->g, "one", NULL), 0, type_cb, f->g),
			 -ENOTDIR);
}

static void check_file(struct image_gen *g, const struct file_spec *fs)
{
	size_t chunk = 131072 + 17;
	unsigned char *buf = malloc(chunk + 1);
	img_ino ino = must_resolve(g, fs->rel, NULL);
	size_t off = 0;

	for (;;) {
		ssize_t n = img_read(g, ino, buf, chunk, (off_t)off);

		assert_true(n >= 0);
		if (n == 0)
			break;
		assert_true((size_t)n == chunk || off + (size_t)n == fs->size);
		assert_memory_equal(buf, fs->data + off, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(off, fs->size);
	/* edges */
	assert_int_equal(img_read(g, ino, buf, 10, (off_t)fs->size), 0);
	assert_int_equal(img_read(g, ino, buf, 10, (off_t)fs->size + 12345), 0);
	assert_int_equal(img_read(g, ino, buf, 0, 0), 0);
	if (fs->size) {
		assert_int_equal(img_read(g, ino, buf, 10, (off_t)fs->size - 1), 1);
		assert_int_equal(buf[0], fs->data[fs->size - 1]);
	}
	free(buf);
}

static void test_read_files(void **state)
{
	struct fx *f = *state;

	for (size_t i = 0; i < NFILES; i++) {
		check_file(f->g, &files[i]);
		check_file(f->g_noexp, &files[i]);
	}
}

static void test_read_ranges(void **state)
{
	struct fx *f = *state;
	const struct file_spec *big = &files[4];
	img_ino ino = must_resolve(f->g, "big", NULL);
	unsigned char *buf = malloc(1u << 20);
	uint64_t x = 42;

	/* a whole MiB across block boundaries, backwards through the file */
	for (size_t off = BIG_SIZE - (1u << 20) - 5; off > 1u << 20; off -= 7u << 20) {
		assert_int_equal(img_read(f->g, ino, buf, 1u << 20, (off_t)off), 1u << 20);
		assert_memory_equal(buf, big->data + off, 1u << 20);
	}
	for (int i = 0; i < 300; i++) {
		size_t off, len;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		off = (size_t)(x >> 20) % BIG_SIZE;
		len = (size_t)(x >> 45) % (300000);
		if (len > BIG_SIZE - off)
			len = BIG_SIZE - off;
		assert_int_equal(img_read(f->g, ino, buf, len, (off_t)off), len);
		assert_memory_equal(buf, big->data + off, len);
	}
	assert_int_equal(img_read(f->g, ino, buf, 10, -1), -EINVAL);
	assert_int_equal(img_read(f->g, must_resolve(f->g, "dir", NULL), buf, 10, 0), -EISDIR);
	assert_int_equal(img_read(f->g, must_resolve(f->g, "etc", NULL), buf, 10, 0), -EISDIR);
	free(buf);
}

static void test_readlink(void **state)
{
	struct fx *f = *state;
	char buf[64];
	img_ino ino;

	assert_int_equal(img_resolve(f->g, "abs_link", false, &ino, NULL), 0);
	assert_int_equal(img_readlink(f->g, ino, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "/etc/shadow");
	assert_int_equal(img_readlink(f->g, ino, buf, 12), 11);
	assert_int_equal(img_readlink(f->g, ino, buf, 11), -ERANGE);
	assert_int_equal(img_resolve(f->g, "dir/sub/chain", false, &ino, NULL), 0);
	assert_int_equal(img_readlink(f->g, ino, buf, sizeof(buf)), 27);
	assert_string_equal(buf, "../../dir_link/sub/deep.txt");
	assert_int_equal(img_readlink(f->g, must_resolve(f->g, "one", NULL), buf, sizeof(buf)),
			 -EINVAL);
}

static void test_xattrs(void **state)
{
	struct fx *f = *state;
	img_ino one, four;
	char buf[128];

	if (!f->have_xattrs) {
		skip();
		return;
	}
	one = must_resolve(f->g, "one", NULL);
	four = must_resolve(f->g, "four_k", NULL);
	assert_int_equal(img_listxattr(f->g, one, NULL, 0), 29);
	assert_int_equal(img_listxattr(f->g, one, buf, sizeof(buf)), 29);
	/* "trusted." must come out as trusted (0.1.105 would say security.) */
	assert_true((!memcmp(buf, "user.comment\0trusted.netboot\0", 29)) ||
		    (!memcmp(buf, "trusted.netboot\0user.comment\0", 29)));
	assert_int_equal(img_listxattr(f->g, one, buf, 10), -ERANGE);
	assert_int_equal(img_getxattr(f->g, one, "user.comment", NULL, 0), 5);
	assert_int_equal(img_getxattr(f->g, one, "user.comment", buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(img_getxattr(f->g, one, "trusted.netboot", buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "t-value", 7);
	assert_int_equal(img_getxattr(f->g, one, "security.netboot", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(img_getxattr(f->g, one, "user.comment", buf, 4), -ERANGE);
	assert_int_equal(img_getxattr(f->g, one, "user.nope", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(img_listxattr(f->g, four, buf, sizeof(buf)), 0);
	assert_int_equal(img_getxattr(f->g, four, "user.comment", buf, sizeof(buf)), -ENODATA);
}

/* The content of a resolved regular file as a string. */
static void assert_resolves_to(struct image_gen *g, const char *path, const char *content)
{
	char buf[256];
	struct stat st;
	img_ino ino;
	ssize_t n;

	assert_int_equal(img_resolve(g, path, true, &ino, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	n = img_read(g, ino, buf, sizeof(buf) - 1, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, content);
}

static void test_resolve_confined(void **state)
{
	struct fx *f = *state;
	struct image_gen *gens[] = {f->g, f->g_noexp};

	for (size_t k = 0; k < 2; k++) {
		struct image_gen *g = gens[k];
		struct stat st;
		img_ino ino, deep;

		/* host /etc/shadow never: the image's own file */
		assert_resolves_to(g, "abs_link", "image-shadow\n");
		assert_resolves_to(g, "escape", "image-shadow\n");
		assert_resolves_to(g, "dir/sub/up", "image-shadow\n");
		assert_resolves_to(g, "/../../etc/shadow", "image-shadow\n");
		assert_resolves_to(g, "dir/../../../etc/./shadow", "image-shadow\n");
		assert_int_equal(img_resolve(g, "missing", true, &ino, &st), -ENOENT);
		assert_int_equal(img_resolve(g, "missing", false, &ino, &st), 0);
		assert_true(S_ISLNK(st.st_mode));

		deep = must_resolve(g, "dir/sub/deep.txt", NULL);
		assert_int_equal(must_resolve(g, "rel_link", NULL), deep);
		assert_int_equal(must_resolve(g, "dir_link/sub/deep.txt", NULL), deep);
		assert_int_equal(must_resolve(g, "dir/sub/chain", NULL), deep);
		assert_int_equal(must_resolve(g, "dir_link/sub/../sub/deep.txt", NULL), deep);
		assert_int_equal(img_resolve(g, "dir_link/", false, &ino, &st), 0);
		assert_true(S_ISDIR(st.st_mode));

		assert_int_equal(img_resolve(g, "loop_a", true, &ino, &st), -ELOOP);
		assert_int_equal(img_resolve(g, "loop_a/x", false, &ino, &st), -ELOOP);
		assert_int_equal(img_resolve(g, "loop_a", false, &ino, &st), 0);
		assert_int_equal(img_resolve(g, "one/x", true, &ino, &st), -ENOTDIR);
		assert_int_equal(img_resolve(g, "nope/x", true, &ino, &st), -ENOENT);
		assert_int_equal(img_resolve(g, "", true, &ino, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
	}
}

static void test_inode_numbers_survive_reopen(void **state)
{
	struct fx *f = *state;
	struct image_gen *fresh;
	char why[256];
	struct stat st;
	img_ino deep = must_resolve(f->g_noexp, "dir/sub/deep.txt", NULL);

	/* a new open has learned nothing yet; the number must still resolve */
	assert_int_equal(image_gen_open(f->img_noexp, &fresh, why, sizeof(why)), 0);
	assert_int_equal(img_getattr(fresh, deep, &st), 0);
	assert_int_equal(st.st_size, 777);
	image_gen_put(fresh);
	assert_int_equal(image_gen_open(f->img, &fresh, why, sizeof(why)), 0);
	assert_int_equal(img_getattr(fresh, must_resolve(f->g, "dir/sub/deep.txt", NULL), &st), 0);
	assert_int_equal(st.st_size, 777);
	image_gen_put(fresh);
}

struct listed {
	char name[32];
	img_ino ino;
};

static int listed_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t off)
{
	struct listed **pos = ctx;

	(void)type;
	(void)off;
	snprintf((*pos)->name, sizeof((*pos)->name), "%s", name);
	(*pos)->ino = ino;
	(*pos)++;
	return 0;
}

/* Lookups go through a per-generation table of each directory's names,
 * built by the first lookup: every name must resolve to what the listing
 * says, before and after the table exists, and absent names stay absent. */
static void test_lookup_through_name_table(void **state)
{
	static const char *const absent[] = {"file-1000",  "file-000", "file-00000", "File-0001",
					     "file-0001 ", "zzz",      "a"};
	struct fx *f = *state;
	struct image_gen *gens[2];
	char why[256];

	assert_int_equal(image_gen_open(f->img, &gens[0], why, sizeof(why)), 0);
	assert_int_equal(image_gen_open(f->img_noexp, &gens[1], why, sizeof(why)), 0);
	for (int k = 0; k < 2; k++) {
		struct image_gen *g = gens[k];
		struct listed *all = calloc(MANY + 1, sizeof(*all)), *pos = all;
		img_ino many = must_resolve(g, "dir/many", NULL), ino;
		struct stat st;

		/* The very first lookup in the directory is a miss. */
		assert_int_equal(img_lookup(g, many, "file-1000", &ino, &st), -ENOENT);
		assert_int_equal(img_readdir(g, many, 0, listed_cb, &pos), 0);
		assert_int_equal(pos - all, MANY);
		for (int pass = 0; pass < 2; pass++) {
			for (int i = 0; i < MANY; i++) {
				ino = 0;
				assert_int_equal(img_lookup(g, many, all[i].name, &ino, &st), 0);
				assert_int_equal(ino, all[i].ino);
				assert_true(S_ISREG(st.st_mode));
				assert_int_equal(st.st_size, 1);
			}
			for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
				assert_int_equal(img_lookup(g, many, absent[i], &ino, &st),
						 -ENOENT);
		}
		/* A regular file is no directory, cached table or not. */
		assert_int_equal(img_lookup(g, all[0].ino, "x", &ino, &st), -ENOTDIR);
		free(all);
		image_gen_put(g);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_and_lookup),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_readdir_resume),
		cmocka_unit_test(test_readdir_types),
		cmocka_unit_test(test_read_files),
		cmocka_unit_test(test_read_ranges),
		cmocka_unit_test(test_readlink),
		cmocka_unit_test(test_xattrs),
		cmocka_unit_test(test_resolve_confined),
		cmocka_unit_test(test_inode_numbers_survive_reopen),
		cmocka_unit_test(test_lookup_through_name_table),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
