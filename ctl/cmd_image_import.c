/* SPDX-License-Identifier: MIT */
/*
 * netbootctl image import SRC NAME: a Raspberry Pi OS style or PC disk image
 * (raw, .xz, .gz, .zst, .bz2, qcow2), an SD card, a directory or a tarball,
 * to a netboot-ready squashfs installed as the newest generation of NAME.
 *
 * Disk images are read without mounting them: qcow2 is converted to raw
 * with qemu-img, the partition table is parsed here (diskimage.c), the ext
 * root is copied out with debugfs rdump and the FAT boot partition with
 * mcopy. An xfs root, or ext/FAT when those tools are missing, is
 * loop-mounted instead, as root only (in a mount namespace of its own, so the
 * mounts die with this process).
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <getopt.h>
#include <limits.h>
#include <linux/fs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/chroot_run.h"
#include "ctl/ctl.h"
#include "ctl/diskimage.h"
#include "ctl/fixups.h"
#include "ctl/image_lock.h"
#include "ctl/output.h"
#include "images/images.h"
#include "lib/mkdirp.h"

#define WHY_LEN 512

static const char import_help[] =
	"Usage: netbootctl [-c CONFIG] image import [OPTIONS] SRC NAME\n"
	"\n"
	"Turn SRC into a netboot-ready squashfs and install it as the newest\n"
	"generation of <images>/NAME.sqfs. SRC is a raw disk image (.img, also\n"
	"compressed with xz, gzip, zstd or bzip2), a qcow2 disk (converted with\n"
	"qemu-img in the work directory), a block device (an SD card), a\n"
	"directory or a tarball. From a disk image the ext or xfs root partition\n"
	"(xfs needs root: it is loop-mounted) and the FAT boot partition are\n"
	"extracted (MBR or GPT); the boot partition goes to boot/firmware, or\n"
	"to boot when the image's fstab mounts it there. Netboot fix-ups\n"
	"follow, each logged: SD-card and PC disk lines leave etc/fstab,\n"
	"first-boot resizing is disabled, dphys-swapfile is masked, machine-id\n"
	"and SSH host keys are made per node at first boot, config.txt gets\n"
	"bootloader_update=0, and nsswitch.conf asks extrausers for the shared\n"
	"accounts of netbootctl user.\n"
	"\n"
	"Options:\n"
	"  -C, --compression COMP  squashfs compression (default zstd, else xz)\n"
	"      --boot-dir DIR      put the boot partition at DIR (boot/firmware|boot)\n"
	"      --workdir DIR       unpack under DIR (default $TMPDIR, else /var/tmp)\n"
	"      --no-wait           fail (exit 1, naming the holder) instead of\n"
	"                          waiting for the lock on NAME (see image shell)\n"
	"  -h, --help              show this help\n";

enum src_kind {
	SRC_DISK,
	SRC_DIR,
	SRC_TAR,
};

struct import {
	const char *src;
	const char *name;
	const char *compression;
	const char *boot_dir;
	const char *workdir_parent;
	char *work; /* our work directory */
	char *root; /* work/root: the tree being built */
	char *disk; /* the disk image or tarball as read (may be work/input) */
	bool in_ns; /* already in a mount namespace of our own */
};

static const struct {
	unsigned char magic[6];
	size_t len;
	const char *tool;
} decompressors[] = {
	{{0xfd, '7', 'z', 'X', 'Z', 0}, 6, "xz"},
	{{0x1f, 0x8b}, 2, "gzip"},
	{{0x28, 0xb5, 0x2f, 0xfd}, 4, "zstd"},
	{{'B', 'Z', 'h'}, 3, "bzip2"},
};

/* Put @prefix in front of the reason already in @why. */
static void why_prefix(char *why, size_t whylen, const char *prefix)
{
	size_t pl = strlen(prefix), wl = strnlen(why, whylen - 1);

	if (pl >= whylen)
		return;
	if (pl + wl >= whylen)
		wl = whylen - 1 - pl;
	memmove(why + pl, why, wl);
	memcpy(why, prefix, pl);
	why[pl + wl] = '\0';
}

static int read_head(const char *path, unsigned char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, 0);
	close(fd);
	if (n < 0)
		return -errno;
	memset(buf + n, 0, len - (size_t)n);
	return (int)n;
}

/* Decompress @im->disk into work/input when it is compressed. */
static int maybe_decompress(struct import *im, char *why, size_t whylen)
{
	unsigned char head[8];
	char *out;
	int err, fd;

	err = read_head(im->disk, head, sizeof(head));
	if (err < 0) {
		snprintf(why, whylen, "%s: %s", im->src, strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(decompressors) / sizeof(decompressors[0]); i++) {
		const char *argv[] = {decompressors[i].tool, "-dc", "--", im->disk, NULL};
		struct tool_io io = {-1, -1, -1};

		if (memcmp(head, decompressors[i].magic, decompressors[i].len) != 0)
			continue;
		if (asprintf(&out, "%s/input", im->work) < 0)
			return -ENOMEM;
		fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd < 0) {
			err = -errno;
			snprintf(why, whylen, "%s: %s", out, strerror(-err));
			free(out);
			return err;
		}
		fprintf(stderr, "netbootctl: decompressing %s (%s)\n", im->src,
			decompressors[i].tool);
		io.out_fd = fd;
		err = tool_run(argv, &io, why, whylen);
		close(fd);
		if (err) {
			char prefix[PATH_MAX + 32];

			snprintf(prefix, sizeof(prefix), "decompressing %s: ", im->src);
			why_prefix(why, whylen, prefix);
			free(out);
			return err;
		}
		free(im->disk);
		im->disk = out;
		return 0;
	}
	return 0;
}

/*
 * A qcow2 disk (a VM's) becomes the raw disk work/disk.raw, converted by
 * qemu-img. The raw file is written sparse: it takes what the guest's data
 * take, at most the virtual size, which is what we say it may need.
 */
static int maybe_convert_qcow2(struct import *im, char *why, size_t whylen)
{
	unsigned char head[32];
	char *in = NULL, *out = NULL;
	struct statvfs vfs;
	uint64_t vsize = 0;
	int err;

	err = read_head(im->disk, head, sizeof(head));
	if (err < 0) {
		snprintf(why, whylen, "%s: %s", im->src, strerror(-err));
		return err;
	}
	if (memcmp(head, "QFI\xfb", 4) != 0)
		return 0;
	for (int i = 0; i < 8; i++) /* big-endian virtual size at byte 24 */
		vsize = vsize << 8 | head[24 + i];
	/* qemu-img reads the file itself: a backing file is found next to it. */
	in = realpath(im->disk, NULL);
	if (!in || asprintf(&out, "%s/disk.raw", im->work) < 0) {
		err = -ENOMEM;
		goto out;
	}
	printf("%s: qcow2 (virtual size %llu MiB): converting it with qemu-img to a raw disk "
	       "in %s, which needs up to %llu MiB there\n",
	       im->src, (unsigned long long)(vsize >> 20), im->work,
	       (unsigned long long)(vsize >> 20));
	if (statvfs(im->work, &vfs) == 0 && (uint64_t)vfs.f_bavail * vfs.f_frsize < vsize)
		printf("%s: %llu MiB are free there: enough only if the disk is mostly empty "
		       "(--workdir chooses another place)\n",
		       im->src, (unsigned long long)((uint64_t)vfs.f_bavail * vfs.f_frsize >> 20));
	fflush(stdout);
	{
		const char *argv[] = {"qemu-img", "convert", "-q", "-f", "qcow2",
				      "-O",	  "raw",     in,   out,	 NULL};

		err = tool_run(argv, NULL, why, whylen);
	}
	if (err == -ENOENT) {
		snprintf(why, whylen,
			 "%s is a qcow2 image: converting it needs qemu-img (install qemu-utils)",
			 im->src);
		goto out;
	}
	if (err) {
		char prefix[PATH_MAX + 32];

		snprintf(prefix, sizeof(prefix), "converting %s: ", im->src);
		why_prefix(why, whylen, prefix);
		goto out;
	}
	free(im->disk);
	im->disk = out;
	out = NULL;
out:
	free(in);
	free(out);
	return err;
}

static bool is_tar(const char *path)
{
	unsigned char h[512];

	return read_head(path, h, sizeof(h)) == (int)sizeof(h) && memcmp(h + 257, "ustar", 5) == 0;
}

/* ---- extraction ------------------------------------------------------ */

static int restore_setid_bits(struct import *im, const char *dev, char *why, size_t whylen);

/* debugfs reports errors only on stderr, with exit status 0. */
static int debugfs_rdump(struct import *im, const struct disk_part *p, char *why, size_t whylen)
{
	char *req = NULL, *dev = NULL, *log = NULL;
	struct tool_io io = {-1, -1, -1};
	const char *argv[] = {"debugfs", "-R", NULL, NULL, NULL};
	char line[512];
	FILE *f;
	int err;

	if (strchr(im->root, '"') || strchr(im->disk, '?')) {
		snprintf(why, whylen, "unsupported character in %s or %s", im->root, im->disk);
		return -EINVAL;
	}
	if (asprintf(&req, "rdump / \"%s\"", im->root) < 0 ||
	    asprintf(&dev, "%s?offset=%llu", im->disk, (unsigned long long)p->start) < 0 ||
	    asprintf(&log, "%s/debugfs.log", im->work) < 0) {
		err = -ENOMEM;
		goto out;
	}
	argv[2] = req;
	argv[3] = dev;
	io.err_fd = open(log, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (io.err_fd < 0) {
		err = -errno;
		goto out;
	}
	io.out_fd = io.err_fd;
	err = tool_run(argv, &io, why, whylen);
	close(io.err_fd);
	if (err == -ENOENT)
		goto out;
	f = fopen(log, "re");
	while (f && fgets(line, sizeof(line), f)) {
		/* Only the version banner "debugfs 1.47.0 (...)" is not an error. */
		if (strncmp(line, "debugfs ", 8) == 0 && line[8] >= '0' && line[8] <= '9')
			continue;
		if (line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (!err) {
			snprintf(why, whylen, "%s", line);
			why_prefix(why, whylen, "reading the root partition: ");
		}
		err = -EIO;
		ctl_err("debugfs: %s", line);
	}
	if (f)
		fclose(f);
	if (!err)
		err = restore_setid_bits(im, dev, why, whylen);
out:
	if (log)
		unlink(log);
	free(req);
	free(dev);
	free(log);
	return err;
}

/* Write `ls -p "/DIR"` for every directory of the extracted tree. */
static int write_ls_commands(const char *root, FILE *cmds)
{
	char *const paths[] = {(char *)root, NULL};
	size_t rootlen = strlen(root);
	FTSENT *e;
	FTS *fts;

	fts = fts_open(paths, FTS_PHYSICAL | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	while ((e = fts_read(fts)) != NULL) {
		const char *rel = e->fts_path + rootlen;

		if (e->fts_info != FTS_D || strpbrk(rel, "\"\n"))
			continue;
		fprintf(cmds, "ls -p \"%s\"\n", rel[0] ? rel : "/");
	}
	fts_close(fts);
	return 0;
}

/*
 * rdump sets a file's mode before its owner, and chown(2) clears set-uid
 * and set-gid: read the modes from the filesystem again and put those bits
 * back (sudo, passwd, su need them).
 */
static int restore_setid_bits(struct import *im, const char *dev, char *why, size_t whylen)
{
	char *cmds_path = NULL, *out_path = NULL, line[1024], dir[PATH_MAX] = "";
	const char *argv[] = {"debugfs", "-f", NULL, dev, NULL};
	struct tool_io io = {-1, -1, -1};
	unsigned restored = 0;
	FILE *cmds = NULL, *out = NULL;
	int err;

	if (asprintf(&cmds_path, "%s/debugfs.cmds", im->work) < 0 ||
	    asprintf(&out_path, "%s/debugfs.out", im->work) < 0) {
		err = -ENOMEM;
		goto out;
	}
	cmds = fopen(cmds_path, "we");
	if (!cmds) {
		err = -errno;
		goto out;
	}
	err = write_ls_commands(im->root, cmds);
	if (fclose(cmds) != 0 && !err)
		err = -EIO;
	if (err)
		goto out;
	io.out_fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (io.out_fd < 0) {
		err = -errno;
		goto out;
	}
	io.err_fd = io.out_fd;
	argv[2] = cmds_path;
	err = tool_run(argv, &io, why, whylen);
	close(io.out_fd);
	if (err)
		goto out;
	out = fopen(out_path, "re");
	while (out && fgets(line, sizeof(line), out)) {
		unsigned long ino, mode, uid, gid;
		char name[256], path[PATH_MAX * 2];
		int fd, n = 0;

		if (sscanf(line, "debugfs: ls -p \"%4095[^\"]\"", dir) == 1)
			continue;
		if (sscanf(line, "/%lu/%lo/%lu/%lu/%255[^/]/%n", &ino, &mode, &uid, &gid, name,
			   &n) != 5 ||
		    !n || (mode & 0170000) != 0100000 || !(mode & 06000))
			continue;
		snprintf(path, sizeof(path), "%s%s/%s", im->root, strcmp(dir, "/") ? dir : "",
			 name);
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fchmod(fd, (mode_t)(mode & 07777)) == 0)
			restored++;
		close(fd);
	}
	if (out)
		fclose(out);
	if (restored)
		printf("%s: restored set-uid/set-gid bits of %u file%s\n", im->src, restored,
		       restored == 1 ? "" : "s");
out:
	if (cmds_path)
		unlink(cmds_path);
	if (out_path)
		unlink(out_path);
	free(cmds_path);
	free(out_path);
	return err;
}

static int mcopy_boot(struct import *im, const struct disk_part *p, const char *dest, char *why,
		      size_t whylen)
{
	char *img = NULL, *to = NULL;
	const char *argv[] = {"mcopy", "-s", "-p", "-m", "-n", "-Q", "-i", NULL, "::", NULL, NULL};
	int err;

	if (asprintf(&img, "%s@@%llu", im->disk, (unsigned long long)p->start) < 0 ||
	    asprintf(&to, "%s/", dest) < 0) {
		err = -ENOMEM;
		goto out;
	}
	argv[7] = img;
	argv[9] = to;
	/* Pi images' FATs do not match the disk geometry mtools expects. */
	setenv("MTOOLS_SKIP_CHECK", "1", 1);
	err = tool_run(argv, NULL, why, whylen);
out:
	free(img);
	free(to);
	return err;
}

/*
 * Loop-mount the partition and copy it out (root only): how xfs is read,
 * and the fallback for ext and FAT without debugfs/mtools.
 */
static int loop_copy(struct import *im, const struct disk_part *p, enum fs_kind fs,
		     const char *dest, char *why, size_t whylen)
{
	char *mnt = NULL, *opts = NULL, *from = NULL;
	int err;

	if (geteuid() != 0) {
		if (fs == FS_XFS)
			snprintf(why, whylen,
				 "%s: partition %u is xfs, which is read by a loop mount: that "
				 "needs root",
				 im->src, p->number);
		else
			snprintf(why, whylen,
				 "debugfs/mcopy missing (install e2fsprogs and mtools), and "
				 "loop mounts need root");
		return -EPERM;
	}
	if (!im->in_ns) {
		/* A slave: its loop mounts stay here, the host's unmounts
		 * still come in (as for image shell). */
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
			err = -errno;
			snprintf(why, whylen, "own mount namespace: %s", strerror(-err));
			return err;
		}
		im->in_ns = true;
	}
	if (asprintf(&mnt, "%s/mnt", im->work) < 0 ||
	    /* nouuid: a clone of a mounted xfs (the host's own disk) mounts too. */
	    asprintf(&opts, "ro,loop,offset=%llu,sizelimit=%llu%s", (unsigned long long)p->start,
		     (unsigned long long)p->size, fs == FS_XFS ? ",nouuid" : "") < 0 ||
	    asprintf(&from, "%s/.", mnt) < 0) {
		err = -ENOMEM;
		goto out;
	}
	if (fs == FS_XFS)
		printf("%s: loop-mounting xfs partition %u\n", im->src, p->number);
	else
		printf("%s: debugfs or mcopy missing: loop-mounting partition %u\n", im->src,
		       p->number);
	fflush(stdout);
	if (mkdir(mnt, 0700) < 0 && errno != EEXIST) {
		err = -errno;
		goto out;
	}
	{
		const char *mount_argv[] = {"mount", "-o", opts, "--", im->disk, mnt, NULL};
		const char *cp_argv[] = {"cp", "-a", "--", from, dest, NULL};
		const char *umount_argv[] = {"umount", "--", mnt, NULL};

		err = tool_run(mount_argv, NULL, why, whylen);
		if (err)
			goto out;
		err = tool_run(cp_argv, NULL, why, whylen);
		tool_run(umount_argv, NULL, NULL, 0);
	}
	rmdir(mnt);
out:
	free(mnt);
	free(opts);
	free(from);
	return err;
}

static int disk_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) < 0 ? -errno : 0;
	*size = (uint64_t)st.st_size;
	return 0;
}

static int extract_disk(struct import *im, char *why, size_t whylen)
{
	const struct disk_part *boot = NULL, *rootp = NULL;
	const char *fat_dir;
	struct disk_layout *l;
	struct disk_part whole;
	char *bootpath = NULL;
	enum fs_kind rootfs = FS_UNKNOWN;
	struct stat st;
	uint64_t size;
	int fd, rootfd, err;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	fd = open(im->disk, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", im->src, strerror(-err));
		goto out;
	}
	err = disk_size(fd, &size);
	if (!err)
		err = disk_read_layout(fd, size, l, why, whylen);
	whole = (struct disk_part){.number = 0, .start = 0, .size = size};
	rootfs = err == -EINVAL ? disk_probe_fs(fd, &whole) : FS_UNKNOWN;
	if (rootfs == FS_EXT || rootfs == FS_XFS) {
		/* A bare root filesystem image without a partition table. */
		rootp = &whole;
		err = 0;
	} else if (!err) {
		disk_find_boot_root(fd, l, &boot, &rootp);
		if (rootp)
			rootfs = disk_probe_fs(fd, rootp);
	}
	close(fd);
	if (err) {
		char prefix[PATH_MAX + 8];

		if (!why[0])
			snprintf(why, whylen, "%s", strerror(-err));
		snprintf(prefix, sizeof(prefix), "%s: ", im->src);
		why_prefix(why, whylen, prefix);
		goto out;
	}
	if (!rootp) {
		snprintf(why, whylen, "%s: no ext2/3/4 or xfs root partition found", im->src);
		err = -EINVAL;
		goto out;
	}
	printf("%s: %s, root: partition %u (%llu MiB at byte %llu, %s)\n", im->src,
	       rootp == &whole	       ? "no partition table"
	       : l->scheme == DISK_GPT ? "GPT"
				       : "MBR",
	       rootp->number, (unsigned long long)(rootp->size >> 20),
	       (unsigned long long)rootp->start, rootfs == FS_XFS ? "xfs" : "ext2/3/4");
	fflush(stdout);
	/* debugfs reads ext without mounting it; xfs has no such tool. */
	err = rootfs == FS_XFS ? -ENOENT : debugfs_rdump(im, rootp, why, whylen);
	if (err == -ENOENT)
		err = loop_copy(im, rootp, rootfs, im->root, why, whylen);
	if (err)
		goto out;
	if (!boot) {
		ctl_err("%s: no FAT boot partition; the image has no boot files", im->src);
		goto out;
	}
	rootfd = open(im->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		err = -errno;
		goto out;
	}
	/* A PC installed for UEFI mounts its FAT partition, the EFI system
	 * partition, at /boot/efi: it goes there, not over its /boot. */
	fat_dir = !im->boot_dir && fstatat(rootfd, "boot/efi", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				  S_ISDIR(st.st_mode)
			  ? "boot/efi"
			  : NULL;
	if (!im->boot_dir)
		im->boot_dir = fixups_boot_dir(rootfd);
	if (!fat_dir)
		fat_dir = im->boot_dir;
	close(rootfd);
	if (asprintf(&bootpath, "%s/%s", im->root, fat_dir) < 0) {
		err = -ENOMEM;
		goto out;
	}
	/* The mount point inside the tree is a plain directory, never a link. */
	err = mkdir_p(bootpath, 0755);
	if (err) {
		snprintf(why, whylen, "%s: %s", bootpath, strerror(-err));
		goto out;
	}
	printf("%s: boot: partition %u (%llu MiB) -> /%s\n", im->src, boot->number,
	       (unsigned long long)(boot->size >> 20), fat_dir);
	fflush(stdout);
	err = mcopy_boot(im, boot, bootpath, why, whylen);
	if (err == -ENOENT)
		err = loop_copy(im, boot, FS_FAT, bootpath, why, whylen);
	/* A FAT root directory has no time stamp of its own: mcopy leaves junk. */
	if (!err)
		utimensat(AT_FDCWD, bootpath, NULL, 0);
out:
	free(bootpath);
	free(l);
	return err;
}

static int extract(struct import *im, enum src_kind kind, char *why, size_t whylen)
{
	char *from = NULL;
	int err;

	switch (kind) {
	case SRC_DIR: {
		const char *argv[] = {"cp", "-a", "--", NULL, im->root, NULL};

		if (asprintf(&from, "%s/.", im->src) < 0)
			return -ENOMEM;
		argv[3] = from;
		err = tool_run(argv, NULL, why, whylen);
		free(from);
		return err;
	}
	case SRC_TAR: {
		const char *argv[] = {"tar", "--numeric-owner", "-xpf", im->disk,
				      "-C",  im->root,		NULL};

		return tool_run(argv, NULL, why, whylen);
	}
	case SRC_DISK:
	default:
		return extract_disk(im, why, whylen);
	}
}

/* ---- the command ------------------------------------------------------ */

static int run_import(struct import *im, const struct server_config *srv, char *why, size_t whylen)
{
	struct fixups fx = {.log = stdout};
	enum src_kind kind = SRC_DISK;
	struct stat st;
	int err;

	if (stat(im->src, &st) < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", im->src, strerror(-err));
		return err;
	}
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		snprintf(why, whylen, "%s: not a disk image, block device, directory or tarball",
			 im->src);
		return -EINVAL;
	}
	err = workdir_create(im->workdir_parent, "import", &im->work, why, whylen);
	if (err)
		return err;
	if (asprintf(&im->root, "%s/root", im->work) < 0)
		return -ENOMEM;
	if (mkdir(im->root, 0755) < 0) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", im->root, strerror(-err));
		return err;
	}
	if (S_ISDIR(st.st_mode)) {
		kind = SRC_DIR;
	} else {
		/* Read through a link of ours: tools see a path without '?' or '@@'. */
		char *abs = realpath(im->src, NULL);

		if (!abs || asprintf(&im->disk, "%s/source", im->work) < 0) {
			free(abs);
			return -ENOMEM;
		}
		err = symlink(abs, im->disk) < 0 ? -errno : 0;
		free(abs);
		if (!err && S_ISREG(st.st_mode))
			err = maybe_decompress(im, why, whylen);
		if (!err && S_ISREG(st.st_mode) && !stop_pending())
			err = maybe_convert_qcow2(im, why, whylen);
		if (err)
			return err;
		if (S_ISREG(st.st_mode) && is_tar(im->disk))
			kind = SRC_TAR;
	}
	if (stop_pending())
		goto stopped;
	err = extract(im, kind, why, whylen);
	if (err)
		return err;
	if (stop_pending())
		goto stopped;

	fx.rootfd = open(im->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fx.rootfd < 0)
		return -errno;
	fx.boot_dir = im->boot_dir ? im->boot_dir : fixups_boot_dir(fx.rootfd);
	err = fixups_apply(&fx, why, whylen);
	close(fx.rootfd);
	if (err)
		return err;
	printf("%s: %u fix-up%s applied\n", im->src, fx.changes, fx.changes == 1 ? "" : "s");
	fflush(stdout);
	if (stop_pending())
		goto stopped;

	if (!im->compression)
		im->compression = squash_default_compression(im->work);
	err = tree_to_image(im->root, im->work, im->compression, srv->images, im->name,
			    srv->history, why, whylen);
	if (!err)
		printf("imported %s as %s/%s.sqfs (%s)\n", im->src, srv->images, im->name,
		       im->compression);
	return err;
stopped:
	snprintf(why, whylen, "stopped by a signal");
	return -EINTR;
}

int cmd_image_import(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"compression", required_argument, NULL, 'C'},
		{"no-wait", no_argument, NULL, 'W'},
		{"boot-dir", required_argument, NULL, 'b'},
		{"workdir", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct import im = {0};
	const struct mapper *m;
	sigset_t stop, old;
	char why[WHY_LEN] = "";
	bool no_wait = false;
	int opt, err, lock;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:C:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'C':
			im.compression = optarg;
			break;
		case 'b':
			if (strcmp(optarg, "boot/firmware") && strcmp(optarg, "boot"))
				return usage_error("image import",
						   "--boot-dir is boot/firmware or boot");
			im.boot_dir = optarg;
			break;
		case 'w':
			im.workdir_parent = optarg;
			break;
		case 'W':
			no_wait = true;
			break;
		case 'h':
			fputs(import_help, stdout);
			return CTL_EXIT_OK;
		case ':':
			return usage_error("image import", "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("image import", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 2)
		return usage_error("image import", "expected SRC NAME");
	im.src = argv[optind];
	im.name = argv[optind + 1];
	if (!image_name_valid(im.name))
		return usage_error("image import", "invalid image name '%s'", im.name);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	/* Boot files must be world-readable for dnsmasq whatever our umask. */
	umask(022);
	lock = image_lock_acquire(mapper_server(m)->images, im.name, "image import", !no_wait, why,
				  sizeof(why));
	if (lock < 0) {
		ctl_err("image import: %s", why);
		return CTL_EXIT_FAIL;
	}
	/*
	 * A stop signal (Ctrl-C, SIGTERM, a hangup) kills the running tool at
	 * once, and the import at its next step, but only after the work
	 * directory (a converted disk can take many GB) is removed: then the
	 * signal, unblocked, ends us as it would have.
	 */
	stop_signals(&stop);
	sigprocmask(SIG_BLOCK, &stop, &old);
	err = run_import(&im, mapper_server(m), why, sizeof(why));
	image_lock_release(lock);
	if (err)
		ctl_err("image import: %s", why[0] ? why : strerror(-err));
	if (im.work)
		workdir_remove(im.work);
	free(im.work);
	free(im.root);
	free(im.disk);
	fflush(NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
