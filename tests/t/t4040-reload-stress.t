#!/bin/bash
# SPDX-License-Identifier: MIT
# 50 reloads in a row, each adding or removing a node (so mounting or
# unmounting its root), while readers keep reading boot trees and roots of
# the other nodes: no failed read, no leaked file descriptor, no growth of
# the daemon's RSS beyond noise.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl cmp

# Under ASan, freed memory waits in a quarantine (256 MiB by default) that
# would look like growth.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4"
RELOADS=50
nb_layout
for n in n1 n2 n3 n4 n5; do
	at_exit "lazy_umount '$NB/nfs/$n'"
done
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b"
config() # $1 = with n5 or not
{
	cat <<-INI
		default_image = os-a

		[defaults]
		image = os-a
		cmdline = quiet

		[node:n1]
		serial = 1a2b3c4d

		[node:n2]
		image = os-b
		serial = 2b3c4d5e

		[node:n3]
		serial = 3c4d5e6f
		mac = dc:a6:32:00:00:03

		[node:n4]
		image = os-b
		serial = 4d5e6f70
	INI
	[ "$1" = yes ] && printf '\n[node:n5]\nimage = os-b\nserial = 5e6f7081\n'
	true
}
# A 1 s boot gap makes removed nodes idle quickly; the readers never leave
# a node's boot tree silent that long, so no reader sees a boot.
export NB_BOOT_GAP=1
config yes | nb_write_config
nb_start || exit 1
for n in n1 n2 n3 n4 n5; do
	wait_mounted "$NB/nfs/$n" 10 || {
		echo "Bail out! $NB/nfs/$n is not mounted"
		exit 1
	}
done
tftp=$NB/tftp
fw=boot/firmware

# ---- readers ----------------------------------------------------------
reader() # $1 = id; the rest: pairs of (served file, expected file)
{
	local id=$1 i=0 k
	shift
	local files=("$@")
	while [ ! -e "$T/stop" ]; do
		for ((k = 0; k < ${#files[@]}; k += 2)); do
			cmp -s "${files[k]}" "${files[k + 1]}" ||
				echo "reader $id pass $i: ${files[k]} differs or failed" >>"$T/fail"
		done
		i=$((i + 1))
		sleep 0.02 # leave the daemon some CPU on 2 cores
	done
	echo "$i" >"$T/passes.$id"
}
printf 'n2\n' >"$T/hostname.n2"
reader 1 "$tftp/1a2b3c4d/config.txt" "$T/a/$fw/config.txt" \
	"$tftp/1a2b3c4d/four-k.bin" "$T/a/$fw/four-k.bin" \
	"$tftp/1a2b3c4d/overlays/vc4-kms-v3d.dtbo" "$T/a/$fw/overlays/vc4-kms-v3d.dtbo" &
pids=($!)
reader 2 "$NB/nfs/n2/etc/shadow" "$T/b/etc/shadow" \
	"$NB/nfs/n2/etc/hostname" "$T/hostname.n2" \
	"$NB/nfs/n2/$fw/fixup4.dat" "$T/b/$fw/fixup4.dat" &
pids+=($!)
reader 3 "$tftp/dc-a6-32-00-00-03/one-m.bin" "$T/a/$fw/one-m.bin" \
	"$NB/nfs/n3/$fw/bcm2711-rpi-4-b.dtb" "$T/a/$fw/bcm2711-rpi-4-b.dtb" &
pids+=($!)
reader 4 "$tftp/4d5e6f70/start4.elf" "$T/b/$fw/start4.elf" \
	"$NB/nfs/n4/etc/fixture-variant" "$T/b/etc/fixture-variant" &
pids+=($!)
for p in "${pids[@]}"; do
	at_exit "stop_pid $p"
done
cat "$tftp/4d5e6f70/cmdline.txt" >"$T/cmdline.n4" # n4's cmdline before the reloads

fds()
{
	ls "/proc/$NB_PID/fd" | wc -l
}
rss_kb()
{
	awk '/^VmRSS:/ { print $2 }' "/proc/$NB_PID/status"
}
reloads() # $1 = how many; alternates without / with n5
{
	local i
	for ((i = 0; i < $1; i++)); do
		if ((i % 2 == 0)); then config no; else config yes; fi | nb_reconfig || return 1
	done
}
settled() # n5 back, mounted; every removed root gone
{
	is_mounted "$NB/nfs/n5" && [ "$(nb_status_json | json_get 'scalar @{$j->{nodes}}')" = 5 ]
}

# Warm up (allocator pools, first mounts), then measure.
reloads 6
wait_for settled 10
fds0=$(fds)
rss0=$(rss_kb)
n=$(nb_log_count ': reloaded')
t_ok "$RELOADS reloads in a row" reloads "$RELOADS"
t_is "$(($(nb_log_count ': reloaded') - n))" "$RELOADS" "each one logged"
t_ok "n5 is back and mounted" wait_for settled 10
t_ok "n5's root was unmounted and mounted again along the way" \
	test "$(nb_log_count 'node n5: no longer in the config and idle')" -ge $((RELOADS / 2))

touch "$T/stop"
wait "${pids[@]}"
t_ok "no failed read" test ! -s "$T/fail"
[ -s "$T/fail" ] && head -n 20 "$T/fail" | _t_diag_stream
t_like "$(cat "$T"/passes.* | sort -n | head -n 1)" '^[0-9]*[1-9][0-9]*$' \
	"every reader made passes during the reloads ($(cat "$T"/passes.* | tr '\n' ' '))"
t_is "$(cat "$tftp/4d5e6f70/cmdline.txt")" "$(cat "$T/cmdline.n4")" "n4's cmdline.txt unchanged"

fds1=$(fds)
rss1=$(rss_kb)
t_is "$fds1" "$fds0" "no leaked file descriptor ($fds0 before, $fds1 after)"
note "RSS: ${rss0} KiB after warm-up, ${rss1} KiB after $RELOADS reloads"
t_ok "RSS grew by less than 8 MiB ($((rss1 - rss0)) KiB)" test $((rss1 - rss0)) -lt 8192
t_fails "no sanitizer report" nb_log_has "AddressSanitizer|LeakSanitizer|runtime error"

t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
