# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# boots.sh: the bench of the boot-detection tests (t408x). Source after
# test-lib.sh, fixtures.sh, netbootfs.sh, netns.sh, services.sh, live.sh.
#
# netbootfs serves image "os" to two nodes, vol (volatile overlay) and per
# (persistent); dnsmasq serves <tftp_root> over TFTP in namespace srv, and
# namespace lan (a Pi, or any host on the boot LAN) sends TFTP requests.
#
#   VOL_SERIAL VOL_MAC PER_SERIAL PER_MAC   the nodes' identities
#   boots_tree DIR VARIANT     a small boot tree with the files of every Pi
#                              model (start.elf, start4.elf, config.txt,
#                              kernel8.img, kernel_2712.img, DTBs, ...);
#                              config.txt ends "# variant VARIANT"
#   boots_setup INI            images (generation 1, variant g1), the config
#                              (INI appended to [server]), the daemon, the
#                              namespaces, dnsmasq. Bails out on failure.
#   boots_new_generation V     drop in a new generation of os (variant V),
#                              wait for the daemon to take it
#   tftp_get PATH...           fetch each PATH over TFTP from lan through
#                              dnsmasq (a missing file is a failed probe, as
#                              a Pi's); prints "PATH OK|ERR" per file; the
#                              bytes land in $T/got/PATH
#   root_busy_start NODE       read NODE's root every 0.5 s in the
#                              background (a file, a listing), as a running
#                              node does; root_busy_stop NODE
#   pi4_boot P / pi5_boot P / pi3_boot P
#                              the TFTP requests of a Pi 4 / Pi 5 / Pi 3
#                              booting with prefix P (serial or MAC), in
#                              their firmware's order, then the root read
#                              as the kernel's NFS mount would
#   pin_of NODE                the generation NODE is pinned to

VOL_SERIAL=1a000001
VOL_MAC=dc:a6:32:00:10:01
PER_SERIAL=1a000002
PER_MAC=dc:a6:32:00:10:02

boots_tree()
{
	local dir=$1 v=$2 fw f spec
	fw=$dir/boot/firmware
	mkdir -p "$fw/overlays" "$dir/etc" "$dir/home" || return 1
	for spec in bootcode.bin:5000 start.elf:7000 fixup.dat:300 start4.elf:9000 \
		fixup4.dat:400 bcm2710-rpi-3-b-plus.dtb:2000 bcm2711-rpi-4-b.dtb:2100 \
		bcm2712-rpi-5-b.dtb:2200 overlays/overlay_map.dtb:500 \
		kernel8.img:20000 kernel_2712.img:21000; do
		f=${spec%%:*}
		fixture_bytes "${spec##*:}" "$v/$f" >"$fw/$f" || return 1
	done
	printf 'arm_64bit=1\n# variant %s\n' "$v" >"$fw/config.txt"
	printf 'console=serial0,115200 root=/dev/mmcblk0p2 rootwait\n' >"$fw/cmdline.txt"
	printf '%s\n' "$FIXTURE_FSTAB" >"$dir/etc/fstab"
	echo "$v" >"$dir/etc/variant"
	find "$dir" -type f -exec chmod 0644 {} + &&
		find "$dir" -type d -exec chmod 0755 {} +
}

boots_setup()
{
	nb_layout
	boots_tree "$T/os-g1" g1 && nb_image os "$T/os-g1" || {
		echo "Bail out! cannot build image os"
		exit 1
	}
	{
		printf 'default_image = os\n%s\n\n[defaults]\nimage = os\n\n' "$1"
		printf '[node:vol]\nserial = %s\nmac = %s\noverlay = volatile\n\n' \
			"$VOL_SERIAL" "$VOL_MAC"
		printf '[node:per]\nserial = %s\nmac = %s\noverlay = persistent\n' \
			"$PER_SERIAL" "$PER_MAC"
	} | NB_ADDRESS=$NB_SERVER_IP nb_write_config
	at_exit "lazy_umount '$NB/nfs/vol'"
	at_exit "lazy_umount '$NB/nfs/per'"
	nb_start || exit 1
	wait_mounted "$NB/nfs/vol" 10 && wait_mounted "$NB/nfs/per" 10 || {
		echo "Bail out! node roots are not mounted"
		exit 1
	}
	ns_create srv && ns_create lan && ns_link srv lan "$NB_SERVER_IP/24" \
		dc:a6:32:00:10:99 "$NB_NET.50/24" || {
		echo "Bail out! cannot create the namespaces"
		exit 1
	}
	cat >"$T/dnsmasq.conf" <<-EOF
	port=0
	interface=br0
	bind-interfaces
	enable-tftp
	tftp-root=$NB/tftp
	EOF
	svc_dnsmasq srv "$T/dnsmasq.conf" || {
		echo "Bail out! dnsmasq does not start"
		exit 1
	}
}

boots_new_generation()
{
	local n
	n=$(nb_log_count ': image os generation')
	boots_tree "$T/os-$1" "$1" && nb_image os "$T/os-$1" &&
		nb_wait_log ': image os generation' "$n"
}

tftp_get()
{
	local p
	for p in "$@"; do
		mkdir -p "$(dirname "$T/got/$p")"
		if ns_exec lan busybox tftp -g -b 1468 -r "$p" -l "$T/got/$p" \
			"$NB_SERVER_IP" 2>/dev/null; then
			echo "$p OK"
		else
			rm -f "$T/got/$p"
			echo "$p ERR"
		fi
	done
}

root_busy_start()
{
	local node=$1
	rm -f "$T/.busy-$node.stop"
	(
		while [ ! -e "$T/.busy-$node.stop" ]; do
			cat "$NB/nfs/$node/etc/variant" >/dev/null
			ls "$NB/nfs/$node/etc" >/dev/null
			sleep 0.5
		done
	) &
	eval "BUSY_PID_$node=$!"
	at_exit "stop_pid $!"
}

root_busy_stop()
{
	local node=$1 pid
	eval "pid=\$BUSY_PID_$node"
	touch "$T/.busy-$node.stop"
	wait "$pid" 2>/dev/null
}

# The kernel's NFS mount of its root, as far as the daemon sees it.
_boots_mount_root()
{
	ls "$NB/nfs/$1/" >/dev/null && cat "$NB/nfs/$1/etc/variant" >/dev/null
}

_boots_node_of()
{
	case $1 in
	"$VOL_SERIAL" | "${VOL_MAC//:/-}") echo vol ;;
	*) echo per ;;
	esac
}

pi4_boot()
{
	local p=$1
	tftp_get "$p/start4.elf" "$p/config.txt" "$p/pieeprom.sig" "$p/vl805.sig" \
		"$p/start4.elf" "$p/fixup4.dat" "$p/config.txt" "$p/bcm2711-rpi-4-b.dtb" \
		"$p/overlays/overlay_map.dtb" "$p/cmdline.txt" "$p/armstub8.bin" "$p/kernel8.img" &&
		_boots_mount_root "$(_boots_node_of "$p")"
}

pi5_boot()
{
	local p=$1
	tftp_get "$p/config.txt" "$p/pieeprom.sig" "$p/bcm2712-rpi-5-b.dtb" \
		"$p/overlays/overlay_map.dtb" "$p/cmdline.txt" "$p/armstub8-2712.bin" \
		"$p/kernel_2712.img" &&
		_boots_mount_root "$(_boots_node_of "$p")"
}

pi3_boot()
{
	local p=$1
	tftp_get bootcode.bin bootsig.bin "$p/start.elf" "$p/autoboot.txt" "$p/config.txt" \
		"$p/start.elf" "$p/fixup.dat" "$p/config.txt" "$p/bcm2710-rpi-3-b-plus.dtb" \
		"$p/cmdline.txt" "$p/kernel8.img" &&
		_boots_mount_root "$(_boots_node_of "$p")"
}

pin_of()
{
	nb_node "$1" generation
}
