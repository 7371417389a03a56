#!/bin/bash
# A data block of a served image goes bad: EIO for that file and one log
# line; the daemon keeps serving every other file, through TFTP and through
# the root.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
tree=$T/tree
mkdir -p "$tree/boot/firmware" "$tree/etc"
# bad.bin sorts first, so its first data block starts right after the
# 96-byte superblock; the small files go into fragments written later.
fixture_bytes 1048576 bad >"$tree/boot/firmware/bad.bin"
fixture_bytes 300000 good >"$tree/boot/firmware/start4.elf"
echo 'arm_64bit=1' >"$tree/boot/firmware/config.txt"
echo 'console=tty1 root=/dev/mmcblk0p2' >"$tree/boot/firmware/cmdline.txt"
echo n1 >"$tree/etc/hostname"
fixture_squash "$tree" "$T/img.sqfs"
cp "$T/img.sqfs" "$NB/images/os-a.sqfs"
nb_write_config <<-INI
	[defaults]
	image = os-a

	[node:n1]
	serial = 1a2b3c4d
INI
nb_start || exit 1
tftp=$NB/tftp/1a2b3c4d
root=$NB/nfs/n1
gen=$(nb_node n1 generation)

# The file goes bad under the served generation (a new file is verified
# before it serves, so this is how damage reaches a generation): flip 64
# bytes inside bad.bin's first compressed block, in place. The changed file
# is refused as a new generation; the open one keeps its inode.
n=$(nb_log_count 'refused')
perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, 4096, 0); print F "\xff" x 64; close F' \
	"$NB/images/os-a.sqfs"
t_ok "the damaged file is refused as a new generation" nb_wait_log 'refused' "$n" 60
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen null" "n1 keeps generation $gen"

err=$(cat "$tftp/bad.bin" 2>&1 >/dev/null)
t_like "$err" "Input/output error" "TFTP: reading the damaged file is EIO"
err=$(cat "$root/boot/firmware/bad.bin" 2>&1 >/dev/null)
t_like "$err" "Input/output error" "root: the same file is EIO"
t_ok "the damage is logged, naming the image" \
	wait_for "grep -q 'read of os-a generation .*Input/output error' '$NB/netbootfs.log'" 5
t_ok "TFTP: another file still reads exactly" cmp "$tftp/start4.elf" "$tree/boot/firmware/start4.elf"
t_ok "root: another file still reads exactly" cmp "$root/etc/hostname" "$tree/etc/hostname"
t_ok "the daemon is still running" kill -0 "$NB_PID"
t_ok "and stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"

done_testing
