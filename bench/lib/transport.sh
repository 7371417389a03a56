# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# transport.sh: what the /dev/fuse transport costs netbootfs today, the
# figures behind the decision on a FUSE-over-io_uring transport of our own
# (docs/design.md, "Transport"). Three measurements, CSV in transport.csv
# (long form: run,contender,workload,cache,opcode,metric,value):
#
#   rtt      microseconds per getxattr() of a missing attribute, in a loop:
#            every FUSE contender answers each one itself (ENODATA is not
#            cached by the kernel, unlike ENOSYS), so this is one full round
#            trip; "requests_per_call" proves it. The kernel's figure is the
#            system call without any transport.
#   requests for the walks (cold, warm) and create_small on netbootfs: FUSE
#            requests (tracepoint fuse:fuse_request_send), their latency
#            send -> end paired by `unique` (p50/p90/p99 per opcode, "all"
#            over every opcode), and the daemon's context switches, CPU
#            migrations, task-clock and system calls (perf stat -p) per
#            request.
#   share    perf record -g (kernel stacks) of the daemon and of the walk's
#            processes during a warm walk: the share of their CPU time spent
#            moving requests (daemon: epoll, read and writev of /dev/fuse,
#            the pool's futex; requester: queueing, wake-up and the wait
#            inside fuse_simple_request) against the copies of requests and
#            replies between the daemon and the kernel (fuse_copy_*, which
#            any transport makes) and the work itself.

BENCH_TRANSPORT_WALKS=${BENCH_TRANSPORT_WALKS:-meta tar}
BENCH_TRANSPORT_RTT=${BENCH_TRANSPORT_RTT:-netbootfs squashfuse_ll kernel}
if [ "$BENCH_QUICK" = 1 ]; then
	BENCH_RTT_CALLS=${BENCH_RTT_CALLS:-5000}
else
	BENCH_RTT_CALLS=${BENCH_RTT_CALLS:-50000}
fi
TP_CSV=transport.csv
# A tracing instance of its own: the global buffer is shared with every
# other tracer on the machine (another bench's fuse_requests clears it).
TP_TR=/sys/kernel/tracing/instances/netbootfs-transport-$$

_tp_add()
{
	csv_add $TP_CSV "$TP_RUN" "$@"
}

# _tp_rtt ROOT: microseconds per getxattr of a missing attribute at ROOT.
_tp_rtt()
{
	python3 - "$1" "$BENCH_RTT_CALLS" <<-'PY'
	import errno, os, sys, time
	path, n = sys.argv[1], int(sys.argv[2])
	t = time.perf_counter_ns()
	for _ in range(n):
	    try:
	        os.getxattr(path, "user.netbootfs.bench-rtt")
	    except OSError as e:
	        if e.errno != errno.ENODATA:
	            raise
	t = time.perf_counter_ns() - t
	print("%.2f" % (t / n / 1000.0))
	PY
}

# _tp_rtt_placed CONTENDER: the round trip with the daemon's threads bound to
# CPU 0 and the caller on CPU 0 (the daemon's thread runs when the caller
# sleeps) or on CPU 1 (every request wakes a thread on another CPU): what a
# CPU-local transport (io_uring's per-CPU queues) would and would not save.
_tp_rtt_placed()
{
	local c=$1 pid us where cpu
	[ "$(nproc)" -ge 2 ] || return 0
	pid=$(c_pid "$c")
	taskset -a -p 0x1 "$pid" >/dev/null || return 0
	at_exit "taskset -a -p -c 0-$(($(nproc) - 1)) $pid >/dev/null 2>&1"
	for where in same other; do
		[ $where = same ] && cpu=0 || cpu=1
		us=$(BENCH_RTT_CALLS=$BENCH_RTT_CALLS taskset -c $cpu \
			bash -c "$(declare -f _tp_rtt); _tp_rtt '${CROOT[$c]}'") ||
			bench_die "rtt $c ($where cpu) failed"
		_tp_add "$c" "rtt_${where}cpu" warm GETXATTR us_per_call "$us"
		bench_log "transport rtt $c, caller on the $where CPU: $us us"
	done
	taskset -a -p -c "0-$(($(nproc) - 1))" "$pid" >/dev/null
}

# Tracing of both request events on one connection, into TP_TR.
_tp_trace_on()
{
	local mm ev
	mm=$(mountpoint -d "$1") || return 1
	[ -d $TP_TR/events/fuse/fuse_request_send ] || return 1
	echo 0 >$TP_TR/tracing_on
	echo >$TP_TR/trace
	for ev in fuse_request_send fuse_request_end; do
		echo "connection == $((${mm%%:*} << 20 | ${mm##*:}))" >$TP_TR/events/fuse/$ev/filter
		echo 1 >$TP_TR/events/fuse/$ev/enable
	done
	echo 1 >$TP_TR/tracing_on
}

_tp_trace_off()
{
	local ev
	echo 0 >$TP_TR/tracing_on
	for ev in fuse_request_send fuse_request_end; do
		echo 0 >$TP_TR/events/fuse/$ev/enable
		echo 0 >$TP_TR/events/fuse/$ev/filter
	done
}

# _tp_trace_init: the instance (removed on exit), 128 MiB per CPU: a cold
# tar of the full tree sends some 160,000 requests.
_tp_trace_init()
{
	local tr=/sys/kernel/tracing
	[ -d $tr/instances ] || mount -t tracefs nodev $tr 2>/dev/null
	[ -d $tr/events/fuse/fuse_request_send ] || return 1
	mkdir $TP_TR || return 1
	at_exit "rmdir $TP_TR"
	echo 131072 >$TP_TR/buffer_size_kb
}

# _tp_latency CONTENDER WORKLOAD CACHE: the trace -> CSV rows: requests and
# latency percentiles per opcode and over all (FORGETs have no reply).
_tp_latency()
{
	perl -e '
		my ($pre) = @ARGV; my (%t, %op, %n, %lat);
		while (<STDIN>) {
			if (/ ([\d.]+): fuse_request_send: .* req (\d+) opcode \d+ \(FUSE_(\w+)\)/) {
				$t{$2} = $1; $op{$2} = $3; $n{$3}++; $n{all}++;
			} elsif (/ ([\d.]+): fuse_request_end: .* req (\d+) / && exists $t{$2}) {
				my $us = ($1 - $t{$2}) * 1e6;
				push @{$lat{$op{$2}}}, $us; push @{$lat{all}}, $us;
				delete $t{$2};
			}
		}
		sub pct { my ($v, $p) = @_; return $v->[int($p * $#$v + 0.5)]; }
		for my $o (sort { $n{$b} <=> $n{$a} } keys %n) {
			print "$pre,$o,requests,$n{$o}\n";
			my @v = sort { $a <=> $b } @{$lat{$o} || []};
			next unless @v;
			my $s = 0; $s += $_ for @v;
			printf "$pre,$o,lat_mean_us,%.1f\n", $s / @v;
			printf "$pre,$o,lat_p%d_us,%.1f\n", $_ * 100, pct(\@v, $_) for 0.5, 0.9, 0.99;
		}' "$TP_RUN,$1,$2,$3" <$TP_TR/trace >>"$BENCH_OUT/$TP_CSV"
}

# _tp_perf OUT_PIDVAR PERF_ARGS...: start perf (stat or record) disabled and
# return once it counts (its control fifo acknowledged "enable"): a fixed
# sleep was not enough on a loaded machine, a short walk ran unrecorded.
_tp_perf()
{
	local __var=$1 ack
	shift
	rm -f "$T/tp.ctl" "$T/tp.ack"
	mkfifo "$T/tp.ctl" "$T/tp.ack" || return 1
	perf "$@" -D -1 --control "fifo:$T/tp.ctl,$T/tp.ack" >/dev/null 2>&1 &
	printf -v "$__var" %s $!
	at_exit "stop_pid $!"
	echo enable >"$T/tp.ctl"
	read -r -t 60 ack <"$T/tp.ack"
	[ "$ack" = ack ]
}

# _tp_requests WORKLOAD CACHE CMD...: one run of CMD on netbootfs with the
# request trace and perf stat on the daemon.
_tp_requests()
{
	local w=$1 cache=$2 pid ppid s n
	shift 2
	pid=$(c_pid netbootfs)
	_tp_trace_on "${CROOT[netbootfs]}" || {
		bench_log "no fuse tracepoints: transport requests skipped"
		return 0
	}
	_tp_perf ppid stat -x, -e task-clock,context-switches,cpu-migrations,raw_syscalls:sys_enter \
		-p "$pid" -o "$T/tp.stat" || bench_die "transport: perf stat did not start"
	time_cmd s "$@" || bench_die "transport: $w ($cache) failed"
	kill -INT "$ppid"
	wait "$ppid" 2>/dev/null
	_tp_trace_off
	_tp_latency netbootfs "$w" "$cache"
	echo >$TP_TR/trace
	n=$(awk -F, -v p="$TP_RUN,netbootfs,$w,$cache,all,requests," 'index($0, p) == 1 { print $NF }' \
		"$BENCH_OUT/$TP_CSV")
	_tp_add netbootfs "$w" "$cache" all wall_s "$s"
	awk -F, -v pre="$TP_RUN,netbootfs,$w,$cache,all" -v n="${n:-0}" '
		$3 == "task-clock" { printf "%s,daemon_cpu_ms,%.1f\n", pre, $1 }
		$3 == "context-switches" && n { printf "%s,ctxsw_per_req,%.2f\n", pre, $1 / n }
		$3 == "cpu-migrations" && n { printf "%s,migrations_per_req,%.3f\n", pre, $1 / n }
		$3 == "raw_syscalls:sys_enter" && n { printf "%s,syscalls_per_req,%.2f\n", pre, $1 / n }
	' "$T/tp.stat" >>"$BENCH_OUT/$TP_CSV"
	bench_log "transport $w $cache: ${s}s, ${n:-?} requests"
}

# _tp_classify DAEMON_PID WALK_PID: perf script of the system-wide record ->
# CSV rows of the CPU share of transport and work. Samples count when they
# belong to the daemon or to WALK_PID and its descendants (fork events).
_tp_classify()
{
	perf script -i "$T/tp-share.data" -F comm,pid,event,ip,sym,trace 2>/dev/null | perl -e '
		my ($daemon, $walk, $pre) = @ARGV;
		my %mine = ($walk => 1);
		my $dev = qr/\b(fuse_dev_read|fuse_dev_write|fuse_dev_splice_read|fuse_dev_splice_write|do_epoll_wait|do_epoll_ctl|do_futex)\b/;
		my $copy = qr/\b(fuse_copy_args|fuse_copy_folio|fuse_copy_page|fuse_copy_do|fuse_copy_fill|fuse_copy_one)\b/;
		my $req = qr/\b(fuse_simple_request|request_wait_answer|__fuse_request_send|fuse_request_queue_and_unlock|fuse_dev_wake_and_unlock)\b/;
		my %n; my ($who, $stack) = ("", "");
		sub flush {
			return unless $who;
			if ($who eq "d") {
				$n{$stack !~ $dev ? "daemon_work" : $stack =~ $copy ? "daemon_copy" : "daemon_transport"}++;
			}
			else { $n{$stack =~ $req ? "client_transport" : "client_work"}++; }
			$who = "";
		}
		# Samples are separated by blank lines; the first line is the header
		# "comm pid event: [trace]", the others the call chain.
		my $head = 1;
		while (<STDIN>) {
			if (/^\s*$/) { flush(); $head = 1; next; }
			if ($head) {
				$head = 0; $stack = "";
				next unless /\s(\d+)\s+([\w:-]+):\s*(.*)$/;
				my ($p, $ev, $tr) = ($1, $2, $3);
				if ($ev eq "sched:sched_process_fork") {
					$mine{$1} = 1 if $mine{$p} && $tr =~ /child_pid=(\d+)/;
					next;
				}
				$who = $p == $daemon ? "d" : $mine{$p} ? "c" : "";
				next;
			}
			$stack .= $_ if $who;
		}
		flush();
		my $busy = 0; $busy += $_ for values %n;
		exit 1 unless $busy;
		for my $k (qw(daemon_transport daemon_copy daemon_work client_transport client_work)) {
			printf "$pre,%s_pct,%.1f\n", $k, 100 * ($n{$k} // 0) / $busy;
		}
		printf "$pre,transport_pct,%.1f\n",
			100 * (($n{daemon_transport} // 0) + ($n{client_transport} // 0)) / $busy;
		print "$pre,samples,$busy\n";
	' "$1" "$2" "$TP_RUN,netbootfs,$3,warm,all" >>"$BENCH_OUT/$TP_CSV"
}

# _tp_share WALK: where the CPU goes during a warm WALK.
_tp_share()
{
	local w=$1 pid ppid wpid
	pid=$(c_pid netbootfs)
	w_run "$w" "${CROOT[netbootfs]}" >/dev/null
	_tp_perf ppid record -q -a -g -F 1999 -e cpu-clock -e sched:sched_process_fork \
		-o "$T/tp-share.data" || bench_die "transport: perf record did not start"
	(w_run "$w" "${CROOT[netbootfs]}" >/dev/null) &
	wpid=$!
	wait "$wpid" || bench_die "transport: warm $w failed"
	kill -INT "$ppid"
	wait "$ppid" 2>/dev/null
	_tp_classify "$pid" "$wpid" "$w" || bench_log "transport share $w: no samples"
	rm -f "$T/tp-share.data"
}

transport_run()
{
	local c w r us calls
	command -v perf >/dev/null || {
		bench_log "no perf: transport skipped"
		return 0
	}
	_tp_trace_init || bench_log "no fuse tracepoints: no request counts"
	csv_reset $TP_CSV "run,contender,workload,cache,opcode,metric,value"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		TP_RUN=$r
		for c in $BENCH_TRANSPORT_RTT; do
			c_up "$c" || bench_die "cannot mount $c"
			_tp_rtt "${CROOT[$c]}" >/dev/null # warm the lookup
			if _tp_trace_on "${CROOT[$c]}" 2>/dev/null; then
				us=$(_tp_rtt "${CROOT[$c]}") || bench_die "rtt $c failed"
				_tp_trace_off
				calls=$(grep -c 'fuse_request_send:.*FUSE_GETXATTR' $TP_TR/trace)
				echo >$TP_TR/trace
			else
				us=$(_tp_rtt "${CROOT[$c]}") || bench_die "rtt $c failed"
				calls=0
			fi
			_tp_add "$c" rtt warm GETXATTR us_per_call "$us"
			_tp_add "$c" rtt warm GETXATTR requests_per_call \
				"$(awk -v a="$calls" -v n="$BENCH_RTT_CALLS" 'BEGIN { printf "%.2f", a / n }')"
			bench_log "transport rtt $c: $us us"
			[ "$c" = kernel ] || _tp_rtt_placed "$c"
			c_down "$c"
		done
		c_up netbootfs || bench_die "cannot mount netbootfs"
		for w in $BENCH_TRANSPORT_WALKS; do
			drop_caches
			_tp_requests "$w" cold w_run "$w" "${CROOT[netbootfs]}"
			_tp_requests "$w" warm w_run "$w" "${CROOT[netbootfs]}"
			_tp_share "$w"
		done
		rm -rf "${CROOT[netbootfs]}/bench/created"
		_tp_requests create_small warm w_create_small "${CROOT[netbootfs]}" \
			"${CUPPER[netbootfs]}"
		c_down netbootfs
		rm -rf "${NB:?}/overlays/$BENCH_NODE"
	done
}
