#!/bin/bash
# Node roots over an image with more metadata (inode and directory tables)
# than a reader's metadata cache holds (512 blocks of 8 KiB, in sets
# picked by a hash of the block's position: images/md_cache.c). A walk of
# every entry through node n1 fills the cache and evicts blocks; the same
# walk through node n2 (same generation, same readers and caches, but a
# mount of its own, so every lookup reaches the daemon) then runs into
# evicted blocks and must read them again with the same result. Both must
# show what the kernel's squashfs shows: names, types, sizes, modes, owners,
# mtimes, link targets and every file's bytes.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs
grep -qw squashfs /proc/filesystems || modprobe squashfs 2>/dev/null
grep -qw squashfs /proc/filesystems || skip_all "kernel has no squashfs"

bail()
{
	echo "Bail out! $*"
	exit 1
}

DIRS=8
PER_DIR=3000
MD_BLOCK=8194 # an uncompressed metadata block on disk: header + 8 KiB

nb_layout
img=$T/img
fixture_boot_tree "$img" a
# 24,000 files with 200-byte names: directory entries alone fill ~600
# blocks. Some have bytes, owners or modes of their own; some are links.
pad=$(printf 'x%.0s' $(seq 190))
for d in $(seq 0 $((DIRS - 1))); do
	dir=$img/meta/d$d
	mkdir -p "$dir"
	(cd "$dir" && for i in $(seq -w 0 $((PER_DIR - 1))); do printf 'f%s-%s\0' "$i" "$pad"; done |
		xargs -0 touch) || exit 1
	for i in $(seq -w 0 150 $((PER_DIR - 1))); do
		printf 'file %s of d%s\n' "$i" "$d" >"$dir/f$i-$pad"
		chown $((1000 + 10#$i)):$((2000 + d)) "$dir/f$i-$pad"
		chmod 0640 "$dir/f$i-$pad"
		ln -s "../d$(((d + 1) % DIRS))/f$i-$pad" "$dir/link$i"
	done
done
# Uncompressed metadata, so its size reads off the superblock.
nb_image os-a "$img" -comp gzip -b 131072 -noI -noD
sb_u64() { od -An -t u8 -j "$1" -N 8 "$NB/images/os-a.sqfs" | tr -d ' '; }
blocks=$((($(sb_u64 80) - $(sb_u64 64)) / MD_BLOCK))
t_ok "the image holds more metadata blocks ($blocks) than a reader's cache (512)" \
	test "$blocks" -gt 600

nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01

	[node:n2]
	serial = 2b3c4d5e
	mac = dc:a6:32:00:00:02
INI
nb_start_root n1
wait_mounted "$NB/nfs/n2" 10 || bail "$NB/nfs/n2 is not mounted"

K=$T/ksq
mkdir -p "$K"
mount -t squashfs -o loop,ro "$NB/images/os-a.sqfs" "$K" || bail "cannot mount the image"
at_exit "lazy_umount '$K'"

# listing DIR: every entry below DIR/meta; directories without their size
# (a union directory counts its size its own way).
listing()
{
	(
		set -o pipefail
		cd "$1/meta" &&
			{
				find . ! -type d -printf '%p %y %s %m %U %G %T@ %l\n'
				find . -type d -printf '%p %y %m %U %G\n'
			} | LC_ALL=C sort
	)
}
content()
{
	(
		set -o pipefail
		cd "$1/meta" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat | md5sum
	)
}

listing "$K" >"$T/k.list" || bail "cannot list the kernel's view"
t_is "$(wc -l <"$T/k.list")" $((1 + DIRS * (1 + PER_DIR + PER_DIR / 150))) \
	"the kernel shows every entry"
for n in n1 n2; do
	rc=0
	listing "$NB/nfs/$n" >"$T/$n.list" || rc=$?
	t_is "$rc" 0 "$n: the walk succeeds"
	t_ok "$n: every entry as the kernel's squashfs shows it" diff -u "$T/k.list" "$T/$n.list"
done
want=$(content "$K")
for n in n1 n2; do
	t_is "$(content "$NB/nfs/$n")" "$want" "$n: every file's bytes as the kernel reads them"
done
t_is "$(cat "$NB/nfs/n2/meta/d7/link0150")" "file 0150 of d0" "a link across directories reads its target"

done_testing
