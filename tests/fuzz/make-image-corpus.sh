#!/bin/bash
# SPDX-License-Identifier: MIT
# Regenerate the seed images of tests/fuzz/fuzz_image.c in corpus-image/:
# one tiny tree (directories, a two-block file, fragments, a symlink, a
# FIFO, two owners, user and trusted xattrs) in every compression
# libsquashfuse reads, uncompressed, and without export table, fragments
# or xattrs; plus a directory large enough to carry a directory index.
# Needs root (owners, trusted xattrs, mknod) and mksquashfs.
set -euo pipefail
out=$(cd "$(dirname "$0")" && pwd)/corpus-image
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

t=$tmp/tree
mkdir -p "$t/boot/firmware" "$t/etc" "$t/empty"
printf 'arm_64bit=1\n' >"$t/boot/firmware/config.txt"
head -c 5000 /dev/zero | tr '\0' 'k' >"$t/boot/firmware/kernel8.img"
printf 'n1\n' >"$t/etc/hostname"
ln -s ../etc/hostname "$t/boot/host"
mkfifo "$t/etc/initctl"
chown 1000:1000 "$t/etc/hostname"
setfattr -n user.role -v node "$t/etc/hostname"
setfattr -n user.shared -v 0123456789abcdef "$t/etc/hostname"
setfattr -n user.shared -v 0123456789abcdef "$t/boot/firmware/config.txt"
setfattr -n trusted.overlay.opaque -v y "$t/empty"
setfattr -n user.role -v node "$t/boot/firmware/config.txt"
find "$t" -exec touch -h -d @1700000000 {} +

mk() { # NAME TREE ARGS...
	local name=$1 tree=$2
	shift 2
	mksquashfs "$tree" "$out/$name.sqfs" -noappend -no-progress -quiet -nopad -b 4096 \
		-mkfs-time 1700000000 "$@" >/dev/null
}

rm -f "$out"/*.sqfs
for c in gzip lzo lz4 xz zstd; do
	mk "$c" "$t" -comp "$c"
done
mk none "$t" -noI -noD -noF -noX
mk gzip-no-exports "$t" -no-exports
mk gzip-no-fragments "$t" -no-fragments
mk gzip-no-xattrs "$t" -no-xattrs

big=$tmp/big
mkdir -p "$big/d"
for i in $(seq 1 400); do
	: >"$big/d/name-that-fills-the-listing-$i"
done
find "$big" -exec touch -h -d @1700000000 {} +
mk gzip-dir-index "$big" -comp gzip
ls -l "$out"
