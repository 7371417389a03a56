#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl dhcp-event (the dnsmasq hook) and netbootctl discovered.
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd python3
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state"
cat >"$T/d.ini" <<INI
[server]
state = $T/state
[defaults]
image = raspios-arm64
[node:rpi-01]
mac = dc:a6:32:12:34:56
INI
ctl() { "$NETBOOTCTL" -c "$T/d.ini" "$@"; }
PI_VENDOR='PXEClient:Arch:00000:UNDI:002001'

out=$(ctl discovered 2>"$T/err"); rc=$?
t_is "$rc" 0 "discovered, nothing yet: exit 0"
t_is "$out" "ID  VIA  FIRST-SEEN  LAST-SEEN  COUNT  IP  VENDOR  HOSTNAME" "discovered: header only"
t_is "$(ctl discovered --json | python3 -c 'import json,sys; print(json.load(sys.stdin))')" "[]" \
	"discovered --json: empty array"

before=$(date -u +%s)
DNSMASQ_VENDOR_CLASS=$PI_VENDOR ctl dhcp-event add DC:A6:32:AA:BB:CC 10.251.0.77 pi-x; rc=$?
t_is "$rc" 0 "dhcp-event add: exit 0"
DNSMASQ_VENDOR_CLASS=$PI_VENDOR ctl dhcp-event old dc:a6:32:aa:bb:cc 10.251.0.78 pi-x
# Mapped node, a laptop, deletions and other actions: not recorded.
DNSMASQ_VENDOR_CLASS=$PI_VENDOR ctl dhcp-event add dc:a6:32:12:34:56 10.251.0.51 rpi-01
t_is "$?" 0 "dhcp-event for a configured node: exit 0"
DNSMASQ_VENDOR_CLASS=MSFT\ 5.0 ctl dhcp-event add 00:11:22:33:44:55 10.251.0.90 laptop
t_is "$?" 0 "dhcp-event for a laptop: exit 0"
ctl dhcp-event del 00:11:22:33:44:66 10.251.0.91
ctl dhcp-event tftp 1234 10.251.0.92 /srv/tftpboot/x
t_is "$?" 0 "dhcp-event tftp: ignored, exit 0"
ctl dhcp-event init
t_is "$?" 0 "dhcp-event init: ignored, exit 0"
# A Pi MAC prefix without a vendor class (some Pi 4 firmware omits it).
env -u DNSMASQ_VENDOR_CLASS "$NETBOOTCTL" -c "$T/d.ini" dhcp-event add e4:5f:01:00:00:09 10.251.0.79
after=$(date -u +%s)

ctl discovered --json >"$T/d.json" 2>"$T/err"; rc=$?
t_is "$rc" 0 "discovered --json: exit 0"
check=$(python3 - "$T/d.json" "$before" "$after" "$PI_VENDOR" <<'PY'
import json, sys, datetime
v = json.load(open(sys.argv[1]))
lo, hi, vendor = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
bad = []
by = {d["id"]: d for d in v}
if sorted(by) != ["dc-a6-32-aa-bb-cc", "e4-5f-01-00-00-09"]:
    print("ids %r" % sorted(by)); sys.exit()
def ts(s):
    return int(datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp())
a = by["dc-a6-32-aa-bb-cc"]
exp = {"via": "dhcp", "count": 2, "ip": "10.251.0.78", "vendor": vendor, "hostname": "pi-x"}
for k, val in exp.items():
    if a.get(k) != val: bad.append("%s=%r" % (k, a.get(k)))
for k in ("first_seen", "last_seen"):
    if not lo <= ts(a[k]) <= hi: bad.append("%s=%s" % (k, a[k]))
if ts(a["first_seen"]) > ts(a["last_seen"]): bad.append("first after last")
b = by["e4-5f-01-00-00-09"]
exp = {"via": "dhcp", "count": 1, "ip": "10.251.0.79", "vendor": None, "hostname": None}
for k, val in exp.items():
    if b.get(k) != val: bad.append("e4 %s=%r" % (k, b.get(k)))
if set(a) != {"id", "via", "first_seen", "last_seen", "count", "ip", "vendor", "hostname"}:
    bad.append("keys %r" % sorted(a))
print("; ".join(bad) or "ok")
PY
)
t_is "$check" "ok" "discovered --json: the two unmapped PXE/Pi clients, field by field"

out=$(ctl discovered)
t_is "$(head -n1 <<<"$out" | tr -s ' ')" "ID VIA FIRST-SEEN LAST-SEEN COUNT IP VENDOR HOSTNAME" "discovered: header"
row=$(grep '^dc-a6-32-aa-bb-cc ' <<<"$out" | tr -s ' ')
t_like "$row" "^dc-a6-32-aa-bb-cc dhcp [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z [0-9-]{10}T[0-9:]{8}Z 2 10\.251\.0\.78 $PI_VENDOR pi-x\$" \
	"discovered: table row with UTC times"
t_like "$(grep '^e4-5f-01-00-00-09 ' <<<"$out" | tr -s ' ')" " 1 10\.251\.0\.79 - -\$" \
	"discovered: missing vendor and hostname shown as -"

# The hook script as dnsmasq runs it.
NETBOOTFS_CONFIG=$T/d.ini PATH=$NB_BUILD:$PATH DNSMASQ_VENDOR_CLASS=$PI_VENDOR \
	sh "$SRCDIR/conf/dnsmasq-hook.sh" add 2c:cf:67:01:02:03 10.251.0.80 pi5; rc=$?
t_is "$rc" 0 "dnsmasq-hook.sh: exit 0"
t_is "$(ctl discovered --json | python3 -c 'import json,sys; print([(d["ip"], d["hostname"]) for d in json.load(sys.stdin) if d["id"] == "2c-cf-67-01-02-03"])')" \
	"[('10.251.0.80', 'pi5')]" "dnsmasq-hook.sh: recorded through netbootctl"

ctl dhcp-event >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "dhcp-event without arguments: exit 2"
ctl dhcp-event add dc:a6:32:00:00:01 >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "dhcp-event add without IP: exit 2"
ctl discovered extra >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "discovered extra: exit 2"

done_testing
