#!/bin/bash
# SPDX-License-Identifier: MIT
# The one ini of several servers on shared storage: an edit made through
# another machine's mount (here a second GlusterFS mount, its glusterfs
# process in a namespace of its own) is never reported by inotify on this
# machine, so the daemon looks at the file every few seconds when it is on
# a shared file system and reloads when it changed (fusefs/sharedpoll.c).
# Checked: a node added through the other mount gets its root and boot
# tree, a node removed through it loses them, an edit made here still
# reloads at once, and a broken edit from there is refused with its line.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/gluster.sh"

require_root
require_fuse
require_cmd mksquashfs ip nsenter timeout
require_gluster
[ -x "$NETBOOTFS" ] || skip_all "no $NETBOOTFS (build first)"

gluster_volume stor nbt
gluster_client here "$NB_NET.11" && gluster_client there "$NB_NET.12" || {
	echo "Bail out! cannot link the client namespaces"
	exit 1
}
HERE=$T/here THERE=$T/there
gluster_mount here nbt "$HERE" && gluster_mount there nbt "$THERE" ||
	skip_all "cannot mount the GlusterFS volume (see $GLUSTER_DIR/log)"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
at_exit "lazy_umount '$NB/nfs/n2'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
export NB_BOOT_GAP=2
ini()
{
	cat <<-INI
		default_image = os-a

		[defaults]
		image = os-a

		[node:n1]
		serial = 1a2b3c4d
	INI
	[ "${1:-}" != two ] || printf '\n[node:n2]\nserial = 2b3c4d5e\n'
}
ini | nb_write_config
# The daemon reads the ini through this machine's mount; edits come
# through the other one, as from another server.
cp "$NB_CONF" "$HERE/netbootfs.ini"
NB_CONF=$HERE/netbootfs.ini
nb_start || exit 1
t_ok "n1's root is mounted" wait_mounted "$NB/nfs/n1" 10
t_ok "the daemon says it looks at the shared ini" \
	grep -q "netbootfs.ini: on FUSE: looked at every 5 s" "$NB/netbootfs.log"

# Write through the other mount as an editor does: a new file renamed over.
edit_there()
{
	cat >"$THERE/.netbootfs.ini.new" && mv "$THERE/.netbootfs.ini.new" "$THERE/netbootfs.ini"
}
reloads()
{
	grep -c "netbootfs.ini: reloaded" "$NB/netbootfs.log"
}

before=$(reloads)
{ sed -n '/^\[server\]/,/^default_image/p' "$NB_CONF" | sed '$d'; ini two; } | edit_there
t_ok "this mount sees the other one's edit" \
	wait_for "[ \$(grep -c '^\[node:' '$HERE/netbootfs.ini') = 2 ]" 5
t_ok "a node added through the other mount gets its root within 15 s" wait_mounted "$NB/nfs/n2" 15
t_ok "and its boot tree" wait_for "test -e '$NB/tftp/2b3c4d5e/start4.elf'" 5
t_file_sha_eq "$NB/tftp/2b3c4d5e/start4.elf" "$T/a/boot/firmware/start4.elf" \
	"n2's start4.elf is the image's, byte-exact"
t_is "$(($(reloads) - before))" 1 "one reload for one edit"

# Quiet while nothing changes: no reload from the looks alone.
before=$(reloads)
sleep 11
t_is "$(($(reloads) - before))" 0 "no reload in 11 s without a change"

# Removed through the other mount.
{ sed -n '/^\[server\]/,/^default_image/p' "$NB_CONF" | sed '$d'; ini; } | edit_there
t_ok "a node removed through the other mount loses its boot tree within 15 s" \
	wait_for "! test -e '$NB/tftp/2b3c4d5e'" 15
t_ok "and its root is unmounted" wait_for "! mountpoint -q '$NB/nfs/n2'" 15

# A broken edit from there is refused, with its file and line.
before=$(grep -c "reload refused" "$NB/netbootfs.log")
{ cat "$HERE/netbootfs.ini"; printf '\n[node:n3]\nserial = zz\n'; } | edit_there
t_ok "a broken edit through the other mount is refused" \
	wait_for "[ \$(grep -c 'reload refused' '$NB/netbootfs.log') -gt $before ]" 15
t_like "$(grep 'netbootfs.ini:[0-9]*:' "$NB/netbootfs.log" | tail -n1)" "netbootfs.ini:[0-9]+:.*serial" \
	"the log names the line and the key"
t_ok "n1 is still served" mountpoint -q "$NB/nfs/n1"

t_ok "netbootfs stops cleanly" nb_stop
done_testing
