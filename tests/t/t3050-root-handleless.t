#!/bin/bash
# Node roots let the kernel open files without an OPEN request (FUSE
# no_open): reads and writes then arrive by node id, with no file handle.
# POSIX still holds for open files: a file unlinked while open keeps its
# data for its writer and readers, even after more files than the
# daemon's cache of open overlay files were written in between; O_TRUNC
# truncates (by copying up); a reader of an image file sees a copy-up made
# while it is open; fsync syncs a file the daemon no longer has open; an
# emptied overlay (node reset) is not read through a descriptor cached
# before it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum perl
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"

nb_layout
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv"
printf 'lower-bytes-0123456789\n' >"$img/srv/lower.txt"
printf 'second-lower-file\n' >"$img/srv/lower2.txt"
printf 'truncate-me\n' >"$img/srv/trunc.txt"
head -c 3000000 /dev/urandom >"$img/srv/big.bin"
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
R=$NB/nfs/n1
U=$NB/overlays/n1

# perl: open PATH read-write, unlink it, write TEXT at the end, append to
# CHURN other files of DIR (each opened, written, closed), then read the
# whole file back through the same descriptor.
unlinked_rw()
{
	perl -e '
		use Fcntl qw(O_RDWR SEEK_SET SEEK_END);
		my ($path, $text, $churn, $dir) = @ARGV;
		sysopen(my $fh, $path, O_RDWR) or die "open $path: $!";
		unlink($path) or die "unlink $path: $!";
		sysseek($fh, 0, SEEK_END);
		syswrite($fh, $text) == length($text) or die "write: $!";
		for my $i (1 .. $churn) {
			open(my $o, ">>", "$dir/churn-$i") or die "churn $i: $!";
			print $o "churn $i\n";
			close($o) or die "close churn $i: $!";
		}
		syswrite($fh, "|tail") == 5 or die "second write: $!";
		sysseek($fh, 0, SEEK_SET);
		my ($all, $buf) = ("", "");
		$all .= $buf while sysread($fh, $buf, 65536);
		print $all;
	' "$@"
}

# ---- a file unlinked while open -----------------------------------------
got=$(unlinked_rw "$R/srv/lower.txt" 'appended' 0 "$R/tmp")
t_is "$got" "$(printf 'lower-bytes-0123456789\nappended|tail')" \
	"an image file opened, unlinked, then written: the writer reads its bytes back"
t_is "$(stat -c '%F %t:%T' "$U/srv/lower.txt" 2>&1)" "character special file 0:0" \
	"the name is gone: a whiteout in the overlay"
t_ok "and gone from the root" test ! -e "$R/srv/lower.txt"

mkdir -p "$R/work"
printf 'overlay-file\n' >"$R/work/ovl.txt"
# Existing files: the kernel opens them without asking, so each write goes
# through the daemon's cache of open overlay files (32 of them).
(cd "$R/work" && touch $(seq -f 'churn-%g' 1 100))
got=$(unlinked_rw "$R/work/ovl.txt" 'more' 100 "$R/work")
t_is "$got" "$(printf 'overlay-file\nmore|tail')" \
	"an overlay file unlinked while open keeps its data across 100 other files' writes"
t_is "$(cat "$R/work/churn-100") $(ls "$R/work" | grep -c '^churn-')" "churn 100 100" \
	"the 100 other files were written"
t_ok "the unlinked name is gone" test ! -e "$R/work/ovl.txt"

# ---- O_TRUNC ------------------------------------------------------------
: >"$R/srv/trunc.txt"
t_is "$(stat -c %s "$R/srv/trunc.txt")" 0 "O_TRUNC of an image file: size 0 through the root"
t_is "$(stat -c %s "$U/srv/trunc.txt" 2>&1)" 0 "and an empty copy in the overlay"
printf 'new\n' >"$R/srv/trunc.txt"
t_is "$(cat "$R/srv/trunc.txt")" new "written again after the truncation"
t_is "$(cat "$R/srv/lower2.txt")" second-lower-file "an image file next to it reads unchanged"

# ---- a copy-up while a reader has the file open --------------------------
big_sha=$(sha256sum <"$img/srv/big.bin" | cut -d' ' -f1)
exec 5<"$R/srv/big.bin"
dd bs=1M count=1 iflag=fullblock <&5 >"$T/big.part1" 2>/dev/null
t_is "$("$FSOP" pwrite "$R/srv/big.bin" 2000000 PATCHED)" 0 \
	"a writer patches the image file another process has open (copy-up)"
t_ok "the overlay holds the copy" test -f "$U/srv/big.bin"
sync
echo 3 >/proc/sys/vm/drop_caches
cat <&5 >"$T/big.part2"
exec 5<&-
cat "$T/big.part1" "$T/big.part2" >"$T/big.read"
t_is "$(dd if="$T/big.read" bs=1 skip=2000000 count=7 2>/dev/null)" PATCHED \
	"the open reader reads the patched bytes from the copy"
t_is "$(head -c 2000000 "$T/big.read" | sha256sum | cut -d' ' -f1)" \
	"$(head -c 2000000 "$img/srv/big.bin" | sha256sum | cut -d' ' -f1)" \
	"and the image's bytes before them"
t_is "$(sha256sum <"$R/srv/big.bin" | cut -d' ' -f1)" \
	"$(sha256sum <"$U/srv/big.bin" | cut -d' ' -f1)" "a fresh read equals the overlay copy"
t_ok "which differs from the image's" test "$(sha256sum <"$U/srv/big.bin" | cut -d' ' -f1)" != "$big_sha"

# ---- fsync after the daemon's cache of open files moved on ---------------
printf 'durable\n' >"$R/work/sync.txt"
for i in $(seq 1 40); do printf '%s\n' "$i" >"$R/work/other-$i"; done
t_is "$("$FSOP" fsync "$R/work/sync.txt")" 0 "fsync of a file written before 40 others"
t_is "$(cat "$U/work/sync.txt")" durable "its bytes are in the overlay"

# ---- an emptied overlay: reads by id go back to the image -----------------
printf 'the overlay version, longer than the image one\n' >"$R/srv/lower2.txt"
t_is "$(cat "$R/srv/lower2.txt")" "the overlay version, longer than the image one" \
	"an image file rewritten (copied up) and read back"
# Held open, the kernel keeps the file's inode, so the next open finds it
# under the same id: only the daemon can tell that its overlay copy went.
exec 6<"$R/srv/lower2.txt"
out=$("$NETBOOTCTL" -c "$NB_CONF" node reset n1 --force 2>&1)
t_is "$?" 0 "node reset --force empties the overlay ($out)"
t_is "$(cat "$R/srv/lower2.txt")" second-lower-file \
	"a fresh read of the file returns the image's bytes, not the emptied copy's"
exec 6<&-

done_testing
