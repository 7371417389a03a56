#!/bin/bash
# Per-node quota: `quota` in [defaults], [profile:], [node:] (K/M/G); a
# node past its quota gets EDQUOT on writes, creates, copy-ups,
# truncate-extends and fallocate while another node keeps writing; usage
# (blocks) is scanned at start and kept up to date on writes and unlinks;
# `netbootctl status` shows use against quota; a reload changes the quota.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs dd fallocate truncate perl sha256sum

plan 39

nb_layout
for n in n1 n2 n3; do
	at_exit "lazy_umount '$NB/nfs/$n'"
done
img=$T/img
fixture_boot_tree "$img" a
nb_image os-a "$img"
config()
{
	nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a
	quota = 64M

	[profile:small]
	quota = $1

	[node:n1]
	profile = small
	serial = 1a2b3c4d

	[node:n2]
	quota = 0
	serial = 2b3c4d5e

	[node:n3]
	serial = 3c4d5e6f
	INI
}
config 2M
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }
reconfig()
{
	local n
	n=$(nb_log_count ': (reloaded|reload refused)')
	config "$1" && nb_wait_log ': (reloaded|reload refused)' "$n"
}

# ---- the key ---------------------------------------------------------------
line_of() { grep -n -- "$1" "$NB_CONF" | head -1 | cut -d: -f1; }
quota_row() { ctl node show "$1" | awk '$1 == "quota" { $1 = $1; print }'; }
t_is "$(quota_row n1)" "quota 2M [profile:small] line $(line_of '^quota = 2M')" \
	"node show: n1's quota comes from its profile"
t_is "$(quota_row n2)" "quota unlimited [node:n2] line $(line_of '^quota = 0')" \
	"node show: 0 is unlimited"
t_is "$(quota_row n3)" "quota 64M [defaults] line $(line_of '^quota = 64M')" \
	"node show: n3 inherits [defaults]"
for bad in 12X -1 1.5M 2MB 99999999999999999999 ""; do
	cp "$NB_CONF" "$T/bad.ini"
	sed -i "s/^quota = 64M\$/quota = $bad/" "$T/bad.ini"
	out=$("$NETBOOTCTL" -c "$T/bad.ini" check 2>&1); rc=$?
	t_like "$rc:$out" "^1:$T/bad.ini:$(line_of '^quota = 64M'): bad value for quota: '$bad' \\(expected bytes, with an optional K, M or G suffix; 0 is unlimited\\)" \
		"check refuses quota = '$bad' with file:line"
done

nb_start || exit 1
for n in n1 n2 n3; do
	wait_mounted "$NB/nfs/$n" 10 || { echo "Bail out! $n is not mounted"; exit 1; }
done
R1=$NB/nfs/n1
R2=$NB/nfs/n2
U1=$NB/overlays/n1
used() { nb_node "$1" quota_used; }

# ---- a node over its quota, another keeps writing ---------------------------
t_is "$(nb_node n1 quota)" 2097152 "status --json: n1's quota in bytes"
t_is "$(nb_node n2 quota)" 0 "status --json: n2 unlimited (0)"
t_is "$(used n1)" 0 "an empty overlay uses nothing"
dd if=/dev/zero of="$R2/fill-before" bs=64K count=16 status=none
out=$(dd if=/dev/urandom of="$R1/big" bs=64K count=64 2>&1); rc=$?
t_is "$rc" 1 "dd past n1's quota exits 1"
t_like "$out" "dd: error writing '$R1/big': Disk quota exceeded" "with EDQUOT's text"
t_like "$out" "32\+0 records out" "after exactly 2 MiB"
t_is "$(stat -c %s "$U1/big")" 2097152 "the overlay file holds the 2 MiB written"
t_is "$(used n1)" 2097152 "status: n1 uses its whole quota (blocks)"
dd if=/dev/urandom of="$T/n2-data" bs=64K count=64 status=none
out=$(dd if="$T/n2-data" of="$R2/big" bs=64K 2>&1); rc=$?
t_is "$rc" 0 "n2 writes 4 MiB meanwhile"
t_file_sha_eq "$R2/big" "$T/n2-data" "n2's file is whole"
t_like "$(ctl status | awk '$1 == "n1" || $1 == "n2" { print $1, $(NF-1) }')" \
	"^n1 2\.0M/2\.0M"$'\n'"n2 5\.0M/-$" "status: QUOTA column, used/limit (- unlimited)"

# ---- every way of growing is refused while full ------------------------------
t_like "$(touch "$R1/new-file" 2>&1)" "Disk quota exceeded" "create: EDQUOT"
t_like "$(mkdir "$R1/new-dir" 2>&1)" "Disk quota exceeded" "mkdir: EDQUOT"
t_like "$(chmod 0600 "$R1/boot/firmware/kernel8.img" 2>&1)" "Disk quota exceeded" \
	"a copy-up (chmod of the 30 MiB kernel): EDQUOT"
t_is "$(stat -c %a "$R1/boot/firmware/kernel8.img")" 644 "the image file is unchanged"
t_like "$(truncate -s 3M "$R1/big" 2>&1)" "Disk quota exceeded" "truncate-extend: EDQUOT"
t_like "$(fallocate -l 4M "$R2/fa" 2>&1; fallocate -l 1M "$R1/big" 2>&1)" \
	"^fallocate: fallocate failed: Disk quota exceeded$" "fallocate: EDQUOT on n1 only"
t_is "$(stat -c %s "$R2/fa")" 4194304 "n2's fallocate took 4 MiB"
t_ok "overwriting within the file still works" \
	dd if=/dev/zero of="$R1/big" bs=64K count=1 conv=notrunc status=none
t_ok "truncating down works" truncate -s 1M "$R1/big"
t_is "$(used n1)" 1048576 "usage follows a truncate down"

# ---- unlink frees, creation works again --------------------------------------
rm "$R1/big"
t_is "$(used n1)" 0 "usage drops to 0 after the unlink"
t_ok "n1 writes again" dd if=/dev/zero of="$R1/again" bs=64K count=8 status=none
t_ok "a fallocate within the quota works" fallocate -l 512K "$R1/fa"
t_is "$(used n1)" 1048576 "usage counts the write and the fallocate"

# ---- usage is scanned at start ------------------------------------------------
before2=$(used n2)
nb_stop
nb_start || exit 1
wait_mounted "$R1" 10 || { echo "Bail out! n1 is not mounted"; exit 1; }
t_is "$(used n1)" 1048576 "after a restart n1's usage is scanned from its overlay"
t_is "$(used n2)" "$before2" "and n2's"

# ---- a reload changes the quota ----------------------------------------------
reconfig 1M
t_is "$(nb_node n1 quota)" 1048576 "a reload lowers n1's quota to 1 MiB"
t_like "$(dd if=/dev/zero of="$R1/more" bs=4K count=1 2>&1)" "Disk quota exceeded" \
	"n1 at 1 MiB of 1 MiB: EDQUOT"
reconfig 3M
t_ok "a reload to 3 MiB lets it write again" \
	dd if=/dev/zero of="$R1/more" bs=64K count=16 status=none
