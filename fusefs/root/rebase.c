/* SPDX-License-Identifier: MIT */
/*
 * upgrade = rebase, the steps (docs/design.md, "Rebasing an overlay"):
 *
 *  1. <overlays>/.work/.rebase/<node>/new is built from <overlays>/<node>
 *     (rebase_walk.c), the node's replaced files hard-linked into
 *     .../archive/files, a report written to .../archive/report;
 *  2. the new tree gets the base xattr of the new generation and the mark
 *     trusted.netbootfs.rebase=<stamp>; everything is synced;
 *  3. renameat2(RENAME_EXCHANGE) of <overlays>/<node> and .../new: the
 *     commit point;
 *  4. the archive is renamed to <overlays>/.archive/<node>/<stamp>, the
 *     mark removed, the old tree (now .../new) removed.
 *
 * After a crash, rebase_on_mount() looks at the mark: on <overlays>/<node>
 * it means step 3 happened, so step 4 is finished; otherwise the work
 * directory is thrown away and the old overlay, untouched, stays.
 */
#include "fusefs/root/rebase.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "fusefs/serve/log.h"
#include "fusefs/serve/mount.h"
#include "fusefs/serve/notify.h"
#include "fusefs/root/rebase_priv.h"
#include "fusefs/root/root.h"
#include "lib/rmtree.h"

#include <fuse_lowlevel.h>

#define XATTR_BASE  "trusted.netbootfs.base"
#define XATTR_MARK  "trusted.netbootfs.rebase"
#define REBASE_DIR  ".work/.rebase"
#define ARCHIVE_DIR ".archive"

struct base_rec {
	char image[IMAGE_NAME_MAX + 1];
	struct image_file_id id;
	unsigned gen;
};

/* NETBOOTFS_TEST_CRASH_AT (read at start into the daemon context): die
 * here as kill -9 would, for the crash tests. */
static void crash_point(struct root_fs *fs, const char *step)
{
	const char *at = fs->d->test_crash_at;

	if (at && !strcmp(at, step)) {
		log_warn("node %s: rebase: test crash at step %s", fs->rt->name, step);
		raise(SIGKILL);
	}
}

static int open_dir(int at, const char *path)
{
	return openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static int base_read(int dirfd, struct base_rec *b)
{
	char v[256];
	ssize_t n = fgetxattr(dirfd, XATTR_BASE, v, sizeof(v) - 1);

	if (n < 0)
		return -errno;
	v[n] = '\0';
	return image_base_parse(v, b->image, &b->id, &b->gen);
}

static int base_write(int dirfd, struct image_gen *g)
{
	char v[256];
	int n = image_base_format(g, v, sizeof(v));

	if (n < 0)
		return n;
	return fsetxattr(dirfd, XATTR_BASE, v, (size_t)n, 0) == 0 ? 0 : -errno;
}

static bool base_is(const struct base_rec *b, struct image_gen *g)
{
	struct image_file_id id;

	image_gen_file_id(g, &id);
	return !strcmp(b->image, image_gen_name(g)) && b->id.ino == id.ino &&
	       b->id.size == id.size && b->id.mtime_ns == id.mtime_ns;
}

static void fsync_dir(int at, const char *path)
{
	int fd = open_dir(at, path);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Step 3. Where the filesystem refuses RENAME_EXCHANGE (GlusterFS, NFS,
 * CephFS): the old tree goes to .../old, the new one to <overlays>/<node>,
 * .../old to .../new. A crash after the first rename leaves no
 * <overlays>/<node> (the next mount makes an empty one):
 * undo_moved_old() puts .../old back. */
static int commit_exchange(struct root_fs *fs, int wdir, const char *node)
{
	int err = renamex_try_exchange(&fs->caps, wdir, "new", fs->u.overlays_fd, node);

	if (err <= 0)
		return err;
	if (renameat(fs->u.overlays_fd, node, wdir, "old") != 0)
		return -errno;
	crash_point(fs, "moved-old");
	if (renameat(wdir, "new", fs->u.overlays_fd, node) != 0) {
		err = -errno;
		renameat(wdir, "old", fs->u.overlays_fd, node);
		return err;
	}
	return renameat(wdir, "old", wdir, "new") != 0 ? -errno : 0;
}

/* Handlers use the fd number: make it name what <overlays>/<node> is now. */
static void reopen_upper(struct root_fs *fs)
{
	const char *node = fs->rt->name;
	int upper = openat(fs->u.overlays_fd, node, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (upper < 0 || dup3(upper, fs->u.upper_fd, O_CLOEXEC) < 0)
		log_err("node %s: rebase: cannot reopen the overlay: %s", node, strerror(errno));
	if (upper >= 0)
		close(upper);
}

/* A crash inside commit_exchange() after its first rename: the old overlay
 * is .../old, and <overlays>/<node> is missing or the empty one the mount
 * made (no mark). Put the old one back; -1 if that fails (keep .../old). */
static int undo_moved_old(struct root_fs *fs, int wdir, int upper)
{
	const char *node = fs->rt->name;

	if (faccessat(wdir, "old", F_OK, AT_SYMLINK_NOFOLLOW) != 0)
		return 0;
	if (upper >= 0 && fgetxattr(upper, XATTR_MARK, NULL, 0) >= 0)
		return 0; /* committed: .../old is the old tree, to remove */
	if ((unlinkat(fs->u.overlays_fd, node, AT_REMOVEDIR) != 0 && errno != ENOENT) ||
	    renameat(wdir, "old", fs->u.overlays_fd, node) != 0) {
		log_err("node %s: rebase: cannot put the old overlay back from %s/%s/old: %s", node,
			REBASE_DIR, node, strerror(errno));
		return -1;
	}
	reopen_upper(fs);
	return 0;
}

/* Step 4, or the undo of steps 1-2: see the top of the file. */
static void finish_or_undo(struct root_fs *fs)
{
	const char *node = fs->rt->name;
	char stamp[64], where[PATH_MAX];
	int rdir = open_dir(fs->u.overlays_fd, REBASE_DIR), upper, wdir;
	ssize_t n;

	if (rdir < 0)
		return;
	wdir = open_dir(rdir, node);
	if (wdir < 0) {
		close(rdir);
		return;
	}
	upper = open_dir(fs->u.overlays_fd, node);
	if (undo_moved_old(fs, wdir, upper) != 0) {
		if (upper >= 0)
			close(upper);
		close(wdir);
		close(rdir);
		return;
	}
	if (upper >= 0)
		close(upper);
	upper = open_dir(fs->u.overlays_fd, node);
	n = upper >= 0 ? fgetxattr(upper, XATTR_MARK, stamp, sizeof(stamp) - 1) : -1;
	if (n > 0) {
		stamp[n] = '\0';
		snprintf(where, sizeof(where), ARCHIVE_DIR "/%s", node);
		mkdirat(fs->u.overlays_fd, ARCHIVE_DIR, 0700);
		mkdirat(fs->u.overlays_fd, where, 0700);
		snprintf(where, sizeof(where), ARCHIVE_DIR "/%s/%s", node, stamp);
		if (renameat(wdir, "archive", fs->u.overlays_fd, where) == 0) {
			snprintf(where, sizeof(where), ARCHIVE_DIR "/%s", node);
			fsync_dir(fs->u.overlays_fd, where);
		}
		crash_point(fs, "archived");
		fremovexattr(upper, XATTR_MARK);
		fsync(upper);
		log_info("node %s: rebase %s complete: archive %s/%s", node, stamp, ARCHIVE_DIR,
			 node);
	} else {
		log_info("node %s: an unfinished rebase was undone: the overlay is as before",
			 node);
	}
	if (upper >= 0)
		close(upper);
	close(wdir);
	rmtree_at(rdir, node);
	fsync(rdir);
	close(rdir);
}

void rebase_on_mount(struct root_fs *fs)
{
	struct pin *p = node_pin_get(fs->rt);
	struct base_rec b;
	int upper;

	finish_or_undo(fs);
	upper = open_dir(fs->u.overlays_fd, fs->rt->name);
	if (upper >= 0 && p && p->gen && base_read(upper, &b) == -ENODATA)
		base_write(upper, p->gen);
	if (upper >= 0)
		close(upper);
	pin_put(p);
}

/* The node's policy and persist globs, copied out of the config. */
static bool node_policy(struct root_fs *fs, char ***persist, size_t *n, char *overlays, size_t size)
{
	struct daemon *d = fs->d;
	const struct node *nd;
	bool rebase = false;

	*persist = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&d->cfg_lock);
	nd = mapper_find_name(d->cfg, fs->rt->name);
	snprintf(overlays, size, "%s", mapper_server(d->cfg)->overlays);
	if (nd && nd->upgrade == UPGRADE_REBASE) {
		*persist = calloc(nd->n_persist + 1, sizeof(char *));
		for (size_t i = 0; *persist && i < nd->n_persist; i++)
			if (((*persist)[i] = strdup(nd->persist[i])))
				(*n)++;
		rebase = *persist != NULL;
	}
	pthread_rwlock_unlock(&d->cfg_lock);
	return rebase;
}

static void make_stamp(struct root_fs *fs, char *buf, size_t size)
{
	char path[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	size_t len;

	gmtime_r(&now, &tm);
	len = strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
	for (unsigned i = 1; i < 1000; i++) {
		snprintf(path, sizeof(path), ARCHIVE_DIR "/%s/%s", fs->rt->name, buf);
		if (faccessat(fs->u.overlays_fd, path, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
			return;
		snprintf(buf + len, size - len, "-%u", i);
	}
}

static int write_report(int wdir, const char *text, size_t len)
{
	int fd = openat(wdir, "archive/report", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		err = -EIO;
	close(fd);
	return err;
}

/* Drop the kernel's cached names the old overlay had at its top. */
static void inval_old_top(struct root_fs *fs, int wdir)
{
	DIR *d = host_opendir(wdir, "new");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			notifier_inval_entry(fs->d->notifier, fs_mount_session(fs->mnt),
					     FUSE_ROOT_ID, de->d_name);
	closedir(d);
}

/* Steps 1-3 with @c's persist list; 0 once the new overlay is in place. */
static int rebase_swap(struct root_fs *fs, struct rb_ctx *c, const char *overlays)
{
	const char *node = fs->rt->name;
	char stamp[64], sub[PATH_MAX], *text = NULL;
	int wdir = -1, err;
	size_t len = 0;

	mkdirat(fs->u.overlays_fd, REBASE_DIR, 0700);
	snprintf(sub, sizeof(sub), REBASE_DIR "/%s", node);
	if (mkdirat(fs->u.overlays_fd, sub, 0700) != 0)
		return -errno;
	wdir = open_dir(fs->u.overlays_fd, sub);
	if (wdir < 0)
		return -errno;
	if ((size_t)snprintf(c->tmpdir, sizeof(c->tmpdir), "%s/%s/tmp", overlays, sub) >=
	    sizeof(c->tmpdir)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	if (mkdirat(wdir, "new", 0700) || mkdirat(wdir, "archive", 0700) ||
	    mkdirat(wdir, "archive/files", 0700) || mkdirat(wdir, "tmp", 0700)) {
		err = -errno;
		goto out;
	}
	c->odir = open_dir(fs->u.overlays_fd, node);
	c->rdir = open_dir(wdir, "new");
	c->adir = open_dir(wdir, "archive/files");
	c->report = open_memstream(&text, &len);
	if (c->odir < 0 || c->rdir < 0 || c->adir < 0 || !c->report) {
		err = -errno;
		goto out;
	}
	make_stamp(fs, stamp, sizeof(stamp));
	err = rebase_build(c);
	crash_point(fs, "built");
	fclose(c->report);
	c->report = NULL;
	if (!err) {
		char head[512];
		int n = snprintf(head, sizeof(head),
				 "rebase %s: onto %s generation %u: %u merged, %u conflicts, "
				 "%u archived, %u restored; archive %s/%s/%s\n",
				 stamp, image_gen_name(c->new), image_gen_id(c->new), c->merged,
				 c->conflicts, c->archived, c->restored, ARCHIVE_DIR, node, stamp);
		char *all = malloc((size_t)n + len + 1);

		if (!all)
			err = -ENOMEM;
		else {
			memcpy(all, head, (size_t)n);
			memcpy(all + n, text ? text : "", len);
			err = write_report(wdir, all, (size_t)n + len);
			free(all);
		}
	}
	if (!err)
		err = base_write(c->rdir, c->new);
	if (!err && fsetxattr(c->rdir, XATTR_MARK, stamp, strlen(stamp), 0) != 0)
		err = -errno;
	if (!err && syncfs(c->rdir) != 0)
		err = -errno;
	if (err)
		goto out;
	crash_point(fs, "synced");
	err = commit_exchange(fs, wdir, node);
	if (err)
		goto out;
	fsync(wdir);
	fsync_dir(fs->u.overlays_fd, ".");
	crash_point(fs, "exchanged");
	reopen_upper(fs);
	hfd_forget_all(&fs->u.hfd);
	root_changed(fs);
	inval_old_top(fs, wdir);
	log_info("node %s: rebased onto image %s generation %u: %u merged, %u conflicts, %u "
		 "archived, %u restored",
		 node, image_gen_name(c->new), image_gen_id(c->new), c->merged, c->conflicts,
		 c->archived, c->restored);
out:
	if (c->report)
		fclose(c->report);
	free(text);
	for (int *fd = &c->odir; fd <= &c->adir; fd++)
		if (*fd >= 0)
			close(*fd);
	close(wdir);
	return err;
}

bool rebase_at_boot(struct root_fs *fs, struct pin *p)
{
	struct rb_ctx c = {.node = fs->rt->name, .odir = -1, .rdir = -1, .adir = -1};
	char overlays[PATH_MAX], **persist;
	struct base_rec b;
	size_t n_persist;
	bool rebase;
	int upper, err;

	if (!p || !p->gen || p->overlay != OVERLAY_PERSISTENT)
		return false;
	upper = open_dir(fs->u.overlays_fd, fs->rt->name);
	if (upper < 0)
		return false;
	err = base_read(upper, &b);
	rebase = node_policy(fs, &persist, &n_persist, overlays, sizeof(overlays));
	if (err || base_is(&b, p->gen) || !rebase) {
		if (err || !base_is(&b, p->gen))
			base_write(upper, p->gen); /* keep: the node's copies win */
		close(upper);
		goto out;
	}
	close(upper);
	err = catalog_find_gen(fs->d->catalog, b.image, &b.id, &c.old);
	if (err) {
		log_warn("node %s: cannot rebase: its overlay's base, image %s generation %u, is "
			 "gone (not open, not in <images>/.history): the node's copies stay over "
			 "the new image",
			 fs->rt->name, b.image, b.gen);
		upper = open_dir(fs->u.overlays_fd, fs->rt->name);
		if (upper >= 0) {
			base_write(upper, p->gen);
			close(upper);
		}
		rebase = false;
		goto out;
	}
	c.new = p->gen;
	c.persist = (const char *const *)persist;
	c.n_persist = n_persist;
	pthread_mutex_lock(&fs->u.copyup_lock);
	err = rebase_swap(fs, &c, overlays);
	pthread_mutex_unlock(&fs->u.copyup_lock);
	if (err)
		log_err("node %s: rebase onto image %s generation %u failed, the overlay is as "
			"before: %s",
			fs->rt->name, image_gen_name(p->gen), image_gen_id(p->gen), strerror(-err));
	finish_or_undo(fs);
	if (!err)
		quota_scan(&fs->u); /* what the overlay holds now, links to the old tree gone */
	image_gen_put(c.old);
	rebase = !err;
out:
	for (size_t i = 0; persist && i < n_persist; i++)
		free(persist[i]);
	free(persist);
	return rebase;
}
