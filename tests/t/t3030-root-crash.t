#!/bin/bash
# Copy-up is atomic: a daemon killed with SIGKILL in the middle of copying
# up a 100 MiB image file leaves either the image version or the complete
# new one, and no temporary file in the node's view. ENOSPC on the overlay
# filesystem comes back as ENOSPC, leaves no partial copy-up, and the daemon
# keeps serving.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -m 0755 "$img/big"
# Five 100 MiB image files with the same bytes: mksquashfs stores the data
# once, each is its own lower file.
fixture_bytes 104857600 big >"$img/big/f0"
for i in 1 2 3 4; do
	cp "$img/big/f0" "$img/big/f$i"
done
chmod 0644 "$img/big"/f*
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1

start()
{
	nb_start || return 1
	wait_mounted "$R" 10
}
if ! start; then
	echo "Bail out! the daemon or $R did not come up"
	exit 1
fi

lower_sha=$(sha256sum <"$img/big/f0" | cut -d' ' -f1)
new_sha=$({ cat "$img/big/f0" && printf 'APPENDED'; } | sha256sum | cut -d' ' -f1)
(cd "$R/big" && ls -A) >"$T/names-before"
(cd "$R" && ls -A) >"$T/root-before"

# Calibration: an uninterrupted append-copy-up of f0, timed.
t0=$(date +%s%N)
printf 'APPENDED' >>"$R/big/f0"
rc=$?
t1=$(date +%s%N)
ms=$(((t1 - t0) / 1000000))
ok $rc "append to a 100 MiB image file (copy-up took $ms ms)"
t_is "$(sha256sum <"$R/big/f0" | cut -d' ' -f1)" "$new_sha" "the copied-up file is the image file + the appended bytes"
t_is "$(sha256sum <"$U/big/f0" | cut -d' ' -f1)" "$new_sha" "the same bytes in overlays/n1/"
[ "$ms" -ge 30 ] || ms=30

# Kill the daemon at 10 %, 50 % and 90 % of that time into a copy-up of a
# fresh image file, restart, and look at the file.
crash_round()
{
	local file=$1 delay_ms=$2 what=$3 pid got
	if [ "$what" == append ]; then
		(printf 'APPENDED' >>"$R/big/$file") 2>/dev/null &
	else
		(chmod 0600 "$R/big/$file") 2>/dev/null &
	fi
	pid=$!
	sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
	nb_kill9
	wait "$pid"
	note "$what of $file with SIGKILL after $delay_ms ms: the writer exited $?"
	start || return 1
	got=$(sha256sum <"$R/big/$file" | cut -d' ' -f1)
	if [ "$what" == append ]; then
		case $got in
		"$lower_sha") note "$file: the image version survived" ;;
		"$new_sha") note "$file: the new version survived" ;;
		*) diag "$file: sha256 $got is neither version (size $(stat -c %s "$R/big/$file"))"; return 1 ;;
		esac
	else
		[ "$got" == "$lower_sha" ] || { diag "$file: content changed by chmod: $got"; return 1; }
		case $(stat -c %a "$R/big/$file") in
		644 | 600) note "$file: mode $(stat -c %a "$R/big/$file")" ;;
		*) diag "$file: mode $(stat -c %a "$R/big/$file")"; return 1 ;;
		esac
	fi
}
no_temp_files()
{
	diff -u "$T/names-before" <(cd "$R/big" && ls -A) &&
		diff -u "$T/root-before" <(cd "$R" && ls -A) &&
		{ [ ! -d "$U/big" ] || [ -z "$(ls -A "$U/big" | grep -vxE 'f[0-4]')" ]; }
}
round=0
for pct in 10 50 90; do
	round=$((round + 1))
	delay=$((ms * pct / 100))
	crash_round "f$round" "$delay" append
	ok $? "SIGKILL $pct % into an append copy-up: f$round is the image or the complete new version"
	t_ok "no temporary file in the node's view or overlay dir" no_temp_files
done
crash_round f4 $((ms / 2)) chmod
ok $? "SIGKILL 50 % into a chmod copy-up: f4 has the image content and mode 644 or 600"
t_ok "no temporary file in the node's view or overlay dir" no_temp_files
t_is "$(sha256sum <"$R/big/f0" | cut -d' ' -f1)" "$new_sha" "the completed copy-up of f0 survived the kills"
leftover=$(find "$NB/overlays/.work/n1" -mindepth 1 2>/dev/null | wc -l)
note "entries left in overlays/.work/n1 after the kills and restarts: $leftover"
t_ok "daemon stops" nb_stop

# ---- ENOSPC: overlays on an 8 MiB tmpfs -------------------------------------
t_ok "mount an 8 MiB tmpfs on the overlays dir" mount -t tmpfs -o size=8m,mode=0755 nbt-ovl "$NB/overlays"
at_exit "umount -l '$NB/overlays'"
start || exit 1
printf 'keep me\n' >"$R/etc/small"
fixture_bytes 3000000 small >"$R/etc/medium"
medium_sha=$(fixture_bytes 3000000 small | sha256sum | cut -d' ' -f1)
t_is "$(cat "$R/etc/small")" "keep me" "a small file on the tmpfs overlay"
fixture_bytes 20971520 twenty >"$T/twenty"
err=$(dd if="$T/twenty" of="$R/etc/big-new" bs=1M 2>&1 >/dev/null)
rc=$?
t_ok "writing 20 MiB fails" test $rc -ne 0
t_like "$err" "No space left on device" "with ENOSPC"
consistent()
{
	local f=$1 src=$2 n
	[ -e "$f" ] || return 0
	n=$(stat -c %s "$f")
	note "$(basename "$f"): $n bytes kept"
	[ "$n" -lt "$(stat -c %s "$src")" ] &&
		cmp -s "$f" <(head -c "$n" "$src")
}
t_ok "the new file is absent or a consistent prefix of what was written" consistent "$R/etc/big-new" "$T/twenty"
t_is "$(cat "$R/etc/small")" "keep me" "the other files are intact (small)"
t_is "$(sha256sum <"$R/etc/medium" | cut -d' ' -f1)" "$medium_sha" "the other files are intact (3 MB)"
# A copy-up that cannot fit: a 100 MiB image file.
err=$(printf 'X' 2>&1 >>"$R/big/f3")
t_like "$err" "No space left on device" "appending to a 100 MiB image file: ENOSPC (the copy-up does not fit)"
t_is "$(sha256sum <"$R/big/f3" | cut -d' ' -f1)" "$lower_sha" "the file still shows the image version"
t_ok "no partial copy in the overlay" test ! -e "$U/big/f3"
err=$(chmod 0600 "$R/big/f2" 2>&1)
t_like "$err" "No space left on device" "chmod of a 100 MiB image file: ENOSPC"
t_is "$(stat -c %a "$R/big/f2"):$(test -e "$U/big/f2" && echo partial)" "644:" \
	"mode unchanged, no partial copy"
t_is "$(find "$NB/overlays/.work" -mindepth 2 2>/dev/null | wc -l)" 0 "no leftover in the work dir"
rm -f "$R/etc/big-new"
# The host file goes when the kernel FORGETs it (the daemon keeps a
# deleted file open until then, for processes that still have it open):
# that comes asynchronously, later on a loaded machine.
wait_for "[ \$(df --output=used '$NB/overlays' | tail -n1) -lt 6144 ]" 10 ||
	diag "the overlay tmpfs still has $(df --output=used "$NB/overlays" | tail -n1) KiB in use"
t_ok "the daemon still serves: a new file after freeing space" sh -c "printf ok >'$R/etc/after' && test \"\$(cat '$R/etc/after')\" = ok"
t_ok "and reads image files" cmp "$R/boot/firmware/start4.elf" "$img/boot/firmware/start4.elf"
t_ok "daemon stops" nb_stop

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
