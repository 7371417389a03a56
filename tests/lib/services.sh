# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# services.sh: network services and clients inside test namespaces (source
# after test-lib.sh and netns.sh). Every daemon is stopped by PID on exit;
# its files live in $T: $T/<svc>-<ns>.log (daemon log) and friends.
#
#   svc_dnsmasq NS CONF [ARG...]   dnsmasq in the foreground with CONF, a lease
#                                  file, pid file and log in $T; adds
#                                  --user=root unless CONF sets user= (dnsmasq
#                                  as root serves only world-readable files).
#                                  Returns once it listens. $SVC_PID = its PID.
#   svc_ganesha NS CONF            rpcbind + ganesha.nfsd -F in NS, inside a
#                                  private mount namespace with its own tmpfs
#                                  on /run (so rpcbind's socket never clashes
#                                  with the host's). Returns once NFS (2049)
#                                  and MOUNT (for v3) are registered.
#                                  Ganesha's CRIT lines about dbus/Kerberos
#                                  are harmless. $SVC_PID = ganesha's PID.
#   t_svc_ganesha NS CONF DESC     svc_ganesha as a test step: ok DESC, or not
#                                  ok DESC and the end of the test (nothing
#                                  after it can run without the server).
#   ganesha_diag NS                the last 20 lines of that Ganesha's log as
#                                  TAP diagnostics (for a failed test)
#   svc_ganesha_stop NS            stop that ganesha.nfsd and its rpcbind (by
#                                  PID), so that svc_ganesha can start them
#                                  again (a server restart, as NFS clients
#                                  see one).
#   ganesha_vfs_conf OUT DIR [PSEUDO]
#                                  write a minimal Ganesha config exporting DIR
#                                  through FSAL_VFS (rw, no root squash, v3+v4,
#                                  graceless, state in $T) at PSEUDO
#                                  (default /export).
#   svc_dhcp_client NS MAC [VENDORCLASS]
#                                  busybox udhcpc on NS's interface with MAC,
#                                  vendor class default "PXEClient:Arch:00000:
#                                  UNDI:002001" (a Pi), asks for option 43.
#                                  On a lease it sets the address, stores
#                                  udhcpc's variables in $T/dhcp-NS.env and
#                                  returns 0.
#   dhcp_var NS VAR                a variable of that lease (ip, subnet,
#                                  siaddr, opt43 ...)
#   dhcp_opt_text NS OPTNUM        a hex option (e.g. 43) as text, with
#                                  non-printable bytes turned into '.'
#   svc_tftp_get NS SERVER REMOTE LOCAL [BLKSIZE]
#                                  busybox tftp -g, blksize default 1468
#   nfs_url SERVER PATH VERSION    nfs://SERVER/PATH?version=3|4 for the
#                                  libnfs tools (nfs-ls, nfs-cat, nfs-cp).
#
# Ports used in a namespace: 67 (DHCP), 69 (TFTP), 111 (rpcbind), 2049 (NFS)
# and Ganesha's MOUNT port.

NB_PI_VENDOR='PXEClient:Arch:00000:UNDI:002001'
SVC_PID=

# A daemon that died at start: show its output and fail.
_svc_died()
{
	diag "$1 exited during start-up; its output:"
	shift
	local f
	for f in "$@"; do
		[ -f "$f" ] && tail -n 20 "$f" | _t_diag_stream
	done
	return 1
}

_svc_udp_listens()
{
	ns_exec "$1" ss -Hlnup | grep -q "pid=$2,"
}

svc_dnsmasq()
{
	local ns=$1 conf=$2 base pid user=()
	shift 2
	base=$T/dnsmasq-$ns
	grep -q '^[[:space:]]*user=' "$conf" || user=(--user=root)
	# ip netns exec gives the daemon a copy of the mounts that may miss
	# later ones (a restarted netbootfs's new tftp_root mount):
	# SVC_HOST_MOUNTS=1 enters the network namespace only.
	local enter=(ip netns exec "$(ns_name "$ns")")
	[ -z "${SVC_HOST_MOUNTS:-}" ] || enter=(nsenter --net="/run/netns/$(ns_name "$ns")")
	# Not ns_exec: a backgrounded function would be a subshell, and $! must
	# be the daemon itself (ip netns exec, nsenter and unshare exec, never fork).
	"${enter[@]}" dnsmasq --keep-in-foreground --conf-file="$conf" \
		--pid-file="$base.pid" --log-facility="$base.log" \
		--dhcp-leasefile="$base.leases" "${user[@]}" "$@" \
		>"$base.out" 2>&1 &
	pid=$!
	at_exit "stop_pid $pid"
	SVC_PID=$pid
	wait_for "! kill -0 $pid || _svc_udp_listens $ns $pid" 10
	kill -0 "$pid" 2>/dev/null || _svc_died dnsmasq "$base.out" "$base.log" || return 1
	_svc_udp_listens "$ns" "$pid" || {
		diag "dnsmasq does not listen after 10 s"
		return 1
	}
}

ganesha_vfs_conf()
{
	local out=$1 dir=$2 pseudo=${3:-/export}
	mkdir -p "$T/ganesha-state"
	cat >"$out" <<EOF
NFS_CORE_PARAM {
	Protocols = 3, 4;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Mount_Path_Pseudo = true;	# v3 MOUNT takes the same path as v4
	Plugins_Dir = "/usr/lib/x86_64-linux-gnu/ganesha";
}
NFSV4 {
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = "$T/ganesha-state";
}
LOG {
	Default_Log_Level = EVENT;
}
EXPORT {
	Export_Id = 1;
	Path = "$dir";
	Pseudo = "$pseudo";
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	Protocols = 3, 4;
	Transports = TCP;
	FSAL {
		Name = VFS;
	}
}
EOF
	local plugins
	plugins=$(dirname "$(dpkg -L nfs-ganesha-vfs 2>/dev/null | grep 'libfsalvfs.so$' | head -n1)")
	if [ -n "$plugins" ] && [ "$plugins" != . ]; then
		sed -i "s|Plugins_Dir = .*|Plugins_Dir = \"$plugins\";|" "$out"
	fi
}

# Append to a generated Ganesha config what only a test run wants: NFSv4
# recovery state in $T and no grace period.
ganesha_test_state()
{
	mkdir -p "$T/recovery"
	cat >>"$1" <<-CONF
	NFSV4 {
		Graceless = true;
		RecoveryBackend = fs;
		RecoveryRoot = "$T/recovery";
	}
	CONF
}

_svc_ganesha_ready()
{
	ns_exec "$1" ss -Hltn 'sport = :2049' | grep -q LISTEN &&
		ns_exec "$1" rpcinfo -p 127.0.0.1 2>/dev/null | grep -q mountd
}

svc_ganesha()
{
	local ns=$1 conf=$2 dir sup
	dir=$T/ganesha-$ns
	mkdir -p "$dir"
	rm -f "$dir/rpcbind.pid" "$dir/ganesha.pid"
	# A small supervisor shell in a private mount namespace (unshare without
	# --fork execs it) owns both daemons, so both stay our descendants and
	# are reaped. Daemons are stopped by PID: ganesha, rpcbind, supervisor.
	ip netns exec "$(ns_name "$ns")" unshare -m --propagation slave sh -c '
		mount -t tmpfs -o mode=0755 nbt-run /run || exit 1
		mkdir -p /run/rpcbind
		rpcbind -f &
		echo $! >"$1/rpcbind.pid.tmp" && mv "$1/rpcbind.pid.tmp" "$1/rpcbind.pid"
		i=0
		while [ ! -S /run/rpcbind.sock ] && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		ganesha.nfsd -F -f "$2" -L "$1/ganesha.log" -p "$1/ganesha.nfsd.pid" &
		echo $! >"$1/ganesha.pid.tmp" && mv "$1/ganesha.pid.tmp" "$1/ganesha.pid"
		wait
	' sh "$dir" "$conf" >"$dir/out" 2>&1 &
	sup=$!
	echo "$sup" >"$dir/supervisor.pid"
	at_exit "stop_pid $sup"
	wait_for "[ -s '$dir/ganesha.pid' ] || ! kill -0 $sup" 10
	[ -s "$dir/rpcbind.pid" ] && at_exit "stop_pid $(cat "$dir/rpcbind.pid")"
	[ -s "$dir/ganesha.pid" ] || _svc_died "ganesha supervisor" "$dir/out" || return 1
	SVC_PID=$(cat "$dir/ganesha.pid")
	at_exit "stop_pid $SVC_PID 15"
	wait_for "! kill -0 $SVC_PID || _svc_ganesha_ready $ns" 30
	kill -0 "$SVC_PID" 2>/dev/null ||
		_svc_died ganesha "$dir/out" "$dir/ganesha.log" || return 1
	_svc_ganesha_ready "$ns" || {
		diag "ganesha not ready after 30 s"
		tail -n 20 "$dir/ganesha.log" | _t_diag_stream
		return 1
	}
}

t_svc_ganesha()
{
	if ! svc_ganesha "$1" "$2"; then
		ok 1 "$3"
		done_testing
		exit 1
	fi
	ok 0 "$3"
}

ganesha_diag()
{
	diag "ganesha log (last 20):"
	tail -n 20 "$T/ganesha-$1/ganesha.log" | _t_diag_stream
}

svc_ganesha_stop()
{
	local dir=$T/ganesha-$1 f
	for f in ganesha rpcbind; do
		[ -s "$dir/$f.pid" ] && stop_pid "$(cat "$dir/$f.pid")" 15
	done
	# Both are the supervisor's children: it exits once they are gone, and
	# its mount namespace (with copies of the host's mounts) goes with it.
	wait "$(cat "$dir/supervisor.pid")" 2>/dev/null
	wait_for "! ns_exec $1 ss -Hltn 'sport = :2049' | grep -q LISTEN" 10
}

nfs_url()
{
	echo "nfs://$1/${2#/}?version=$3"
}

# The udhcpc event script: keep the variables of a lease, set the address.
_svc_write_udhcpc_script()
{
	cat >"$1" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip addr flush dev "$interface"
	;;
bound | renew)
	env | grep -E '^[a-z][a-z0-9_]*=' | sort >"$NBT_DHCP_ENV.tmp" && mv "$NBT_DHCP_ENV.tmp" "$NBT_DHCP_ENV"
	ip addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	;;
esac
exit 0
EOF
	chmod 0755 "$1"
}

svc_dhcp_client()
{
	local ns=$1 mac=$2 vendor=${3:-$NB_PI_VENDOR} ifname script
	ifname=$(ns_exec "$ns" ip -o link show | awk -v m="$mac" \
		'tolower($0) ~ "link/ether " tolower(m) { sub(":", "", $2); sub("@.*", "", $2); print $2; exit }')
	[ -n "$ifname" ] || {
		diag "no interface with MAC $mac in $ns"
		return 1
	}
	script=$T/udhcpc.script
	[ -x "$script" ] || _svc_write_udhcpc_script "$script"
	rm -f "$T/dhcp-$ns.env"
	NBT_DHCP_ENV=$T/dhcp-$ns.env ns_exec "$ns" busybox udhcpc -f -q -n \
		-t 5 -T 1 -i "$ifname" -V "$vendor" -x 0x5d:0000 -O 43 -s "$script" \
		>"$T/udhcpc-$ns.out" 2>&1 || {
		diag "udhcpc in $ns got no lease:"
		tail -n 20 "$T/udhcpc-$ns.out" | _t_diag_stream
		return 1
	}
	[ -s "$T/dhcp-$ns.env" ]
}

dhcp_var()
{
	sed -n "s/^$2=//p" "$T/dhcp-$1.env" 2>/dev/null
}

dhcp_opt_text()
{
	dhcp_var "$1" "opt$2" | perl -ne 'chomp; my $s = pack("H*", $_); $s =~ s/[^\x20-\x7e]/./g; print "$s\n"'
}

svc_tftp_get()
{
	local ns=$1 server=$2 remote=$3 local_file=$4 blksize=${5:-1468}
	ns_exec "$ns" busybox tftp -g -b "$blksize" -r "$remote" -l "$local_file" "$server"
}
