# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# profile.sh: where the daemon spends its time. FUSE requests by opcode
# for every read workload (requests.csv, profile_requests); perf record -g
# on the netbootfs process (all its threads, user and kernel) while the
# metadata walk and the full read run, warm and cold; the flat self-time profile and
# the per-DSO split go to results/perf-<walk>-<cache>.txt.
# (perf.data itself stays in the scratch dir: it is large.)

BENCH_PROFILE=${BENCH_PROFILE:-meta tar}
# DWARF unwinding: libz and libsquashfuse have no frame pointers, and the
# callers inside the daemon are the point. A low rate keeps perf.data small.
BENCH_PERF_ARGS=${BENCH_PERF_ARGS:---call-graph dwarf,8192 -F 149}

# fuse_requests MNT CMD...: FUSE requests to the mount at MNT by opcode
# while CMD runs (the kernel's fuse tracepoints, filtered on MNT's
# connection: other FUSE mounts of a shared machine do not count). Prints
# "OPCODE count" lines, most frequent first, and "LOST n" when the trace
# buffer overflowed; only CMD's output without tracefs.
#
# It traces into a tracefs instance of its own (removed on exit): the
# global buffer, tracing_on and event settings, which other tools on the
# machine may be using, are never touched.
fuse_requests()
{
	local inst ev mm lost
	mm=$(mountpoint -d "$1")
	shift
	if ! fuse_trace_instance; then
		"$@" >/dev/null
		return 0
	fi
	inst=$FUSE_TRACE_INST
	ev=$inst/events/fuse/fuse_request_send
	echo >"$inst/trace"
	# The tracepoint's connection is the kernel's dev_t: MAJOR << 20 | MINOR.
	echo "connection == $((${mm%%:*} << 20 | ${mm##*:}))" >"$ev/filter"
	echo 1 >"$ev/enable"
	echo 1 >"$inst/tracing_on"
	"$@" >/dev/null
	echo 0 >"$inst/tracing_on"
	echo 0 >"$ev/enable"
	echo 0 >"$ev/filter"
	grep -o 'opcode [0-9]* ([A-Z_]*)' "$inst/trace" | awk '{ n[$3]++ } END { for (k in n) print n[k], k }' |
		sort -rn | tr -d '()' | awk '{ print $2, $1 }'
	# "# entries-in-buffer/entries-written: 123/123   #P:2"
	lost=$(awk -F'[ /:]+' '/entries-in-buffer/ { print $5 - $4; exit }' "$inst/trace")
	[ "${lost:-0}" -eq 0 ] || echo "LOST $lost"
	echo >"$inst/trace"
}

# fuse_trace_instance: make the tracefs instance once (FUSE_TRACE_INST);
# fails where the kernel has no fuse tracepoints (Debian 12's own 6.1 has none).
fuse_trace_instance()
{
	local tr=/sys/kernel/tracing inst
	[ -z "${FUSE_TRACE_INST:-}" ] || return 0
	if [ ! -d $tr/events ] && mount -t tracefs nodev $tr 2>/dev/null; then
		at_exit "umount $tr"
	fi
	inst=$tr/instances/netbootfs-bench-$$
	[ -d $tr/events/fuse/fuse_request_send ] && mkdir "$inst" 2>/dev/null || return 1
	at_exit "rmdir '$inst'"
	echo 0 >"$inst/tracing_on"
	# KiB per CPU: room for about 600,000 events (a cold tar of the
	# 66,000-entry tree sends about 160,000 requests)
	echo 32768 >"$inst/buffer_size_kb"
	FUSE_TRACE_INST=$inst
}

# requests.csv: workload,cache,opcode,count. FUSE requests to netbootfs by
# opcode for one run of each read workload, cold (caches dropped) and then
# warm, as the reads section runs them: where the time goes, in figures the
# machine's load does not change.
BENCH_REQ_READS=${BENCH_REQ_READS:-meta tar du grep seq rand4k par1}

profile_requests()
{
	local w mode op n
	rm -f "$BENCH_OUT/requests.csv"
	fuse_trace_instance || {
		bench_log "no fuse tracepoints in this kernel: FUSE request counts skipped"
		return 0
	}
	csv_reset requests.csv "workload,cache,opcode,count"
	for w in $BENCH_REQ_READS; do
		for mode in cold warm; do
			[ $mode = cold ] && drop_caches
			fuse_requests "${CROOT[netbootfs]}" w_run "$w" "${CROOT[netbootfs]}" >"$T/req.out" ||
				bench_die "$w on netbootfs failed"
			while read -r op n; do
				[ "$op" != LOST ] || bench_log "requests $w $mode: the trace buffer lost $n events"
				csv_add requests.csv "$w" "$mode" "$op" "$n"
			done <"$T/req.out"
			# a run that sent no request at all (warm, all cached) keeps its column
			[ -s "$T/req.out" ] || csv_add requests.csv "$w" "$mode" none 0
			bench_log "requests $w $mode: $(awk '{ n += $2 } END { print n + 0 }' "$T/req.out") FUSE requests"
		done
	done
}

profile_run()
{
	local w mode pid ppid data txt s
	c_up netbootfs || bench_die "cannot mount netbootfs"
	profile_requests
	command -v perf >/dev/null || {
		bench_log "no perf: profile skipped"
		c_down netbootfs
		return 0
	}
	pid=$(c_pid netbootfs)
	for w in $BENCH_PROFILE; do
		for mode in warm cold; do
			if [ $mode = warm ]; then
				w_run "$w" "${CROOT[netbootfs]}" >/dev/null
			else
				drop_caches
			fi
			data=$T/perf-$w-$mode.data
			# shellcheck disable=SC2086
			perf record -q $BENCH_PERF_ARGS -p "$pid" -o "$data" >/dev/null 2>&1 &
			ppid=$!
			at_exit "stop_pid $ppid"
			sleep 0.5
			time_cmd s w_run "$w" "${CROOT[netbootfs]}"
			kill -INT "$ppid"
			wait "$ppid" 2>/dev/null
			txt=$BENCH_OUT/perf-$w-$mode.txt
			[ $mode = warm ] || drop_caches
			{
				echo "# perf record $BENCH_PERF_ARGS -p <netbootfs> during '$w' ($mode): ${s}s"
				echo "# --- FUSE requests by opcode (another run, same state)"
				fuse_requests "${CROOT[netbootfs]}" w_run "$w" "${CROOT[netbootfs]}"
				echo "# --- self time by DSO"
				perf report -i "$data" --stdio --no-children --sort dso -g none 2>/dev/null |
					grep -v '^#' | grep -v '^$' | head -n 8
				echo "# --- self time by symbol"
				perf report -i "$data" --stdio --no-children --sort dso,symbol -g none \
					--percent-limit 0.7 2>/dev/null | grep -v '^#' | grep -v '^$' | head -n 40
				echo "# --- inclusive time (children) of daemon functions"
				perf report -i "$data" --stdio --children --sort dso,symbol -g none \
					--percent-limit 3 2>/dev/null | grep -v '^#' | grep -v '^$' |
					grep -E 'netbootfs|libsquashfuse|libfuse' | head -n 40
			} >"$txt"
			bench_log "profile $w $mode: ${s}s, $txt"
		done
	done
	profile_creates "$pid"
	c_down netbootfs
}

# What creating a file costs the daemon, in figures the machine's load does
# not move: FUSE requests by opcode and system calls, per file created.
profile_creates()
{
	local pid=$1 ppid n txt=$BENCH_OUT/perf-create_small.txt
	rm -rf "${CROOT[netbootfs]}/bench/created"
	perf stat -x, -e raw_syscalls:sys_enter -p "$pid" -o "$T/creates.stat" 2>/dev/null &
	ppid=$!
	at_exit "stop_pid $ppid"
	sleep 0.5
	{
		echo "# FUSE requests by opcode, and the daemon's system calls, while creating 10,000 files (create_small)"
		fuse_requests "${CROOT[netbootfs]}" w_create_small "${CROOT[netbootfs]}" \
			"${CUPPER[netbootfs]}"
		kill -INT "$ppid"
		wait "$ppid" 2>/dev/null
		n=$(awk -F, '/raw_syscalls/ { print $1 }' "$T/creates.stat")
		echo "system calls of the daemon: ${n:-?} ($(awk -v n="${n:-0}" 'BEGIN { printf "%.1f", n / 10000 }') per file)"
	} >"$txt"
	bench_log "profile create_small: $txt"
}
