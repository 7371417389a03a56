/* SPDX-License-Identifier: MIT */
/* A look at the images and the config file every few seconds when they are
 * on shared storage. */
#include <errno.h>
#include <string.h>
#include <sys/vfs.h>
#include <time.h>

#include "fusefs/context.h"
#include "fusefs/sharedpoll.h"
#include "fusefs/serve/log.h"

/* File systems that other machines write too (linux/magic.h and the
 * CIFS/SMB2 clients): FUSE (GlusterFS, CephFS's ceph-fuse, sshfs), NFS,
 * the kernel's CephFS, SMB. */
static const char *shared_fs_name(long type)
{
	switch ((unsigned long)type) {
	case 0x65735546UL:
		return "FUSE";
	case 0x6969UL:
		return "NFS";
	case 0x00c36400UL:
		return "CephFS";
	case 0xff534d42UL:
	case 0xfe534d42UL:
		return "SMB";
	}
	return NULL;
}

/* The name of @path's file system when other machines write it too. */
static const char *shared_fs_of(const char *path)
{
	struct statfs sfs;

	if (statfs(path, &sfs) != 0) {
		log_warn("%s: statfs: %s", path, strerror(errno));
		return NULL;
	}
	return shared_fs_name((long)sfs.f_type);
}

/* Another file, or the same one written (a rename over it, an edit). */
static bool config_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec ||
	       a->st_ctim.tv_sec != b->st_ctim.tv_sec || a->st_ctim.tv_nsec != b->st_ctim.tv_nsec;
}

void sharedpoll_init(struct sharedpoll *p, const char *images_dir, const char *config_path)
{
	const char *name;

	*p = (struct sharedpoll){.config_path = config_path};
	if ((name = shared_fs_of(images_dir))) {
		p->images = true;
		log_info("%s: on %s: rescanned every %d s, as inotify sees only this "
			 "machine's changes",
			 images_dir, name, SHAREDPOLL_MS / 1000);
	}
	if ((name = shared_fs_of(config_path)) && stat(config_path, &p->seen) == 0) {
		p->config = true;
		log_info("%s: on %s: looked at every %d s, as inotify sees only this "
			 "machine's changes",
			 config_path, name, SHAREDPOLL_MS / 1000);
	}
	p->next_ms = mono_ms() + SHAREDPOLL_MS;
}

int sharedpoll_timeout_ms(const struct sharedpoll *p, int wait_ms)
{
	long long left;

	if (!p->images && !p->config)
		return wait_ms;
	left = p->next_ms - mono_ms();
	if (left < 0)
		left = 0;
	return wait_ms < 0 || left < wait_ms ? (int)left : wait_ms;
}

void sharedpoll_check(struct sharedpoll *p, bool *rescan, bool *reload)
{
	struct stat now_st;
	long long now;

	if (!p->images && !p->config)
		return;
	now = mono_ms();
	if (now < p->next_ms)
		return;
	p->next_ms = now + SHAREDPOLL_MS;
	if (p->images)
		*rescan = true;
	/* A config file missing for a moment (an editor's rename) is looked
	 * at again next time. */
	if (p->config && stat(p->config_path, &now_st) == 0 && config_changed(&now_st, &p->seen)) {
		p->seen = now_st;
		*reload = true;
	}
}

void sharedpoll_config_loaded(struct sharedpoll *p)
{
	if (p->config)
		(void)stat(p->config_path, &p->seen);
}
