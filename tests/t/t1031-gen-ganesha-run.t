#!/bin/bash
# SPDX-License-Identifier: MIT
# The config from `netbootctl gen ganesha` runs: NFS-Ganesha in a network
# namespace serves each node root over NFSv3 and v4 to that node's address
# only (or to [server] clients when the node has no ip).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd ganesha.nfsd rpcbind nfs-ls ip
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/nfs/rpi-01" "$T/nfs/rpi-03"
echo one >"$T/nfs/rpi-01/hello-rpi-01"
echo three >"$T/nfs/rpi-03/hello-rpi-03"
cat >"$T/g.ini" <<INI
[server]
nfs_root = $T/nfs
state = $T/state
clients = $NB_NET.96/28
[defaults]
image = raspios-arm64
[node:rpi-01]
serial = 1a2b3c4d
ip = $NB_NET.51
[node:rpi-03]
serial = 3c4d5e6f
INI
"$NETBOOTCTL" -c "$T/g.ini" gen ganesha >"$T/ganesha.conf"; rc=$?
t_is "$rc" 0 "gen ganesha: exit 0"
ganesha_test_state "$T/ganesha.conf"

ns_create srv
ns_create pi1
ns_create pi9
ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:51 "$NB_NET.51/24"
ns_link srv pi9 "$NB_SERVER_IP/24" dc:a6:32:00:00:99 "$NB_NET.99/24"
svc_ganesha srv "$T/ganesha.conf" || skip_all "ganesha did not start"
t_ok "ganesha: no config errors logged" \
	eval "[ -s '$T/ganesha-srv/ganesha.log' ] && ! grep -iE 'config.*(error|unknown)' '$T/ganesha-srv/ganesha.log'"

for v in 3 4; do
	out=$(ns_exec pi1 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/rpi-01" $v)" 2>&1)
	t_like "$out" "hello-rpi-01" "NFSv$v: rpi-01's address lists its root"
	ns_exec pi9 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/rpi-01" $v)" >"$T/out" 2>&1
	t_is "$(grep -c hello-rpi-01 "$T/out")" 0 "NFSv$v: another address cannot list rpi-01's root"
	out=$(ns_exec pi9 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/rpi-03" $v)" 2>&1)
	t_like "$out" "hello-rpi-03" "NFSv$v: [server] clients list rpi-03's root (no ip)"
done

done_testing
