# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# twoservers.sh: two netbootfs daemons (-S alpha, -S beta) on one machine,
# over one shared directory ($SHARED: images, overlays, state) and one ini
# ($CONF), each in its network namespace with its dnsmasq; one node. Source
# after test-lib.sh, fixtures.sh, netbootfs.sh, netns.sh and services.sh.
#
#   ts_setup             with $n, $serial, $mac and $ip set: the node
#                        (server = alpha), the image os-a ($T/os-a),
#                        both daemons (PID[alpha], PID[beta]), the LAN, both
#                        dnsmasqs and alpha's Ganesha; bails out on failure
#   dnsmasq_start SERVER (re)generate SERVER's dnsmasq config, (re)start it
#   ganesha_start SERVER generate SERVER's Ganesha config, start it
#   boot SERVER OTHER TAG
#                        the node's DHCP and TFTP, all from SERVER, none from
#                        OTHER (unless OTHER's dnsmasq is stopped: DNSMASQ
#                        [OTHER] empty)
#   write_note SERVER K  etc/note-K over SERVER's NFS, byte-exact in the overlay
#   read_notes SERVER WHAT K...
#                        read back etc/note-K... over SERVER's NFS
#   ts_layout <<EOF      only the directories and the servers' part of $CONF
#   ts_start_daemons     only the two daemons
#   ts_lan               only the namespaces and their links
#   ts_node_up           after ts_layout: the node, both daemons, the LAN and
#                        alpha's dnsmasq

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
	if [ -n "${DNSMASQ[$o]:-}" ]; then
		wait_for "grep -Eq 'DHCPDISCOVER\(eth0\) $mac ignored' '$T/dnsmasq-$o.log'" 5
		t_like "$(cat "$T/dnsmasq-$o.log")" "DHCPDISCOVER\(eth0\) $mac ignored" \
			"$tag: $o's dnsmasq ignores it"
	fi
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
	[ -z "${DNSMASQ[$o]:-}" ] || t_fails "$tag: no TFTP file from $o" \
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

# The shared directory with image os-a, both servers' directories, and the
# first part of the ini: [server], [server:alpha] and [server:beta]; the
# caller appends its [defaults] and nodes to $CONF. Extra [server] lines on
# stdin.
ts_layout()
{
	A_IP=$NB_NET.1
	B_IP=$NB_NET.2
	declare -gA ADDR=([alpha]=$A_IP [beta]=$B_IP)
	declare -gA DIR=([alpha]=$T/alpha [beta]=$T/beta)
	local s

	nb_layout
	SHARED=$NB
	fixture_boot_tree "$T/os-a" e2e-a
	nb_image os-a "$T/os-a"
	for s in alpha beta; do
		mkdir -p "$T/$s/tftp" "$T/$s/nfs" && cp "$(command -v cat)" "$T/$s/tftpd"
	done
	CONF=$T/netbootfs.ini
	{
		cat <<-INI
			[server]
			images = $SHARED/images
			overlays = $SHARED/overlays
			state = $SHARED/state
			templates = $SHARED/templates
			loaders = $SHARED/loaders
			dhcp = full
			interface = eth0
			clients = $NB_NET.0/24
		INI
		cat
		# On separate machines only the address differs; on one machine
		# the mount points, control sockets and DHCP ranges do too.
		cat <<-INI

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

		INI
	} >"$CONF"
}

# Start both daemons, alpha first; PID[alpha], PID[beta].
ts_start_daemons()
{
	local s
	declare -gA PID
	for s in alpha beta; do
		at_exit "umount_under '${DIR[$s]}'"
		NB=${DIR[$s]} NB_CONF=$CONF NB_DAEMON_ARGS="-S $s" nb_start || exit 1
		PID[$s]=$NB_PID
	done
}

# The node (server = alpha) appended to $CONF, both daemons, alpha mounting
# its root, the namespaces and alpha's dnsmasq.
ts_node_up()
{
	cat >>"$CONF" <<-INI
		[defaults]
		image = os-a

		[node:$n]
		serial = $serial
		mac = $mac
		ip = $ip
		server = alpha
	INI
	ts_start_daemons
	wait_mounted "$T/alpha/nfs/$n" 10
	t_ok "alpha mounts $n's root" _t_is_fuse_mounted "$T/alpha/nfs/$n"
	t_fails "beta does not" _t_is_fuse_mounted "$T/beta/nfs/$n"

	ts_lan
	t_ok "alpha's dnsmasq starts" dnsmasq_start alpha || exit 1
}

ts_setup()
{
	# boot_gap 2: the node is idle 4 s after its last request.
	ts_layout <<-INI
		boot_gap = 2
		lease_retry = 1
	INI
	ts_node_up
	t_ok "beta's dnsmasq starts" dnsmasq_start beta || exit 1
	t_ok "alpha's ganesha starts" ganesha_start alpha || exit 1
}

# The namespaces lan, alpha, beta and $n, linked; PATH and NETBOOTFS_CONFIG
# for the services; DNSMASQ declared.
ts_lan()
{
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
	declare -gA DNSMASQ
}
