#!/bin/bash
# netbootctl image import: a Pi-style disk image (MBR and GPT, raw and .xz)
# becomes a netboot-ready squashfs that boots through the TFTP view.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd sfdisk mformat mcopy mkfs.ext4 debugfs mksquashfs unsquashfs xz sha256sum

BOOT_START=2048   # sectors: 1 MiB
BOOT_SECTORS=32768 # 16 MiB
ROOT_START=$((BOOT_START + BOOT_SECTORS))
DISK_MB=64

# An arm64 busybox userland that looks like Raspberry Pi OS bookworm.
make_root()
{
	local r=$1
	fixture_busybox_arm64 "$r" || return 1
	mkdir -p "$r/boot/firmware" "$r/etc/ssh" "$r/etc/init.d" "$r/etc/rc3.d" \
		"$r/lib/systemd/system" "$r/etc/systemd/system/multi-user.target.wants" \
		"$r/var/lib/dbus" "$r/home/pi" || return 1
	printf '%s\n' "$FIXTURE_FSTAB" >"$r/etc/fstab"
	echo raspberrypi >"$r/etc/hostname"
	echo 0123456789abcdef0123456789abcdef >"$r/etc/machine-id"
	echo 0123456789abcdef0123456789abcdef >"$r/var/lib/dbus/machine-id"
	echo 'PermitRootLogin no' >"$r/etc/ssh/sshd_config"
	echo 'SHARED-PRIVATE-KEY' >"$r/etc/ssh/ssh_host_ed25519_key"
	echo 'ssh-ed25519 SHARED' >"$r/etc/ssh/ssh_host_ed25519_key.pub"
	chmod 0600 "$r/etc/ssh/ssh_host_ed25519_key"
	printf '#!/bin/sh\nresize2fs /dev/mmcblk0p2\n' >"$r/etc/init.d/resize2fs_once"
	chmod 0755 "$r/etc/init.d/resize2fs_once"
	ln -s ../init.d/resize2fs_once "$r/etc/rc3.d/S01resize2fs_once"
	printf '[Service]\nExecStart=/sbin/dphys-swapfile swapon\n' \
		>"$r/lib/systemd/system/dphys-swapfile.service"
	ln -s /lib/systemd/system/dphys-swapfile.service \
		"$r/etc/systemd/system/multi-user.target.wants/dphys-swapfile.service"
	echo secret >"$r/home/pi/private"
	chown -R 1000:1000 "$r/home/pi"
	chmod 0600 "$r/home/pi/private"
	chmod 4755 "$r/bin/busybox"
}

make_boot()
{
	local b=$1
	mkdir -p "$b/overlays" || return 1
	printf '%s\n' "$FIXTURE_CONFIG_TXT" >"$b/config.txt"
	printf '%s\n' "$FIXTURE_CMDLINE" >"$b/cmdline.txt"
	fixture_bytes 2097275 start4.elf >"$b/start4.elf"
	fixture_bytes 1048576 kernel8.img >"$b/kernel8.img"
	fixture_bytes 3083 vc4 >"$b/overlays/vc4-kms-v3d.dtbo"
}

# make_disk OUT dos|gpt: FAT boot partition 1, ext4 root partition 2.
make_disk()
{
	local out=$1 label=$2 fat=c linux=83
	if [ "$label" == gpt ]; then
		fat=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
		linux=0FC63DAF-8483-4772-8E79-3D69D8477DE4
	fi
	rm -f "$out"
	truncate -s ${DISK_MB}M "$out" || return 1
	printf 'label: %s\nstart=%d, size=%d, type=%s\nstart=%d, size=%d, type=%s\n' \
		"$label" $BOOT_START $BOOT_SECTORS $fat $ROOT_START \
		$((DISK_MB * 2048 - ROOT_START - 64)) $linux | sfdisk -q "$out" || return 1
	mformat -i "$out@@$((BOOT_START * 512))" -T $BOOT_SECTORS -h 64 -s 32 -H 0 -v BOOTFS :: ||
		return 1
	MTOOLS_SKIP_CHECK=1 mcopy -s -i "$out@@$((BOOT_START * 512))" "$T/boot"/* :: || return 1
	mkfs.ext4 -q -F -L rootfs -d "$T/root" -E offset=$((ROOT_START * 512)) "$out" \
		$(((DISK_MB * 2048 - ROOT_START - 64) / 2))k
}

make_root "$T/root" || skip_all "cannot build the arm64 busybox userland"
make_boot "$T/boot"
make_disk "$T/pi.img" dos || { diag "cannot build the disk image"; exit 1; }

nb_layout
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
nb_write_config <<-INI
	[node:n1]
	image = pios
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
INI

# ---- import of an MBR disk image ---------------------------------------
ctl image import "$T/pi.img" pios >"$T/import.out" 2>"$T/import.err"
ok $? "image import of an MBR disk image succeeds" || _t_diag_stream "$T/import.err"
t_ok "pios.sqfs is in <images>" test -f "$NB/images/pios.sqfs"
t_like "$(unsquashfs -s "$NB/images/pios.sqfs" 2>&1)" "Compression zstd" \
	"default compression is zstd (the linked libsquashfuse reads it)"
t_ok "the image validates" ctl image verify pios

x=$T/x
unsquashfs -q -d "$x" "$NB/images/pios.sqfs" >/dev/null 2>&1 ||
	unsquashfs -no-progress -d "$x" "$NB/images/pios.sqfs" >/dev/null
for f in start4.elf kernel8.img overlays/vc4-kms-v3d.dtbo; do
	t_file_sha_eq "$x/boot/firmware/$f" "$T/boot/$f" "boot/firmware/$f from the FAT partition"
done
t_is "$(cat "$x/boot/firmware/cmdline.txt")" \
	"console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 fsck.repair=yes rootwait quiet" \
	"cmdline.txt: init=...firstboot removed, the rest as it was"
t_is "$(tail -n 2 "$x/boot/firmware/config.txt")" "[all]
bootloader_update=0" "config.txt: bootloader_update=0 appended in [all]"
t_is "$(cat "$x/etc/fstab")" \
	"proc            /proc           proc    defaults          0       0" \
	"fstab: the SD-card lines for / and /boot/firmware are gone"
t_is "$(stat -c %s "$x/etc/machine-id")" 0 "machine-id emptied (each node makes its own)"
t_is "$(readlink "$x/var/lib/dbus/machine-id")" /etc/machine-id "dbus machine-id links to it"
t_is "$(ls "$x/etc/ssh")" sshd_config "shared SSH host keys removed"
t_like "$(cat "$x/etc/systemd/system/netbootfs-ssh-hostkeys.service")" "ExecStart=/usr/bin/ssh-keygen -A" \
	"a unit makes host keys at first boot"
t_is "$(readlink "$x/etc/systemd/system/multi-user.target.wants/netbootfs-ssh-hostkeys.service")" \
	/etc/systemd/system/netbootfs-ssh-hostkeys.service "and it is enabled"
t_is "$(readlink "$x/etc/systemd/system/resize2fs_once.service")" /dev/null "resize2fs_once masked"
t_fails "resize2fs_once rc3.d link removed" test -L "$x/etc/rc3.d/S01resize2fs_once"
t_is "$(readlink "$x/etc/systemd/system/dphys-swapfile.service")" /dev/null "dphys-swapfile masked"
t_fails "dphys-swapfile no longer wanted" \
	test -L "$x/etc/systemd/system/multi-user.target.wants/dphys-swapfile.service"
t_is "$(stat -c '%u:%g %a' "$x/home/pi/private" "$x/home/pi" "$x/bin/busybox" | tr '\n' ' ')" \
	"1000:1000 600 1000:1000 755 0:0 4755 " "owners and modes (incl. set-uid) preserved"
t_is "$(readlink "$x/bin/sh")" busybox "symlinks preserved"
t_file_sha_eq "$x/bin/busybox" "$T/root/bin/busybox" "arm64 busybox intact"
out=$(cat "$T/import.out")
t_like "$out" "fixup: fstab: dropped \"PARTUUID=abcd-02  /  " "fix-ups are logged"
t_like "$out" "fixup: config.txt: added \"bootloader_update=0\"" "config.txt fix-up logged"
t_like "$out" "boot: partition 1 .* -> /boot/firmware" "boot partition goes to /boot/firmware"

# The fix-ups are idempotent: importing the imported tree changes nothing.
ctl image import "$x" pios-again >"$T/again.out" 2>&1
ok $? "importing the unpacked tree (a directory) succeeds" || _t_diag_stream "$T/again.out"
t_like "$(cat "$T/again.out")" ": 0 fix-ups applied" "a second run of the fix-ups changes nothing"
t_is "$(grep -c '^fixup:' "$T/again.out")" 0 "and logs no change"

# ---- compressed and GPT images -----------------------------------------
xz -T1 -1 -k -c "$T/pi.img" >"$T/pi.img.xz"
ctl image import -C xz "$T/pi.img.xz" pios-xz >"$T/xz.out" 2>&1
ok $? "import of a .img.xz" || _t_diag_stream "$T/xz.out"
t_like "$(unsquashfs -s "$NB/images/pios-xz.sqfs" 2>&1)" "Compression xz" "-C xz is honoured"
t_is "$(unsquashfs -cat "$NB/images/pios-xz.sqfs" boot/firmware/cmdline.txt 2>/dev/null)" \
	"$(cat "$x/boot/firmware/cmdline.txt")" ".img.xz gives the same cmdline.txt"

make_disk "$T/gpt.img" gpt
ctl image import "$T/gpt.img" pios-gpt >"$T/gpt.out" 2>&1
ok $? "import of a GPT disk image" || _t_diag_stream "$T/gpt.out"
t_like "$(cat "$T/gpt.out")" "GPT, root: partition 2" "GPT table read"
t_is "$(unsquashfs -cat "$NB/images/pios-gpt.sqfs" boot/firmware/start4.elf 2>/dev/null | sha256sum)" \
	"$(sha256sum <"$T/boot/start4.elf")" "GPT: start4.elf extracted"

# ---- a truncated image -------------------------------------------------
ls -A "$NB/images" >"$T/images.before"
head -c $((40 * 1024 * 1024)) "$T/pi.img" >"$T/trunc.img"
ctl image import "$T/trunc.img" broken >"$T/trunc.out" 2>"$T/trunc.err"
t_is "$?" 1 "a truncated .img fails with exit status 1"
t_like "$(cat "$T/trunc.err")" \
	"^netbootctl: image import: .*trunc.img: partition 2 ends at byte [0-9]+ but the image has only 41943040 bytes \(truncated\?\)" \
	"with a clear error"
t_is "$(ls -A "$NB/images")" "$(cat "$T/images.before")" "and leaves nothing in <images>"
t_is "$(ls -A "$T/tmp")" "" "the work directory is gone"
truncate -s 1M "$T/junk.img"
t_fails "a file without a partition table is refused" ctl image import "$T/junk.img" junk
t_like "$(cat "$T/.t_out")" "no partition table" "saying so"

# ---- without debugfs, as root: the root partition is loop-mounted ------
if losetup -f >/dev/null 2>&1 && grep -qw ext4 /proc/filesystems; then
	mkdir -p "$T/nodebugfs"
	# A PATH with every tool but debugfs (the first of a name wins).
	for d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		ln -s "$d"/* "$T/nodebugfs/" 2>/dev/null
	done
	rm -f "$T/nodebugfs/debugfs"
	PATH=$T/nodebugfs ctl image import "$T/pi.img" pios-loop >"$T/loop.out" 2>&1
	ok $? "import without debugfs (loop-mount fallback)" || _t_diag_stream "$T/loop.out"
	t_like "$(cat "$T/loop.out")" "debugfs or mcopy missing: loop-mounting partition 2" \
		"the fallback says so"
	rm -rf "$T/y"
	unsquashfs -no-progress -d "$T/y" "$NB/images/pios-loop.sqfs" >/dev/null
	t_is "$(stat -c '%u:%g %a' "$T/y/home/pi/private" "$T/y/bin/busybox" | tr '\n' ' ')" \
		"1000:1000 600 0:0 4755 " "owners and modes preserved by the fallback"
	t_is "$(cat "$T/y/etc/fstab")" "$(cat "$x/etc/fstab")" "and the fix-ups applied"
	t_is "$(awk -v p="$T/tmp" 'index($5, p) == 1' /proc/self/mountinfo)" "" \
		"no loop mount is left behind"
else
	skip "no loop devices or no ext4 in this kernel" 5
fi

# ---- the imported image boots through the TFTP view -------------------
nb_start || exit 1
tftp=$NB/tftp/1a2b3c4d
t_is "$(cat "$tftp/cmdline.txt")" \
	"console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=10.99.0.1:$NB/nfs/n1,vers=3,tcp rw ip=dhcp rootwait" \
	"n1 boots the imported image with the netboot cmdline"
t_file_sha_eq "$tftp/start4.elf" "$T/boot/start4.elf" "start4.elf over TFTP"
t_like "$(cat "$tftp/config.txt")" "bootloader_update=0" "config.txt over TFTP has bootloader_update=0"
t_fails "the node's fstab has no SD-card lines" grep -q PARTUUID "$NB/nfs/n1/etc/fstab"
t_file_sha_eq "$NB/nfs/n1/bin/busybox" "$T/root/bin/busybox" "the node's root serves the userland"
t_ok "daemon stops cleanly" nb_stop

done_testing
