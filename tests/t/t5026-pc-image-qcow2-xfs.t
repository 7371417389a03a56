#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, PC images: `image import` of a qcow2 disk (GPT, ext4 root,
# converted with qemu-img into the import's work directory, which is empty
# afterwards) and of a raw GPT disk whose root partition is xfs (read by a
# loop mount). The imported squashfs holds the source tree exactly (names,
# types, modes, owners, file sha256, link targets) outside /etc, and the
# netboot fix-ups ran (the disk's fstab lines are gone; etc/hostname is the
# image's own: the per-node one comes from the daemon's generated layer).
# Without qemu-img, or as a user for an xfs root, the import says why. A
# SIGTERM during the conversion removes the work directory before the
# import dies of it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/rebase.sh"

require_root
require_cmd mksquashfs unsquashfs sfdisk mkfs.ext4 mkfs.xfs qemu-img truncate setpriv
grep -qw xfs /proc/filesystems || modprobe xfs 2>/dev/null || skip_all "the kernel has no xfs"
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

plan 22
nb_layout
printf 'clients = 10.251.0.0/24\n[defaults]\nimage = pc\nboot = pxe\n' | nb_write_config
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }
sqfs_cat() { unsquashfs -cat "$NB/images/$1.sqfs" "$2" 2>/dev/null; }
# The manifest of everything but /etc, which the fix-ups change.
manifest() { rb_manifest "$1" | grep -v '^[a-z] [0-7]* [0-9]*:[0-9]* \./etc[/ ]\|\./etc$'; }
sqfs_manifest()
{
	rm -rf "$T/x" && unsquashfs -q -d "$T/x" "$NB/images/$1.sqfs" >/dev/null 2>&1 &&
		manifest "$T/x"
}
# import_ok SRC NAME WHAT: import SRC as NAME (output in $T/NAME.out); it
# holds the source tree and the fix-ups ran (4 tests).
import_ok()
{
	ctl image import --workdir "$T/work" "$1" "$2" >"$T/$2.out" 2>&1
	t_is "$?" 0 "image import of $3: exit 0" || _t_diag_stream <"$T/$2.out"
	t_is "$(sqfs_manifest "$2")" "$want" \
		"$2: the image holds the source tree exactly (names, modes, owners, sha256, links)"
	t_is "$(sqfs_cat "$2" etc/fstab)" "tmpfs /tmp tmpfs defaults 0 0" \
		"$2: fix-ups: the disk's root and swap lines left etc/fstab"
	t_is "$(sqfs_cat "$2" etc/hostname)" pc-src "$2: etc/hostname is the image's own"
}

# The source tree: kernels, a binary, a set-uid file, a private directory
# of another owner, links, an empty file, a file of several blocks.
src=$T/src
mkdir -p "$src"/{boot,etc,usr/bin,usr/lib/x,home/u/.ssh,var/empty}
mkdir -m 0700 "$src/lost+found" # as mkfs.ext4 makes it
fixture_bytes 300000 k1 >"$src/boot/vmlinuz-6.1.0-9-amd64"
fixture_bytes 90000 i1 >"$src/boot/initrd.img-6.1.0-9-amd64"
fixture_bytes 5000 b >"$src/usr/bin/tool" && chmod 0755 "$src/usr/bin/tool"
fixture_bytes 700 s >"$src/usr/bin/su" && chmod 4755 "$src/usr/bin/su"
: >"$src/usr/lib/x/empty"
echo key >"$src/home/u/.ssh/authorized_keys" && chmod 0600 "$src/home/u/.ssh/authorized_keys"
chmod 0700 "$src/home/u/.ssh" && chown -R 1000:1000 "$src/home/u"
ln -s ../lib/x/empty "$src/usr/bin/rel-link"
ln -s /boot/vmlinuz-6.1.0-9-amd64 "$src/vmlinuz"
printf 'UUID=aaaa / ext4 defaults 0 1\nUUID=cccc none swap sw 0 0\ntmpfs /tmp tmpfs defaults 0 0\n' \
	>"$src/etc/fstab"
echo pc-src >"$src/etc/hostname"
want=$(manifest "$src")

# (a) a GPT disk with an ext4 root, as qcow2.
d=$T/disk
mkdir -p "$d" "$T/work"
truncate -s 8M "$d/root.img" && mkfs.ext4 -q -d "$src" "$d/root.img" &&
	fixture_gpt_disk "$d/pc.img" linux:"$d/root.img" &&
	qemu-img convert -f raw -O qcow2 "$d/pc.img" "$d/pc.qcow2" || {
	echo "Bail out! cannot build the qcow2 disk"
	exit 1
}
import_ok "$d/pc.qcow2" pc-qcow2 "a qcow2 GPT disk with an ext4 root"
t_like "$(cat "$T/pc-qcow2.out")" "pc.qcow2: qcow2 \\(virtual size 10 MiB\\): converting it with qemu-img to a raw disk in $T/work/[^ ]*, which needs up to 10 MiB there" \
	"the progress output names qemu-img and the scratch space it needs"
t_is "$(ls -A "$T/work")" "" "the work directory (with the raw disk) is gone"

# Without qemu-img: a clear error, nothing left behind.
mkdir -p "$T/noqemu"
for t in mksquashfs unsquashfs cp rm tar debugfs; do
	p=$(command -v "$t") && ln -s "$p" "$T/noqemu/$t"
done
PATH=$T/noqemu ctl image import --workdir "$T/work" "$d/pc.qcow2" pc-noqemu >"$T/noqemu.out" 2>&1
t_is "$?" 1 "qcow2 without qemu-img: exit 1"
t_like "$(cat "$T/noqemu.out")" "image import: $d/pc.qcow2 is a qcow2 image: converting it needs qemu-img \\(install qemu-utils\\)" \
	"the error says what to install"
t_is "$(ls -A "$T/work")$(ls "$NB/images" | grep -c noqemu)" 0 "and leaves no work directory and no image"

# A damaged qcow2 (version 99 in its header): qemu-img's failure is named.
cp "$d/pc.qcow2" "$d/cut.qcow2" &&
	printf '\0\0\0\143' | dd of="$d/cut.qcow2" bs=1 seek=4 conv=notrunc status=none
ctl image import --workdir "$T/work" "$d/cut.qcow2" pc-cut >"$T/cut.out" 2>&1
t_is "$?" 1 "a damaged qcow2: exit 1"
t_like "$(cat "$T/cut.out")" "image import: converting $d/cut.qcow2: qemu-img failed" \
	"the error names the conversion"
t_is "$(ls -A "$T/work")" "" "the work directory is gone after the failure"

# SIGTERM (or Ctrl-C, a hangup) to the import's process group during the
# conversion: the work directory goes, then the import dies of the signal.
# (A test sends SIGTERM: jobs of a script ignore SIGINT.) qemu-img waits, in open(2), for the writer of a FIFO
# that is the qcow2's backing file: the conversion lasts until we kill it.
mkfifo "$d/backing.raw" &&
	qemu-img create -q -f qcow2 -F raw -b "$d/backing.raw" -u "$d/over.qcow2" 10M || {
	echo "Bail out! cannot build the qcow2 overlay"
	exit 1
}
setsid "$NETBOOTCTL" -c "$NB_CONF" image import --workdir "$T/work" "$d/over.qcow2" pc-int \
	>"$T/int.out" 2>&1 &
pid=$!
at_exit "kill -KILL -- -$pid 2>/dev/null; true"
for _ in $(seq 100); do
	pgrep -P "$pid" -x qemu-img >/dev/null && break
	sleep 0.1
done
t_ok "SIGTERM test: qemu-img is converting" pgrep -P "$pid" -x qemu-img
kill -TERM -- "-$pid"
wait "$pid"
t_is "$?" 143 "after SIGTERM, the import dies of it (exit status 143)" || _t_diag_stream <"$T/int.out"
t_is "$(ls -A "$T/work")$(ls "$NB/images" | grep -c pc-int)" 0 \
	"and it removed its work directory first, and installed nothing"

# (b) a GPT disk whose root partition is xfs, filled through a loop mount.
mkdir -p "$d/mnt"
# mkfs.xfs makes no file system under 300 MB outside xfstests' environment.
truncate -s 24M "$d/xfs.img" &&
	TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 mkfs.xfs -q "$d/xfs.img" &&
	at_exit "umount '$d/mnt' 2>/dev/null; true" &&
	mount -o loop "$d/xfs.img" "$d/mnt" && cp -a "$src/." "$d/mnt/" && umount "$d/mnt" &&
	fixture_gpt_disk "$d/xfs-disk.img" linux:"$d/xfs.img" || {
	echo "Bail out! cannot build the xfs disk"
	exit 1
}
import_ok "$d/xfs-disk.img" pc-xfs "a GPT disk with an xfs root"
t_like "$(cat "$T/pc-xfs.out")" "xfs-disk.img: GPT, root: partition 1 \\(24 MiB at byte 1048576, xfs\\)" \
	"the progress output names the xfs root partition"

# As a user, the xfs root cannot be loop-mounted: the error says so.
chmod 1777 "$NB/images" "$NB/images/.locks" "$T/work" && chmod o+rx "$T" "$d" && chmod o+r "$d/xfs-disk.img"
setpriv --reuid=65534 --regid=65534 --clear-groups "$NETBOOTCTL" -c "$NB_CONF" \
	image import --workdir "$T/work" "$d/xfs-disk.img" pc-xfs-user >"$T/xfs-user.out" 2>&1
t_is "$?" 1 "an xfs root as a user: exit 1"
t_like "$(cat "$T/xfs-user.out")" "partition 1 is xfs, which is read by a loop mount: that needs root" \
	"the error says that reading xfs needs root"
