#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl check warns, in text and in --json, when a VM's cpuidle driver
# is haltpoll and guest halt polling is off (guest_halt_poll_ns = 0): each
# FUSE round trip then pays a vCPU wake-up. A warning, never a problem: the
# exit status stays 0. First on a sysfs tree of the test's own (every
# machine), then on the real setting, which the test puts back on exit.
. "$(dirname "$0")/../lib/test-lib.sh"

[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"
require_cmd python3

KNOB=/sys/module/haltpoll/parameters/guest_halt_poll_ns
DRIVER=/sys/devices/system/cpu/cpuidle/current_driver

mkdir -p "$T/images"
printf '[server]\nimages = %s\n' "$T/images" >"$T/c.ini"

# warning_for FILE: the exact text check prints for FILE at 0.
warning_for()
{
	echo "$1 is 0 with the cpuidle driver haltpoll: each FUSE round trip then pays a vCPU wake-up (an IPI and a VM exit, tens of microseconds); set it now with 'echo 200000 > $1' and at boot with the kernel parameter haltpoll.guest_halt_poll_ns=200000"
}

# run_check SYSFS [--json]: stdout in $T/out, stderr in $T/err, status in rc.
run_check()
{
	local sysfs=$1
	shift
	rc=0
	NETBOOTCTL_SYSFS=$sysfs "$NETBOOTCTL" -c "$T/c.ini" check "$@" >"$T/out" 2>"$T/err" || rc=$?
}

# json_warnings: the "warnings" array of $T/out, one per line; "ok" first.
json_warnings()
{
	python3 -c 'import json, sys
o = json.load(open(sys.argv[1]))
print("ok" if o["ok"] is True and o["problems"] == 0 else "not ok")
for w in o["warnings"]:
    print(w)' "$T/out"
}

# expect_warning SYSFS FILE WHAT: text and JSON carry the warning for FILE.
expect_warning()
{
	local sysfs=$1 file=$2 what=$3 w
	w=$(warning_for "$file")
	run_check "$sysfs"
	t_is "$rc $(cat "$T/err")" "0 warning: $w" "$what: the warning on stderr, exit 0"
	t_is "$(head -n1 "$T/out")" "ok: 0 nodes, 0 images" "$what: the result line is unchanged"
	run_check "$sysfs" --json
	t_is "$rc $(json_warnings)" "0 ok
$w" "$what: --json: the same text in warnings, ok stays true"
	t_is "$(cat "$T/err")" "" "$what: --json: nothing on stderr"
}

# expect_none SYSFS WHAT: neither text nor JSON has a warning.
expect_none()
{
	local sysfs=$1 what=$2
	run_check "$sysfs"
	t_is "$rc $(cat "$T/err")" "0 " "$what: no warning"
	run_check "$sysfs" --json
	t_is "$rc $(json_warnings)" "0 ok" "$what: --json: warnings is empty"
}

# A sysfs tree of our own: DRIVER and NS as given.
fake_sysfs()
{
	local d=$T/sysfs-$1-$2
	mkdir -p "$d/devices/system/cpu/cpuidle" "$d/module/haltpoll/parameters"
	echo "$1" >"$d/devices/system/cpu/cpuidle/current_driver"
	echo "$2" >"$d/module/haltpoll/parameters/guest_halt_poll_ns"
	echo "$d"
}

fake=$(fake_sysfs haltpoll 0)
expect_warning "$fake" "$fake/module/haltpoll/parameters/guest_halt_poll_ns" "fake haltpoll at 0"
expect_none "$(fake_sysfs haltpoll 200000)" "fake haltpoll at 200000"
expect_none "$(fake_sysfs acpi_idle 0)" "fake acpi_idle driver, setting 0"
expect_none "$T/no-such-sysfs" "no cpuidle or haltpoll files"

# The real setting: 0, then 200000; the machine's value back on exit.
if [ ! -e "$KNOB" ]; then
	skip "no $KNOB on this machine (no haltpoll governor)" 11
elif [ "$(cat "$DRIVER" 2>/dev/null)" != haltpoll ]; then
	skip "cpuidle driver is $(cat "$DRIVER" 2>/dev/null || echo none), not haltpoll" 11
elif [ ! -w "$KNOB" ]; then
	skip "$KNOB is not writable (needs root)" 11
else
	orig=$(cat "$KNOB")
	at_exit "echo '$orig' >'$KNOB'"
	echo 0 >"$KNOB"
	t_is "$(cat "$KNOB")" 0 "the real setting is 0"
	expect_warning /sys "$KNOB" "real haltpoll at 0"
	run_check ""
	t_is "$(cat "$T/err")" "warning: $(warning_for "$KNOB")" "an empty NETBOOTCTL_SYSFS reads /sys"
	echo 200000 >"$KNOB"
	t_is "$(cat "$KNOB")" 200000 "the real setting is 200000"
	expect_none /sys "real haltpoll at 200000"
	run_check ""
	t_is "$rc $(cat "$T/err")" "0 " "an empty NETBOOTCTL_SYSFS reads /sys: no warning at 200000"
	echo "$orig" >"$KNOB"
	t_is "$(cat "$KNOB")" "$orig" "the machine's value is back"
fi
done_testing
