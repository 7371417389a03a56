# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# netbootfs.sh: run the daemon under test. Source after test-lib.sh.
#
#   nb_layout                  make $NB (a server tree: images/ overlays/ state/
#                              tftp/ nfs/ templates/ loaders/) and set $NB_CONF;
#                              with NB_SHARED_ROOT set (a directory on a shared
#                              file system, t8030), $NB is made in there and
#                              removed on exit
#   nb_second_mount PATH       PATH as a second machine mounts the shared file
#                              system: under NB_SHARED_ROOT_2 (the same volume
#                              mounted again) when set, else PATH itself
#   nb_write_config <<EOF      write $NB_CONF: a [server] section pointing
#   ...node sections...        into $NB is prepended to what stdin gives
#                              (loaders: $NB_LOADERS, else the empty $NB/loaders)
#   EOF
#   nb_tftp_read FILE...       read FILEs of $NB/tftp as the TFTP server does:
#                              with $NB/tftpd, a copy of cat(1) that the
#                              config lists in tftp_server next to dnsmasq
#                              (reads by other processes are reads on the
#                              server, which never start a boot)
#   nb_image NAME DIR [ARGS]   pack DIR into $NB/images/NAME.sqfs
#   nb_start                   start `netbootfs -f`, wait for the TFTP mount;
#                              log in $NB/netbootfs.log, PID in $NB_PID
#   nb_start_root NODE         nb_start, then bail out unless NODE's root is up
#   nb_stop                    SIGTERM, wait for exit and for the unmount
#   nb_kill9                   SIGKILL: leaves a dead mount behind
#   nb_log_has ERE             the daemon log has a line matching ERE
#   umount_under DIR           every mount under DIR, deepest first
#   nb_diag_log                the daemon log's last 20 warnings and errors
#                              as TAP diagnostics (for a failed test)
#   $FHANDLE                   tests/lib/fhandle.c (name_to_handle_at tool)

FHANDLE=$NB_BUILD/tests/fhandle

nb_layout()
{
	NB=$T/srv
	if [ -n "${NB_SHARED_ROOT:-}" ]; then
		NB=$NB_SHARED_ROOT/$TEST_NAME.$$
		at_exit "rm -rf '$NB'"
	fi
	NB_CONF=$NB/netbootfs.ini
	mkdir -p "$NB"/{images,overlays,state,tftp,nfs,templates,loaders} || return 1
	cp "$(command -v cat)" "$NB/tftpd" || return 1
	at_exit "nb_umount_all"
	# NB_KEEP_LOG=FILE keeps the daemon log after the test (debugging).
	[ -z "${NB_KEEP_LOG:-}" ] || at_exit "cp '$NB/netbootfs.log' '$NB_KEEP_LOG'"
}

# Every mount left under $NB (TFTP root, node roots), deepest first.
nb_umount_all()
{
	umount_under "$NB"
}

# Every mount under DIR, deepest first.
umount_under()
{
	local m
	_t_mounts | awk -v p="$1/" 'index($1, p) == 1 { print $1 }' | sort -r |
		while read -r m; do
			lazy_umount "$m"
		done
}

nb_second_mount()
{
	if [ -n "${NB_SHARED_ROOT:-}" ] && [ -n "${NB_SHARED_ROOT_2:-}" ]; then
		echo "$NB_SHARED_ROOT_2${1#"$NB_SHARED_ROOT"}"
	else
		echo "$1"
	fi
}

nb_write_config()
{
	{
		cat <<-EOF
		[server]
		tftp_root = $NB/tftp
		nfs_root = $NB/nfs
		images = $NB/images
		overlays = $NB/overlays
		state = $NB/state
		templates = $NB/templates
		loaders = ${NB_LOADERS:-$NB/loaders}
		address = ${NB_ADDRESS:-10.99.0.1}
		boot_gap = ${NB_BOOT_GAP:-60}
		tftp_server = /usr/sbin/dnsmasq, $NB/tftpd
		control = $NB/netbootfs.sock
		EOF
		cat
	} >"$NB_CONF.tmp" && mv "$NB_CONF.tmp" "$NB_CONF"
}

# nb_one_node_config IMAGE [IP]: the config of one node, n1 (serial 1a2b3c4d,
# MAC dc:a6:32:00:00:01, address IP if given), booting IMAGE, which is also
# the default image.
# nb_pxe_config DIR: a PXE-role server beside the one of $NB_CONF (whose
# role line must be "role = files"): the same ini with role = pxe and its
# own tftp_root, control socket and tftpd under DIR, written to
# DIR/netbootfs.ini.
nb_pxe_config()
{
	local dir=$1
	mkdir -p "$dir/tftp" && cp "$NB/tftpd" "$dir/tftpd" || return 1
	sed -e "s|^role = files|role = pxe|" -e "s|^tftp_root = .*|tftp_root = $dir/tftp|" \
		-e "s|^control = .*|control = $dir/netbootfs.sock|" \
		-e "s|^tftp_server = .*|tftp_server = /usr/sbin/dnsmasq, $dir/tftpd|" \
		"$NB_CONF" >"$dir/netbootfs.ini"
}

nb_one_node_config()
{
	nb_write_config <<-INI
	default_image = $1

	[defaults]
	image = $1

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
	${2:+ip = $2}
	INI
}

nb_tftp_read()
{
	"$NB/tftpd" "$@" >/dev/null
}

nb_image()
{
	local name=$1 dir=$2
	shift 2
	fixture_squash "$dir" "$NB/images/.$name.tmp" "$@" &&
		mv "$NB/images/.$name.tmp" "$NB/images/$name.sqfs"
}

nb_start()
{
	# Only lines this daemon writes count as its start-up.
	touch "$NB/netbootfs.log"
	NB_LOG_FROM=$(($(wc -c <"$NB/netbootfs.log") + 1))
	# shellcheck disable=SC2086 # NB_DAEMON_ARGS: extra options, e.g. -d
	"$NETBOOTFS" -f -c "$NB_CONF" ${NB_DAEMON_ARGS:-} >>"$NB/netbootfs.log" 2>&1 &
	NB_PID=$!
	at_exit "nb_stop_pid $NB_PID"
	if ! wait_for "_nb_up $NB_PID" 20; then
		diag "netbootfs did not come up; log:"
		_t_diag_stream <"$NB/netbootfs.log"
		return 1
	fi
}

# nb_start_root NODE: nb_start, then bail out unless NODE's root is mounted.
nb_start_root()
{
	nb_start || exit 1
	if ! wait_mounted "$NB/nfs/$1" 10; then
		echo "Bail out! $NB/nfs/$1 is not mounted"
		exit 1
	fi
}

_nb_up()
{
	kill -0 "$1" 2>/dev/null &&
		tail -c "+$NB_LOG_FROM" "$NB/netbootfs.log" | grep -q "serving .* nodes"
}

# Stop one daemon by PID (used by the cleanup stack too).
nb_stop_pid()
{
	kill -0 "$1" 2>/dev/null || return 0
	stop_pid "$1" 20
}

nb_stop()
{
	nb_stop_pid "$NB_PID"
	wait "$NB_PID" 2>/dev/null
	NB_STATUS=$?
	! _t_is_fuse_mounted "$NB/tftp"
}

nb_kill9()
{
	kill -9 "$NB_PID" 2>/dev/null
	wait "$NB_PID" 2>/dev/null
	true
}

nb_log_has()
{
	grep -Eq -- "$1" "$NB/netbootfs.log"
}

nb_diag_log()
{
	diag "netbootfs log (warnings and errors, last 20):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 20 | _t_diag_stream
}
