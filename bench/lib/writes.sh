# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# writes.sh: copy-on-write workloads on the contenders with a writable upper
# (netbootfs, kernel overlayfs, fuse-overlayfs).
#
#   copyup_small  append one byte to each of 1,000 small image files
#   copyup_big    append one byte to bench/big.bin ($BENCH_BIG_MIB MiB)
#   create_small  create 10,000 files of 100 bytes in a new directory
#   untar_small   tar -x of $BENCH_UNTAR_MIB MiB of small files (data_small_tar)
#                 into a new directory /untar of the root
#   rm_small      rm -rf of that /untar (runs after untar_small)
#
# Every run starts from a fresh, empty upper and cold caches; each figure
# includes a final syncfs of the upper's filesystem, so all of them count the
# same durable work (kernel overlayfs fsyncs each copy-up itself).
#
# Next to the wall time, each run records CPU seconds (issue 21, target 5):
# the FUSE daemons' user + system time (netbootfs; fuse-overlayfs and the
# squashfuse_ll under it; 0 for kernel overlayfs, which has none) and the
# workload's own (the writer and sync, user and system: kernel overlayfs
# does its work there). Both come
# from /proc and do not depend on the machine's load the way wall time does.
#
# results/writes.csv: run,workload,contender,seconds,check,daemon_cpu,
#                     client_user,client_sys

BENCH_WRITES=${BENCH_WRITES:-copyup_small copyup_big create_small untar_small rm_small}

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

w_untar_small()
{
	local root=$1 upper=$2
	mkdir "$root/untar" && tar -xf "$DATA_SMALL_TAR" -C "$root/untar" && sync -f "$upper"
}

w_rm_small()
{
	local root=$1 upper=$2
	rm -rf "$root/untar" && sync -f "$upper" && [ ! -e "$root/untar" ] && echo gone
}

# The check of a workload, read back after the timed part where it is not
# its own output: entries and bytes the extracted tree has.
wcheck_untar_small()
{
	find "$1/untar" -printf '%y %s\n' |
		awk '{ n++; if ($1 == "f") b += $2 } END { printf "%d entries %d file bytes\n", n, b }'
}

# write_one VAR LABEL WORKLOAD CONTENDER: one checked figure of WORKLOAD on
# CONTENDER's root as it is, caches dropped first, logged after LABEL
# ("run 2"); VAR gets the CSV tail "seconds,check,daemon_cpu,client_user,
# client_sys". The writes and haltpoll sections both measure through it.
write_one()
{
	local __var=$1 label=$2 w=$3 c=$4 s check d0 u0 s0 dcpu ucpu scpu me=$BASHPID
	drop_caches
	d0=$(c_cpu_ticks "$c")
	u0=$(_cpu_ticks "$me" 16)
	s0=$(_cpu_ticks "$me" 17)
	time_cmd s "w_$w" "${CROOT[$c]}" "${CUPPER[$c]}" || bench_die "$w on $c failed"
	dcpu=$(_ticks_s $(($(c_cpu_ticks "$c") - d0)))
	ucpu=$(_ticks_s $(($(_cpu_ticks "$me" 16) - u0)))
	scpu=$(_ticks_s $(($(_cpu_ticks "$me" 17) - s0)))
	check=$(tail -n1 "$T/.out")
	if declare -F "wcheck_$w" >/dev/null; then
		check=$("wcheck_$w" "${CROOT[$c]}")
	fi
	printf -v "$__var" '%s,%s,%s,%s,%s' "$s" "$check" "$dcpu" "$ucpu" "$scpu"
	bench_log "$label $w $c: ${s}s ($check), CPU s: daemon $dcpu, workload user $ucpu sys $scpu"
}

# The small-file tar, when WORKLOADS... has a write that needs it.
writes_prepare()
{
	case " $* " in
	*" untar_small "*) data_small_tar || bench_die "cannot pack the small-file tar" ;;
	esac
}

writes_run()
{
	local r w c row
	csv_reset writes.csv "run,workload,contender,seconds,check,daemon_cpu,client_user,client_sys"
	writes_prepare $BENCH_WRITES
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for c in $(_rotate "$r" $BENCH_WRITERS); do
			c_reset "$c" || bench_die "cannot mount $c"
			for w in $BENCH_WRITES; do
				write_one row "run $r" "$w" "$c"
				csv_add writes.csv "$r" "$w" "$c" "$row"
			done
			c_down "$c"
		done
	done
}
