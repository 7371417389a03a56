#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/leftovers.sh, the check CI runs the quick benchmark through: it must
# pass a command that cleans up after itself and fail, naming the thing,
# a command that leaves a mount, a network namespace or a detached process
# behind; a failing command's exit status comes through.
. "$(dirname "$0")/../lib/test-lib.sh"

require_root
require_cmd ip setsid
plan 12

LO=$SRCDIR/bench/leftovers.sh
ns=nbt-leftover-$$
# Tests run in parallel: only what this test creates counts (the processes
# are told apart by leftovers.sh's own environment marker anyway).
export LEFTOVERS_ONLY="$T|$ns|guest_halt_poll_ns"

# run_lo CMD...: leftovers.sh CMD..., its stderr in $T/lo.err, status in $rc
run_lo()
{
	rc=0
	"$LO" "$@" 2>"$T/lo.err" || rc=$?
}

run_lo sh -c 'mkdir "$0/m" && mount -t tmpfs none "$0/m" && umount "$0/m"' "$T"
t_is "$rc" 0 "a command that undoes its mount passes"
t_like "$(cat "$T/lo.err")" "left nothing behind" "and says so"

mkdir -p "$T/m" # the first command made it
at_exit "lazy_umount '$T/m'"
run_lo mount -t tmpfs none "$T/m"
t_is "$rc" 1 "a mount left behind fails the run"
t_ok "naming the mount point and type" grep -qxF "  $T/m tmpfs" "$T/lo.err"
lazy_umount "$T/m"

at_exit "ip netns del $ns 2>/dev/null; true"
run_lo ip netns add "$ns"
t_is "$rc" 1 "a network namespace left behind fails the run"
t_ok "naming the namespace" grep -qxF "  $ns" "$T/lo.err"
ip netns del "$ns"

# A detached daemon: not a child of anything the command waits for.
run_lo sh -c 'setsid sleep 300 </dev/null >/dev/null 2>&1 & echo $! >"$0/pid"' "$T"
pid=$(cat "$T/pid")
at_exit "stop_pid $pid"
t_is "$rc" 1 "a process left running fails the run"
t_ok "naming its PID and command line" grep -qF "  $pid sleep 300" "$T/lo.err"
stop_pid "$pid"

run_lo sh -c 'exit 3'
t_is "$rc" 3 "a failing command's exit status comes through"
t_is "$(cat "$T/lo.err")" "" "with nothing to report"

# The haltpoll bench section changes guest halt polling: a run that does
# not put it back leaves the machine slower or busier than it found it.
knob=/sys/module/haltpoll/parameters/guest_halt_poll_ns
if [ -w "$knob" ]; then
	orig=$(cat "$knob")
	[ "$orig" = 1234 ] && other=4321 || other=1234
	at_exit "echo '$orig' >'$knob'"
	run_lo sh -c 'echo "$1" >"$0"' "$knob" "$other"
	t_is "$rc" 1 "a changed guest halt polling setting fails the run"
	t_ok "naming the setting and the value left" grep -qxF "  guest_halt_poll_ns $other" "$T/lo.err"
	echo "$orig" >"$knob"
else
	skip "no writable $knob (no haltpoll cpuidle governor)" 2
fi
