/* SPDX-License-Identifier: MIT */
/*
 * netbootctl image shell NAME [-- CMD...]: unpack the newest generation of
 * NAME, run a shell or CMD in a chroot of it (through qemu-user binfmt when
 * the image is of another architecture), and install the result as the
 * next generation if the command succeeded. Nodes keep the generation they
 * booted until their next boot.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/chroot_run.h"
#include "ctl/ctl.h"
#include "ctl/image_dir.h"
#include "ctl/image_lock.h"
#include "ctl/output.h"
#include "images/images.h"

#define WHY_LEN 512

static const char shell_help[] =
	"Usage: netbootctl [-c CONFIG] image shell [OPTIONS] NAME [-- CMD [ARG...]]\n"
	"\n"
	"Unpack the newest generation of NAME and run an interactive shell, or\n"
	"CMD, in a chroot of it with /proc, /sys, /dev and the host's resolv.conf\n"
	"mounted. An image of another architecture (arm64 or armhf on a PC) runs\n"
	"through qemu-user-static and binfmt_misc. Services are kept from\n"
	"starting, /etc/ld.so.preload is disabled for the session and CAP_SETFCAP\n"
	"is dropped (NFS cannot store file capabilities). When the command exits\n"
	"0 the tree becomes the next generation of NAME; otherwise, or with\n"
	"--discard, it is thrown away (a failing CMD: its exit status is ours).\n"
	"Running nodes keep their generation until they boot again.\n"
	"\n"
	"The session holds the lock on NAME (a file under [server] images/.locks)\n"
	"from before the unpack until the new generation is in place: a second\n"
	"session, import, install, rollback or gc of NAME waits for it and then\n"
	"runs on its result, so no change is lost.\n"
	"\n"
	"Options:\n"
	"      --discard           never install the result\n"
	"      --no-wait           fail (exit 1, naming the holder) instead of\n"
	"                          waiting for the lock on NAME\n"
	"  -C, --compression COMP  squashfs compression (default: that of the image)\n"
	"      --workdir DIR       unpack under DIR (default $TMPDIR, else /var/tmp)\n"
	"  -h, --help              show this help\n";

struct shell_opts {
	const char *name;
	const char *compression;
	const char *workdir_parent;
	bool discard;
	bool no_wait;
	char **cmd; /* NULL: interactive */
};

/* The architecture of the image's binaries, read from the squashfs itself
 * so that a missing binfmt is reported before anything is unpacked. */
static int image_arch(const char *path, char *arch, size_t len, char *why, size_t whylen)
{
	static const char *const probes[] = {"bin/sh",	    "usr/bin/sh", "bin/busybox",
					     "usr/bin/env", "sbin/init",  "lib/systemd/systemd"};
	struct image_gen *g;
	int err;

	err = image_gen_open(path, &g, why, whylen);
	if (err)
		return err;
	err = -ENOEXEC;
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]) && err; i++) {
		unsigned char h[20];
		const char *a;
		struct stat st;
		img_ino ino;

		if (img_resolve(g, probes[i], true, &ino, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		if (img_read(g, ino, h, sizeof(h), 0) != (ssize_t)sizeof(h))
			continue;
		a = elf_arch_name(h);
		if (a) {
			snprintf(arch, len, "%s", a);
			err = 0;
		}
	}
	image_gen_put(g);
	if (err)
		snprintf(why, whylen,
			 "%s: cannot tell the architecture (no ELF /bin/sh or /sbin/init)", path);
	return err;
}

static int unpack(const char *image, const char *root, char *why, size_t whylen)
{
	struct tool_io io = {-1, STDERR_FILENO, -1};
	const char *argv[6];
	int n = 0;

	argv[n++] = "unsquashfs";
	if (!isatty(STDERR_FILENO))
		argv[n++] = "-no-progress";
	argv[n++] = "-d";
	argv[n++] = root;
	argv[n++] = image;
	argv[n] = NULL;
	return tool_run(argv, &io, why, whylen);
}

static int run_shell(const struct shell_opts *o, const struct server_config *srv, int *status,
		     char *why, size_t whylen)
{
	struct chroot_cmd cc = {.argv = o->cmd, .image = o->name};
	struct image_info info;
	char arch[32], *path, *work = NULL, *root = NULL;
	const char *comp;
	int err, lock;

	lock = image_lock_acquire(srv->images, o->name, "image shell", !o->no_wait, why, whylen);
	if (lock < 0)
		return lock;
	path = image_path(srv->images, o->name);
	if (!path) {
		image_lock_release(lock);
		return -ENOMEM;
	}
	err = image_validate(path, &info, why, whylen);
	if (err) {
		if (err == -ENOENT)
			snprintf(why, whylen, "no image %s (%s)", o->name, path);
		goto out;
	}
	comp = o->compression ? o->compression : info.compression;
	err = image_arch(path, arch, sizeof(arch), why, whylen);
	if (err)
		goto out;
	if (!arch_native(arch)) {
		err = binfmt_check(arch, why, whylen);
		if (err)
			goto out;
	}
	err = workdir_create(o->workdir_parent, "shell", &work, why, whylen);
	if (err)
		goto out;
	if (asprintf(&root, "%s/root", work) < 0) {
		err = -ENOMEM;
		goto out;
	}
	fprintf(stderr, "netbootctl: unpacking %s (%s, %s)\n", path, arch, info.compression);
	err = unpack(path, root, why, whylen);
	if (err)
		goto out;
	cc.root = root;
	err = chroot_run(&cc, status, why, whylen);
	if (err)
		goto out;
	if (*status != 0) {
		snprintf(why, whylen, "the command failed (exit status %d): no new generation",
			 *status);
		err = -ECANCELED;
		goto out;
	}
	if (o->discard) {
		fprintf(stderr, "netbootctl: --discard: no new generation of %s\n", o->name);
		goto out;
	}
	err = tree_to_image(root, work, comp, srv->images, o->name, srv->history, why, whylen);
	if (!err)
		fprintf(stderr, "netbootctl: installed a new generation of %s (%s)\n", o->name,
			path);
out:
	if (work)
		workdir_remove(work);
	free(work);
	free(root);
	free(path);
	image_lock_release(lock);
	return err;
}

int cmd_image_shell(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"discard", no_argument, NULL, 'd'},
		{"no-wait", no_argument, NULL, 'W'},
		{"compression", required_argument, NULL, 'C'},
		{"workdir", required_argument, NULL, 'w'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct shell_opts o = {0};
	const struct mapper *m;
	char why[WHY_LEN] = "";
	int opt, err, status = 0, pos;

	optind = 0;
	opterr = 0;
	/* '+': options end at NAME; what follows belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+:C:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'd':
			o.discard = true;
			break;
		case 'W':
			o.no_wait = true;
			break;
		case 'C':
			o.compression = optarg;
			break;
		case 'w':
			o.workdir_parent = optarg;
			break;
		case 'h':
			fputs(shell_help, stdout);
			return CTL_EXIT_OK;
		case ':':
			return usage_error("image shell", "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("image shell", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("image shell", "missing NAME");
	o.name = argv[optind];
	pos = optind + 1;
	if (pos < argc && strcmp(argv[pos], "--") == 0)
		pos++;
	else if (pos < argc)
		return usage_error("image shell", "put the command after '--'");
	if (pos < argc)
		o.cmd = argv + pos;
	else if (pos > optind + 1)
		return usage_error("image shell", "missing command after '--'");
	if (!image_name_valid(o.name))
		return usage_error("image shell", "invalid image name '%s'", o.name);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	err = run_shell(&o, mapper_server(m), &status, why, sizeof(why));
	if (err)
		ctl_err("image shell: %s", why[0] ? why : strerror(-err));
	/* A failing CMD: its own exit status, as a shell would give. */
	if (err == -ECANCELED && status > 0 && status < 256)
		return status;
	return err ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
