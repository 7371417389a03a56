#!/bin/bash
# Renaming a directory that exists in the image works (rename(2), not mv's
# copy fallback), in kernel overlayfs's redirect_dir=on format: the moved
# overlay dir carries trusted.overlay.redirect (absolute lower path; relative
# within the same parent) and a whiteout hides the old name. Cases: an empty
# dir, a populated dir into another image dir, over an opaque dir, twice, a
# child of a moved dir, within the same parent, a dir of a shared layer, a
# dir holding generated files. The tree shows the image's
# content at the new names, the ids (st_ino) of the moved dirs and their
# children stay, the view survives a restart, and kernel overlayfs mounted
# with redirect_dir=on over the same image and overlay dir shows the same
# tree.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/ovl-listing.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum getfattr
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs"
grep -qw squashfs /proc/filesystems || modprobe squashfs 2>/dev/null
grep -qw squashfs /proc/filesystems || skip_all "kernel has no squashfs"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/empty" "$img/srv/pop/sub/deeper" "$img/srv/victim/old" "$img/srv/src2/in" \
	"$img/opt/keep" "$img/srv/e1" "$img/opt/etarget" "$img/usr/lib/twice/t" "$img/var/a/kid/gk"
printf 'one\n' >"$img/srv/pop/one"
printf 'two\n' >"$img/srv/pop/sub/two"
printf 'three\n' >"$img/srv/pop/sub/deeper/three"
ln -s sub/two "$img/srv/pop/link"
printf 'victim\n' >"$img/srv/victim/old/v"
printf 'src2\n' >"$img/srv/src2/in/s"
printf 'keep\n' >"$img/opt/keep/k"
printf 'e1\n' >"$img/srv/e1/f"
printf 'twice\n' >"$img/usr/lib/twice/t/w"
printf 'grandkid\n' >"$img/var/a/kid/gk/g"
find "$img/srv" "$img/opt" "$img/usr" "$img/var" -type d -exec chmod 0755 {} +
find "$img/srv" "$img/opt" "$img/usr" "$img/var" -type f -exec chmod 0644 {} +
chmod 0750 "$img/srv/pop/sub"
nb_image os-a "$img"
# A shared layer: a dir of its own, and a file in an image dir.
mkdir -p "$NB/overlays/@common/opt/sonly" "$NB/overlays/@common/srv/pop"
printf 'shared only\n' >"$NB/overlays/@common/opt/sonly/f"
printf 'from shared\n' >"$NB/overlays/@common/srv/pop/fromshared"
nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a
	layers = common

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
INI
R=$NB/nfs/n1
U=$NB/overlays/n1
K=$T/kview
EXCLUDE=$OVL_GENERATED

nb_start_root n1

op()
{
	"$FSOP" "$@" 2>&1
}
ino()
{
	stat -c %i "$@" 2>&1 | tr '\n' ' '
}

ino_pop=$(ino "$R/srv/pop" "$R/srv/pop/one" "$R/srv/pop/sub" "$R/srv/pop/sub/two" "$R/srv/pop/sub/deeper/three")
ino_empty=$(ino "$R/srv/empty")
ino_src2=$(ino "$R/srv/src2" "$R/srv/src2/in/s")
ino_twice=$(ino "$R/usr/lib/twice" "$R/usr/lib/twice/t/w")
ino_kid=$(ino "$R/var/a/kid/gk/g")
ino_fw=$(ino "$R/boot/firmware" "$R/boot/firmware/cmdline.txt" "$R/boot/firmware/config.txt")
cmdline=$(cat "$R/boot/firmware/cmdline.txt")

# ---- the renames ----------------------------------------------------------
t_is "$(op rename "$R/srv/empty" "$R/srv/empty2")" 0 "rename an empty image dir within its parent"
t_is "$(op rename "$R/srv/pop" "$R/opt/pop")" 0 "rename a populated image dir into another image dir"
t_is "$(op rename "$R/srv/victim" "$R/srv/x")" 0 "rename an image dir (to make room)"
t_is "$(op mkdir "$R/srv/victim" 0755)" 0 "mkdir where it was: an opaque dir"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$U/srv/victim" 2>&1)" y \
	"the new dir is opaque"
t_is "$(op rename "$R/srv/src2" "$R/srv/victim")" 0 "rename an image dir over an empty opaque dir"
t_is "$(op rename "$R/usr/lib/twice" "$R/usr/lib/t1")" 0 "rename an image dir ..."
t_is "$(op rename "$R/usr/lib/t1" "$R/opt/t2")" 0 "... and again, elsewhere"
t_is "$(op rename "$R/opt/pop/sub/deeper" "$R/srv/deeper")" 0 "rename a child of a moved dir"
t_is "$(op rename "$R/var/a" "$R/var/b")" 0 "rename within the same parent ..."
t_is "$(op rename "$R/var/b/kid" "$R/var/kid")" 0 "... then a child of it out of it"
t_is "$(op renameat2 "$R/srv/x" "$R/opt/pop" noreplace)" EEXIST "RENAME_NOREPLACE onto a moved dir"
t_is "$(op rename "$R/opt/sonly" "$R/srv/sonly")" 0 "rename a dir of the shared layer"
t_is "$(op rename "$R/srv/e1" "$R/opt/etarget")" 0 "rename an image dir over an empty image dir"
t_is "$(op lstat "$R/srv/empty")" ENOENT "the empty dir's old name is gone"
t_ok "an opaque dir where a moved one was, a new dir in it" mkdir -p "$R/srv/empty/new"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$U/srv/empty" 2>&1)" y "it is opaque"
t_is "$(op rename "$R/opt/keep" "$R/srv/empty/new/keep")" 0 "rename an image dir into a new dir below an opaque one"
t_is "$(cat "$R/srv/empty/new/keep/k" 2>&1)" keep "its content shows there"
t_is "$(ls -A "$R/opt/etarget" | tr '\n' ' '):$(cat "$R/opt/etarget/f"):$(op lstat "$R/srv/e1")" "f :e1:ENOENT" \
	"over an empty image dir: the moved content, the old name gone"
t_is "$(op rename "$R/boot/firmware" "$R/opt/fw")" 0 "rename a dir holding generated files"
t_like "$(cat "$R/opt/fw/cmdline.txt")" "nfsroot=" "its generated file shows at the new name"
t_is "$(cat "$R/opt/fw/cmdline.txt"):$(ino "$R/opt/fw" "$R/opt/fw/cmdline.txt" "$R/opt/fw/config.txt")" \
	"$cmdline:$ino_fw" "the generated file's content and the ids stay"
t_is "$(op rename "$R/opt/fw" "$R/boot/firmware")" 0 "and back"
t_is "$(cat "$R/boot/firmware/cmdline.txt"):$(ino "$R/boot/firmware" "$R/boot/firmware/cmdline.txt" "$R/boot/firmware/config.txt")" \
	"$cmdline:$ino_fw" "back: the same content and ids"

# ---- the tree --------------------------------------------------------------
t_is "$(ls -A "$R/srv/empty2" | wc -l)" 0 "empty: the new name is empty"
t_is "$(cat "$R/opt/pop/one" "$R/opt/pop/sub/two" "$R/opt/pop/link" "$R/srv/deeper/three" 2>&1 | tr '\n' ' ')" \
	"one two two three " "the populated dir shows the image's content at its new name"
t_is "$(ls -A "$R/opt/pop" | tr '\n' ' ')" "fromshared link one sub " "its listing: the image's and the shared layer's"
t_is "$(cat "$R/opt/pop/fromshared" "$R/srv/sonly/f" 2>&1 | tr '\n' ' '):$(op lstat "$R/opt/sonly")" \
	"from shared shared only :ENOENT" "the shared layer's content follows both renames"
t_is "$(ls -A "$R/opt/pop/sub" | tr '\n' ' ')" "two " "the moved-out child is gone from its listing"
t_is "$(stat -c %a "$R/opt/pop/sub")" 750 "a child keeps its mode"
t_is "$(op lstat "$R/srv/pop"):$(ls -A "$R/opt" | tr '\n' ' ')" "ENOENT:etarget pop t2 " \
	"the source name is gone; the target dir lists the new name"
t_is "$(ls -A "$R/srv/victim" | tr '\n' ' '):$(cat "$R/srv/victim/in/s")" "in :src2" \
	"over an opaque dir: the moved dir's content only"
t_is "$(cat "$R/srv/x/old/v")" victim "the dir moved out of the way"
t_is "$(cat "$R/opt/t2/t/w" 2>&1):$(op lstat "$R/usr/lib/twice"):$(op lstat "$R/usr/lib/t1")" "twice:ENOENT:ENOENT" \
	"renamed twice: content at the last name, both old names gone"
t_is "$(cat "$R/var/kid/gk/g" 2>&1):$(ls -A "$R/var/b" | wc -l):$(op lstat "$R/var/a")" "grandkid:0:ENOENT" \
	"a child moved out of a dir renamed within its parent"
t_is "$(ino "$R/opt/pop" "$R/opt/pop/one" "$R/opt/pop/sub" "$R/opt/pop/sub/two" "$R/srv/deeper/three")" \
	"$ino_pop" "the moved dir and its children keep their ids"
t_is "$(ino "$R/srv/empty2"):$(ino "$R/srv/victim" "$R/srv/victim/in/s"):$(ino "$R/opt/t2" "$R/opt/t2/t/w"):$(ino "$R/var/kid/gk/g")" \
	"$ino_empty:$ino_src2:$ino_twice:$ino_kid" "ids kept: empty, over opaque, twice, grandchild"

# Changes inside a moved dir land in the overlay below its new name.
t_ok "write a file in a moved dir" sh -c "printf new >'$R/opt/pop/new' && printf more >>'$R/opt/pop/one'"
t_ok "remove an image file in a moved dir" rm "$R/opt/pop/sub/two"
t_ok "mkdir below a moved dir's lower-only child" mkdir "$R/opt/t2/t/made"
t_is "$(cat "$R/opt/pop/new"):$(cat "$R/opt/pop/one" | tr '\n' ' '):$(ls -A "$R/opt/pop/sub" | wc -l)" \
	"new:one more:0" "the changes show"
t_is "$(ls -A "$R/opt/t2/t" | tr '\n' ' ')" "made w " "the copied-up child merges with the image"

# ---- the overlay format -----------------------------------------------------
xa()
{
	getfattr --absolute-names --only-values -n "trusted.overlay.$1" "$U/$2" 2>/dev/null
}
t_is "$(xa redirect opt/pop)" /srv/pop "an absolute redirect to the lower path"
t_is "$(xa redirect srv/empty2)" empty "a relative redirect within the same parent"
t_is "$(xa redirect opt/t2)" /usr/lib/twice "renamed twice: the first lower path"
t_is "$(xa redirect srv/deeper)" /srv/pop/sub/deeper "a child of a moved dir: its lower path"
t_is "$(xa redirect srv/victim):$(xa opaque srv/victim)" src2: "over an opaque dir (same parent): relative redirect, not opaque"
t_is "$(stat -c '%F %t:%T' "$U/srv/pop" "$U/usr/lib/twice" | sort -u)" \
	"character special file 0:0" "whiteouts at the old names"
t_is "$(op lstat "$U/usr/lib/t1")" ENOENT "no trace of the intermediate name"
t_is "$(xa redirect srv/sonly):$(xa redirect boot/firmware)" /opt/sonly:/boot/firmware \
	"a shared layer's dir; moved away and back"
t_is "$(xa redirect opt/etarget):$(xa opaque opt/etarget):$(stat -c '%F %t:%T' "$U/srv/e1")" \
	"/srv/e1::character special file 0:0" "over an empty image dir: redirect, not opaque; whiteout at the old name"

ovl_listing "$R" >"$T/before-stop"
t_ok "daemon stops" nb_stop
nb_start_root n1
ovl_listing "$R" >"$T/netbootfs"
t_ok "the view survives a restart" diff -u "$T/before-stop" "$T/netbootfs"
t_is "$(ino "$R/opt/pop" "$R/opt/pop/one" "$R/opt/pop/sub" "$R/srv/deeper/three" | cut -d' ' -f1-4)" \
	"$(echo "$ino_pop" | cut -d' ' -f1-3,5)" "ids kept across the restart"

# ---- kernel overlayfs with redirect_dir=on over the same overlay -------------
t_ok "daemon stops" nb_stop
t_ok "kernel overlayfs with redirect_dir=on over the image, @common and overlays/n1" \
	ovl_kernel_view "$NB/images/os-a.sqfs" "$U" "$K" "$NB/overlays/@common"
ovl_listing "$K" >"$T/kernel"
t_ok "kernel overlayfs and netbootfs show the same tree" diff -u "$T/kernel" "$T/netbootfs"
t_is "$(grep -cP '^opt/pop/sub/deeper|^srv/pop\t|^usr/lib/(twice|t1)\t' "$T/kernel")" 0 \
	"the old names are absent in the kernel view"
[ "$_t_failed" -eq 0 ] || diag "listings kept in $T (removed on exit)"

if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
