# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# fixtures.sh: trees and images for tests (source after test-lib.sh).
#
#   fixture_bytes SIZE SEED > FILE
#       SIZE bytes of deterministic, compressible data (about 3:1 with
#       gzip) derived from SEED: the same SEED gives the same bytes, another
#       SEED other bytes.
#
#   fixture_boot_tree DIR [VARIANT]      (VARIANT default "a")
#       A Raspberry Pi OS-like tree; file contents derive from VARIANT, so
#       two variants differ in every generated binary. Files are 0644, dirs
#       0755, every mtime is 2023-11-14 22:13:20 UTC (@1700000000).
#         boot/firmware/start4.elf            2 MiB + 123 B
#         boot/firmware/fixup4.dat            5446 B
#         boot/firmware/bootcode.bin          52456 B
#         boot/firmware/bcm2711-rpi-4-b.dtb   52593 B
#         boot/firmware/kernel8.img           30 MiB (31457280 B)
#         boot/firmware/overlays/vc4-kms-v3d.dtbo   3083 B
#         boot/firmware/overlays/overlay_map.dtb    5120 B
#         boot/firmware/{empty,one,four-k,one-m}.bin  0, 1, 4096, 1048576 B
#         boot/firmware/config.txt            text, see FIXTURE_CONFIG_TXT
#         boot/firmware/cmdline.txt           FIXTURE_CMDLINE + "\n"
#         boot/firmware/evil -> /etc/shadow   (leaves the boot dir: hidden)
#         etc/fstab                           FIXTURE_FSTAB
#         etc/hostname                        "raspberrypi\n"
#         etc/shadow                          fixture_shadow VARIANT, 0640
#         etc/fixture-variant                 VARIANT + "\n"
#
#   fixture_busybox_arm64 DIR / fixture_busybox_armhf DIR / fixture_busybox_amd64 DIR
#       A real foreign busybox userland: DIR/bin/busybox from Debian's
#       busybox-static:<arch> plus applet links (DIR/bin/sh, ls, cat, uname,
#       ...) and empty DIR/{etc,proc,sys,dev,tmp}. Runs under qemu-user
#       binfmt (require_binfmt aarch64|arm): `chroot DIR /bin/uname -m`.
#       The .deb is cached in $NB_TEST_CACHE (/var/cache/netbootfs-tests);
#       as root the architecture is added and downloaded with apt-get when
#       missing.
#
#   fixture_deb PKG ARCH
#       Prints the path of Debian's PKG:ARCH .deb, cached the same way.
#
#   fixture_every_table DIR
#       A small tree whose image has every squashfs table (the damaged-image
#       tests): a 20,000-byte file (several blocks at -b 4096) and small
#       ones (fragments), a symlink, a FIFO, two owners (ids), user and
#       trusted xattrs (a value shared by two files, stored out of line), a
#       directory of 300 long names (a directory index). Needs root.
#
#   fixture_gpt_disk OUT KIND:IMG...
#       A raw GPT disk OUT holding the filesystem images IMG as partitions
#       1, 2, ... in that order (KIND esp: EFI system partition, linux:
#       Linux filesystem), each at a 1 MiB boundary and as large as its
#       image rounded up to 1 MiB; written with sfdisk and dd, sparse.
#
#   fixture_squash DIR OUT.sqfs [MKSQUASHFS-ARG...]
#       mksquashfs DIR OUT -noappend -no-progress -quiet -mkfs-time
#       1700000000, plus -comp gzip -b 131072 unless ARGs are given (ARGs
#       replace those two). Owners, modes and mtimes are kept as they are in
#       DIR. The same DIR gives a byte-identical image.

NB_TEST_CACHE=${NB_TEST_CACHE:-/var/cache/netbootfs-tests}

FIXTURE_CMDLINE='console=serial0,115200 console=tty1 root=PARTUUID=abcd-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot'

FIXTURE_FSTAB='proc            /proc           proc    defaults          0       0
PARTUUID=abcd-01  /boot/firmware  vfat    defaults          0       2
PARTUUID=abcd-02  /               ext4    defaults,noatime  0       1'

FIXTURE_CONFIG_TXT='# For more options and information see
# http://rptl.io/configtxt
dtparam=audio=on
camera_auto_detect=1
display_auto_detect=1
auto_initramfs=1
dtoverlay=vc4-kms-v3d
max_framebuffers=2
disable_fw_kms_setup=1
arm_64bit=1
disable_overscan=1
arm_boost=1

[cm4]
otg_mode=1

[all]'

fixture_shadow()
{
	printf 'root:$6$fixture$%s:19000:0:99999:7:::\n' "${1:-a}"
	printf 'pi:*:19000:0:99999:7:::\n'
}

fixture_bytes()
{
	perl -e '
		use strict;
		my ($size, $seed) = @ARGV;
		my $h = 2166136261;                 # FNV-1a of the seed
		for my $c (unpack("C*", $seed)) {
			$h = (($h ^ $c) * 16777619) % 4294967296;
		}
		my $x = $h || 1;
		my $rnd = sub {                     # xorshift32
			$x ^= ($x << 13) & 0xffffffff;
			$x ^= $x >> 17;
			$x ^= ($x << 5) & 0xffffffff;
			return $x;
		};
		# 64 chunks of 1 KiB over a 16-letter alphabet, then a stream of
		# randomly picked chunks: repeats make it compress well.
		my @chunk;
		for (1 .. 64) {
			$chunk[@chunk] = join "", map { chr(97 + ($rnd->() & 15)) } 1 .. 1024;
		}
		binmode STDOUT;
		my $buf = "";
		while ($size > 0) {
			$buf .= $chunk[$rnd->() & 63];
			if (length($buf) >= 1 << 20 || length($buf) >= $size) {
				my $n = $size < length($buf) ? $size : length($buf);
				print substr($buf, 0, $n);
				$size -= $n;
				$buf = "";
			}
		}
	' "$1" "$2"
}

fixture_boot_tree()
{
	local dir=$1 v=${2:-a} fw f spec
	fw=$dir/boot/firmware
	(umask 022 && mkdir -p "$fw/overlays" "$dir/etc") || return 1
	for spec in start4.elf:2097275 fixup4.dat:5446 bootcode.bin:52456 \
		bcm2711-rpi-4-b.dtb:52593 kernel8.img:31457280 \
		overlays/vc4-kms-v3d.dtbo:3083 overlays/overlay_map.dtb:5120 \
		empty.bin:0 one.bin:1 four-k.bin:4096 one-m.bin:1048576; do
		f=${spec%%:*}
		fixture_bytes "${spec##*:}" "$v/$f" >"$fw/$f" || return 1
	done
	printf '%s\n# fixture variant %s\n' "$FIXTURE_CONFIG_TXT" "$v" >"$fw/config.txt"
	printf '%s\n' "$FIXTURE_CMDLINE" >"$fw/cmdline.txt"
	ln -sfn /etc/shadow "$fw/evil"
	printf '%s\n' "$FIXTURE_FSTAB" >"$dir/etc/fstab"
	echo raspberrypi >"$dir/etc/hostname"
	echo "$v" >"$dir/etc/fixture-variant"
	fixture_shadow "$v" >"$dir/etc/shadow"
	find "$dir" -type f -exec chmod 0644 {} + &&
		chmod 0640 "$dir/etc/shadow" &&
		find "$dir" -type d -exec chmod 0755 {} + &&
		find "$dir" -exec touch -h -d @1700000000 {} +
}

# Path of the cached .deb of PKG for ARCH; downloads it if needed.
fixture_deb()
{
	local pkg=$1 arch=$2 deb
	deb=$(ls "$NB_TEST_CACHE"/"$pkg"_*_"$arch".deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		[ "$(id -u)" -eq 0 ] || {
			echo "no cached $pkg:$arch and not root" >&2
			return 1
		}
		mkdir -p "$NB_TEST_CACHE" || return 1
		if [ "$arch" != "$(dpkg --print-architecture)" ] &&
			! dpkg --print-foreign-architectures | grep -qx "$arch"; then
			dpkg --add-architecture "$arch" || return 1
		fi
		if ! ls /var/lib/apt/lists/*_binary-"${arch}"_Packages* >/dev/null 2>&1; then
			# An index of another suite may fail; the download tells.
			apt-get update -q >&2 || true
		fi
		# Keep a partial download out of the cache's name pattern.
		(cd "$NB_TEST_CACHE" &&
			apt-get download -q -o APT::Sandbox::User=root "$pkg:$arch" >&2) ||
			return 1
		deb=$(ls "$NB_TEST_CACHE"/"$pkg"_*_"$arch".deb 2>/dev/null | tail -n1)
	fi
	[ -n "$deb" ] && echo "$deb"
}

_fixture_busybox()
{
	local arch=$1 dir=$2 deb x a
	deb=$(fixture_deb busybox-static "$arch") || return 1
	x=$(mktemp -d "$T/busybox-deb.XXXXXX") || return 1
	dpkg-deb -x "$deb" "$x" || return 1
	mkdir -p "$dir/bin" "$dir/etc" "$dir/proc" "$dir/sys" "$dir/dev" "$dir/tmp" &&
		chmod 1777 "$dir/tmp" &&
		install -m 0755 "$x/bin/busybox" "$dir/bin/busybox" || return 1
	rm -rf "$x"
	for a in sh ash ls cat uname echo mount umount mkdir rmdir rm cp mv ln \
		ps sleep true false test grep sed awk head tail wc env id \
		hostname ip ifconfig udhcpc tftp init sync stat readlink touch \
		chmod chown date dmesg df du find sha256sum md5sum cmp diff dd \
		printf kill vi; do
		ln -sfn busybox "$dir/bin/$a" || return 1
	done
}

fixture_busybox_arm64()
{
	_fixture_busybox arm64 "$1"
}

fixture_busybox_armhf()
{
	_fixture_busybox armhf "$1"
}

fixture_busybox_amd64()
{
	_fixture_busybox amd64 "$1"
}

fixture_every_table()
{
	local t=$1 i
	mkdir -p "$t/boot/firmware" "$t/etc" "$t/many" || return 1
	fixture_bytes 20000 k >"$t/boot/firmware/kernel8.img"
	fixture_bytes 9000 s >"$t/boot/firmware/start4.elf"
	echo 'arm_64bit=1' >"$t/boot/firmware/config.txt"
	echo n9 >"$t/etc/hostname"
	ln -s ../../etc/hostname "$t/boot/firmware/host"
	mkfifo "$t/etc/initctl"
	chown 1000:1000 "$t/etc/hostname"
	setfattr -n user.role -v node "$t/etc/hostname"
	setfattr -n user.shared -v 0123456789abcdef "$t/etc/hostname"
	setfattr -n user.shared -v 0123456789abcdef "$t/boot/firmware/config.txt"
	setfattr -n trusted.overlay.opaque -v y "$t/many"
	for i in $(seq 1 300); do
		: >"$t/many/entry-with-a-longish-name-$i" || return 1
	done
}

fixture_squash()
{
	local dir=$1 out=$2
	shift 2
	[ $# -gt 0 ] || set -- -comp gzip -b 131072
	mksquashfs "$dir" "$out" -noappend -no-progress -quiet \
		-mkfs-time 1700000000 "$@" >/dev/null
}

fixture_gpt_disk()
{
	local out=$1 spec kind img start=2048 sectors table='label: gpt' type
	local -a imgs starts
	shift
	for spec; do
		kind=${spec%%:*} img=${spec#*:}
		case $kind in
		esp) type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B ;;
		linux) type=0FC63DAF-8483-4772-8E79-3D69D8477DE4 ;;
		*) return 1 ;;
		esac
		sectors=$((($(stat -c %s "$img") + 1048575) / 1048576 * 2048))
		table+=$'\n'"start=$start, size=$sectors, type=$type"
		imgs+=("$img") starts+=("$start")
		start=$((start + sectors))
	done
	rm -f "$out" && truncate -s $(((start + 2048) * 512)) "$out" &&
		printf '%s\n' "$table" | sfdisk -q "$out" || return 1
	for spec in "${!imgs[@]}"; do
		dd if="${imgs[$spec]}" of="$out" bs=1M seek=$((starts[spec] * 512)) \
			oflag=seek_bytes conv=notrunc,sparse status=none || return 1
	done
}
