# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# common.sh: settings, timing and CSV output for bench/run.sh.
#
# The test helpers (tests/lib/*.sh) give the cleanup stack (at_exit), stop_pid,
# wait_for, lazy_umount, network namespaces and dnsmasq; $T is the scratch
# directory, removed on exit together with every mount, namespace and process
# registered with at_exit.
#
# Settings (environment):
#   BENCH_QUICK=1        smoke run (a few minutes): small tree, 2 runs, small N
#   BENCH_TREE=DIR       the real OS tree packed into the image (/usr/share)
#   BENCH_RUNS=N         runs per figure (5; quick 2)
#   BENCH_ONLY="..."     sections: reads writes boot flood scale scaleout mapper nfs restart verify
#                        profile transport haltpoll report
#   BENCH_CONTENDERS=".." read contenders (netbootfs squashfuse_ll squashfuse
#                        kernel fuse-overlayfs local)
#   BENCH_STORM="8 32 64"  boot storm client counts
#   BENCH_SCALE="10 100 1000"  node counts for the daemon scale runs
#   BENCH_RESTART_NODES=N  nodes of the restart section (1000; quick 100),
#   BENCH_RESTART_SCENARIOS="clean crash reload"  (bench/lib/restart.sh)
#   BENCH_SCALEOUT_NODES, _SERVERS, _RUNS, _WATCH  the scale-out simulation
#                        (bench/scaleout.sh: 5000 nodes, 5 servers, 3 runs, 60 s)
#   FLOOD_RATE, FLOOD_SECS, FLOOD_BOOTS  the unknown-client flood (lib/flood.sh)
#   BENCH_NFS_CONTENDERS, _WORKS, _FILES, _DIRS, _TRACE  the NFS section
#                        (lib/nfs.sh: netbootfs ext4 overlay; walk read ls
#                        create; 10,000 files in 100 dirs, quick 500 in 10)
#   BENCH_HALTPOLL_ON, _READERS, _WRITERS, _WRITES, _NFS  the guest halt polling
#                        section (lib/haltpoll.sh: 200000 ns against the
#                        machine's value)
#   BENCH_VERIFY_COMPS=".."  compressions of the verify section (gzip xz lzo lz4 zstd)
#   BENCH_VERIFY_COPIES=N  image copies verified during the readers' tar (4; quick 2)
#   BENCH_OUT=DIR        CSV and plots (bench/results; quick: /tmp/netbootfs-bench-quick)
#   BENCH_UNTAR_MIB=N    size of the small-file tar of the untar/rm writes (100; quick 10)
#   BENCH_CACHE=DIR      image and unpacked tree, reused between runs
#                        (/var/cache/netbootfs-bench)
#   NETBOOTFS_BUILD=DIR  the daemon's build dir (build/)
#   BENCH_DAEMON_REV=..  what to call that build in machine.txt (default: the
#                        commit of this tree)

BENCH_DIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# test-lib.sh names its scratch dir after $0 and checks a TAP plan on exit;
# the harness prints no TAP, so it marks the plan as met right away.
# shellcheck source=../../tests/lib/test-lib.sh
. "$BENCH_DIR/../tests/lib/test-lib.sh"
_t_plan=0
_t_done=1
# shellcheck source=../../tests/lib/fixtures.sh
. "$SRCDIR/tests/lib/fixtures.sh"
# shellcheck source=../../tests/lib/netbootfs.sh
. "$SRCDIR/tests/lib/netbootfs.sh"
# shellcheck source=../../tests/lib/netns.sh
. "$SRCDIR/tests/lib/netns.sh"
# shellcheck source=../../tests/lib/services.sh
. "$SRCDIR/tests/lib/services.sh"

BENCH_QUICK=${BENCH_QUICK:-0}
if [ "$BENCH_QUICK" = 1 ]; then
	BENCH_TREE=${BENCH_TREE:-/usr/share/perl}
	BENCH_RUNS=${BENCH_RUNS:-2}
	BENCH_READS=${BENCH_READS:-meta tar du grep seq rand4k par1 par4}
	BENCH_STORM=${BENCH_STORM:-4 8}
	BENCH_SCALE=${BENCH_SCALE:-10 100}
	BENCH_BIG_MIB=${BENCH_BIG_MIB:-16}
	BENCH_UNTAR_MIB=${BENCH_UNTAR_MIB:-10}
	BENCH_RAND_READS=${BENCH_RAND_READS:-300}
	BENCH_VERIFY_COPIES=${BENCH_VERIFY_COPIES:-2}
	BENCH_SCALEOUT_NODES=${BENCH_SCALEOUT_NODES:-500}
	BENCH_SCALEOUT_RUNS=${BENCH_SCALEOUT_RUNS:-1}
	BENCH_SCALEOUT_WATCH=${BENCH_SCALEOUT_WATCH:-5}
	BENCH_OUT=${BENCH_OUT:-/tmp/netbootfs-bench-quick}
	BENCH_REPORT=${BENCH_REPORT:-$BENCH_OUT/BENCHMARKS.md}
else
	BENCH_TREE=${BENCH_TREE:-/usr/share}
	BENCH_RUNS=${BENCH_RUNS:-5}
	BENCH_STORM=${BENCH_STORM:-8 32 64}
	BENCH_SCALE=${BENCH_SCALE:-10 100 1000}
	BENCH_SCALEOUT_NODES=${BENCH_SCALEOUT_NODES:-5000}
	BENCH_SCALEOUT_RUNS=${BENCH_SCALEOUT_RUNS:-3}
	BENCH_SCALEOUT_WATCH=${BENCH_SCALEOUT_WATCH:-60}
	BENCH_BIG_MIB=${BENCH_BIG_MIB:-100}
	BENCH_UNTAR_MIB=${BENCH_UNTAR_MIB:-100}
	BENCH_RAND_READS=${BENCH_RAND_READS:-2000}
	BENCH_OUT=${BENCH_OUT:-$BENCH_DIR/results}
	BENCH_REPORT=${BENCH_REPORT:-$SRCDIR/BENCHMARKS.md}
fi
BENCH_SCALEOUT_SERVERS=${BENCH_SCALEOUT_SERVERS:-5}
BENCH_SCALEOUT_SPREAD=${BENCH_SCALEOUT_SPREAD:-0}
BENCH_ONLY=${BENCH_ONLY:-reads writes boot flood scale scaleout mapper nfs restart verify profile transport haltpoll report}
BENCH_CONTENDERS=${BENCH_CONTENDERS:-netbootfs squashfuse_ll squashfuse kernel fuse-overlayfs local}
BENCH_WRITERS=${BENCH_WRITERS:-netbootfs kernel fuse-overlayfs}
BENCH_CACHE=${BENCH_CACHE:-/var/cache/netbootfs-bench}
BENCH_PLOTS=${BENCH_PLOTS:-$BENCH_DIR/plots}
[ "$BENCH_QUICK" = 1 ] && BENCH_PLOTS=$BENCH_OUT/plots

bench_log()
{
	printf '[%s] %s\n' "$(date +%T)" "$*" >&2
}

bench_die()
{
	bench_log "FATAL: $*"
	if [ -n "${NB:-}" ] && [ -s "$NB/netbootfs.log" ]; then
		bench_log "netbootfs log (last lines):"
		tail -n 5 "$NB/netbootfs.log" >&2
	fi
	exit 1
}

bench_wants()
{
	[[ " $BENCH_ONLY " == *" $1 "* ]]
}

# Empty the page, dentry and inode caches (the "cold" state).
drop_caches()
{
	sync
	echo 3 >/proc/sys/vm/drop_caches
}

# time_cmd VAR CMD...: run CMD (stdout kept in $T/.out), wall seconds in VAR.
time_cmd()
{
	local __var=$1 t0 t1 rc=0 us
	shift
	t0=$EPOCHREALTIME
	"$@" >"$T/.out" 2>"$T/.err" || rc=$?
	t1=$EPOCHREALTIME
	us=$((${t1/./} - ${t0/./}))
	printf -v "$__var" '%d.%06d' $((us / 1000000)) $((us % 1000000))
	if [ $rc -ne 0 ]; then
		bench_log "command failed ($rc): $*"
		head -n 5 "$T/.err" >&2
	fi
	return $rc
}

# cpu_busy_ticks: clock ticks every CPU spent busy since boot (user, nice,
# system, irq, softirq; not idle, iowait or steal), from /proc/stat.
cpu_busy_ticks()
{
	local _cpu user nice system _idle _iowait irq softirq _rest
	read -r _cpu user nice system _idle _iowait irq softirq _rest </proc/stat
	echo $((user + nice + system + irq + softirq))
}

# _cpu_ticks PID FIELD...: the sum of /proc/PID/stat's FIELDs (numbered as
# in proc(5), 14 utime, 15 stime, 16 cutime, 17 cstime), 0 without PID.
_cpu_ticks()
{
	local pid=$1 f n=0 stat
	shift
	[ -n "$pid" ] && stat=$(cat "/proc/$pid/stat" 2>/dev/null) || {
		echo 0
		return
	}
	# shellcheck disable=SC2206 # split on purpose, after the "(comm)"
	stat=(${stat##*) })
	for f in "$@"; do
		n=$((n + stat[f - 3]))
	done
	echo "$n"
}

_ticks_s()
{
	awk -v t="$1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# csv_open FILE HEADER: start FILE unless it exists with the same header.
csv_open()
{
	local f=$BENCH_OUT/$1
	mkdir -p "$BENCH_OUT"
	if [ ! -s "$f" ] || [ "$(head -n1 "$f")" != "$2" ]; then
		echo "$2" >"$f"
	fi
}

# csv_reset FILE HEADER: a fresh file (a section that is run again replaces
# its own results and keeps the other sections').
csv_reset()
{
	mkdir -p "$BENCH_OUT"
	echo "$2" >"$BENCH_OUT/$1"
}

csv_add()
{
	local f=$BENCH_OUT/$1
	shift
	(
		IFS=,
		echo "$*"
	) >>"$f"
}

# The haltpoll governor's polling limit (lib/haltpoll.sh).
HALTPOLL_NS_FILE=/sys/module/haltpoll/parameters/guest_halt_poll_ns

# "DRIVER GOVERNOR POLL_NS" of this machine's cpuidle ("-" where absent).
cpuidle_state()
{
	local d=/sys/devices/system/cpu/cpuidle
	printf '%s %s %s\n' "$(cat $d/current_driver 2>/dev/null || echo -)" \
		"$(cat $d/current_governor_ro 2>/dev/null || cat $d/current_governor 2>/dev/null || echo -)" \
		"$(cat "$HALTPOLL_NS_FILE" 2>/dev/null || echo -)"
}

bench_machine()
{
	local f=$BENCH_OUT/machine.txt
	mkdir -p "$BENCH_OUT" "$BENCH_CACHE"
	{
		echo "date: $(date -u +%FT%TZ)"
		echo "daemon: ${BENCH_DAEMON_REV:-$(git -C "$SRCDIR" rev-parse --short HEAD 2>/dev/null)$(git -C "$SRCDIR" diff --quiet -- . ':!bench/results' 2>/dev/null || echo ' (+ uncommitted changes)')} ($NETBOOTFS)"
		echo "cpu: $(nproc) x $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)"
		echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
		echo "kernel: $(uname -r)"
		echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
		echo "disk: $(df -T "$BENCH_CACHE" | awk 'NR == 2 { print $1, $2 }')"
		echo "libfuse: $(pkg-config --modversion fuse3 2>/dev/null)"
		echo "squashfuse: $(dpkg-query -W -f '${Version}' squashfuse 2>/dev/null)"
		echo "fuse-overlayfs: $(dpkg-query -W -f '${Version}' fuse-overlayfs 2>/dev/null)"
		echo "dnsmasq: $(dpkg-query -W -f '${Version}' dnsmasq-base 2>/dev/null)"
		echo "busybox: $(dpkg-query -W -f '${Version}' busybox-static 2>/dev/null)"
		echo "curl (boot storm client): $(dpkg-query -W -f '${Version}' curl 2>/dev/null)"
		echo "cpuidle (driver, governor, guest_halt_poll_ns): $(cpuidle_state)"
		echo "tree: $BENCH_TREE"
		echo "runs: $BENCH_RUNS"
		echo "quick: $BENCH_QUICK"
		echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)"
	} >"$f"
}
