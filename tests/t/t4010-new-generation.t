#!/bin/bash
# SPDX-License-Identifier: MIT
# A new file renamed over <name>.sqfs becomes the newest generation. A
# reader holding a file of the old generation open reads old bytes to the
# end, across the node's reboot; the reboot shows the new bytes; the old
# generation is closed once nothing pins or holds it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl dd

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
at_exit "lazy_umount '$NB/nfs/n2'"
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/a2" a2
fixture_boot_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b"
# Only n1 uses os-a (bootcode.bin comes from os-b), so nothing else pins it.
NB_BOOT_GAP=3 nb_write_config <<-INI
	default_image = os-b

	[node:n1]
	image = os-a
	serial = 1a2b3c4d

	[node:n2]
	image = os-b
	serial = 2b3c4d5e
INI
nb_start || exit 1
wait_mounted "$NB/nfs/n1" 10 || {
	echo "Bail out! $NB/nfs/n1 is not mounted"
	exit 1
}
N1=$T/srv/tftp/1a2b3c4d
R1=$NB/nfs/n1
# The file the readers read: 2 MiB, in 512 KiB steps (the 30 MiB kernel
# would only make the test slower under ASan).
file=start4.elf
path=boot/firmware/$file
old_sha=$(sha256sum <"$T/a/$path" | cut -d' ' -f1)
new_sha=$(sha256sum <"$T/a2/$path" | cut -d' ' -f1)

cat "$N1/start4.elf" >/dev/null # n1's first boot
nb_keepalive 1a2b3c4d               # and no other until nb_boot
gen1=$(nb_node n1 generation)
t_like "$gen1" '^[0-9]+$' "n1 pins os-a generation $gen1"
t_is "$(nb_fds_to '/os-a\.sqfs$')" 1 "the daemon has os-a.sqfs open once"

# Readers of the old file, over TFTP and through the node's root: 3 and 4
# read to the end before n1 reboots, 5 and 6 go on across the reboot.
exec 3<"$N1/$file" 4<"$R1/$path" 5<"$N1/$file" 6<"$R1/$path"
for fd in 3 4 5 6; do
	dd bs=512K count=1 iflag=fullblock <&$fd >"$T/r$fd.part1" 2>/dev/null
done

# ---- the new generation -------------------------------------------------
n=$(nb_log_count 'os-a\.sqfs: image os-a generation')
nb_image os-a "$T/a2"
# once verified, in the background at idle priority
t_ok "the new file is taken as a generation of os-a" \
	nb_wait_log 'os-a\.sqfs: image os-a generation' "$n" 60
gen2=$(nb_status_json | json_get '(grep { $_->{image} eq "os-a" && $_->{newest} } @{$j->{generations}})[0]{id}')
t_like "$gen2" '^[0-9]+$' "os-a's newest generation is $gen2"
t_ok "and differs from $gen1" test "$gen2" != "$gen1"
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen1 $gen2" \
	"n1 keeps $gen1 until its next boot, $gen2 is waiting"
t_is "$(nb_status_json | json_get "(grep { \$_->{id} == $gen1 } @{\$j->{generations}})[0]{pinned_by}[0]")" \
	n1 "generation $gen1 is pinned by n1"
t_is "$(nb_fds_to '/os-a\.sqfs \(deleted\)$') $(nb_fds_to '/os-a\.sqfs$')" "1 1" \
	"the replaced file stays open next to the new one"

# The kernel's caches dropped: every byte from here comes from the daemon.
sync
echo 3 >/proc/sys/vm/drop_caches
for fd in 3 4 5 6; do
	dd bs=512K count=1 iflag=fullblock <&$fd >"$T/r$fd.part2" 2>/dev/null
done
cat <&3 >"$T/r3.part3"
cat <&4 >"$T/r4.part3"
t_is "$(cat "$T"/r3.part* | sha256sum | cut -d' ' -f1)" "$old_sha" \
	"the TFTP reader reads the old bytes to the end"
t_is "$(cat "$T"/r4.part* | sha256sum | cut -d' ' -f1)" "$old_sha" \
	"the root reader reads the old bytes to the end"
exec 3<&- 4<&-
t_is "$(sha256sum <"$N1/$file" | cut -d' ' -f1)" "$old_sha" \
	"n1 has not booted: a fresh open still reads the old bytes"

# ---- n1 reboots --------------------------------------------------------
nb_keepalive_stop
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_ok "its boot tree shows the new generation" \
	wait_for "[ \"\$(tail -n 1 '$N1/config.txt')\" = '# fixture variant a2' ]" 5
t_ok "so does its root" wait_for "[ \"\$(cat '$R1/etc/fixture-variant')\" = a2 ]" 5
t_is "$(sha256sum <"$N1/$file" | cut -d' ' -f1)" "$new_sha" "a fresh open of $file: new bytes"
t_is "$(sha256sum <"$R1/$path" | cut -d' ' -f1)" "$new_sha" "the same through the root"
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen2 null" "n1 pins $gen2"
t_like "$(nb_gens)" "(^|$'\n')$gen1 os-a [1-9]" "generation $gen1 stays open while files hold it"
t_is "$(nb_status_json | json_get "scalar @{(grep { \$_->{id} == $gen1 } @{\$j->{generations}})[0]{pinned_by}}")" \
	0 "but nothing pins it"
sync
echo 3 >/proc/sys/vm/drop_caches
cat <&5 >"$T/r5.part3" 2>"$T/r5.err"
cat <&6 >"$T/r6.part3" 2>"$T/r6.err"
t_ok "a TFTP file opened before the reboot reads old bytes to the end" \
	test "$(cat "$T"/r5.part* | sha256sum | cut -d' ' -f1)" = "$old_sha"
t_ok "a root file opened before the reboot reads old bytes to the end" \
	test "$(cat "$T"/r6.part* | sha256sum | cut -d' ' -f1)" = "$old_sha"

# ---- the readers close ------------------------------------------------
exec 5<&- 6<&-
t_ok "generation $gen1 is closed once unpinned and unused" \
	wait_for "! nb_gens | grep -q '^$gen1 '" 5
t_is "$(nb_fds_to '/os-a\.sqfs \(deleted\)$') $(nb_fds_to '/os-a\.sqfs$')" "0 1" \
	"the daemon holds the new file only"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" status)" "n1 +os-a +$gen2 +- " "the status table"

t_ok "daemon stops cleanly" nb_stop
done_testing
