/* SPDX-License-Identifier: MIT */
/* Netboot fix-ups on an extracted root tree (see fixups.h). */
#include "ctl/fixups.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/writeall.h"

#define FIELD_MAX 256
#define SSH_UNIT  "netbootfs-ssh-hostkeys.service"

/* Services that resize the SD card or swap onto it: wrong for an NFS root. */
static const char *const masked_services[] = {"resize2fs_once", "rpi-resize", "dphys-swapfile"};

static const char ssh_unit_text[] =
	"# Written by netbootctl image import: each netbooted node makes its own\n"
	"# SSH host keys at its first boot instead of sharing the image's.\n"
	"[Unit]\n"
	"Description=Generate this node's SSH host keys\n"
	"ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n"
	"Before=ssh.service sshd.service\n"
	"\n"
	"[Service]\n"
	"Type=oneshot\n"
	"ExecStart=/usr/bin/ssh-keygen -A\n"
	"\n"
	"[Install]\n"
	"WantedBy=multi-user.target\n";

static void logf_(FILE *log, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void logf_(FILE *log, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (!log)
		return;
	fprintf(log, "fixup: %s: ", name);
	va_start(ap, fmt);
	vfprintf(log, fmt, ap);
	va_end(ap);
	fputc('\n', log);
}

/* ---- paths inside the tree -------------------------------------------- */

static int tree_open(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* The directory holding @path (opened O_PATH) and the last component. */
static int tree_parent(int rootfd, const char *path, const char **base)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (!slash) {
		*base = path;
		return tree_open(rootfd, ".", O_PATH | O_DIRECTORY, 0);
	}
	*base = slash + 1;
	dir = strndup(path, (size_t)(slash - path));
	if (!dir)
		return -ENOMEM;
	fd = tree_open(rootfd, dir, O_PATH | O_DIRECTORY, 0);
	free(dir);
	return fd;
}

/* mkdir -p inside the tree (0755). */
static int tree_mkdirs(int rootfd, const char *path)
{
	char *p = strdup(path);
	int err = 0;

	if (!p)
		return -ENOMEM;
	for (char *s = p;; s++) {
		if (*s == '/' || *s == '\0') {
			char save = *s;
			const char *base;
			int dfd;

			*s = '\0';
			dfd = tree_parent(rootfd, p, &base);
			if (dfd < 0) {
				err = dfd;
				break;
			}
			if (mkdirat(dfd, base, 0755) < 0 && errno != EEXIST)
				err = -errno;
			close(dfd);
			*s = save;
			if (err || save == '\0')
				break;
		}
	}
	free(p);
	return err;
}

/* Whether @path exists (the last component is not followed). */
static bool tree_exists(int rootfd, const char *path)
{
	int fd = tree_open(rootfd, path, O_PATH | O_NOFOLLOW, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int read_all_fd(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len == cap) {
			char *nb = realloc(buf, cap * 2 + 1);

			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = -errno;

			free(buf);
			return err;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* A text file of the tree; -ENOENT when absent. */
static int tree_read(int rootfd, const char *path, char **out)
{
	int fd = tree_open(rootfd, path, O_RDONLY, 0);
	int err;

	if (fd < 0)
		return fd;
	err = read_all_fd(fd, out);
	close(fd);
	return err;
}

/* Rewrite an existing file in place (keeps its owner, mode and links). */
static int tree_rewrite(int rootfd, const char *path, const char *text)
{
	int fd = tree_open(rootfd, path, O_WRONLY | O_TRUNC, 0);
	int err;

	if (fd < 0)
		return fd;
	err = write_all(fd, text, strlen(text));
	if (close(fd) < 0 && !err)
		err = -errno;
	return err;
}

/* Apply one text transformation to a file, if it exists and changes. */
typedef char *(*text_fn)(const char *in, FILE *log, unsigned *changes);

static int fix_text_file(struct fixups *f, const char *path, text_fn fn)
{
	char *in = NULL, *out = NULL;
	unsigned changes = 0;
	int err;

	err = tree_read(f->rootfd, path, &in);
	if (err)
		return err == -ENOENT ? 0 : err;
	out = fn(in, f->log, &changes);
	if (!out) {
		err = -ENOMEM;
		goto out;
	}
	if (changes) {
		err = tree_rewrite(f->rootfd, path, out);
		f->changes += changes;
	}
out:
	free(in);
	free(out);
	return err;
}

/* ---- text transformations -------------------------------------------- */

/* First two whitespace-separated fields of a line. */
static bool two_fields(const char *line, size_t len, char *a, char *b)
{
	char buf[1024];

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return sscanf(buf, "%255s %255s", a, b) == 2;
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * A line that mounts the SD card: its root or boot partition, or any mmcblk;
 * or a PC disk's EFI system partition (/boot/efi) or swap, which a diskless
 * node would wait for at every boot.
 */
static bool fstab_sdcard_line(const char *line, size_t len)
{
	char spec[FIELD_MAX], mnt[FIELD_MAX];
	static const char *const disk_specs[] = {
		"PARTUUID=", "UUID=", "LABEL=", "PARTLABEL=", "/dev/"};

	if (!two_fields(line, len, spec, mnt) || spec[0] == '#')
		return false;
	if (has_prefix(spec, "/dev/mmcblk"))
		return true;
	if (strcmp(mnt, "/") && strcmp(mnt, "/boot") && strcmp(mnt, "/boot/firmware") &&
	    strcmp(mnt, "/boot/efi") && strcmp(mnt, "none") && strcmp(mnt, "swap"))
		return false;
	for (size_t i = 0; i < sizeof(disk_specs) / sizeof(disk_specs[0]); i++)
		if (has_prefix(spec, disk_specs[i]))
			return true;
	return false;
}

char *fstab_drop_sdcard(const char *in, FILE *log, unsigned *changes)
{
	char *out = malloc(strlen(in) + 1), *o = out;
	const char *p = in;

	*changes = 0;
	if (!out)
		return NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t with_nl = len + (nl ? 1 : 0);

		if (fstab_sdcard_line(p, len)) {
			logf_(log, "fstab", "dropped \"%.*s\"", (int)len, p);
			(*changes)++;
		} else {
			memcpy(o, p, with_nl);
			o += with_nl;
		}
		p += with_nl;
	}
	*o = '\0';
	return out;
}

static bool cmdline_firstboot_token(const char *tok, size_t len)
{
	if (len == 6 && memcmp(tok, "resize", 6) == 0)
		return true;
	if (len > 5 && memcmp(tok, "init=", 5) == 0) {
		char val[FIELD_MAX];

		if (len - 5 >= sizeof(val))
			return false;
		memcpy(val, tok + 5, len - 5);
		val[len - 5] = '\0';
		return strstr(val, "firstboot") || strstr(val, "init_resize");
	}
	return false;
}

char *cmdline_drop_firstboot(const char *in, FILE *log, unsigned *changes)
{
	size_t inlen = strlen(in);
	char *out = malloc(inlen + 2), *o = out;
	const char *p = in;
	bool trailing_nl = inlen && in[inlen - 1] == '\n';

	*changes = 0;
	if (!out)
		return NULL;
	while (*p) {
		size_t len;

		p += strspn(p, " \t\r\n");
		len = strcspn(p, " \t\r\n");
		if (!len)
			break;
		if (cmdline_firstboot_token(p, len)) {
			logf_(log, "cmdline.txt", "removed \"%.*s\"", (int)len, p);
			(*changes)++;
		} else {
			if (o != out)
				*o++ = ' ';
			memcpy(o, p, len);
			o += len;
		}
		p += len;
	}
	if (trailing_nl)
		*o++ = '\n';
	*o = '\0';
	if (!*changes) {
		/* Keep the bytes exactly as they were. */
		free(out);
		return strdup(in);
	}
	return out;
}

/* "[all]" and no filter at all select every board. */
static bool config_section_is_all(const char *line, size_t len)
{
	while (len && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	return len >= 5 && memcmp(line, "[all]", 5) == 0;
}

char *config_txt_no_bootloader_update(const char *in, FILE *log, unsigned *changes)
{
	static const char key[] = "bootloader_update=";
	static const char want[] = "bootloader_update=0";
	size_t inlen = strlen(in);
	char *out = malloc(inlen + sizeof(want) + 16), *o = out;
	const char *p = in;
	bool in_all = true, found = false;

	*changes = 0;
	if (!out)
		return NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t with_nl = len + (nl ? 1 : 0);
		size_t ws = strspn(p, " \t");

		if (ws < len && p[ws] == '[')
			in_all = config_section_is_all(p, len);
		if (len - ws >= sizeof(key) - 1 && memcmp(p + ws, key, sizeof(key) - 1) == 0) {
			const char *val = p + ws + sizeof(key) - 1;
			size_t vlen = len - ws - (sizeof(key) - 1);

			while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t' ||
					val[vlen - 1] == '\r'))
				vlen--;
			if (vlen == 1 && val[0] == '0') {
				found |= in_all;
			} else {
				/* Any other value, in any section, becomes 0. */
				logf_(log, "config.txt", "\"%.*s\" -> \"%s\"", (int)len, p, want);
				memcpy(o, want, sizeof(want) - 1);
				o += sizeof(want) - 1;
				if (nl)
					*o++ = '\n';
				p += with_nl;
				(*changes)++;
				found |= in_all;
				continue;
			}
		}
		memcpy(o, p, with_nl);
		o += with_nl;
		p += with_nl;
	}
	if (!found) {
		if (o != out && o[-1] != '\n')
			*o++ = '\n';
		if (!in_all) {
			memcpy(o, "[all]\n", 6);
			o += 6;
		}
		memcpy(o, want, sizeof(want) - 1);
		o += sizeof(want) - 1;
		*o++ = '\n';
		logf_(log, "config.txt",
		      "added \"%s\" (a shared boot tree must not re-flash EEPROMs)", want);
		(*changes)++;
	}
	*o = '\0';
	return out;
}

/* ---- fix-ups on the tree ---------------------------------------------- */

const char *fixups_boot_dir(int rootfd)
{
	const char *dir = NULL;
	char *fstab = NULL;
	int fd;

	if (tree_read(rootfd, "etc/fstab", &fstab) == 0) {
		for (char *line = strtok(fstab, "\n"); line && !dir; line = strtok(NULL, "\n")) {
			char spec[FIELD_MAX], mnt[FIELD_MAX];

			if (!two_fields(line, strlen(line), spec, mnt) || spec[0] == '#')
				continue;
			if (strcmp(mnt, "/boot/firmware") == 0)
				dir = "boot/firmware";
			else if (strcmp(mnt, "/boot") == 0)
				dir = "boot";
		}
		free(fstab);
	}
	if (dir)
		return dir;
	/* No fstab line: an existing empty mount point tells, else the new layout. */
	fd = tree_open(rootfd, "boot/firmware", O_PATH | O_DIRECTORY, 0);
	if (fd >= 0) {
		close(fd);
		return "boot/firmware";
	}
	return tree_exists(rootfd, "boot") ? "boot" : "boot/firmware";
}

int fixup_fstab(struct fixups *f)
{
	return fix_text_file(f, "etc/fstab", fstab_drop_sdcard);
}

int fixup_cmdline(struct fixups *f)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/cmdline.txt", f->boot_dir);
	return fix_text_file(f, path, cmdline_drop_firstboot);
}

int fixup_config_txt(struct fixups *f)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/config.txt", f->boot_dir);
	/* Only a tree with a boot partition has one. */
	if (!tree_exists(f->rootfd, path))
		return 0;
	return fix_text_file(f, path, config_txt_no_bootloader_update);
}

/* Does the whitespace-separated word @w occur in @line (@len bytes)? */
static bool line_has_word(const char *line, size_t len, const char *w)
{
	size_t wl = strlen(w);

	for (size_t i = 0; i + wl <= len; i++)
		if (memcmp(line + i, w, wl) == 0 &&
		    (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t' || line[i - 1] == ']') &&
		    (i + wl == len || line[i + wl] == ' ' || line[i + wl] == '\t'))
			return true;
	return false;
}

char *nsswitch_extrausers(const char *in, FILE *log, unsigned *changes)
{
	static const struct {
		const char *db, *add;
	} dbs[] = {
		{"passwd:", " extrausers"},
		/* merge: a group in both files gets the members of both. */
		{"group:", " [SUCCESS=merge] extrausers"},
		{"shadow:", " extrausers"},
	};
	char *out = NULL;
	size_t olen = 0;
	FILE *o = open_memstream(&out, &olen);
	const char *p = in;

	*changes = 0;
	if (!o)
		return NULL;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		const char *add = NULL;

		for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
			if (has_prefix(p, dbs[i].db) && !line_has_word(p, len, "extrausers"))
				add = dbs[i].add;
		fprintf(o, "%.*s%s\n", (int)len, p, add ? add : "");
		if (add) {
			logf_(log, "nsswitch.conf", "%.*s%s", (int)len, p, add);
			(*changes)++;
		}
		p += len + (nl ? 1 : 0);
	}
	if (fclose(o) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

int fixup_nsswitch(struct fixups *f)
{
	return fix_text_file(f, "etc/nsswitch.conf", nsswitch_extrausers);
}

/* Open a directory of the tree for reading entries; NULL if absent. */
static DIR *tree_opendir(int rootfd, const char *path)
{
	int fd = tree_open(rootfd, path, O_RDONLY | O_DIRECTORY, 0);
	DIR *d;

	if (fd < 0)
		return NULL;
	d = fdopendir(fd);
	if (!d)
		close(fd);
	return d;
}

static bool rc_link_for(const char *entry, const char *svc)
{
	return (entry[0] == 'S' || entry[0] == 'K') && entry[1] >= '0' && entry[1] <= '9' &&
	       entry[2] >= '0' && entry[2] <= '9' && strcmp(entry + 3, svc) == 0;
}

/* Remove systemd *.wants / *.requires links and SysV rc?.d links of @svc. */
static int unlink_enablement(struct fixups *f, const char *svc)
{
	static const char rc_levels[] = "0123456S";
	char unit[FIELD_MAX], path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int err = 0;

	snprintf(unit, sizeof(unit), "%s.service", svc);
	d = tree_opendir(f->rootfd, "etc/systemd/system");
	while (d && (de = readdir(d)) != NULL) {
		size_t len = strlen(de->d_name);
		int sub;

		if (!(len > 6 && strcmp(de->d_name + len - 6, ".wants") == 0) &&
		    !(len > 9 && strcmp(de->d_name + len - 9, ".requires") == 0))
			continue;
		sub = openat(dirfd(d), de->d_name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			continue;
		if (unlinkat(sub, unit, 0) == 0) {
			logf_(f->log, svc, "removed etc/systemd/system/%s/%s", de->d_name, unit);
			f->changes++;
		} else if (errno != ENOENT) {
			err = -errno;
		}
		close(sub);
	}
	if (d)
		closedir(d);
	for (const char *l = rc_levels; *l && !err; l++) {
		snprintf(path, sizeof(path), "etc/rc%c.d", *l);
		d = tree_opendir(f->rootfd, path);
		while (d && (de = readdir(d)) != NULL) {
			if (!rc_link_for(de->d_name, svc))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
				err = -errno;
				break;
			}
			logf_(f->log, svc, "removed %s/%s", path, de->d_name);
			f->changes++;
		}
		if (d)
			closedir(d);
	}
	return err;
}

static bool service_present(int rootfd, const char *svc)
{
	static const struct {
		const char *dir, *suffix;
	} places[] = {
		{"etc/init.d", ""},
		{"lib/systemd/system", ".service"},
		{"usr/lib/systemd/system", ".service"},
		{"etc/systemd/system", ".service"},
	};
	char path[PATH_MAX];

	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s%s", places[i].dir, svc, places[i].suffix);
		if (tree_exists(rootfd, path))
			return true;
	}
	return false;
}

/* etc/systemd/system/@svc.service -> /dev/null (systemd's mask; also hides SysV scripts). */
static int mask_service(struct fixups *f, const char *svc)
{
	char unit[FIELD_MAX], target[16];
	ssize_t n;
	int dfd, err = 0;

	snprintf(unit, sizeof(unit), "%s.service", svc);
	err = tree_mkdirs(f->rootfd, "etc/systemd/system");
	if (err)
		return err;
	dfd = tree_open(f->rootfd, "etc/systemd/system", O_PATH | O_DIRECTORY, 0);
	if (dfd < 0)
		return dfd;
	n = readlinkat(dfd, unit, target, sizeof(target) - 1);
	if (n >= 0) {
		target[n] = '\0';
		if (strcmp(target, "/dev/null") == 0)
			goto out;
	}
	if (unlinkat(dfd, unit, 0) < 0 && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	if (symlinkat("/dev/null", dfd, unit) < 0) {
		err = -errno;
		goto out;
	}
	logf_(f->log, svc, "masked (etc/systemd/system/%s -> /dev/null)", unit);
	f->changes++;
out:
	close(dfd);
	return err;
}

int fixup_services(struct fixups *f)
{
	int err = 0;

	for (size_t i = 0; i < sizeof(masked_services) / sizeof(masked_services[0]) && !err; i++) {
		const char *svc = masked_services[i];

		if (!service_present(f->rootfd, svc))
			continue;
		err = unlink_enablement(f, svc);
		if (!err)
			err = mask_service(f, svc);
	}
	return err;
}

int fixup_machine_id(struct fixups *f)
{
	const char *base;
	struct stat st;
	int fd, err = 0;

	fd = tree_open(f->rootfd, "etc/machine-id", O_RDONLY, 0);
	if (fd >= 0) {
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
			err = tree_rewrite(f->rootfd, "etc/machine-id", "");
			if (!err) {
				logf_(f->log, "machine-id",
				      "emptied etc/machine-id (each node makes its own at first "
				      "boot)");
				f->changes++;
			}
		}
		close(fd);
	}
	if (err)
		return err;
	/* D-Bus keeps a copy; point it at the node's own. */
	fd = tree_parent(f->rootfd, "var/lib/dbus/machine-id", &base);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	if (fstatat(fd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode)) {
		if (unlinkat(fd, base, 0) < 0 || symlinkat("/etc/machine-id", fd, base) < 0) {
			err = -errno;
		} else {
			logf_(f->log, "machine-id", "var/lib/dbus/machine-id -> /etc/machine-id");
			f->changes++;
		}
	}
	close(fd);
	return err;
}

static int install_ssh_unit(struct fixups *f)
{
	int fd, err;

	err = tree_mkdirs(f->rootfd, "etc/systemd/system/multi-user.target.wants");
	if (err)
		return err;
	fd = tree_open(f->rootfd, "etc/systemd/system/" SSH_UNIT, O_WRONLY | O_CREAT | O_EXCL,
		       0644);
	if (fd >= 0) {
		err = write_all(fd, ssh_unit_text, strlen(ssh_unit_text));
		if (close(fd) < 0 && !err)
			err = -errno;
		if (err)
			return err;
		logf_(f->log, "ssh",
		      "installed etc/systemd/system/%s (ssh-keygen -A at first boot)", SSH_UNIT);
		f->changes++;
	} else if (fd != -EEXIST) {
		return fd;
	}
	fd = tree_open(f->rootfd, "etc/systemd/system/multi-user.target.wants",
		       O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	if (symlinkat("/etc/systemd/system/" SSH_UNIT, fd, SSH_UNIT) == 0) {
		logf_(f->log, "ssh", "enabled %s", SSH_UNIT);
		f->changes++;
	} else if (errno != EEXIST) {
		err = -errno;
	}
	close(fd);
	return err;
}

int fixup_ssh_keys(struct fixups *f)
{
	struct dirent *de;
	bool sshd;
	DIR *d;
	int err = 0;

	d = tree_opendir(f->rootfd, "etc/ssh");
	if (!d)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (!has_prefix(de->d_name, "ssh_host_"))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0) {
			err = -errno;
			break;
		}
		logf_(f->log, "ssh", "removed shared host key etc/ssh/%s", de->d_name);
		f->changes++;
	}
	closedir(d);
	sshd = tree_exists(f->rootfd, "etc/ssh/sshd_config") ||
	       tree_exists(f->rootfd, "usr/sbin/sshd");
	if (!err && sshd)
		err = install_ssh_unit(f);
	return err;
}

int fixups_apply(struct fixups *f, char *why, size_t whylen)
{
	static const struct {
		const char *name;
		int (*fn)(struct fixups *f);
	} steps[] = {
		{"fstab", fixup_fstab},
		{"cmdline.txt", fixup_cmdline},
		{"services", fixup_services},
		{"machine-id", fixup_machine_id},
		{"ssh", fixup_ssh_keys},
		{"config.txt", fixup_config_txt},
		{"nsswitch.conf", fixup_nsswitch},
	};

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int err = steps[i].fn(f);

		if (err) {
			if (why && whylen)
				snprintf(why, whylen, "fix-up %s: %s", steps[i].name,
					 strerror(-err));
			return err;
		}
	}
	return 0;
}
