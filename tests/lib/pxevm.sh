# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# pxevm.sh: diskless x86_64 VMs that boot a netbootfs node by PXE (source
# after test-lib.sh, fixtures.sh, netns.sh).
#
#   pxevm_require
#       skip_all unless root, FUSE, QEMU, OVMF, iPXE, Ganesha, dnsmasq and
#       the built binaries are there
#   pxevm_one_image_config DHCP VMS
#       nb_layout, image "pc" (pxevm_image) and $NB_CONF: [server] dhcp =
#       DHCP (full: a range .100-.150) on br0, every node boot = pxe on pc
#       with $PXEVM_CMDLINE; VMS has one "NODE FIRMWARE MAC IP" per line.
#       Bails out on failure.
#   pxevm_serve NODE...
#       with $NB_CONF written: start netbootfs, wait for the NODEs' roots,
#       write $T/dnsmasq.conf and $T/ganesha.conf with netbootctl gen.
#       Bails out on failure.
#   pxevm_image DIR
#       A PC node image from Debian packages only: Debian's amd64 kernel
#       (the linux-image-*-amd64 package linux-image-amd64 depends on, .deb
#       cached in $NB_TEST_CACHE) as DIR/boot/vmlinuz-KVER, a busybox
#       initramfs as DIR/boot/initrd.img-KVER, and a busybox root whose
#       /sbin/init prints "pxevm: up as HOSTNAME", writes
#       /etc/pxevm-note-HOSTNAME, prints "pxevm: wrote note", "pxevm: notes
#       NAMES" (the pxevm-note-* files its /etc shows), "pxevm: mark TEXT"
#       when the image has /etc/pxevm-mark, and powers off.
#       The initramfs loads virtio-net and the NFS modules of that kernel
#       (dependency order from modinfo), gets an address by DHCP (udhcpc),
#       mounts the nfsroot= of the kernel command line over NFSv3/TCP with
#       nolock, and switch_roots into it; it prints "pxevm: ..." lines.
#       Sets PXEVM_KVER.
#   pxevm_tap SRV TAP
#       a tap device TAP on SRV's bridge br0 (made by ns_link or here)
#   pxevm_start SRV TAP MAC FIRMWARE LOG
#       power on a VM (TCG, 1 CPU, 512 MiB, no disk) in namespace SRV with
#       its virtio NIC (MAC) on TAP; FIRMWARE uefi (OVMF, q35; the NIC
#       without option ROM, so OVMF's own PXE fetches the iPXE loader) or
#       bios (SeaBIOS, pc; the NIC's iPXE ROM). Serial console to LOG.
#       Sets PXEVM_PID.
#   pxevm_wait PID [SECONDS]
#       until the VM powers off; kills it after SECONDS (default 300) and
#       fails
#   pxevm_run SRV TAP MAC FIRMWARE LOG [SECONDS]   start and wait

# The kernel command line the tests' PXE nodes get ([defaults] cmdline).
PXEVM_CMDLINE="console=ttyS0 panic=1 loglevel=4"
PXEVM_MODULES="virtio_pci virtio_net sunrpc grace lockd nfs_acl netfs fscache nfs nfsv3"

pxevm_require()
{
	local f
	require_root
	require_fuse
	require_cmd ip dnsmasq ss mksquashfs sha256sum ganesha.nfsd rpcbind rpcinfo unshare \
		qemu-system-x86_64 busybox gzip modinfo dpkg-deb
	for f in /usr/share/ovmf/OVMF.fd /usr/lib/ipxe/ipxe.efi /usr/lib/ipxe/undionly.kpxe; do
		[ -e "$f" ] || skip_all "no $f (packages ovmf, ipxe)"
	done
	[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"
}

pxevm_one_image_config()
{
	local dhcp=$1 vms=$2 name mac ip
	nb_layout
	pxevm_image "$T/pc" && nb_image pc "$T/pc" || {
		echo "Bail out! cannot build the PC image"
		exit 1
	}
	{
		printf 'dhcp = %s\ninterface = br0\nclients = %s.0/24\n' "$dhcp" "$NB_NET"
		[ "$dhcp" != full ] || printf 'dhcp_range = %s.100,%s.150,1h\n' "$NB_NET" "$NB_NET"
		printf '\n[defaults]\nimage = pc\nboot = pxe\ncmdline = %s\n' "$PXEVM_CMDLINE"
		while read -r name _ mac ip; do
			printf '[node:%s]\nmac = %s\nip = %s\n' "$name" "$mac" "$ip"
		done <<<"$vms"
	} | NB_LOADERS=/usr/lib/ipxe NB_ADDRESS=$NB_SERVER_IP nb_write_config
}

pxevm_serve()
{
	local name
	for name in "$@"; do
		at_exit "lazy_umount '$NB/nfs/$name'"
	done
	nb_start || exit 1
	for name in "$@"; do
		wait_mounted "$NB/nfs/$name" 10 || {
			echo "Bail out! $NB/nfs/$name is not mounted"
			exit 1
		}
	done
	"$NETBOOTCTL" -c "$NB_CONF" gen dnsmasq --hook /bin/true >"$T/dnsmasq.conf" &&
		"$NETBOOTCTL" -c "$NB_CONF" gen ganesha >"$T/ganesha.conf" || {
		echo "Bail out! netbootctl gen failed"
		exit 1
	}
	ganesha_test_state "$T/ganesha.conf"
}

_pxevm_kernel_deb()
{
	local deb pkg
	deb=$(ls "$NB_TEST_CACHE"/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | tail -n1)
	if [ -z "$deb" ]; then
		mkdir -p "$NB_TEST_CACHE" || return 1
		pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
		[ -n "$pkg" ] || {
			echo "no linux-image-*-amd64 behind linux-image-amd64 (apt-get update?)" >&2
			return 1
		}
		(cd "$NB_TEST_CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
			return 1
		deb=$(ls "$NB_TEST_CACHE"/linux-image-[0-9]*-amd64_*_amd64.deb 2>/dev/null | tail -n1)
	fi
	[ -n "$deb" ] && echo "$deb"
}

# _pxevm_mod_order MODDIR NAME...: module files, each after its dependencies.
_pxevm_mod_order()
{
	local dir=$1 m f d
	shift
	for m in "$@"; do
		case " $_pxevm_seen " in *" $m "*) continue ;; esac
		_pxevm_seen+=" $m"
		f=$(find "$dir" -name "$m.ko" -o -name "$m.ko.xz" | head -n1)
		[ -n "$f" ] || continue # built in
		for d in $(modinfo -F depends "$f" | tr ',' ' '); do
			_pxevm_mod_order "$dir" "$d"
		done
		echo "$f"
	done
}

pxevm_image()
{
	local dir=$1 deb k ird f name
	deb=$(_pxevm_kernel_deb) || return 1
	k=$T/pxevm-kernel
	rm -rf "$k" && mkdir -p "$k" && dpkg-deb -x "$deb" "$k" || return 1
	PXEVM_KVER=$(ls "$k/lib/modules")
	mkdir -p "$dir/boot" "$dir/sbin" "$dir/root" || return 1
	cp "$k/boot/vmlinuz-$PXEVM_KVER" "$dir/boot/" || return 1

	# The initramfs: busybox, the modules, /init.
	ird=$T/pxevm-initrd
	rm -rf "$ird" && fixture_busybox_amd64 "$ird" || return 1
	for f in switch_root insmod udhcpc; do ln -sfn busybox "$ird/bin/$f"; done
	mkdir -p "$ird/lib/modules" "$ird/newroot" || return 1
	_pxevm_seen=
	for f in $(_pxevm_mod_order "$k/lib/modules/$PXEVM_KVER" $PXEVM_MODULES); do
		name=$(basename "$f")
		case $name in
		*.xz) xz -dc "$f" >"$ird/lib/modules/${name%.xz}" || return 1 ;;
		*) cp "$f" "$ird/lib/modules/" || return 1 ;;
		esac
		echo "${name%.xz}" >>"$ird/modules.order"
	done
	cat >"$ird/udhcpc.sh" <<-'EOF'
	#!/bin/sh
	case $1 in bound | renew)
		ip addr flush dev "$interface"
		ip addr add "$ip/${mask:-24}" dev "$interface"
		echo "pxevm: address $ip"
	esac
	EOF
	cat >"$ird/init" <<-'EOF'
	#!/bin/sh
	export PATH=/bin
	mount -t proc proc /proc
	mount -t sysfs sys /sys
	mount -t devtmpfs dev /dev
	echo "pxevm: initramfs up"
	for m in $(cat /modules.order); do
		insmod "/lib/modules/$m" || echo "pxevm: insmod $m failed"
	done
	i=0
	while ! ip link show eth0 >/dev/null 2>&1 && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	ip link set lo up
	ip link set eth0 up
	udhcpc -i eth0 -f -q -n -t 20 -T 2 -s /udhcpc.sh || echo "pxevm: no DHCP answer"
	nfsroot=$(sed -n 's/.*nfsroot=\([^ ,]*\).*/\1/p' /proc/cmdline)
	server=${nfsroot%%:*}
	echo "pxevm: mounting $nfsroot"
	if mount -t nfs -o "vers=3,proto=tcp,mountproto=tcp,nolock,addr=$server" "$nfsroot" /newroot; then
		exec switch_root /newroot /sbin/init
	fi
	echo "pxevm: cannot mount $nfsroot"
	poweroff -f
	EOF
	chmod 0755 "$ird/init" "$ird/udhcpc.sh"
	(cd "$ird" && find . | LC_ALL=C sort | busybox cpio -o -H newc 2>/dev/null | gzip -1) \
		>"$dir/boot/initrd.img-$PXEVM_KVER" || return 1

	# The node's root: busybox and an init that says who it is.
	fixture_busybox_amd64 "$dir" || return 1
	for f in poweroff; do ln -sfn busybox "$dir/bin/$f"; done
	cat >"$dir/sbin/init" <<-'EOF'
	#!/bin/sh
	export PATH=/bin
	mount -t proc proc /proc
	name=$(cat /etc/hostname)
	hostname "$name"
	echo "pxevm: up as $(hostname)"
	echo "written by $(hostname) at its boot" >"/etc/pxevm-note-$name"
	sync
	echo "pxevm: wrote note"
	echo "pxevm: notes $(cd /etc && echo pxevm-note-*)"
	[ ! -e /etc/pxevm-mark ] || echo "pxevm: mark $(cat /etc/pxevm-mark)"
	poweroff -f
	EOF
	chmod 0755 "$dir/sbin/init"
	echo raspberrypi >"$dir/etc/hostname"
	chmod 0644 "$dir/boot/"* "$dir/etc/hostname"
}

pxevm_tap()
{
	local srv tap=$2
	srv=$(ns_name "$1")
	ip -n "$srv" tuntap add "$tap" mode tap &&
		ip -n "$srv" link set "$tap" master br0 &&
		ip -n "$srv" link set "$tap" up
}

pxevm_start()
{
	local srv=$1 tap=$2 mac=$3 fw=$4 log=$5
	local args=(-accel tcg -smp 1 -m 512 -display none -monitor none -no-reboot
		-serial "file:$log" -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no")
	case $fw in
	uefi) args+=(-M q35 -bios /usr/share/ovmf/OVMF.fd
		-device "virtio-net-pci,netdev=n0,mac=$mac,romfile=,bootindex=1") ;;
	bios) args+=(-M pc -boot n -device "virtio-net-pci,netdev=n0,mac=$mac") ;;
	*) return 2 ;;
	esac
	ip netns exec "$(ns_name "$srv")" qemu-system-x86_64 "${args[@]}" \
		>"$log.out" 2>&1 &
	PXEVM_PID=$!
	at_exit "stop_pid $PXEVM_PID"
}

pxevm_wait()
{
	local pid=$1 secs=${2:-300} m
	for ((m = 0; m < secs; m++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		stop_pid "$pid"
		diag "VM $pid still running after $secs s"
		return 1
	fi
	wait "$pid"
}

pxevm_run()
{
	pxevm_start "$1" "$2" "$3" "$4" "$5" || return 1
	pxevm_wait "$PXEVM_PID" "${6:-300}"
}
