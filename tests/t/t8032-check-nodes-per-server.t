#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl check refuses a configuration that gives one daemon more node
# roots than it can mount: every root is a FUSE session, and libfuse takes
# one of glibc's 1,024 thread-specific keys per session, so a daemon given
# 1,031 nodes fails to start ("failed to create thread specific key";
# bench/scaleout.sh found it). 1,000 is the limit check enforces: per
# server of several (its own nodes, pinned or spread), or for the one
# server; a PXE-role daemon mounts no roots and has none.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd mksquashfs
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/tree/boot/firmware" "$T/images" "$T/state" "$T/overlays" "$T/tftp" "$T/nfs"
echo firmware >"$T/tree/boot/firmware/start4.elf"
fixture_squash "$T/tree" "$T/images/os.sqfs"

# conf FILE NODES SERVERS [ROLE]: NODES nodes; with SERVERS > 0 that many
# [server:sN] and nodes 0..999 pinned to s1, the rest spread.
conf()
{
	local f=$1 nodes=$2 servers=$3 role=${4:-both} i s
	{
		printf '[server]\ntftp_root = %s\nnfs_root = %s\nimages = %s\n' "$T/tftp" "$T/nfs" "$T/images"
		printf 'overlays = %s\nstate = %s\nclients = 10.251.0.0/24\nrole = %s\n' \
			"$T/overlays" "$T/state" "$role"
		[ "$servers" -gt 0 ] || printf 'address = 10.251.0.1\n'
		for ((s = 1; s <= servers; s++)); do
			printf '[server:s%d]\naddress = 10.251.0.%d\n' "$s" "$s"
		done
		printf '[defaults]\nimage = os\n'
		for ((i = 0; i < nodes; i++)); do
			printf '[node:n%d]\nserial = %08x\nmac = dc:a6:35:%02x:%02x:%02x\n' "$i" \
				$((0x5d000000 + i)) $(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255))
			[ "$servers" -eq 0 ] || [ "$i" -ge 1000 ] || printf 'server = s1\n'
		done
	} >"$T/$f"
}

conf one-1000.ini 1000 0
t_ok "one server, 1,000 nodes: check passes" "$NETBOOTCTL" -c "$T/one-1000.ini" check

conf one-1001.ini 1001 0
out=$("$NETBOOTCTL" -c "$T/one-1001.ini" check 2>&1)
t_is "$?" 1 "one server, 1,001 nodes: check fails"
t_like "$out" "one-1001.ini: this server is given 1001 nodes: a daemon mounts at most 1000 roots \(one FUSE session each, and libfuse takes one of glibc's 1,024 thread keys per session\); give nodes to other servers" \
	"it says why, and what to do"

conf pxe-1001.ini 1001 0 pxe
out=$("$NETBOOTCTL" -c "$T/pxe-1001.ini" check 2>&1)
t_is "$(grep -c 'a daemon mounts at most' <<<"$out")" 0 "role pxe, 1,001 nodes: no limit (it mounts no roots)"

# Three servers: 1,000 pinned to s1 and 50 spread over the three; s1 ends
# with more than 1,000 when the spread gives it any.
conf three.ini 1050 3
"$NETBOOTCTL" -c "$T/three.ini" nodes --json >"$T/nodes.json" 2>/dev/null
s1=$(grep -o '"server": *"s1"' "$T/nodes.json" | wc -l)
t_ok "the spread gives s1 some of the 50 ($s1 nodes in all)" test "$s1" -gt 1000
out=$("$NETBOOTCTL" -c "$T/three.ini" check 2>&1)
t_like "$out" "three.ini: server s1 is given $s1 nodes: a daemon mounts at most 1000 roots" \
	"three servers: s1's $s1 nodes are refused, by name"
t_is "$(grep -c 'a daemon mounts at most' <<<"$out")" 1 "and only s1 is named"
done_testing
