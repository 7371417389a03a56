#!/bin/bash
# Fencing: a node's overlay is written by one server at a time. Two daemons
# with the same node config over one shared images/overlays directory (a
# local directory stands in for the shared filesystem), each with its own
# mountpoints, state and control socket. Each takes a node's lease (an OFD
# lock on <overlays>/.leases/<node>) before it mounts the node's root.
#
#  - The second daemon never mounts a root the first serves: its status and
#    log name the holder (server, host, pid, since); it tries again every
#    lease_retry seconds and logs once.
#  - A writer appends numbered lines through the first daemon's root, which
#    is killed with SIGKILL in the middle; the second takes the node within
#    a bounded time; the writer goes on through its root. The overlay then
#    holds every acknowledged line once, in order (the line in flight at the
#    kill at most once), and the new lines after them: byte-exact, counted.
#  - A clean stop releases the leases at once to a waiting daemon.
#  - Both started at once: each node is served by exactly one of them.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/peers.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum perl
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

nodes="n1 n2"
nb_layout
fixture_boot_tree "$T/os" a
nb_image os "$T/os"
nb_write_config <<-INI
	lease_retry = 1
	default_image = os

	[defaults]
	image = os

	[node:n1]
	serial = 1a2b3c01
	mac = dc:a6:32:00:00:01

	[node:n2]
	serial = 1a2b3c02
	mac = dc:a6:32:00:00:02
INI
A=$NB A_CONF=$NB_CONF
# Server B: the same ini but its own mountpoints, state and control socket.
B=$T/b B_CONF=$T/b/netbootfs.ini
nb_peer_config "$B" || exit 1
host=$(hostname)

start() # A|B: start that server's daemon, its PID in ${A,B}_PID
{
	on "$1" nb_start || return 1
	eval "$1_PID=$NB_PID"
}
lease_of() # A|B NODE KEY: a key of the node's lease in that daemon's status
{
	on "$1" nb_status_json | json_get "(grep { \$_->{name} eq '$2' } @{\$j->{nodes}})[0]{lease}{$3}"
}
mounted_on() # NODE: which daemons have NODE's root mounted ("A", "B", "A B", "")
{
	local who=""
	_t_is_fuse_mounted "$A/nfs/$1" && who="A"
	_t_is_fuse_mounted "$B/nfs/$1" && who="${who:+$who }B"
	echo "$who"
}
log_count() # A|B ERE
{
	grep -Ec -- "$2" "$([ "$1" = A ] && echo "$A" || echo "$B")/netbootfs.log"
}

# ---- A serves; B, started second, waits ---------------------------------------
start A || exit 1
for n in $nodes; do
	wait_mounted "$A/nfs/$n" 10 || {
		echo "Bail out! $A/nfs/$n is not mounted"
		exit 1
	}
done
t_is "$(lease_of A n1 held) $(lease_of A n1 pid) $(lease_of A n1 server) $(lease_of A n1 host)" \
	"true $A_PID $host $host" "A's status: A holds n1's lease (server, host, pid)"
a_since=$(lease_of A n1 since)
t_is "$(cat "$A/overlays/.leases/n1")" "server=$host host=$host pid=$A_PID since=$a_since" \
	"the lease file names A and when it took the lease"
t_is "$(stat -c %a "$A/overlays/.leases")" 700 "the lease directory is root-only"

start B || exit 1
sleep 3 # three retry periods
t_is "$(mounted_on n1),$(mounted_on n2)" "A,A" "B mounts neither root A serves, after 3 retries"
t_ok "B did not even make the mountpoints" eval "[ ! -e '$B/nfs/n1' ] && [ ! -e '$B/nfs/n2' ]"
t_ok "B keeps no handle table for them" eval "[ ! -e '$B/state/roots/n1.ids' ]"
t_is "$(lease_of B n1 held) $(lease_of B n1 pid) $(lease_of B n1 server) $(lease_of B n1 since)" \
	"false $A_PID $host $a_since" "B's status names the holder of n1's lease: A, since when"
t_is "$(on B nb_node n1 mounted)" false "B's status: n1 not mounted"
t_fails "B's boot tree serves nothing of n1" eval "'$B/tftpd' '$B/tftp/1a2b3c01/start4.elf' >/dev/null"
t_file_sha_eq "$A/tftp/1a2b3c01/start4.elf" "$T/os/boot/firmware/start4.elf" "A's boot tree serves n1"
since_txt=$(date -u -d "@$a_since" '+%Y-%m-%dT%H:%M:%SZ')
t_like "$(on B "$NETBOOTCTL" -c "$B_CONF" status)" \
	"waiting for n1: its lease is held by $host \(host $host, pid $A_PID\) since $since_txt; its root is not mounted here" \
	"B's status text names the holder"
t_is "$(log_count B "node n1: its lease $(nb_second_mount "$A/overlays")/.leases/n1 is held by $host \(host $host, pid $A_PID\): not mounting its root; trying again every 1 s")" \
	1 "B logs it once, not at every retry"
t_is "$(cat "$A/overlays/.leases/n1")" "server=$host host=$host pid=$A_PID since=$a_since" \
	"B left the lease file alone"

# ---- writes through A, SIGKILL of A in the middle, take-over by B ----------------
fixture_bytes 1048576 blob >"$T/blob"
cp "$T/blob" "$A/nfs/n1/blob"
t_file_sha_eq "$A/overlays/n1/blob" "$T/blob" "a 1 MiB file written through A is in the overlay"
# The writer: each append acknowledged in $T/acked once it returned; it
# stops at the first failure (A is gone).
nb_appender "$A/nfs/n1/log" a "$T/acked" &
writer=$!
at_exit "kill $writer 2>/dev/null || true"
wait_for "[ -s '$T/acked' ] && [ \$(cat '$T/acked') -ge 200 ]" 30
kill -9 "$A_PID"
wait "$A_PID" 2>/dev/null
t0=$(date +%s%N)
wait "$writer"
acked=$(cat "$T/acked")
note "the writer had $acked appends acknowledged by A when A was killed"
t_ok "B mounts n1 once A is dead (within 10 s)" wait_mounted "$B/nfs/n1" 10
ms=$((($(date +%s%N) - t0) / 1000000))
note "take-over of n1 after SIGKILL of A: $ms ms (lease_retry = 1 s)"
t_ok "B mounts n2 too" wait_mounted "$B/nfs/n2" 10
t_is "$(lease_of B n1 held) $(lease_of B n1 pid)" "true $B_PID" "B's status: B holds n1's lease"
t_like "$(cat "$(nb_second_mount "$A/overlays")/.leases/n1")" "^server=$host host=$host pid=$B_PID since=[0-9]+$" \
	"the lease file names B"
t_is "$(log_count B "node n1: lease taken \(it was held by $host \(host $host, pid $A_PID\)\): mounting its root")" \
	1 "B logs the take-over once, naming the dead holder"

# What A acknowledged is there, once, in order; the append in flight at the
# kill may have reached the overlay or not, never twice.
lines=$(wc -l <"$B/nfs/n1/log")
t_ok "B shows the $acked acknowledged lines, or those and the one in flight ($lines)" \
	eval "[ $lines -eq $acked ] || [ $lines -eq $((acked + 1)) ]"
seq 1 "$lines" | sed 's/^/a /' >"$T/expect-a"
t_file_sha_eq "$B/nfs/n1/log" "$T/expect-a" "through B: lines a 1..$lines, each once, in order"
t_file_sha_eq "$B/nfs/n1/blob" "$T/blob" "through B: the 1 MiB file A wrote, byte-exact"
for i in $(seq 1 300); do
	echo "b $i" >>"$B/nfs/n1/log" || break
done
{ cat "$T/expect-a" && seq 1 300 | sed 's/^/b /'; } >"$T/expect"
t_file_sha_eq "$A/overlays/n1/log" "$T/expect" \
	"the overlay: A's lines then B's 300, byte-exact (no write lost or doubled)"
t_is "$(wc -l <"$A/overlays/n1/log") $(sort "$A/overlays/n1/log" | uniq -d | wc -l)" \
	"$((lines + 300)) 0" "the overlay: $((lines + 300)) lines, none twice"
t_file_sha_eq "$B/nfs/n1/log" "$T/expect" "B's root reads the same bytes"

# ---- a clean stop hands the leases over at once -----------------------------------
lazy_umount "$A/nfs/n1"
lazy_umount "$A/nfs/n2"
start A || exit 1
sleep 2
t_is "$(mounted_on n1),$(mounted_on n2)" "B,B" "A, restarted, waits: B keeps both nodes"
t_is "$(lease_of A n2 held) $(lease_of A n2 pid)" "false $B_PID" "A's status names B as n2's holder"
nb_stop_pid "$B_PID"
t_ok "A takes n1 when B stops (within 10 s)" wait_mounted "$A/nfs/n1" 10
t_ok "A takes n2 when B stops" wait_mounted "$A/nfs/n2" 10
t_file_sha_eq "$A/nfs/n1/log" "$T/expect" "A reads every line of both servers"
t_is "$(log_count A "node n2: lease taken \(it was held by $host \(host $host, pid $B_PID\)\)")" 1 \
	"A logs the hand-over"
on A nb_stop

# ---- both started at once: one server per node ----------------------------------
"$NETBOOTFS" -f -c "$A_CONF" >>"$A/netbootfs.log" 2>&1 &
A_PID=$!
"$NETBOOTFS" -f -c "$B_CONF" >>"$B/netbootfs.log" 2>&1 &
B_PID=$!
at_exit "nb_stop_pid $A_PID; nb_stop_pid $B_PID"
wait_for "[ -n \"\$(mounted_on n1)\" ] && [ -n \"\$(mounted_on n2)\" ]" 20
sleep 2
for n in $nodes; do
	who=$(mounted_on $n)
	t_like "$who" '^(A|B)$' "started together: $n is mounted by exactly one server ($who)"
	pid=$([ "$who" = A ] && echo "$A_PID" || echo "$B_PID")
	other=$([ "$who" = A ] && echo B || echo A)
	t_like "$(cat "$A/overlays/.leases/$n")" "^server=$host host=$host pid=$pid since=" \
		"$n's lease file names that server"
	t_is "$(lease_of $other $n held) $(lease_of $other $n pid)" "false $pid" \
		"the other server's status names it as $n's holder"
done
done_testing
