#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 16, acceptance 2: real boots still re-pin, at the right moment.
# Simulated boots of a Pi 4 (start4.elf probe first), a Pi 5 (config.txt
# first, no start4.elf) and a Pi 3 (bootcode.bin at the TFTP root, then
# <serial>/start.elf), each in its firmware's order through dnsmasq, after
# the node's root went quiet, then a read of the root for the kernel's NFS
# mount: the node takes the newest generation (its boot files are already
# the new ones), a volatile node comes up with an empty overlay, a
# persistent one keeps its files. A quick reboot (root busy until 2.5 s
# before the first TFTP request, boot_gap 30 s) re-pins too.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/boots.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl mksquashfs sha256sum
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

plan 61
NB_BOOT_GAP=30 boots_setup ""
QUIET=2 # boot_quiet's default

# check_boot MODEL NODE PREFIX GEN VARIANT KERNEL
check_boot()
{
	local model=$1 node=$2 p=$3 gen=$4 v=$5 kernel=$6
	t_is "$(pin_of "$node")" "$gen" "$model boot of $node ($p): pinned to generation $gen"
	t_is "$(nb_log_count "node $node: boot started")" "$((boots_of_node + 1))" \
		"$model boot of $node: exactly one boot started"
	t_is "$(tail -n 1 "$T/got/$p/config.txt")" "# variant $v" \
		"$model boot of $node: config.txt of the new generation"
	t_file_sha_eq "$T/got/$p/$kernel" "$T/os-$v/boot/firmware/$kernel" \
		"$model boot of $node: $kernel of the new generation"
	t_is "$(cat "$NB/nfs/$node/etc/variant")" "$v" "$model boot of $node: its root shows $v"
	if [ "$node" = vol ]; then
		t_is "$(ls -A "$NB/overlays/vol")" "" "$model boot of vol: its overlay is empty"
		t_fails "$model boot of vol: its file is gone from its root" \
			test -e "$NB/nfs/vol/home/mine"
	else
		t_is "$(cat "$NB/nfs/per/home/mine")" "per's file" \
			"$model boot of per: it keeps its file"
	fi
}

# boot MODEL NODE PREFIX VARIANT KERNEL: wait out boot_quiet, boot, check.
boot()
{
	local model=$1 node=$2 p=$3 v=$4 kernel=$5 gen
	echo "vol's file" >"$NB/nfs/vol/home/mine"
	echo "per's file" >"$NB/nfs/per/home/mine"
	gen=$(($(pin_of "$node") + 1))
	boots_of_node=$(nb_log_count "node $node: boot started")
	sleep $((QUIET + 1))
	"${model,,}_boot" "$p" >"$T/tftp.log"
	check_boot "$model" "$node" "$p" "$gen" "$v" "$kernel"
}

t_is "$(pin_of vol) $(pin_of per)" "1 1" "both nodes are pinned to generation 1"

t_ok "generation 2 is dropped in" boots_new_generation g2
boot Pi4 per "$PER_SERIAL" g2 kernel8.img
t_is "$(grep -c ERR "$T/tftp.log")" 3 "the Pi 4's three probes of missing files failed"
boot Pi4 vol "${VOL_MAC//:/-}" g2 kernel8.img
t_is "$(pin_of per)" 2 "per, up, is not re-pinned by vol's boot"

t_ok "generation 3 is dropped in" boots_new_generation g3
boot Pi5 per "${PER_MAC//:/-}" g3 kernel_2712.img
t_fails "the Pi 5 asked for no start4.elf" grep -q start4 "$T/tftp.log"
boot Pi5 vol "$VOL_SERIAL" g3 kernel_2712.img

t_ok "generation 4 is dropped in" boots_new_generation g4
boot Pi3 per "$PER_SERIAL" g4 kernel8.img
t_file_sha_eq "$T/got/bootcode.bin" "$T/os-g4/boot/firmware/bootcode.bin" \
	"the Pi 3 got bootcode.bin of the TFTP root (default_image, newest)"
boot Pi3 vol "$VOL_SERIAL" g4 kernel8.img

# A quick reboot: both roots busy until 2.5 s before the Pi asks for its
# first file (boot_gap is 30 s).
t_ok "generation 5 is dropped in" boots_new_generation g5
echo "vol's file" >"$NB/nfs/vol/home/mine"
echo "per's file" >"$NB/nfs/per/home/mine"
root_busy_start vol
root_busy_start per
sleep 3
root_busy_stop vol
root_busy_stop per
boots_of_node=$(nb_log_count "node per: boot started")
vol_boots=$(nb_log_count "node vol: boot started")
sleep 2.5
pi4_boot "$PER_SERIAL" >"$T/tftp.log" &
pi4_boot "$VOL_SERIAL" >"$T/tftp-vol.log"
wait $!
check_boot "Pi4 quick" per "$PER_SERIAL" 5 g5 kernel8.img
boots_of_node=$vol_boots
check_boot "Pi4 quick" vol "$VOL_SERIAL" 5 g5 kernel8.img
