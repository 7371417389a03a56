# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# writes.sh: copy-on-write workloads on the contenders with a writable upper
# (netbootfs, kernel overlayfs, fuse-overlayfs).
#
#   copyup_small  append one byte to each of 1,000 small image files
#   copyup_big    append one byte to bench/big.bin ($BENCH_BIG_MIB MiB)
#   create_small  create 10,000 files of 100 bytes in a new directory
#
# Every run starts from a fresh, empty upper and cold caches; each figure
# includes a final syncfs of the upper's filesystem, so all of them count the
# same durable work (kernel overlayfs fsyncs each copy-up itself).
#
# results/writes.csv: run,workload,contender,seconds,check

BENCH_WRITES=${BENCH_WRITES:-copyup_small copyup_big create_small}

w_copyup_small()
{
	local root=$1 upper=$2
	perl -e 'my ($root, $list) = @ARGV; my $n = 0;
		 open(my $l, "<", $list) or die "$list: $!";
		 while (<$l>) { chomp; open(my $f, ">>:unix", "$root/$_") or die "$_: $!";
				print $f "x" or die; close($f) or die "$_: $!"; $n++; }
		 print "$n\n";' "$root" "$DATA_LISTS/small1000" &&
		sync -f "$upper"
}

w_copyup_big()
{
	local root=$1 upper=$2
	printf x >>"$root/bench/big.bin" && sync -f "$upper" && stat -c %s "$root/bench/big.bin"
}

w_create_small()
{
	local root=$1 upper=$2
	perl -e 'my $d = "$ARGV[0]/bench/created"; mkdir($d) or die "$d: $!";
		 my $data = "y" x 99 . "\n";
		 for my $i (1 .. 10000) { open(my $f, ">:unix", "$d/f$i") or die "f$i: $!";
					  print $f $data or die; close($f) or die "f$i: $!"; }
		 print "10000\n";' "$root" && sync -f "$upper"
}

writes_run()
{
	local r w c s check
	csv_reset writes.csv "run,workload,contender,seconds,check"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for c in $(_rotate "$r" $BENCH_WRITERS); do
			c_reset "$c" || bench_die "cannot mount $c"
			for w in $BENCH_WRITES; do
				drop_caches
				time_cmd s "w_$w" "${CROOT[$c]}" "${CUPPER[$c]}" ||
					bench_die "$w on $c failed"
				check=$(tail -n1 "$T/.out")
				csv_add writes.csv "$r" "$w" "$c" "$s" "$check"
				bench_log "run $r $w $c: ${s}s ($check)"
			done
			c_down "$c"
		done
	done
}
