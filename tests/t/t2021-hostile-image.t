#!/bin/bash
# SPDX-License-Identifier: MIT
# Images whose id, fragment, export or xattr-id index entry, or xattr table
# start, is 0 (gzip and uncompressed), whose table pointer lies inside the
# superblock, or whose block_log is 40: the daemon starts with one present,
# refuses each dropped-in one with one log line naming the file and the
# reason, shows them in `status` and `images`, and keeps serving; `check`
# and `image verify` exit 1 naming the reason, never on a signal.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs setfattr perl

MUTATE=$NB_BUILD/tests/sqfs_mutate
kinds="zero-id zero-frag zero-export zero-xattr-id zero-xattr-start ptr-in-superblock block-log"

nb_layout
a=$T/a
mkdir -p "$a/boot/firmware" "$a/etc"
fixture_bytes 300000 start >"$a/boot/firmware/start4.elf"
fixture_bytes 1000000 kernel >"$a/boot/firmware/kernel8.img"
echo 'arm_64bit=1' >"$a/boot/firmware/config.txt"
echo n1 >"$a/etc/hostname"
setfattr -n user.role -v node "$a/etc/hostname"
nb_image os-a "$a"

# The sources of the damaged images: every table present, gzip and
# uncompressed.
src=$T/src
fixture_every_table "$src" || exit 1
fixture_squash "$src" "$T/gzip.sqfs"
fixture_squash "$src" "$T/none.sqfs" -noI -noD -noF -noX
bad=()
for base in gzip none; do
	for k in $kinds; do
		f=$T/bad/$k-$base.sqfs
		mkdir -p "$T/bad"
		"$MUTATE" "$T/$base.sqfs" "$f" "$k" || exit 1
		bad+=("$f")
	done
done

nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d
INI

serves_os_a()
{
	cmp -s "$NB/tftp/1a2b3c4d/kernel8.img" "$a/boot/firmware/kernel8.img" &&
		cmp -s "$NB/tftp/1a2b3c4d/start4.elf" "$a/boot/firmware/start4.elf" &&
		cmp -s "$NB/nfs/n1/etc/hostname" "$a/etc/hostname"
}

# ---- a bad file present at start ------------------------------------------
cp "${bad[0]}" "$NB/images/unused.sqfs"
t_ok "the daemon starts with a bad image present" nb_start
t_ok "n1's root is mounted" wait_mounted "$NB/nfs/n1" 10
t_is "$(nb_log_count 'images/unused\.sqfs: refused')" 1 "which is refused with one log line"
t_like "$(grep 'images/unused\.sqfs: refused' "$NB/netbootfs.log")" \
	'refused: id table block 0 is unreadable' "naming the reason"
t_ok "and os-a is served byte-exact" serves_os_a

# ---- every kind dropped in, under names no node uses ----------------------
for f in "${bad[@]}"; do
	name=$(basename "$f")
	cp "$f" "$NB/images/.$name.tmp"
	mv "$NB/images/.$name.tmp" "$NB/images/$name"
done
for f in "${bad[@]}"; do
	name=$(basename "$f")
	wait_for "nb_log_has 'images/${name//./\\.}: refused'" 10
	t_is "$(nb_log_count "images/${name//./\\.}: refused: .+")" 1 "$name: refused, one log line"
done
t_ok "the daemon is still running" kill -0 "$NB_PID"
t_ok "os-a still serves byte-exact, through TFTP and the root" serves_os_a
t_is "$(nb_gens | awk '{print $2}' | sort -u)" "os-a" "no damaged image became a generation"

# ---- status and images name them ---------------------------------------
status=$("$NETBOOTCTL" -c "$NB_CONF" status)
t_like "$status" $'\nrefused '"$NB/images/zero-xattr-start-none\\.sqfs: xattr id table is inconsistent" \
	"status names a refused file with its reason"
t_is "$(nb_status_json | json_get 'scalar @{$j->{refused}}')" $((${#bad[@]} + 1)) \
	"status --json lists every refused file"
t_is "$(nb_status_json | json_get '(grep { $_->{path} =~ m{/block-log-gzip\.sqfs$} } @{$j->{refused}})[0]{reason}')" \
	"bad block size 131072 (log 40)" "with its reason"
out=$("$NETBOOTCTL" -c "$NB_CONF" images 2>&1)
t_is "$?" 0 "images exits 0"
t_like "$out" "images/zero-export-gzip\\.sqfs: export table block 0 is unreadable" \
	"images names a refused file and the reason"
t_like "$out" $'\nos-a ' "and lists os-a"

# ---- check and image verify ---------------------------------------------
out=$("$NETBOOTCTL" -c "$NB_CONF" check 2>&1)
t_is "$?" 1 "check exits 1"
t_like "$out" "images/zero-frag-none\\.sqfs: fragment table block 0 is unreadable" \
	"check names a refused file and the reason"
for f in "${bad[@]}"; do
	out=$("$NETBOOTCTL" -c "$NB_CONF" image verify "$f" 2>&1)
	rc=$?
	t_is "$rc" 1 "image verify $(basename "$f"): exit 1"
	t_like "$out" "$(basename "$f"): [a-z]" "and a reason"
done

# ---- restart with all of them present ------------------------------------
t_ok "the daemon stops" nb_stop
t_ok "and starts again with all of them present" nb_start
t_ok "n1's root is mounted" wait_mounted "$NB/nfs/n1" 10
t_ok "os-a is served byte-exact" serves_os_a
t_fails "no sanitizer report" nb_log_has "AddressSanitizer|runtime error"
t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
