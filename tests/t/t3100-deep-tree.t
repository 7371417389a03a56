#!/bin/bash
# No path-length limit below a node root (issue #18, acceptance 3): a chain
# of 100 directories of 200-byte names (20 KB, five times PATH_MAX) is
# made, stat'ed, renamed, written in and removed from inside, each call
# relative to the current directory or a directory fd, with the same result
# at every step as kernel overlayfs over the same image; the overlay it
# leaves is the tree kernel overlayfs shows over it; and a chain of 30 such
# directories in the image itself is reachable, copied up whole when a file
# is made at its bottom, and a handle of that file outlives kill -9.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/ovl-listing.sh"

require_root
require_fuse
require_cmd mksquashfs
DT=$NB_BUILD/tests/deeptree
[ -x "$DT" ] || skip_all "no $DT (make all builds tests/lib/*.c)"
[ -x "$FHANDLE" ] || skip_all "no $FHANDLE"
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
grep -qw overlay /proc/filesystems || skip_all "kernel has no overlayfs"
grep -qw squashfs /proc/filesystems || modprobe squashfs 2>/dev/null
grep -qw squashfs /proc/filesystems || skip_all "kernel has no squashfs"

LEVELS=100
NAMELEN=200
IMG_LEVELS=30

# level_name I: the name deeptree gives level I of a chain.
level_name()
{
	local n
	n=$(printf 'L%03d' "$1")
	printf '%s' "$n"
	printf "\\$(printf '%03o' $((97 + $1 % 26)))%.0s" $(seq $((NAMELEN - ${#n})))
}

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv" "$img/deepimg"
chmod 0755 "$img/srv" "$img/deepimg"
# mksquashfs reads a source tree by full paths (PATH_MAX): the image's
# deep chain comes from a pseudo file definition instead.
path=deepimg
for i in $(seq "$IMG_LEVELS"); do
	path+=/$(level_name "$i")
	printf '"%s" d 755 0 0\n' "$path"
done >"$T/deep.pf"
printf '"%s/leaf" f 644 0 0 echo deep leaf\n' "$path" >>"$T/deep.pf"
t_is "${#path}" $((7 + IMG_LEVELS * (NAMELEN + 1))) "the image's chain is ${#path} bytes long"
nb_image os-a "$img" -comp gzip -b 131072 -pf "$T/deep.pf"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1

# Kernel overlayfs over the same image, with an upper dir of its own.
K=$T/kview
mkdir -p "$T/kup"
ovl_kernel_view "$NB/images/os-a.sqfs" "$T/kup" "$K" || exit 1
t_is "$("$DT" cat "$T/lower/deepimg" "$IMG_LEVELS" "$NAMELEN" leaf)" "deep leaf" \
	"mksquashfs packed the image's chain (the kernel reads it)"

nb_start_root n1

# ---- made, written, stat'ed, renamed from inside -----------------------------
rc=0
"$DT" build "$R/srv" "$LEVELS" "$NAMELEN" >"$T/nb.build" 2>&1 || rc=$?
"$DT" build "$K/srv" "$LEVELS" "$NAMELEN" >"$T/k.build" 2>&1
t_is "$rc:$(grep -cv ' 0$' "$T/nb.build")" "0:$((LEVELS + 5))" \
	"netbootfs: every step of the build succeeds (the other lines are stats and counts)"
t_is "$(grep -v ' 0$' "$T/nb.build" | grep -v '^stat ' | tr '\n' ' ')" \
	"stat-data 100 reg 0640 size=65659 stat-old 100 ENOENT stat-new 100 reg 0640 size=65659 ino-stable 100/100 ino-kept 100/100 " \
	"the file at the bottom, its rename; st_ino stable across walks and through the rename"
t_is "$(grep -c '^read.* 0$' "$T/nb.build")" 2 "the file reads back byte-exact, also after a level above was renamed"
t_is "$(grep -Ec '^stat [0-9]+ dir 07[05][05] ' "$T/nb.build")" "$LEVELS" "every level is a directory with its mode"
t_ok "the same result at every step as kernel overlayfs" diff -u "$T/k.build" "$T/nb.build"
"$DT" list "$R/srv" >"$T/nb.list" 2>&1
"$DT" list "$K/srv" >"$T/k.list" 2>&1
t_is "$(wc -l <"$T/nb.list")" $((LEVELS + 2)) "the listing has every level and both files"
t_ok "the same tree (names, types, modes, sizes, sha256) as kernel overlayfs" \
	diff -u "$T/k.list" "$T/nb.list"

# ---- the overlay is kernel overlayfs's format ---------------------------------
t_ok "daemon stops" nb_stop
# (ovl_kernel_view's options, unmounted here: the daemon takes the overlay back)
mkdir -p "$T/kview2" "$T/kwork2"
at_exit "umount '$T/kview2' 2>/dev/null; true"
t_ok "kernel overlayfs with redirect_dir=on over the node's overlay and the image" \
	mount -t overlay -o "lowerdir=$T/lower,upperdir=$U,workdir=$T/kwork2,redirect_dir=on,index=off,metacopy=off" \
	nbt-ovl "$T/kview2"
"$DT" list "$T/kview2/srv" >"$T/k2.list" 2>&1
t_ok "it shows the deep tree netbootfs showed" diff -u "$T/nb.list" "$T/k2.list"
t_ok "unmount it" umount "$T/kview2"

# ---- removed bottom-up from inside -------------------------------------------
nb_start_root n1
rc=0
"$DT" remove "$R/srv" "$LEVELS" "$NAMELEN" >"$T/nb.remove" 2>&1 || rc=$?
"$DT" remove "$K/srv" "$LEVELS" "$NAMELEN" >"$T/k.remove" 2>&1
t_is "$rc:$(grep -v ' 0$' "$T/nb.remove")" "0:rmdir-cwd 100 EINVAL" \
	"netbootfs: every removal succeeds (rmdir(\".\") is EINVAL)"
t_ok "the same result at every step as kernel overlayfs" diff -u "$T/k.remove" "$T/nb.remove"
t_is "$(ls -A "$R/srv" | wc -l):$(ls -A "$U/srv" | wc -l)" 0:0 "nothing is left, in the view or the overlay"

# ---- a deep chain of the image -------------------------------------------------
t_is "$("$DT" cat "$R/deepimg" "$IMG_LEVELS" "$NAMELEN" leaf 2>&1)" "deep leaf" \
	"the image's file at depth $IMG_LEVELS reads"
t_ok "a file made at the bottom of the image's chain" \
	"$DT" write "$R/deepimg" "$IMG_LEVELS" "$NAMELEN" made "made deep
"
t_is "$("$DT" cat "$R/deepimg" "$IMG_LEVELS" "$NAMELEN" made 2>&1)" "made deep" "it reads back"
t_is "$("$DT" cat "$U/deepimg" "$IMG_LEVELS" "$NAMELEN" made 2>&1)" "made deep" \
	"the whole chain was copied up: the file is at its place in the overlay"
"$DT" list "$U/deepimg" >"$T/u.list" 2>&1
t_is "$(grep -c ' dir 0755 0:0$' "$T/u.list"):$(grep -c ' made reg ' "$T/u.list"):$(grep -c leaf "$T/u.list")" \
	"$IMG_LEVELS:1:0" "each level copied with its mode and owner, the image's file not"
t_ok "save a handle of the deep file" "$DT" handle "$R/deepimg" "$IMG_LEVELS" "$NAMELEN" made "$T/h.made"
t_ok "save a handle of the image's deep file" "$DT" handle "$R/deepimg" "$IMG_LEVELS" "$NAMELEN" leaf "$T/h.leaf"
nb_kill9
nb_start_root n1
t_is "$("$FHANDLE" cat "$R" "$T/h.made" 2>&1)" "made deep" "after kill -9 and a restart the deep file's handle opens it"
t_is "$("$FHANDLE" cat "$R" "$T/h.leaf" 2>&1)" "deep leaf" "and the image file's handle too"

if [ "$_t_failed" -gt 0 ]; then
	diag "netbootfs build and kernel build, first failures:"
	grep -v ' 0$' "$T/nb.build" | grep -v '^stat ' | head -n 5 | cut -c1-200 | _t_diag_stream
	grep -v ' 0$' "$T/k.build" | grep -v '^stat ' | head -n 8 | cut -c1-200 | _t_diag_stream
	diag "netbootfs log (warnings and errors, last 20):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 20 | cut -c1-300 | _t_diag_stream
fi
done_testing
