#!/bin/bash
# SPDX-License-Identifier: MIT
# Unknown clients cost nothing per request (issue 17): a burst of lookups of
# unknown serials on the TFTP mount writes <state>/discovered a handful of
# times and logs a handful of lines, not once per request; `netbootctl
# discovered` lists every one of them after the flush interval; the daemon
# keeps at most DISCOVERED_MAX of them (the newest); a clean stop flushes.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs python3
STATEWATCH=$NB_BUILD/tests/statewatch
[ -x "$STATEWATCH" ] || skip_all "no $STATEWATCH (build first)"

FLUSH=5	    # seconds between writes of <state>/discovered (docs/design.md)
# A write begins on the daemon's clock but lands (rename after fsync) when
# the disk lets it: on a loaded CI machine a write landed more than FLUSH s
# late. So the flush interval is judged by when writes began (statewatch -b
# stamps each one), and the test waits up to LAND s for a write to land or
# to be seen.
LAND=60
LOG_EVERY=10 # seconds between summary log lines
CAP=4096    # clients kept (DISCOVERED_MAX)

nb_layout
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
nb_one_node_config os-a
nb_start || exit 1
tftp=$NB/tftp

# statewatch's lines go to a tmpfs: its own appends must not wait for the
# disk that the state file's writes wait for.
mkdir "$T/watch"
mount -t tmpfs -o size=1m nbt-watch "$T/watch" || { echo "Bail out! cannot mount a tmpfs"; exit 1; }
at_exit "lazy_umount '$T/watch'"
"$STATEWATCH" -b "$NB/state" discovered >"$T/watch/writes" 2>"$T/watch.err" &
watch_pid=$!
at_exit "stop_pid $watch_pid"
wait_for "grep -qx ready '$T/watch/writes'" 10 || { echo "Bail out! statewatch: $(cat "$T/watch.err")"; exit 1; }

# names FILE SEED N: N distinct random serials, none of them n1's.
names()
{
	python3 -c '
import random, sys
r = random.Random(int(sys.argv[1]))
seen = {0x1a2b3c4d}
while len(seen) < int(sys.argv[2]) + 1:
    v = r.getrandbits(32)
    if v not in seen:
        seen.add(v)
        print("%08x" % v)
' "$2" "$3" >"$1"
}

# lookups FILE: stat <tftp>/<name>/start4.elf for each name, in order, as
# dnsmasq does for a request; prints how many were ENOENT.
lookups()
{
	python3 -c '
import os, sys
n = 0
for name in open(sys.argv[2]).read().split():
    try:
        os.stat(os.path.join(sys.argv[1], name, "start4.elf"))
    except FileNotFoundError:
        n += 1
print(n)
' "$tftp" "$1"
}

writes() { grep -cE '^[0-9]' "$T/watch/writes"; }
begins() { grep -c '^begin ' "$T/watch/writes"; }
# The time the Nth write began.
begin_time() { awk -v n="$1" '$1 == "begin" && ++i == n { print $2 }' "$T/watch/writes"; }
now() { date +%s.%N; }
# ceil((b - a) / d)
periods() { python3 -c 'import math, sys; print(math.ceil((float(sys.argv[2]) - float(sys.argv[1])) / float(sys.argv[3])))' "$@"; }
ids() {
	"$NETBOOTCTL" -c "$NB_CONF" discovered --json |
		python3 -c 'import json, sys; print("\n".join(sorted(d["id"] for d in json.load(sys.stdin))))'
}
# Lines about unknown clients the daemon logged since byte offset $1.
unknown_lines() { tail -c "+$1" "$NB/netbootfs.log" | grep -E 'unknown client'; }
log_offset() { echo $(($(wc -c <"$NB/netbootfs.log") + 1)); }
# Requests the log accounts for: one per line naming a client, plus N of
# each "N requests from M unknown clients" summary.
logged_requests()
{
	unknown_lines "$1" | awk '
		/unknown client [0-9a-f-]+ asked/ { n++ }
		match($0, /: [0-9]+ requests from [0-9]+ unknown clients in the last [0-9]+ s/) {
			split(substr($0, RSTART + 2), w, " "); n += w[1]
		}
		END { print n + 0 }'
}

# within_interval N T1 WHAT: the Nth write began at most one flush interval
# after T1, the end of the lookups it took (as much again for a starved
# thread).
within_interval()
{
	local b
	b=$(begin_time "$1")
	note "write $1 began $(python3 -c "print('%.1f' % ($b - $2))") s after the last lookup"
	t_ok "$3 began within the flush interval (at most $((FLUSH * 2)) s after the last lookup)" \
		python3 -c "import sys; sys.exit(not $b - $2 <= $((FLUSH * 2)))"
}

# check_costs N T0 T2 W0 OFF: N lookups began at T0 and were all listed by
# T2; W0 writes and OFF bytes of log before. One write per FLUSH s, one log
# line per LOG_EVERY s (the summary of the last interval may come LOG_EVERY
# s later), and the lines account for every request.
check_costs()
{
	local n=$1 t0=$2 t2=$3 w0=$4 off=$5 n_writes max_writes t3 n_lines max_lines
	n_writes=$(($(writes) - w0))
	max_writes=$(($(periods "$t0" "$t2" $FLUSH) + 1))
	note "state file written $n_writes times in $(python3 -c "print('%.1f' % ($t2 - $t0))") s"
	t_ok "state file written $n_writes times for $n clients (at most $max_writes: one per ${FLUSH} s)" \
		test "$n_writes" -ge 1 -a "$n_writes" -le "$max_writes"
	wait_for "[ \"\$(logged_requests $off)\" -ge $n ]" $((LOG_EVERY * 2))
	t3=$(now)
	n_lines=$(unknown_lines "$off" | wc -l)
	max_lines=$(($(periods "$t0" "$t3" $LOG_EVERY) + 2))
	t_ok "$n_lines log lines about unknown clients (at most $max_lines: one per ${LOG_EVERY} s)" \
		test "$n_lines" -ge 1 -a "$n_lines" -le "$max_lines"
	t_is "$(logged_requests "$off")" "$n" "the lines account for every one of the $n requests"
}

# ---- a burst of 2,000 unknown clients --------------------------------

N=2000
names "$T/burst" 1 $N
off=$(log_offset)
w0=$(writes)
t0=$(now)
t_is "$(lookups "$T/burst")" "$N" "$N lookups of unknown serials: all ENOENT"
t1=$(now)
note "burst of $N lookups took $(python3 -c "print('%.2f' % ($t1 - $t0))") s"
sort "$T/burst" >"$T/burst.sorted"
wait_for "[ \"\$(ids | wc -l)\" = $N ]" $((FLUSH * 3 + LAND))
t2=$(now)
t_is "$(ids)" "$(cat "$T/burst.sorted")" "discovered lists exactly the $N unknown serials"
within_interval "$(begins)" "$t1" "... by a write that"
t_is "$("$NETBOOTCTL" -c "$NB_CONF" discovered --json | python3 -c '
import json, sys
v = json.load(sys.stdin)
print(sorted(set((d["via"], d["count"]) for d in v)))')" "[('tftp', 1)]" "... each seen once, via tftp"
check_costs $N "$t0" "$t2" "$w0" "$off"
t_like "$(unknown_lines "$off" | head -n 1)" "unknown client $(head -n 1 "$T/burst") asked for its boot tree\$" \
	"the first unknown client after a quiet spell is named"
t_like "$(unknown_lines "$off" | tail -n 1)" ": [0-9]+ requests from [0-9]+ unknown clients in the last [0-9]+ s\$" \
	"the rest are summed up per interval"

t_file_sha_eq "$tftp/1a2b3c4d/start4.elf" "$T/a/boot/firmware/start4.elf" "the known node is still served"

# ---- more distinct clients than the cap -----------------------------

M=$((CAP + 1000))
names "$T/many" 2 $M
off=$(log_offset)
w0=$(writes)
t0=$(now)
t_is "$(lookups "$T/many")" "$M" "$M more unknown serials: all ENOENT"
tail -n $CAP "$T/many" | sort >"$T/newest"
t1=$(now)
wait_for "[ \"\$(ids)\" = \"\$(cat '$T/newest')\" ]" $((FLUSH * 3 + LAND))
t2=$(now)
t_is "$(ids)" "$(cat "$T/newest")" "discovered keeps exactly the newest $CAP clients"
within_interval "$(begins)" "$t1" "... by a write that"
check_costs $M "$t0" "$t2" "$w0" "$off"

# ---- a clean stop writes what is pending ------------------------------

echo 0badc0dd >"$T/one"
b0=$(begins)
w0=$(writes)
lookups "$T/one" >/dev/null
t1=$(now)
t_ok "one more client: a write begins" wait_for "[ \$(begins) -gt $b0 ]" $LAND
within_interval $((b0 + 1)) "$t1" "... and"
t_ok "... and lands" wait_for "[ \$(writes) -gt $w0 ]" $LAND
t_is "$(ids | grep -cx 0badc0dd)" 1 "... listing it"

# A write takes what was counted when it began; the next is FLUSH s after
# it. Clients looked up right after a write began wait in memory, and only
# the stop can write them, if it comes within FLUSH s.
echo 0badc0dc >"$T/mark"
printf '%s\n' 0badc0de 0badc0df dc-a6-32-77-77-77 >"$T/last"
b0=$(begins)
w0=$(writes)
lookups "$T/mark" >/dev/null
t_ok "a write begins for the next client" wait_for "[ \$(begins) -gt $b0 ]" $LAND
lookups "$T/last" >/dev/null
stop_at=$(now)
t_ok "netbootfs stops cleanly" nb_stop
t_is "$NB_STATUS" 0 "... exit 0"
t_is "$(ids | grep -cE '^(0badc0dc|0badc0de|0badc0df|dc-a6-32-77-77-77)$')" 4 "the last four are written"
t_is "$(($(begins) - b0))" 2 "... by two writes: the next client's and one more"
t_ok "... which began after the stop was asked for (no write of the daemon's own took them)" \
	python3 -c "import sys; sys.exit(not $(begin_time $((b0 + 2))) >= $stop_at)"
t_is "$(($(writes) - w0))" 2 "... and both landed"
t_is "$(ids | wc -l)" "$CAP" "still no more than $CAP"

done_testing
