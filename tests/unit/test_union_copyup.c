/* SPDX-License-Identifier: MIT */
/*
 * Copy-up (fusefs/union/copyup.c) on a real squashfs image and overlay:
 * every file type keeps its id, its owner, mode, times, bytes, link target
 * or device number; parents come first with their own ids; a copy the
 * quota refuses leaves nothing; the work dir is left empty.
 */
#include "tests/unit/union_fixture.h"

static uint64_t origin_of(struct ufx *f, const char *rel)
{
	char *p = fx_path(f->upper, rel);
	uint64_t v = 0;

	assert_int_equal(lgetxattr(p, XATTR_ORIGIN, &v, sizeof(v)), 8);
	free(p);
	return v;
}

static void host_stat(struct ufx *f, const char *rel, struct stat *st)
{
	char *p = fx_path(f->upper, rel);

	assert_int_equal(lstat(p, st), 0);
	free(p);
}

static bool work_dir_empty(struct ufx *f)
{
	DIR *d = opendir(f->work);
	struct dirent *de;
	bool empty = true;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			empty = false;
	closedir(d);
	return empty;
}

/*
 * Copy @name of union directory @dir up; check the copy has the type,
 * owner, mode, mtime (and device) of the lower object and that a lookup
 * now finds it in the overlay under the same id. Returns the id.
 */
static uint64_t copy_and_check(struct ufx *f, const char *dir, const char *name, mode_t type)
{
	char rel[PATH_MAX];
	struct dirlayers dl;
	struct uobj before, after;
	struct stat st;

	snprintf(rel, sizeof(rel), "%s%s%s", dir, *dir ? "/" : "", name);
	uf_open_dir(f, dir, &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, name, &before), 0);
	assert_int_not_equal(before.top, L_UPPER);
	assert_int_equal(before.st.st_mode & S_IFMT, type);
	assert_int_equal(copyup(&f->fs, f->p, &dl, name, &before), 0);
	assert_true(dl.upper_fd >= 0);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, name, &after), 0);
	layers_close(&dl);

	assert_int_equal(after.top, L_UPPER);
	assert_int_equal(after.id, before.id);
	assert_int_equal(after.st.st_ino, before.id);
	assert_int_equal(after.fh_gen, 0);
	assert_int_equal(origin_of(f, rel), before.id);
	host_stat(f, rel, &st);
	assert_int_equal(st.st_mode, before.st.st_mode);
	assert_int_equal(st.st_uid, before.st.st_uid);
	assert_int_equal(st.st_gid, before.st.st_gid);
	assert_int_equal(st.st_mtime, before.st.st_mtime);
	if (S_ISCHR(type) || S_ISBLK(type))
		assert_int_equal(st.st_rdev, before.st.st_rdev);
	assert_true(work_dir_empty(f));
	return before.id;
}

/* A regular file deep in the image: its bytes, owner, mode, mtime and
 * xattrs; its parent directories are copied first, each with its id. */
static void test_regular_file(void **state)
{
	struct ufx *f = *state;
	struct stat st;
	char *s, *p, v[16] = "";
	int64_t used;

	assert_int_equal(copy_and_check(f, "dir/sub", "c", S_IFREG), uf_img_id(f, "dir/sub/c"));
	s = uf_read(f->upper, "dir/sub/c");
	assert_string_equal(s, "deep\n");
	free(s);
	host_stat(f, "dir/sub/c", &st);
	assert_int_equal(st.st_mode, S_IFREG | 0640);
	assert_int_equal(st.st_uid, 1234);
	assert_int_equal(st.st_gid, 5678);
	assert_int_equal(st.st_mtime, UF_MTIME);
	p = fx_path(f->upper, "dir/sub/c");
	assert_int_equal(lgetxattr(p, "user.note", v, sizeof(v)), 4);
	assert_memory_equal(v, "kept", 4);
	free(p);
	assert_int_equal(origin_of(f, "dir"), uf_img_id(f, "dir"));
	assert_int_equal(origin_of(f, "dir/sub"), uf_img_id(f, "dir/sub"));
	/* The quota counts what the copy-up made: two dirs and the file. */
	used = 0;
	host_stat(f, "dir", &st);
	used += (int64_t)st.st_blocks * 512;
	host_stat(f, "dir/sub", &st);
	used += (int64_t)st.st_blocks * 512;
	host_stat(f, "dir/sub/c", &st);
	used += (int64_t)st.st_blocks * 512;
	assert_int_equal(atomic_load(&f->fs.quota_used), used);
}

static void test_symlink(void **state)
{
	struct ufx *f = *state;
	char target[64] = "", *p;

	copy_and_check(f, "", "link", S_IFLNK);
	p = fx_path(f->upper, "link");
	assert_int_equal(readlink(p, target, sizeof(target)), 12);
	assert_memory_equal(target, "etc/hostname", 12);
	free(p);
}

static void test_fifo(void **state)
{
	copy_and_check(*state, "", "fifo", S_IFIFO);
}

static void test_char_device(void **state)
{
	struct ufx *f = *state;
	struct stat st;

	copy_and_check(f, "", "chr", S_IFCHR);
	host_stat(f, "chr", &st);
	assert_int_equal(st.st_rdev, makedev(1, 3));
}

static void test_socket(void **state)
{
	copy_and_check(*state, "", "sock", S_IFSOCK);
}

/* A directory: made in the overlay, merged with the image below. */
static void test_directory(void **state)
{
	struct ufx *f = *state;
	struct uobj o;

	copy_and_check(f, "", "dir", S_IFDIR);
	assert_int_equal(uf_lookup(f, "dir", "a", &o), 0);
	assert_int_equal(o.top, L_IMAGE); /* only the directory was copied */
}

/* A generated file and a shared layer's file keep their ids too. */
static void test_generated_and_shared(void **state)
{
	struct ufx *f = *state;
	char *s;

	copy_and_check(f, "etc", "gen.conf", S_IFREG);
	s = uf_read(f->upper, "etc/gen.conf");
	assert_string_equal(s, "generated\n");
	free(s);
	copy_and_check(f, "", "shared.txt", S_IFREG);
	s = uf_read(f->upper, "shared.txt");
	assert_string_equal(s, "shared\n");
	free(s);
}

static struct pin *current_pin(void *p)
{
	return pin_ref(p);
}

/* A lower file open before its copy-up reads the copy afterwards. */
static void test_open_file_follows(void **state)
{
	struct ufx *f = *state;
	struct ufile *uf = ufile_new();
	struct dirlayers dl;
	struct uobj o;
	bool keep;
	char buf[16] = "";
	int fd;

	uf_open_dir(f, "dir", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "a", &o), 0);
	assert_int_equal(ufile_open_ro(&f->fs, f->p, &dl, "a", &o, uf, &keep), 0);
	assert_int_equal(ufile_data_fd(uf), -1); /* the image's bytes */
	assert_int_equal(itable_set(&f->fs.itab, uf_img_id(f, "dir"), 1, "dir"), 0);
	assert_int_equal(itable_set(&f->fs.itab, o.id, uf_img_id(f, "dir"), "a"), 0);
	assert_int_equal(copyup(&f->fs, f->p, &dl, "a", &o), 0);
	layers_close(&dl);
	fx_write_str(f->upper, "dir/a", "changed\n");
	f->fs.pin_get = current_pin;
	f->fs.pin_ctx = f->p;
	fd = ufile_data_fd(uf);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), 8);
	assert_memory_equal(buf, "changed\n", 8);
	ufile_close(uf);
}

/* An image's 0/0 character device would be a whiteout in the overlay:
 * never copied (EPERM), nothing made. */
static void test_whiteout_device_refused(void **state)
{
	struct ufx *f = *state;
	struct dirlayers dl;
	struct uobj o;
	struct stat st;
	char *p;

	uf_open_dir(f, "", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "wh", &o), 0);
	assert_int_equal(o.top, L_IMAGE);
	assert_int_equal(copyup(&f->fs, f->p, &dl, "wh", &o), -EPERM);
	layers_close(&dl);
	p = fx_path(f->upper, "wh");
	assert_int_equal(lstat(p, &st), -1);
	assert_int_equal(errno, ENOENT);
	free(p);
}

/* Past the quota the copy is refused before anything is made, once
 * logged. */
static void test_quota_refused(void **state)
{
	struct ufx *f = *state;
	struct dirlayers dl;
	struct uobj o;
	struct stat st;
	char *p;

	atomic_store(&f->quota_limit, 4); /* "deep\n" is 5 bytes */
	uf_open_dir(f, "dir/sub", &dl);
	assert_int_equal(layers_lookup(&f->fs, f->p, &dl, "c", &o), 0);
	assert_int_equal(copyup(&f->fs, f->p, &dl, "c", &o), -EDQUOT);
	assert_int_equal(copyup(&f->fs, f->p, &dl, "c", &o), -EDQUOT);
	layers_close(&dl);
	p = fx_path(f->upper, "dir");
	assert_int_equal(lstat(p, &st), -1); /* not even the parent */
	free(p);
	assert_string_equal(uf_log,
			    "4 node n1: overlay at its quota (0 of 4 bytes used): EDQUOT\n");
}

/* What a crash left in the work dir goes at the next mount, logged. */
static void test_clean_work(void **state)
{
	struct ufx *f = *state;

	fx_write_str(f->work, "cu-0000000000000001-0", "partial");
	fx_mkdirs(f->work, "gone-tree/sub");
	copyup_clean_work(&f->fs);
	assert_true(work_dir_empty(f));
	assert_true(strstr(uf_log, "6 node n1: removed cu-0000000000000001-0, left in the work "
				   "dir by a crash\n") != NULL);
	assert_true(strstr(uf_log, "6 node n1: removed gone-tree, left in the work dir by a "
				   "crash\n") != NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_regular_file, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_symlink, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_fifo, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_char_device, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_socket, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_directory, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_generated_and_shared, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_open_file_follows, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_whiteout_device_refused, uf_setup,
						uf_teardown),
		cmocka_unit_test_setup_teardown(test_quota_refused, uf_setup, uf_teardown),
		cmocka_unit_test_setup_teardown(test_clean_work, uf_setup, uf_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
