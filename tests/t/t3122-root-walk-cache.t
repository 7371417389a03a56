#!/bin/bash
# Removing or renaming a file moves no directory, so it must not drop the
# daemon's cached directory locations (fusefs/union/dircache.c): before,
# every UNLINK and file RENAME bumped the change epoch and the next request
# walked from the root again, one O_PATH open per layer and level (an
# rm -rf of 27,718 files spent most of its daemon CPU there). Counted with
# strace on the daemon: openat calls per unlink and per rename in a
# directory 12 levels down. Directory removal and renames still drop them,
# and the tree stays right: listings, contents, whiteouts over the image.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum strace

nb_layout
img=$T/img
fixture_boot_tree "$img" a
deep=l01/l02/l03/l04/l05/l06/l07/l08/l09/l10/l11/l12
mkdir -p "$img/$deep"
for f in $(seq 1 20); do printf 'image file %s\n' "$f" >"$img/$deep/img$f"; done
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
R=$NB/nfs/n1
D=$R/$deep
N=100

for f in $(seq 1 $N); do printf 'new file %s\n' "$f" >"$D/new$f"; done
t_is "$(ls "$D" | wc -l)" $((N + 20)) "$N files made next to the image's 20"

# count_opens OUT CMD...: CMD runs while strace counts the daemon's openat
# calls (every thread); OUT gets the count.
count_opens()
{
	local out=$1 st=$T/strace.$$ sp
	shift
	strace -f -qq -c -e trace=openat -o "$st" -p "$NB_PID" &
	sp=$!
	# strace is attached once it traces an open: ask the daemon for one
	for _ in $(seq 1 50); do
		stat "$R/etc" >/dev/null 2>&1
		sync -f "$R"
		[ -s "$st" ] && break
		sleep 0.1
		grep -q . /proc/$sp/status 2>/dev/null || break
	done
	sleep 0.5
	"$@"
	kill -INT "$sp"
	wait "$sp"
	awk '$NF == "openat" { print $4 }' "$st" >"$out"
	[ -s "$out" ] || echo 0 >"$out"
}

sync && echo 3 >/proc/sys/vm/drop_caches
ls "$D" >/dev/null
count_opens "$T/unlink" sh -c "for f in \$(seq 1 $((N / 2))); do rm \"$D/new\$f\" || exit 1; done"
opens=$(cat "$T/unlink")
diag "$((N / 2)) unlinks: $opens openat calls in the daemon"
# What an unlink costs at this depth when the cached locations are kept:
# about 4 opens (the parent's attributes, the name, the kept-open file);
# a walk from the root opens 2 to 5 per level, 12 levels: over 60.
t_ok "unlinks keep the cached directories: $opens opens for $((N / 2)) unlinks 12 levels down (< 6 each)" \
	test "$opens" -lt $((N / 2 * 6))

count_opens "$T/rename" sh -c "for f in \$(seq $((N / 2 + 1)) $N); do mv \"$D/new\$f\" \"$D/moved\$f\" || exit 1; done"
opens=$(cat "$T/rename")
diag "$((N / 2)) renames: $opens openat calls in the daemon"
t_ok "file renames keep the cached directories: $opens opens for $((N / 2)) renames (< 6 each)" \
	test "$opens" -lt $((N / 2 * 6))

# The tree is right after all that.
expect=$( (for f in $(seq 1 20); do echo "img$f"; done
	for f in $(seq $((N / 2 + 1)) $N); do echo "moved$f"; done) | sort)
t_is "$(ls "$D" | sort)" "$expect" "the listing: the image's files and the renamed ones"
t_is "$(cat "$D/moved$N")" "new file $N" "a renamed file keeps its content"
rm "$D/img3"
t_ok "an image file removed is gone" test ! -e "$D/img3"
t_is "$(ls "$D" | grep -c '^img')" 19 "19 image files listed"
t_ok "its whiteout is in the overlay" test -c "$NB/overlays/n1/$deep/img3"
mv "$D/img4" "$D/img4-renamed"
t_is "$(cat "$D/img4-renamed")" "image file 4" "an image file renamed reads its content"
t_ok "and the old name is gone" test ! -e "$D/img4"

# Directories still move the cached locations: a directory removed, then
# one made again at the same name, is the new one.
mkdir "$R/l01/gone" && echo one >"$R/l01/gone/f"
ls "$R/l01/gone" >/dev/null
rm -rf "$R/l01/gone"
t_ok "a removed directory is gone" test ! -e "$R/l01/gone"
mkdir "$R/l01/gone" && echo two >"$R/l01/gone/g"
t_is "$(ls "$R/l01/gone")" "g" "the directory made again has only its new file"
mv "$R/l01/l02" "$R/l01/m02"
t_is "$(cat "$R/l01/m02/l03/l04/l05/l06/l07/l08/l09/l10/l11/l12/moved$N")" "new file $N" \
	"a renamed directory's deep file reads through its new path"
t_ok "and not through the old one" test ! -e "$R/l01/l02"
done_testing
