#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/leftovers.sh CMD...: run CMD (e.g. `make bench`), then fail if it
# left anything behind: mounts, network namespaces, loop devices, tracefs
# instances, scratch directories, or processes it started. CI runs the
# quick benchmark through it (.ci/run) so that the harness's cleanup does
# not rot: `make bench` promises to undo everything it creates.
#
# Processes are recognised by a marker in their environment that CMD and
# everything it starts inherit (daemons that detach from the process tree
# keep it too). Everything else is a before/after snapshot: what is there
# after and was not before counts (on a machine shared with other work,
# what that work creates meanwhile would count too: CI runs alone; there,
# LEFTOVERS_ONLY=ERE counts only the lines that match ERE, e.g. the
# scratch directory's name). Exit status: CMD's
# if it failed, else 1 if something was left behind, else 0.

set -u

tag=NETBOOTFS_LEFTOVER_TAG
id=$$-$(date +%s%N)

snapshot()
{
	echo "== mounts"
	awk '{ print $2, $3 }' /proc/mounts | sort
	echo "== network namespaces"
	ls /run/netns 2>/dev/null | sort
	echo "== loop devices"
	losetup -n -O NAME,BACK-FILE 2>/dev/null | sort
	echo "== tracefs instances"
	ls /sys/kernel/tracing/instances 2>/dev/null | sort
	echo "== scratch directories"
	ls -d /tmp/nbt-* 2>/dev/null | sort
	echo "== guest halt polling (bench/lib/haltpoll.sh changes it)"
	[ -r /sys/module/haltpoll/parameters/guest_halt_poll_ns ] &&
		echo "guest_halt_poll_ns $(cat /sys/module/haltpoll/parameters/guest_halt_poll_ns)"
}

# PIDs (with their command lines) whose environment carries this run's marker
marked()
{
	local e pid
	grep -lzxF "$tag=$id" /proc/[0-9]*/environ 2>/dev/null | while read -r e; do
		pid=${e#/proc/}
		pid=${pid%/environ}
		echo "$pid $(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)"
	done
}

[ $# -gt 0 ] || {
	echo "usage: $0 CMD..." >&2
	exit 2
}
before=$(snapshot)
rc=0
env "$tag=$id" "$@" || rc=$?
# A process that was told to stop may take a moment to go.
for _ in 1 2 3 4 5 6 7 8 9 10; do
	[ -z "$(marked)" ] && break
	sleep 0.5
done
left=0
procs=$(marked)
if [ -n "$procs" ]; then
	echo "leftovers: processes started by '$*' still running:" >&2
	echo "$procs" | sed 's/^/  /' >&2
	left=1
fi
after=$(snapshot)
# Only what appeared counts: on a shared machine other work may end.
added=$(diff <(echo "$before") <(echo "$after") | sed -n 's/^> /  /p' |
	grep -E -e "${LEFTOVERS_ONLY:-.}")
if [ -n "$added" ]; then
	echo "leftovers: '$*' left these behind:" >&2
	echo "$added" | head -n 40 >&2
	[ "$(echo "$added" | wc -l)" -le 40 ] || echo "  ... ($(echo "$added" | wc -l) in all)" >&2
	left=1
fi
[ $rc -eq 0 ] || exit $rc
[ $left -eq 0 ] || exit 1
echo "leftovers: '$*' left nothing behind" >&2
