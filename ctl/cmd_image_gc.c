/* SPDX-License-Identifier: MIT */
/*
 * netbootctl image gc [--keep N] [--dry-run] [NAME...]: remove old
 * generations from <images>/.history beyond the newest N per image
 * ([server] history by default). A generation still open by a process
 * (the daemon keeps the generation a node booted open until the node
 * boots again) is pinned and stays.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
#include "lib/mountinfo.h"

#define HISTORY_DIR ".history"
#define STAMP_LEN   16 /* ".YYYYmmddTHHMMSSZ" without the dot */

static const char gc_help[] =
	"Usage: netbootctl [-c CONFIG] image gc [--keep N] [--dry-run] [--no-wait] [NAME...]\n"
	"\n"
	"Remove old generations kept under <images>/.history, beyond the newest\n"
	"N of each image (N is [server] history unless --keep says otherwise).\n"
	"A generation that some process still has open - the daemon keeps what\n"
	"running nodes booted - is pinned and kept. Without NAME every image is\n"
	"collected. --dry-run only says what would go. Each image is collected\n"
	"under its lock (see image shell): gc waits for a command changing it,\n"
	"or with --no-wait reports the image as locked (exit 1) and goes on.\n";

struct gc_opts {
	long keep; /* -1: from the config */
	bool dry_run;
	bool no_wait;
};

struct gc_totals {
	unsigned removed, pinned;
	uint64_t freed;
};

static bool is_mount_id(const struct mountinfo_entry *e, void *id)
{
	return e->id == *(unsigned long *)id;
}

/* The device ("major:minor") of mount @mnt_id in process @pid's namespace. */
static bool mount_dev(const char *pid, unsigned long mnt_id, dev_t *dev)
{
	struct mountinfo_entry e;
	char path[300];

	snprintf(path, sizeof(path), "/proc/%s/mountinfo", pid);
	if (!mountinfo_find(path, is_mount_id, &mnt_id, &e))
		return false;
	*dev = e.dev;
	return true;
}

/* Whether fd @fd of process @pid is the file (@dev, @ino). Reads fdinfo
 * only: stat(2) through /proc/PID/fd would block on a hung FUSE mount. */
static bool fd_is_file(const char *pid, const char *fd, dev_t dev, ino_t ino)
{
	char path[600], line[256];
	unsigned long mnt_id = 0, fino = 0;
	bool have_mnt = false, have_ino = false;
	dev_t fdev;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "mnt_id: %lu", &mnt_id) == 1)
			have_mnt = true;
		else if (sscanf(line, "ino: %lu", &fino) == 1)
			have_ino = true;
	}
	fclose(f);
	return have_mnt && have_ino && fino == ino && mount_dev(pid, mnt_id, &fdev) && fdev == dev;
}

/* The pid of a process that has @st's file open, or 0. */
static pid_t file_open_by(const struct stat *st)
{
	struct dirent *pe;
	pid_t found = 0;
	DIR *proc = opendir("/proc");

	while (proc && !found && (pe = readdir(proc)) != NULL) {
		char fddir[300];
		struct dirent *fe;
		DIR *fds;

		if (pe->d_name[0] < '1' || pe->d_name[0] > '9')
			continue;
		snprintf(fddir, sizeof(fddir), "/proc/%s/fdinfo", pe->d_name);
		fds = opendir(fddir);
		while (fds && (fe = readdir(fds)) != NULL) {
			if (fe->d_name[0] == '.')
				continue;
			if (fd_is_file(pe->d_name, fe->d_name, st->st_dev, st->st_ino)) {
				found = (pid_t)atoi(pe->d_name);
				break;
			}
		}
		if (fds)
			closedir(fds);
	}
	if (proc)
		closedir(proc);
	return found;
}

/* "<name>.<stamp>[-N].sqfs" -> "<name>" (malloc'ed) or NULL. */
static char *history_name(const char *file)
{
	size_t len = strlen(file);
	const char *end;

	if (len < 5 || strcmp(file + len - 5, ".sqfs") != 0)
		return NULL;
	end = file + len - 5;
	if (end > file && end[-1] >= '0' && end[-1] <= '9') {
		const char *d = end;

		while (d > file && d[-1] >= '0' && d[-1] <= '9')
			d--;
		if (d > file && d[-1] == '-' && (size_t)(d - file) > STAMP_LEN + 1 && d[-2] == 'Z')
			end = d - 1;
	}
	if ((size_t)(end - file) < STAMP_LEN + 2 || end[-STAMP_LEN - 1] != '.')
		return NULL;
	return strndup(file, (size_t)(end - file) - STAMP_LEN - 1);
}

static bool names_have(char **names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return true;
	return false;
}

/* Current images plus names that only have history left. */
static int gc_names(const char *images, char ***out, size_t *n)
{
	struct dirent *de;
	char *hist;
	DIR *d;
	int err;

	err = image_names_list(images, out, n);
	if (err)
		return err;
	if (asprintf(&hist, "%s/" HISTORY_DIR, images) < 0)
		return -ENOMEM;
	d = opendir(hist);
	free(hist);
	while (d && (de = readdir(d)) != NULL) {
		char *name = history_name(de->d_name);
		char **nv;

		if (!name || !image_name_valid(name) || names_have(*out, *n, name)) {
			free(name);
			continue;
		}
		nv = realloc(*out, (*n + 1) * sizeof(**out));
		if (!nv) {
			free(name);
			err = -ENOMEM;
			break;
		}
		*out = nv;
		(*out)[(*n)++] = name;
	}
	if (d)
		closedir(d);
	return err;
}

static int gc_one(const char *images, const char *name, unsigned keep, const struct gc_opts *o,
		  struct gc_totals *t)
{
	struct image_history_entry *h;
	char why[512] = "";
	size_t n;
	int err, lock;

	lock = image_lock_acquire(images, name, "image gc", !o->no_wait, why, sizeof(why));
	if (lock < 0) {
		ctl_err("image gc: %s", why);
		return lock;
	}
	err = image_history(images, name, &h, &n);
	if (err) {
		ctl_err("image gc: %s: %s", name, strerror(-err));
		image_lock_release(lock);
		return err;
	}
	for (size_t i = keep; i < n; i++) {
		char path[PATH_MAX], size[16];
		struct stat st;
		pid_t pid;

		snprintf(path, sizeof(path), "%s/" HISTORY_DIR "/%s", images, h[i].file);
		if (stat(path, &st) < 0)
			continue;
		pid = file_open_by(&st);
		if (pid) {
			printf("kept %s: pinned (open by pid %d)\n", h[i].file, (int)pid);
			t->pinned++;
			continue;
		}
		if (!o->dry_run && unlink(path) < 0) {
			err = -errno;
			ctl_err("image gc: %s: %s", path, strerror(-err));
			continue;
		}
		printf("%s %s (%s)\n", o->dry_run ? "would remove" : "removed", h[i].file,
		       fmt_size(h[i].size, size, sizeof(size)));
		t->removed++;
		/* A history file may still be linked as the current image. */
		if (st.st_nlink == 1)
			t->freed += h[i].size;
	}
	free(h);
	image_lock_release(lock);
	return err;
}

int cmd_image_gc(struct ctl *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"keep", required_argument, NULL, 'k'},
		{"dry-run", no_argument, NULL, 'n'},
		{"no-wait", no_argument, NULL, 'W'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct gc_opts o = {.keep = -1};
	struct gc_totals t = {0};
	const struct server_config *srv;
	const struct mapper *m;
	char **names = NULL, *end, freed[16];
	size_t n = 0;
	int opt, err = 0, failed = 0;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":nh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			errno = 0;
			o.keep = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o.keep < 0 || o.keep > 100000)
				return usage_error("image gc", "--keep takes a count, not '%s'",
						   optarg);
			break;
		case 'n':
			o.dry_run = true;
			break;
		case 'W':
			o.no_wait = true;
			break;
		case 'h':
			fputs(gc_help, stdout);
			return CTL_EXIT_OK;
		case ':':
			return usage_error("image gc", "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("image gc", "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (int i = optind; i < argc; i++)
		if (!image_name_valid(argv[i]))
			return usage_error("image gc", "invalid image name '%s'", argv[i]);
	m = ctl_load_config(c);
	if (!m)
		return CTL_EXIT_FAIL;
	srv = mapper_server(m);
	if (o.keep < 0)
		o.keep = srv->history;
	if (optind < argc) {
		for (int i = optind; i < argc; i++)
			failed |= gc_one(srv->images, argv[i], (unsigned)o.keep, &o, &t) != 0;
	} else {
		err = gc_names(srv->images, &names, &n);
		if (err)
			ctl_err("image gc: %s: %s", srv->images, strerror(-err));
		for (size_t i = 0; i < n && !err; i++)
			failed |= gc_one(srv->images, names[i], (unsigned)o.keep, &o, &t) != 0;
		image_names_free(names, n);
	}
	printf("%s %u old generation%s, %s freed, %u pinned kept\n",
	       o.dry_run ? "would remove" : "removed", t.removed, t.removed == 1 ? "" : "s",
	       fmt_size(t.freed, freed, sizeof(freed)), t.pinned);
	return err || failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
