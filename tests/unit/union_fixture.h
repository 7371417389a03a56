/* SPDX-License-Identifier: MIT */
/*
 * A node's union on real parts, for the union engine's unit tests: a
 * squashfs image made by mksquashfs and opened through a catalog (so its
 * generation has an id), an overlays directory with the node's overlay,
 * its work dir and a shared layer, a generated layer, and a pin over them.
 * Log lines the engine writes are kept for the tests to read.
 *
 * The image (every file type):
 *   etc/hostname "image-host\n"     dir/a "a-bytes\n"   dir/b "b\n"
 *   dir/sub/c "deep\n" (0640, 1234:5678, user.note xattr, fixed mtime)
 *   opq/x, opq/y      gone "gone\n"      link -> etc/hostname
 *   fifo              chr (1,3)          sock (a socket)   wh (char 0,0)
 * The shared layer @shared: shared.txt "shared\n", dir/s "s\n".
 * The generated layer: etc/gen.conf "generated\n".
 */
#ifndef NETBOOTFS_TEST_UNION_FIXTURE_H
#define NETBOOTFS_TEST_UNION_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/xattr.h>
#include <syslog.h>

#include "fusefs/union/union.h"
#include "tests/unit/image_fixture.h"

#define UF_SLOT	   7
#define UF_NODE	   "n1"
#define UF_MTIME   1500000000
#define UF_LOG_MAX 4096

struct ufx {
	char *dir, *tree, *images, *state, *overlays, *upper, *work, *shared;
	struct catalog *cat;
	struct pin *p;
	struct union_fs fs;
	atomic_uint_fast64_t quota_limit;
};

/* What the engine logged, one "<level> <line>\n" per line. */
static char uf_log[UF_LOG_MAX];

FX __attribute__((format(printf, 2, 3))) void uf_log_sink(int level, const char *fmt, ...)
{
	size_t n = strlen(uf_log);
	va_list ap;

	n += (size_t)snprintf(uf_log + n, sizeof(uf_log) - n, "%d ", level);
	va_start(ap, fmt);
	if (n < sizeof(uf_log))
		n += (size_t)vsnprintf(uf_log + n, sizeof(uf_log) - n, fmt, ap);
	va_end(ap);
	if (n + 1 < sizeof(uf_log))
		strcat(uf_log, "\n");
}

FX void uf_no_report(void *ctx, const char *path, const struct image_gen *gen, int err,
		     const char *why)
{
	(void)ctx;
	(void)path;
	(void)gen;
	(void)err;
	(void)why;
}

FX void uf_mknod(const char *dir, const char *rel, mode_t mode, dev_t dev)
{
	char *p = fx_path(dir, rel);

	assert_int_equal(mknod(p, mode, dev), 0);
	free(p);
}

FX void uf_socket(const char *dir, const char *rel)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *p = fx_path(dir, rel);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(strlen(p) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, p);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(s);
	free(p);
}

FX void uf_build_image(struct ufx *f)
{
	struct timespec t[2] = {{.tv_sec = UF_MTIME}, {.tv_sec = UF_MTIME}};
	char *p, *img;

	fx_mkdirs(f->tree, "etc");
	fx_mkdirs(f->tree, "dir/sub");
	fx_mkdirs(f->tree, "opq");
	fx_write_str(f->tree, "etc/hostname", "image-host\n");
	fx_write_str(f->tree, "dir/a", "a-bytes\n");
	fx_write_str(f->tree, "dir/b", "b\n");
	fx_write_str(f->tree, "dir/sub/c", "deep\n");
	fx_write_str(f->tree, "opq/x", "x\n");
	fx_write_str(f->tree, "opq/y", "y\n");
	fx_write_str(f->tree, "gone", "gone\n");
	fx_symlink(f->tree, "link", "etc/hostname");
	uf_mknod(f->tree, "fifo", S_IFIFO | 0620, 0);
	uf_mknod(f->tree, "chr", S_IFCHR | 0604, makedev(1, 3));
	uf_mknod(f->tree, "wh", S_IFCHR | 0600, makedev(0, 0));
	uf_socket(f->tree, "sock");
	p = fx_path(f->tree, "dir/sub/c");
	assert_int_equal(chown(p, 1234, 5678), 0);
	assert_int_equal(chmod(p, 0640), 0);
	assert_int_equal(setxattr(p, "user.note", "kept", 4, 0), 0);
	assert_int_equal(utimensat(AT_FDCWD, p, t, 0), 0);
	free(p);
	img = fx_path(f->images, "img.sqfs");
	assert_int_equal(fx_mksquashfs(f->tree, img, "-xattrs", NULL), 0);
	free(img);
}

FX int uf_setup(void **state)
{
	struct ufx *f = calloc(1, sizeof(*f));
	char *wdir;

	assert_non_null(f);
	uf_log[0] = '\0';
	f->dir = fx_tmpdir();
	f->tree = fx_path(f->dir, "tree");
	f->images = fx_path(f->dir, "images");
	f->state = fx_path(f->dir, "state");
	f->overlays = fx_path(f->dir, "overlays");
	f->upper = fx_path(f->overlays, UF_NODE);
	f->work = fx_path(f->overlays, ".work/" UF_NODE);
	f->shared = fx_path(f->overlays, "@shared");
	fx_mkdirs(f->dir, "images");
	fx_mkdirs(f->dir, "state");
	fx_mkdirs(f->overlays, UF_NODE);
	fx_mkdirs(f->overlays, ".work/" UF_NODE);
	fx_mkdirs(f->overlays, "@shared/dir");
	fx_write_str(f->shared, "shared.txt", "shared\n");
	fx_write_str(f->shared, "dir/s", "s\n");
	uf_build_image(f);

	assert_int_equal(catalog_open(f->images, f->state, &f->cat), 0);
	assert_int_equal(catalog_scan(f->cat, uf_no_report, NULL), 1);
	f->p = calloc(1, sizeof(*f->p));
	assert_non_null(f->p);
	atomic_init(&f->p->refs, 1);
	f->p->seq = 1;
	f->p->gen = catalog_newest(f->cat, "img");
	assert_non_null(f->p->gen);
	assert_true(image_gen_id(f->p->gen) != 0);
	snprintf(f->p->layers[0], sizeof(f->p->layers[0]), "shared");
	f->p->n_layers = 1;
	assert_int_equal(
		genlayer_put(&f->p->genl, "etc/gen.conf", 0644, strdup("generated\n"), 10, false),
		0);
	f->p->genl.mtime = UF_MTIME;

	atomic_init(&f->quota_limit, 0);
	assert_int_equal(union_fs_init(&f->fs, UF_SLOT, UF_NODE, &f->quota_limit, uf_log_sink), 0);
	f->fs.overlays_fd = open(f->overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
	f->fs.upper_fd = open(f->upper, O_PATH | O_DIRECTORY | O_CLOEXEC);
	wdir = fx_path(f->overlays, ".work/" UF_NODE);
	f->fs.work_fd = open(wdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	free(wdir);
	assert_true(f->fs.overlays_fd >= 0 && f->fs.upper_fd >= 0 && f->fs.work_fd >= 0);
	*state = f;
	return 0;
}

FX int uf_teardown(void **state)
{
	struct ufx *f = *state;

	union_fs_destroy(&f->fs);
	pin_put(f->p);
	catalog_close(f->cat);
	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->tree);
	free(f->images);
	free(f->state);
	free(f->overlays);
	free(f->upper);
	free(f->work);
	free(f->shared);
	free(f);
	return 0;
}

/* The id the engine gives image object @path of the fixture's image. */
FX uint64_t uf_img_id(struct ufx *f, const char *path)
{
	struct nid n = {.kind = NID_IMG, .slot = UF_SLOT, .gen = image_gen_id(f->p->gen)};
	struct stat st;
	img_ino ino;

	assert_int_equal(img_resolve(f->p->gen, path, false, &ino, &st), 0);
	n.payload = ino;
	return nid_encode(&n);
}

/* Directory @path (relative, "" the root) of the union, one step at a time. */
FX void uf_open_dir(struct ufx *f, const char *path, struct dirlayers *dl)
{
	char *copy = strdup(path), *save = NULL, *comp;
	struct dirlayers next;

	assert_int_equal(layers_open_dir_id(&f->fs, f->p, 1, dl), 0);
	/* As the kernel comes: each level looked up (and in the id table). */
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		struct uobj o;

		assert_int_equal(layers_lookup(&f->fs, f->p, dl, comp, &o), 0);
		assert_int_equal(itable_set(&f->fs.itab, o.id, dl->id, comp), 0);
		assert_int_equal(layers_step(&f->fs, f->p, dl, comp, &next), 0);
		next.id = o.id;
		layers_close(dl);
		*dl = next;
	}
	free(copy);
}

/* Look @name up in directory @dir of the union. */
FX int uf_lookup(struct ufx *f, const char *dir, const char *name, struct uobj *o)
{
	struct dirlayers dl;
	int err;

	uf_open_dir(f, dir, &dl);
	err = layers_lookup(&f->fs, f->p, &dl, name, o);
	layers_close(&dl);
	return err;
}

/* Contents of host file @dir/@rel as a string ("" if unreadable). */
FX char *uf_read(const char *dir, const char *rel)
{
	char *p = fx_path(dir, rel), *s;
	size_t len = 0;
	unsigned char *buf = fx_slurp(p, &len);

	free(p);
	s = calloc(1, len + 1);
	if (buf)
		memcpy(s, buf, len);
	free(buf);
	return s;
}

#endif
