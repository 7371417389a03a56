#!/bin/bash
# A node cannot make a whiteout: mknod of a 0/0 character device through a
# node's root gets what kernel overlayfs answers (run side by side on the
# same image: EPERM for a new or a deleted name, EEXIST for an existing
# one), and leaves nothing in the overlay; a later image's file of that
# name shows. Whiteouts in the overlay are exactly the names the node
# deleted.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs"
grep -qw squashfs /proc/filesystems || modprobe squashfs 2>/dev/null
grep -qw squashfs /proc/filesystems || skip_all "kernel has no squashfs"

plan 21

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p -m 0755 "$img/srv"
# An image may hold a 0/0 character device (kernel overlayfs hides it as a
# whiteout of the layer; netbootfs shows it).
mknod -m 0644 "$img/srv/zero" c 0 0
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1

# Kernel overlayfs on the same image.
K=$T/kview
mkdir -p "$T/lower" "$T/kup" "$T/kwork" "$K"
mount -t squashfs -o loop,ro "$NB/images/os-a.sqfs" "$T/lower" || exit 1
at_exit "umount '$T/lower'"
mount -t overlay -o "lowerdir=$T/lower,upperdir=$T/kup,workdir=$T/kwork,index=off" overlay "$K" ||
	exit 1
at_exit "umount '$K'"
nb_start_root n1

# "netbootfs-answer kernel-answer" for one fsop call on both.
both() { printf '%s %s' "$("$FSOP" "$1" "$R/$2" "${@:3}" 2>&1)" "$("$FSOP" "$1" "$K/$2" "${@:3}" 2>&1)"; }
# Every character device in an overlay dir: "path mode major:minor" (hex).
chardevs() { (cd "$1" && find . -type c -exec stat -c '%n %A %t:%T' {} + | sort); }

t_is "$(both mknod srv/later c 0644 0 0)" "EPERM EPERM" "mknod c 0 0 of a new name: EPERM, as kernel overlayfs"
t_is "$(both lstat srv/later)" "ENOENT ENOENT" "the name is still free"
t_is "$(both mknod etc/later c 0644 0 0)" "EPERM EPERM" "the same in a dir the overlay has not copied up"
t_is "$(both mknod etc/fixture-variant c 0644 0 0)" "EEXIST EEXIST" "over an image file: EEXIST"
t_is "$(both unlink boot/firmware/one.bin)" "0 0" "a node deletes an image file"
t_is "$(both mknod boot/firmware/one.bin c 0644 0 0)" "EPERM EPERM" "mknod c 0 0 of the deleted name: EPERM"
t_is "$(both lstat boot/firmware/one.bin)" "ENOENT ENOENT" "and it stays deleted"
t_is "$(both mknod srv/null c 0666 1 3)" "0 0" "other character devices are made"
t_is "$("$FSOP" stat "$R/srv/null" | cut -d' ' -f1,2,8)" "chr 0666 1:3" "with their numbers"
t_is "$(both mknod srv/fifo p 0644)" "0 0" "fifos too"

# Changing the image's 0/0 device would copy it up as a whiteout.
t_is "$("$FSOP" chmod "$R/srv/zero" 0600)" EPERM "chmod of an image's 0/0 char device: EPERM"
t_is "$("$FSOP" chown "$R/srv/zero" 1 1)" EPERM "chown of it: EPERM"
t_is "$("$FSOP" lstat "$R/srv/zero" | cut -d' ' -f1,2,8)" "chr 0644 0:0" "it is still there, unchanged"
t_ok "no srv/zero in the overlay" test ! -e "$U/srv/zero" -a ! -L "$U/srv/zero"

# The host side: only the deleted name is a whiteout, in both uppers.
t_is "$(chardevs "$U")" "./boot/firmware/one.bin c--------- 0:0
./srv/null crw-rw-rw- 1:3" "netbootfs's overlay holds one whiteout: the deleted name"
t_is "$(chardevs "$T/kup")" "$(chardevs "$U")" "kernel overlayfs's upper holds the same"
t_ok "no srv/later in the overlay" test ! -e "$U/srv/later" -a ! -L "$U/srv/later"
t_ok "no etc/later in the overlay" test ! -e "$U/etc/later" -a ! -L "$U/etc/later"

# A later image adds the names: the node sees them after a restart.
nb_stop
printf 'later\n' >"$img/srv/later"
printf 'later too\n' >"$img/etc/later"
chmod 0644 "$img/srv/later" "$img/etc/later"
nb_image os-a "$img"
nb_start_root n1
t_is "$(cat "$R/srv/later" 2>&1)" "later" "a later image's srv/later shows on the node"
t_is "$(cat "$R/etc/later" 2>&1)" "later too" "and its etc/later"
t_is "$("$FSOP" lstat "$R/boot/firmware/one.bin")" "ENOENT" "the deleted name stays deleted"
