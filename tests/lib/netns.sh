# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# netns.sh: network namespaces for tests (source after test-lib.sh).
#
# Namespaces are named by a short test-local NAME ("srv", "pi1"); the real
# netns is "nbt<PID>-NAME", so parallel tests never meet. Every namespace is
# deleted on exit (veths go with it). Addresses come from $NB_NET.0/24, and
# only ever live inside namespaces the test created.
#
#   ns_create srv; ns_create pi1; ns_create pi2
#   ns_link srv pi1 "$NB_SERVER_IP/24" dc:a6:32:00:00:01            # DHCP later
#   ns_link srv pi2 "$NB_SERVER_IP/24" dc:a6:32:00:00:02 "$NB_NET.52/24"
#   ns_exec pi2 ping -c1 "$NB_SERVER_IP"
#
#   ns_create NAME                   create netns, lo up, deleted on exit
#   ns_name NAME                     print the real netns name
#   ns_link SRV CLIENT SRV_IP/24 CLIENT_MAC [CLIENT_IP/24]
#                                    server side: bridge br0 holding SRV_IP
#                                    (made on the first link), one veth port
#                                    per client; client side: eth0 with
#                                    CLIENT_MAC, up, static address if given
#   ns_exec NAME CMD...              run CMD inside the namespace
#
# Any number of clients can hang off one server bridge (64 is fine).

NB_NET=${NB_NET:-10.251.0}
NB_SERVER_IP=$NB_NET.1

_ns_ports=0 # veth ports made so far, names the server-side ends

ns_name()
{
	echo "nbt$$-$1"
}

ns_create()
{
	local ns
	ns=$(ns_name "$1")
	ip netns add "$ns" || return 1
	at_exit "ip netns del '$ns'"
	ip -n "$ns" link set lo up
}

ns_exec()
{
	local ns
	ns=$(ns_name "$1")
	shift
	ip netns exec "$ns" "$@"
}

ns_link()
{
	local srv cli port
	srv=$(ns_name "$1")
	cli=$(ns_name "$2")
	if ! ip -n "$srv" link show br0 >/dev/null 2>&1; then
		ip -n "$srv" link add br0 type bridge stp_state 0 forward_delay 0 &&
			ip -n "$srv" addr add "$3" dev br0 &&
			ip -n "$srv" link set br0 up || return 1
	fi
	_ns_ports=$((_ns_ports + 1))
	port=vp$_ns_ports
	# Made directly inside the namespaces: nothing ever appears on the host.
	ip -n "$srv" link add "$port" type veth peer name eth0 netns "$cli" &&
		ip -n "$cli" link set eth0 address "$4" &&
		ip -n "$srv" link set "$port" master br0 &&
		ip -n "$srv" link set "$port" up &&
		ip -n "$cli" link set eth0 up || return 1
	if [ $# -ge 5 ]; then
		ip -n "$cli" addr add "$5" dev eth0 || return 1
	fi
}
