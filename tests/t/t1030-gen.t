#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl gen dnsmasq|exports|ganesha|systemd: exact key lines, dnsmasq
# accepts its config, fsids stay put when nodes are added in front.
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd python3
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/tftp"
server()
{
	cat <<-INI
	[server]
	tftp_root = $T/tftp
	nfs_root = $T/nfs
	images = $T/images
	state = $T/state
	address = 10.251.0.1
	clients = 10.251.0.0/24
	pi_mac_prefixes = 02:aa:bb
	INI
}
nodes()
{
	cat <<-INI
	[defaults]
	image = raspios-arm64
	[node:rpi-01]
	serial = 1a2b3c4d
	mac = dc:a6:32:12:34:56
	ip = 10.251.0.51
	[node:rpi-02]
	serial = 2b3c4d5e
	mac = B8-27-EB-00-00-02
	ip = 10.251.0.52
	[node:rpi-03]
	mac = 02:00:00:00:00:07
	[node:rpi-04]
	serial = 4d5e6f70
	ip = 10.251.0.54
	INI
}
{ server; nodes; } >"$T/g.ini"
ctl() { "$NETBOOTCTL" -c "$T/g.ini" "$@"; }
has_line() { grep -qxF -- "$2" "$1"; }

# ---- dnsmasq ------------------------------------------------------------
ctl gen dnsmasq --hook "$T/hook.sh" >"$T/dnsmasq.conf" 2>"$T/err"; rc=$?
t_is "$rc" 0 "gen dnsmasq: exit 0"
d=$T/dnsmasq.conf
for l in "port=0" "log-dhcp" "enable-tftp" "tftp-root=$T/tftp" "tftp-no-fail" \
	"dhcp-range=10.251.0.0,proxy,255.255.255.0" "dhcp-reply-delay=tag:rpi3,1" \
	'pxe-service=tag:rpi,0,"Raspberry Pi Boot"' \
	'pxe-service=tag:rpi3,0,"Raspberry Pi Boot   "' \
	"dhcp-mac=set:rpi3,b8:27:eb:*:*:*" \
	"dhcp-host=dc:a6:32:12:34:56,10.251.0.51,rpi-01" \
	"dhcp-host=b8:27:eb:00:00:02,10.251.0.52,rpi-02" \
	"dhcp-script=$T/hook.sh"; do
	t_ok "gen dnsmasq: line $l" has_line "$d" "$l"
done
t_is "$(grep -c '^pxe-service=' "$d")" 2 "gen dnsmasq: exactly two pxe-service lines"
t_is "$(grep '^dhcp-mac=set:rpi,' "$d")" "dhcp-mac=set:rpi,dc:a6:32:*:*:*
dhcp-mac=set:rpi,e4:5f:01:*:*:*
dhcp-mac=set:rpi,28:cd:c1:*:*:*
dhcp-mac=set:rpi,d8:3a:dd:*:*:*
dhcp-mac=set:rpi,2c:cf:67:*:*:*
dhcp-mac=set:rpi,88:a2:9e:*:*:*
dhcp-mac=set:rpi,02:aa:bb:*:*:*
dhcp-mac=set:rpi,02:00:00:00:00:07" \
	"gen dnsmasq: Pi prefixes (built-in + ini) and the non-Pi node MAC tagged rpi"
t_is "$(grep -c '^dhcp-host=' "$d")" 2 "gen dnsmasq: dhcp-host only for nodes with mac and ip"
t_ok "gen dnsmasq: never tftp-no-blocksize" eval "! grep -v '^#' '$d' | grep -q 'tftp-no-blocksize'"
t_ok "gen dnsmasq: no tftp-unique-root" eval "! grep -q '^tftp-unique-root' '$d'"
if command -v dnsmasq >/dev/null; then
	t_ok "dnsmasq --test accepts the proxy config" dnsmasq --test --conf-file="$d"
else
	skip "no dnsmasq"
fi

# Full DHCP with a range.
{ server; echo "dhcp = full"; echo "dhcp_range = 10.251.0.100,10.251.0.200,12h"; nodes; } >"$T/full.ini"
"$NETBOOTCTL" -c "$T/full.ini" gen dnsmasq >"$T/full.conf"; rc=$?
t_is "$rc" 0 "gen dnsmasq (full): exit 0"
t_is "$(grep '^dhcp-range=' "$T/full.conf")" "dhcp-range=10.251.0.100,10.251.0.200,12h" \
	"gen dnsmasq (full): the configured range, no proxy"
t_ok "gen dnsmasq (full): no reply delay" eval "! grep -q '^dhcp-reply-delay' '$T/full.conf'"
t_is "$(grep '^dhcp-script=' "$T/full.conf")" "dhcp-script=/usr/local/share/netbootfs/dnsmasq-hook.sh" \
	"gen dnsmasq: default hook path"
if command -v dnsmasq >/dev/null; then
	t_ok "dnsmasq --test accepts the full-DHCP config" dnsmasq --test --conf-file="$T/full.conf"
else
	skip "no dnsmasq"
fi

# ---- exports --------------------------------------------------------------
ctl gen exports >"$T/exports.1" 2>"$T/err"; rc=$?
t_is "$rc" 0 "gen exports: exit 0"
t_is "$(grep -v '^#' "$T/exports.1")" \
"$T/nfs/rpi-01 10.251.0.51(rw,sync,no_subtree_check,no_root_squash,fsid=1)
$T/nfs/rpi-02 10.251.0.52(rw,sync,no_subtree_check,no_root_squash,fsid=2)
$T/nfs/rpi-03 10.251.0.0/24(rw,sync,no_subtree_check,no_root_squash,fsid=3)
$T/nfs/rpi-04 10.251.0.54(rw,sync,no_subtree_check,no_root_squash,fsid=4)" \
	"gen exports: one line per node, ip or clients, fsid"
ctl gen exports >"$T/exports.2"
t_file_sha_eq "$T/exports.1" "$T/exports.2" "gen exports: identical on a second run"

# A node added in front keeps everyone else's fsid.
{ server; echo "[node:rpi-00]"; echo "serial = 00000001"; nodes; } >"$T/front.ini"
"$NETBOOTCTL" -c "$T/front.ini" gen exports >"$T/exports.3"; rc=$?
t_is "$rc" 0 "gen exports after adding a node in front: exit 0"
fsids() { sed -n 's|^.*/nfs/\([^ ]*\) .*fsid=\([0-9]*\))$|\1 \2|p' "$1"; }
t_is "$(fsids "$T/exports.3")" "rpi-00 5
rpi-01 1
rpi-02 2
rpi-03 3
rpi-04 4" "gen exports: old fsids unchanged, the new node gets a new one"

# ---- ganesha --------------------------------------------------------------
"$NETBOOTCTL" -c "$T/front.ini" gen ganesha >"$T/ganesha.conf" 2>"$T/err"; rc=$?
t_is "$rc" 0 "gen ganesha: exit 0"
check=$(python3 - "$T/ganesha.conf" "$T" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
T = sys.argv[2]
bad = []
# Strip comments, then check braces balance and every statement ends in ';'.
body = re.sub(r"#[^\n]*", "", text)
depth = 0
for ch in body:
    depth += {"{": 1, "}": -1}.get(ch, 0)
    if depth < 0: bad.append("unbalanced }")
if depth: bad.append("unbalanced {")
for line in body.splitlines():
    s = line.strip()
    if s and not (s.endswith(";") or s.endswith("{") or s == "}"):
        bad.append("no ';': " + s)
exports = re.findall(r"EXPORT \{(.*?)\n\}", body, re.S)
want = {"rpi-00": (5, "10.251.0.0/24"), "rpi-01": (1, "10.251.0.51"),
        "rpi-02": (2, "10.251.0.52"), "rpi-03": (3, "10.251.0.0/24"),
        "rpi-04": (4, "10.251.0.54")}
if len(exports) != 5: bad.append("%d exports" % len(exports))
for e in exports:
    kv = dict(re.findall(r"^\s*(\w+) = (.*?);$", e, re.M))
    path = kv.get("Path", "").strip('"')
    node = path.rsplit("/", 1)[-1]
    if node not in want: bad.append("path " + path); continue
    slot, client = want[node]
    exp = {"Export_Id": str(slot), "Path": '"%s/nfs/%s"' % (T, node),
           "Pseudo": '"%s/nfs/%s"' % (T, node), "Filesystem_Id": "%d.%d" % (slot, slot),
           "Protocols": "3, 4", "Transports": "TCP", "SecType": "sys",
           "Squash": "No_Root_Squash", "Clients": client, "Name": "VFS"}
    for k, v in exp.items():
        if kv.get(k) != v: bad.append("%s %s=%r" % (node, k, kv.get(k)))
    if not re.search(r"CLIENT \{[^}]*Access_Type = RW;", e): bad.append(node + " client not RW")
if not re.search(r"NFS_CORE_PARAM \{[^}]*Protocols = 3, 4;", body): bad.append("core protocols")
# No dirent cache: names under a node root change at its boot (t3090).
if len(re.findall(r"^MDCACHE \{[^}]*^\s*Dir_Chunk = 0;$", body, re.M)) != 1:
    bad.append("MDCACHE Dir_Chunk = 0")
print("; ".join(bad) or "ok")
PY
)
t_is "$check" "ok" "gen ganesha: one VFS export per node, ids = exports fsids"

# ---- systemd --------------------------------------------------------------
ctl gen systemd >"$T/systemd.out" 2>"$T/err"; rc=$?
t_is "$rc" 0 "gen systemd: exit 0"
t_is "$(grep '^# ==> ' "$T/systemd.out")" "# ==> /etc/systemd/system/netbootfs.service <==
# ==> /etc/systemd/system/dnsmasq.service.d/netbootfs.conf <==
# ==> /etc/systemd/system/nfs-server.service.d/netbootfs.conf <==
# ==> /etc/systemd/system/nfs-ganesha.service.d/netbootfs.conf <==" "gen systemd: the four files"
mkdir -p "$T/units"
ctl gen systemd --dir "$T/units"; rc=$?
t_is "$rc" 0 "gen systemd --dir: exit 0"
u=$T/units/netbootfs.service
for l in "Before=dnsmasq.service nfs-server.service nfs-ganesha.service" \
	"ExecStart=/usr/local/sbin/netbootfs -f -c $T/g.ini" \
	"ExecReload=/bin/kill -HUP \$MAINPID" "Restart=on-failure" "Type=notify" \
	"NotifyAccess=main" "WatchdogSec=30s" "WantedBy=multi-user.target"; do
	t_ok "netbootfs.service: $l" has_line "$u" "$l"
done
t_like "$(grep '^ExecStartPost=' "$u")" "^ExecStartPost=-/bin/sh -c .*is-active nfs-server.service.*exportfs -ra'\$" \
	"netbootfs.service: re-exports to a running kernel NFS server after a (re)start, never fails"
for s in dnsmasq nfs-server nfs-ganesha; do
	f=$T/units/$s.service.d/netbootfs.conf
	t_ok "$s drop-in wants netbootfs" has_line "$f" "Wants=netbootfs.service"
	t_ok "$s drop-in orders after netbootfs" has_line "$f" "After=netbootfs.service"
	t_is "$(grep -c -e '^Requires=' -e '^BindsTo=' "$f")" 0 \
		"$s drop-in: a failing netbootfs never stops $s"
done
t_ok "Ganesha restarts with netbootfs (its exports hold the old mounts)" \
	has_line "$T/units/nfs-ganesha.service.d/netbootfs.conf" "PartOf=netbootfs.service"
t_ok "dnsmasq comes back when it dies (2.90 can abort on the SIGHUP of apply)" \
	has_line "$T/units/dnsmasq.service.d/netbootfs.conf" "Restart=on-failure"
t_ok "dnsmasq drop-in passes the config to the hook" \
	has_line "$T/units/dnsmasq.service.d/netbootfs.conf" "Environment=\"NETBOOTFS_CONFIG=$T/g.ini\""
if command -v systemd-analyze >/dev/null; then
	# Only the binaries and man pages, not installed here, may be missing.
	systemd-analyze verify "$u" >"$T/verify" 2>&1
	t_is "$(grep -v -e 'is not executable' -e 'No such file' -e "Command 'man netboot" -e '^$' "$T/verify")" "" \
		"systemd-analyze verify: no complaint but the uninstalled binaries"
else
	skip "no systemd-analyze"
fi

# ---- usage ----------------------------------------------------------------
for args in "gen" "gen frob" "gen exports --hook x" "gen dnsmasq extra" "gen systemd --dir"; do
	# shellcheck disable=SC2086
	ctl $args >"$T/out" 2>"$T/err"; rc=$?
	t_is "$rc" 2 "netbootctl $args: exit 2"
done
ctl gen --help >"$T/out"; rc=$?
t_is "$rc" 0 "gen --help: exit 0"

# Nobody may mount a node without ip when there are no clients.
{ echo "[server]"; echo "state = $T/state2"; echo "nfs_root = $T/nfs"; nodes; } >"$T/noclients.ini"
mkdir -p "$T/state2"
"$NETBOOTCTL" -c "$T/noclients.ini" gen exports >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "gen exports with a node nobody may mount: exit 1"
t_like "$(cat "$T/err")" "noclients.ini:[0-9]+: node rpi-03: no ip and no \[server\] clients" \
	"... names the node and its line"

done_testing
