# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# reads.sh: read-only workloads over every contender, cold and warm.
#
#   meta    find -printf '%s %m' of every entry (lookup + getattr, readdir)
#   tar     tar -cf - . | wc -c (every entry's metadata and every byte)
#   du      du -s --inodes of the root (readdir + stat of every entry)
#   grep    grep -r -c -F of a fixed string that is nowhere in the tree
#           (readdir, open and every byte of every regular file)
#   seq     one large sequential read: bench/big.bin with 1 MiB reads
#   rand4k  $BENCH_RAND_READS random 4 KiB reads in files all over the tree
#           (open, pread, close; fixed list, fixed seed)
#   parN    N parallel readers (N = 1 2 4), each reading its share of every
#           regular file (files in image order, dealt round-robin) to the
#           end, 128 KiB at a time; by default cold only and
#           on netbootfs, kernel and local only (BENCH_PAR_CONTENDERS,
#           BENCH_PAR_CACHE)
#
# For each run, workload and contender: drop caches, time it (cold), time it
# again (warm). Contenders take turns going first from run to run. Each
# result keeps a check value (entries or bytes) that must be the same for
# every contender.
#
# results/reads.csv: run,workload,cache,contender,seconds,check,cpu_busy_s,
#                    daemon_cpu,client_user,client_sys
# (cpu_busy_s: CPU time the whole machine spent busy during the workload,
# summed over CPUs: how much of the machine a workload keeps busy bounds
# what more readers can gain. daemon_cpu: user + system seconds of the
# contender's FUSE daemons (c_pids; 0 for the kernel and local disk);
# client_user, client_sys: the workload's own processes, where the kernel
# contenders do their decompression and union work. The cpu report turns
# them into CPU seconds per GiB read: issue 21, target 5.)

BENCH_READS=${BENCH_READS:-meta tar du grep seq rand4k par1 par2 par4}
# grep's needle: a fixed string in no file of the tree (a match fails the run)
BENCH_GREP_STRING=${BENCH_GREP_STRING:-netbootfs-bench-absent-7f3a9c1e}
# The parallel readers read the whole tree three times: on the slow FUSE
# contenders that alone would take longer than the rest of `make bench`.
BENCH_PAR_CONTENDERS=${BENCH_PAR_CONTENDERS:-netbootfs kernel local}
BENCH_PAR_CACHE=${BENCH_PAR_CACHE:-cold}

# Subshells with pipefail: a reader that fails (a crashed daemon) must fail
# the run, not leave a short count behind.
w_meta()
(
	set -o pipefail
	cd "$1" && find . -printf '%s %m\n' | wc -l
)

w_tar()
(
	set -o pipefail
	tar -C "$1" -cf - . | wc -c
)

# du -s, counting inodes instead of KiB: the same walk (one fstatat per
# entry, every directory read), and a total every contender must agree on.
# Block counts differ by design: each filesystem counts directory blocks
# its own way (squashfuse_ll's total is 1% below the kernel's).
w_du()
(
	set -o pipefail
	cd "$1" && du -s --inodes . | cut -f1
)

# grep -r -c prints one "path:0" line per regular file it read (it does not
# follow symbolic links): the check is that count, and grep must exit 1
# (read everything, matched nothing); 0 or 2 fail the run.
w_grep()
(
	cd "$1" || exit 1
	local n rc=0
	n=$(
		set -o pipefail
		grep -r -c -F -e "$BENCH_GREP_STRING" . | wc -l
	) || rc=$?
	[ "$rc" -eq 1 ] || {
		echo "grep -r exited $rc (1: no match, read everything)" >&2
		exit 1
	}
	echo "$n"
)

w_seq()
{
	dd if="$1/bench/big.bin" of=/dev/null bs=1M status=none && stat -c %s "$1/bench/big.bin"
}

w_rand4k()
{
	perl -e 'my ($root, $list) = @ARGV; my $total = 0;
		 open(my $l, "<", $list) or die "$list: $!";
		 while (<$l>) {
			chomp; my ($p, $off) = split /\t/;
			open(my $f, "<:unix", "$root/$p") or die "$p: $!";
			sysseek($f, $off, 0) or die "seek $p: $!";
			my $n = sysread($f, my $buf, 4096); die "read $p: $!" unless defined $n;
			$total += $n; close($f);
		 }
		 print "$total\n";' "$1" "$DATA_LISTS/rand4k"
}

# The shards of the parallel readers, made once per N.
_par_shards()
{
	local n=$1 i
	[ -s "$T/par$n.0" ] && return 0
	# netbootfs generates etc/hostname, etc/fstab and the boot dir's
	# cmdline.txt (by design); leaving those out keeps byte counts equal.
	perl -e 'my $n = shift; local $/ = "\0"; my @fh; my $i = 0;
		 open($fh[$_], ">", "$ENV{T}/par$n.$_") or die for 0 .. $n - 1;
		 while (<STDIN>) { next if m{^\./(etc/|boot/firmware/cmdline\.txt\0)};
				   print { $fh[$i++ % $n] } $_; }' "$n" <"$DATA_LISTS/files0"
	for ((i = 0; i < n; i++)); do
		[ -e "$T/par$n.$i" ] || return 1
	done
}

# Read every file named on stdin (NUL-separated) to its end, 128 KiB at a
# time; print the byte count. One process per reader: `xargs cat | wc -c`
# spent most of its time in cat and the pipe (23 s for what this reads in
# 1 s on a warm local tree) and hid the filesystems' differences.
_par_read()
{
	perl -e 'local $/ = "\0"; my ($t, $buf) = (0);
		 while (my $p = <STDIN>) { chomp $p;
			open(my $f, "<:unix", $p) or die "open $p: $!";
			while (1) { my $n = sysread($f, $buf, 131072);
				    die "read $p: $!" unless defined $n;
				    last unless $n; $t += $n; }
			close($f); }
		 print "$t\n";'
}

w_par()
{
	local root=$1 n=$2 i pids=() sum=0 rc=0
	_par_shards "$n" || return 1
	for ((i = 0; i < n; i++)); do
		(cd "$root" && _par_read <"$T/par$n.$i" >"$T/par$n.$i.out") &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || rc=1
	done
	for ((i = 0; i < n; i++)); do
		sum=$((sum + $(cat "$T/par$n.$i.out")))
	done
	echo "$sum"
	return $rc
}

w_run()
{
	local w=$1 root=$2
	case $w in
	par*) w_par "$root" "${w#par}" ;;
	*) "w_$w" "$root" ;;
	esac
}

# The contenders in turn order for run $1 (a rotation of the list).
_rotate()
{
	local r=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do
		echo "${a[$(((i + r) % n))]}"
	done
}

# The check value every contender must return for workload $1.
declare -A READ_EXPECT

reads_check()
{
	local w=$1 c=$2 check=$3
	[ "$w" = meta ] || [ "$w" = du ] && READ_EXPECT[$w]=$DATA_ENTRIES
	[ "$w" = par2 ] || [ "$w" = par4 ] && READ_EXPECT[$w]=${READ_EXPECT[par1]:-}
	[ -n "${READ_EXPECT[$w]:-}" ] || READ_EXPECT[$w]=$check
	# tar also archives netbootfs's generated files (see _par_shards): their
	# sizes may move the archive by a few 512-byte records.
	[ "$w" = tar ] && [ "${check#-}" -gt 0 ] &&
		[ $((check > READ_EXPECT[tar] ? check - READ_EXPECT[tar] : READ_EXPECT[tar] - check)) -le 16384 ] &&
		return 0
	[ "$check" = "${READ_EXPECT[$w]}" ] ||
		bench_die "$w on $c returned $check, expected ${READ_EXPECT[$w]} (entries or bytes): a broken contender"
}

# read_one VAR LABEL WORKLOAD CACHE CONTENDER: one checked figure of
# WORKLOAD on CONTENDER (caches dropped first when CACHE is cold), logged
# after LABEL ("run 2"); VAR gets the CSV tail
# "seconds,check,cpu_busy_s,daemon_cpu,client_user,client_sys". The reads
# and haltpoll sections both measure through it.
read_one()
{
	local __var=$1 label=$2 w=$3 mode=$4 c=$5 s check b0 busy d0 u0 s0 dcpu ucpu scpu me=$BASHPID
	[ "$mode" = cold ] && drop_caches
	d0=$(c_cpu_ticks "$c")
	u0=$(_cpu_ticks "$me" 16)
	s0=$(_cpu_ticks "$me" 17)
	b0=$(cpu_busy_ticks)
	time_cmd s w_run "$w" "${CROOT[$c]}" || bench_die "$w on $c failed"
	busy=$(_ticks_s $(($(cpu_busy_ticks) - b0)))
	dcpu=$(_ticks_s $(($(c_cpu_ticks "$c") - d0)))
	ucpu=$(_ticks_s $(($(_cpu_ticks "$me" 16) - u0)))
	scpu=$(_ticks_s $(($(_cpu_ticks "$me" 17) - s0)))
	check=$(tail -n1 "$T/.out")
	reads_check "$w" "$c" "$check"
	printf -v "$__var" '%s,%s,%s,%s,%s,%s' "$s" "$check" "$busy" "$dcpu" "$ucpu" "$scpu"
	bench_log "$label $w $mode $c: ${s}s ($check), CPU s: daemon $dcpu, reader user $ucpu sys $scpu"
}

reads_run()
{
	local r w c mode row
	csv_reset reads.csv "run,workload,cache,contender,seconds,check,cpu_busy_s,daemon_cpu,client_user,client_sys"
	for c in $BENCH_CONTENDERS; do
		c_up "$c" || bench_die "cannot mount $c"
	done
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for w in $BENCH_READS; do
			for c in $(_rotate "$r" $BENCH_CONTENDERS); do
				if [[ $w == par* ]] && [[ " $BENCH_PAR_CONTENDERS " != *" $c "* ]]; then
					continue
				fi
				for mode in cold warm; do
					if [[ $w == par* ]] && [[ " $BENCH_PAR_CACHE " != *" $mode "* ]]; then
						continue
					fi
					read_one row "run $r" "$w" "$mode" "$c"
					csv_add reads.csv "$r" "$w" "$mode" "$c" "$row"
				done
			done
		done
	done
	for c in $BENCH_CONTENDERS; do
		c_down "$c"
	done
}
