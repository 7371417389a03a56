#!/bin/bash
# The overlay dir a node leaves behind is in the kernel overlayfs upper
# format: after a scripted series of changes through netbootfs, kernel
# overlayfs (lower = the loop-mounted image, upper = overlays/<node>, with
# redirect_dir=on: a renamed image dir is a redirect, as the kernel writes it) shows
# the same tree as netbootfs does: names, types, modes, owners, sizes, link
# counts, symlink targets, device numbers, sha256 of every regular file.
#
# Excluded from the comparison, exactly: etc/hostname, etc/fstab and
# boot/firmware/cmdline.txt. They belong to netbootfs's generated layer
# (the node's hostname, the fstab without SD-card lines, the NFS kernel
# command line), which kernel overlayfs cannot know; there the image's
# files show instead. Directory sizes and timestamps are not compared.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/ovl-listing.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum getfattr setfattr setpriv
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs"
grep -qw squashfs /proc/filesystems || modprobe squashfs 2>/dev/null
grep -qw squashfs /proc/filesystems || skip_all "kernel has no squashfs"

nb_layout
chmod 0755 "$T" # uid 1000 must reach the mount
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/lowdir/sub" "$img/srv/lowempty" "$img/usr/share/doc/pkg"
printf 'lower one\n' >"$img/srv/lowdir/one"
printf 'lower two\n' >"$img/srv/lowdir/sub/two"
printf 'copyright\n' >"$img/usr/share/doc/pkg/copyright"
ln -s copyright "$img/usr/share/doc/pkg/license"
find "$img/srv" "$img/usr" -type d -exec chmod 0755 {} +
find "$img/srv" "$img/usr" -type f -exec chmod 0644 {} +
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1
K=$T/kview
EXCLUDE=$OVL_GENERATED

nb_start || exit 1
if ! wait_mounted "$R" 10; then
	echo "Bail out! $R is not mounted"
	exit 1
fi

# The scripted changes; each step must succeed.
changes()
(
	set -e
	cd "$R"
	printf 'changed\n' >>etc/fixture-variant          # content copy-up
	chmod 0600 boot/firmware/config.txt               # metadata-only copy-ups
	chown 1000:1000 boot/firmware/fixup4.dat
	setfattr -n user.tag -v lower boot/firmware/bcm2711-rpi-4-b.dtb
	rm boot/firmware/one.bin                          # whiteout
	rm -r boot/firmware/overlays                      # opaque dir
	mkdir boot/firmware/overlays
	printf 'new dtbo\n' >boot/firmware/overlays/new.dtbo
	mv boot/firmware/four-k.bin etc/four-k.bin        # rename across layers
	mv srv/lowdir srv/moved                           # image dir: a redirect
	rmdir srv/lowempty                                # whited-out empty dir
	rm usr/share/doc/pkg/license                      # lower symlink removed ...
	ln -s /usr/share/common-licenses/MIT usr/share/doc/pkg/license # ... and replaced
	printf 'new file\n' >etc/newfile
	ln etc/newfile etc/newfile.hl                     # hard link, new file
	ln boot/firmware/bootcode.bin boot/bootcode.hl    # hard link, image file
	truncate -s 100 boot/firmware/one-m.bin
	rm etc/shadow
	printf 'root:*:19000:0:99999:7:::\n' >etc/shadow  # new file over a whiteout
	chmod 0640 etc/shadow
	printf 'replacement\n' >etc/tmp.new
	mv etc/tmp.new boot/firmware/empty.bin            # rename over an image file
	mkdir -p srv/data/sub
	printf 'data\n' >srv/data/sub/f
	setfattr -n user.note -v hello srv/data/sub/f
	chown -R 1000:1000 srv/data
	chmod 2775 srv/data
	ln -s ../etc/hostname srv/link
	ln -s /nonexistent/target srv/dangling
	mkfifo -m 0600 srv/fifo
	mknod -m 0660 srv/null c 1 3
	truncate -s 1M srv/sparse
	printf 'tail' | dd of=srv/sparse bs=1 seek=524288 conv=notrunc status=none
	printf '#!/bin/sh\n' >srv/suid
	chmod 4755 srv/suid
	mkdir -m 1777 tmp
	setpriv --reuid=1000 --regid=1000 --clear-groups sh -c \
		'umask 022; printf mine >tmp/by-user; mkdir tmp/user-dir'
	printf 'x\n' >etc/gone
	rm etc/gone                                       # created and removed: nothing left
)
t_ok "the scripted changes through netbootfs succeed" changes

ovl_listing "$R" >"$T/before-stop"
t_ok "the netbootfs listing is not empty" test "$(wc -l <"$T/before-stop")" -gt 30

t_ok "daemon stops" nb_stop
t_ok "whiteouts are char 0/0 in the overlay" \
	test "$(stat -c '%F %t:%T' "$U/boot/firmware/one.bin" "$U/srv/lowdir" | sort -u)" == \
	"character special file 0:0"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$U/boot/firmware/overlays" 2>&1)" y \
	"the replaced dir is opaque"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.redirect "$U/srv/moved" 2>&1)" lowdir \
	"the renamed image dir redirects to its old name"
t_is "$(ls -A "$U/srv/moved" | wc -l)" 0 "the rename copied nothing"

t_ok "kernel overlayfs over the image, upper = overlays/n1" ovl_kernel_view "$NB/images/os-a.sqfs" "$U" "$K"

nb_start || exit 1
if ! wait_mounted "$R" 10; then
	echo "Bail out! $R is not mounted after the restart"
	exit 1
fi
ovl_listing "$R" >"$T/netbootfs"
ovl_listing "$K" >"$T/kernel"
t_ok "the netbootfs view survives the restart unchanged" diff -u "$T/before-stop" "$T/netbootfs"
t_ok "kernel overlayfs and netbootfs show the same tree" diff -u "$T/kernel" "$T/netbootfs"
[ "$_t_failed" -eq 0 ] || diag "listings kept in $T (removed on exit)"

# A few of the changes, spelled out (so that a common mistake in both
# views does not pass unseen).
t_is "$(grep -c . "$T/kernel")" "$(grep -c . "$T/netbootfs")" "same number of entries"
t_is "$(grep -P '^boot/firmware/(one\.bin|overlays/vc4-kms-v3d\.dtbo|four-k\.bin)\t' "$T/kernel")" "" \
	"removed and renamed names are absent in the kernel view"
t_like "$(grep -P '^etc/four-k\.bin\t' "$T/kernel")" "size=4096 nlink=1 $(sha256sum <"$img/boot/firmware/four-k.bin" | cut -d' ' -f1)" \
	"the renamed image file has its content in the kernel view"
t_like "$(grep -P '^srv/moved/sub/two\t' "$T/kernel")" "regular file 644 0:0 size=10" "the moved image dir is complete"
t_like "$(grep -P '^boot/firmware/config\.txt\t' "$T/kernel")" "regular file 600 0:0" "chmod of an image file"
t_like "$(grep -P '^boot/firmware/fixup4\.dat\t' "$T/kernel")" "regular file 644 1000:1000 size=5446" \
	"chown of an image file"
t_like "$(grep -P '^etc/newfile\t' "$T/kernel")" "nlink=2" "hard link count of a new file"
t_like "$(grep -P '^boot/bootcode\.hl\t' "$T/kernel")" "size=52456 nlink=2" "hard link to an image file"
t_like "$(grep -P '^srv/null\t' "$T/kernel")" "character special file 660 0:0 1:3" "char device node"
t_like "$(grep -P '^tmp/by-user\t' "$T/kernel")" "regular file 644 1000:1000 size=4" "file created by uid 1000"
t_is "$(grep -cP '^srv/lowempty\t|^etc/gone\t' "$T/kernel")" 0 "removed dir and file absent"
t_is "$(getfattr --absolute-names --only-values -n user.note "$K/srv/data/sub/f" 2>&1):$(getfattr --absolute-names --only-values -n user.note "$R/srv/data/sub/f" 2>&1)" \
	"hello:hello" "user xattr on a new file, in both views"
t_is "$(getfattr --absolute-names --only-values -n user.tag "$K/boot/firmware/bcm2711-rpi-4-b.dtb" 2>&1):$(getfattr --absolute-names --only-values -n user.tag "$R/boot/firmware/bcm2711-rpi-4-b.dtb" 2>&1)" \
	"lower:lower" "user xattr set on an image file, in both views"
t_is "$(ls -A "$K/boot/firmware/overlays" | tr '\n' ' ')" "new.dtbo " "the opaque dir hides the image's entries in the kernel view"

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
