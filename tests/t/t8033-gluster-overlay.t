#!/bin/bash
# SPDX-License-Identifier: MIT
# A node root whose overlay lives on a real GlusterFS volume, whose FUSE
# client refuses renameat2 RENAME_WHITEOUT and RENAME_EXCHANGE (EINVAL) and
# O_TMPFILE (EOPNOTSUPP): the daemon falls back to plain renames through
# the work dir (fusefs/root/renamex.c). Through the node's root: a copy-up,
# `mv` of an image file and of an image directory the node changed, a
# rename over an existing image file, `rm -rf` of an image directory the
# node wrote into, mkdir over a deleted image directory and a directory
# renamed over one. The tree must equal the same operations done on a plain
# copy of the image, byte for byte, the deleted names must be whiteouts in
# the overlay, the work dir empty, and all of it the same after a restart.
# Then the rebase tests t4090 and t4091 run whole with their tree on the
# volume: the commit is an exchange of two directories.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/gluster.sh"

require_root
require_fuse
require_cmd mksquashfs ip nsenter
require_gluster
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"

gluster_volume stor nbo
gluster_client a "$NB_NET.11" || {
	echo "Bail out! cannot link the client namespace"
	exit 1
}
A=$T/a
gluster_mount a nbo "$A" || skip_all "cannot mount the GlusterFS volume (see $GLUSTER_DIR/log)"
plan 17
mkdir -p "$A/probe"
: >"$A/probe/f"
# The premise: the volume really refuses what the fast path uses.
# GlusterFS 10 answers RENAME_WHITEOUT with EINVAL, or does a plain rename
# and leaves no whiteout (seen both ways): either way the fallback runs.
probe=$("$FSOP" renameat2 "$A/probe/f" "$A/probe/g" whiteout 2>&1; "$FSOP" lstat "$A/probe/f" | cut -d" " -f1)
case $probe in
"$(printf 'EINVAL\nreg')" | "$(printf '0\nENOENT')") ok 0 "GlusterFS leaves no whiteout ($(echo $probe))" ;;
*) ok 1 "GlusterFS leaves no whiteout: got $(echo $probe)" ;;
esac
rm -rf "$A/probe"

NB_SHARED_ROOT=$A
nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/tree/sub" "$img/srv/old/deep" "$img/srv/gone"
for f in srv/file srv/tree/a srv/tree/b srv/tree/sub/c srv/old/x srv/old/deep/y srv/gone/z; do
	head -c $((4096 + RANDOM)) /dev/urandom >"$img/$f"
done
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1
nb_start_root n1

# The same operations on a plain copy of the image ($T/ref) and through the
# node's root; stops at the first that fails through the root.
ops()
{
	local r=$1
	echo node >>"$r/srv/file" &&				# copy-up
		mv "$r/srv/file" "$r/srv/file.moved" &&		# image file moved
		echo changed >>"$r/srv/tree/a" &&
		mv "$r/srv/tree/a" "$r/srv/tree/b" &&			# over an image file
		echo new >"$r/srv/old/deep/new" &&
		mv "$r/srv/old" "$r/srv/renamed" &&			# image dir moved
		echo more >"$r/srv/tree/sub/more" &&
		rm -rf "$r/srv/tree" &&				# image dir removed
		rm -rf "$r/srv/gone" && mkdir "$r/srv/gone" &&		# mkdir over a whiteout
		echo again >"$r/srv/gone/again" &&
		mkdir "$r/srv/made" && echo m >"$r/srv/made/m" &&
		mv "$r/srv/made" "$r/srv/tree"				# dir over a whiteout
}
# Every name under srv/ (etc/ has generated files) with its type and size,
# every file's sum.
manifest()
{
	(cd "$1" && find srv -printf '%y %p %s\n' | sort &&
		find srv -type f -exec sha256sum {} + | sort)
}

cp -a "$img" "$T/ref"
ops "$T/ref" || exit 1
ops "$R" 2>"$T/ops.err"
t_is "$?:$(cat "$T/ops.err")" "0:" "mv, rm -rf, renames over files and whiteouts through the root"
manifest "$T/ref" >"$T/want"
manifest "$R" >"$T/got"
t_ok "the root equals the same operations on a plain copy, byte-exact" diff -u "$T/want" "$T/got"
t_is "$("$FSOP" lstat "$R/srv/file" 2>&1)" ENOENT "the moved image file is gone from its old name"
t_is "$("$FSOP" lstat "$R/srv/old" 2>&1)" ENOENT "the moved image dir is gone from its old name"
t_is "$(stat -c '%F %t:%T' "$U/srv/file" "$U/srv/old" 2>&1)" \
	"$(printf 'character special file 0:0\ncharacter special file 0:0')" \
	"the old names are whiteouts (char 0/0) in the overlay on GlusterFS"
t_is "$(cat "$R/srv/tree/m" 2>&1)" m "the directory renamed over a deleted image dir"
t_is "$(ls "$R/srv/tree")" m "hides the image dir's old entries"
t_is "$(ls "$R/srv/gone")" again "a mkdir over a deleted image dir hides its old entries"
t_is "$(find "$NB/overlays/.work/n1" -mindepth 1 2>&1)" "" "nothing left in the work dir"

nb_stop || true
nb_start_root n1
manifest "$R" >"$T/got2"
t_ok "after a restart the daemon reads the overlay the same" diff -u "$T/want" "$T/got2"
echo after >>"$R/srv/renamed/x"
t_is "$(tail -c 6 "$R/srv/renamed/x")" after "a file of the moved image dir is writable after the restart"
rm -rf "$R/srv/renamed"
t_is "$("$FSOP" lstat "$R/srv/renamed" 2>&1)" ENOENT "and the moved dir can be removed"
t_is "$(ls "$R/srv")" "$(printf 'file.moved\ngone\ntree')" "srv lists what is left"

# The rebase commit (RENAME_EXCHANGE of the overlay, refused here) and its
# crash recovery, the whole tests with their tree on the volume.
nb_stop || true
gluster_subtest t4090-rebase "over GlusterFS" NB_SHARED_ROOT="$A"
gluster_subtest t4091-rebase-crash "over GlusterFS, with a crash inside the commit's renames" \
	NB_SHARED_ROOT="$A" RB_CRASH_STEPS="built synced moved-old exchanged archived"

t_is "$(find "$A" -mindepth 1 -maxdepth 1 ! -path "$NB")" "" "each subtest removed its tree from the volume"
