#!/bin/bash
# A warm read walk of a node root costs no READDIR (listings come from the
# kernel's readdir cache) but still one OPENDIR per directory it opens (the
# root's sign of use: design.md, "What is a boot"), and no READLINK once a
# link was read (FUSE cache_symlinks), counted by the
# kernel's fuse:fuse_request_send tracepoint on this mount's connection
# only (a trace instance of its own). Listings served by (directory,
# offset) stay right: the same tree as kernel overlayfs, 10,000 entries
# read in chunks by two readers while entries come and go, seekdir back
# to a telldir position, fresh after create/unlink/rename/copy-up.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/ovl-listing.sh"

require_root
require_fuse
require_cmd mksquashfs
require_cmd perl
DIRSCAN=$NB_BUILD/tests/dirscan
[ -x "$DIRSCAN" ] || skip_all "no $DIRSCAN (make all builds tests/lib/*.c)"
TRACEFS=/sys/kernel/tracing
[ -d "$TRACEFS/events/fuse/fuse_request_send" ] || skip_all "no fuse:fuse_request_send tracepoint"

nb_layout
img=$T/img
fixture_boot_tree "$img" a
# A tree: 60 directories of files and symlinks, and one of 10,000 names.
for d in $(seq -w 1 60); do
	mkdir -p "$img/tree/d$d/sub"
	(cd "$img/tree/d$d" && for f in $(seq 1 20); do
		printf 'file %s/%s\n' "$d" "$f" >"f$f"
		ln -s "f$f" "l$f"
	done && ln -s ../d01/f1 sub/up)
done
mkdir "$img/big"
(cd "$img/big" && seq -f 'img-%05g' 1 10000 | xargs touch)
find "$img" -exec touch -h -d @1700000000 {} +
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
R=$NB/nfs/n1

# The mount's connection as the tracepoint names it: the kernel's dev_t.
IFS=: read -r maj min < <(mountpoint -d "$R")
conn=$(((maj << 20) | min))
TI=$TRACEFS/instances/nbt3120-$$
mkdir "$TI" || skip_all "cannot make trace instance $TI"
at_exit "echo 0 >'$TI/events/fuse/fuse_request_send/enable'; rmdir '$TI'"
echo "connection == $conn" >"$TI/events/fuse/fuse_request_send/filter"

trace_start()
{
	echo 0 >"$TI/tracing_on"
	: >"$TI/trace"
	echo 1 >"$TI/events/fuse/fuse_request_send/enable"
	echo 1 >"$TI/tracing_on"
}
# trace_stop: the counts of the traced requests, "N OPCODE" lines.
trace_stop()
{
	echo 0 >"$TI/tracing_on"
	echo 0 >"$TI/events/fuse/fuse_request_send/enable"
	grep -o '(FUSE_[A-Z_]*)' "$TI/trace" | tr -d '()' | sort | uniq -c | awk '{print $2, $1}' >"$1"
}
count() { awk -v op="$2" '$1 == op {n = $2} END {print n + 0}' "$1"; }

ls -a "$R" >/dev/null
ndirs=$(find "$R/tree" -type d | wc -l)

sync && echo 3 >/proc/sys/vm/drop_caches
trace_start
(cd "$R" && find . -printf '%y %s %m %p\n') >"$T/find-cold"
tar -cf - -C "$R" tree | sha256sum >"$T/tar-cold"
trace_stop "$T/walk1"
diag "walk 1 (cold): $(tr '\n' ' ' <"$T/walk1")"
t_ok "the tracepoint saw this mount's listings" test "$(count "$T/walk1" FUSE_READDIRPLUS)" -gt 60
t_ok "walk 1: an OPENDIR for each of the $ndirs directories, twice (find, tar)" \
	test "$(count "$T/walk1" FUSE_OPENDIR)" -ge $((2 * ndirs))
t_is "$(count "$T/walk1" FUSE_RELEASEDIR)" "$(count "$T/walk1" FUSE_OPENDIR)" "walk 1: a RELEASEDIR for each"
t_is "$(count "$T/walk1" FUSE_READLINK)" 1260 "walk 1: one READLINK per symlink (1,260)"

# A warm walk: other users of the machine may drop the page cache meanwhile
# (echo 3 >drop_caches), which takes the file data, listings and link
# targets the kernel holds; a walk that had to READ again is done again.
# The first file tar reads is read once more at the end: a drop at any
# point of the walk shows as a READ.
for try in 1 2 3; do
	trace_start
	(cd "$R" && find . -printf '%y %s %m %p\n') >"$T/find-warm"
	tar -cf - -C "$R" tree | sha256sum >"$T/tar-warm"
	(cd "$R/tree" && find . -type l | sort | while read -r l; do printf '%s %s\n' "$l" "$(readlink "$l")"; done) >"$T/links"
	cat "$R/tree/d01/f1" "$R/tree/d60/f20" >/dev/null
	trace_stop "$T/walk2"
	[ "$(count "$T/walk2" FUSE_READ)" = 0 ] && break
	diag "walk 2 try $try found the page cache dropped: $(tr '\n' ' ' <"$T/walk2")"
done
t_is "$(count "$T/walk2" FUSE_READ)" 0 "walk 2 ran on a warm page cache"
diag "walk 2 (warm): $(tr '\n' ' ' <"$T/walk2")"
t_is "$(($(count "$T/walk2" FUSE_READDIR) + $(count "$T/walk2" FUSE_READDIRPLUS)))" 0 \
	"walk 2: every listing from the kernel's cache (no READDIR)"
t_ok "walk 2: still an OPENDIR for each directory, twice (the root's sign of use)" \
	test "$(count "$T/walk2" FUSE_OPENDIR)" -ge $((2 * ndirs))
# Without cached targets every one of the 1,260 links is read again. With
# them a link is read again only once its inode was evicted and looked up
# again, or its page reclaimed: a few pages go even when no drop_caches
# took the files' data (seen: 0-44 of 1,260 on the loaded machine), so
# allow a tenth of the links besides the LOOKUPs.
t_ok "walk 2: READLINK only for a few links ($(count "$T/walk2" FUSE_READLINK) <= $(count "$T/walk2" FUSE_LOOKUP) LOOKUPs + 126)" \
	test "$(count "$T/walk2" FUSE_READLINK)" -le $(($(count "$T/walk2" FUSE_LOOKUP) + 126))
trace_start
(cd "$R/tree" && find . -type l -exec sh -c 'for l; do readlink "$l" "$l"; done' sh {} + | wc -l) >"$T/rl2"
trace_stop "$T/walk3"
diag "readlink twice each: $(tr '\n' ' ' <"$T/walk3")"
t_is "$(cat "$T/rl2")" 2520 "each of the 1,260 links read twice"
t_ok "the second readlink of a link is no READLINK ($(count "$T/walk3" FUSE_READLINK) <= 1260)" \
	test "$(count "$T/walk3" FUSE_READLINK)" -le 1260
t_is "$(count "$T/walk2" FUSE_READDIRPLUS)$(count "$T/walk2" FUSE_READDIR)" 00 \
	"walk 2: listings from the kernel's readdir cache"
t_ok "warm walk lists the same as the cold one" diff -u "$T/find-cold" "$T/find-warm"
t_ok "warm tar is the same as the cold one" diff -u "$T/tar-cold" "$T/tar-warm"
t_ok "the symlink targets are the image's" diff -u \
	<(cd "$img/tree" && find . -type l | sort | while read -r l; do printf '%s %s\n' "$l" "$(readlink "$l")"; done) "$T/links"

# The same tree on kernel overlayfs, over the same overlay dir.
echo changed >>"$R/tree/d02/f3"   # copied up
rm "$R/tree/d03/l4"               # whiteout
mkdir "$R/tree/d04/new" && echo n >"$R/tree/d04/new/n"
K=$T/kview
t_ok "kernel overlayfs over the image, upper = overlays/n1" \
	ovl_kernel_view "$NB/images/os-a.sqfs" "$NB/overlays/n1" "$K"
# Directory sizes are the host's (overlayfs shows its upper dir's): not
# compared; nor directory times: where a child was copied up, overlayfs
# shows the upper dir's, netbootfs the image's (the kernel does not learn
# of a copy-up, which a write makes): not a listing matter.
for v in "$R" "$K"; do
	(cd "$v" && find tree big \( \( -type d -printf '%y %m %u %g %p\n' \) -o \
		-printf '%y %s %m %u %g %t %n %l %p\n' \) | LC_ALL=C sort) >"$T/find-$(basename "$v")"
	(cd "$v" && find tree big ! -type d | LC_ALL=C sort |
		tar --no-recursion -T - -cf - | sha256sum) >"$T/tar-$(basename "$v")"
done
t_ok "find over the root lists byte for byte what overlayfs lists" \
	diff -u "$T/find-kview" "$T/find-n1"
t_ok "tar of its files is byte-identical to overlayfs's" diff -u "$T/tar-kview" "$T/tar-n1"

# 10,000 names read in small chunks by two readers at once, each reopening
# the directory for every chunk (by offset, as nfsd and Ganesha do), and
# by plain readdir loops, while 300 names are removed and 300 created.
D=$R/big
seq -f 'img-%05g' 1 10000 >"$T/expected"
awk 'NR % 31 == 5' "$T/expected" | head -n 300 >"$T/dellist"
"$DIRSCAN" "$D" 1024 "$T/dellist" added- >"$T/scan-a" 2>"$T/scan-a.err" &
pa=$!
"$DIRSCAN" "$D" 700 >"$T/scan-b" 2>"$T/scan-b.err" &
pb=$!
n=0
while kill -0 "$pa" 2>/dev/null; do
	ls -f "$D" >"$T/ls-$n" && n=$((n + 1))
done
wait "$pa"
ok $? "reader A (1 KiB chunks, changing the dir) ($(cat "$T/scan-a.err"))"
wait "$pb"
ok $? "reader B (700-byte chunks) ($(cat "$T/scan-b.err"))"
t_like "$(cat "$T/scan-a.err")" "deleted 300 added 300$" "all 300 changes were made during the scan"
comm -23 "$T/expected" <(sort "$T/dellist") >"$T/untouched"
for s in scan-a scan-b $(seq -f 'ls-%g' 0 $((n - 1))); do
	grep -v -e '^\.$' -e '^\.\.$' "$T/$s" | sort >"$T/$s.sorted"
	bad=$( (uniq -d "$T/$s.sorted"; comm -23 "$T/untouched" <(uniq "$T/$s.sorted")) | head -n 5)
	[ -z "$bad" ] || break
done
t_is "$bad" "" "readers A, B and $n ls -f: every untouched name exactly once"
t_ok "the final listing is the untouched names plus the added ones" diff -u \
	<(sort "$T/untouched" <(seq -f 'added-%g' 1 300)) <(ls -A "$D" | sort)

# seekdir back to a telldir position, also in a later chunk.
out=$(perl -e 'opendir(my $d, $ARGV[0]) or die; my $n = 0; my ($pos, @a, @b);
	while (defined(my $e = readdir $d)) { if (++$n == 7000) { $pos = telldir $d } if ($n > 7000 && @a < 20) { push @a, $e } }
	seekdir $d, $pos; push @b, scalar readdir $d for 1..20;
	print join(",", @a) eq join(",", @b) && @a == 20 ? "same\n" : "differ: @a / @b\n"' "$D")
t_is "$out" same "seekdir to a telldir position gives the same 20 names again"

# A listing after a change through the mount is fresh (the kernel's
# readdir cache and the daemon's listing both dropped).
S=$R/tree/d05
ls -a "$S" >/dev/null
: >"$S/created"
t_ok "a created name is listed" grep -qx created <(ls -a "$S")
mv "$S/created" "$S/renamed"
t_is "$(ls -a "$S" | grep -c -e '^created$' -e '^renamed$')" 1 "after rename: the new name only"
t_ok "...which is renamed" grep -qx renamed <(ls -a "$S")
rm "$S/renamed" "$S/f7"
t_is "$(ls -a "$S" | grep -c -x -e renamed -e f7)" 0 "unlinked names are gone"
echo more >>"$S/f8"
t_is "$(ls -a "$S" | grep -c -x f8)" 1 "a copied-up name is listed once"
t_is "$(ls -A "$S" | wc -l)" 40 "d05 lists 40 names (41, f7 removed)"
t_is "$(ls -f "$S" | sort | uniq -d)" "" "no duplicates after the changes"

if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
