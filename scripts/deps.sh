#!/bin/sh
# Install the Debian 12 packages netbootfs needs to build, test and demo.
# As root, missing packages are installed with apt-get; otherwise they are
# named and the script fails, so nothing half-works silently.
set -eu

PACKAGES="build-essential pkg-config clang libclang-rt-14-dev libsystemd-dev
libfuse3-dev fuse3 libsquashfuse-dev squashfuse libdeflate-dev libinih-dev libjson-c-dev libcrypt-dev libcmocka-dev
squashfs-tools e2fsprogs mtools dosfstools fdisk xz-utils attr qemu-utils xfsprogs
dnsmasq-base nfs-ganesha nfs-ganesha-vfs rpcbind libnfs-utils libnfs-dev
busybox-static udhcpc qemu-user-static binfmt-support
qemu-system-x86 ovmf ipxe ipxe-qemu
iproute2 procps psmisc kmod perl python3 fuse-overlayfs gnuplot-nox curl jq strace linux-perf
glusterfs-server glusterfs-client"

missing=""
for p in $PACKAGES; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

# Tests build arm64/armhf userlands from Debian's busybox-static:<arch> and
# run them under qemu-user in a chroot: as root, make sure apt knows those
# architectures and the binfmt handlers are live. All steps are idempotent.
foreign_setup()
{
	added=0
	for a in arm64 armhf; do
		if ! dpkg --print-foreign-architectures | grep -qx "$a"; then
			dpkg --add-architecture "$a"
			added=1
		fi
	done
	if [ "$added" = 1 ]; then
		apt-get update -q || echo "deps: apt-get update reported errors; continuing" >&2
	fi
	if [ ! -e /proc/sys/fs/binfmt_misc/status ]; then
		mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
			echo "deps: cannot mount binfmt_misc" >&2
	fi
	if [ -e /proc/sys/fs/binfmt_misc/status ] && command -v update-binfmts >/dev/null; then
		for q in qemu-aarch64 qemu-arm; do
			[ -e "/proc/sys/fs/binfmt_misc/$q" ] || update-binfmts --enable "$q" ||
				echo "deps: cannot enable binfmt $q" >&2
		done
	fi
}

if [ -z "$missing" ]; then
	[ "$(id -u)" != 0 ] || foreign_setup
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing Debian packages:$missing" >&2
	echo "deps: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# A failing index of a foreign architecture must not block the install.
apt-get update -q || echo "deps: apt-get update reported errors; continuing" >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
foreign_setup
