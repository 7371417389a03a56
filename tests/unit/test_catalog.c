/* SPDX-License-Identifier: MIT */
/*
 * The catalog: scanning, persistent generation ids, rename-over while an
 * old generation is held, invalid files, and reference counts that close
 * the file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

struct fx {
	char *dir;
	char *images;
	char *state;
	char *src1, *src2; /* two different images, outside <images> */
	unsigned char *kernel1, *kernel2;
};

struct reports {
	int good, bad;
	char last_bad_path[512];
	char last_why[256];
	int last_err;
};

static void report_cb(void *ctx, const char *path, const struct image_gen *gen, int err,
		      const char *why)
{
	struct reports *r = ctx;

	if (gen) {
		assert_int_equal(err, 0);
		r->good++;
		return;
	}
	r->bad++;
	r->last_err = err;
	snprintf(r->last_bad_path, sizeof(r->last_bad_path), "%s", path);
	snprintf(r->last_why, sizeof(r->last_why), "%s", why);
}

static char *build_image(struct fx *f, const char *name, size_t size, uint64_t seed,
			 unsigned char **kernel)
{
	char *tree = fx_path(f->dir, name);
	char *img;

	fx_mkdirs(tree, "boot");
	*kernel = fx_write(tree, "boot/kernel.img", size, seed);
	if (asprintf(&img, "%s/%s.sqfs", f->dir, name) < 0)
		abort();
	assert_int_equal(fx_mksquashfs(tree, img, NULL), 0);
	free(tree);
	return img;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = fx_tmpdir();
	f->images = fx_path(f->dir, "images");
	f->state = fx_path(f->dir, "state");
	mkdir(f->images, 0755);
	f->src1 = build_image(f, "src1", 300000, 11, &f->kernel1);
	f->src2 = build_image(f, "src2", 400000, 22, &f->kernel2);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	free(f->dir);
	free(f->images);
	free(f->state);
	free(f->src1);
	free(f->src2);
	free(f->kernel1);
	free(f->kernel2);
	free(f);
	return 0;
}

static void copy_to(const char *src, const char *dir, const char *file)
{
	size_t len;
	unsigned char *bytes = fx_slurp(src, &len);
	char *tmp = fx_path(dir, ".copy.tmp");
	char *dst = fx_path(dir, file);

	assert_non_null(bytes);
	fx_spit(tmp, bytes, len);
	assert_int_equal(rename(tmp, dst), 0); /* like an upgrade: rename over */
	free(bytes);
	free(tmp);
	free(dst);
}

static void assert_kernel(struct image_gen *g, const unsigned char *want, size_t size)
{
	unsigned char *buf = malloc(size + 1);
	img_ino ino;

	assert_int_equal(img_resolve(g, "boot/kernel.img", true, &ino, NULL), 0);
	assert_int_equal(img_read(g, ino, buf, size + 1, 0), size);
	assert_memory_equal(buf, want, size);
	free(buf);
}

static void test_scan_and_ids(void **state)
{
	struct fx *f = *state;
	struct reports r = {0};
	struct catalog *c;
	struct image_gen *a, *b;
	unsigned id_a, id_b;
	char *p;

	copy_to(f->src1, f->images, "alpha.sqfs");
	copy_to(f->src2, f->images, "beta.sqfs");
	fx_write_str(f->images, "broken.sqfs",
		     "this is not a squashfs image, just text....."
		     "................................................."
		     "..................");
	copy_to(f->src1, f->images, ".hidden.sqfs");
	copy_to(f->src1, f->images, "Upper.sqfs");
	copy_to(f->src1, f->images, "alpha.img");
	fx_mkdirs(f->images, ".history");
	copy_to(f->src1, f->images, ".history/alpha.20240101T000000Z.sqfs");

	assert_int_equal(catalog_open(f->images, f->state, &c), 0);
	assert_int_equal(catalog_scan(c, report_cb, &r), 2);
	assert_int_equal(r.good, 2);
	assert_int_equal(r.bad, 1);
	assert_int_equal(r.last_err, -EINVAL);
	p = fx_path(f->images, "broken.sqfs");
	assert_string_equal(r.last_bad_path, p);
	free(p);
	assert_string_equal(r.last_why, "bad magic 0x73696874: not a squashfs image");

	assert_int_equal(catalog_count(c), 2);
	assert_string_equal(catalog_name_at(c, 0), "alpha");
	assert_string_equal(catalog_name_at(c, 1), "beta");
	assert_null(catalog_name_at(c, 2));
	assert_null(catalog_newest(c, "broken"));
	assert_null(catalog_newest(c, "hidden"));

	a = catalog_newest(c, "alpha");
	b = catalog_newest(c, "beta");
	assert_non_null(a);
	assert_non_null(b);
	id_a = image_gen_id(a);
	id_b = image_gen_id(b);
	assert_true(id_a >= 1 && id_a <= IMAGE_GEN_ID_MAX);
	assert_true(id_b >= 1 && id_b <= IMAGE_GEN_ID_MAX);
	assert_int_not_equal(id_a, id_b);
	assert_string_equal(image_gen_name(a), "alpha");
	p = fx_path(f->images, "alpha.sqfs");
	assert_string_equal(image_gen_path(a), p);
	free(p);
	assert_int_equal(image_gen_refcount(a), 2); /* catalog + us */
	assert_kernel(a, f->kernel1, 300000);
	assert_kernel(b, f->kernel2, 400000);
	assert_ptr_equal(catalog_gen_get(c, id_a), a);
	image_gen_put(a);

	/* nothing changed: no reports, nothing new */
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(r.good + r.bad, 0);

	image_gen_put(a);
	image_gen_put(b);
	catalog_close(c);

	/* a restart: the same files get the same ids */
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_open(f->images, f->state, &c), 0);
	assert_int_equal(catalog_scan(c, report_cb, &r), 2);
	a = catalog_newest(c, "alpha");
	b = catalog_newest(c, "beta");
	assert_int_equal(image_gen_id(a), id_a);
	assert_int_equal(image_gen_id(b), id_b);
	image_gen_put(a);
	image_gen_put(b);
	catalog_close(c);

	/* the ids file is text, beside the images, and names each file */
	{
		size_t len;
		char *ids = (char *)fx_slurp(p = fx_path(f->images, ".generations"), &len);
		char want[64];

		free(p);
		assert_non_null(ids);
		ids[len] = '\0';
		snprintf(want, sizeof(want), "\n%u alpha.sqfs ", id_a);
		assert_non_null(strstr(ids, want));
		snprintf(want, sizeof(want), "\n%u beta.sqfs ", id_b);
		assert_non_null(strstr(ids, want));
		free(ids);
	}
}

static void test_rename_over_and_refcount(void **state)
{
	struct fx *f = *state;
	struct reports r = {0};
	struct catalog *c;
	struct image_gen *old, *cur, **all;
	unsigned old_id;
	size_t n;
	int fds;

	copy_to(f->src1, f->images, "gamma.sqfs");
	assert_int_equal(catalog_open(f->images, f->state, &c), 0);
	assert_true(catalog_scan(c, report_cb, &r) >= 1);
	old = catalog_newest(c, "gamma");
	assert_non_null(old);
	old_id = image_gen_id(old);

	/* an upgrade renames a new file over the name */
	copy_to(f->src2, f->images, "gamma.sqfs");
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 1);
	cur = catalog_newest(c, "gamma");
	assert_non_null(cur);
	assert_int_not_equal(image_gen_id(cur), old_id);
	assert_kernel(cur, f->kernel2, 400000);
	/* the old generation is still open and readable, only through our reference */
	assert_int_equal(image_gen_refcount(old), 1);
	assert_kernel(old, f->kernel1, 300000);
	assert_ptr_equal(catalog_gen_get(c, old_id), old);
	image_gen_put(old);
	assert_int_equal(catalog_open_gens(c, &all, &n), 0);
	{
		bool seen_old = false, seen_cur = false;

		for (size_t i = 0; i < n; i++) {
			seen_old |= all[i] == old;
			seen_cur |= all[i] == cur;
			image_gen_put(all[i]);
		}
		free(all);
		assert_true(seen_old && seen_cur);
	}

	/* dropping the last reference closes the file */
	fds = fx_count_fds();
	image_gen_put(old);
	assert_int_equal(fx_count_fds(), fds - 1);
	assert_null(catalog_gen_get(c, old_id));

	/* an invalid file renamed over: reported, the previous one keeps serving */
	{
		char *bad = fx_path(f->dir, "bad.sqfs");
		size_t len;
		unsigned char *bytes = fx_slurp(f->src1, &len);

		fx_spit(bad, bytes, len - 1);
		free(bytes);
		copy_to(bad, f->images, "gamma.sqfs");
		free(bad);
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(r.bad, 1);
	assert_int_equal(r.last_err, -EIO);
	assert_memory_equal(r.last_why, "truncated: ", 11);
	old = catalog_newest(c, "gamma");
	assert_ptr_equal(old, cur);
	image_gen_put(old);
	/* and it is not reported again while unchanged */
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(r.bad, 0);

	/* the file goes away: the name is gone, our reference still reads */
	{
		char *p = fx_path(f->images, "gamma.sqfs");

		unlink(p);
		free(p);
	}
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_null(catalog_newest(c, "gamma"));
	assert_int_equal(image_gen_refcount(cur), 1);
	assert_kernel(cur, f->kernel2, 400000);

	/* closing the catalog leaves held generations usable */
	catalog_close(c);
	assert_kernel(cur, f->kernel2, 400000);
	fds = fx_count_fds();
	image_gen_put(cur);
	assert_int_equal(fx_count_fds(), fds - 1);
}

/* The file that @name is in the unserved list as, or NULL. */
static const struct catalog_file *unserved(struct catalog *c, const char *name,
					   struct catalog_file **v)
{
	size_t n;

	free(*v);
	*v = NULL;
	assert_int_equal(catalog_files_unserved(c, v, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp((*v)[i].name, name))
			return &(*v)[i];
	return NULL;
}

/* A copy of @src with 16 bytes flipped in the middle of its data area
 * (kernel.img is the only file, so that is one of its compressed blocks). */
static char *corrupt_copy(struct fx *f, const char *src)
{
	size_t len;
	unsigned char *bytes = fx_slurp(src, &len);
	char *path = fx_path(f->dir, "corrupt.sqfs");
	uint64_t data_end;

	assert_non_null(bytes);
	data_end = fx_le(bytes + FX_SB_INODE_TABLE, 8);
	assert_true(data_end > 96 + 4096);
	for (int i = 0; i < 16; i++)
		bytes[96 + (data_end - 96) / 2 + (uint64_t)i] ^= 0x5a;
	fx_spit(path, bytes, len);
	free(bytes);
	return path;
}

static void test_deferred_verify(void **state)
{
	struct fx *f = *state;
	struct catalog_file *v = NULL;
	const struct catalog_file *u;
	struct reports r = {0};
	char *bad = corrupt_copy(f, f->src2);
	struct image_gen *g;
	char *images = fx_path(f->dir, "images-deferred");
	char *st = fx_path(f->dir, "state-deferred");
	struct catalog *c;
	unsigned id1, id2;

	mkdir(images, 0755);

	copy_to(f->src1, images, "delta.sqfs");
	assert_int_equal(catalog_open(images, st, &c), 0);
	assert_int_equal(catalog_scan(c, report_cb, &r), 1);
	g = catalog_newest(c, "delta");
	id1 = image_gen_id(g);
	image_gen_put(g);
	catalog_defer_verify(c, true);
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 0);

	/* a corrupt drop-in: validated, pending, then refused; id1 stays newest */
	copy_to(bad, images, "delta.sqfs");
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(r.good + r.bad, 0);
	u = unserved(c, "delta", &v);
	assert_non_null(u);
	assert_int_equal(u->state, CATALOG_QUEUED);
	assert_string_equal(u->file, "delta.sqfs");
	g = catalog_newest(c, "delta");
	assert_int_equal(image_gen_id(g), id1);
	image_gen_put(g);
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 1);
	assert_int_equal(r.bad, 1);
	assert_int_equal(r.last_err, -EIO);
	assert_memory_equal(r.last_why, "/boot/kernel.img: data block ", 29);
	u = unserved(c, "delta", &v);
	assert_non_null(u);
	assert_int_equal(u->state, CATALOG_REFUSED);
	assert_string_equal(u->why, r.last_why);
	g = catalog_newest(c, "delta");
	assert_int_equal(image_gen_id(g), id1);
	assert_kernel(g, f->kernel1, 300000);
	image_gen_put(g);
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 0);
	assert_int_equal(catalog_scan(c, report_cb, &r), 0); /* not looked at again */
	assert_int_equal(r.bad, 1);

	/* a good drop-in is a generation once verified; the refusal is gone */
	copy_to(f->src2, images, "delta.sqfs");
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(unserved(c, "delta", &v)->state, CATALOG_QUEUED);
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 1);
	assert_int_equal(r.good, 1);
	assert_null(unserved(c, "delta", &v));
	g = catalog_newest(c, "delta");
	id2 = image_gen_id(g);
	assert_int_not_equal(id2, id1);
	assert_kernel(g, f->kernel2, 400000);
	image_gen_put(g);

	/* a file removed while pending is never verified nor served */
	copy_to(bad, images, "delta.sqfs");
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_int_equal(unserved(c, "delta", &v)->state, CATALOG_QUEUED);
	{
		char *p = fx_path(images, "delta.sqfs");

		unlink(p);
		free(p);
	}
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 0);
	assert_null(unserved(c, "delta", &v));
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 0);
	assert_int_equal(r.good + r.bad, 0);
	catalog_close(c);

	/* at a restart a recorded file is served without a verification */
	copy_to(f->src2, images, "epsilon.sqfs");
	assert_int_equal(catalog_open(images, st, &c), 0);
	assert_int_equal(catalog_scan(c, report_cb, &r), 1); /* verified inline */
	catalog_close(c);
	assert_int_equal(catalog_open(images, st, &c), 0);
	catalog_defer_verify(c, true);
	memset(&r, 0, sizeof(r));
	assert_int_equal(catalog_scan(c, report_cb, &r), 1);
	assert_int_equal(r.good, 1);
	assert_null(unserved(c, "epsilon", &v));
	assert_int_equal(catalog_verify_pending(c, report_cb, &r), 0);
	catalog_close(c);
	free(v);
	unlink(bad);
	free(bad);
	free(images);
	free(st);
}

static void test_id_wraps_skipping_listed(void **state)
{
	struct fx *f = *state;
	char *st = fx_path(f->dir, "state-wrap");
	char *imgs = fx_path(f->dir, "images-wrap");
	char line[128];
	struct catalog *c;
	struct image_gen *a, *b;
	struct stat sb;
	char *p;

	mkdir(st, 0755);
	mkdir(imgs, 0755);
	copy_to(f->src1, imgs, "one.sqfs");
	p = fx_path(imgs, "one.sqfs");
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	/* id 1 belongs to one.sqfs; the counter is at the very end */
	snprintf(line, sizeof(line), "next %u\n1 one.sqfs %llu %llu %lld\n", IMAGE_GEN_ID_MAX,
		 (unsigned long long)sb.st_ino, (unsigned long long)sb.st_size,
		 (long long)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
	fx_write_str(st, "generations", line);
	copy_to(f->src2, imgs, "two.sqfs");
	copy_to(f->src2, imgs, "three.sqfs");

	assert_int_equal(catalog_open(imgs, st, &c), 0);
	assert_int_equal(catalog_scan(c, NULL, NULL), 3);
	a = catalog_newest(c, "one");
	assert_int_equal(image_gen_id(a), 1);
	image_gen_put(a);
	a = catalog_newest(c, "two");
	b = catalog_newest(c, "three");
	/* the new ones got IMAGE_GEN_ID_MAX and, after wrapping past listed 1, 2 */
	assert_int_equal(image_gen_id(a) + image_gen_id(b), IMAGE_GEN_ID_MAX + 2);
	assert_true(image_gen_id(a) == 2 || image_gen_id(a) == IMAGE_GEN_ID_MAX);
	image_gen_put(a);
	image_gen_put(b);
	catalog_close(c);
	/* <state>/generations of an older version filled <images>/.generations */
	p = fx_path(imgs, ".generations");
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	free(st);
	free(imgs);
}

/* Two daemons over one images directory (shared storage), each with its own
 * state directory: the same file has the same generation id on both,
 * whichever saw it first. */
static void test_ids_shared_by_two_catalogs(void **state)
{
	struct fx *f = *state;
	char *st_a = fx_path(f->dir, "state-a"), *st_b = fx_path(f->dir, "state-b");
	char *imgs = fx_path(f->dir, "images-shared");
	struct catalog *a, *b;
	struct image_gen *ga, *gb;
	struct stat sb;
	char *p;

	mkdir(imgs, 0755);
	copy_to(f->src1, imgs, "one.sqfs");
	assert_int_equal(catalog_open(imgs, st_a, &a), 0);
	assert_int_equal(catalog_open(imgs, st_b, &b), 0);
	assert_int_equal(catalog_scan(a, NULL, NULL), 1);
	assert_int_equal(catalog_scan(b, NULL, NULL), 1);
	ga = catalog_newest(a, "one");
	gb = catalog_newest(b, "one");
	assert_int_equal(image_gen_id(ga), image_gen_id(gb));
	image_gen_put(ga);
	image_gen_put(gb);

	/* a file only a saw: a new id there, none on b */
	copy_to(f->src2, imgs, "tmp.sqfs");
	assert_int_equal(catalog_scan(a, NULL, NULL), 1);
	p = fx_path(imgs, "tmp.sqfs");
	unlink(p);
	free(p);
	/* b sees the next files first this time */
	copy_to(f->src2, imgs, "two.sqfs");
	copy_to(f->src2, imgs, "one.sqfs"); /* a new generation of one */
	assert_int_equal(catalog_scan(b, NULL, NULL), 2);
	assert_int_equal(catalog_scan(a, NULL, NULL), 2);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "two" : "one";

		ga = catalog_newest(a, name);
		gb = catalog_newest(b, name);
		assert_int_equal(image_gen_id(ga), image_gen_id(gb));
		image_gen_put(ga);
		image_gen_put(gb);
	}
	ga = catalog_newest(a, "one");
	gb = catalog_newest(a, "two");
	assert_int_not_equal(image_gen_id(ga), image_gen_id(gb));
	image_gen_put(ga);
	image_gen_put(gb);
	/* nothing in either state directory: the ids live with the images */
	p = fx_path(st_a, "generations");
	assert_int_equal(stat(p, &sb), -1);
	free(p);
	p = fx_path(st_b, "generations");
	assert_int_equal(stat(p, &sb), -1);
	free(p);
	catalog_close(a);
	catalog_close(b);
	free(st_a);
	free(st_b);
	free(imgs);
}

struct racer {
	struct catalog *c;
	pthread_barrier_t *start;
	int added;
	atomic_bool done;
};

static void *race_scan(void *arg)
{
	struct racer *r = arg;

	if (r->start)
		pthread_barrier_wait(r->start);
	r->added = catalog_scan(r->c, NULL, NULL);
	atomic_store(&r->done, true);
	return NULL;
}

/* A scan waits for the lock another daemon holds on the ids, and reads the
 * ids afresh once it has it: the id that daemon gave the file meanwhile. */
static void test_ids_wait_for_the_lock(void **state)
{
	struct fx *f = *state;
	char *st = fx_path(f->dir, "state-lock"), *imgs = fx_path(f->dir, "images-lock");
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	struct racer r = {0};
	struct image_gen *g;
	char line[160], *p;
	struct stat sb;
	pthread_t th;
	int fd;

	mkdir(imgs, 0755);
	assert_int_equal(catalog_open(imgs, st, &r.c), 0);
	p = fx_path(imgs, ".generations.lock");
	fd = open(p, O_RDWR);
	free(p);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	copy_to(f->src1, imgs, "one.sqfs");
	assert_int_equal(pthread_create(&th, NULL, race_scan, &r), 0);
	usleep(500000);
	assert_false(atomic_load(&r.done)); /* it waits */
	/* Meanwhile the other daemon numbers the file. */
	p = fx_path(imgs, "one.sqfs");
	assert_int_equal(stat(p, &sb), 0);
	free(p);
	snprintf(line, sizeof(line), "next 78\n77 one.sqfs %llu %llu %lld\n",
		 (unsigned long long)sb.st_ino, (unsigned long long)sb.st_size,
		 (long long)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec);
	fx_write_str(imgs, ".generations", line);
	fl.l_type = F_UNLCK;
	assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
	pthread_join(th, NULL);
	assert_int_equal(r.added, 1);
	g = catalog_newest(r.c, "one");
	assert_int_equal(image_gen_id(g), 77);
	image_gen_put(g);
	close(fd);
	catalog_close(r.c);
	free(st);
	free(imgs);
}

/* Two daemons scanning the same drop-ins at the same moment end with one id
 * per file, the same on both. */
static void test_ids_concurrent_scans_agree(void **state)
{
	struct fx *f = *state;
	char *imgs = fx_path(f->dir, "images-race");
	enum { N = 6 };
	struct racer r[2];
	pthread_barrier_t start;
	pthread_t th[2];
	char name[32], *st;

	mkdir(imgs, 0755);
	for (int k = 0; k < 2; k++) {
		if (asprintf(&st, "%s/state-race-%d", f->dir, k) < 0)
			abort();
		assert_int_equal(catalog_open(imgs, st, &r[k].c), 0);
		free(st);
	}
	for (int round = 0; round < 3; round++) {
		/* One of them has seen a file the other has not. */
		snprintf(name, sizeof(name), "only-%d.sqfs", round);
		copy_to(f->src1, imgs, name);
		assert_int_equal(catalog_scan(r[round % 2].c, NULL, NULL), 1);
		for (int i = 0; i < N; i++) {
			snprintf(name, sizeof(name), "r%d-%d.sqfs", round, i);
			copy_to(i % 2 ? f->src1 : f->src2, imgs, name);
		}
		pthread_barrier_init(&start, NULL, 2);
		for (int k = 0; k < 2; k++) {
			r[k].start = &start;
			assert_int_equal(pthread_create(&th[k], NULL, race_scan, &r[k]), 0);
		}
		for (int k = 0; k < 2; k++)
			pthread_join(th[k], NULL);
		pthread_barrier_destroy(&start);
		assert_int_equal(r[round % 2].added, N);
		assert_int_equal(r[1 - round % 2].added, N + 1);
		for (int i = 0; i < N; i++) {
			struct image_gen *ga, *gb;

			snprintf(name, sizeof(name), "r%d-%d", round, i);
			ga = catalog_newest(r[0].c, name);
			gb = catalog_newest(r[1].c, name);
			assert_non_null(ga);
			assert_non_null(gb);
			assert_int_equal(image_gen_id(ga), image_gen_id(gb));
			/* and one id per file */
			for (int j = 0; j < i; j++) {
				struct image_gen *o;

				snprintf(name, sizeof(name), "r%d-%d", round, j);
				o = catalog_newest(r[0].c, name);
				assert_int_not_equal(image_gen_id(o), image_gen_id(ga));
				image_gen_put(o);
			}
			image_gen_put(ga);
			image_gen_put(gb);
		}
	}
	for (int k = 0; k < 2; k++)
		catalog_close(r[k].c);
	free(imgs);
}

/* A generation still open here whose file is gone: another daemon drops its
 * record, this one's next update puts it back, so its id is not given to
 * another file while it serves. */
static void test_ids_open_generation_kept(void **state)
{
	struct fx *f = *state;
	char *st_a = fx_path(f->dir, "state-ka"), *st_b = fx_path(f->dir, "state-kb");
	char *imgs = fx_path(f->dir, "images-keep");
	struct catalog *a, *b;
	struct image_gen *held;
	unsigned id;
	size_t len;
	char *ids, *p, want[32];

	mkdir(imgs, 0755);
	copy_to(f->src1, imgs, "one.sqfs");
	assert_int_equal(catalog_open(imgs, st_a, &a), 0);
	assert_int_equal(catalog_open(imgs, st_b, &b), 0);
	assert_int_equal(catalog_scan(a, NULL, NULL), 1);
	assert_int_equal(catalog_scan(b, NULL, NULL), 1);
	held = catalog_newest(b, "one"); /* b serves it */
	id = image_gen_id(held);
	p = fx_path(imgs, "one.sqfs");
	unlink(p);
	free(p);
	snprintf(want, sizeof(want), "\n%u one.sqfs ", id);
	assert_int_equal(catalog_scan(a, NULL, NULL), 0); /* a drops the record */
	ids = (char *)fx_slurp(p = fx_path(imgs, ".generations"), &len);
	ids[len] = '\0';
	assert_null(strstr(ids, want));
	free(ids);
	copy_to(f->src2, imgs, "two.sqfs");
	assert_int_equal(catalog_scan(b, NULL, NULL), 1); /* b records "two", and "one" again */
	ids = (char *)fx_slurp(p, &len);
	ids[len] = '\0';
	assert_non_null(strstr(ids, want));
	free(ids);
	free(p);
	image_gen_put(held);
	catalog_close(a);
	catalog_close(b);
	free(st_a);
	free(st_b);
	free(imgs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_and_ids),
		cmocka_unit_test(test_rename_over_and_refcount),
		cmocka_unit_test(test_id_wraps_skipping_listed),
		cmocka_unit_test(test_deferred_verify),
		cmocka_unit_test(test_ids_shared_by_two_catalogs),
		cmocka_unit_test(test_ids_concurrent_scans_agree),
		cmocka_unit_test(test_ids_open_generation_kept),
		cmocka_unit_test(test_ids_wait_for_the_lock),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
