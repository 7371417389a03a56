#!/bin/bash
# Handles of a node's root outlive a crash of the daemon and never alias:
# every id a client holds (an image file, a generated file, an overlay-only
# file, a copied-up file, a deep directory, a renamed file) resolves after
# kill -9 and a restart, a deleted file's handle stays ESTALE, and a handle
# of a deleted overlay file is ESTALE even once the host reuses its inode.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum mkfs.ext4
[ -x "$FHANDLE" ] || skip_all "no $FHANDLE"

nb_layout
# The overlays on an ext4 of their own: nothing else allocates inodes there,
# so a freed inode number comes back at the next create, as the aliasing
# check below needs.
truncate -s 64M "$T/ovl.ext4" && mkfs.ext4 -q -F "$T/ovl.ext4" ||
	skip_all "cannot make an ext4 image"
mount -o loop "$T/ovl.ext4" "$NB/overlays" || skip_all "cannot loop-mount an ext4 image"
at_exit "umount -l '$NB/overlays'"
img=$T/img
fixture_boot_tree "$img" a
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1
nb_start_root n1

# hcat NAME: the bytes a saved handle opens now (or "exit N: error").
hcat()
{
	local rc=0 out
	out=$("$FHANDLE" cat "$R" "$T/h.$1" 2>"$T/err") || rc=$?
	[ "$rc" -eq 0 ] && printf '%s' "$out" || echo "exit $rc: $(cat "$T/err")"
}

hstat()
{
	"$FHANDLE" stat "$R" "$T/h.$1" 2>&1
}

save()
{
	t_ok "save a handle of $2" "$FHANDLE" save "$2" "$T/h.$1"
}

# ---- handles of every kind of object ------------------------------------
save img "$R/etc/fixture-variant"
save gen "$R/etc/hostname"
printf 'only in the overlay\n' >"$R/etc/overlay-only"
save upper "$R/etc/overlay-only"
printf 'appended\n' >>"$R/boot/firmware/config.txt"
save copied "$R/boot/firmware/config.txt"
mkdir -p "$R/d1/d2/d3/d4/d5"
printf 'deep\n' >"$R/d1/d2/d3/d4/d5/f"
save deepdir "$R/d1/d2/d3/d4/d5"
save deepfile "$R/d1/d2/d3/d4/d5/f"
printf 'moved\n' >"$R/etc/before-move"
save moved "$R/etc/before-move"
mv "$R/etc/before-move" "$R/d1/after-move"
printf 'doomed\n' >"$R/etc/doomed"
save doomed "$R/etc/doomed"
rm "$R/etc/doomed"

want_img=$(cat "$R/etc/fixture-variant")
want_gen=$(cat "$R/etc/hostname")
want_copied=$(cat "$R/boot/firmware/config.txt")
deep_ino=$(stat -c %i "$R/d1/d2/d3/d4/d5")
t_is "$want_gen" n1 "the generated hostname is the node's name"

check_all()
{
	t_is "$(hcat img)" "$want_img" "$1: the image file's handle opens the same bytes"
	t_is "$(hcat gen)" "$want_gen" "$1: the generated file's handle opens the same bytes"
	t_is "$(hcat upper)" "only in the overlay" "$1: the overlay-only file's handle"
	t_is "$(hcat copied)" "$want_copied" "$1: the copied-up file's handle"
	t_is "$(hstat deepdir)" "dir $deep_ino 2" "$1: the depth-5 directory's handle"
	t_is "$(hcat deepfile)" deep "$1: the handle of a file in it"
	t_is "$(hcat moved)" moved "$1: the handle of a file renamed after it was taken"
	t_like "$(hcat doomed)" "^exit 3: .*ESTALE" "$1: a deleted file's handle is ESTALE"
}
check_all "running"

nb_kill9
# The dead mount still answers from the kernel's caches (a handle to a file
# read before opens its cached pages: no OPEN or OPENDIR goes out), so its
# death shows in a request that always reaches the daemon.
t_like "$(stat -f -c %T "$R" 2>&1)" "not connected" "with the daemon killed its mount answers nothing"
nb_start_root n1
t_ok "the restart found the id journal" test -s "$NB/state/roots/n1.ids"
check_all "after kill -9 and a restart"
t_is "$(grep -c ESTALE "$NB/netbootfs.log")" 0 "no ESTALE logged"

# A second crash right after the restart: the journal began anew there.
printf 'second life\n' >"$R/etc/after-restart"
save second "$R/etc/after-restart"
nb_kill9
nb_start_root n1
t_is "$(hcat second)" "second life" "a handle taken after a restart survives the next crash"
check_all "after a second kill -9"

# ---- no aliasing when the host reuses an inode ---------------------------
mkdir "$R/reuse"
printf 'victim\n' >"$R/reuse/victim"
save victim "$R/reuse/victim"
victim_host_ino=$(stat -c %i "$U/reuse/victim")
rm "$R/reuse/victim"
# The daemon keeps a deleted file open until the kernel forgets it.
sync
echo 3 >/proc/sys/vm/drop_caches
reused=""
for i in $(seq 1 200); do
	printf 'other %s\n' "$i" >"$R/reuse/new$i"
	if [ "$(stat -c %i "$U/reuse/new$i")" = "$victim_host_ino" ]; then
		reused=$i
		break
	fi
done
t_ok "the host reused the deleted file's inode (file $reused)" test -n "$reused"
t_like "$(hcat victim)" "^exit 3: .*ESTALE" "the old handle is ESTALE, not the new file"
echo 3 >/proc/sys/vm/drop_caches
t_like "$(hcat victim)" "^exit 3: .*ESTALE" "still ESTALE with the kernel's caches dropped"
nb_kill9
nb_start_root n1
t_like "$(hcat victim)" "^exit 3: .*ESTALE" "still ESTALE after kill -9 and a restart"
t_is "$(cat "$R/reuse/new$reused")" "other $reused" "the new file reads its own bytes"

done_testing
