#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl node move of a running node takes effect at its next boot.
# Two daemons (-S alpha, -S beta) over one shared directory and one ini, a
# dnsmasq each. Node pi-m boots from alpha and writes through alpha's NFS.
# `node move pi-m beta` edits the ini; both daemons reload it. alpha keeps
# serving the running root (reads and writes byte-exact) until the node
# reboots; then alpha's regenerated dnsmasq ignores it, beta answers its
# DHCP and TFTP (cmdline.txt names beta), beta's Ganesha serves its root
# with every file written before the move (the overlay on the shared
# storage moved with it). The node's lease (an overlay has one writer)
# keeps beta from mounting the root while alpha has it: beta waits, naming
# alpha, until alpha unmounts its copy once the node is down and idle.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/twoservers.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl python3 mksquashfs sha256sum jq \
	ganesha.nfsd rpcbind rpcinfo unshare nfs-ls nfs-cat nfs-cp
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

n=pi-m serial=5a00d004 mac=dc:a6:32:82:00:04 ip=$NB_NET.54
ts_setup

# ---- the node runs on alpha ----------------------------------------------------------
boot alpha beta boot1
write_note alpha 1

# ---- node move -----------------------------------------------------------------------
cp "$CONF" "$T/before.ini"
out=$("$NETBOOTCTL" -c "$CONF" node move "$n" beta 2>&1)
t_is "$?" 0 "node move: exit 0"
t_is "$out" "node $n moves from alpha to beta at its next boot ($CONF)" "node move says what happens when"
t_is "$(diff "$T/before.ini" "$CONF" | grep '^[<>]')" "< server = alpha
> server = beta" "node move changes only the node's server line"
t_like "$("$NETBOOTCTL" -c "$CONF" node move "$n" gamma 2>&1)" "no \[server:gamma\] in $CONF" \
	"node move to an unknown server is refused"
t_like "$("$NETBOOTCTL" -c "$CONF" node move nosuch beta 2>&1)" "no node nosuch in $CONF" \
	"node move of an unknown node is refused"
wait_for "grep -q reloaded '$T/alpha/netbootfs.log' && grep -q reloaded '$T/beta/netbootfs.log'" 10
t_ok "both daemons reload the edited ini" \
	eval "grep -q reloaded '$T/alpha/netbootfs.log' && grep -q reloaded '$T/beta/netbootfs.log'"
wait_for "grep -q 'node $n: its lease .* is held by alpha' '$T/beta/netbootfs.log'" 10
t_fails "beta does not mount $n's root while alpha has it" _t_is_fuse_mounted "$T/beta/nfs/$n"
t_is "$("$NETBOOTCTL" -c "$CONF" -S beta status --json | jq -r ".nodes[] | select(.name == \"$n\") | \"\(.lease.held) \(.lease.server) \(.lease.pid)\"")" \
	"false alpha ${PID[alpha]}" "status -S beta: it waits for $n's lease, held by alpha"

# ---- until it reboots, alpha serves the running root ----------------------------------
t_ok "alpha keeps the running root mounted" _t_is_fuse_mounted "$T/alpha/nfs/$n"
read_notes alpha "running after the move" 1
write_note alpha 2
"$NETBOOTCTL" -c "$CONF" -S alpha status --json >"$T/status-alpha.json"
t_is "$(jq -r ".nodes[] | select(.name == \"$n\") | \"\(.server) \(.up)\"" "$T/status-alpha.json")" \
	"beta true" "status -S alpha: the node is up here and goes to beta"
t_is "$(jq -r '.elsewhere[].name' "$T/status-alpha.json")" "$n" "status -S alpha: it is beta's node now"

# ---- the node reboots: beta answers it ---------------------------------------------------
# What `netbootctl apply` does on each server: their DHCP/TFTP and NFS
# configs regenerated from the moved ini.
t_ok "alpha's dnsmasq restarts with the new config" dnsmasq_start alpha || exit 1
t_ok "beta's dnsmasq restarts with the new config" dnsmasq_start beta || exit 1
# The node is down: no request for 2 * boot_gap. alpha lets go of the
# root, and so of its lease; beta takes it at its next try.
wait_for "! _t_is_fuse_mounted '$T/alpha/nfs/$n'" 15
t_fails "alpha unmounts its copy of the root once the node is idle" \
	_t_is_fuse_mounted "$T/alpha/nfs/$n"
t_like "$(cat "$T/alpha/netbootfs.log")" "node $n: no longer in the config and idle: unmounting" \
	"alpha's log says why"
t_ok "beta mounts $n's root once alpha released its lease" wait_mounted "$T/beta/nfs/$n" 10
t_like "$(cat "$T/beta/netbootfs.log")" "node $n: lease taken \(it was held by alpha " \
	"beta's log says it took the lease from alpha"
# Ganesha exports what is mounted when it starts: after the root is.
t_ok "beta's ganesha starts with the node's export" ganesha_start beta || exit 1
boot beta alpha boot2
read_notes beta "after the reboot" 1 2
t_is "$(ns_exec "$n" nfs-cat "$(url beta etc/hostname)" 2>&1)" "$n" "beta's NFS: etc/hostname is the node's"
write_note beta 3
t_ok "beta still serves the root" _t_is_fuse_mounted "$T/beta/nfs/$n"
read_notes beta "after the reboot, alpha gone" 1 2 3

t_ok "alpha still runs" kill -0 "${PID[alpha]}"
t_ok "beta still runs" kill -0 "${PID[beta]}"
t_is "$(cat "$T/alpha/netbootfs.log" "$T/beta/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
