/* SPDX-License-Identifier: MIT */
/*
 * The union engine's lookups through the layers (fusefs/union/layers.c,
 * listing.c, resolve.c, redirect.c, ufile.c), on a real squashfs image and
 * real overlay directories: which layer shows a name, with which id; what
 * whiteouts, opaque directories and renamed directories do; names too long.
 */
#include "tests/unit/union_fixture.h"

static uint32_t fnv1a(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h ? h : 1;
}

static uint64_t host_ino(const char *dir, const char *rel)
{
	char *p = fx_path(dir, rel);
	struct stat st;

	assert_int_equal(lstat(p, &st), 0);
	free(p);
	return st.st_ino;
}

static void set_xattr(const char *dir, const char *rel, const char *attr, const char *val)
{
	char *p = fx_path(dir, rel);

	assert_int_equal(lsetxattr(p, attr, val, strlen(val), 0), 0);
	free(p);
}

static void whiteout(const char *dir, const char *rel)
{
	uf_mknod(dir, rel, S_IFCHR | 0000, makedev(0, 0));
}

/* An image file: the image's bytes under an id made of slot, generation
 * and squashfs inode; st_ino is the id. */
static void test_image_file(void **state)
{
	struct ufx *f = *state;
	struct dirlayers dl;
	struct ufile *uf = ufile_new();
	struct uobj o;
	bool keep = false;
	char buf[32] = "";

	uf_open_dir(f, "dir", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "a", &o), 0);
	assert_int_equal(o.top, L_IMAGE);
	assert_true(o.in_image);
	assert_true(o.lower_present);
	assert_int_equal(o.id, uf_img_id(f, "dir/a"));
	assert_int_equal(o.st.st_ino, o.id);
	assert_int_equal(o.st.st_dev, 0);
	assert_int_equal(o.st.st_size, 8);
	assert_int_equal(o.fh_gen, 0);
	assert_int_equal(ufile_open_ro(&f->fs, f->p, &dl, "a", &o, uf, &keep), 0);
	layers_close(&dl);
	assert_true(keep); /* image bytes never change */
	assert_int_equal(ufile_data_fd(uf), -1);
	assert_int_equal(img_read(uf->gen, uf->ino, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "a-bytes\n", 8);
	assert_int_equal(atomic_load(&f->fs.users), 1); /* the open file's */
	ufile_close(uf);
	assert_int_equal(atomic_load(&f->fs.users), 0);
}

/* An overlay file over an image file shows the overlay's bytes. Made in
 * the overlay, it is another object (an id of its own); copied up (its
 * origin recorded), it keeps the image object's id. */
static void test_overlay_over_image(void **state)
{
	struct ufx *f = *state;
	uint64_t img_id = uf_img_id(f, "etc/hostname");
	struct dirlayers dl;
	struct ufile *uf = ufile_new();
	struct uobj o;
	bool keep = true;
	char buf[32] = "";
	struct nid n;

	fx_mkdirs(f->upper, "etc");
	fx_write_str(f->upper, "etc/hostname", "overlay-host\n");
	uf_open_dir(f, "etc", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "hostname", &o), 0);
	assert_int_equal(o.top, L_UPPER);
	assert_true(o.lower_present);
	assert_true(nid_decode(o.id, &n));
	assert_int_equal(n.kind, NID_UPPER);
	assert_int_equal(n.payload, (uint32_t)host_ino(f->upper, "etc/hostname"));
	assert_int_equal(o.st.st_size, 13);

	assert_int_equal(host_setxattr(dl.upper_fd, "hostname", XATTR_ORIGIN, &img_id, 8), 0);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "hostname", &o), 0);
	assert_int_equal(o.top, L_UPPER);
	assert_int_equal(o.id, img_id);
	assert_int_equal(o.st.st_ino, img_id);
	assert_int_equal(o.fh_gen, 0);
	assert_int_equal(ufile_open_ro(&f->fs, f->p, &dl, "hostname", &o, uf, &keep), 0);
	layers_close(&dl);
	assert_false(keep);
	assert_int_equal(pread(ufile_data_fd(uf), buf, sizeof(buf), 0), 13);
	assert_memory_equal(buf, "overlay-host\n", 13);
	ufile_close(uf);
}

/* A name only the overlay has: its id is the host inode's, its FUSE
 * generation is non-zero (from the host's file handle). */
static void test_overlay_only(void **state)
{
	struct ufx *f = *state;
	struct uobj o;
	uint64_t ino;
	struct nid n;

	fx_write_str(f->upper, "only.txt", "only\n");
	ino = host_ino(f->upper, "only.txt");
	assert_int_equal(uf_lookup(f, "", "only.txt", &o), 0);
	assert_int_equal(o.top, L_UPPER);
	assert_false(o.lower_present);
	n = (struct nid){.kind = NID_UPPER,
			 .slot = UF_SLOT,
			 .gen = (unsigned)(ino >> 32) & 0xfff,
			 .payload = (uint32_t)ino};
	assert_int_equal(o.id, nid_encode(&n));
	assert_true(o.fh_gen != 0);
}

/* The generated layer: its bytes, an id from the hash of its path. */
static void test_generated(void **state)
{
	struct ufx *f = *state;
	struct nid n = {.kind = NID_GEN, .slot = UF_SLOT, .payload = fnv1a("etc/gen.conf")};
	struct uobj o;

	assert_int_equal(uf_lookup(f, "etc", "gen.conf", &o), 0);
	assert_int_equal(o.top, L_GEN);
	assert_int_equal(o.id, nid_encode(&n));
	assert_int_equal(o.st.st_size, 10);
	assert_int_equal(o.st.st_mtime, UF_MTIME);
	assert_memory_equal(o.ge->data, "generated\n", 10);
}

/* A shared layer: its bytes, an id of layer index and host inode. */
static void test_shared(void **state)
{
	struct ufx *f = *state;
	struct nid n = {.kind = NID_SHARED, .slot = UF_SLOT, .gen = 0};
	struct uobj o;

	n.payload = (uint32_t)host_ino(f->shared, "shared.txt");
	assert_int_equal(uf_lookup(f, "", "shared.txt", &o), 0);
	assert_int_equal(o.top, L_SHARED);
	assert_int_equal(o.top_shared, 0);
	assert_int_equal(o.id, nid_encode(&n));
	assert_int_equal(o.st.st_size, 7);
}

/* A whiteout hides the image's name from lookups and listings. */
static void test_whiteout(void **state)
{
	struct ufx *f = *state;
	struct dirlist l = {0};
	struct dirlayers dl;
	struct uobj o;
	size_t i;

	assert_int_equal(uf_lookup(f, "", "gone", &o), 0);
	whiteout(f->upper, "gone");
	assert_int_equal(uf_lookup(f, "", "gone", &o), -ENOENT);
	uf_open_dir(f, "", &dl);
	assert_int_equal(union_list_dir(&f->fs, f->p, &dl, &l), 0);
	layers_close(&dl);
	for (i = 0; i < l.n; i++)
		assert_string_not_equal(l.v[i].name, "gone");
	dirlist_free(&l);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of directory @path of the union, sorted, joined by spaces. */
static char *list_names(struct ufx *f, const char *path, struct dirlist *l)
{
	struct dirlayers dl;
	char **names, *out;
	size_t i, len = 1;

	uf_open_dir(f, path, &dl);
	assert_int_equal(union_list_dir(&f->fs, f->p, &dl, l), 0);
	layers_close(&dl);
	names = calloc(l->n + 1, sizeof(*names));
	for (i = 0; i < l->n; i++) {
		names[i] = l->v[i].name;
		len += strlen(names[i]) + 1;
	}
	qsort(names, l->n, sizeof(*names), cmp_str);
	out = calloc(1, len);
	for (i = 0; i < l->n; i++) {
		if (i)
			strcat(out, " ");
		strcat(out, names[i]);
	}
	free(names);
	return out;
}

static const struct dirent_rec *find_rec(const struct dirlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	fail_msg("%s not listed", name);
	return NULL;
}

/* An opaque overlay directory shows only what the overlay has in it. */
static void test_opaque_dir(void **state)
{
	struct ufx *f = *state;
	struct dirlist l = {0};
	struct dirlayers dl;
	struct uobj o;
	struct nid n;
	char *names;

	fx_mkdirs(f->upper, "opq");
	fx_write_str(f->upper, "opq/z", "z\n");
	assert_int_equal(uf_lookup(f, "opq", "x", &o), 0); /* merged: x shows */
	names = list_names(f, "opq", &l);
	assert_string_equal(names, "x y z");
	free(names);
	dirlist_free(&l);

	set_xattr(f->upper, "opq", "trusted.overlay.opaque", "y");
	assert_int_equal(uf_lookup(f, "", "opq", &o), 0);
	assert_int_equal(o.top, L_UPPER);
	assert_true(o.lower_present);
	assert_true(nid_decode(o.id, &n));
	assert_int_equal(n.kind, NID_UPPER); /* nothing below merges with it */
	uf_open_dir(f, "opq", &dl);
	assert_true(dl.lower_hidden);
	assert_false(dl.img_dir);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "x", &o), -ENOENT);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "z", &o), 0);
	layers_close(&dl);
	names = list_names(f, "opq", &l);
	assert_string_equal(names, "z");
	free(names);
	dirlist_free(&l);
}

/* A directory merges the overlay, the shared layer and the image; each
 * entry carries the id its layer gives it. */
static void test_merged_listing(void **state)
{
	struct ufx *f = *state;
	struct dirlist l = {0};
	struct nid up = {.kind = NID_UPPER, .slot = UF_SLOT};
	struct nid sh = {.kind = NID_SHARED, .slot = UF_SLOT};
	char *names;

	fx_mkdirs(f->upper, "dir");
	fx_write_str(f->upper, "dir/new", "new\n");
	whiteout(f->upper, "dir/b");
	names = list_names(f, "dir", &l);
	assert_string_equal(names, "a new s sub");
	free(names);
	assert_int_equal(find_rec(&l, "a")->ino, uf_img_id(f, "dir/a"));
	assert_int_equal(find_rec(&l, "a")->type, S_IFREG);
	assert_int_equal(find_rec(&l, "sub")->type, S_IFDIR);
	assert_int_equal(find_rec(&l, "new")->ino,
			 nid_encode(&up) | (uint32_t)host_ino(f->upper, "dir/new"));
	assert_int_equal(find_rec(&l, "s")->ino,
			 nid_encode(&sh) | (uint32_t)host_ino(f->shared, "dir/s"));
	dirlist_free(&l);
}

/* A name over NAME_MAX bytes is ENAMETOOLONG wherever it is looked up;
 * one of NAME_MAX bytes that does not exist is ENOENT. */
static void test_name_too_long(void **state)
{
	struct ufx *f = *state;
	char name[NAME_MAX + 2], path[NAME_MAX + 8], rname[NAME_MAX + 1];
	struct dirlayers dl, child;
	uint64_t pid;
	bool via;
	struct uobj o;

	memset(name, 'n', NAME_MAX + 1);
	name[NAME_MAX + 1] = '\0';
	uf_open_dir(f, "", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, name, &o), -ENAMETOOLONG);
	assert_int_equal(layers_step(&f->fs, f->p, &dl, name, &child), -ENAMETOOLONG);
	name[NAME_MAX] = '\0';
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, name, &o), -ENOENT);
	assert_int_equal(layers_step(&f->fs, f->p, &dl, name, &child), -ENOENT);
	layers_close(&dl);
	name[NAME_MAX] = 'n';
	snprintf(path, sizeof(path), "dir/%s", name);
	assert_int_equal(union_resolve(&f->fs, f->p, NULL, path, &dl, rname, &o, &pid, &via),
			 -ENAMETOOLONG);
}

/* Ids resolve through the id table; an id of another node's slot, or one
 * whose path now leads elsewhere, is stale. */
static void test_resolve_id(void **state)
{
	struct ufx *f = *state;
	char name[NAME_MAX + 1], rname[NAME_MAX + 1];
	uint64_t dir_id = uf_img_id(f, "dir"), a_id = uf_img_id(f, "dir/a"), pid;
	struct dirlayers parent, parent2;
	struct nid n;
	struct uobj o;
	bool via;

	/* A chroot-like walk follows links and records each component;
	 * via_link says the last name was a link (the TFTP view hides a
	 * link to a directory), wherever its target leads. */
	fx_symlink(f->upper, "l2", "/shared.txt");
	assert_int_equal(union_resolve(&f->fs, f->p, NULL, "l2", &parent, rname, &o, &pid, &via),
			 0);
	layers_close(&parent);
	assert_true(via);
	assert_string_equal(rname, "shared.txt");
	assert_int_equal(o.top, L_SHARED);
	assert_int_equal(pid, 1);
	assert_int_equal(union_resolve(&f->fs, f->p, NULL, "link", &parent, rname, &o, &pid, &via),
			 0);
	layers_close(&parent);
	assert_true(via); /* though "etc" was walked after the link */
	assert_string_equal(rname, "hostname");
	assert_int_equal(pid, uf_img_id(f, "etc"));
	assert_int_equal(o.id, uf_img_id(f, "etc/hostname"));
	char *path = NULL;

	assert_int_equal(itable_path(&f->fs.itab, o.id, &path), 0);
	assert_string_equal(path, "etc/hostname");
	free(path);

	assert_int_equal(itable_set(&f->fs.itab, dir_id, 1, "dir"), 0);
	assert_int_equal(itable_set(&f->fs.itab, a_id, dir_id, "a"), 0);
	assert_int_equal(layers_resolve_id(&f->fs, f->p, a_id, &parent, name, &o), 0);
	assert_int_equal(parent.id, dir_id);
	assert_true(parent.img_dir); /* the image's dir/, where a lives */
	assert_int_equal(layers_lookup(&f->fs, f->p, &parent, "b", &o), 0);
	assert_int_equal(o.id, uf_img_id(f, "dir/b"));
	assert_int_equal(layers_resolve_id(&f->fs, f->p, a_id, &parent2, name, &o), 0);
	layers_close(&parent2);
	assert_string_equal(name, "a");
	assert_int_equal(o.id, a_id);
	layers_close(&parent);

	assert_true(nid_decode(a_id, &n));
	n.slot = UF_SLOT + 1;
	assert_int_equal(layers_resolve_id(&f->fs, f->p, nid_encode(&n), &parent, name, &o),
			 -ESTALE);
	/* Another object at the name (made in the overlay): the id is stale;
	 * so it is once a whiteout hides the name. */
	fx_mkdirs(f->upper, "dir");
	fx_write_str(f->upper, "dir/a", "other\n");
	union_changed(&f->fs);
	assert_int_equal(layers_resolve_id(&f->fs, f->p, a_id, &parent, name, &o), -ESTALE);
	assert_int_equal(unlinkat(f->fs.upper_fd, "dir/a", 0), 0);
	whiteout(f->upper, "dir/a");
	union_changed(&f->fs);
	assert_int_equal(layers_resolve_id(&f->fs, f->p, a_id, &parent, name, &o), -ESTALE);
	assert_int_equal(unlinkat(f->fs.upper_fd, "dir/a", 0), 0);
	union_changed(&f->fs);
	assert_int_equal(layers_resolve_id(&f->fs, f->p, a_id, &parent, name, &o), 0);
	layers_close(&parent);
}

/* A renamed directory (kernel overlayfs's redirect_dir=on) finds its lower
 * layers where the redirect says: absolute, or a name in the parent. */
static void test_redirect_read(void **state)
{
	struct ufx *f = *state;
	struct dirlayers dl;
	struct uobj o;
	char *lp;

	fx_mkdirs(f->upper, "moved");
	set_xattr(f->upper, "moved", XATTR_REDIRECT, "/dir/sub");
	fx_mkdirs(f->upper, "renamed");
	set_xattr(f->upper, "renamed", XATTR_REDIRECT, "dir");
	fx_mkdirs(f->upper, "bad");
	set_xattr(f->upper, "bad", XATTR_REDIRECT, "dir/sub"); /* neither: ignored */

	uf_open_dir(f, "moved", &dl);
	assert_true(dl.img_dir);
	assert_int_equal(layers_lower_path(&f->fs, 1, "moved", &lp), 0);
	assert_string_equal(lp, "dir/sub");
	free(lp);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "c", &o), 0);
	assert_int_equal(o.top, L_IMAGE);
	assert_int_equal(o.id, uf_img_id(f, "dir/sub/c"));
	layers_close(&dl);

	uf_open_dir(f, "renamed", &dl);
	assert_int_equal(layers_lower_path(&f->fs, 1, "renamed", &lp), 0);
	assert_string_equal(lp, "dir");
	free(lp);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "a", &o), 0);
	assert_int_equal(o.id, uf_img_id(f, "dir/a"));
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "s", &o), 0); /* the shared layer's */
	assert_int_equal(o.top, L_SHARED);
	layers_close(&dl);

	uf_open_dir(f, "bad", &dl);
	assert_false(dl.img_dir);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "sub", &o), -ENOENT);
	layers_close(&dl);
}

static char *get_xattr(const char *dir, const char *rel, const char *attr, ssize_t *n)
{
	char *p = fx_path(dir, rel), *buf = calloc(1, 4096);

	*n = lgetxattr(p, attr, buf, 4095);
	free(p);
	return buf;
}

/* What a directory rename writes: its old name within the same parent,
 * else "/" and where the lower layers have it; the origin id, 8 bytes. */
static void test_redirect_write(void **state)
{
	struct ufx *f = *state;
	struct dirlayers root, me;
	struct uobj o;
	uint64_t origin;
	ssize_t n;
	char *v;

	fx_mkdirs(f->upper, "dir/sub");
	uf_open_dir(f, "dir", &root);
	assert_int_equal(layers_lookup(&f->fs, f->p, &root, "sub", &o), 0);
	assert_int_equal(layers_step(&f->fs, f->p, &root, "sub", &me), 0);
	assert_int_equal(union_set_redirect(&f->fs, &root, "sub", &o, true), 0);
	v = get_xattr(f->upper, "dir/sub", XATTR_REDIRECT, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(v, "sub", 3);
	free(v);
	v = get_xattr(f->upper, "dir/sub", XATTR_ORIGIN, &n);
	assert_int_equal(n, 8);
	memcpy(&origin, v, 8);
	assert_int_equal(origin, uf_img_id(f, "dir/sub"));
	free(v);
	/* A move to another parent: the absolute lower path replaces it. */
	assert_int_equal(union_set_redirect(&f->fs, &root, "sub", &o, false), 0);
	v = get_xattr(f->upper, "dir/sub", XATTR_REDIRECT, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(v, "/dir/sub", 8);
	free(v);
	/* An absolute one stays true wherever the directory goes next. */
	assert_int_equal(union_set_redirect(&f->fs, &root, "sub", &o, true), 0);
	v = get_xattr(f->upper, "dir/sub", XATTR_REDIRECT, &n);
	assert_int_equal(n, 8);
	assert_memory_equal(v, "/dir/sub", 8);
	free(v);
	layers_close(&me);
	layers_close(&root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_image_file, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_overlay_over_image, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_overlay_only, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_generated, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_shared, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_whiteout, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_opaque_dir, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_merged_listing, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_name_too_long, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_resolve_id, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_redirect_read, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_redirect_write, uf_setup, uf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
