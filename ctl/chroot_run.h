/* SPDX-License-Identifier: MIT */
/*
 * Running programs for the image tools (netbootctl image import|shell):
 * host tools by fork/exec with an argv (never a shell), a command inside
 * an image tree in a chroot of its own mount namespace (so that its bind
 * mounts vanish on every exit path), and the step from a tree to an
 * installed squashfs generation.
 */
#ifndef NETBOOTFS_CTL_CHROOT_RUN_H
#define NETBOOTFS_CTL_CHROOT_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "ctl/ctl.h"

/* ---- host tools ------------------------------------------------------ */

/* File descriptors for a tool: -1 inherits ours. */
struct tool_io {
	int in_fd, out_fd, err_fd;
};
#define TOOL_IO_INHERIT    \
	{                  \
		-1, -1, -1 \
	}

/* The signals that stop netbootctl (INT, QUIT, TERM, HUP), in @set. */
void stop_signals(sigset_t *set);

/* One of them is pending (blocked, not yet delivered). */
bool stop_pending(void);

/* Run argv[0] (looked up in PATH) and wait. 0 when it exits 0; -ENOENT
 * when it is not installed; -EIO when it fails (@why names the tool and
 * its status); -EINTR when it was killed by a signal. The tool runs with
 * the stop signals unblocked, even while the caller blocks them. */
int tool_run(const char *const *argv, const struct tool_io *io, char *why, size_t whylen);

/* ---- work directories ----------------------------------------------- */

/* mkdtemp under --workdir, else $TMPDIR, else /var/tmp; malloc'ed path. */
int workdir_create(const char *parent, const char *tag, char **out, char *why, size_t whylen);
/* rm -rf --one-file-system; logs a failure. */
void workdir_remove(const char *dir);

/* ---- architecture and binfmt --------------------------------------- */

/* "aarch64", "arm", "x86_64", "i386", ... from the first 20 bytes of an
 * ELF file; NULL when it is none or of another machine. */
const char *elf_arch_name(const unsigned char *hdr);
/* The same from the ELF header of the tree's
 * bin/sh (or another core binary), resolved inside the tree. */
int tree_arch(const char *root, char *arch, size_t len, char *why, size_t whylen);
/* Whether binaries of @arch run here without emulation. */
bool arch_native(const char *arch);
/* An enabled qemu-@arch binfmt entry with the F flag, or -ENOENT and
 * a how-to-fix message. */
int binfmt_check(const char *arch, char *why, size_t whylen);

/* ---- a command in a chroot ------------------------------------------ */

struct chroot_cmd {
	const char *root;  /* the tree */
	char *const *argv; /* NULL: an interactive shell */
	const char *image; /* name, for the environment and prompt */
};

/*
 * Run @cmd in a chroot of @root, in a mount namespace of its own (a slave
 * of the host's) with proc, sys, dev (and devpts) and the host's
 * resolv.conf mounted; /etc/ld.so.preload is set aside and services are
 * kept from starting (policy-rc.d) during the session and put back afterwards; CAP_SETFCAP is dropped, so that packages
 * fall back to set-uid binaries instead of file capabilities NFS cannot
 * store. SIGINT/SIGQUIT go to the command; SIGTERM/SIGHUP are passed on.
 * Returns 0 with the command's exit status (128+N for a signal) in
 * *@status, or a negative errno when the session could not start.
 */
int chroot_run(const struct chroot_cmd *cmd, int *status, char *why, size_t whylen);

/* ---- tree -> squashfs -> <images> ------------------------------------ */

/* The default compression: zstd when the linked libsquashfuse reads it,
 * else xz (tested with a tiny image in @workdir). */
const char *squash_default_compression(const char *workdir);

/* mksquashfs @root into @workdir (progress on a terminal), then
 * image_install() it as the newest generation of @name. */
int tree_to_image(const char *root, const char *workdir, const char *compression,
		  const char *images_dir, const char *name, unsigned keep_history, char *why,
		  size_t whylen);

#endif
