# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# scale.sh: the daemon with 10, 100 and 1,000 nodes (one root mount each),
# and the node table's lookup latency with 10 to 100,000 nodes.
#
#   start_s   from exec to the "serving N nodes" log line (every mount up;
#             checked: N + 1 FUSE mounts, and a stat of every root answers)
#   rss_kib, threads, fds    /proc/PID after the stat of every root
#   stop_s    SIGTERM to exit (every mount gone)
#
# results/scale.csv:  run,nodes,start_s,rss_kib,threads,fds,stop_s
# results/mapper.csv: run,nodes,ns_per_lookup_name,ns_per_lookup_serial,ns_per_lookup_mac,ns_per_record_read

_scale_config()
{
	local n=$1 i
	{
		printf '[defaults]\nimage = bench\noverlay = persistent\n'
		for ((i = 0; i < n; i++)); do
			printf '[node:n%d]\nserial = %08x\nmac = dc:a6:33:%02x:%02x:%02x\n' "$i" \
				$((0x7a000000 + i)) $(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255))
		done
	} | nb_write_config
}

_scale_fuse_mounts()
{
	awk -v p="$NB/" 'index($5, p) == 1 && / - fuse/' /proc/self/mountinfo | wc -l
}

_scale_one()
{
	local r=$1 n=$2 t0 t1 pid rss thr fds up stop us i
	rm -rf "$NB/overlays" "$NB/nfs"
	mkdir -p "$NB/overlays" "$NB/nfs"
	: >"$NB/netbootfs.log"
	t0=$EPOCHREALTIME
	"$NETBOOTFS" -f -c "$NB_CONF" >>"$NB/netbootfs.log" 2>&1 &
	pid=$!
	at_exit "nb_stop_pid $pid"
	for ((i = 0; i < 6000; i++)); do
		grep -q "serving .* nodes" "$NB/netbootfs.log" && break
		kill -0 "$pid" 2>/dev/null || bench_die "netbootfs died with $n nodes: $(tail -n 3 "$NB/netbootfs.log")"
		sleep 0.01
	done
	t1=$EPOCHREALTIME
	us=$((${t1/./} - ${t0/./}))
	up=$(_scale_fuse_mounts)
	[ "$up" -eq $((n + 1)) ] || bench_die "$n nodes: $up FUSE mounts instead of $((n + 1))"
	stat -c %i "$NB"/nfs/* >/dev/null || bench_die "$n nodes: a root does not answer"
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	thr=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
	fds=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	t0=$EPOCHREALTIME
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	t1=$EPOCHREALTIME
	stop=$((${t1/./} - ${t0/./}))
	[ "$(_scale_fuse_mounts)" -eq 0 ] || {
		bench_log "$n nodes: mounts left after stop"
		nb_umount_all
	}
	csv_add scale.csv "$r" "$n" "$(printf '%d.%06d' $((us / 1000000)) $((us % 1000000)))" \
		"$rss" "$thr" "$fds" "$(printf '%d.%06d' $((stop / 1000000)) $((stop % 1000000)))"
	bench_log "run $r scale $n nodes: up in $((us / 1000)) ms, RSS ${rss} KiB, $thr threads, $fds fds, stop $((stop / 1000)) ms"
}

scale_run()
{
	local r n
	csv_reset scale.csv "run,nodes,start_s,rss_kib,threads,fds,stop_s"
	[ -n "${NB:-}" ] || nb_layout
	nb_place_image
	for n in $BENCH_SCALE; do
		_scale_config "$n"
		for ((r = 1; r <= BENCH_RUNS; r++)); do
			_scale_one "$r" "$n"
		done
	done
}

mapper_run()
{
	local bin=$NB_BUILD/bench/mapper_lookup r
	# Always through make: a binary older than the mapper it links is stale.
	make -C "$SRCDIR" --no-print-directory O="$NB_BUILD" "$NB_BUILD/bench/mapper_lookup" >&2 ||
		bench_die "cannot build $bin"
	csv_reset mapper.csv "run,nodes,ns_per_lookup_name,ns_per_lookup_serial,ns_per_lookup_mac,ns_per_record_read"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		"$bin" | tail -n +2 | sed "s/^/$r,/" >>"$BENCH_OUT/mapper.csv" || bench_die "mapper_lookup failed"
		bench_log "run $r mapper lookups: $(tail -n1 "$BENCH_OUT/mapper.csv")"
	done
}
