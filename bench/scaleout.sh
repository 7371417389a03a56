#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/scaleout.sh: the scale-out simulation, 5,000 nodes over 5 servers
# (issue 22). Section "scaleout" of bench/run.sh (`make bench`), or alone:
#
#   bench/scaleout.sh                    as root, after `make`
#   BENCH_QUICK=1 bench/scaleout.sh      smoke run: 500 nodes, 5 s watch
#
# Five daemons on this machine (netbootfs -S s1 ... -S s5), one ini naming
# the five servers ([server:sN], each with its own mount points and control
# socket) and 5,000 nodes, a rack profile per server pinning 1,000 nodes to
# each (BENCH_SCALEOUT_SPREAD=1: no server key, the rendezvous spread gives
# each its share, up to a few percent more; past about 1,020 nodes a daemon
# cannot start, see BENCHMARKS.md); images, overlays (with the lease files)
# and state in one directory that stands in for the shared file system.
# All five start at once. Per server:
#
#   nodes          how many nodes the spread gave it (netbootctl nodes --json)
#   start_s        exec to its "serving N nodes" line (every root mounted,
#                  every lease taken); checked: N + 1 FUSE mounts of its own
#   all_up_s       exec of the first daemon to the last "serving" line
#   rss_kib, threads, fds   /proc/PID once all five are up
#   leases         OFD locks it holds (/proc/locks, by the lease file's inode
#                  and the server= line in it); checked: = nodes
#   lease_ops_min  lease lock calls (fcntl F_OFD_SETLK/SETLKW/GETLK) it
#                  makes per minute while serving, counted by strace over
#                  BENCH_SCALEOUT_WATCH seconds (60; quick 5)
#   stop_s         SIGTERM to exit, all five stopped at once
#
# results/scaleout.csv:
#   run,server,nodes,start_s,all_up_s,rss_kib,threads,fds,leases,lease_ops_min,stop_s
# results/scaleout-machine.txt: the machine and the settings.
#
# Settings: BENCH_SCALEOUT_NODES (5000; quick 500), BENCH_SCALEOUT_SERVERS
# (5), BENCH_SCALEOUT_RUNS (3; quick 1), BENCH_SCALEOUT_WATCH,
# BENCH_SCALEOUT_SPREAD, BENCH_OUT.
# Everything it mounts, starts or creates is undone on exit (at_exit).

_so_config()
{
	local nodes=$1 servers=$2 i s
	{
		cat <<-INI
			[server]
			images = $SO/shared/images
			overlays = $SO/shared/overlays
			state = $SO/shared/state
			templates = $SO/shared/templates
			loaders = $SO/shared/loaders
			boot_gap = 60
		INI
		for ((s = 1; s <= servers; s++)); do
			cat <<-INI

				[server:s$s]
				address = $NB_NET.$s
				tftp_root = $SO/s$s/tftp
				nfs_root = $SO/s$s/nfs
				control = $SO/s$s/netbootfs.sock
				tftp_server = /usr/sbin/dnsmasq, $SO/s$s/tftpd
			INI
		done
		printf '\n[defaults]\nimage = os\n'
		if [ "$BENCH_SCALEOUT_SPREAD" != 1 ]; then
			for ((s = 1; s <= servers; s++)); do
				printf '\n[profile:rack%d]\nserver = s%d\n' "$s" "$s"
			done
		fi
		for ((i = 0; i < nodes; i++)); do
			printf '[node:n%d]\nserial = %08x\nmac = dc:a6:34:%02x:%02x:%02x\n' "$i" \
				$((0x5c000000 + i)) $(((i >> 16) & 255)) $(((i >> 8) & 255)) $((i & 255))
			[ "$BENCH_SCALEOUT_SPREAD" = 1 ] || printf 'profile = rack%d\n' $((i * servers / nodes + 1))
		done
	} >"$SO/netbootfs.ini"
}

# FUSE mounts under DIR/.
_so_mounts()
{
	awk -v p="$1/" 'index($5, p) == 1 && / - fuse/' /proc/self/mountinfo | wc -l
}

_so_us()
{
	printf '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
}

# Lease locks held per server: the OFD locks of /proc/locks whose inode is a
# lease file, counted by the server= line in that file.
_so_leases()
{
	local f
	declare -gA SO_LEASES=()
	for f in "$SO"/shared/overlays/.leases/*; do
		printf '%s %s\n' "$(stat -c '%Hd:%Ld:%i' "$f" | awk -F: '{ printf "%02x:%02x:%s", $1, $2, $3 }')" \
			"$(sed -n 's/^server=\([^ ]*\).*/\1/p' "$f")"
	done >"$SO/lease-files"
	awk '$2 == "OFDLCK" { print $6 }' /proc/locks >"$SO/ofd-inodes"
	while read -r s n; do
		SO_LEASES[$s]=$n
	done < <(awk 'NR == FNR { held[$1] = 1; next } held[$1] { n[$2]++ }
		END { for (s in n) print s, n[s] }' "$SO/ofd-inodes" "$SO/lease-files")
}

_so_one()
{
	local r=$1 servers=$2 s t0 t1 i up pid n
	declare -A pids=() start=() nodes=() rss=() thr=() fds=() ops=() stop=()

	rm -rf "$SO/shared/overlays" "$SO/shared/state"
	mkdir -p "$SO/shared/overlays" "$SO/shared/state"
	for ((s = 1; s <= servers; s++)); do
		rm -rf "$SO/s$s/nfs" && mkdir -p "$SO/s$s/nfs"
		: >"$SO/s$s/netbootfs.log"
	done
	"$NETBOOTCTL" -c "$SO/netbootfs.ini" nodes --json >"$SO/nodes.json" ||
		bench_die "netbootctl nodes failed"
	for ((s = 1; s <= servers; s++)); do
		nodes[s$s]=$(jq "[.[] | select(.server == \"s$s\")] | length" "$SO/nodes.json")
	done
	t0=$EPOCHREALTIME
	for ((s = 1; s <= servers; s++)); do
		"$NETBOOTFS" -f -c "$SO/netbootfs.ini" -S "s$s" >>"$SO/s$s/netbootfs.log" 2>&1 &
		pids[s$s]=$!
		at_exit "nb_stop_pid ${pids[s$s]}"
	done
	for ((i = 0; i < 30000 && ${#start[@]} < servers; i++)); do
		for ((s = 1; s <= servers; s++)); do
			[ -z "${start[s$s]:-}" ] || continue
			if grep -q "serving .* nodes" "$SO/s$s/netbootfs.log"; then
				t1=$EPOCHREALTIME
				start[s$s]=$((${t1/./} - ${t0/./}))
			fi
			kill -0 "${pids[s$s]}" 2>/dev/null ||
				bench_die "server s$s died: $(tail -n 3 "$SO/s$s/netbootfs.log")"
		done
		sleep 0.01
	done
	[ "${#start[@]}" -eq "$servers" ] || bench_die "not every server came up in 300 s"
	up=0
	for ((s = 1; s <= servers; s++)); do
		((start[s$s] > up)) && up=${start[s$s]}
		n=$(_so_mounts "$SO/s$s")
		[ "$n" -eq $((nodes[s$s] + 1)) ] ||
			bench_die "s$s: $n FUSE mounts, not its ${nodes[s$s]} roots + 1 boot tree"
	done
	_so_leases
	for ((s = 1; s <= servers; s++)); do
		[ "${SO_LEASES[s$s]:-0}" -eq "${nodes[s$s]}" ] ||
			bench_die "s$s holds ${SO_LEASES[s$s]:-0} leases, not ${nodes[s$s]}"
		pid=${pids[s$s]}
		rss[s$s]=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
		thr[s$s]=$(awk '/^Threads/ { print $2 }' "/proc/$pid/status")
		fds[s$s]=$(find "/proc/$pid/fd" -mindepth 1 | wc -l)
	done
	# Lease traffic while serving: every thread of every daemon traced at
	# once for the watch window.
	declare -A tracers=()
	for ((s = 1; s <= servers; s++)); do
		strace -f -qq -e trace=fcntl -o "$SO/s$s.strace" -p "${pids[s$s]}" 2>/dev/null &
		tracers[s$s]=$!
		at_exit "stop_pid ${tracers[s$s]}"
	done
	sleep "$BENCH_SCALEOUT_WATCH"
	for ((s = 1; s <= servers; s++)); do
		kill -INT "${tracers[s$s]}"
		wait "${tracers[s$s]}" 2>/dev/null
		n=$(grep -cE 'F_OFD_SETLKW?|F_OFD_GETLK' "$SO/s$s.strace")
		ops[s$s]=$(awk -v n="$n" -v w="$BENCH_SCALEOUT_WATCH" 'BEGIN { printf "%.1f", n * 60 / w }')
	done
	t0=$EPOCHREALTIME
	for ((s = 1; s <= servers; s++)); do
		kill -TERM "${pids[s$s]}"
	done
	for ((s = 1; s <= servers; s++)); do
		wait "${pids[s$s]}" 2>/dev/null
		t1=$EPOCHREALTIME
		stop[s$s]=$((${t1/./} - ${t0/./}))
	done
	for ((s = 1; s <= servers; s++)); do
		[ "$(_so_mounts "$SO/s$s")" -eq 0 ] || bench_log "s$s: mounts left after stop"
		csv_add scaleout.csv "$r" "s$s" "${nodes[s$s]}" "$(_so_us "${start[s$s]}")" "$(_so_us "$up")" \
			"${rss[s$s]}" "${thr[s$s]}" "${fds[s$s]}" "${SO_LEASES[s$s]}" "${ops[s$s]}" \
			"$(_so_us "${stop[s$s]}")"
		bench_log "run $r s$s: ${nodes[s$s]} nodes up in $((start[s$s] / 1000)) ms," \
			"RSS ${rss[s$s]} KiB, ${SO_LEASES[s$s]} leases, ${ops[s$s]} lease ops/min," \
			"stop $((stop[s$s] / 1000)) ms"
	done
	bench_log "run $r: all $servers servers up in $((up / 1000)) ms"
}

scaleout_run()
{
	local r s servers=$BENCH_SCALEOUT_SERVERS
	command -v strace >/dev/null && command -v jq >/dev/null || bench_die "scaleout needs strace and jq"
	SO=$T/scaleout
	mkdir -p "$SO/shared"/{images,overlays,state,templates,loaders} || bench_die "cannot make $SO"
	for ((s = 1; s <= servers; s++)); do
		mkdir -p "$SO/s$s/tftp" && cp "$(command -v cat)" "$SO/s$s/tftpd" || bench_die "cannot make $SO/s$s"
		at_exit "NB='$SO/s$s' nb_umount_all"
	done
	fixture_boot_tree "$SO/os" scaleout && fixture_squash "$SO/os" "$SO/shared/images/os.sqfs" ||
		bench_die "cannot make the image"
	_so_config "$BENCH_SCALEOUT_NODES" "$servers"
	csv_reset scaleout.csv "run,server,nodes,start_s,all_up_s,rss_kib,threads,fds,leases,lease_ops_min,stop_s"
	{
		cat "$BENCH_OUT/machine.txt" 2>/dev/null || {
			echo "date: $(date -u +%FT%TZ)"
			echo "daemon: ${BENCH_DAEMON_REV:-$(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null)} ($NETBOOTFS)"
			echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
			echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
			echo "kernel: $(uname -r)"
			echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
		}
		echo "scaleout: $BENCH_SCALEOUT_NODES nodes, $servers servers, $BENCH_SCALEOUT_RUNS runs," \
			"lease traffic watched for $BENCH_SCALEOUT_WATCH s; shared directory on" \
			"$(df -T "$SO" | awk 'NR == 2 { print $2 }')"
	} >"$BENCH_OUT/scaleout-machine.txt"
	for ((r = 1; r <= BENCH_SCALEOUT_RUNS; r++)); do
		_so_one "$r" "$servers"
	done
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck source=lib/common.sh
	. "$(dirname "$0")/lib/common.sh"
	[ "$(id -u)" -eq 0 ] || bench_die "needs root (mounts)"
	[ -x "$NETBOOTFS" ] || bench_die "no $NETBOOTFS: make all first (or set NETBOOTFS_BUILD)"
	scaleout_run
fi
