#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 20, step 1: a PXE node's TFTP tree (boot = pxe), over real TFTP
# (dnsmasq in a namespace, busybox tftp from another). Its generated
# boot.ipxe, exact; "vmlinuz" and "initrd.img" of its root's /boot (the
# newest vmlinuz-VERSION and its initrd, a kernel the node installs being
# the one it boots next); the iPXE loaders of [server] loaders at the TFTP
# root (only those others may read); boot.ipxe starts a boot as a Pi's first
# file does. A Pi node of the same image gets no script.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss mksquashfs sha256sum
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

plan 19
PC_MAC=52:54:00:00:20:01
PC_DIR=52-54-00-00-20-01
PI_SERIAL=1a002001

nb_layout
tree=$T/pc
mkdir -p "$tree/boot" "$tree/etc" "$T/loaders"
for v in 6.1.0-9-amd64 6.1.0-10-amd64; do
	fixture_bytes 30000 "kernel $v" >"$tree/boot/vmlinuz-$v"
	fixture_bytes 20000 "initrd $v" >"$tree/boot/initrd.img-$v"
	echo "config $v" >"$tree/boot/config-$v"
done
printf '%s\n' "$FIXTURE_FSTAB" >"$tree/etc/fstab"
find "$tree" -type f -exec chmod 0644 {} +
nb_image pc "$tree" || {
	echo "Bail out! cannot build image pc"
	exit 1
}
fixture_bytes 7000 undionly >"$T/loaders/undionly.kpxe"
fixture_bytes 9000 ipxe.efi >"$T/loaders/ipxe.efi"
fixture_bytes 9100 snponly >"$T/loaders/snponly.efi"
chmod 0644 "$T/loaders/undionly.kpxe" "$T/loaders/ipxe.efi"
chmod 0600 "$T/loaders/snponly.efi" # dnsmasq would not serve it either
{
	printf '\n[defaults]\nimage = pc\n\n' 
	printf '[node:pc1]\nmac = %s\nboot = pxe\ncmdline = console=ttyS0\n\n' "$PC_MAC"
	printf '[node:pi1]\nserial = %s\n' "$PI_SERIAL"
} | NB_LOADERS=$T/loaders NB_ADDRESS=$NB_SERVER_IP nb_write_config
at_exit "lazy_umount '$NB/nfs/pc1'"
at_exit "lazy_umount '$NB/nfs/pi1'"
nb_start_root pc1
ns_create srv && ns_create lan && ns_link srv lan "$NB_SERVER_IP/24" \
	52:54:00:00:20:99 "$NB_NET.50/24" || {
	echo "Bail out! cannot create the namespaces"
	exit 1
}
cat >"$T/dnsmasq.conf" <<EOF
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

# get PATH: fetch PATH over TFTP into $T/got/PATH; fails like the fetch.
get()
{
	mkdir -p "$(dirname "$T/got/$1")"
	rm -f "$T/got/$1"
	ns_exec lan busybox tftp -g -b 1468 -r "$1" -l "$T/got/$1" "$NB_SERVER_IP" 2>/dev/null
}

t_ok "iPXE fetches pc1's script" get "$PC_DIR/boot.ipxe"
t_is "$(cat "$T/got/$PC_DIR/boot.ipxe")" "#!ipxe
kernel vmlinuz initrd=initrd.img root=/dev/nfs nfsroot=$NB_SERVER_IP:$NB/nfs/pc1,vers=3,tcp rw ip=dhcp rootwait console=ttyS0
initrd initrd.img
boot" "boot.ipxe: the kernel, its NFS root and cmdline, the initrd"
t_is "$(nb_log_count 'node pc1: boot started \(TFTP boot\.ipxe;')" 1 \
	"boot.ipxe started pc1's boot"
t_ok "the script's kernel" get "$PC_DIR/vmlinuz"
t_file_sha_eq "$T/got/$PC_DIR/vmlinuz" "$tree/boot/vmlinuz-6.1.0-10-amd64" \
	"vmlinuz is the newest kernel (6.1.0-10, not 6.1.0-9)"
t_ok "the script's initrd" get "$PC_DIR/initrd.img"
t_file_sha_eq "$T/got/$PC_DIR/initrd.img" "$tree/boot/initrd.img-6.1.0-10-amd64" \
	"initrd.img is that kernel's initrd"
t_is "$(nb_log_count 'node pc1: boot started')" 1 "the kernel and initrd started no boot"

t_ok "undionly.kpxe at the TFTP root" get undionly.kpxe
t_file_sha_eq "$T/got/undionly.kpxe" "$T/loaders/undionly.kpxe" "undionly.kpxe: the loader's bytes"
t_ok "ipxe.efi at the TFTP root" get ipxe.efi
t_file_sha_eq "$T/got/ipxe.efi" "$T/loaders/ipxe.efi" "ipxe.efi: the loader's bytes"
t_fails "a loader others may not read is not served" get snponly.efi
t_is "$(ls "$NB/tftp" | grep -v -e "$PC_DIR" -e "$PI_SERIAL" | tr '\n' ' ')" \
	"ipxe.efi undionly.kpxe " "the TFTP root lists the loaders it serves"

# The node installs a newer kernel into its own root: it is the one its
# next boot loads (the names resolve at each lookup).
fixture_bytes 31000 "kernel 6.1.0-11-amd64" >"$NB/nfs/pc1/boot/vmlinuz-6.1.0-11-amd64"
fixture_bytes 21000 "initrd 6.1.0-11-amd64" >"$NB/nfs/pc1/boot/initrd.img-6.1.0-11-amd64"
sleep 1.5 # TIMEOUT_NODE: the kernel forgets the old name
get "$PC_DIR/vmlinuz" && get "$PC_DIR/initrd.img"
t_is "$(sha256sum <"$T/got/$PC_DIR/vmlinuz") $(sha256sum <"$T/got/$PC_DIR/initrd.img")" \
	"$(fixture_bytes 31000 "kernel 6.1.0-11-amd64" | sha256sum) $(fixture_bytes 21000 \
		"initrd 6.1.0-11-amd64" | sha256sum)" \
	"a kernel and initrd the node installed are the ones its next boot loads"
# An image with /boot/vmlinuz links (Debian's link_in_boot): the link wins.
ln -s vmlinuz-6.1.0-9-amd64 "$NB/nfs/pc1/boot/vmlinuz"
sleep 1.5
get "$PC_DIR/vmlinuz"
t_file_sha_eq "$T/got/$PC_DIR/vmlinuz" "$tree/boot/vmlinuz-6.1.0-9-amd64" \
	"a /boot/vmlinuz link names the kernel"

t_fails "a Pi node gets no iPXE script" get "$PI_SERIAL/boot.ipxe"
t_ok "a Pi node still gets its cmdline.txt" get "$PI_SERIAL/cmdline.txt"
t_is "$(nb_log_count 'node pi1: boot started')" 0 "no Pi boot started by these requests"
