#!/bin/sh
# SPDX-License-Identifier: MIT
# dnsmasq dhcp-script: record unmapped PXE clients for `netbootctl discovered`.
PATH=$PATH:/usr/local/sbin:/usr/sbin:/sbin
exec netbootctl -c "${NETBOOTFS_CONFIG:-/etc/netbootfs/netbootfs.ini}" dhcp-event "$@"
