/* SPDX-License-Identifier: MIT */
/*
 * Installing an image and rolling back, atomically for the daemon:
 * <name>.sqfs is only ever replaced by rename(2), after the new file was
 * copied, fsync'ed, validated and verified (every block read and
 * decompressed, as image_verify). The replaced file is first hard-linked
 * into <images>/.history/<name>.<UTC stamp>[-N].sqfs, so there is no
 * moment without a <name>.sqfs. The stamp is the image's mkfs time (its
 * mtime if the superblock has none).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "images/image_priv.h"
#include "lib/statefile.h"
#include "lib/writeall.h"

#define HISTORY_DIR ".history"
#define STAMP_LEN   16 /* YYYYmmddTHHMMSSZ */
#define COPY_CHUNK  (1u << 20)
#define MAX_SEQ	    1000

static int copy_fd(int in, int out)
{
	char *buf = malloc(COPY_CHUNK);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(in, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		err = write_all(out, buf, (size_t)n);
		if (err)
			break;
	}
	free(buf);
	return err;
}

/* "<name>.<stamp>[-N].sqfs" -> stamp and N; false for other files. */
static bool history_parse(const char *name, const char *file, char stamp[STAMP_LEN + 1],
			  unsigned *seq)
{
	size_t nl = strlen(name), fl = strlen(file);
	const char *p = file + nl + 1;
	const char *end = file + fl - 5;

	if (fl < nl + 1 + STAMP_LEN + 5 || strncmp(file, name, nl) || file[nl] != '.' ||
	    strcmp(end, ".sqfs"))
		return false;
	for (int i = 0; i < STAMP_LEN; i++) {
		char ch = p[i];
		bool ok = i == 8 ? ch == 'T' : i == 15 ? ch == 'Z' : (ch >= '0' && ch <= '9');

		if (!ok)
			return false;
	}
	memcpy(stamp, p, STAMP_LEN);
	stamp[STAMP_LEN] = '\0';
	p += STAMP_LEN;
	*seq = 0;
	if (p == end)
		return true;
	if (*p != '-' || p + 1 == end)
		return false;
	for (p++; p < end; p++) {
		if (*p < '0' || *p > '9' || *seq > MAX_SEQ)
			return false;
		*seq = *seq * 10 + (unsigned)(*p - '0');
	}
	return true;
}

struct hist_item {
	struct image_history_entry e;
	char stamp[STAMP_LEN + 1];
	unsigned seq;
};

static int hist_cmp(const void *a, const void *b)
{
	const struct hist_item *x = a, *y = b;
	int c = strcmp(y->stamp, x->stamp);

	if (c)
		return c;
	return (y->seq > x->seq) - (y->seq < x->seq);
}

/* History of @name, newest first. */
static int history_list(const char *images_dir, const char *name, struct hist_item **out, size_t *n)
{
	struct hist_item *items = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;
	char *dir;
	DIR *d;
	int err = 0;

	*out = NULL;
	*n = 0;
	if (asprintf(&dir, "%s/%s", images_dir, HISTORY_DIR) < 0)
		return -ENOMEM;
	d = opendir(dir);
	free(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		struct hist_item it = {0};
		struct stat st;

		if (!history_parse(name, de->d_name, it.stamp, &it.seq))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		snprintf(it.e.file, sizeof(it.e.file), "%s", de->d_name);
		it.e.mtime = st.st_mtim.tv_sec;
		it.e.size = (uint64_t)st.st_size;
		if (count == cap) {
			struct hist_item *bigger;

			cap = cap ? cap * 2 : 8;
			bigger = realloc(items, cap * sizeof(*bigger));
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			items = bigger;
		}
		items[count++] = it;
	}
	closedir(d);
	if (err) {
		free(items);
		return err;
	}
	if (count)
		qsort(items, count, sizeof(*items), hist_cmp);
	*out = items;
	*n = count;
	return 0;
}

int image_history(const char *images_dir, const char *name, struct image_history_entry **out,
		  size_t *n)
{
	struct hist_item *items;
	struct image_history_entry *arr;
	size_t count;
	int err;

	*out = NULL;
	*n = 0;
	if (!image_name_valid(name))
		return -EINVAL;
	err = history_list(images_dir, name, &items, &count);
	if (err)
		return err;
	arr = calloc(count ? count : 1, sizeof(*arr));
	if (!arr) {
		free(items);
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++)
		arr[i] = items[i].e;
	free(items);
	*out = arr;
	*n = count;
	return 0;
}

static int history_prune(const char *images_dir, const char *name, unsigned keep)
{
	struct hist_item *items;
	size_t count;
	int err;

	err = history_list(images_dir, name, &items, &count);
	for (size_t i = keep; !err && i < count; i++) {
		char *path;

		if (asprintf(&path, "%s/%s/%s", images_dir, HISTORY_DIR, items[i].e.file) < 0) {
			err = -ENOMEM;
			break;
		}
		if (unlink(path) < 0 && errno != ENOENT)
			err = -errno;
		free(path);
	}
	free(items);
	return err;
}

static unsigned history_next_seq(const char *dir, const char *name, const char *stamp)
{
	char st[STAMP_LEN + 1];
	DIR *d = opendir(dir);
	struct dirent *de;
	unsigned seq, next = 0;

	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (history_parse(name, de->d_name, st, &seq) && !strcmp(st, stamp) &&
		    seq + 1 > next)
			next = seq + 1;
	closedir(d);
	return next;
}

/* Hard-link the current image into the history under its stamp. */
static int history_keep(const char *images_dir, const char *name, const char *cur, char *why,
			size_t whylen)
{
	char stamp[STAMP_LEN + 1];
	struct image_info info;
	struct stat st;
	struct tm tm;
	time_t t;
	char *dir;
	int err = 0;

	if (stat(cur, &st) < 0) {
		err = -errno;
		why_set(why, whylen, "%s: %s", cur, strerror(-err));
		return err;
	}
	t = image_validate(cur, &info, NULL, 0) == 0 && info.mkfs_time ? info.mkfs_time
								       : st.st_mtim.tv_sec;
	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	if (asprintf(&dir, "%s/%s", images_dir, HISTORY_DIR) < 0)
		return -ENOMEM;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		err = -errno;
		why_set(why, whylen, "%s: %s", dir, strerror(-err));
		goto out;
	}
	/* After the highest suffix already used for this stamp, never a
	 * freed lower one: history must sort in the order files left. */
	for (unsigned seq = history_next_seq(dir, name, stamp); seq < MAX_SEQ; seq++) {
		char *path;
		int r;

		r = seq ? asprintf(&path, "%s/%s.%s-%u.sqfs", dir, name, stamp, seq)
			: asprintf(&path, "%s/%s.%s.sqfs", dir, name, stamp);
		if (r < 0) {
			err = -ENOMEM;
			goto out;
		}
		r = link(cur, path);
		err = r < 0 ? -errno : 0;
		free(path);
		if (err != -EEXIST)
			break;
	}
	if (err)
		why_set(why, whylen, "cannot keep %s in %s: %s", cur, dir, strerror(-err));
	else
		err = statefile_sync_dir(AT_FDCWD, dir);
out:
	free(dir);
	return err;
}

/* Put @src (already validated, on the same filesystem) in place of the
 * current image, keeping the current one in the history. */
static int replace_current(const char *images_dir, const char *name, const char *src,
			   unsigned keep_history, char *why, size_t whylen)
{
	char *cur;
	int err = 0;

	if (asprintf(&cur, "%s/%s.sqfs", images_dir, name) < 0)
		return -ENOMEM;
	if (access(cur, F_OK) == 0)
		err = history_keep(images_dir, name, cur, why, whylen);
	if (!err && rename(src, cur) < 0) {
		err = -errno;
		why_set(why, whylen, "rename to %s: %s", cur, strerror(-err));
	}
	if (!err)
		err = statefile_sync_dir(AT_FDCWD, images_dir);
	if (!err) {
		char *hist;

		if (asprintf(&hist, "%s/%s", images_dir, HISTORY_DIR) < 0)
			err = -ENOMEM;
		else if ((err = statefile_sync_dir(AT_FDCWD, hist)) == -ENOENT)
			err = 0;
		free(hist);
	}
	if (!err) {
		err = history_prune(images_dir, name, keep_history);
		if (err)
			why_set(why, whylen, "pruning the history: %s", strerror(-err));
	}
	free(cur);
	return err;
}

int image_install(const char *images_dir, const char *src_path, const char *name,
		  unsigned keep_history, char *why, size_t whylen)
{
	return image_install_progress(images_dir, src_path, name, keep_history, NULL, NULL, why,
				      whylen);
}

int image_install_progress(const char *images_dir, const char *src_path, const char *name,
			   unsigned keep_history, image_progress_fn progress, void *ctx, char *why,
			   size_t whylen)
{
	char *tmp = NULL;
	int in = -1, out = -1;
	int err;

	if (!image_name_valid(name)) {
		why_set(why, whylen, "invalid image name \"%s\"", name);
		return -EINVAL;
	}
	in = open(src_path, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		err = -errno;
		why_set(why, whylen, "%s: %s", src_path, strerror(-err));
		return err;
	}
	if (asprintf(&tmp, "%s/.%s.sqfs.tmp.XXXXXX", images_dir, name) < 0) {
		close(in);
		return -ENOMEM;
	}
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		err = -errno;
		why_set(why, whylen, "%s: %s", images_dir, strerror(-err));
		goto out_free;
	}
	err = copy_fd(in, out);
	if (!err && (fchmod(out, 0644) < 0 || fsync(out) < 0))
		err = -errno;
	if (close(out) < 0 && !err)
		err = -errno;
	if (err) {
		why_set(why, whylen, "copying %s: %s", src_path, strerror(-err));
		goto out_unlink;
	}
	err = image_validate(tmp, NULL, why, whylen);
	if (err)
		goto out_unlink;
	err = image_verify(tmp, progress, ctx, why, whylen);
	if (err) {
		char reason[400];

		snprintf(reason, sizeof(reason), "%s", why ? why : "");
		why_set(why, whylen, "%s: %s", src_path, reason);
		goto out_unlink;
	}
	err = replace_current(images_dir, name, tmp, keep_history, why, whylen);
	if (!err)
		goto out_free;
out_unlink:
	unlink(tmp);
out_free:
	close(in);
	free(tmp);
	return err;
}

int image_rollback(const char *images_dir, const char *name, unsigned keep_history, char *why,
		   size_t whylen)
{
	struct hist_item *items;
	size_t count;
	char *prev;
	int err;

	if (!image_name_valid(name)) {
		why_set(why, whylen, "invalid image name \"%s\"", name);
		return -EINVAL;
	}
	err = history_list(images_dir, name, &items, &count);
	if (err) {
		why_set(why, whylen, "reading the history: %s", strerror(-err));
		return err;
	}
	if (!count) {
		free(items);
		why_set(why, whylen, "no history for %s", name);
		return -ENOENT;
	}
	if (asprintf(&prev, "%s/%s/%s", images_dir, HISTORY_DIR, items[0].e.file) < 0) {
		free(items);
		return -ENOMEM;
	}
	free(items);
	err = image_validate(prev, NULL, why, whylen);
	if (err) {
		char reason[200];

		snprintf(reason, sizeof(reason), "%s", why ? why : "");
		why_set(why, whylen, "%s: %s", prev, reason);
	}
	if (!err)
		err = replace_current(images_dir, name, prev, keep_history, why, whylen);
	free(prev);
	return err;
}
