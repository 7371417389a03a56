#!/bin/bash
# Directory listings of a node root merge the layers without duplicates,
# and their offsets stay valid across opendir/closedir (nfsd reopens the
# directory for every READDIR): a 5,000-entry directory (image entries,
# whited-out image entries, overlay entries) read one small getdents64
# buffer per open (tests/lib/dirscan.c), also while entries are added and
# removed between the reads.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs
DIRSCAN=$NB_BUILD/tests/dirscan
[ -x "$DIRSCAN" ] || skip_all "no $DIRSCAN (make all builds tests/lib/*.c)"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -m 0755 "$img/big"
# 2,500 image entries, names of varied length (so that getdents64 records
# differ in size); a few dirs and symlinks among them.
(cd "$img/big" && for i in $(seq -w 1 2500); do
	case $i in
	*7) mkdir "img-$i-dir" ;;
	*3) ln -s target "img-$i-link" ;;
	*) : >"img-$i$(printf '%*s' $((10#$i % 40)) '' | tr ' ' x)" ;;
	esac
done)
find "$img/big" -exec touch -h -d @1700000000 {} +
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
D=$NB/nfs/n1/big

(cd "$img/big" && ls -A) | sort >"$T/image-names"
t_is "$(wc -l <"$T/image-names")" 2500 "the image dir has 2,500 entries"
# Remove 50 image entries first (whiteouts), add 2,550 in the overlay.
head -n 50 "$T/image-names" >"$T/whited"
(cd "$D" && xargs -d '\n' rm -rf <"$T/whited")
t_is "$(cd "$D" && xargs -d '\n' ls -d <"$T/whited" 2>/dev/null | wc -l)" 0 "50 image entries removed"
(cd "$D" && seq -f 'ovl-%05g-new' 1 2550 | xargs touch)
{
	tail -n +51 "$T/image-names"
	seq -f 'ovl-%05g-new' 1 2550
} | sort >"$T/expected"
t_is "$(wc -l <"$T/expected")" 5000 "5,000 entries expected"

ls -A "$D" | sort >"$T/ls"
t_ok "ls lists exactly the expected 5,000 names" diff -u "$T/expected" "$T/ls"

# Readdir order: the image's names in the image's own order (mksquashfs
# stores a directory sorted by name, its files in that order), a copied-up
# name in its image place, then the overlay's names.
copied=$(grep -v -e '-dir$' -e '-link$' "$T/image-names" | sed -n 100p)
echo x >>"$D/$copied"
t_ok "$copied copied up" test -f "$NB/overlays/n1/big/$copied"
ls -AU "$D" >"$T/ls-order"
t_ok "readdir order: the image's 2,450 names first, in image order" \
	diff -u <(tail -n +51 "$T/image-names" | LC_ALL=C sort) <(head -n 2450 "$T/ls-order")
t_is "$(tail -n +2451 "$T/ls-order" | grep -c '^ovl-')" 2550 "then the overlay's 2,550 names"
t_is "$(sort "$T/ls" | uniq -d | wc -l)" 0 "ls: no duplicates"

# One read per open, 32 KiB buffer, then 512 bytes: no changes in between.
for bs in 32768 512; do
	"$DIRSCAN" "$D" $bs >"$T/scan-$bs" 2>"$T/scan-$bs.err"
	ok $? "dirscan with a $bs-byte buffer, reopening between reads ($(cat "$T/scan-$bs.err"))"
	t_is "$(sort "$T/scan-$bs" | uniq -d | wc -l)" 0 "$bs-byte reads: no name returned twice"
	t_ok "$bs-byte reads: exactly the expected names" diff -u "$T/expected" <(sort "$T/scan-$bs")
done

# Now change the dir between the reads: round k removes the k-th name of
# a delete list (every 25th entry but dirs: image and overlay entries) and creates
# added-<k>.
awk 'NR % 25 == 7 && !/-dir$/' "$T/expected" | shuf --random-source=<(yes) >"$T/dellist"
ndel=$(wc -l <"$T/dellist")
t_ok "$ndel names to remove during the scan" test "$ndel" -gt 150
t_ok "both image and overlay entries are removed" \
	test "$(grep -c '^img-' "$T/dellist")" -gt 40 -a "$(grep -c '^ovl-' "$T/dellist")" -gt 40
"$DIRSCAN" "$D" 512 "$T/dellist" added- >"$T/scan-mut" 2>"$T/scan-mut.err"
ok $? "dirscan while adding and removing entries ($(cat "$T/scan-mut.err"))"
t_like "$(cat "$T/scan-mut.err")" "deleted $ndel added $ndel$" "all $ndel changes were made during the scan"
sort "$T/scan-mut" >"$T/scan-mut.sorted"
t_is "$(uniq -d "$T/scan-mut.sorted" | head -n 20)" "" "no name returned twice"
sort "$T/dellist" >"$T/dellist.sorted"
comm -23 "$T/expected" "$T/dellist.sorted" >"$T/throughout"
t_is "$(comm -23 "$T/throughout" "$T/scan-mut.sorted" | head -n 20)" "" \
	"no entry present throughout the scan is missing"
t_is "$(comm -13 <(sort "$T/expected" <(seq -f 'added-%g' 1 "$ndel")) "$T/scan-mut.sorted" | head -n 20)" "" \
	"every name returned existed at some point"
ls -A "$D" | sort >"$T/after"
t_ok "the final listing is the expected names minus the removed plus the added" \
	diff -u <(sort "$T/throughout" <(seq -f 'added-%g' 1 "$ndel")) "$T/after"

# After a restart the chunked listing is the same.
t_ok "daemon stops" nb_stop
nb_start || exit 1
wait_mounted "$NB/nfs/n1" 10
"$DIRSCAN" "$D" 512 >"$T/scan-restart" 2>"$T/scan-restart.err"
ok $? "dirscan after a restart ($(cat "$T/scan-restart.err"))"
t_ok "after a restart: exactly the same names, no duplicates" diff -u "$T/after" <(sort "$T/scan-restart")

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
