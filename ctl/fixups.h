/* SPDX-License-Identifier: MIT */
/*
 * Netboot fix-ups on an extracted root tree (image import): what turns an
 * SD-card installation into one many nodes can boot over NFS. Each fix-up
 * is idempotent (a second run changes nothing) and logs one line per
 * change ("fixup: NAME: WHAT") to the log stream.
 *
 * All paths are resolved inside the tree as in a chroot (openat2
 * RESOLVE_IN_ROOT): an absolute symlink in the image never reaches a host
 * file.
 */
#ifndef NETBOOTFS_CTL_FIXUPS_H
#define NETBOOTFS_CTL_FIXUPS_H

#include <stddef.h>
#include <stdio.h>

struct fixups {
	int rootfd;	      /* the tree (O_DIRECTORY) */
	const char *boot_dir; /* relative: "boot/firmware" or "boot" */
	FILE *log;	      /* NULL: silent */
	unsigned changes;     /* counted by every fix-up */
};

/* The boot directory the image expects: "boot" when etc/fstab mounts the
 * boot partition at /boot, else "boot/firmware" (bookworm and later). */
const char *fixups_boot_dir(int rootfd);

/* Every fix-up below, in order. 0 or the first negative errno (with the
 * reason in @why). */
int fixups_apply(struct fixups *f, char *why, size_t whylen);

/* The single fix-ups; each returns 0 or a negative errno. */
int fixup_fstab(struct fixups *f);	/* drop SD-card lines */
int fixup_cmdline(struct fixups *f);	/* no firstboot / init_resize / resize */
int fixup_services(struct fixups *f);	/* mask resize2fs_once, dphys-swapfile, ... */
int fixup_machine_id(struct fixups *f); /* empty /etc/machine-id: one per node */
int fixup_ssh_keys(struct fixups *f);	/* no shared host keys; made at first boot */
int fixup_config_txt(struct fixups *f); /* bootloader_update=0 */
/* passwd, group ([SUCCESS=merge]) and shadow also from extrausers: the
 * shared accounts of netbootctl user (a missing module is skipped). */
int fixup_nsswitch(struct fixups *f);

/* The text transformations behind them, on a NUL-terminated file content.
 * Each returns a malloc'ed new content (NULL on ENOMEM) and the number of
 * changes in *@changes; @log (may be NULL) gets one line per change. */
char *fstab_drop_sdcard(const char *in, FILE *log, unsigned *changes);
char *cmdline_drop_firstboot(const char *in, FILE *log, unsigned *changes);
char *config_txt_no_bootloader_update(const char *in, FILE *log, unsigned *changes);
char *nsswitch_extrausers(const char *in, FILE *log, unsigned *changes);

#endif
