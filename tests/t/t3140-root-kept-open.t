#!/bin/bash
# A file unlinked (or renamed over) while a process may still have it open
# is kept open by the daemon (no_open: it cannot know). That descriptor is
# opened through a link in the work dir, never by the file's own name: a
# descriptor opened by name pins the host dentry inside the directory the
# file left, and each later rmdir of that directory spun in the host's
# dcache shrink (rm -rf of a 100 MiB small-file tree: 2-3x the daemon CPU).
# The open file keeps its bytes for its reader and writer; no link is left
# in the work dir, not even after a kill -9 and a restart.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
img=$T/img
fixture_boot_tree "$img" a
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
R=$NB/nfs/n1
U=$NB/overlays/n1
W=$NB/overlays/.work/n1

# The daemon's descriptors of deleted files, as /proc shows their paths.
kept_paths()
{
	local f
	for f in /proc/"$NB_PID"/fd/*; do
		readlink "$f"
	done 2>/dev/null | grep ' (deleted)$' || true
}

mkdir -p "$R/d/sub" "$R/e"
printf 'kept-bytes-0123\n' >"$R/d/sub/f"
printf 'over-me\n' >"$R/e/old"
printf 'new-content\n' >"$R/e/new"
t_ok "the work dir is a directory" test -d "$W"

# A reader holds d/sub/f open across its unlink and the rmdir of its
# directories; it appends through the same descriptor and reads it back.
fifo=$T/go
mkfifo "$fifo"
perl -e '
	use Fcntl qw(O_RDWR SEEK_SET SEEK_END);
	my ($path, $fifo, $out, $ready) = @ARGV;
	sysopen(my $fh, $path, O_RDWR) or die "open $path: $!";
	open(my $r, ">", $ready) or die "$ready: $!";
	close($r);
	open(my $f, "<", $fifo) or die "fifo: $!";
	<$f>;
	sysseek($fh, 0, SEEK_END);
	syswrite($fh, "after-rm\n") == 9 or die "write: $!";
	sysseek($fh, 0, SEEK_SET);
	my ($all, $buf) = ("", "");
	$all .= $buf while sysread($fh, $buf, 65536);
	open(my $o, ">", $out) or die "$out: $!";
	print $o $all;
' "$R/d/sub/f" "$fifo" "$T/read" "$T/ready" &
reader=$!
at_exit "stop_pid $reader" # it may have ended on its own
# Its own sign, not /proc/PID/fd/3: a descriptor the shell passed down may
# have that number before perl has opened anything.
t_ok "the reader has the file open" wait_for "test -e '$T/ready'" 30

t_ok "unlink of the open file" rm "$R/d/sub/f"
t_is "$(kept_paths | grep -c "^$U/")" 0 \
	"no kept descriptor inside the overlay's directories after an unlink"
t_is "$(kept_paths | grep -c "^$W/")" 1 "the unlinked file is kept through the work dir"
t_ok "rmdir of its directory" rmdir "$R/d/sub"
t_ok "rmdir of the one above" rmdir "$R/d"
t_ok "gone from the overlay" test ! -e "$U/d"

exec 7<"$R/e/old"
mv "$R/e/new" "$R/e/old"
t_is "$(cat "$R/e/old")" new-content "a rename over a file shows the new content"
t_is "$(kept_paths | grep -c "^$U/")" 0 "a file renamed over while open is not kept by its name either"
t_is "$(cat <&7)" over-me "and whoever has it open still reads it"
exec 7<&-

echo go >"$fifo"
wait "$reader"
t_is "$?" 0 "the reader wrote and read through its descriptor"
t_is "$(cat "$T/read")" "$(printf 'kept-bytes-0123\nafter-rm')" \
	"it read its exact bytes and its write after the rm"
t_is "$(find "$W" -mindepth 1 | wc -l)" 0 "no link left in the work dir"

# The same with the daemon killed while it keeps files: nothing of them is
# left in the work dir after the restart, and the tree is as it was.
printf 'x\n' >"$R/e/k1"
printf 'y\n' >"$R/e/k2"
rm "$R/e/k1" "$R/e/k2"
nb_kill9
nb_start_root n1
t_is "$(find "$W" -mindepth 1 | wc -l)" 0 "no link in the work dir after kill -9 and a restart"
t_is "$(ls "$R/e")" old "the directory holds what it held before the crash"
t_is "$(cat "$R/e/old")" new-content "with its content"

done_testing
