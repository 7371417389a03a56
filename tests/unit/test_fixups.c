/* SPDX-License-Identifier: MIT */
/*
 * ctl/fixups.c: each netboot fix-up changes exactly what it should, logs
 * it, is idempotent, and never follows a link out of the tree.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "ctl/fixups.h"
#include "tests/unit/image_fixture.h"

static const char pi_fstab[] =
	"proc            /proc           proc    defaults          0       0\n"
	"PARTUUID=abcd-01  /boot/firmware  vfat    defaults          0       2\n"
	"PARTUUID=abcd-02  /               ext4    defaults,noatime  0       1\n"
	"# a comment about PARTUUID=abcd-02 /\n"
	"/dev/mmcblk0p3  /data  ext4  defaults  0 2\n"
	"server:/export  /srv  nfs  defaults  0 0\n";

static const char pi_fstab_fixed[] =
	"proc            /proc           proc    defaults          0       0\n"
	"# a comment about PARTUUID=abcd-02 /\n"
	"server:/export  /srv  nfs  defaults  0 0\n";

static char *apply_text(char *(*fn)(const char *, FILE *, unsigned *), const char *in,
			unsigned *changes, char **log)
{
	size_t loglen;
	FILE *f = open_memstream(log, &loglen);
	char *out;

	assert_non_null(f);
	out = fn(in, f, changes);
	fclose(f);
	assert_non_null(out);
	return out;
}

static void test_fstab(void **state)
{
	unsigned changes;
	char *log, *out, *again;

	(void)state;
	out = apply_text(fstab_drop_sdcard, pi_fstab, &changes, &log);
	assert_string_equal(out, pi_fstab_fixed);
	assert_int_equal(changes, 3);
	assert_string_equal(
		log, "fixup: fstab: dropped \"PARTUUID=abcd-01  /boot/firmware  vfat    defaults"
		     "          0       2\"\n"
		     "fixup: fstab: dropped \"PARTUUID=abcd-02  /               ext4    "
		     "defaults,noatime  0       1\"\n"
		     "fixup: fstab: dropped \"/dev/mmcblk0p3  /data  ext4  defaults  0 2\"\n");
	free(log);
	again = apply_text(fstab_drop_sdcard, out, &changes, &log);
	assert_string_equal(again, out);
	assert_int_equal(changes, 0);
	assert_string_equal(log, "");
	free(log);
	free(again);
	free(out);
}

/* A PC's fstab: its disk's root, EFI system partition and swap go; the
 * network and memory file systems stay. */
static void test_fstab_pc(void **state)
{
	static const char in[] = "UUID=1111 / ext4 errors=remount-ro 0 1\n"
				 "UUID=2222 /boot/efi vfat umask=0077 0 1\n"
				 "UUID=3333 none swap sw 0 0\n"
				 "/dev/sda3 swap swap defaults 0 0\n"
				 "tmpfs /tmp tmpfs defaults 0 0\n"
				 "server:/srv/data /data nfs defaults 0 0\n";
	unsigned changes;
	char *log, *out;

	(void)state;
	out = apply_text(fstab_drop_sdcard, in, &changes, &log);
	assert_string_equal(out, "tmpfs /tmp tmpfs defaults 0 0\n"
				 "server:/srv/data /data nfs defaults 0 0\n");
	assert_int_equal(changes, 4);
	free(log);
	free(out);
}

static void test_cmdline(void **state)
{
	static const char in[] = "console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 "
				 "rootfstype=ext4 fsck.repair=yes rootwait quiet "
				 "init=/usr/lib/raspberrypi-sys-mods/firstboot resize\n";
	static const char old[] = "dwc_otg.lpm_enable=0 console=tty1 root=/dev/mmcblk0p2 "
				  "rootwait quiet init=/usr/lib/raspi-config/init_resize.sh";
	static const char plain[] = "console=tty1  root=/dev/nfs   init=/sbin/init\n";
	unsigned changes;
	char *log, *out;

	(void)state;
	out = apply_text(cmdline_drop_firstboot, in, &changes, &log);
	assert_string_equal(out, "console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 "
				 "rootfstype=ext4 fsck.repair=yes rootwait quiet\n");
	assert_int_equal(changes, 2);
	assert_string_equal(log, "fixup: cmdline.txt: removed "
				 "\"init=/usr/lib/raspberrypi-sys-mods/firstboot\"\n"
				 "fixup: cmdline.txt: removed \"resize\"\n");
	free(log);
	free(out);

	out = apply_text(cmdline_drop_firstboot, old, &changes, &log);
	assert_string_equal(out, "dwc_otg.lpm_enable=0 console=tty1 root=/dev/mmcblk0p2 "
				 "rootwait quiet");
	assert_int_equal(changes, 1);
	free(log);
	free(out);

	/* Nothing to do: the bytes stay exactly as they were. */
	out = apply_text(cmdline_drop_firstboot, plain, &changes, &log);
	assert_string_equal(out, plain);
	assert_int_equal(changes, 0);
	free(log);
	free(out);
}

static void test_nsswitch(void **state)
{
	unsigned changes;
	char *log, *out, *again;

	(void)state;
	out = apply_text(nsswitch_extrausers,
			 "# c\npasswd:         files systemd\ngroup:          files systemd\n"
			 "shadow:  files\nhosts: files dns\n",
			 &changes, &log);
	assert_string_equal(out, "# c\npasswd:         files systemd extrausers\n"
				 "group:          files systemd [SUCCESS=merge] extrausers\n"
				 "shadow:  files extrausers\nhosts: files dns\n");
	assert_int_equal(changes, 3);
	assert_string_equal(log,
			    "fixup: nsswitch.conf: passwd:         files systemd extrausers\n"
			    "fixup: nsswitch.conf: group:          files systemd [SUCCESS=merge] "
			    "extrausers\n"
			    "fixup: nsswitch.conf: shadow:  files extrausers\n");
	free(log);
	again = apply_text(nsswitch_extrausers, out, &changes, &log);
	assert_string_equal(again, out);
	assert_int_equal(changes, 0);
	free(log);
	free(again);
	free(out);
	/* An admin's own placement of extrausers is left alone. */
	out = apply_text(nsswitch_extrausers, "passwd: extrausers files\n", &changes, &log);
	assert_string_equal(out, "passwd: extrausers files\n");
	assert_int_equal(changes, 0);
	free(log);
	free(out);
}

static void test_config_txt(void **state)
{
	unsigned changes;
	char *log, *out, *again;

	(void)state;
	/* Ends inside a filtered section: a new [all] is opened. */
	out = apply_text(config_txt_no_bootloader_update, "arm_64bit=1\n[cm4]\notg_mode=1",
			 &changes, &log);
	assert_string_equal(out, "arm_64bit=1\n[cm4]\notg_mode=1\n[all]\nbootloader_update=0\n");
	assert_int_equal(changes, 1);
	assert_string_equal(log, "fixup: config.txt: added \"bootloader_update=0\" (a shared "
				 "boot tree must not re-flash EEPROMs)\n");
	free(log);
	again = apply_text(config_txt_no_bootloader_update, out, &changes, &log);
	assert_string_equal(again, out);
	assert_int_equal(changes, 0);
	free(log);
	free(again);
	free(out);

	/* Already in [all]: appended there. */
	out = apply_text(config_txt_no_bootloader_update, "[pi4]\nx=1\n[all]\n", &changes, &log);
	assert_string_equal(out, "[pi4]\nx=1\n[all]\nbootloader_update=0\n");
	free(log);
	free(out);

	/* Any other value, in any section, becomes 0. */
	out = apply_text(config_txt_no_bootloader_update,
			 "bootloader_update=1\n[pi5]\n  bootloader_update=1 \n", &changes, &log);
	assert_string_equal(out, "bootloader_update=0\n[pi5]\nbootloader_update=0\n");
	assert_int_equal(changes, 2);
	free(log);
	free(out);
}

struct tree {
	char *dir;
	int rootfd;
};

static int setup_tree(void **state)
{
	struct tree *t = calloc(1, sizeof(*t));
	char *d;

	t->dir = fx_tmpdir();
	d = t->dir;
	fx_mkdirs(d, "etc/ssh");
	fx_mkdirs(d, "etc/init.d");
	fx_mkdirs(d, "etc/rc2.d");
	fx_mkdirs(d, "etc/rcS.d");
	fx_mkdirs(d, "etc/systemd/system/multi-user.target.wants");
	fx_mkdirs(d, "lib/systemd/system");
	fx_mkdirs(d, "var/lib/dbus");
	fx_mkdirs(d, "boot/firmware");
	fx_write_str(d, "etc/fstab", pi_fstab);
	fx_write_str(d, "etc/machine-id", "0123456789abcdef0123456789abcdef\n");
	fx_write_str(d, "var/lib/dbus/machine-id", "0123456789abcdef0123456789abcdef\n");
	fx_write_str(d, "etc/ssh/sshd_config", "PermitRootLogin no\n");
	fx_write_str(d, "etc/ssh/ssh_host_rsa_key", "KEY\n");
	fx_write_str(d, "etc/ssh/ssh_host_rsa_key.pub", "PUB\n");
	fx_write_str(d, "etc/init.d/resize2fs_once", "#!/bin/sh\n");
	fx_symlink(d, "etc/rc2.d/S01resize2fs_once", "../init.d/resize2fs_once");
	fx_symlink(d, "etc/rcS.d/K01resize2fs_once", "../init.d/resize2fs_once");
	fx_symlink(d, "etc/rc2.d/S01other", "../init.d/other");
	fx_write_str(d, "lib/systemd/system/dphys-swapfile.service", "[Service]\n");
	fx_symlink(d, "etc/systemd/system/multi-user.target.wants/dphys-swapfile.service",
		   "/lib/systemd/system/dphys-swapfile.service");
	fx_write_str(d, "boot/firmware/config.txt", "arm_64bit=1\n");
	/* An absolute link: must resolve inside the tree, never on the host. */
	fx_write_str(d, "etc/cmdline.real", "quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n");
	fx_symlink(d, "boot/firmware/cmdline.txt", "/etc/cmdline.real");
	t->rootfd = open(d, O_PATH | O_DIRECTORY);
	assert_true(t->rootfd >= 0);
	*state = t;
	return 0;
}

static int teardown_tree(void **state)
{
	struct tree *t = *state;

	close(t->rootfd);
	fx_rm_rf(t->dir);
	free(t->dir);
	free(t);
	return 0;
}

static char *read_rel(const struct tree *t, const char *rel)
{
	char *p = fx_path(t->dir, rel);
	size_t len;
	unsigned char *b = fx_slurp(p, &len);
	char *s;

	free(p);
	if (!b)
		return NULL;
	s = calloc(1, len + 1);
	memcpy(s, b, len);
	free(b);
	return s;
}

static void assert_link(const struct tree *t, const char *rel, const char *target)
{
	char buf[256];
	ssize_t n = readlinkat(t->rootfd, rel, buf, sizeof(buf) - 1);

	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, target);
}

static void assert_absent(const struct tree *t, const char *rel)
{
	struct stat st;

	assert_int_equal(fstatat(t->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_tree(void **state)
{
	struct tree *t = *state;
	struct fixups f = {.rootfd = t->rootfd};
	char why[256] = "", *s, *log;
	size_t loglen;

	assert_string_equal(fixups_boot_dir(t->rootfd), "boot/firmware");
	f.boot_dir = "boot/firmware";
	f.log = open_memstream(&log, &loglen);
	assert_int_equal(fixups_apply(&f, why, sizeof(why)), 0);
	fclose(f.log);
	/* 3 fstab + 1 cmdline + resize2fs_once (2 links + mask) + dphys (1 link + mask)
	 * + machine-id (2) + ssh (2 keys + unit + enable) + config.txt */
	assert_int_equal(f.changes, 3 + 1 + 3 + 2 + 2 + 4 + 1);

	s = read_rel(t, "etc/fstab");
	assert_string_equal(s, pi_fstab_fixed);
	free(s);
	s = read_rel(t, "etc/cmdline.real");
	assert_string_equal(s, "quiet\n");
	free(s);
	assert_link(t, "boot/firmware/cmdline.txt", "/etc/cmdline.real");
	assert_absent(t, "etc/rc2.d/S01resize2fs_once");
	assert_absent(t, "etc/rcS.d/K01resize2fs_once");
	assert_link(t, "etc/rc2.d/S01other", "../init.d/other");
	assert_link(t, "etc/systemd/system/resize2fs_once.service", "/dev/null");
	assert_link(t, "etc/systemd/system/dphys-swapfile.service", "/dev/null");
	assert_absent(t, "etc/systemd/system/multi-user.target.wants/dphys-swapfile.service");
	s = read_rel(t, "etc/machine-id");
	assert_string_equal(s, "");
	free(s);
	assert_link(t, "var/lib/dbus/machine-id", "/etc/machine-id");
	assert_absent(t, "etc/ssh/ssh_host_rsa_key");
	assert_absent(t, "etc/ssh/ssh_host_rsa_key.pub");
	s = read_rel(t, "etc/ssh/sshd_config");
	assert_string_equal(s, "PermitRootLogin no\n");
	free(s);
	s = read_rel(t, "etc/systemd/system/netbootfs-ssh-hostkeys.service");
	assert_non_null(strstr(s, "ExecStart=/usr/bin/ssh-keygen -A\n"));
	assert_non_null(strstr(s, "ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key\n"));
	free(s);
	assert_link(t, "etc/systemd/system/multi-user.target.wants/netbootfs-ssh-hostkeys.service",
		    "/etc/systemd/system/netbootfs-ssh-hostkeys.service");
	s = read_rel(t, "boot/firmware/config.txt");
	assert_string_equal(s, "arm_64bit=1\nbootloader_update=0\n");
	free(s);
	assert_non_null(
		strstr(log, "fixup: resize2fs_once: removed etc/rc2.d/S01resize2fs_once\n"));
	assert_non_null(strstr(log, "fixup: dphys-swapfile: masked (etc/systemd/system/"
				    "dphys-swapfile.service -> /dev/null)\n"));
	assert_non_null(
		strstr(log, "fixup: ssh: removed shared host key etc/ssh/ssh_host_rsa_key\n"));
	free(log);

	/* Idempotent: a second run changes and logs nothing. */
	f.changes = 0;
	f.log = open_memstream(&log, &loglen);
	assert_int_equal(fixups_apply(&f, why, sizeof(why)), 0);
	fclose(f.log);
	assert_int_equal(f.changes, 0);
	assert_string_equal(log, "");
	free(log);
}

static void test_boot_dir(void **state)
{
	struct tree *t = *state;

	/* bullseye and older: the FAT is mounted at /boot. */
	fx_write_str(t->dir, "etc/fstab", "PARTUUID=1-01 /boot vfat defaults 0 2\n");
	assert_string_equal(fixups_boot_dir(t->rootfd), "boot");
	/* No fstab line: an existing boot/firmware decides. */
	fx_write_str(t->dir, "etc/fstab", "proc /proc proc defaults 0 0\n");
	assert_string_equal(fixups_boot_dir(t->rootfd), "boot/firmware");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fstab),
		cmocka_unit_test(test_fstab_pc),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_config_txt),
		cmocka_unit_test(test_nsswitch),
		cmocka_unit_test_setup_teardown(test_tree, setup_tree, teardown_tree),
		cmocka_unit_test_setup_teardown(test_boot_dir, setup_tree, teardown_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
