#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl apply: --dry-run shows the diff and changes nothing; apply
# writes the dnsmasq hosts file and the Ganesha exports and brings a running
# dnsmasq and Ganesha (same PIDs, no restart) to the new node set: the new
# node gets its fixed address and the Pi boot menu (its MAC is outside the
# Pi prefixes: tagged by the hosts file), and its root is exported to it.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd dnsmasq busybox ip ganesha.nfsd rpcbind nfs-ls diff
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/tftp" "$T/nfs/n1" "$T/nfs/n2"
echo one >"$T/nfs/n1/hello-n1"
echo two >"$T/nfs/n2/hello-n2"
N2_MAC=02:00:00:00:00:52
config()
{
	cat <<-INI
	[server]
	tftp_root = $T/tftp
	nfs_root = $T/nfs
	state = $T/state
	address = $NB_SERVER_IP
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,1h
	[defaults]
	image = raspios-arm64
	[node:n1]
	mac = dc:a6:32:00:00:51
	ip = $NB_NET.51
	INI
	[ "${1:-}" != n2 ] || printf '[node:n2]\nmac = %s\nip = %s\n' "$N2_MAC" "$NB_NET.52"
}
config >"$T/n.ini"
G=$T/ganesha-srv
apply()
{
	"$NETBOOTCTL" -c "$T/n.ini" apply --hook /bin/true --dnsmasq-conf "$T/dnsmasq.conf" \
		--dnsmasq-hosts "$T/dnsmasq.hosts" --dnsmasq-pid "$T/dnsmasq-srv.pid" \
		--ganesha-conf "$T/nb-ganesha.conf" --ganesha-pid "$G/ganesha.nfsd.pid" "$@"
}

apply >"$T/out" 2>&1
t_is "$?" 0 "first apply (services not running yet): exit 0"
t_like "$(cat "$T/out")" "dnsmasq: not running" "... says dnsmasq is not running"
t_is "$(grep -c '^dhcp-hostsfile=' "$T/dnsmasq.conf"):$(grep -v '^#' "$T/dnsmasq.hosts")" \
	"1:dc:a6:32:00:00:51,set:rpi,$NB_NET.51,n1" "the nodes are in the dhcp-hostsfile"
t_is "$(stat -c %a "$T/dnsmasq.hosts")" 644 "... written 0644"

# Ganesha reads the generated exports through %include, like an admin's
# ganesha.conf would.
{
	echo "%include \"$T/nb-ganesha.conf\""
} >"$T/ganesha.conf"
ganesha_test_state "$T/ganesha.conf"

ns_create srv
ns_create pi1
ns_create pi2
ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:51 "$NB_NET.51/24"
ns_link srv pi2 "$NB_SERVER_IP/24" "$N2_MAC"
svc_dnsmasq srv "$T/dnsmasq.conf" || skip_all "dnsmasq did not start"
DPID=$SVC_PID
svc_ganesha srv "$T/ganesha.conf" || skip_all "ganesha did not start"
GPID=$SVC_PID
t_is "$(cat "$G/ganesha.nfsd.pid" 2>/dev/null)" "$GPID" "ganesha's pid file names it"

t_like "$(ns_exec pi1 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/n1" 3)" 2>&1)" hello-n1 \
	"before: n1's root is exported"
t_ok "before: the unknown MAC gets a lease" svc_dhcp_client pi2 "$N2_MAC"
t_like "$(dhcp_var pi2 ip)" "^$NB_NET\.1[0-4][0-9]\$" "... from the range"
t_is "$(dhcp_opt_text pi2 43 | grep -c 'Raspberry Pi Boot')" 0 "... without the Pi boot menu"
ns_exec pi2 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/n2" 3)" >"$T/ls" 2>&1
t_is "$(grep -c hello-n2 "$T/ls")" 0 "before: no export of n2"

# ---- dry run -------------------------------------------------------------
config n2 >"$T/n.ini"
sums() { sha256sum "$T/dnsmasq.conf" "$T/dnsmasq.hosts" "$T/nb-ganesha.conf"; }
before=$(sums)
apply --dry-run >"$T/out" 2>&1
t_is "$?" 0 "apply --dry-run: exit 0"
t_ok "--dry-run: the hosts file diff adds n2" \
	grep -qxF "+$N2_MAC,set:rpi,$NB_NET.52,n2" "$T/out"
t_ok "--dry-run: the diff names the file" grep -qxF -- "+++ $T/dnsmasq.hosts" "$T/out"
t_ok "--dry-run: the Ganesha diff adds n2's export" grep -qxF -- "+	Path = \"$T/nfs/n2\";" "$T/out"
t_ok "--dry-run: the main dnsmasq file is unchanged" grep -qxF "$T/dnsmasq.conf: unchanged" "$T/out"
t_like "$(cat "$T/out")" "dnsmasq: would send SIGHUP to PID $DPID" "--dry-run: says what it would reload"
t_is "$(sums)" "$before" "--dry-run: no file changed"
t_is "$(find "$T" -maxdepth 1 \( -name '.dnsmasq*' -o -name '.nb-ganesha*' \))" "" "--dry-run: no temporary file left"
sleep 1
ns_exec pi2 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/n2" 3)" >"$T/ls" 2>&1
t_is "$(grep -c hello-n2 "$T/ls")" 0 "--dry-run: still no export of n2"

# ---- apply ---------------------------------------------------------------
apply >"$T/out" 2>&1
t_is "$?" 0 "apply: exit 0"
t_like "$(cat "$T/out")" "dnsmasq: sent SIGHUP to PID $DPID" "apply: SIGHUP to dnsmasq"
t_like "$(cat "$T/out")" "ganesha: sent SIGHUP to PID $GPID" "apply: SIGHUP to Ganesha"
t_ok "apply: still the diff" grep -qxF "+$N2_MAC,set:rpi,$NB_NET.52,n2" "$T/out"
t_ok "hosts file written" grep -qxF "$N2_MAC,set:rpi,$NB_NET.52,n2" "$T/dnsmasq.hosts"

# Ganesha re-reads its exports in the background.
ls_n2() { ns_exec pi2 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/n2" "$1")" 2>&1 | grep -q hello-n2; }
t_ok "the new node gets its fixed address from the same dnsmasq" svc_dhcp_client pi2 "$N2_MAC"
t_is "$(dhcp_var pi2 ip)" "$NB_NET.52" "... $NB_NET.52 (dhcp-host from the re-read hosts file)"
t_like "$(dhcp_opt_text pi2 43)" "Raspberry Pi Boot" "... and the Pi boot menu (tagged rpi by the hosts file)"
wait_for "ls_n2 3" 15
t_ok "NFSv3: n2's root is exported to n2 by the same Ganesha" ls_n2 3
t_ok "NFSv4: likewise" ls_n2 4
t_like "$(ns_exec pi1 nfs-ls "$(nfs_url "$NB_SERVER_IP" "$T/nfs/n1" 4)" 2>&1)" hello-n1 \
	"n1 is still served"
t_ok "dnsmasq was not restarted (PID $DPID alive)" kill -0 "$DPID"
t_ok "Ganesha was not restarted (PID $GPID alive)" kill -0 "$GPID"
t_is "$(cat "$G/ganesha.nfsd.pid")" "$GPID" "... and its pid file is unchanged"

# ---- nothing to do -------------------------------------------------------
apply >"$T/out" 2>&1
t_is "$?:$(grep -c '^[-+@]' "$T/out"):$(grep -c SIGHUP "$T/out")" "0:0:0" \
	"apply again: no diff, no reload"

# ---- a file from an older netbootctl, without the MDCACHE block -------------
# Ganesha reads MDCACHE and NFS_CORE_PARAM only when it starts (a SIGHUP
# reloads the exports only, docs/design.md): apply says so.
perl -0pi -e 's/\nMDCACHE \{\n.*?\n\}\n//s' "$T/nb-ganesha.conf"
t_is "$(grep -c MDCACHE "$T/nb-ganesha.conf")" 0 "an older file: no MDCACHE block"
apply >"$T/out" 2>&1
t_is "$?" 0 "apply: exit 0"
t_ok "apply: says Ganesha needs a restart" grep -qxF \
	"ganesha: $T/nb-ganesha.conf: NFS_CORE_PARAM or MDCACHE changed: Ganesha reads them only when it starts: restart Ganesha" \
	"$T/out"
t_ok "apply: the diff adds Dir_Chunk = 0" grep -qxF "+	Dir_Chunk = 0;" "$T/out"
t_like "$(cat "$T/out")" "ganesha: sent SIGHUP to PID $GPID" "apply: and sends SIGHUP for the exports"
apply >"$T/out" 2>&1
t_is "$?:$(grep -c 'restart' "$T/out"):$(grep -c SIGHUP "$T/out")" "0:0:0" \
	"apply again: no restart asked for, no reload"
# A change of nodes alone needs no restart.
config >"$T/n.ini"
apply >"$T/out" 2>&1
t_is "$?:$(grep -c 'restart' "$T/out"):$(grep -c 'ganesha: sent SIGHUP' "$T/out")" "0:0:1" \
	"apply after removing a node: SIGHUP, no restart asked for"

# ---- a config error changes nothing ----------------------------------------
before=$(sums)
echo "bogus line" >>"$T/n.ini"
apply >"$T/out" 2>&1
t_is "$?" 1 "apply with a config error: exit 1"
t_like "$(cat "$T/out")" "$T/n.ini:[0-9]+: .*nothing applied" "... names file:line and applies nothing"
t_is "$(sums)" "$before" "... and no file changed"
done_testing
