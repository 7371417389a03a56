/* SPDX-License-Identifier: MIT */
/* Host tools, chroot sessions and tree -> squashfs (see chroot_run.h). */
#include "ctl/chroot_run.h"
#include "lib/why.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/output.h"
#include "images/images.h"

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"

extern char **environ;

/* ---- host tools ------------------------------------------------------ */

void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
}

bool stop_pending(void)
{
	sigset_t pending;

	return sigpending(&pending) == 0 &&
	       (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGQUIT) == 1 ||
		sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGHUP) == 1);
}

int tool_run(const char *const *argv, const struct tool_io *io, char *why, size_t whylen)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int fds[3] = {-1, -1, -1};
	sigset_t mask, stop;
	int err, wst;
	pid_t pid;

	if (io) {
		fds[0] = io->in_fd;
		fds[1] = io->out_fd;
		fds[2] = io->err_fd;
	}
	posix_spawn_file_actions_init(&fa);
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fds[i] != i)
			posix_spawn_file_actions_adddup2(&fa, fds[i], i);
	/* A caller holding back the stop signals (to clean up first) does not
	 * hold them back from its tools: Ctrl-C stops the tool at once. */
	posix_spawnattr_init(&attr);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	stop_signals(&stop);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&stop, sig) == 1)
			sigdelset(&mask, sig);
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
	err = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		why_set(why, whylen, "cannot run %s: %s", argv[0], strerror(err));
		return -err;
	}
	while (waitpid(pid, &wst, 0) < 0) {
		if (errno != EINTR) {
			err = -errno;
			why_set(why, whylen, "waiting for %s: %s", argv[0], strerror(-err));
			return err;
		}
	}
	if (WIFEXITED(wst) && WEXITSTATUS(wst) == 0)
		return 0;
	if (WIFSIGNALED(wst)) {
		why_set(why, whylen, "%s was killed by signal %d", argv[0], WTERMSIG(wst));
		return -EINTR;
	}
	why_set(why, whylen, "%s failed (exit status %d)", argv[0], WEXITSTATUS(wst));
	return -EIO;
}

/* ---- work directories ----------------------------------------------- */

int workdir_create(const char *parent, const char *tag, char **out, char *why, size_t whylen)
{
	const char *base = parent;
	char *dir;

	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/var/tmp";
	if (asprintf(&dir, "%s/netbootctl-%s.XXXXXX", base, tag) < 0)
		return -ENOMEM;
	if (!mkdtemp(dir)) {
		int err = -errno;

		why_set(why, whylen, "cannot make a work directory in %s: %s", base,
			strerror(-err));
		free(dir);
		return err;
	}
	*out = dir;
	return 0;
}

void workdir_remove(const char *dir)
{
	const char *argv[] = {"rm", "-rf", "--one-file-system", "--", dir, NULL};
	char why[256];

	if (dir && tool_run(argv, NULL, why, sizeof(why)) < 0)
		ctl_err("cannot remove the work directory %s: %s", dir, why);
}

/* ---- architecture and binfmt --------------------------------------- */

static int open_in_root(int rootfd, const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

const char *elf_arch_name(const unsigned char *h)
{
	unsigned machine;

	if (memcmp(h, "\177ELF", 4) != 0 || (h[5] != 1 && h[5] != 2))
		return NULL;
	machine = h[5] == 1 ? (unsigned)(h[18] | h[19] << 8) : (unsigned)(h[18] << 8 | h[19]);
	switch (machine) {
	case 183:
		return "aarch64";
	case 40:
		return "arm";
	case 62:
		return "x86_64";
	case 3:
		return "i386";
	case 243:
		return h[4] == 2 ? "riscv64" : "riscv32";
	default:
		return NULL;
	}
}

int tree_arch(const char *root, char *arch, size_t len, char *why, size_t whylen)
{
	static const char *const probes[] = {"bin/sh",	    "usr/bin/sh", "bin/busybox",
					     "usr/bin/env", "sbin/init",  "lib/systemd/systemd"};
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0) {
		why_set(why, whylen, "%s: %s", root, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		unsigned char h[20];
		const char *a;
		int fd = open_in_root(rootfd, probes[i]);
		ssize_t n;

		if (fd < 0)
			continue;
		n = pread(fd, h, sizeof(h), 0);
		close(fd);
		a = n == (ssize_t)sizeof(h) ? elf_arch_name(h) : NULL;
		if (a) {
			snprintf(arch, len, "%s", a);
			close(rootfd);
			return 0;
		}
	}
	close(rootfd);
	why_set(why, whylen,
		"cannot tell the image's architecture: no ELF /bin/sh, /sbin/init, ...");
	return -ENOEXEC;
}

bool arch_native(const char *arch)
{
	struct utsname u;

	if (uname(&u) < 0)
		return false;
	if (strcmp(u.machine, arch) == 0)
		return true;
	/* 64-bit kernels that run the 32-bit variant of their ISA. */
	return (strcmp(u.machine, "aarch64") == 0 && strcmp(arch, "arm") == 0) ||
	       (strcmp(u.machine, "x86_64") == 0 && strcmp(arch, "i386") == 0);
}

int binfmt_check(const char *arch, char *why, size_t whylen)
{
	char path[128], line[256];
	bool enabled = false, fix = false;
	FILE *f;

	if (access(BINFMT_DIR "/status", F_OK) < 0) {
		why_set(why, whylen,
			"binfmt_misc is not mounted, so %s binaries cannot run here; fix: "
			"mount -t binfmt_misc binfmt_misc " BINFMT_DIR
			" && update-binfmts --enable qemu-%s",
			arch, arch);
		return -ENOENT;
	}
	snprintf(path, sizeof(path), BINFMT_DIR "/qemu-%s", arch);
	f = fopen(path, "re");
	if (!f) {
		why_set(why, whylen,
			"no binfmt entry qemu-%s, so %s binaries cannot run here; fix: "
			"apt-get install qemu-user-static binfmt-support && "
			"update-binfmts --enable qemu-%s",
			arch, arch, arch);
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "enabled\n") == 0)
			enabled = true;
		if (strncmp(line, "flags:", 6) == 0 && strchr(line + 6, 'F'))
			fix = true;
	}
	fclose(f);
	if (!enabled) {
		why_set(why, whylen,
			"binfmt entry qemu-%s is disabled; fix: update-binfmts --enable "
			"qemu-%s",
			arch, arch);
		return -ENOENT;
	}
	if (!fix) {
		why_set(why, whylen,
			"binfmt entry qemu-%s lacks the F (fix binary) flag needed inside a "
			"chroot; "
			"fix: install Debian's qemu-user-static (it registers with F), then "
			"update-binfmts --enable qemu-%s",
			arch, arch);
		return -ENOENT;
	}
	return 0;
}

/* ---- a command in a chroot ------------------------------------------ */

/* What the session changed in the tree and must put back. */
struct session {
	const char *root;
	char *resolv, *resolv_saved;
	bool resolv_bind, resolv_copied, resolv_moved;
	char *preload, *preload_saved;
	bool preload_moved;
	char *policy;
	bool policy_created;
	char *mnt[3]; /* proc sys dev */
};

static const char *const policy_rc_d =
	"#!/bin/sh\n"
	"# netbootctl image shell: no services start in the chroot.\n"
	"exit 101\n";

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out;
	char buf[8192];
	ssize_t n;
	int err = 0;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err = -EIO;
			break;
		}
	if (n < 0)
		err = -errno;
	close(in);
	if (close(out) < 0 && !err)
		err = -errno;
	return err;
}

/* @path must be a real directory of the tree (not a symlink out of it). */
static int real_dir(const char *path, bool create, char *why, size_t whylen)
{
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT && create && mkdir(path, 0755) == 0)
			return 0;
		why_set(why, whylen, "%s: %s", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode)) {
		why_set(why, whylen, "%s is not a directory (a symlink?): refusing to mount on it",
			path);
		return -ENOTDIR;
	}
	return 0;
}

static void session_restore(struct session *s)
{
	if (s->resolv_copied)
		unlink(s->resolv);
	if (s->resolv_moved && rename(s->resolv_saved, s->resolv) < 0)
		ctl_err("cannot put back %s: %s", s->resolv, strerror(errno));
	if (s->preload_moved) {
		/* A preload written during the session wins over the old one. */
		if (access(s->preload, F_OK) == 0)
			unlink(s->preload_saved);
		else if (rename(s->preload_saved, s->preload) < 0)
			ctl_err("cannot put back %s: %s", s->preload, strerror(errno));
	}
	if (s->policy_created)
		unlink(s->policy);
	s->resolv_copied = s->resolv_moved = s->preload_moved = s->policy_created = false;
}

static void session_free(struct session *s)
{
	free(s->resolv);
	free(s->resolv_saved);
	free(s->preload);
	free(s->preload_saved);
	free(s->policy);
	for (int i = 0; i < 3; i++)
		free(s->mnt[i]);
}

static int session_prepare(struct session *s, char *why, size_t whylen)
{
	static const char *const mnts[] = {"proc", "sys", "dev"};
	struct stat st;
	char *etc = NULL, *usr_sbin = NULL;
	int err;

	for (int i = 0; i < 3; i++)
		if (asprintf(&s->mnt[i], "%s/%s", s->root, mnts[i]) < 0)
			return -ENOMEM;
	if (asprintf(&etc, "%s/etc", s->root) < 0 ||
	    asprintf(&s->resolv, "%s/etc/resolv.conf", s->root) < 0 ||
	    asprintf(&s->resolv_saved, "%s/etc/.resolv.conf.netbootctl", s->root) < 0 ||
	    asprintf(&s->preload, "%s/etc/ld.so.preload", s->root) < 0 ||
	    asprintf(&s->preload_saved, "%s/etc/ld.so.preload.netbootctl-off", s->root) < 0 ||
	    asprintf(&usr_sbin, "%s/usr/sbin", s->root) < 0 ||
	    asprintf(&s->policy, "%s/usr/sbin/policy-rc.d", s->root) < 0) {
		err = -ENOMEM;
		goto out;
	}
	for (int i = 0; i < 3; i++) {
		err = real_dir(s->mnt[i], true, why, whylen);
		if (err)
			goto out;
	}
	err = real_dir(etc, true, why, whylen);
	if (err)
		goto out;

	/* DNS: bind the host's file over a real one; else a copy in place of a link. */
	if (access("/etc/resolv.conf", R_OK) == 0) {
		if (lstat(s->resolv, &st) == 0 && S_ISREG(st.st_mode)) {
			s->resolv_bind = true;
		} else {
			if (lstat(s->resolv, &st) == 0) {
				if (rename(s->resolv, s->resolv_saved) < 0) {
					err = -errno;
					why_set(why, whylen, "%s: %s", s->resolv, strerror(-err));
					goto out;
				}
				s->resolv_moved = true;
			}
			err = copy_file("/etc/resolv.conf", s->resolv);
			if (err) {
				why_set(why, whylen, "copying resolv.conf: %s", strerror(-err));
				goto out;
			}
			s->resolv_copied = true;
		}
	}
	/* ld.so.preload names host-specific libraries (libarmmem) that break under qemu. */
	if (lstat(s->preload, &st) == 0) {
		if (rename(s->preload, s->preload_saved) < 0) {
			err = -errno;
			why_set(why, whylen, "%s: %s", s->preload, strerror(-err));
			goto out;
		}
		s->preload_moved = true;
	}
	if (real_dir(usr_sbin, false, NULL, 0) == 0 && lstat(s->policy, &st) < 0) {
		int fd =
			open(s->policy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0755);

		if (fd >= 0) {
			if (write(fd, policy_rc_d, strlen(policy_rc_d)) ==
			    (ssize_t)strlen(policy_rc_d))
				s->policy_created = true;
			close(fd);
			if (!s->policy_created)
				unlink(s->policy);
		}
	}
	err = 0;
out:
	free(etc);
	free(usr_sbin);
	return err;
}

struct child_err {
	int err;
	char msg[200];
};

static void __attribute__((noreturn)) child_fail(int pipefd, const char *what)
{
	struct child_err ce = {.err = errno};

	snprintf(ce.msg, sizeof(ce.msg), "%s", what);
	if (write(pipefd, &ce, sizeof(ce)) < 0) {
		/* Nothing more to do: the parent sees a short read. */
	}
	_exit(127);
}

/* In the child: private mounts, chroot, exec. Never returns. */
static void __attribute__((noreturn))
child_run(const struct chroot_cmd *cmd, const struct session *s, const sigset_t *mask, int pipefd)
{
	static char *const sh_argv[] = {"/bin/sh", "-i", NULL};
	static char *const bash_argv[] = {"/bin/bash", "-i", NULL};
	char *const *argv = cmd->argv;
	char env_image[128], env_term[128], env_ps1[160];
	char *envp[8];
	int n = 0;

	sigprocmask(SIG_SETMASK, mask, NULL);
	if (unshare(CLONE_NEWNS) < 0)
		child_fail(pipefd, "unshare(CLONE_NEWNS)");
	/* Nothing mounted here may reach the host's namespace; the host's
	 * unmounts still reach this one (a slave, not private), or its copy of
	 * a netbootfs node root would keep the root's device number in use
	 * across a restart of the daemon (t6011). */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		child_fail(pipefd, "making mounts slaves");
	if (mount("proc", s->mnt[0], "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		child_fail(pipefd, "mounting proc");
	if (mount("/sys", s->mnt[1], NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(pipefd, "bind-mounting /sys");
	/* A recursive bind brings /dev/pts and /dev/shm along. */
	if (mount("/dev", s->mnt[2], NULL, MS_BIND | MS_REC, NULL) < 0)
		child_fail(pipefd, "bind-mounting /dev");
	if (s->resolv_bind && mount("/etc/resolv.conf", s->resolv, NULL, MS_BIND, NULL) < 0)
		child_fail(pipefd, "bind-mounting /etc/resolv.conf");
	if (chroot(s->root) < 0 || chdir("/") < 0)
		child_fail(pipefd, "chroot");
	if (prctl(PR_CAPBSET_DROP, CAP_SETFCAP, 0, 0, 0) < 0)
		child_fail(pipefd, "dropping CAP_SETFCAP");
	if (!argv)
		argv = access("/bin/bash", X_OK) == 0 ? bash_argv : sh_argv;

	snprintf(env_image, sizeof(env_image), "NETBOOTFS_IMAGE=%s", cmd->image);
	snprintf(env_term, sizeof(env_term), "TERM=%s", getenv("TERM") ? getenv("TERM") : "dumb");
	snprintf(env_ps1, sizeof(env_ps1), "PS1=(image %s) # ", cmd->image);
	envp[n++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	envp[n++] = "HOME=/root";
	envp[n++] = "LC_ALL=C";
	envp[n++] = env_term;
	envp[n++] = env_image;
	envp[n++] = env_ps1;
	envp[n] = NULL;
	execvpe(argv[0], argv, envp);
	child_fail(pipefd, argv[0]);
}

static int session_wait(pid_t pid, const sigset_t *set, int *status)
{
	bool stopped_by_us = false;
	int wst;

	for (;;) {
		struct timespec ts = {.tv_sec = 1};
		pid_t r = waitpid(pid, &wst, WNOHANG);
		int sig;

		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		sig = sigtimedwait(set, NULL, &ts);
		/* SIGINT/SIGQUIT reach the command from the terminal itself. */
		if (sig == SIGTERM || sig == SIGHUP) {
			kill(pid, sig);
			stopped_by_us = true;
		}
	}
	if (WIFEXITED(wst))
		*status = WEXITSTATUS(wst);
	else
		*status = 128 + (WIFSIGNALED(wst) ? WTERMSIG(wst) : 0);
	if (stopped_by_us && *status == 0)
		*status = 128 + SIGTERM;
	return 0;
}

int chroot_run(const struct chroot_cmd *cmd, int *status, char *why, size_t whylen)
{
	struct session s = {.root = cmd->root};
	sigset_t set, old;
	struct child_err ce;
	int pipefd[2] = {-1, -1};
	ssize_t n;
	pid_t pid;
	int err;

	err = session_prepare(&s, why, whylen);
	if (err)
		goto out;
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		err = -errno;
		goto out;
	}
	stop_signals(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		child_run(cmd, &s, &old, pipefd[1]);
	}
	close(pipefd[1]);
	pipefd[1] = -1;
	if (pid < 0) {
		err = -errno;
		why_set(why, whylen, "fork: %s", strerror(-err));
		sigprocmask(SIG_SETMASK, &old, NULL);
		goto out;
	}
	/* Closed by exec (nothing read) or a setup error from the child. */
	do
		n = read(pipefd[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	err = session_wait(pid, &set, status);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (n == (ssize_t)sizeof(ce)) {
		ce.msg[sizeof(ce.msg) - 1] = '\0';
		why_set(why, whylen, "in the chroot: %s: %s", ce.msg, strerror(ce.err));
		err = -(ce.err ? ce.err : EIO);
	}
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	session_restore(&s);
	session_free(&s);
	return err;
}

/* ---- tree -> squashfs -> <images> ------------------------------------ */

static int mksquashfs(const char *root, const char *out, const char *comp, bool quiet, char *why,
		      size_t whylen)
{
	const bool tty = !quiet && isatty(STDERR_FILENO);
	const char *argv[] = {"mksquashfs", root, out,	    "-noappend",
			      "-comp",	    comp, "-quiet", tty ? "-progress" : "-no-progress",
			      NULL};
	int null_fd = quiet ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
	/* Its output goes to our stderr: stdout belongs to the command's output. */
	struct tool_io io = {-1, quiet ? null_fd : STDERR_FILENO, null_fd};
	int err;

	err = tool_run(argv, &io, why, whylen);
	if (null_fd >= 0)
		close(null_fd);
	return err;
}

const char *squash_default_compression(const char *workdir)
{
	const char *comp = "xz";
	char *dir = NULL, *img = NULL;

	if (asprintf(&dir, "%s/comp-probe", workdir) < 0 ||
	    asprintf(&img, "%s/comp-probe.sqfs", workdir) < 0)
		goto out;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto out;
	if (mksquashfs(dir, img, "zstd", true, NULL, 0) == 0 &&
	    image_validate(img, NULL, NULL, 0) == 0)
		comp = "zstd";
	unlink(img);
	rmdir(dir);
out:
	free(dir);
	free(img);
	return comp;
}

int tree_to_image(const char *root, const char *workdir, const char *compression,
		  const char *images_dir, const char *name, unsigned keep_history, char *why,
		  size_t whylen)
{
	char *out;
	int err;

	if (asprintf(&out, "%s/new.sqfs", workdir) < 0)
		return -ENOMEM;
	unlink(out);
	err = mksquashfs(root, out, compression, false, why, whylen);
	if (!err)
		err = image_install(images_dir, out, name, keep_history, why, whylen);
	unlink(out);
	free(out);
	return err;
}
