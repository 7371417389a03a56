#!/bin/bash
# SPDX-License-Identifier: MIT
# Network infrastructure against a plain directory: dnsmasq (full DHCP,
# Raspberry Pi PXE service, TFTP) in a server namespace; two client
# namespaces on its bridge get leases with option 43 "Raspberry Pi Boot" as
# a Pi would, and fetch files over TFTP with the exact bytes.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_cmd ip dnsmasq busybox ss perl

plan 21

fixture_boot_tree "$T/tftp" t0003
fw=$T/tftp/boot/firmware

t_ok "create server namespace" ns_create srv
t_ok "create client namespace pi1" ns_create pi1
t_ok "create client namespace pi2" ns_create pi2
t_ok "link pi1 to the server bridge" ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:01
t_ok "link pi2 to the server bridge" ns_link srv pi2 "$NB_SERVER_IP/24" dc:a6:32:00:00:02
t_is "$(ns_exec pi1 cat /sys/class/net/eth0/address)" dc:a6:32:00:00:01 "pi1 eth0 has its MAC"

cat >"$T/dnsmasq.conf" <<EOF
port=0
interface=br0
bind-interfaces
dhcp-range=$NB_NET.100,$NB_NET.199,12h
log-dhcp
enable-tftp
tftp-root=$T/tftp
pxe-service=0,"Raspberry Pi Boot"
EOF
t_ok "dnsmasq starts in the server namespace" svc_dnsmasq srv "$T/dnsmasq.conf"

t_ok "pi1 gets a lease" svc_dhcp_client pi1 dc:a6:32:00:00:01
t_like "$(dhcp_var pi1 ip)" "^$NB_NET\.1[0-9][0-9]$" "pi1 address is from the range"
t_like "$(dhcp_opt_text pi1 43)" "Raspberry Pi Boot" "option 43 carries 'Raspberry Pi Boot'"
t_is "$(dhcp_var pi1 siaddr)" "$NB_SERVER_IP" "next server is the server"
t_like "$(ns_exec pi1 ip -4 -o addr show dev eth0)" "inet $(dhcp_var pi1 ip)/24" \
	"the lease address is configured on pi1"

t_ok "pi2 gets a lease (Pi vendor class)" svc_dhcp_client pi2 dc:a6:32:00:00:02
t_like "$(grep "vendor class: $NB_PI_VENDOR" "$T/dnsmasq-srv.log")" "vendor class" \
	"dnsmasq saw the Pi vendor class"

t_ok "pi1 fetches the 30 MiB kernel over TFTP" \
	svc_tftp_get pi1 "$NB_SERVER_IP" boot/firmware/kernel8.img "$T/kernel8.img"
t_file_sha_eq "$T/kernel8.img" "$fw/kernel8.img" "kernel8.img arrives byte for byte"
t_ok "pi2 fetches cmdline.txt with blksize 512" \
	svc_tftp_get pi2 "$NB_SERVER_IP" boot/firmware/cmdline.txt "$T/cmdline.txt" 512
t_is "$(cat "$T/cmdline.txt")" "$FIXTURE_CMDLINE" "cmdline.txt content over TFTP"
t_ok "pi2 fetches the empty file" \
	svc_tftp_get pi2 "$NB_SERVER_IP" boot/firmware/empty.bin "$T/empty.bin"
t_is "$(stat -c %s "$T/empty.bin")" 0 "empty file arrives empty"
t_fails "a missing file is an error" \
	svc_tftp_get pi2 "$NB_SERVER_IP" boot/firmware/no-such-file "$T/nothing"
