# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# gluster.sh: a real single-brick GlusterFS volume for tests, from Debian's
# glusterfs-server (source after test-lib.sh and netns.sh).
#
# glusterd runs in a network namespace of the test's own, holding the
# address GLUSTER_IP on a bridge; every client mount runs its glusterfs
# process in a namespace linked to that bridge (the mount itself lands in
# the test's mount namespace, where the daemons see it). Why not loopback:
# gluster refuses 127.0.0.0/8 brick addresses, a namespace needs no host
# name that happens to resolve, its port 24007 never meets a glusterd of
# the machine, and a client's link can be cut to play a dead server.
# glusterd is always the test's own: its state, pid and socket files stay
# under $T (working-directory, run-directory, glusterd-sockfile options);
# what a brick leaves in /var/run/gluster and /var/log/glusterfs (its
# socket and log, named after the brick path) is removed afterwards.
#
#   require_gluster                   skip unless glusterd, gluster and
#                                     mount.glusterfs are installed
#   gluster_volume SRV VOL            start glusterd in namespace SRV (made
#                                     here; GLUSTER_IP on its bridge br0),
#                                     create and start VOL on a brick in $T;
#                                     skip_all with the reason when it cannot
#   gluster_client NAME IP            a client namespace NAME linked to the
#                                     server's bridge, address IP/24
#   gluster_mount NAME VOL DIR        mount VOL at DIR through namespace
#                                     NAME's glusterfs process; its PID in
#                                     GLUSTER_CLIENT_PID (unmounted on exit)
#   gluster_umount DIR                unmount DIR, wait for its process
#   gluster_cut NAME | gluster_heal NAME   take the client's link down / up
#   gluster_cli ARGS...               the gluster CLI of this glusterd
#   gluster_subtest TEST WHAT [VAR=VALUE...]   run tests/t/TEST.t with that
#                                     environment as one subtest (ok line)
#
# Volume options set before any mount: GLUSTER_VOLUME_OPTS (OPT=VALUE
# words), by default what docs/scale-out.md asks of a volume netbootfs
# shares: strict locks (a client cut off long enough for the brick to drop
# its locks gets EBADFD on the locked descriptor afterwards, instead of
# reopening it without the lock), and neither quick-read nor open-behind
# (with them, a reread under a lock of a file the other mount had just
# replaced could return the replaced file's bytes: t8031's locked counter
# lost updates under load).

GLUSTER_IP=${GLUSTER_IP:-$NB_NET.250}
GLUSTER_VOLUME_OPTS=${GLUSTER_VOLUME_OPTS:-client.strict-locks=on performance.quick-read=off performance.open-behind=off}
GLUSTER_DIR=$T/gluster
_gluster_srv=""
_gluster_mac=0

require_gluster()
{
	local c
	for c in glusterd gluster glusterfs mount.glusterfs; do
		command -v "$c" >/dev/null 2>&1 ||
			skip_all "needs '$c' (Debian's glusterfs-server and glusterfs-client)"
	done
}

gluster_cli()
{
	timeout 60 gluster --mode=script --glusterd-sock="$GLUSTER_DIR/glusterd.socket" \
		--log-file="$GLUSTER_DIR/log/cli.log" "$@"
}

# The glusterd of the test, in its namespace, in the foreground so that its
# PID is the one started here.
_gluster_glusterd()
{
	local d=$GLUSTER_DIR
	mkdir -p "$d"/{lib,run,log,bricks} || return 1
	cat >"$d/glusterd.vol" <<-EOF
	volume management
	    type mgmt/glusterd
	    option working-directory $d/lib
	    option run-directory $d/run
	    option glusterd-sockfile $d/glusterd.socket
	    option transport-type socket
	    option transport.address-family inet
	    option ping-timeout 0
	    option event-threads 1
	end-volume
	EOF
	nsenter --net="/run/netns/$(ns_name "$_gluster_srv")" glusterd -N \
		-f "$d/glusterd.vol" -p "$d/glusterd.pid" -l "$d/log/glusterd.log" \
		>"$d/log/glusterd.out" 2>&1 &
	GLUSTER_PID=$!
	at_exit "stop_pid $GLUSTER_PID 10"
	wait_for "gluster_cli pool list" 30
}

# Stop and delete VOL, then what its brick left outside $T.
_gluster_volume_cleanup()
{
	local vol=$1 brick=$2 pidf pid sock
	pidf=$(find "$GLUSTER_DIR/run/vols/$vol" -name '*.pid' 2>/dev/null | head -n1)
	pid=$(cat "$pidf" 2>/dev/null)
	sock=""
	[ -z "$pid" ] || sock=$(tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | sed -n '/^-S$/{n;p}')
	gluster_cli volume stop "$vol" force
	gluster_cli volume delete "$vol"
	# The brick is glusterd's child's child: stop_pid cannot reap it.
	[ -z "$pid" ] || wait_for "! kill -0 $pid" 10 || kill -KILL "$pid"
	[ -z "$sock" ] || rm -f "$sock"
	rm -f "/var/log/glusterfs/bricks/$(echo "${brick#/}" | tr / -).log"
}

gluster_volume()
{
	local vol=$2 brick opt
	_gluster_srv=$1
	brick=$GLUSTER_DIR/bricks/$vol
	ns_create "$_gluster_srv" || skip_all "cannot create a network namespace"
	ip -n "$(ns_name "$_gluster_srv")" link add br0 type bridge stp_state 0 forward_delay 0 &&
		ip -n "$(ns_name "$_gluster_srv")" addr add "$GLUSTER_IP/24" dev br0 &&
		ip -n "$(ns_name "$_gluster_srv")" link set br0 up ||
		skip_all "cannot make the storage namespace's bridge"
	if ! _gluster_glusterd; then
		_t_diag_stream "$GLUSTER_DIR/log/glusterd.out" 2>/dev/null
		tail -n 20 "$GLUSTER_DIR/log/glusterd.log" 2>/dev/null | _t_diag_stream
		skip_all "glusterd does not start (log above)"
	fi
	mkdir -p "$brick"
	# force: the brick is on the root file system, which gluster warns of.
	gluster_cli volume create "$vol" "$GLUSTER_IP:$brick" force >"$T/.gluster.out" 2>&1 || {
		_t_diag_stream "$T/.gluster.out"
		skip_all "gluster cannot create a volume on $GLUSTER_IP (output above)"
	}
	at_exit "_gluster_volume_cleanup '$vol' '$brick'"
	for opt in $GLUSTER_VOLUME_OPTS; do
		gluster_cli volume set "$vol" "${opt%%=*}" "${opt#*=}" >"$T/.gluster.out" 2>&1 || {
			_t_diag_stream "$T/.gluster.out"
			skip_all "gluster volume set $opt refused (output above)"
		}
	done
	gluster_cli volume start "$vol" >"$T/.gluster.out" 2>&1 || {
		_t_diag_stream "$T/.gluster.out"
		skip_all "gluster cannot start volume $vol (output above)"
	}
}

gluster_client()
{
	ns_create "$1" || return 1
	_gluster_mac=$((_gluster_mac + 1))
	ns_link "$_gluster_srv" "$1" "$GLUSTER_IP/24" "$(printf '02:00:00:fe:00:%02x' "$_gluster_mac")" \
		"$2/24" || return 1
	# Remembered for gluster_cut: the bridge port is the newest veth.
	eval "_gluster_port_$1=vp$_ns_ports"
}

gluster_mount()
{
	local name=$1 vol=$2 dir=$3 log
	log=$GLUSTER_DIR/log/mount-$(basename "$dir")-$$.log
	mkdir -p "$dir"
	nsenter --net="/run/netns/$(ns_name "$name")" \
		mount -t glusterfs -o "log-file=$log${GLUSTER_MOUNT_OPTS:+,$GLUSTER_MOUNT_OPTS}" \
		"$GLUSTER_IP:/$vol" "$dir" || return 1
	at_exit "gluster_umount '$dir'"
	GLUSTER_CLIENT_PID=$(pgrep -f -x "/usr/sbin/glusterfs --log-file=$log .* $dir" | head -n1)
	[ -n "$GLUSTER_CLIENT_PID" ] && is_mounted "$dir"
}

gluster_umount()
{
	local dir pid
	dir=$(realpath -m "$1")
	pid=$(pgrep -f -x "/usr/sbin/glusterfs .* $dir" | head -n1)
	is_mounted "$dir" && { umount "$dir" || umount -l "$dir"; }
	[ -z "$pid" ] || wait_for "! kill -0 $pid" 10 || kill -KILL "$pid"
	true
}

gluster_cut()
{
	local port
	port=$(eval echo "\$_gluster_port_$1")
	ip -n "$(ns_name "$_gluster_srv")" link set "$port" down
}

gluster_heal()
{
	local port
	port=$(eval echo "\$_gluster_port_$1")
	ip -n "$(ns_name "$_gluster_srv")" link set "$port" up
}

# gluster_subtest TEST WHAT [VAR=VALUE...]: run tests/t/TEST.t with the
# environment given (NB_SHARED_ROOT=a directory on the volume), as a
# subtest: one ok line, its output indented.
gluster_subtest()
{
	local t=$1 what=$2 rc
	shift 2
	echo "# Subtest: $t $what"
	env "$@" "$BASH" "$SRCDIR/tests/t/$t.t" >"$T/$t.tap" 2>&1
	rc=$?
	sed 's/^/    /' "$T/$t.tap"
	if grep -q '^1\.\.0 # SKIP' "$T/$t.tap"; then
		ok 1 "$t $what: it skipped"
	else
		ok "$rc" "$t $what"
	fi
}
