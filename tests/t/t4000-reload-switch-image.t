#!/bin/bash
# SPDX-License-Identifier: MIT
# A config edit moves a node to another image: nothing changes for it until
# its next boot, then its boot tree and its root both show the new image;
# another node on the old image is untouched throughout. Added nodes get
# their mounts at once; removed nodes lose theirs once idle.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
for n in n1 n2 n3; do
	at_exit "lazy_umount '$NB/nfs/$n'"
done
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b"
export NB_BOOT_GAP=3
nodes_ini()
{
	cat <<-INI
		default_image = os-a

		[defaults]
		image = os-a

		[node:n1]
		image = $1
		serial = 1a2b3c4d
		mac = dc:a6:32:00:00:01

		[node:n2]
		serial = 2b3c4d5e
		mac = dc:a6:32:00:00:02
	INI
}
nodes_ini os-a | nb_write_config
nb_start || exit 1
for n in n1 n2; do
	wait_mounted "$NB/nfs/$n" 10 || {
		echo "Bail out! $NB/nfs/$n is not mounted"
		exit 1
	}
done
tftp=$NB/tftp
N1=$tftp/1a2b3c4d
N2=$tftp/2b3c4d5e
variant() # the image variant a boot tree serves
{
	tail -n 1 "$1/config.txt"
}

# The first boot of each node since the daemon started.
nb_tftp_read "$N1/start4.elf" "$N2/start4.elf"
t_is "$(variant "$N1") / $(cat "$NB/nfs/n1/etc/fixture-variant")" "# fixture variant a / a" \
	"n1 boots image a: boot tree and root"
t_is "$(variant "$N2") / $(cat "$NB/nfs/n2/etc/fixture-variant")" "# fixture variant a / a" \
	"n2 boots image a"
gen_a=$(nb_node n1 generation)
gen_b=$(nb_status_json | json_get '(grep { $_->{image} eq "os-b" } @{$j->{generations}})[0]{id}')
t_like "$gen_a $gen_b" '^[0-9]+ [0-9]+$' "status names both generations"
n2_boot=$(nb_node n2 last_boot)
t_like "$n2_boot" '^[0-9]+$' "n2 has a last boot time"
# n2 holds a file of its root open throughout.
exec 7<"$NB/nfs/n2/etc/shadow"

# ---- the edit: n1 moves to os-b -----------------------------------------
nb_keepalive 1a2b3c4d # no boot of n1 from here on until nb_boot
t_ok "the edited config is reloaded" eval 'nodes_ini os-b | nb_reconfig'
t_is "$(variant "$N1")" "# fixture variant a" "before its next boot n1's boot tree still shows a"
t_is "$(cat "$NB/nfs/n1/etc/fixture-variant")" a "and its root still shows a"
t_is "$(nb_node n1 image) $(nb_node n1 generation)" "os-a $gen_a" "status: n1 still pins os-a"
t_is "$(nb_node n1 next_image) $(nb_node n1 newer)" "os-b $gen_b" \
	"status: n1's next boot takes os-b"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" status)" \
	"n1 +os-a +$gen_a +os-b:$gen_b " "the status table shows NEWER as os-b:$gen_b"

# ---- n1 boots ----------------------------------------------------------
nb_keepalive_stop
t_ok "a boot of n1 (open of start4.elf after ${NB_BOOT_GAP}s of silence)" nb_boot 1a2b3c4d
t_ok "after the boot n1's boot tree shows b" \
	wait_for "[ \"\$(variant '$N1')\" = '# fixture variant b' ]" 5
t_ok "and its root shows b" \
	wait_for "[ \"\$(cat '$NB/nfs/n1/etc/fixture-variant')\" = b ]" 5
t_file_sha_eq "$N1/kernel8.img" "$T/b/boot/firmware/kernel8.img" "n1's kernel is image b's"
t_file_sha_eq "$NB/nfs/n1/boot/firmware/start4.elf" "$T/b/boot/firmware/start4.elf" \
	"n1's root serves image b's start4.elf"
t_is "$(nb_node n1 image) $(nb_node n1 generation) $(nb_node n1 newer)" "os-b $gen_b null" \
	"status: n1 pins os-b, nothing newer"

# ---- n2 untouched ------------------------------------------------------
# (Checked before n2's boot tree is read again: after boot_gap seconds of
# silence that read would be a boot of n2, which would still take os-a.)
t_is "$(nb_node n2 generation) $(nb_node n2 last_boot)" "$gen_a $n2_boot" \
	"n2 kept its pin and did not boot"
t_is "$(variant "$N2") / $(cat "$NB/nfs/n2/etc/fixture-variant")" "# fixture variant a / a" \
	"n2 still serves image a"
t_file_sha_eq "$N2/kernel8.img" "$T/a/boot/firmware/kernel8.img" "n2's kernel is image a's"
t_is "$(nb_node n2 generation)" "$gen_a" "n2 pins os-a generation $gen_a"
t_is "$(cat <&7)" "$(cat "$T/a/etc/shadow")" "n2's file opened before the edit reads a's bytes"
exec 7<&-

# ---- an added node is served at once; a removed one goes once idle ------
{
	nodes_ini os-b | grep -v '^\[node:n2\]' | grep -v 2b3c4d5e | grep -v 'dc:a6:32:00:00:02'
	printf '[node:n3]\nimage = os-b\nserial = 3c4d5e6f\nmac = dc:a6:32:00:00:03\n'
} >"$T/ini"
exec 8<"$NB/nfs/n2/etc/hostname" # n2 is busy
t_ok "n3 added, n2 removed: reloaded" eval 'nb_reconfig <"$T/ini"'
t_ok "n3's root is mounted" wait_mounted "$NB/nfs/n3" 5
t_is "$(variant "$tftp/3c4d5e6f") / $(cat "$NB/nfs/n3/etc/fixture-variant")" \
	"# fixture variant b / b" "n3 boots image b"
t_fails "n2's boot tree is gone at once" stat "$N2"
t_is "$(nb_node n2 in_config) $(nb_node n2 mounted)" "false true" \
	"n2's root stays while it has an open file"
sleep $((2 * NB_BOOT_GAP + 1))
t_ok "still mounted after 2 * boot_gap with the file open" is_mounted "$NB/nfs/n2"
t_is "$(cat <&8)" n2 "the open file still reads"
exec 8<&-
t_ok "closed and idle: n2's root is unmounted" \
	wait_for "! is_mounted '$NB/nfs/n2'" $((2 * NB_BOOT_GAP + 5))
t_ok "with a log line" nb_log_has "node n2: no longer in the config and idle"
t_is "$(nb_status_json | json_get 'join " ", map { $_->{name} } @{$j->{nodes}}')" "n1 n3" \
	"status lists n1 and n3"
t_is "$(variant "$N1") / $(cat "$NB/nfs/n1/etc/fixture-variant")" "# fixture variant b / b" \
	"n1 is served throughout"

t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
t_ok "the control socket is removed at exit" test ! -e "$NB/netbootfs.sock"
done_testing
