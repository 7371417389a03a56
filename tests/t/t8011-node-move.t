#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl node move of a running node takes effect at its next boot.
# Two daemons (-S alpha, -S beta) over one shared directory and one ini, a
# dnsmasq each. Node pi-m boots from alpha and writes through alpha's NFS.
# `node move pi-m beta` edits the ini; both daemons reload it. alpha keeps
# serving the running root (reads and writes byte-exact) until the node
# reboots; then alpha's regenerated dnsmasq ignores it, beta answers its
# DHCP and TFTP (cmdline.txt names beta), beta's Ganesha serves its root
# with every file written before the move (the overlay on the shared
# storage moved with it). The node's lease (an overlay has one writer)
# keeps beta from mounting the root while alpha has it: beta waits, naming
# alpha, until alpha unmounts its copy once the node is down and idle.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl python3 mksquashfs sha256sum jq \
	ganesha.nfsd rpcbind rpcinfo unshare nfs-ls nfs-cat nfs-cp
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

# Every mount under DIR, deepest first.
umount_under()
{
	local m
	_t_mounts | awk -v p="$1/" 'index($1, p) == 1 { print $1 }' | sort -r |
		while read -r m; do
			lazy_umount "$m"
		done
}

A_IP=$NB_NET.1
B_IP=$NB_NET.2
n=pi-m serial=5a00d004 mac=dc:a6:32:82:00:04 ip=$NB_NET.54
declare -A ADDR=([alpha]=$A_IP [beta]=$B_IP)
declare -A DIR

nb_layout
SHARED=$NB
fixture_boot_tree "$T/os-a" e2e-a
nb_image os-a "$T/os-a"
for s in alpha beta; do
	DIR[$s]=$T/$s
	mkdir -p "$T/$s/tftp" "$T/$s/nfs" && cp "$(command -v cat)" "$T/$s/tftpd"
done
CONF=$T/netbootfs.ini
# boot_gap 2: the node is idle 4 s after its last request.
cat >"$CONF" <<-INI
	[server]
	images = $SHARED/images
	overlays = $SHARED/overlays
	state = $SHARED/state
	templates = $SHARED/templates
	loaders = $SHARED/loaders
	dhcp = full
	interface = eth0
	clients = $NB_NET.0/24
	boot_gap = 2
	lease_retry = 1

	[server:alpha]
	address = $A_IP
	tftp_root = $T/alpha/tftp
	nfs_root = $T/alpha/nfs
	control = $T/alpha/netbootfs.sock
	tftp_server = /usr/sbin/dnsmasq, $T/alpha/tftpd
	dhcp_range = $NB_NET.100,$NB_NET.124,12h

	[server:beta]
	address = $B_IP
	tftp_root = $T/beta/tftp
	nfs_root = $T/beta/nfs
	control = $T/beta/netbootfs.sock
	tftp_server = /usr/sbin/dnsmasq, $T/beta/tftpd
	dhcp_range = $NB_NET.125,$NB_NET.150,12h

	[defaults]
	image = os-a

	[node:$n]
	serial = $serial
	mac = $mac
	ip = $ip
	server = alpha
INI

declare -A PID
for s in alpha beta; do
	at_exit "umount_under '${DIR[$s]}'"
	NB=${DIR[$s]} NB_CONF=$CONF NB_DAEMON_ARGS="-S $s" nb_start || exit 1
	PID[$s]=$NB_PID
done
wait_mounted "$T/alpha/nfs/$n" 10
t_ok "alpha mounts $n's root" _t_is_fuse_mounted "$T/alpha/nfs/$n"
t_fails "beta does not" _t_is_fuse_mounted "$T/beta/nfs/$n"

ns_create lan && ns_create alpha && ns_create beta && ns_create "$n" || {
	echo "Bail out! cannot create namespaces"
	exit 1
}
ns_link lan alpha "$NB_NET.254/24" 02:00:00:82:00:01 "$A_IP/24" &&
	ns_link lan beta "$NB_NET.254/24" 02:00:00:82:00:02 "$B_IP/24" &&
	ns_link lan "$n" "$NB_NET.254/24" "$mac" || {
	echo "Bail out! cannot link namespaces"
	exit 1
}
export PATH=$NB_BUILD:$PATH NETBOOTFS_CONFIG=$CONF
declare -A DNSMASQ
# dnsmasq_start SERVER: generate its config and (re)start its dnsmasq.
dnsmasq_start()
{
	local s=$1
	if [ -n "${DNSMASQ[$s]:-}" ]; then
		stop_pid "${DNSMASQ[$s]}" 10
		mv "$T/dnsmasq-$s.log" "$T/dnsmasq-$s.log.old"
	fi
	"$NETBOOTCTL" -c "$CONF" -S "$s" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" \
		>"$T/dnsmasq-$s.conf" || return 1
	SVC_HOST_MOUNTS=1 svc_dnsmasq "$s" "$T/dnsmasq-$s.conf" || return 1
	DNSMASQ[$s]=$SVC_PID
}
# ganesha_start SERVER: generate its config and start its Ganesha.
ganesha_start()
{
	local s=$1
	"$NETBOOTCTL" -c "$CONF" -S "$s" gen ganesha >"$T/ganesha-$s.conf" || return 1
	mkdir -p "$T/recovery-$s"
	printf 'NFSV4 {\n\tGraceless = true;\n\tRecoveryBackend = fs;\n\tRecoveryRoot = "%s";\n}\n' \
		"$T/recovery-$s" >>"$T/ganesha-$s.conf"
	svc_ganesha "$s" "$T/ganesha-$s.conf"
}
t_ok "alpha's dnsmasq starts" dnsmasq_start alpha || exit 1
t_ok "beta's dnsmasq starts" dnsmasq_start beta || exit 1
t_ok "alpha's ganesha starts" ganesha_start alpha || exit 1

url()
{
	nfs_url "${ADDR[$1]}" "${DIR[$1]}/nfs/$n/$2" 3
}
# boot SERVER OTHER TAG: DHCP and TFTP of a boot, all from SERVER.
boot()
{
	local s=$1 o=$2 tag=$3 f
	t_ok "$tag: DHCP lease" svc_dhcp_client "$n" "$mac"
	t_is "$(dhcp_var "$n" siaddr)" "${ADDR[$s]}" "$tag: DHCP: the next server is $s"
	wait_for "grep -Eq 'DHCPDISCOVER\(eth0\) $mac ignored' '$T/dnsmasq-$o.log'" 5
	t_like "$(cat "$T/dnsmasq-$o.log")" "DHCPDISCOVER\(eth0\) $mac ignored" \
		"$tag: $o's dnsmasq ignores it"
	mkdir -p "$T/$tag"
	for f in start4.elf kernel8.img cmdline.txt; do
		svc_tftp_get "$n" "${ADDR[$s]}" "$serial/$f" "$T/$tag/$f" 2>"$T/tftp.err" ||
			_t_diag_stream <"$T/tftp.err"
	done
	t_file_sha_eq "$T/$tag/start4.elf" "$T/os-a/boot/firmware/start4.elf" \
		"$tag: TFTP start4.elf from $s, byte-exact"
	t_file_sha_eq "$T/$tag/kernel8.img" "$T/os-a/boot/firmware/kernel8.img" \
		"$tag: TFTP kernel8.img from $s, byte-exact"
	t_like "$(cat "$T/$tag/cmdline.txt")" "nfsroot=${ADDR[$s]}:${DIR[$s]}/nfs/$n,vers=3" \
		"$tag: cmdline.txt names $s"
	t_fails "$tag: no TFTP file from $o" \
		svc_tftp_get "$n" "${ADDR[$o]}" "$serial/start4.elf" "$T/$tag/from-other"
}
# write_note SERVER K: a file over SERVER's NFS, byte-exact in the overlay.
write_note()
{
	local s=$1 k=$2
	printf 'note %s through %s\n' "$k" "$s" >"$T/note-$k"
	head -c 150000 /dev/urandom >>"$T/note-$k"
	t_ok "writes etc/note-$k through $s's NFS" ns_exec "$n" nfs-cp "$T/note-$k" "$(url "$s" "etc/note-$k")"
	t_file_sha_eq "$SHARED/overlays/$n/etc/note-$k" "$T/note-$k" "note-$k in the shared overlay, byte-exact"
}
read_notes()
{
	local s=$1 what=$2 k
	shift 2
	for k in "$@"; do
		ns_exec "$n" nfs-cat "$(url "$s" "etc/note-$k")" >"$T/read-$k" 2>&1
		t_file_sha_eq "$T/read-$k" "$T/note-$k" "$what: note-$k over $s's NFS, byte-exact"
	done
}

# ---- the node runs on alpha ----------------------------------------------------------
boot alpha beta boot1
write_note alpha 1

# ---- node move -----------------------------------------------------------------------
cp "$CONF" "$T/before.ini"
out=$("$NETBOOTCTL" -c "$CONF" node move "$n" beta 2>&1)
t_is "$?" 0 "node move: exit 0"
t_is "$out" "node $n moves from alpha to beta at its next boot ($CONF)" "node move says what happens when"
t_is "$(diff "$T/before.ini" "$CONF" | grep '^[<>]')" "< server = alpha
> server = beta" "node move changes only the node's server line"
t_like "$("$NETBOOTCTL" -c "$CONF" node move "$n" gamma 2>&1)" "no \[server:gamma\] in $CONF" \
	"node move to an unknown server is refused"
t_like "$("$NETBOOTCTL" -c "$CONF" node move nosuch beta 2>&1)" "no node nosuch in $CONF" \
	"node move of an unknown node is refused"
wait_for "grep -q reloaded '$T/alpha/netbootfs.log' && grep -q reloaded '$T/beta/netbootfs.log'" 10
t_ok "both daemons reload the edited ini" \
	eval "grep -q reloaded '$T/alpha/netbootfs.log' && grep -q reloaded '$T/beta/netbootfs.log'"
wait_for "grep -q 'node $n: its lease .* is held by alpha' '$T/beta/netbootfs.log'" 10
t_fails "beta does not mount $n's root while alpha has it" _t_is_fuse_mounted "$T/beta/nfs/$n"
t_is "$("$NETBOOTCTL" -c "$CONF" -S beta status --json | jq -r ".nodes[] | select(.name == \"$n\") | \"\(.lease.held) \(.lease.server) \(.lease.pid)\"")" \
	"false alpha ${PID[alpha]}" "status -S beta: it waits for $n's lease, held by alpha"

# ---- until it reboots, alpha serves the running root ----------------------------------
t_ok "alpha keeps the running root mounted" _t_is_fuse_mounted "$T/alpha/nfs/$n"
read_notes alpha "running after the move" 1
write_note alpha 2
"$NETBOOTCTL" -c "$CONF" -S alpha status --json >"$T/status-alpha.json"
t_is "$(jq -r ".nodes[] | select(.name == \"$n\") | \"\(.server) \(.up)\"" "$T/status-alpha.json")" \
	"beta true" "status -S alpha: the node is up here and goes to beta"
t_is "$(jq -r '.elsewhere[].name' "$T/status-alpha.json")" "$n" "status -S alpha: it is beta's node now"

# ---- the node reboots: beta answers it ---------------------------------------------------
# What `netbootctl apply` does on each server: their DHCP/TFTP and NFS
# configs regenerated from the moved ini.
t_ok "alpha's dnsmasq restarts with the new config" dnsmasq_start alpha || exit 1
t_ok "beta's dnsmasq restarts with the new config" dnsmasq_start beta || exit 1
# The node is down: no request for 2 * boot_gap. alpha lets go of the
# root, and so of its lease; beta takes it at its next try.
wait_for "! _t_is_fuse_mounted '$T/alpha/nfs/$n'" 15
t_fails "alpha unmounts its copy of the root once the node is idle" \
	_t_is_fuse_mounted "$T/alpha/nfs/$n"
t_like "$(cat "$T/alpha/netbootfs.log")" "node $n: no longer in the config and idle: unmounting" \
	"alpha's log says why"
t_ok "beta mounts $n's root once alpha released its lease" wait_mounted "$T/beta/nfs/$n" 10
t_like "$(cat "$T/beta/netbootfs.log")" "node $n: lease taken \(it was held by alpha " \
	"beta's log says it took the lease from alpha"
# Ganesha exports what is mounted when it starts: after the root is.
t_ok "beta's ganesha starts with the node's export" ganesha_start beta || exit 1
boot beta alpha boot2
read_notes beta "after the reboot" 1 2
t_is "$(ns_exec "$n" nfs-cat "$(url beta etc/hostname)" 2>&1)" "$n" "beta's NFS: etc/hostname is the node's"
write_note beta 3
t_ok "beta still serves the root" _t_is_fuse_mounted "$T/beta/nfs/$n"
read_notes beta "after the reboot, alpha gone" 1 2 3

t_ok "alpha still runs" kill -0 "${PID[alpha]}"
t_ok "beta still runs" kill -0 "${PID[beta]}"
t_is "$(cat "$T/alpha/netbootfs.log" "$T/beta/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
