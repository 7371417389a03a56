/* SPDX-License-Identifier: MIT */
/* A rescan of images every few seconds when they are on shared storage. */
#include <errno.h>
#include <string.h>
#include <sys/vfs.h>

#include "fusefs/context.h"
#include "fusefs/imagepoll.h"
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

void imagepoll_init(struct imagepoll *p, const char *images_dir)
{
	struct statfs sfs;
	const char *name;

	p->on = false;
	p->next_ms = 0;
	if (statfs(images_dir, &sfs) != 0) {
		log_warn("%s: statfs: %s", images_dir, strerror(errno));
		return;
	}
	name = shared_fs_name((long)sfs.f_type);
	if (!name)
		return;
	p->on = true;
	p->next_ms = mono_ms() + IMAGEPOLL_MS;
	log_info("%s: on %s: rescanned every %d s, as inotify sees only this machine's changes",
		 images_dir, name, IMAGEPOLL_MS / 1000);
}

int imagepoll_timeout_ms(const struct imagepoll *p, int wait_ms)
{
	long long left;

	if (!p->on)
		return wait_ms;
	left = p->next_ms - mono_ms();
	if (left < 0)
		left = 0;
	return wait_ms < 0 || left < wait_ms ? (int)left : wait_ms;
}

bool imagepoll_due(struct imagepoll *p)
{
	long long now;

	if (!p->on)
		return false;
	now = mono_ms();
	if (now < p->next_ms)
		return false;
	p->next_ms = now + IMAGEPOLL_MS;
	return true;
}
