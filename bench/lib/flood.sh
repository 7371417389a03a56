# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# flood.sh: one node boots over TFTP through dnsmasq while another namespace
# floods the server with requests of clients it does not know (issue 17:
# 300 requests/s for random <serial>/start4.elf once stretched a node's
# 30 MiB kernel from 1.7 s to 33.5 s, past the Pi's TFTP timeout, because
# each one rewrote <state>/discovered while dnsmasq waited).
#
# dnsmasq serves netbootfs's <tftp_root>. The node is the boot storm's
# client 0 (bootstorm.sh: the same namespaces, dnsmasq, curl client and Pi 4
# file list, start4.elf ... kernel8.img, about 32 MiB). Each run boots it
# FLOOD_BOOTS times with and FLOOD_BOOTS times without the flood (the order
# alternating between runs), caches dropped before each boot.
# The flood (bench/lib/tftp_flood.py) comes from a namespace of its own at
# FLOOD_RATE requests/s, each from a port of its own; it starts FLOOD_LEAD
# seconds before the first boot and lasts FLOOD_SECS seconds (and at most
# FLOOD_RATE x FLOOD_SECS requests), longer than the boots.
#
# The same boots from a plain directory (one <serial>/ copy, as in the
# boot storm) under the same flood are the control: what the flood costs
# dnsmasq, the network and the shared CPUs whatever serves the files.
#
# Within each flood's time window: the writes of <state>/discovered
# (inotify, tests/lib/statewatch.c) and the daemon's log lines about
# unknown clients, given per minute. The 1-minute load average at the
# start of each boot is kept too: the machine is shared.
#
# results/flood.csv:        run,source,flood,boot_s,boot_ok,load1,flood_rate,flood_sent,flood_answered,flood_s,state_writes,log_lines,boot_in_flood
#                           (boot_s: the median of the run's boots; boot_ok 0 if one failed a file;
#                           boot_in_flood 1 if the last boot ended before the flood)
# results/flood-boots.csv:  run,source,flood,boot,seconds
# results/flood-machine.txt: machine.txt of the sitting that ran this section

FLOOD_RATE=${FLOOD_RATE:-300}
FLOOD_LEAD=${FLOOD_LEAD:-2}
if [ "$BENCH_QUICK" = 1 ]; then
	FLOOD_SECS=${FLOOD_SECS:-12}
	FLOOD_BOOTS=${FLOOD_BOOTS:-3}
else
	FLOOD_SECS=${FLOOD_SECS:-30}
	FLOOD_BOOTS=${FLOOD_BOOTS:-5}
fi
FLOOD_SERIAL_SEED=${FLOOD_SERIAL_SEED:-17}

# _flood_count_log FROM TO: the daemon's lines about unknown clients
# stamped within [FROM, TO] (epoch seconds).
_flood_count_log()
{
	perl -MTime::Local -ne '
		BEGIN { ($a, $b) = splice(@ARGV, 0, 2); $n = 0 }
		next unless /unknown client/;
		next unless /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d+)Z /;
		my $t = timegm($6, $5, $4, $3, $2 - 1, $1) + $7 / 1000;
		$n++ if $t >= $a && $t <= $b;
		END { print "$n\n" }' "$1" "$2" "$NB/netbootfs.log"
}

# _flood_count_writes FROM TO: writes of <state>/discovered within [FROM, TO].
_flood_count_writes()
{
	awk -v a="$1" -v b="$2" '$1 != "ready" && $1 >= a && $1 <= b { n++ } END { print n + 0 }' \
		"$T/flood-writes"
}

# _flood_boots RUN SOURCE MODE: FLOOD_BOOTS boots of client 0 one after
# the other, each after drop_caches; MODE "on" with the flood. The row has
# their median (a single boot of half a second is at the mercy of the
# shared machine's scheduler) and, for the flood, the counts within its
# window (netbootfs's; none for the plain directory).
_flood_boots()
{
	local r=$1 src=$2 mode=$3 out=$T/flood-$1-$2-$3 fpid t0 t1 tend boot ok=1 load1 fs sent answered writes lines in k
	load1=$(cut -d' ' -f1 /proc/loadavg)
	if [ "$mode" = on ]; then
		t0=$EPOCHREALTIME
		ns_exec flood python3 "$BENCH_DIR/lib/tftp_flood.py" "$NB_SERVER_IP" "$FLOOD_RATE" \
			$((FLOOD_RATE * FLOOD_SECS)) "$FLOOD_SECS" $((FLOOD_SERIAL_SEED + r)) \
			>"$out.flood" 2>&1 &
		fpid=$!
		sleep "$FLOOD_LEAD"
	fi
	for ((k = 1; k <= FLOOD_BOOTS; k++)); do
		drop_caches
		_storm_clients 1 "$out.$k"
		boot=$(awk '$1 == "total" { printf "%.4f", $2 / 1e6 }' "$out.$k")
		if [ "$(awk '$1 == 0 { print $3 }' "$out.$k")" != 1 ]; then
			ok=0
			head -n 3 "$out.$k.err" >&2
		fi
		csv_add flood-boots.csv "$r" "$src" "$mode" "$k" "$boot"
		echo "$boot"
	done >"$out.boots"
	t1=$EPOCHREALTIME # the last boot's end
	boot=$(_percentile 50 <"$out.boots")
	if [ "$mode" = on ]; then
		wait "$fpid"
		read -r _ sent _ _ _ answered _ _ _ fs <"$out.flood" || bench_die "flood: $(cat "$out.flood")"
		in=$(awk -v a="$t0" -v s="$fs" -v e="$t1" 'BEGIN { print e <= a + s ? 1 : 0 }')
		# Let the last summary line and write land, then count.
		sleep 11
		# The window: from the first request to the last.
		tend=$(awk -v a="$t0" -v s="$fs" 'BEGIN { printf "%.3f", a + s }')
		writes=0 lines=0
		if [ "$src" = netbootfs ]; then
			writes=$(_flood_count_writes "$t0" "$tend")
			lines=$(_flood_count_log "$t0" "$tend")
		fi
		csv_add flood.csv "$r" "$src" on "$boot" "$ok" "$load1" "$FLOOD_RATE" "$sent" "$answered" "$fs" \
			"$writes" "$lines" "$in"
		bench_log "run $r $src: $FLOOD_BOOTS boots under a flood of $sent requests in ${fs}s ($answered answered): median ${boot}s; $writes state-file writes, $lines log lines"
	else
		csv_add flood.csv "$r" "$src" off "$boot" "$ok" "$load1" 0 0 0 0 0 0 0
		bench_log "run $r $src: $FLOOD_BOOTS boots without flood: median ${boot}s"
	fi
}

flood_run()
{
	local r src mode wpid
	csv_reset flood.csv "run,source,flood,boot_s,boot_ok,load1,flood_rate,flood_sent,flood_answered,flood_s,state_writes,log_lines,boot_in_flood"
	csv_reset flood-boots.csv "run,source,flood,boot,seconds"
	# The section may run in a sitting of its own: say which.
	cp "$BENCH_OUT/machine.txt" "$BENCH_OUT/flood-machine.txt"
	[ -x "$NB_BUILD/tests/statewatch" ] || bench_die "no $NB_BUILD/tests/statewatch (make all)"
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	_storm_netns
	ns_create flood &&
		ns_link srv flood "$NB_SERVER_IP/24" dc:a6:32:ff:00:02 "$NB_NET.3/24" || bench_die "netns"
	_storm_netbootfs 1 || bench_die "netbootfs for the flood"
	_storm_plain 1 || bench_die "plain tftp dir"
	"$NB_BUILD/tests/statewatch" "$NB/state" discovered >"$T/flood-writes" 2>"$T/flood-watch.err" &
	wpid=$!
	at_exit "stop_pid $wpid"
	wait_for "grep -qx ready '$T/flood-writes'" 10 || bench_die "statewatch: $(cat "$T/flood-watch.err")"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for src in $(_rotate "$r" netbootfs plain); do
			# tftp-max as dnsmasq's default (50): the flood's transfers end at once.
			if [ "$src" = netbootfs ]; then
				_storm_dnsmasq "$NB/tftp" 20 || bench_die "dnsmasq"
			else
				_storm_dnsmasq "$T/plain" 20 || bench_die "dnsmasq"
			fi
			[ "$r" = 1 ] && _storm_verify "$src"
			for mode in $(_rotate "$r" off on); do
				_flood_boots "$r" "$src" "$mode"
			done
			stop_pid "$SVC_PID" 10
		done
	done
	stop_pid "$wpid"
	nb_stop
	NB_PID=
}
