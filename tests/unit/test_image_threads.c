/* SPDX-License-Identifier: MIT */
/*
 * Eight threads read one image at once: every file, whole and in random
 * ranges, through path resolution and readdir, and every byte is compared
 * with the source tree. Run for an image with and one without an export
 * table (the latter shares a learned inode map between threads).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "images/images.h"
#include "tests/unit/image_fixture.h"

#define THREADS	     8
#define NFILES	     24
#define ROUNDS	     1
#define RANDOM_READS 150

struct src_file {
	char rel[64];
	unsigned char *data;
	size_t size;
};

struct fx {
	char *dir;
	char *img;
	char *img_noexp;
	struct src_file files[NFILES];
};

struct worker {
	struct fx *f;
	struct image_gen *g;
	unsigned seed;
	pthread_barrier_t *start;
	atomic_ulong *bytes;
	atomic_uint *errors;
};

static size_t file_size(int i)
{
	static const size_t sizes[] = {0,      1,      100,    4095,   4096,   4097,   131071,
				       131072, 131073, 200000, 262144, 333333, 500000, 777777};

	return i < 14 ? sizes[i] : (size_t)(i * 97331u % 900000u);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *tree;

	f->dir = fx_tmpdir();
	tree = fx_path(f->dir, "tree");
	fx_mkdirs(tree, "a/b/c");
	fx_mkdirs(tree, "d");
	for (int i = 0; i < NFILES; i++) {
		static const char *const dirs[] = {"", "a/", "a/b/", "a/b/c/", "d/"};
		char *path;

		snprintf(f->files[i].rel, sizeof(f->files[i].rel), "%sf%02d.bin", dirs[i % 5], i);
		free(fx_write(tree, f->files[i].rel, file_size(i), 1000 + (uint64_t)i));
		/* compare with what is on disk, not with what we meant to write */
		path = fx_path(tree, f->files[i].rel);
		f->files[i].data = fx_slurp(path, &f->files[i].size);
		assert_non_null(f->files[i].data);
		assert_int_equal(f->files[i].size, file_size(i));
		free(path);
	}
	fx_symlink(tree, "link", "/a/b/c");
	f->img = fx_path(f->dir, "img.sqfs");
	f->img_noexp = fx_path(f->dir, "noexp.sqfs");
	assert_int_equal(fx_mksquashfs(tree, f->img, NULL), 0);
	assert_int_equal(fx_mksquashfs(tree, f->img_noexp, "-no-exports", NULL), 0);
	free(tree);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fx_rm_rf(f->dir);
	for (int i = 0; i < NFILES; i++)
		free(f->files[i].data);
	free(f->dir);
	free(f->img);
	free(f->img_noexp);
	free(f);
	return 0;
}

static unsigned rnd(unsigned *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static bool read_compare(struct worker *w, img_ino ino, const struct src_file *sf, size_t off,
			 size_t len, unsigned char *buf)
{
	size_t want = off >= sf->size ? 0 : (len < sf->size - off ? len : sf->size - off);
	ssize_t n = img_read(w->g, ino, buf, len, (off_t)off);

	if (n < 0 || (size_t)n != want || memcmp(buf, sf->data + off, want))
		return false;
	atomic_fetch_add(w->bytes, (unsigned long)n);
	return true;
}

static int count_cb(void *ctx, const char *name, img_ino ino, mode_t type, uint64_t next_off)
{
	(void)name;
	(void)ino;
	(void)type;
	(void)next_off;
	(*(int *)ctx)++;
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned char *buf = malloc(400000);
	unsigned s = w->seed;

	pthread_barrier_wait(w->start);
	for (int round = 0; round < ROUNDS; round++) {
		/* every file, whole, from a random start and in random pieces */
		for (int k = 0; k < NFILES; k++) {
			const struct src_file *sf = &w->f->files[(k + (int)w->seed) % NFILES];
			size_t start = sf->size ? rnd(&s) % sf->size : 0, done = 0;
			img_ino ino;

			if (img_resolve(w->g, sf->rel, true, &ino, NULL)) {
				atomic_fetch_add(w->errors, 1);
				continue;
			}
			while (done < sf->size) {
				size_t off = (start + done) % sf->size;
				size_t len = 1 + rnd(&s) % 300000;

				if (len > sf->size - off)
					len = sf->size - off;
				if (!read_compare(w, ino, sf, off, len, buf))
					atomic_fetch_add(w->errors, 1);
				done += len;
			}
			if (!read_compare(w, ino, sf, sf->size, 10, buf))
				atomic_fetch_add(w->errors, 1);
		}
		for (int i = 0; i < RANDOM_READS; i++) {
			const struct src_file *sf = &w->f->files[rnd(&s) % NFILES];
			size_t off = sf->size ? rnd(&s) % (sf->size + 10) : 0;
			size_t len = rnd(&s) % 4 == 0 ? 1 : rnd(&s) % 400000;
			int entries = 0;
			img_ino ino, dir;

			if (img_resolve(w->g, sf->rel, true, &ino, NULL) ||
			    !read_compare(w, ino, sf, off, len, buf))
				atomic_fetch_add(w->errors, 1);
			if (img_resolve(w->g, "link", true, &dir, NULL) ||
			    img_readdir(w->g, dir, 0, count_cb, &entries) || entries != 5)
				atomic_fetch_add(w->errors, 1);
		}
	}
	free(buf);
	return NULL;
}

static void hammer(struct fx *f, const char *img)
{
	pthread_t tids[THREADS];
	struct worker w[THREADS];
	pthread_barrier_t start;
	atomic_ulong bytes = 0;
	atomic_uint errors = 0;
	struct image_gen *g;
	unsigned long total = 0;
	char why[256];

	assert_int_equal(image_gen_open(img, &g, why, sizeof(why)), 0);
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct worker){.f = f,
				       .g = g,
				       .seed = 7919u * (unsigned)(i + 1),
				       .start = &start,
				       .bytes = &bytes,
				       .errors = &errors};
		assert_int_equal(pthread_create(&tids[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&start);
	for (int i = 0; i < NFILES; i++)
		total += f->files[i].size;
	assert_int_equal(atomic_load(&errors), 0);
	/* each thread read every file completely at least ROUNDS times */
	assert_true(atomic_load(&bytes) >= (unsigned long)THREADS * ROUNDS * total);
	assert_int_equal(image_gen_refcount(g), 1);
	image_gen_put(g);
}

static void test_threads_export(void **state)
{
	struct fx *f = *state;

	hammer(f, f->img);
}

static void test_threads_learned_map(void **state)
{
	struct fx *f = *state;

	hammer(f, f->img_noexp);
}

struct whole_reader {
	struct fx *f;
	struct image_gen *g;
	pthread_barrier_t *start;
	atomic_uint *errors;
};

static void read_every_file(struct fx *f, struct image_gen *g, atomic_uint *errors)
{
	unsigned char *buf = malloc(1000000);

	for (int k = 0; k < NFILES; k++) {
		const struct src_file *sf = &f->files[k];
		img_ino ino;
		ssize_t n;

		if (img_resolve(g, sf->rel, true, &ino, NULL) ||
		    (n = img_read(g, ino, buf, 1000000, 0)) < 0 || (size_t)n != sf->size ||
		    memcmp(buf, sf->data, sf->size))
			atomic_fetch_add(errors, 1);
	}
	free(buf);
}

static void *whole_reader_main(void *arg)
{
	struct whole_reader *w = arg;

	pthread_barrier_wait(w->start);
	read_every_file(w->f, w->g, w->errors);
	return NULL;
}

/* Readers working at once on the same files share the decompressed data and
 * fragment blocks: eight threads cost as many decompressions as one. */
static void test_blocks_decompressed_once(void **state)
{
	struct fx *f = *state;
	struct whole_reader w[THREADS];
	pthread_t tids[THREADS];
	pthread_barrier_t start;
	atomic_uint errors = 0;
	struct image_gen *g;
	uint64_t alone;
	char why[256];

	assert_int_equal(image_gen_open(f->img, &g, why, sizeof(why)), 0);
	read_every_file(f, g, &errors);
	alone = img_block_loads(g);
	image_gen_put(g);
	assert_int_equal(errors, 0);
	assert_true(alone > 0);

	assert_int_equal(image_gen_open(f->img, &g, why, sizeof(why)), 0);
	pthread_barrier_init(&start, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		w[i] = (struct whole_reader){.f = f, .g = g, .start = &start, .errors = &errors};
		assert_int_equal(pthread_create(&tids[i], NULL, whole_reader_main, &w[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(tids[i], NULL);
	pthread_barrier_destroy(&start);
	assert_int_equal(errors, 0);
	assert_int_equal(img_block_loads(g), alone);
	image_gen_put(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_export),
		cmocka_unit_test(test_threads_learned_map),
		cmocka_unit_test(test_blocks_decompressed_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
