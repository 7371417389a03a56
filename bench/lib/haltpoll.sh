# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# haltpoll.sh: what the guest kernel's idle polling is worth to a FUSE
# daemon in a virtual machine. With the cpuidle driver haltpoll, a vCPU
# with nothing to run polls for up to guest_halt_poll_ns before it halts;
# at 0 it halts at once, and every FUSE round trip then waits for a halted
# vCPU to be woken (an IPI and a VM exit, some 30 µs each way on the
# machine this was written on). The same workloads, in one run, with the
# setting alternating from repetition to repetition (odd runs: the
# machine's own value first; even runs: the other first):
#
#   off   the machine's value ($HALTPOLL_NS_FILE as found)
#   on    $BENCH_HALTPOLL_ON ns (200000, Linux's default)
#
# Workloads (each through the code of its own section):
#   rtt           µs per FUSE round trip (transport.sh's _tp_rtt); the
#                 kernel's figure is the bare system call
#   meta, tar     the metadata walk and the tar of every byte, cold and
#                 warm (reads.sh's read_one; $BENCH_HALTPOLL_WALKS)
#   create_small, untar_small, rm_small  on a fresh upper, caches dropped
#                 (writes.sh's write_one; $BENCH_HALTPOLL_WRITES)
#   nfs_walk      the NFS walk (bench/nfsbench over Ganesha, nfs.sh's
#                 nfs_one) cold, right after Ganesha started on a fresh
#                 contender, and warm, right after
# on netbootfs, kernel squashfs + overlayfs, and for rtt and meta
# squashfuse_ll ($BENCH_HALTPOLL_READERS, $BENCH_HALTPOLL_WRITERS); the NFS
# walk on a netbootfs node root and on the unpacked tree on ext4
# ($BENCH_HALTPOLL_NFS; empty: no NFS).
#
# The setting is put back to the machine's value at the end and, through
# at_exit, on every other way out (a failed run, Ctrl-C). Without the
# haltpoll cpuidle driver (bare metal, another driver) the section logs
# that and records nothing.
#
# results/haltpoll.csv: run,setting,poll_ns,workload,cache,contender,value,unit,check
# (value: µs per call for rtt, the 1-minute load average at the start of
# each setting's block for loadavg, else seconds)

BENCH_HALTPOLL_ON=${BENCH_HALTPOLL_ON:-200000}
BENCH_HALTPOLL_READERS=${BENCH_HALTPOLL_READERS:-netbootfs kernel squashfuse_ll}
BENCH_HALTPOLL_WRITERS=${BENCH_HALTPOLL_WRITERS:-netbootfs kernel}
BENCH_HALTPOLL_WALKS=${BENCH_HALTPOLL_WALKS:-meta tar}
BENCH_HALTPOLL_WRITES=${BENCH_HALTPOLL_WRITES:-create_small untar_small rm_small}
BENCH_HALTPOLL_NFS=${BENCH_HALTPOLL_NFS-netbootfs ext4}
HP_CSV=haltpoll.csv

_hp_set()
{
	echo "$1" >"$HALTPOLL_NS_FILE" || bench_die "cannot write $1 to $HALTPOLL_NS_FILE"
	[ "$(cat "$HALTPOLL_NS_FILE")" = "$1" ] || bench_die "$HALTPOLL_NS_FILE did not take $1"
}

_hp_add()
{
	csv_add $HP_CSV "$HP_RUN" "$HP_SETTING" "$HP_NS" "$@"
}

# The writes' check values must agree between the contenders.
declare -A HP_WCHECK

# _hp_block: every workload once at the current setting.
_hp_block()
{
	local c w mode row us check label="run $HP_RUN $HP_SETTING ($HP_NS ns)"
	# a busy machine's vCPUs seldom halt: the load says how much of the
	# difference a run could show
	_hp_add loadavg - - "$(cut -d' ' -f1 /proc/loadavg)" load ""
	# fresh, empty uppers: the walks count the image's entries only
	for c in $BENCH_HALTPOLL_WRITERS; do
		c_reset "$c" || bench_die "cannot mount $c"
	done
	for c in $(_rotate "$HP_RUN" $BENCH_HALTPOLL_READERS); do
		_tp_rtt "${CROOT[$c]}" >/dev/null # warm the lookup
		us=$(_tp_rtt "${CROOT[$c]}") || bench_die "rtt $c failed"
		_hp_add rtt warm "$c" "$us" us ""
		bench_log "$label rtt $c: $us us"
		for w in $BENCH_HALTPOLL_WALKS; do
			for mode in cold warm; do
				read_one row "$label" "$w" "$mode" "$c"
				_hp_add "$w" "$mode" "$c" "${row%%,*}" s "$(cut -d, -f2 <<<"$row")"
			done
		done
	done
	for c in $(_rotate "$HP_RUN" $BENCH_HALTPOLL_WRITERS); do
		for w in $BENCH_HALTPOLL_WRITES; do
			write_one row "$label" "$w" "$c"
			IFS=, read -r _ check _ <<<"$row"
			[ -n "${HP_WCHECK[$w]:-}" ] || HP_WCHECK[$w]=$check
			[ "$check" = "${HP_WCHECK[$w]}" ] ||
				bench_die "$w on $c left $check, expected ${HP_WCHECK[$w]}: a broken contender"
			_hp_add "$w" cold "$c" "${row%%,*}" s "$check"
		done
	done
	for c in $(_rotate "$HP_RUN" $BENCH_HALTPOLL_NFS); do
		nfs_cold "$c"
		for mode in cold warm; do
			# the run is only a label here: no request counts into nfs-fuse.csv
			BENCH_NFS_TRACE=0 nfs_one row "$HP_RUN $HP_SETTING" walk "$mode" "$c"
			_hp_add nfs_walk "$mode" "$c" "${row%%,*}" s "$(cut -d, -f2 <<<"$row")"
		done
		nfs_done "$c"
	done
}

haltpoll_run()
{
	local driver gov orig c r s
	read -r driver gov orig < <(cpuidle_state)
	csv_reset $HP_CSV "run,setting,poll_ns,workload,cache,contender,value,unit,check"
	if [ "$driver" != haltpoll ] || [ ! -w "$HALTPOLL_NS_FILE" ]; then
		bench_log "haltpoll: cpuidle driver '$driver', governor '$gov', $HALTPOLL_NS_FILE: $orig: no guest halt polling to measure on this machine"
		return 0
	fi
	# From here on every way out puts the machine's value back.
	at_exit "echo '$orig' >'$HALTPOLL_NS_FILE'"
	writes_prepare $BENCH_HALTPOLL_WRITES
	[ -z "$BENCH_HALTPOLL_NFS" ] || nfs_prepare
	# the writers are mounted fresh by each block
	for c in $BENCH_HALTPOLL_READERS; do
		[[ " $BENCH_HALTPOLL_WRITERS " == *" $c "* ]] || c_up "$c" || bench_die "cannot mount $c"
	done
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		HP_RUN=$r
		for s in $( ((r % 2)) && echo off on || echo on off); do
			HP_SETTING=$s
			[ "$s" = off ] && HP_NS=$orig || HP_NS=$BENCH_HALTPOLL_ON
			_hp_set "$HP_NS"
			_hp_block
		done
	done
	_hp_set "$orig"
	for c in $BENCH_HALTPOLL_READERS $BENCH_HALTPOLL_WRITERS; do
		c_down "$c"
	done
	[ -z "${NB:-}" ] || rm -rf "$NB/overlays/$BENCH_NODE"
	bench_log "haltpoll: $HALTPOLL_NS_FILE back at $orig"
}
