# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# restart.sh: the daemon with $BENCH_RESTART_NODES nodes (1,000; quick 100)
# stopped and started again while clients read through node roots.
#
# Scenarios, each $BENCH_RUNS times:
#   clean    SIGTERM, wait for the exit (every root unmounted), start again
#   crash    SIGKILL, start again: the dead mounts are left behind (reads
#            fail with ENOTCONN) until the new daemon detaches them
#   reload   SIGHUP: the config is read again, the mounts stay (there is no
#            other path that keeps mounts: a new binary means a restart)
#
#   stop_s    signal to the old daemon's exit (reload: 0)
#   start_s   the new daemon's exec to every root answering (reload: the
#             "reloaded" line and every root answering)
#   back_s    signal to every root answering: a stat of etc/hostname in
#             each of the N roots through its mount succeeds
#   cpu_s     the new daemon's user + system CPU until then
#   rss_kib   its RSS then
#   stall_min_s, stall_max_s  over the readers: each reads etc/hostname of
#             one node root (the first, middle and last node) every 10 ms,
#             by path, as a kernel NFS server would; the stall is the time
#             from its last good read before the signal to its first good
#             read after it
#   errors    what the readers got in between, "ERRNO=count" joined by "/"
#
# results/restart.csv: run,nodes,scenario,stop_s,start_s,back_s,cpu_s,rss_kib,stall_min_s,stall_max_s,errors

BENCH_RESTART_NODES=${BENCH_RESTART_NODES:-$([ "$BENCH_QUICK" = 1 ] && echo 100 || echo 1000)}
BENCH_RESTART_SCENARIOS=${BENCH_RESTART_SCENARIOS:-clean crash reload}

# The reader: every 10 ms, for each node root, a statfs of the root (it
# always reaches the daemon: a dead mount answers ENOTCONN) and an open +
# read of its etc/hostname (which the kernel may answer from its caches);
# one line per try, "start-time root ok|bad|ERRNO" (bad: other bytes than
# the first read).
_RESTART_READER='
use strict;
use Time::HiRes qw(time sleep);
require "sys/syscall.ph";
my ($out, @roots) = @ARGV;
my (%want, $sfs);
open(my $o, ">", $out) or die "$out: $!";
$o->autoflush(1);
$SIG{TERM} = sub { exit 0 };
sub errname { for (keys %!) { return $_ if $!{$_} } return "E" . (0 + $!) }
for (;;) {
	for my $root (@roots) {
		my $t = time;
		my ($r, $b) = ("ok", "");
		$sfs = "\0" x 128;
		if (syscall(&SYS_statfs, $root, $sfs) != 0) {
			$r = errname();
		} elsif (open(my $f, "<", "$root/etc/hostname")) {
			my $n = sysread($f, $b, 65536);
			$r = errname() unless defined $n;
			close $f;
			if ($r eq "ok") {
				$want{$root} //= $b;
				$r = "bad" if $b ne $want{$root};
			}
		} else {
			$r = errname();
		}
		printf $o "%.6f %s %s\n", $t, $root, $r;
	}
	sleep 0.01;
}'

# The waiter: until every root answers a statfs (not a dead mount) and a
# stat of its etc/hostname (mounted: the directory under it is empty);
# prints the time they all did. Exits 1 when PID is gone first.
_RESTART_WAITER='
use strict;
use Time::HiRes qw(time sleep);
require "sys/syscall.ph";
my ($pid, @left) = @ARGV;
my $sfs;
for (;;) {
	@left = grep { $sfs = "\0" x 128;
		syscall(&SYS_statfs, $_, $sfs) != 0 || !stat("$_/etc/hostname") } @left;
	last unless @left;
	exit 1 unless kill(0, $pid);
	sleep 0.005;
}
printf "%.6f\n", time;'

# _restart_cpu PID: user + system seconds of PID.
_restart_cpu()
{
	awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' \
		"/proc/$1/stat"
}

# _restart_sec T0 T1: T1 - T0 (EPOCHREALTIME-style) in seconds.
_restart_sec()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'
}

# _restart_stall LOG: per reader, the longest time between two good reads
# (its last one before the outage and its first after); the min and max of
# that over the readers and the counts of the errors in the log,
# "MIN MAX ERRORS". The log spans the whole outage and a second each side.
_restart_stall()
{
	awk '
	$3 == "ok" {
		if (($2 in last) && $1 - last[$2] > gap[$2]) gap[$2] = $1 - last[$2]
		last[$2] = $1
	}
	$3 != "ok" { err[$3]++ }
	END {
		min = -1; max = -1
		for (p in gap) {
			if (min < 0 || gap[p] < min) min = gap[p]
			if (gap[p] > max) max = gap[p]
		}
		e = ""
		for (k in err) e = e (e == "" ? "" : "/") k "=" err[k]
		printf "%.3f %.3f %s\n", min, max, e == "" ? "none" : e
	}' "$1"
}

_restart_start()
{
	: >"$NB/netbootfs.log"
	"$NETBOOTFS" -f -c "$NB_CONF" >>"$NB/netbootfs.log" 2>&1 &
	NB_PID=$!
	at_exit "nb_stop_pid $NB_PID"
}

# _restart_back PID: wait until every root answers; the time in RESTART_T.
_restart_back()
{
	RESTART_T=$(perl -e "$_RESTART_WAITER" "$1" "${RESTART_ROOTS[@]}") ||
		bench_die "netbootfs ($1) died before every root answered: $(tail -n 3 "$NB/netbootfs.log")"
}

_restart_one()
{
	local r=$1 sc=$2 n=$BENCH_RESTART_NODES t0 t1 ts stop=0 rpid old=$NB_PID st
	local log=$T/restart.reader.$sc.$r
	perl -e "$_RESTART_READER" "$log" "${RESTART_READ[@]}" &
	rpid=$!
	at_exit "stop_pid $rpid"
	sleep 1
	t0=$EPOCHREALTIME
	case $sc in
	clean | crash)
		kill "-$([ "$sc" = clean ] && echo TERM || echo KILL)" "$old"
		wait "$old" 2>/dev/null
		t1=$EPOCHREALTIME
		stop=$(_restart_sec "$t0" "$t1")
		ts=$t1
		_restart_start
		;;
	reload)
		st=$(($(wc -c <"$NB/netbootfs.log") + 1))
		kill -HUP "$old"
		ts=$t0
		wait_for "tail -c +$st '$NB/netbootfs.log' | grep -q reloaded" 60 ||
			bench_die "no reload after SIGHUP"
		;;
	esac
	_restart_back "$NB_PID"
	sleep 1
	stop_pid "$rpid"
	wait "$rpid" 2>/dev/null
	[ "$(_scale_fuse_mounts)" -eq $((n + 1)) ] ||
		bench_die "$sc: $(_scale_fuse_mounts) FUSE mounts instead of $((n + 1))"
	grep -q ' bad$' "$log" && bench_die "$sc: a reader got other bytes: $(grep -m1 ' bad$' "$log")"
	read -r smin smax errs < <(_restart_stall "$log")
	csv_add restart.csv "$r" "$n" "$sc" "$stop" "$(_restart_sec "$ts" "$RESTART_T")" \
		"$(_restart_sec "$t0" "$RESTART_T")" "$(_restart_cpu "$NB_PID")" \
		"$(awk '/^VmRSS/ { print $2 }' "/proc/$NB_PID/status")" "$smin" "$smax" "$errs"
	st=$(tail -n1 "$BENCH_OUT/restart.csv")
	bench_log "run $r restart $sc, $n nodes: $st"
}

restart_run()
{
	local r sc n=$BENCH_RESTART_NODES i
	csv_reset restart.csv "run,nodes,scenario,stop_s,start_s,back_s,cpu_s,rss_kib,stall_min_s,stall_max_s,errors"
	[ -n "${NB:-}" ] || nb_layout
	nb_place_image
	rm -rf "$NB/overlays" "$NB/nfs" "$NB/state"
	mkdir -p "$NB/overlays" "$NB/nfs" "$NB/state"
	# The roots' parent is a shared mount, as / is on a host with systemd:
	# a mount namespace made meanwhile (another service's) then holds a
	# slave copy of each root, which the unmount reaches, and not a private
	# one that keeps the old superblock and its device number.
	mount --bind "$NB/nfs" "$NB/nfs" && mount --make-shared "$NB/nfs" ||
		bench_die "cannot make $NB/nfs a shared mount"
	at_exit "lazy_umount '$NB/nfs'"
	_scale_config "$n"
	RESTART_ROOTS=()
	for ((i = 0; i < n; i++)); do
		RESTART_ROOTS+=("$NB/nfs/n$i")
	done
	RESTART_READ=("$NB/nfs/n0" "$NB/nfs/n$((n / 2))" "$NB/nfs/n$((n - 1))")
	_restart_start
	_restart_back "$NB_PID"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for sc in $BENCH_RESTART_SCENARIOS; do
			_restart_one "$r" "$sc"
		done
	done
	nb_stop_pid "$NB_PID"
	wait "$NB_PID" 2>/dev/null
	[ "$(_scale_fuse_mounts)" -eq 0 ] || {
		bench_log "restart: mounts left after the stop"
		nb_umount_all
	}
	lazy_umount "$NB/nfs"
}
