#!/bin/bash
# Several nodes on one image: private overlays, the generated layer
# (hostname, fstab, templates), a shared layer, a volatile overlay emptied
# at boot, and isolation of file handles between the per-node mounts.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum
[ -x "$FHANDLE" ] || skip_all "no $FHANDLE"

nb_layout
for n in n1 n2 v1; do
	at_exit "lazy_umount '$NB/nfs/$n'"
done
img=$T/img
fixture_boot_tree "$img" a
# One more fstab line the generated fstab must keep.
printf 'tmpfs           /tmp            tmpfs   defaults          0       0\n' >>"$img/etc/fstab"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$img/etc/passwd"
chmod 0644 "$img/etc/passwd"
nb_image os-a "$img"
img_sha=$(sha256sum <"$NB/images/os-a.sqfs" | cut -d' ' -f1)

# The shared layer and the templates.
mkdir -p "$NB/overlays/@common/etc" "$NB/templates/etc" "$NB/templates/opt/site"
printf 'root:x:0:0:root:/root:/bin/sh\npi:x:1000:1000::/home/pi:/bin/sh\n' >"$NB/overlays/@common/etc/passwd"
printf 'shared only\n' >"$NB/overlays/@common/etc/cluster.conf"
common_sha=$(sha256sum <"$NB/overlays/@common/etc/passwd" | cut -d' ' -f1)
printf 'Welcome to ${node} (serial ${serial}, mac ${mac}, ip ${ip}, image ${image})\n' >"$NB/templates/etc/motd"
printf 'NODE=${node}\nSERIAL=${serial}\n' >"$NB/templates/opt/site/node.env"

NB_BOOT_GAP=1 nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a
	layers = common

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01
	ip = 10.99.0.51

	[node:n2]
	serial = 2b3c4d5e
	mac = dc:a6:32:00:00:02
	ip = 10.99.0.52

	[node:v1]
	overlay = volatile
	serial = 3c4d5e6f
	mac = dc:a6:32:00:00:03
	ip = 10.99.0.53
INI
nb_start || exit 1
for n in n1 n2 v1; do
	if ! wait_mounted "$NB/nfs/$n" 10; then
		echo "Bail out! $NB/nfs/$n is not mounted"
		exit 1
	fi
done
R1=$NB/nfs/n1
R2=$NB/nfs/n2
RV=$NB/nfs/v1

# ---- separate mounts, private writes ------------------------------------
t_ok "each node root is its own mount" \
	test "$(stat -c %d "$R1")" != "$(stat -c %d "$R2")" -a "$(stat -c %d "$R1")" != "$(stat -c %d "$RV")"
printf 'n1 only\n' >"$R1/etc/private"
t_is "$(cat "$R1/etc/private" 2>&1)" "n1 only" "a new file on n1"
t_ok "is invisible on n2" test ! -e "$R2/etc/private"
printf 'n1 change\n' >>"$R1/etc/fixture-variant"
t_is "$(cat "$R1/etc/fixture-variant")" "a"$'\n'"n1 change" "a changed image file on n1"
t_is "$(cat "$R2/etc/fixture-variant")" a "keeps the image content on n2"
rm "$R1/boot/firmware/one.bin"
t_ok "a deletion on n1 does not show on n2" cmp "$R2/boot/firmware/one.bin" "$img/boot/firmware/one.bin"
t_is "$(cat "$NB/overlays/n1/etc/private" 2>&1)" "n1 only" "n1's write landed in overlays/n1/"
t_ok "and nowhere in overlays/n2/" test ! -e "$NB/overlays/n2/etc/private"

# ---- the generated layer ---------------------------------------------------
t_is "$(cat "$R1/etc/hostname")" n1 "etc/hostname on n1 is n1"
t_is "$(cat "$R2/etc/hostname")" n2 "etc/hostname on n2 is n2"
t_is "$(cat "$RV/etc/hostname")" v1 "etc/hostname on v1 is v1"
t_is "$(grep -cE '^[^#]*[[:space:]](/|/boot/firmware)[[:space:]]' "$R1/etc/fstab")" 0 \
	"etc/fstab has no line for / nor /boot/firmware"
t_is "$(grep -c PARTUUID "$R1/etc/fstab")" 0 "no SD-card (PARTUUID) line is left"
t_is "$(grep -vE '^[[:space:]]*(#|$)' "$R1/etc/fstab")" \
	"proc            /proc           proc    defaults          0       0
tmpfs           /tmp            tmpfs   defaults          0       0" \
	"the proc and tmpfs lines are kept verbatim, and are all that is left"
t_is "$(stat -c %s "$R1/etc/fstab")" "$(wc -c <"$R1/etc/fstab")" "fstab size equals the bytes read"
t_is "$(cat "$R1/etc/motd")" "Welcome to n1 (serial 1a2b3c4d, mac dc:a6:32:00:00:01, ip 10.99.0.51, image os-a)" \
	"template etc/motd rendered for n1"
t_is "$(cat "$R2/etc/motd")" "Welcome to n2 (serial 2b3c4d5e, mac dc:a6:32:00:00:02, ip 10.99.0.52, image os-a)" \
	"template etc/motd rendered for n2"
t_is "$(stat -c %s "$R1/etc/motd")" "$(wc -c <"$R1/etc/motd")" "motd size equals the bytes read"
t_is "$(cat "$R2/opt/site/node.env" 2>&1)" "NODE=n2"$'\n'"SERIAL=2b3c4d5e" \
	"a template in a dir the image lacks (opt/site/node.env)"
t_ok "opt/site is a directory in the node view" test -d "$R2/opt/site"
t_is "$(ls "$R1/etc" | grep -cx hostname)" 1 "etc/hostname listed once"
printf 'local motd\n' >"$R1/etc/motd"
t_is "$(cat "$R1/etc/motd")" "local motd" "a generated file can be overwritten through the node"
t_is "$(cat "$NB/overlays/n1/etc/motd" 2>&1)" "local motd" "the copy lives in overlays/n1/"
t_is "$(cat "$NB/templates/etc/motd")" 'Welcome to ${node} (serial ${serial}, mac ${mac}, ip ${ip}, image ${image})' \
	"the template file itself is unchanged"
t_like "$(cat "$R2/etc/motd")" "^Welcome to n2" "n2 still sees its rendered motd"

# ---- the shared layer ------------------------------------------------------------
t_is "$(cat "$R1/etc/passwd")" "$(cat "$NB/overlays/@common/etc/passwd")" "etc/passwd comes from @common on n1"
t_is "$(cat "$R2/etc/passwd")" "$(cat "$NB/overlays/@common/etc/passwd")" "and on n2"
t_is "$(cat "$R1/etc/cluster.conf" 2>&1)" "shared only" "a file only in @common shows too"
printf 'bob:x:1001:1001::/home/bob:/bin/sh\n' >>"$R1/etc/passwd"
t_is "$(sha256sum <"$NB/overlays/@common/etc/passwd" | cut -d' ' -f1)" "$common_sha" \
	"a write through n1 leaves @common/etc/passwd unchanged"
t_is "$(tail -n 1 "$NB/overlays/n1/etc/passwd" 2>&1)" "bob:x:1001:1001::/home/bob:/bin/sh" \
	"the write was copied up into overlays/n1/"
t_is "$(wc -l <"$R1/etc/passwd")" 3 "n1 sees @common's 2 lines + its own"
t_is "$(cat "$R2/etc/passwd")" "$(cat "$NB/overlays/@common/etc/passwd")" "n2 still sees @common's version"
rm "$R1/etc/cluster.conf"
t_ok "deleting a shared file on n1 keeps it in @common" test -f "$NB/overlays/@common/etc/cluster.conf"
t_is "$(cat "$R2/etc/cluster.conf" 2>&1)" "shared only" "and on n2"
t_is "$(stat -c '%F %t:%T' "$NB/overlays/n1/etc/cluster.conf" 2>&1)" "character special file 0:0" \
	"n1 got a whiteout for it"

# ---- the image file -------------------------------------------------------------
t_is "$(sha256sum <"$NB/images/os-a.sqfs" | cut -d' ' -f1)" "$img_sha" "the image file is unchanged"

# ---- isolation of file handles ----------------------------------------------------
t_ok "handle of a file n1 wrote" "$FHANDLE" save "$R1/etc/private" "$T/h-priv"
t_ok "handle of an image file on n1" "$FHANDLE" save "$R1/boot/firmware/config.txt" "$T/h-img"
t_ok "handle of a directory on n1" "$FHANDLE" save "$R1/etc" "$T/h-dir"
refused()
{
	local rc=0
	"$FHANDLE" cat "$1" "$2" >"$T/refused.out" 2>"$T/refused.err" || rc=$?
	echo "exit $rc $(cat "$T/refused.err") bytes $(wc -c <"$T/refused.out")"
}
t_is "$(refused "$R2" "$T/h-priv")" "exit 3 fhandle: open_by_handle_at: ESTALE bytes 0" \
	"n1's handle of its own file is ESTALE through n2's mount"
t_is "$(refused "$R2" "$T/h-img")" "exit 3 fhandle: open_by_handle_at: ESTALE bytes 0" \
	"n1's handle of an image file is ESTALE through n2's mount"
t_is "$(refused "$RV" "$T/h-priv")" "exit 3 fhandle: open_by_handle_at: ESTALE bytes 0" \
	"and through v1's mount"
t_is "$("$FHANDLE" cat "$R1" "$T/h-priv" 2>&1)" "n1 only" "it opens through n1's own mount"
t_ok "the image-file handle opens through n1" cmp <("$FHANDLE" cat "$R1" "$T/h-img") "$img/boot/firmware/config.txt"
sync
echo 3 >/proc/sys/vm/drop_caches
t_is "$("$FHANDLE" cat "$R1" "$T/h-priv" 2>&1)" "n1 only" "after drop_caches: n1's handle still opens"
t_ok "after drop_caches: the image-file handle still opens" \
	cmp <("$FHANDLE" cat "$R1" "$T/h-img") "$img/boot/firmware/config.txt"
t_is "$(refused "$R2" "$T/h-priv")" "exit 3 fhandle: open_by_handle_at: ESTALE bytes 0" \
	"after drop_caches: still ESTALE through n2"
t_ok "daemon stops" nb_stop
nb_start || exit 1
wait_mounted "$R1" 10
t_is "$("$FHANDLE" cat "$R1" "$T/h-priv" 2>&1)" "n1 only" "after a daemon restart: n1's handle opens"
t_ok "after a daemon restart: the image-file handle opens" \
	cmp <("$FHANDLE" cat "$R1" "$T/h-img") "$img/boot/firmware/config.txt"
t_is "$(refused "$R2" "$T/h-priv")" "exit 3 fhandle: open_by_handle_at: ESTALE bytes 0" \
	"after a restart: still ESTALE through n2"
t_is "$(cat "$R1/etc/private" 2>&1):$(cat "$R1/etc/hostname")" "n1 only:n1" "n1's files survive the restart"

# ---- volatile overlay: emptied at boot ---------------------------------------------
# A boot: the TFTP server reads start4.elf after boot_gap (1 s) of TFTP
# silence, the node's root quiet for boot_quiet (2 s).
boot()
{
	sleep 3
	nb_tftp_read "$NB/tftp/$1/start4.elf"
}
printf 'before boot\n' >"$RV/etc/volatile-file"
printf 'before boot\n' >"$R1/etc/persistent-file"
mkdir "$RV/var-new"
t_is "$(cat "$RV/etc/volatile-file" 2>&1)" "before boot" "a file written on the volatile node"
t_ok "it is in overlays/v1/" test -f "$NB/overlays/v1/etc/volatile-file"
t_ok "v1 boots (TFTP read of start4.elf)" boot 3c4d5e6f
t_ok "n1 boots" boot 1a2b3c4d
t_fails "after v1's boot the file is gone from its root" test -e "$RV/etc/volatile-file"
t_fails "and so is the new dir" test -e "$RV/var-new"
t_is "$(ls -A "$NB/overlays/v1" 2>/dev/null | wc -l)" 0 "overlays/v1/ is empty"
t_is "$(cat "$RV/etc/hostname"):$(cat "$RV/etc/fixture-variant")" "v1:a" \
	"v1 still serves the generated layer and the image"
t_is "$(cat "$R1/etc/persistent-file" 2>&1)" "before boot" "a persistent node keeps its files across a boot"
printf 'after boot\n' >"$RV/etc/volatile-file"
t_is "$(cat "$RV/etc/volatile-file" 2>&1)" "after boot" "v1 is writable after the boot"

t_is "$(sha256sum <"$NB/images/os-a.sqfs" | cut -d' ' -f1)" "$img_sha" "the image file is still unchanged"

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
