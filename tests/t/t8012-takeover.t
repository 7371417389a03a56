#!/bin/bash
# SPDX-License-Identifier: MIT
# Unplanned take-over: a server dies, the survivor takes its nodes.
# Two daemons (-S alpha, -S beta) over one shared directory and one ini, a
# dnsmasq each. Node pi-t boots from alpha and writes through alpha's NFS.
# alpha dies (kill -9 of the daemon; its dnsmasq and Ganesha stop with the
# machine): its lease on the node's overlay goes with it. On beta,
# `netbootctl -S beta takeover alpha` (what a fail-over tool's notify script
# runs) gives beta every node of alpha in the shared ini; beta reloads,
# takes the free lease and mounts the root, and answers the node's next
# boot: DHCP, TFTP (cmdline.txt names beta) and NFS from beta, with every
# file written through alpha before it died, byte-exact.
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

n=pi-t serial=5a00e005 mac=dc:a6:32:83:00:05 ip=$NB_NET.55
ts_setup

# ---- the node runs on alpha ----------------------------------------------------------
boot alpha beta boot1
write_note alpha 1
write_note alpha 2
t_fails "beta does not mount the root" _t_is_fuse_mounted "$T/beta/nfs/$n"

# ---- alpha dies ------------------------------------------------------------------------
kill -9 "${PID[alpha]}"
wait "${PID[alpha]}" 2>/dev/null
stop_pid "${DNSMASQ[alpha]}" 10
DNSMASQ[alpha]=
stop_pid "$(cat "$T/ganesha-alpha/ganesha.pid")" 15
t_fails "alpha is dead" kill -0 "${PID[alpha]}"
sleep 2
t_fails "beta does not take alpha's node by itself" _t_is_fuse_mounted "$T/beta/nfs/$n"

# ---- beta takes over -------------------------------------------------------------------
out=$("$NETBOOTCTL" -c "$CONF" -S beta takeover alpha 2>&1)
t_is "$?" 0 "takeover: exit 0"
t_is "$out" "1 node of alpha moves to beta at their next boot: $n" "takeover names the nodes it moves"
t_like "$(cat "$CONF")" "\[node:$n\]
serial = $serial
mac = $mac
ip = $ip
server = beta" "takeover set the node's server key to beta"
t_like "$("$NETBOOTCTL" -c "$CONF" -S beta takeover beta 2>&1)" "beta cannot take over its own nodes" \
	"takeover of one's own nodes is refused"
t_like "$("$NETBOOTCTL" -c "$CONF" -S beta takeover gamma 2>&1)" "no \[server:gamma\] in $CONF" \
	"takeover of an unknown server is refused"
wait_mounted "$T/beta/nfs/$n" 15
t_ok "beta reloads, takes the dead server's lease and mounts the root" \
	_t_is_fuse_mounted "$T/beta/nfs/$n"
"$NETBOOTCTL" -c "$CONF" -S beta status --json >"$T/status-beta.json"
t_is "$(jq -r ".nodes[] | select(.name == \"$n\") | \"\(.server) \(.lease.held)\"" "$T/status-beta.json")" \
	"beta true" "status -S beta: the node is beta's, with its lease"

# ---- the node reboots: beta answers it -------------------------------------------------
# What `netbootctl apply` does on beta: its DHCP/TFTP and NFS configs.
t_ok "beta's dnsmasq restarts with the new config" dnsmasq_start beta || exit 1
t_ok "beta's ganesha starts with the node's export" ganesha_start beta || exit 1
boot beta alpha boot2
read_notes beta "after the take-over" 1 2
t_is "$(ns_exec "$n" nfs-cat "$(url beta etc/hostname)" 2>&1)" "$n" "beta's NFS: etc/hostname is the node's"
write_note beta 3
read_notes beta "on beta" 1 2 3

t_ok "beta still runs" kill -0 "${PID[beta]}"
t_is "$(cat "$T/alpha/netbootfs.log" "$T/beta/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
