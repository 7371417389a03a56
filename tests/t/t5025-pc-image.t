#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, PC images: `image import` of a PC root tree (amd64 busybox,
# kernels in /boot, a disk root in fstab), of its tarball and of a raw GPT
# disk (EFI system partition + ext4 root: the ESP lands in /boot/efi, the
# disk's lines leave fstab); `netbootctl check` of PXE nodes; `image shell`
# runs an amd64 image natively on an x86_64 host (it needs no binfmt entry)
# and installs the result as a new generation.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_cmd mksquashfs unsquashfs tar sfdisk mkfs.vfat mcopy mkfs.ext4 truncate
[ "$(uname -m)" = x86_64 ] || skip_all "needs an x86_64 host"
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

plan 16
nb_layout
tree=$T/pc
fixture_busybox_amd64 "$tree" || {
	echo "Bail out! no amd64 busybox"
	exit 1
}
mkdir -p "$tree/boot" "$tree/sbin" "$tree/usr/sbin"
fixture_bytes 4000 k1 >"$tree/boot/vmlinuz-6.1.0-9-amd64"
fixture_bytes 3000 i1 >"$tree/boot/initrd.img-6.1.0-9-amd64"
printf 'UUID=1234-abcd / ext4 errors=remount-ro 0 1\nUUID=5678 /boot/efi vfat umask=0077 0 1\nproc /proc proc defaults 0 0\n' \
	>"$tree/etc/fstab"
echo pc >"$tree/etc/hostname"
printf 'clients = 10.251.0.0/24\n[defaults]\nimage = pc\nboot = pxe\n[node:pc1]\nmac = 52:54:00:50:25:01\n' |
	nb_write_config
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }
sqfs_cat() { unsquashfs -cat "$NB/images/$1.sqfs" "$2" 2>/dev/null; }

ctl image import "$tree" pc >"$T/import.out" 2>&1
t_is "$?" 0 "image import of a PC root tree: exit 0"
t_is "$(sqfs_cat pc etc/fstab)" "proc /proc proc defaults 0 0" \
	"import: the disk's root and /boot/efi lines left etc/fstab"
t_file_sha_eq <(sqfs_cat pc boot/vmlinuz-6.1.0-9-amd64) "$tree/boot/vmlinuz-6.1.0-9-amd64" \
	"import: the kernel is in the image's /boot"

tar -C "$tree" -czf "$T/pc.tar.gz" . &&
	ctl image import "$T/pc.tar.gz" pc-tar >"$T/import-tar.out" 2>&1
t_is "$?" 0 "image import of the tree's tarball: exit 0"
t_is "$(sqfs_cat pc-tar etc/fstab)" "proc /proc proc defaults 0 0" \
	"import of the tarball: the same fix-up"

# A change made in the image with image shell, natively.
out=$(ctl image shell pc -- /bin/sh -c \
	'uname -m; echo 6.1.0-10 >/etc/kver' \
	2>"$T/shell.err")
t_is "$?" 0 "image shell of the amd64 image: exit 0"
t_is "$out" x86_64 "image shell ran the amd64 image's busybox natively: uname -m prints x86_64"
t_is "$(sqfs_cat pc etc/kver)" 6.1.0-10 "the new generation holds the shell's change"

# netbootctl check: a PXE node needs a kernel in /boot, not Pi boot files.
ctl check >"$T/check.out" 2>&1
t_is "$?" 0 "check: a PXE node on the PC image is fine" || _t_diag_stream <"$T/check.out"
mkdir -p "$T/nokernel/boot" "$T/nokernel/etc" && echo x >"$T/nokernel/etc/hostname" &&
	nb_image nokernel "$T/nokernel"
printf 'clients = 10.251.0.0/24\n[defaults]\nimage = pc\nboot = pxe\n[node:pc1]\nmac = 52:54:00:50:25:01\n[node:pc2]\nimage = nokernel\nmac = 52:54:00:50:25:02\n' |
	nb_write_config
ctl check >"$T/check.out" 2>&1
t_is "$?" 1 "check: a PXE node on an image without a kernel is a problem"
t_is "$(grep -c 'nokernel' "$T/check.out")" 1 "check: one line names that image"
t_like "$(cat "$T/check.out")" "nokernel.sqfs: boot has no kernel \\(vmlinuz or vmlinuz-VERSION\\) for boot = pxe \\(node pc2\\)" \
	"check: it says what is missing, for which node"

# A raw PC disk: GPT, an EFI system partition (FAT) and an ext4 root.
d=$T/disk
mkdir -p "$d/root/boot/efi" "$d/root/etc" "$d/efi/EFI/debian"
cp "$tree/boot/vmlinuz-6.1.0-9-amd64" "$d/root/boot/"
printf 'UUID=aaaa / ext4 defaults 0 1\nUUID=bbbb /boot/efi vfat umask=0077 0 1\nUUID=cccc none swap sw 0 0\ntmpfs /tmp tmpfs defaults 0 0\n' \
	>"$d/root/etc/fstab"
echo grub >"$d/efi/EFI/debian/grubx64.efi"
if truncate -s 40M "$d/esp.img" && mkfs.vfat "$d/esp.img" >/dev/null &&
	mcopy -s -i "$d/esp.img" "$d/efi/EFI" ::/ &&
	truncate -s 60M "$d/root.img" && mkfs.ext4 -q -d "$d/root" "$d/root.img" &&
	fixture_gpt_disk "$d/pc.img" esp:"$d/esp.img" linux:"$d/root.img"; then
	ctl image import "$d/pc.img" pc-disk >"$T/import-disk.out" 2>&1
	t_is "$?" 0 "image import of a raw GPT PC disk: exit 0" || _t_diag_stream <"$T/import-disk.out"
	t_is "$(sqfs_cat pc-disk boot/efi/EFI/debian/grubx64.efi)" grub \
		"the EFI system partition is in /boot/efi, where the PC mounts it"
	t_is "$(unsquashfs -l "$NB/images/pc-disk.sqfs" 2>/dev/null | grep -c '^squashfs-root/boot/EFI')" 0 \
		"and not spilled over /boot"
	t_is "$(sqfs_cat pc-disk etc/fstab)" "tmpfs /tmp tmpfs defaults 0 0" \
		"the disk's root, ESP and swap lines left etc/fstab"
else
	skip "cannot build a GPT disk image" 4
fi
