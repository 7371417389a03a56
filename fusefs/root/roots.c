/* SPDX-License-Identifier: MIT */
/*
 * Node root mounts: one FUSE mount per node at <nfs_root>/<node>.
 *
 * A PXE-role daemon ([server] role = pxe) mounts none: each node gets an
 * unmounted, read-only view of the same union instead (its overlay read
 * from the shared overlays directory, written only by the file server), so
 * that its boot tree shows what the node's root shows.
 */
#include "fusefs/root/root.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fusefs/serve/log.h"
#include "fusefs/serve/mount.h"
#include "fusefs/serve/notify.h"
#include "fusefs/root/overlay_area.h"
#include "fusefs/root/root_lease.h"
#include "fusefs/root/rebase.h"
#include "fusefs/serve/workers.h"
#include "lib/statefile.h"
#include "lib/mkdirp.h"
#include "lib/rmtree.h"

#include <fuse_lowlevel.h>

struct root_paths {
	char overlays[PATH_MAX];
	char mountpoint[PATH_MAX];
	char itab[PATH_MAX];
	char devnum[PATH_MAX];
};

static int root_paths(struct daemon *d, const char *node, struct root_paths *rp)
{
	const struct server_config *srv;
	char dir[PATH_MAX];
	int err;

	pthread_rwlock_rdlock(&d->cfg_lock);
	srv = mapper_server(d->cfg);
	snprintf(rp->overlays, sizeof(rp->overlays), "%s", srv->overlays);
	snprintf(rp->mountpoint, sizeof(rp->mountpoint), "%s/%s", srv->nfs_root, node);
	snprintf(dir, sizeof(dir), "%s/roots", srv->state);
	snprintf(rp->itab, sizeof(rp->itab), "%s/roots/%s.ids", srv->state, node);
	snprintf(rp->devnum, sizeof(rp->devnum), "%s/roots/%s.dev", srv->state, node);
	pthread_rwlock_unlock(&d->cfg_lock);
	err = mkdir_p(dir, 0700);
	if (!err)
		err = mkdir_p(rp->overlays, 0700);
	/* Checked whole at start; a reload may name a new one. */
	if (!err)
		err = overlay_area_dir_at(AT_FDCWD, NULL, rp->overlays);
	return err;
}

/* The device number the root had at its last mount ("MAJOR:MINOR"), 0 if
 * none: NFS-Ganesha puts it in its file handles (fusefs/serve/devnum.h). */
static dev_t root_devnum_read(const char *path)
{
	unsigned int maj, min;
	char *text = NULL;
	size_t len;
	dev_t dev = 0;

	if (statefile_read_path(path, &text, &len) == 0 && sscanf(text, "%u:%u", &maj, &min) == 2)
		dev = makedev(maj, min);
	free(text);
	return dev;
}

static void root_devnum_write(const char *path, dev_t was, dev_t now)
{
	char text[32];
	int n, err;

	if (!now || now == was)
		return;
	n = snprintf(text, sizeof(text), "%u:%u\n", major(now), minor(now));
	err = statefile_replace(path, text, (size_t)n, 0600, (uid_t)-1, (gid_t)-1);
	if (err)
		log_warn("%s: %s", path, strerror(-err));
}

int roots_secure_overlays(struct daemon *d)
{
	char overlays[PATH_MAX];
	int err;

	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(overlays, sizeof(overlays), "%s", mapper_server(d->cfg)->overlays);
	pthread_rwlock_unlock(&d->cfg_lock);
	err = mkdir_p(overlays, 0700);
	if (err) {
		log_err("overlays: cannot make %s: %s", overlays, strerror(-err));
		return err;
	}
	return overlay_area_secure(overlays);
}

static void root_fs_free(struct root_fs *fs)
{
	/* Last: no request of this root can write any more. */
	lease_release(&fs->lease);
	union_fs_destroy(&fs->u);
	listcache_destroy(&fs->lists);
	free(fs);
}

static int open_dirs(struct root_fs *fs, const char *overlays, const char *node)
{
	char work[NODE_NAME_MAX + 8];
	int err;

	fs->u.overlays_fd = open(overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->u.overlays_fd < 0)
		return -errno;
	snprintf(work, sizeof(work), ".work/%s", node);
	/* Root-only: what the node makes must not reach local users. */
	err = overlay_area_node_dir_at(fs->u.overlays_fd, overlays, node);
	if (!err)
		err = overlay_area_dir_at(fs->u.overlays_fd, overlays, ".work");
	if (!err)
		err = overlay_area_dir_at(fs->u.overlays_fd, overlays, work);
	if (err)
		return err;
	fs->u.upper_fd =
		openat(fs->u.overlays_fd, node, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	fs->u.work_fd =
		openat(fs->u.overlays_fd, work, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fs->u.upper_fd < 0 || fs->u.work_fd < 0)
		return -errno;
	return 0;
}

static bool role_is(struct daemon *d, enum server_role role)
{
	bool is;

	pthread_rwlock_rdlock(&d->cfg_lock);
	is = mapper_server(d->cfg)->role == role;
	pthread_rwlock_unlock(&d->cfg_lock);
	return is;
}

/* The PXE role's view: the overlay as the file server keeps it, never
 * written, never prepared (the file server owns the overlays area). */
static int open_dirs_readonly(struct root_fs *fs, const char *overlays, const char *node)
{
	fs->u.overlays_fd = open(overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fs->u.overlays_fd < 0)
		return -errno;
	fs->u.upper_fd =
		openat(fs->u.overlays_fd, node, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fs->u.upper_fd < 0 ? -errno : 0;
}

/* The node's current pin, for the engine (union_fs.pin_get). */
static struct pin *root_pin_get(void *rt)
{
	return node_pin_get(rt);
}

static int root_mount(struct daemon *d, struct node_rt *rt)
{
	struct root_fs *fs = calloc(1, sizeof(*fs));
	struct root_paths rp;
	char opts[256];
	dev_t was;
	int err;

	if (!fs)
		return -ENOMEM;
	fs->d = d;
	fs->rt = rt;
	fs->lease = (struct lease)LEASE_INIT;
	listcache_init(&fs->lists);
	err = union_fs_init(&fs->u, rt->slot, rt->name, &rt->quota, nb_log);
	if (err) {
		listcache_destroy(&fs->lists);
		free(fs);
		return err;
	}
	fs->u.pin_get = root_pin_get;
	fs->u.pin_ctx = rt;
	if (role_is(d, ROLE_PXE)) {
		pthread_rwlock_rdlock(&d->cfg_lock);
		snprintf(rp.overlays, sizeof(rp.overlays), "%s", mapper_server(d->cfg)->overlays);
		pthread_rwlock_unlock(&d->cfg_lock);
		err = open_dirs_readonly(fs, rp.overlays, rt->name);
		if (err) {
			log_err("node %s: overlay %s/%s: %s (role = pxe reads the file server's "
				"overlays; retried at the next reload)",
				rt->name, rp.overlays, rt->name, strerror(-err));
			goto fail;
		}
		goto publish;
	}
	err = root_paths(d, rt->name, &rp);
	/* Before anything of the node's overlay is touched. */
	if (!err && (err = root_lease_take(d, rt, rp.overlays, &fs->lease)))
		goto fail; /* logged */
	if (!err)
		err = open_dirs(fs, rp.overlays, rt->name);
	if (err) {
		log_err("node %s: overlay %s/%s: %s", rt->name, rp.overlays, rt->name,
			strerror(-err));
		goto fail;
	}
	copyup_clean_work(&fs->u);
	rebase_on_mount(fs);
	quota_scan(&fs->u);
	err = itable_open(&fs->u.itab, rp.itab);
	if (err)
		log_warn("node %s: %s: %s (old NFS handles go stale)", rt->name, fs->u.itab.path,
			 strerror(-err));
	err = mkdir_p(rp.mountpoint, 0755);
	if (!err) {
		/* nosuid,nodev: a node's setuid binaries and devices are the
		 * node's, never the server's (NFS clients still honour them). */
		snprintf(opts, sizeof(opts),
			 "allow_other,default_permissions,nosuid,nodev,fsname=netbootfs:%s,"
			 "subtype=netbootfs",
			 rt->name);
		was = root_devnum_read(rp.devnum);
		err = fs_mount_create(rp.mountpoint, &root_ops, fs, opts, was, &d->devnum_retries,
				      &fs->mnt);
		if (!err) {
			root_devnum_write(rp.devnum, was, fs_mount_dev(fs->mnt));
			/* Not yet served: INIT comes after this (root_init). */
			fs_mount_set_readahead(fs->mnt, ROOT_READAHEAD_KIB);
		}
	}
	if (!err)
		err = pool_add_session(d->pool, fs_mount_session(fs->mnt));
	if (err)
		goto fail;
publish:
	__atomic_store_n(&d->roots[rt->slot], fs, __ATOMIC_RELEASE);
	return 0;
fail:
	if (fs->mnt)
		fs_mount_destroy(fs->mnt);
	root_fs_free(fs);
	return err;
}

struct root_fs *root_fs_get(struct daemon *d, unsigned slot)
{
	struct root_fs *fs;

	if (!slot || slot > NODE_SLOT_MAX)
		return NULL;
	fs = __atomic_load_n(&d->roots[slot], __ATOMIC_ACQUIRE);
	if (!fs)
		return NULL;
	atomic_fetch_add(&fs->u.users, 1);
	/* Unmounted meanwhile: it is retired, don't start using it. */
	if (__atomic_load_n(&d->roots[slot], __ATOMIC_ACQUIRE) != fs) {
		atomic_fetch_sub(&fs->u.users, 1);
		return NULL;
	}
	return fs;
}

void root_fs_put(struct root_fs *fs)
{
	if (fs)
		union_fs_put(&fs->u);
}

struct union_fs *node_union_get(struct daemon *d, unsigned slot)
{
	struct root_fs *fs = root_fs_get(d, slot);

	return fs ? &fs->u : NULL;
}

/* Free retired roots nobody uses any more; returns how many remain. */
static unsigned roots_reap(struct daemon *d, bool all)
{
	struct root_fs **pp = &d->retired_roots, *fs;
	unsigned left = 0;

	while ((fs = *pp)) {
		if (!all && atomic_load(&fs->u.users) > 0) {
			left++;
			pp = &fs->retired_next;
			continue;
		}
		*pp = fs->retired_next;
		if (d->notifier)
			notifier_flush(d->notifier); /* nothing queued names it */
		fs_mount_destroy(fs->mnt);
		root_fs_free(fs);
	}
	return left;
}

static void root_unmount(struct daemon *d, unsigned slot)
{
	struct root_fs *fs = d->roots[slot];
	int err;

	if (!fs)
		return;
	__atomic_store_n(&d->roots[slot], NULL, __ATOMIC_RELEASE);
	if (d->pool && fs->mnt)
		pool_remove_session(d->pool, fs_mount_session(fs->mnt));
	fs_mount_unmount(fs->mnt);
	err = fs->mnt ? itable_close(&fs->u.itab) : 0; /* a PXE-role view keeps no ids */
	if (err)
		log_warn("node %s: cannot save %s: %s", fs->rt->name, fs->u.itab.path,
			 strerror(-err));
	/* A TFTP request or an open file may still use it: freed by
	 * roots_reap() once its users are gone. */
	fs->retired_next = d->retired_roots;
	d->retired_roots = fs;
	roots_reap(d, !d->pool);
}

/* Mount the nodes without a root (@waiting: only those waiting for their
 * lease); count those that wait. */
static int mount_missing(struct daemon *d, bool waiting)
{
	int err, ret = 0;

	d->leases_waiting = 0;
	for (unsigned slot = 1; slot <= NODE_SLOT_MAX; slot++) {
		struct node_rt *rt = daemon_node(d, slot);

		if (!rt || d->roots[slot] || (waiting && !root_lease_waits(d, rt)))
			continue;
		err = root_mount(d, rt);
		d->leases_waiting += err == -EBUSY;
		if (err && err != -EBUSY && !ret)
			ret = err;
	}
	return ret;
}

int roots_mount_all(struct daemon *d)
{
	return mount_missing(d, false);
}

void roots_retry_leases(struct daemon *d)
{
	mount_missing(d, true);
}

void roots_detach_all(struct daemon *d)
{
	unsigned slot;

	for (slot = 1; slot <= NODE_SLOT_MAX; slot++) {
		struct root_fs *fs = d->roots[slot];

		if (!fs || !fs->mnt)
			continue;
		pool_remove_session(d->pool, fs_mount_session(fs->mnt));
		fs_mount_unmount(fs->mnt);
	}
}

void roots_unmount_all(struct daemon *d)
{
	unsigned slot;

	for (slot = 1; slot <= NODE_SLOT_MAX; slot++)
		root_unmount(d, slot);
	roots_reap(d, !d->pool);
}

/* Empty a volatile overlay: every entry of the node's overlay dir. */
static void overlay_wipe(struct root_fs *fs)
{
	DIR *dir = host_opendir(fs->u.upper_fd, ".");
	struct dirent *de;
	char tmp[64];
	unsigned n = 0;
	int fd;

	if (!dir)
		return;
	fd = dirfd(dir);
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		/* Move into the work dir first: the overlay is clean at once. */
		snprintf(tmp, sizeof(tmp), "wipe-%u", n++);
		if (renameat(fd, de->d_name, fs->u.work_fd, tmp) != 0)
			continue;
		/* Names only the overlay had: listing the mount later won't
		 * show them, so drop their cached dentries by name now. */
		notifier_inval_entry(fs->d->notifier, fs_mount_session(fs->mnt), FUSE_ROOT_ID,
				     de->d_name);
		rmtree_at(fs->u.work_fd, tmp);
	}
	closedir(dir);
	/* A read must not find an emptied file by its id before the
	 * kernel's FORGET of it arrives. */
	hfd_forget_all(&fs->u.hfd);
	quota_scan(&fs->u);
	root_changed(fs);
}

int roots_reset_overlay(struct daemon *d, unsigned slot)
{
	struct root_fs *fs = slot <= NODE_SLOT_MAX ? d->roots[slot] : NULL;

	if (!fs)
		return -ENOENT;
	if (!fs->mnt)
		return -EROFS; /* a PXE-role view: the file server owns the overlay */
	overlay_wipe(fs);
	notifier_inval_tree(d->notifier, fs_mount_session(fs->mnt), fs_mount_path(fs->mnt));
	log_info("node %s: overlay reset", fs->rt->name);
	return 0;
}

long long roots_last_active_ms(struct daemon *d, unsigned slot, int *open_files)
{
	struct root_fs *fs = root_fs_get(d, slot);
	long long last = 0;

	*open_files = 0;
	if (fs) {
		*open_files = atomic_load(&fs->open_files);
		last = atomic_load(&fs->last_active);
		root_fs_put(fs);
	}
	return last;
}

long roots_idle_seconds(struct daemon *d, unsigned slot, int *open_files)
{
	long long last;

	*open_files = 0;
	if (slot > NODE_SLOT_MAX || !d->roots[slot])
		return -1;
	last = roots_last_active_ms(d, slot, open_files);
	return last ? (long)((mono_ms() - last) / 1000) : -1;
}

struct old_gen_inval {
	struct root_fs *fs;
	unsigned keep; /* the new pin's generation */
	unsigned long queued;
};

static void inval_old_gen_entry(void *ctx, uint64_t id, uint64_t parent, const char *name)
{
	struct old_gen_inval *oi = ctx;
	struct nid n;

	if (!nid_decode(id, &n) || n.kind != NID_IMG || n.gen == oi->keep ||
	    !genholds_count(&oi->fs->u.holds, n.gen))
		return;
	notifier_inval_entry(oi->fs->d->notifier, fs_mount_session(oi->fs->mnt), parent, name);
	oi->queued++;
}

/*
 * After a reboot onto another generation, drop every name of the old one
 * the kernel may have cached, not only the top-level ones: a dentry below
 * a dropped one stays cached (and so its generation loaded) until memory
 * runs short. Names still in use go once closed.
 */
static void inval_old_gens(struct root_fs *fs, const struct image_gen *keep)
{
	struct old_gen_inval oi = {.fs = fs, .keep = keep ? image_gen_id(keep) : 0};

	itable_foreach(&fs->u.itab, inval_old_gen_entry, &oi);
	if (oi.queued)
		log_debug("node %s: dropping %lu cached names of older generations", fs->rt->name,
			  oi.queued);
}

void roots_node_booted(struct daemon *d, struct node_rt *rt, bool repinned)
{
	struct root_fs *fs = root_fs_get(d, rt->slot);
	struct pin *p = node_pin_get(rt);
	bool volatile_overlay = p && p->overlay == OVERLAY_VOLATILE;

	if (!fs)
		goto out;
	if (!fs->mnt) {
		/* A PXE-role view: the file server wipes and rebases the
		 * overlay (it learns of the boot from the boot record); here
		 * only forget where the overlay's directories were. */
		root_changed(fs);
		goto put;
	}
	if (!volatile_overlay && rebase_at_boot(fs, p))
		repinned = true; /* the overlay changed under the kernel's caches */
	if (volatile_overlay) {
		log_info("node %s: volatile overlay emptied", rt->name);
		overlay_wipe(fs);
	}
	if (volatile_overlay || repinned)
		notifier_inval_tree(d->notifier, fs_mount_session(fs->mnt), fs_mount_path(fs->mnt));
	if (repinned)
		inval_old_gens(fs, p ? p->gen : NULL);
put:
	root_fs_put(fs);
out:
	pin_put(p);
}

bool roots_node_up(struct daemon *d, unsigned slot)
{
	struct node_rt *rt = daemon_node(d, slot);
	long long last;
	int open_files;
	long idle = roots_idle_seconds(d, slot, &open_files);
	unsigned gap;

	pthread_rwlock_rdlock(&d->cfg_lock);
	gap = mapper_server(d->cfg)->boot_gap;
	pthread_rwlock_unlock(&d->cfg_lock);
	if (open_files > 0 || (idle >= 0 && idle < 2 * (long)gap))
		return true;
	if (!rt)
		return false;
	pthread_mutex_lock(&rt->lock);
	last = rt->last_tftp;
	pthread_mutex_unlock(&rt->lock);
	return last && mono_ms() - last < (long long)gap * 1000;
}

unsigned roots_unmount_removed(struct daemon *d)
{
	char mountpoint[PATH_MAX];
	unsigned slot, busy = 0;

	for (slot = 1; slot <= NODE_SLOT_MAX; slot++) {
		struct root_fs *fs = d->roots[slot];
		struct node_rt *rt;
		struct pin *p;
		bool listed;

		if (!fs)
			continue;
		pthread_rwlock_rdlock(&d->cfg_lock);
		listed = mapper_find_name(d->cfg, fs->rt->name) != NULL;
		pthread_rwlock_unlock(&d->cfg_lock);
		if (listed)
			continue;
		if (roots_node_up(d, slot)) {
			busy++;
			continue;
		}
		/* The kernel opens files without telling the daemon: it alone
		 * knows whether one is open, and refuses a plain unmount
		 * then. (The session sees the unmount and stops.) */
		if (fs->mnt && umount2(fs_mount_path(fs->mnt), UMOUNT_NOFOLLOW) != 0 &&
		    errno == EBUSY) {
			busy++;
			continue;
		}
		/* No queued invalidation may name the session any more. */
		notifier_flush(d->notifier);
		rt = fs->rt;
		snprintf(mountpoint, sizeof(mountpoint), "%s",
			 fs->mnt ? fs_mount_path(fs->mnt) : "");
		if (fs->mnt)
			log_info("node %s: no longer in the config and idle: unmounting %s",
				 rt->name, mountpoint);
		root_unmount(d, slot); /* retires fs */
		if (mountpoint[0])
			rmdir(mountpoint);
		/* Its pin goes too, so that its generation can close. */
		pthread_mutex_lock(&rt->lock);
		p = rt->pin;
		rt->pin = NULL;
		pthread_mutex_unlock(&rt->lock);
		pin_put(p);
	}
	return busy + roots_reap(d, false);
}
