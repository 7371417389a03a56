#!/bin/bash
# SPDX-License-Identifier: MIT
# Only a fully verified image becomes a generation. An image with 4 bytes
# changed inside a compressed data block of kernel8.img passes the
# superblock checks; `image install` of it is refused (exit 1, reason) and a
# drop-in of it is refused by the daemon's background verification (one log
# line, shown by status), while the node keeps its generation byte-exact
# through TFTP and its root. A good drop-in after that still becomes a
# generation. At a restart the known generation is not verified again, a
# file that arrived meanwhile is verified before it serves.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl sha256sum

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/a2" a2
fixture_boot_tree "$T/a3" a3
nb_image os-a "$T/a"
fixture_squash "$T/a" "$T/a.sqfs" # byte-identical to os-a.sqfs
fixture_squash "$T/a2" "$T/a2.sqfs"
fixture_squash "$T/a3" "$T/a3.sqfs"

# The corruption: 4 bytes inverted at 40% of the data area, which lies
# between the 96-byte superblock and the inode table (superblock offset
# 64). kernel8.img (30 MiB) is most of that area; image verify below
# proves the bytes landed in one of its compressed data blocks.
cp "$T/a2.sqfs" "$T/bad.sqfs"
perl -e '
	open(my $f, "+<", $ARGV[0]) or die "$ARGV[0]: $!";
	binmode $f;
	seek($f, 64, 0); read($f, my $sb, 8) == 8 or die "short superblock";
	my $inodes = unpack("Q<", $sb);
	my $at = 96 + int(($inodes - 96) * 0.4);
	seek($f, $at, 0); read($f, my $b, 4) == 4 or die "short read";
	seek($f, $at, 0); print $f ($b ^ ("\xff" x 4));
	close $f or die;
	print "$at\n";
' "$T/bad.sqfs" >"$T/bad.at"
note "corrupted 4 bytes at offset $(cat "$T/bad.at") of $(stat -c %s "$T/bad.sqfs")"

ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
IMG=$NB/images
kernel=boot/firmware/kernel8.img
sha()
{
	sha256sum <"$1" | cut -d' ' -f1
}
sha_a=$(sha "$T/a/$kernel")
sha_a2=$(sha "$T/a2/$kernel")

NB_BOOT_GAP=2 nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d
INI

out=$(ctl image verify "$T/bad.sqfs" 2>&1)
t_is "$?" 1 "image verify of the corrupt file exits 1"
t_like "$out" "bad\.sqfs: /boot/firmware/kernel8\.img: data block [0-9]+ \(image offset [0-9]+\): " \
	"naming a data block of kernel8.img"

nb_start || exit 1
N1=$NB/tftp/1a2b3c4d
R1=$NB/nfs/n1
cat "$N1/start4.elf" >/dev/null # n1's first boot
gen1=$(nb_node n1 generation)
t_like "$gen1" '^[0-9]+$' "n1 pins os-a generation $gen1"
t_is "$(sha "$N1/kernel8.img") $(sha "$R1/$kernel")" "$sha_a $sha_a" \
	"n1 reads os-a's kernel through TFTP and its root"
serves_a() # n1 still serves os-a's kernel, byte-exact, through both views
{
	[ "$(sha "$N1/kernel8.img")" = "$sha_a" ] && [ "$(sha "$R1/$kernel")" = "$sha_a" ] &&
		[ "$(sha "$NB/tftp/bootcode.bin")" = "$(sha "$T/a/boot/firmware/bootcode.bin")" ]
}

# ---- image install of the corrupt file --------------------------------------
# The scan's line (a pin logs "pinned image os-a generation N").
gens=$(nb_log_count 'os-a\.sqfs: image os-a generation')
out=$(ctl image install "$T/bad.sqfs" os-a 2>&1)
t_is "$?" 1 "image install of the corrupt file exits 1"
t_like "$out" "^netbootctl: image install: .*/boot/firmware/kernel8\.img: data block [0-9]+ \(image offset [0-9]+\): " \
	"saying which block of which file is bad"
t_fails "and does not say installed" grep -q installed <<<"$out"
t_ok "os-a.sqfs is unchanged" cmp -s "$IMG/os-a.sqfs" "$T/a.sqfs"
t_is "$(find "$IMG" -maxdepth 1 -name '.*.tmp.*' | wc -l)" 0 "no temporary file is left"
t_fails "and no history was made" test -e "$IMG/.history"
sleep 1 # a rename would have been seen by now
t_is "$(nb_log_count 'os-a\.sqfs: image os-a generation')" "$gens" "the daemon took no new generation"
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen1 null" "n1 keeps $gen1, nothing newer"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(nb_node n1 generation)" "$gen1" "and takes $gen1 again"
t_ok "serving os-a's kernel byte-exact (TFTP, root) and bootcode.bin" serves_a

# ---- a drop-in of the corrupt file ------------------------------------------
n=$(nb_log_count 'refused')
cp "$T/bad.sqfs" "$IMG/.os-a.new"
mv "$IMG/.os-a.new" "$IMG/os-a.sqfs"
t_ok "the daemon refuses the dropped-in file" nb_wait_log 'refused' "$n" 60
t_is "$(tail -c "+$NB_LOG_FROM" "$NB/netbootfs.log" | grep -c 'refused')" 1 "with one log line"
t_ok "naming the file and the block" \
	nb_log_has "images/os-a\.sqfs: refused: /boot/firmware/kernel8\.img: data block [0-9]+ \(image offset [0-9]+\): "
t_is "$(nb_log_count 'os-a\.sqfs: image os-a generation')" "$gens" "no new generation of os-a"
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen1 null" "n1 keeps $gen1, nothing newer"
t_is "$(nb_status_json | json_get '(grep { $_->{image} eq "os-a" } @{$j->{refused}})[0]{path}')" \
	"$IMG/os-a.sqfs" "status --json lists the refused file"
t_like "$(nb_status_json | json_get '(grep { $_->{image} eq "os-a" } @{$j->{refused}})[0]{reason}')" \
	"^/boot/firmware/kernel8\.img: data block [0-9]+ " "with the reason"
t_like "$(ctl status | grep '^refused ')" "^refused $IMG/os-a\.sqfs: /boot/firmware/kernel8\.img: data block " \
	"status names it too"
t_ok "serving os-a's kernel byte-exact" serves_a
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(nb_node n1 generation)" "$gen1" "and takes $gen1 again"
t_ok "serving os-a's kernel byte-exact after the reboot" serves_a

# ---- a good drop-in after that ------------------------------------------------
cp "$T/a2.sqfs" "$IMG/.os-a.new"
mv "$IMG/.os-a.new" "$IMG/os-a.sqfs"
t_ok "a good file dropped in becomes a generation" nb_wait_log 'os-a\.sqfs: image os-a generation' "$gens" 60
gen2=$(nb_node n1 newer)
t_like "$gen2" '^[0-9]+$' "n1's next boot takes it ($gen2)"
t_is "$(nb_status_json | json_get 'scalar @{$j->{refused}}')" 0 "status lists no refused file"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(nb_node n1 generation)" "$gen2" "onto $gen2"
t_is "$(sha "$N1/kernel8.img") $(sha "$R1/$kernel")" "$sha_a2 $sha_a2" \
	"serving the new kernel through TFTP and its root"

# ---- a restart: known generations are not verified again --------------------
t_ok "daemon stops cleanly" nb_stop
cp "$T/a3.sqfs" "$IMG/os-c.sqfs" # arrived while the daemon was down
cp "$T/bad.sqfs" "$IMG/os-z.sqfs"
nb_start || exit 1
since()
{
	tail -c "+$NB_LOG_FROM" "$NB/netbootfs.log"
}
t_is "$(since | grep -c 'os-a\.sqfs: verif')" 0 "os-a (a known generation) is not verified again"
t_is "$(since | grep -Ec "images/os-a\.sqfs: image os-a generation $gen2\$")" 1 \
	"and keeps its generation id $gen2"
t_ok "os-c (new) was verified before it became a generation" \
	eval "since | grep -A1 'os-c\.sqfs: verifying' | grep -q 'image os-c generation'"
t_ok "os-z (corrupt) is refused at start" \
	eval "since | grep -Eq 'images/os-z\.sqfs: refused: /boot/firmware/kernel8\.img: data block'"
t_is "$(nb_status_json | json_get 'join " ", sort map { $_->{image} } @{$j->{generations}}')" \
	"os-a os-c" "generations: os-a and os-c"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(sha "$N1/kernel8.img") $(sha "$R1/$kernel")" "$sha_a2 $sha_a2" "n1 serves $gen2's kernel"
t_is "$(sha "$IMG/os-c.sqfs")" "$(sha "$T/a3.sqfs")" "os-c.sqfs untouched"
t_fails "no sanitizer report" nb_log_has "AddressSanitizer|runtime error"
t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
