#!/bin/bash
# SPDX-License-Identifier: MIT
# Fixtures: the Pi boot tree has exact sizes and contents and depends on its
# variant; the arm64/armhf busybox userlands are real foreign binaries that
# run under qemu-user binfmt in a chroot; squashfs images build and round-trip.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_root
require_cmd perl mksquashfs unsquashfs dpkg-deb apt-get file chroot gzip
require_binfmt aarch64
require_binfmt arm

plan 32

# ---- boot tree
t_ok "fixture_boot_tree a" fixture_boot_tree "$T/a" a
fw=$T/a/boot/firmware
sizes=$(cd "$fw" && find . -type f -printf '%P %s\n' | LC_ALL=C sort)
t_is "$sizes" "bcm2711-rpi-4-b.dtb 52593
bootcode.bin 52456
cmdline.txt 150
config.txt 295
empty.bin 0
fixup4.dat 5446
four-k.bin 4096
kernel8.img 31457280
one-m.bin 1048576
one.bin 1
overlays/overlay_map.dtb 5120
overlays/vc4-kms-v3d.dtbo 3083
start4.elf 2097275" "boot/firmware files and exact sizes"
t_is "$(cat "$fw/cmdline.txt")" "console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot" \
	"cmdline.txt"
t_ok "config.txt has arm_64bit=1" grep -qx 'arm_64bit=1' "$fw/config.txt"
t_is "$(cat "$T/a/etc/fstab")" "proc            /proc           proc    defaults          0       0
PARTUUID=abcd-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=abcd-02  /               ext4    defaults,noatime  0       1" "etc/fstab"
t_is "$(cat "$T/a/etc/hostname")" raspberrypi "etc/hostname"
t_is "$(readlink "$fw/evil")" /etc/shadow "boot/firmware/evil -> /etc/shadow"
t_is "$(cat "$T/a/etc/shadow")" 'root:$6$fixture$a:19000:0:99999:7:::
pi:*:19000:0:99999:7:::' "etc/shadow has the known content"
t_is "$(stat -c '%a %Y' "$fw/kernel8.img" "$fw/overlays" "$T/a/etc/hostname")" "644 1700000000
755 1700000000
644 1700000000" "modes and fixed mtimes"
t_is "$(stat -c '%a' "$T/a/etc/shadow")" 640 "etc/shadow is 0640"

t_ok "same variant again" fixture_boot_tree "$T/a2" a
t_is "$(cd "$T/a" && find . -type f -exec sha256sum {} + | sort)" \
	"$(cd "$T/a2" && find . -type f -exec sha256sum {} + | sort)" \
	"same variant gives identical trees"
t_ok "variant b" fixture_boot_tree "$T/b" b
t_fails "variants differ: kernel8.img" cmp -s "$fw/kernel8.img" "$T/b/boot/firmware/kernel8.img"
t_fails "variants differ: start4.elf" cmp -s "$fw/start4.elf" "$T/b/boot/firmware/start4.elf"
t_is "$(stat -c %s "$T/b/boot/firmware/kernel8.img")" 31457280 "variant b has the same sizes"
gz=$(gzip -c "$fw/kernel8.img" | wc -c)
t_ok "kernel8.img is compressible (gzip $gz of 31457280 B)" test "$gz" -lt 15728640

# ---- busybox userlands
t_ok "fixture_busybox_arm64" fixture_busybox_arm64 "$T/arm64"
t_like "$(file -b "$T/arm64/bin/busybox")" "^ELF 64-bit LSB .*ARM aarch64.*statically linked" \
	"arm64 busybox is a static aarch64 ELF"
t_is "$(chroot "$T/arm64" /bin/uname -m 2>&1)" aarch64 "chroot arm64: uname -m"
echo pi-arm64 >"$T/arm64/etc/hostname"
t_is "$(chroot "$T/arm64" /bin/sh -c 'cat /etc/hostname; echo $((6 * 7))' 2>&1)" "pi-arm64
42" "chroot arm64: sh runs applets"

t_ok "fixture_busybox_armhf" fixture_busybox_armhf "$T/armhf"
t_like "$(file -b "$T/armhf/bin/busybox")" "^ELF 32-bit LSB .*ARM, EABI5.*statically linked" \
	"armhf busybox is a static 32-bit ARM ELF"
t_like "$(chroot "$T/armhf" /bin/uname -m 2>&1)" "^armv[78]l$" "chroot armhf: uname -m"

# ---- squashfs
t_ok "fixture_squash (defaults)" fixture_squash "$T/a" "$T/a.sqfs"
t_like "$(unsquashfs -s "$T/a.sqfs")" "Compression gzip" "default compression is gzip"
t_ok "unsquashfs the image" unsquashfs -q -n -d "$T/x" "$T/a.sqfs"
t_ok "image holds the same tree (contents, links)" diff -r --no-dereference "$T/a" "$T/x"
t_ok "fixture_squash again" fixture_squash "$T/a" "$T/a2.sqfs"
t_file_sha_eq "$T/a.sqfs" "$T/a2.sqfs" "image build is reproducible"
t_ok "fixture_squash with own args" fixture_squash "$T/a" "$T/a-xz.sqfs" -comp xz
t_like "$(unsquashfs -s "$T/a-xz.sqfs")" "Compression xz" "own args replace the compression"
