#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile paths that `check` accepts are served by the real services from the
# configs netbootctl generates for them, exactly where they point: dnsmasq
# serves TFTP from a tftp_root with a space, quotes, a comma, '#', '%', '$',
# a backslash and a tab in it, and runs a dhcp-script hook whose path has the
# same; NFS-Ganesha exports a node root below an nfs_root with '#', '*(rw)',
# a backslash, quotes and braces in it to that node only.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd dnsmasq busybox ganesha.nfsd rpcbind nfs-ls ip
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

TFTP="$T/t f\"t,#%\$\\x	y"
NFS="$T/n#s*(rw)\\b'{x}!\$y"
HOOK="$T/h o\"k#,%\$.sh"
mkdir -p "$T/state" "$TFTP" "$NFS/rpi-01" "$NFS/rpi-02"
head -c 3000 /dev/urandom >"$TFTP/start4.elf"
# Where a split or truncated path would point: must never be served.
mkdir -p "$T/t f"
echo wrong >"$T/t f/start4.elf"
echo one >"$NFS/rpi-01/hello-rpi-01"
echo two >"$NFS/rpi-02/hello-rpi-02"
# The hook records that dnsmasq ran it, by this path.
printf '#!/bin/sh\necho "$1 $2" >>"%s"\n' "$T/hook-ran" >"$HOOK"
chmod +x "$HOOK"

cat >"$T/g.ini" <<INI
[server]
tftp_root = $TFTP
nfs_root = $NFS
state = $T/state
address = $NB_SERVER_IP
dhcp = full
dhcp_range = $NB_NET.100,$NB_NET.150,12h
[defaults]
image = raspios-arm64
[node:rpi-01]
mac = dc:a6:32:00:00:51
ip = $NB_NET.51
[node:rpi-02]
mac = dc:a6:32:00:00:52
ip = $NB_NET.52
INI

ns_create srv
ns_create pi1
ns_create pi2
ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:51 "$NB_NET.51/24"
ns_link srv pi2 "$NB_SERVER_IP/24" dc:a6:32:00:00:52 "$NB_NET.52/24"

# ---- dnsmasq --------------------------------------------------------------
"$NETBOOTCTL" -c "$T/g.ini" gen dnsmasq --hook "$HOOK" >"$T/dnsmasq.conf"
t_is "$?" 0 "gen dnsmasq: exit 0"
# A generated config the service refuses is a failure here, not a skip.
if t_ok "dnsmasq starts on the generated config" svc_dnsmasq srv "$T/dnsmasq.conf"; then
	svc_tftp_get pi1 "$NB_SERVER_IP" start4.elf "$T/got.elf" >"$T/tftp.out" 2>&1
	t_is "$?" 0 "TFTP from the generated config: start4.elf fetched"
	t_file_sha_eq "$TFTP/start4.elf" "$T/got.elf" "... byte-exact, from the tftp_root as written"
	ns_exec pi2 ip addr flush dev eth0 2>/dev/null
	t_ok "a DHCP client gets a lease" svc_dhcp_client pi2 dc:a6:32:00:00:52
	wait_for "[ -s '$T/hook-ran' ]" 10
	wait_for "grep -q '^add dc:a6:32:00:00:52\$' '$T/hook-ran'" 10
	t_ok "dnsmasq ran the dhcp-script at its exact path" \
		grep -qx "add dc:a6:32:00:00:52" "$T/hook-ran"
else
	skip "dnsmasq did not start" 4
fi

# ---- Ganesha --------------------------------------------------------------
"$NETBOOTCTL" -c "$T/g.ini" gen ganesha >"$T/ganesha.conf"
t_is "$?" 0 "gen ganesha: exit 0"
ganesha_test_state "$T/ganesha.conf"
if t_ok "ganesha starts on the generated config" svc_ganesha srv "$T/ganesha.conf"; then
	t_ok "ganesha: no config errors logged" \
		eval "! grep -iE 'config.*(error|unknown)|unexpected' '$T/ganesha-srv/ganesha.log'"
	# libnfs takes the path as it is (no %XX decoding); it has no '?'.
	url_path=$NFS
	for v in 3 4; do
		out=$(ns_exec pi1 nfs-ls "nfs://$NB_SERVER_IP$url_path/rpi-01?version=$v" 2>&1)
		t_like "$out" "hello-rpi-01" "NFSv$v: rpi-01 lists its root at the exact nfs_root path"
		ns_exec pi2 nfs-ls "nfs://$NB_SERVER_IP$url_path/rpi-01?version=$v" >"$T/out" 2>&1
		t_is "$(grep -c hello-rpi-01 "$T/out")" 0 "NFSv$v: rpi-02 cannot list rpi-01's root"
	done
else
	skip "ganesha did not start" 5
fi

done_testing
