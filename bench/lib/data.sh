# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# data.sh: the benchmark image, built once and kept in $BENCH_CACHE.
#
#   usr/share/...            $BENCH_TREE, a real OS tree nobody wrote for the test
#   boot/firmware/...        a Pi 4 boot tree with a 30 MiB kernel8.img
#   etc/{fstab,hostname..}   (fixture_boot_tree)
#   bench/big.bin            $BENCH_BIG_MIB MiB, compressible (sequential read,
#                            large copy-up)
#
# gzip, 128 KiB blocks, like a Raspberry Pi OS image. The same image is
# unpacked to $DATA_TREE on the local disk (the PiServer way).
#
#   data_prepare      sets DATA_IMAGE, DATA_TREE, DATA_LISTS and the lists:
#     $DATA_LISTS/files0      every regular file, NUL-separated, relative, in
#                             the image's order
#     $DATA_LISTS/rand4k      "path<TAB>offset" lines for the random reads
#     $DATA_LISTS/small1000   1,000 small files for the copy-up runs
#     $DATA_LISTS/entries     number of entries find reports under the root
#   data_small_tar    sets DATA_SMALL_TAR: a tar of $BENCH_UNTAR_MIB MiB of
#                     small files of the unpacked tree (the untar/rm writes)

data_key()
{
	printf '%s|%s|%s|v3' "$(realpath "$BENCH_TREE")" "$BENCH_BIG_MIB" "$BENCH_RAND_READS" |
		sha256sum | cut -c1-12
}

_data_build_image()
{
	local out=$1 stage=$T/stage
	mkdir -p "$stage/usr/share" "$stage/bench" || return 1
	fixture_boot_tree "$stage" bench || return 1
	fixture_bytes $((BENCH_BIG_MIB << 20)) big >"$stage/bench/big.bin" || return 1
	# A read-only bind mount puts the real tree at usr/share without a copy.
	mount --bind -o ro "$BENCH_TREE" "$stage/usr/share" || return 1
	at_exit "lazy_umount '$stage/usr/share'"
	mksquashfs "$stage" "$out.tmp" -noappend -no-progress -quiet -comp gzip -b 131072 \
		-processors "$(nproc)" -mkfs-time 1700000000 || return 1
	lazy_umount "$stage/usr/share"
	mv "$out.tmp" "$out"
}

# Every regular file in the order the image stores them: what a reader
# walking the tree meets (find on a squashfs lists each directory as
# mksquashfs sorted it). A sorted path list is not that order ("a.d/x"
# sorts before "a/x", the image has a/ first) and made every squashfs
# contender decompress fragment blocks again and again.
_data_image_files0()
{
	local image=$1 out=$2 mnt=$T/files0-mnt rc=0
	mkdir -p "$mnt" || return 1
	mount -t squashfs -o loop,ro "$image" "$mnt" || return 1
	(cd "$mnt" && find . -type f -print0) >"$out" || rc=1
	umount "$mnt" || rc=1
	return $rc
}

# The lists' format; cached lists of another version are made again (2:
# files0 in image order, not sorted by path).
DATA_LISTS_VERSION=2

# _data_lists IMAGE TREE DIR
_data_lists()
{
	local image=$1 tree=$2 dir=$3
	mkdir -p "$dir" || return 1
	_data_image_files0 "$image" "$dir/files0" || return 1
	(cd "$tree" && find . | wc -l) >"$dir/entries" || return 1
	# Deterministic picks (fixed seed): random 4 KiB reads over files of at
	# least 8 KiB, and 1,000 files under 16 KiB for the copy-up runs.
	(cd "$tree" && find . -type f -size +8k -printf '%P\t%s\n' | sort) |
		perl -e 'srand(1); my @f = map { chomp; [split /\t/] } <STDIN>;
			 for (1 .. $ARGV[0]) { my $x = $f[int(rand(@f))];
			   my $blocks = int($x->[1] / 4096);
			   printf "%s\t%d\n", $x->[0], 4096 * int(rand($blocks)); }' \
			"$BENCH_RAND_READS" >"$dir/rand4k" || return 1
	(cd "$tree" && find usr -type f -size -16k -printf '%P\n' | sed 's|^|usr/|' | sort) |
		perl -e 'srand(2); my @f = <STDIN>;
			 for (my $i = @f - 1; $i > 0; $i--) { my $j = int(rand($i + 1)); @f[$i, $j] = @f[$j, $i]; }
			 print @f[0 .. ($#f < 999 ? $#f : 999)];' >"$dir/small1000" || return 1
	[ "$(wc -l <"$dir/small1000")" -ge 100 ] || bench_die "too few small files in $BENCH_TREE"
	echo "$DATA_LISTS_VERSION" >"$dir/version"
}

data_prepare()
{
	local key
	key=$(data_key)
	DATA_DIR=$BENCH_CACHE/$key
	DATA_IMAGE=$DATA_DIR/image.sqfs
	DATA_TREE=$DATA_DIR/tree
	DATA_LISTS=$DATA_DIR/lists
	mkdir -p "$DATA_DIR" || return 1
	if [ ! -s "$DATA_IMAGE" ]; then
		bench_log "packing $BENCH_TREE into $DATA_IMAGE (once; cached)"
		_data_build_image "$DATA_IMAGE" || bench_die "cannot build the image"
		rm -rf "$DATA_TREE" "$DATA_LISTS"
	fi
	if [ ! -d "$DATA_TREE" ]; then
		bench_log "unpacking the image to $DATA_TREE (the PiServer way)"
		unsquashfs -q -n -d "$DATA_TREE.tmp" "$DATA_IMAGE" >/dev/null || bench_die "unsquashfs failed"
		mv "$DATA_TREE.tmp" "$DATA_TREE"
	fi
	if [ ! -s "$DATA_LISTS/small1000" ] ||
		[ "$(cat "$DATA_LISTS/version" 2>/dev/null)" != "$DATA_LISTS_VERSION" ]; then
		_data_lists "$DATA_IMAGE" "$DATA_TREE" "$DATA_LISTS.tmp" || bench_die "cannot list the tree"
		rm -rf "$DATA_LISTS"
		mv "$DATA_LISTS.tmp" "$DATA_LISTS"
	fi
	DATA_ENTRIES=$(cat "$DATA_LISTS/entries")
	DATA_BYTES=$(du -sb --apparent-size "$DATA_TREE" | cut -f1)
	bench_log "image $(du -h "$DATA_IMAGE" | cut -f1), $DATA_ENTRIES entries, $((DATA_BYTES >> 20)) MiB unpacked"
	{
		echo "image: $(stat -c %s "$DATA_IMAGE") bytes, gzip, 128 KiB blocks"
		echo "entries: $DATA_ENTRIES"
		echo "files: $(tr -cd '\0' <"$DATA_LISTS/files0" | wc -c)"
		echo "unpacked: $DATA_BYTES bytes"
	} >>"$BENCH_OUT/machine.txt"
}

# data_small_tar: the first $BENCH_UNTAR_MIB MiB (in path order) of the
# tree's files under 32 KiB, with every directory above them, as one tar
# (numeric owners, fixed order): what `tar -x` writes into a root. Made once
# per size next to the image.
data_small_tar()
{
	local out=$DATA_DIR/small-$BENCH_UNTAR_MIB.tar
	DATA_SMALL_TAR=$out
	[ -s "$out" ] && return 0
	bench_log "packing $BENCH_UNTAR_MIB MiB of small files into $out (once; cached)"
	(cd "$DATA_TREE" && find usr -type f -size -32k -printf '%p\t%s\n' | LC_ALL=C sort) |
		perl -e 'my ($max, $sum, %dir) = ($ARGV[0] << 20, 0);
			 while (<STDIN>) { chomp; my ($p, $s) = split /\t/;
			   last if $sum + $s > $max; $sum += $s;
			   my @c = split m{/}, $p; pop @c;
			   for my $i (1 .. @c) { my $d = join("/", @c[0 .. $i - 1]);
			     print "$d\0" unless $dir{$d}++; }
			   print "$p\0"; }' "$BENCH_UNTAR_MIB" >"$T/small.list" || return 1
	tar -C "$DATA_TREE" -cf "$out.tmp" --no-recursion --null -T "$T/small.list" \
		--numeric-owner --format=gnu || return 1
	mv "$out.tmp" "$out"
}
