#!/bin/bash
# SPDX-License-Identifier: MIT
# The shared homes of netbootctl user over real NFS: `gen ganesha` exports
# [server] homes to the nodes; NFS-Ganesha in a network namespace serves
# it; a file alice writes from one node's address (as uid 20000) is read
# from the other's; root on a node is squashed and cannot read her 0700
# home; an address that is no node's cannot mount it at all.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd ganesha.nfsd rpcbind nfs-ls nfs-cat nfs-cp ip
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/nfs/a" "$T/nfs/b"
cat >"$T/g.ini" <<INI
[server]
nfs_root = $T/nfs
state = $T/state
address = $NB_SERVER_IP
homes = $T/homes
[defaults]
image = classroom
[node:a]
serial = 00000001
ip = $NB_NET.51
[node:b]
serial = 00000002
ip = $NB_NET.52
INI
printf 'alice-pw\n' | "$NETBOOTCTL" -c "$T/g.ini" user add alice >/dev/null
ok $? "user add alice"
"$NETBOOTCTL" -c "$T/g.ini" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "gen ganesha: exit 0"
t_like "$(cat "$T/ganesha.conf")" "Path = \"$T/homes\";
	Pseudo = \"$T/homes\";
	Protocols = 3, 4;
	Transports = TCP;
	SecType = sys;
	Squash = Root_Squash;" "the homes export, root squashed"
t_like "$(cat "$T/ganesha.conf")" "Clients = $NB_NET.51, $NB_NET.52;" "to every node's ip"
ganesha_test_state "$T/ganesha.conf"

ns_create srv
ns_create pa
ns_create pb
ns_create px
ns_link srv pa "$NB_SERVER_IP/24" dc:a6:32:00:00:51 "$NB_NET.51/24"
ns_link srv pb "$NB_SERVER_IP/24" dc:a6:32:00:00:52 "$NB_NET.52/24"
ns_link srv px "$NB_SERVER_IP/24" dc:a6:32:00:00:99 "$NB_NET.99/24"
svc_ganesha srv "$T/ganesha.conf" || skip_all "ganesha did not start"
t_ok "ganesha: no config errors logged" \
	eval "[ -s '$T/ganesha-srv/ganesha.log' ] && ! grep -iE 'config.*(error|unknown)' '$T/ganesha-srv/ganesha.log'"

alice="uid=20000&gid=20000"
for v in 3 4; do
	echo "note $v from a" >"$T/note$v"
	ns_exec pa nfs-cp "$T/note$v" "nfs://$NB_SERVER_IP/${T#/}/homes/alice/note$v?version=$v&$alice" \
		>"$T/cp.out" 2>&1
	ok $? "NFSv$v: alice writes a file in her home from node a" || _t_diag_stream "$T/cp.out"
	out=$(ns_exec pb nfs-cat "nfs://$NB_SERVER_IP/${T#/}/homes/alice/note$v?version=$v&$alice" 2>&1)
	t_is "$out" "note $v from a" "NFSv$v: node b reads it"
	t_is "$(stat -c %u "$T/homes/alice/note$v")" 20000 "NFSv$v: owned by alice on the server"
	ns_exec pb nfs-cat "nfs://$NB_SERVER_IP/${T#/}/homes/alice/note$v?version=$v" >"$T/root.out" 2>&1
	t_fails "NFSv$v: root on node b is squashed and cannot read alice's 0700 home" \
		grep -q "note $v from a" "$T/root.out"
	ns_exec px nfs-cat "nfs://$NB_SERVER_IP/${T#/}/homes/alice/note$v?version=$v&$alice" >"$T/x.out" 2>&1
	t_fails "NFSv$v: an address that is no node's cannot read it" grep -q "note $v from a" "$T/x.out"
done

done_testing
