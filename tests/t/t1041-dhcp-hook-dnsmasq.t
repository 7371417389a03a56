#!/bin/bash
# SPDX-License-Identifier: MIT
# `netbootctl gen dnsmasq` (full DHCP) with the dhcp-script hook, run by a
# real dnsmasq in a network namespace: Pis get the boot menu (with three
# trailing spaces for a Pi 3 MAC), nodes their fixed address, and unmapped
# PXE clients show up in `netbootctl discovered` with MAC and IP.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd dnsmasq busybox ip python3 perl
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/tftp"
cat >"$T/d.ini" <<INI
[server]
tftp_root = $T/tftp
state = $T/state
address = $NB_SERVER_IP
dhcp = full
dhcp_range = $NB_NET.100,$NB_NET.150,12h
[defaults]
image = raspios-arm64
[node:rpi-01]
mac = dc:a6:32:12:34:56
ip = $NB_NET.51
INI
"$NETBOOTCTL" -c "$T/d.ini" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" >"$T/dnsmasq.conf"
t_is "$?" 0 "gen dnsmasq: exit 0"

ns_create srv
ns_create pi1
ns_create pi2
ns_create pi3
ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:41
ns_link srv pi2 "$NB_SERVER_IP/24" dc:a6:32:12:34:56
ns_link srv pi3 "$NB_SERVER_IP/24" b8:27:eb:00:00:03
# dnsmasq passes its environment on to the hook.
export NETBOOTFS_CONFIG=$T/d.ini PATH=$NB_BUILD:$PATH
svc_dnsmasq srv "$T/dnsmasq.conf" || skip_all "dnsmasq did not start"

t_ok "unmapped Pi 4 gets a lease" svc_dhcp_client pi1 dc:a6:32:00:00:41
ip1=$(dhcp_var pi1 ip)
t_like "$ip1" "^$NB_NET\.1[0-4][0-9]\$" "... from the range"
t_like "$(dhcp_opt_text pi1 43)" "Raspberry Pi Boot" "... and the Pi boot menu in option 43"
t_ok "node rpi-01 gets a lease" svc_dhcp_client pi2 dc:a6:32:12:34:56
t_is "$(dhcp_var pi2 ip)" "$NB_NET.51" "... its fixed address (dhcp-host)"
t_ok "Pi 3 gets a lease" svc_dhcp_client pi3 b8:27:eb:00:00:03
t_like "$(dhcp_opt_text pi3 43)" "Raspberry Pi Boot   " "... with three trailing spaces in the menu"
t_is "$(dhcp_opt_text pi1 43 | grep -c 'Raspberry Pi Boot   ')" 0 "the Pi 4 menu has no trailing spaces"

# The hook runs asynchronously after the lease.
ids() { "$NETBOOTCTL" -c "$T/d.ini" discovered --json | python3 -c 'import json,sys; print(" ".join(sorted(d["id"] for d in json.load(sys.stdin))))'; }
wait_for '[ "$(ids)" = "b8-27-eb-00-00-03 dc-a6-32-00-00-41" ]' 10
t_is "$(ids)" "b8-27-eb-00-00-03 dc-a6-32-00-00-41" "discovered: the two unmapped Pis, not the node"
t_is "$("$NETBOOTCTL" -c "$T/d.ini" discovered --json | python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(sys.stdin)}["dc-a6-32-00-00-41"]
print(d["via"], d["ip"], d["vendor"])')" "dhcp $ip1 $NB_PI_VENDOR" "discovered: MAC with its IP and vendor class"

done_testing
