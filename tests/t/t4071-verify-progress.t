#!/bin/bash
# SPDX-License-Identifier: MIT
# A dropped-in image is verified in the background, at low priority, with a
# progress line in `netbootctl status` while the node keeps being served;
# it becomes a generation once verified, and the progress line goes away.
# With the CPUs busy the verification waits while serving goes on, and a
# stop cancels it (the file is verified at the next start).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl chrt ionice sha256sum

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
# os-b: 256 MiB of file data (4 files of 64 MiB), long enough to watch.
mkdir -p "$T/b/data"
for i in 1 2 3 4; do
	fixture_bytes $((64 << 20)) "big$i" >"$T/b/data/big$i.bin"
done
fixture_squash "$T/b" "$T/b.sqfs"
nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d
INI
nb_start || exit 1
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}

# ---- the verification thread's priority ---------------------------------
tid=$(grep -lx nb-verify /proc/"$NB_PID"/task/*/comm | head -n 1 | cut -d/ -f5)
t_like "$tid" '^[0-9]+$' "the daemon has a verification thread (nb-verify)"
t_like "$(chrt -p "$tid")" "current scheduling policy: SCHED_IDLE" "it runs at SCHED_IDLE"
t_is "$(ionice -p "$tid")" "best-effort: prio 7" "with the lowest best-effort I/O priority"
t_is "$(for t in /proc/"$NB_PID"/task/*; do chrt -p "${t##*/}"; done | grep -c SCHED_IDLE)" 1 \
	"and no other thread"

# ---- a drop-in, watched ------------------------------------------------------
n=$(nb_log_count 'os-b\.sqfs: image os-b generation')
cp "$T/b.sqfs" "$NB/images/.os-b.new"
mv "$NB/images/.os-b.new" "$NB/images/os-b.sqfs"
: >"$T/lines"
for _ in $(seq 1200); do # up to 120 s (idle priority on a busy machine)
	ctl status | grep '^verifying ' >>"$T/lines"
	[ -s "$T/active.json" ] || nb_status_json |
		json_get '$_ = (grep { $_->{active} } @{$j->{verifying}})[0]; $_ && $_->{done} > 0 ?
			"$_->{image} $_->{path} $_->{total}" : undef' | grep -v '^null$' >"$T/active.json"
	[ "$(nb_log_count 'os-b\.sqfs: image os-b generation')" -gt "$n" ] && break
	sleep 0.1
done
t_ok "os-b became a generation" nb_wait_log 'os-b\.sqfs: image os-b generation' "$n" 1
note "$(wc -l <"$T/lines") progress lines seen, first: $(head -n 1 "$T/lines"), last: $(tail -n 1 "$T/lines")"
t_ok "status showed its progress" grep -Eq '^verifying os-b: [0-9]+% \([0-9]+/256 MiB\)$' "$T/lines"
t_is "$(grep -Ev '^verifying os-b: ([0-9]+% \([0-9]+/256 MiB\)|reading its tables|waiting)$' "$T/lines")" "" \
	"every progress line is well-formed"
t_ok "the percentages never go down" perl -ne '
	next unless /: (\d+)% \((\d+)\/256 MiB\)/;
	die "$_" if $1 < $p || $1 > 100 || abs($1 - int($2 * 100 / 256)) > 1;
	$p = $1;
	END { exit 0 }' "$T/lines"
t_is "$(cat "$T/active.json")" "os-b $NB/images/os-b.sqfs $((256 << 20))" \
	"status --json: image, path and total bytes of the file being verified"
t_is "$(ctl status | grep -c '^verifying ')" 0 "once done, no progress line"
t_is "$(nb_status_json | json_get 'scalar @{$j->{verifying}}')" 0 "nor in --json"
t_is "$(nb_log_count 'os-b\.sqfs: verifying')" 1 "the log says once that it verifies os-b"
t_file_sha_eq "$NB/tftp/1a2b3c4d/kernel8.img" "$T/a/boot/firmware/kernel8.img" \
	"n1 is served as before"

# ---- busy CPUs: the verification waits, serving does not; a stop cancels it --
# Two busy loops in this session (the daemon's autogroup) keep both CPUs
# wanted: a SCHED_IDLE thread then gets next to nothing.
busy()
{
	while :; do :; done
}
# One per CPU the daemon may run on, so no CPU is left idle for it.
busy_pids=
for _ in $(seq "$(nproc)"); do
	busy &
	busy_pids="$busy_pids $!"
	at_exit "stop_pid $!"
done
cp "$T/b.sqfs" "$NB/images/.os-c.new"
mv "$NB/images/.os-c.new" "$NB/images/os-c.sqfs"
t_ok "status shows os-c being verified" wait_for "ctl status | grep -q '^verifying os-c: '" 20
t_file_sha_eq "$NB/tftp/1a2b3c4d/kernel8.img" "$T/a/boot/firmware/kernel8.img" \
	"n1 is served byte-exact meanwhile"
# "waiting": the idle-priority thread has not even picked the file up yet.
t_like "$(ctl status | grep '^verifying os-c: ')" '^verifying os-c: (([0-9]|[1-8][0-9])% |reading its tables|waiting$)' \
	"the verification is held back (not near its end)"
t0=$SECONDS
t_ok "the daemon stops in the middle of it" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
t_ok "within 10 s: the verification is cancelled, not waited for" [ $((SECONDS - t0)) -lt 10 ]
for b in $busy_pids; do
	stop_pid "$b"
done
t_is "$(nb_log_count 'os-c\.sqfs: (image os-c generation|refused)')" 0 "os-c was neither taken nor refused"
nb_start || exit 1
t_ok "the next start verifies os-c before it serves" \
	eval "tail -c '+$NB_LOG_FROM' '$NB/netbootfs.log' | grep -A1 'os-c\.sqfs: verifying' | grep -q 'image os-c generation'"
t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
