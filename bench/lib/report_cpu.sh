# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_cpu.sh: the CPU cost tables (issue 21, target 5) and the FUSE
# request counts, from the CSV files of the reads, writes and profile
# sections. Sourced by report.sh; report_cpu_tables prints Markdown and
# writes $BENCH_PLOTS/cpu-read.dat and cpu-create.dat for bench/cpu.gp.
#
# CPU seconds come from /proc (the FUSE daemons' utime + stime, the
# workload's own user and system time): unlike wall time they hardly move
# with the load of a shared machine, and they say how many nodes one server
# carries. On kernel squashfs + overlayfs the work is done in the reader's
# system time (decompression, the union); on the FUSE contenders it is
# split between the daemon and the reader's system time (the FUSE client,
# the page cache copies).

report_cpu_tables()
{
	perl -I"$BENCH_DIR/lib" -MBenchReport - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL'
use strict;
use warnings;

my ($out, $plots) = @ARGV;
bench_report_dirs($out, $plots);
my $GIB = 1024 * 1024 * 1024;

# CPU times are counted in clock ticks (10 ms): two decimals at most.
sub cpu_mmm {
	return mmm_fmt(sub { my ($x) = @_; sprintf($x >= 100 ? '%.0f' : $x >= 10 ? '%.1f' : '%.2f', $x) }, @_);
}

# ---- reads: CPU seconds per GiB ------------------------------------------
# Rows written before reads.sh recorded CPU seconds have no daemon_cpu.
my @reads = grep { defined $_->{daemon_cpu} && $_->{daemon_cpu} ne '' } csv('reads.csv');
my (%d, %u, %s, %busy, %mibs, %have);
for my $r (@reads) {
	my $gib = $r->{check} / $GIB;
	next unless $gib > 0 && $r->{seconds} > 0;
	my $k = "$r->{workload}|$r->{cache}|$r->{contender}";
	push @{$d{$k}}, $r->{daemon_cpu} / $gib;
	push @{$u{$k}}, $r->{client_user} / $gib;
	push @{$s{$k}}, $r->{client_sys} / $gib;
	push @{$busy{$k}}, $r->{cpu_busy_s} / $gib;
	push @{$mibs{$k}}, $r->{check} / 1048576 / $r->{seconds};
	$have{$r->{workload}}{$r->{contender}} = 1;
}
# total = daemon + reader, run by run
my $total = sub {
	my ($k) = @_;
	return map { $d{$k}[$_] + $u{$k}[$_] + $s{$k}[$_] } 0 .. $#{$d{$k} || []};
};
my $ran = 0;
if ($have{tar}) {
	$ran = 1;
	print "### CPU cost (issue 21, target 5)\n\n";
	print "CPU seconds per GiB read by `tar -cf - .` of the whole tree (GiB of tar stream), median [min–max] over the runs: the FUSE daemons' user + system time (for fuse-overlayfs, both its daemons), and the reader's own (tar and wc: on kernel squashfs + overlayfs its system time is where the kernel decompresses and runs the union). CPU seconds hardly depend on the load of the machine; they say how many nodes one server carries.\n\n";
	print "| contender | cache | daemon | reader system | reader user | total | whole machine busy |\n|---|---|---|---|---|---|---|\n";
	my $txt = "contender daemon reader_sys reader_user\n";
	for my $c (grep { $have{tar}{$_} } @ORDER) {
		for my $m (qw(cold warm)) {
			my $k = "tar|$m|$c";
			next unless $d{$k};
			print "| $LABEL{$c} | $m | ", join(' | ', cpu_mmm(@{$d{$k}}), cpu_mmm(@{$s{$k}}), cpu_mmm(@{$u{$k}}),
				cpu_mmm($total->($k)), cpu_mmm(@{$busy{$k}})), " |\n";
			$txt .= sprintf("\"%s\" %s %s %s\n", $c, median(@{$d{$k}}), median(@{$s{$k}}), median(@{$u{$k}}))
				if $m eq 'cold';
		}
	}
	print "\n\"Whole machine busy\": every CPU's busy time during the run (/proc/stat), other work on a shared machine included; kernel threads (readahead, kworkers) show only there.\n\n";
	dat('cpu-read', $txt);
}

# ---- parallel readers -----------------------------------------------------
my @par = grep { $have{$_} } qw(par1 par2 par4);
if (@par) {
	$ran = 1;
	my %pc;
	$pc{$_} = 1 for map { keys %{$have{$_}} } @par;
	print "**Parallel readers** (cold; N readers share every regular file, 128 KiB reads; MiB/s of file data and CPU seconds per GiB, median [min–max]). The machine has few CPUs: judge by CPU per GiB, which should not grow with N.\n\n";
	print "| contender | readers | MiB/s | daemon CPU s/GiB | reader system s/GiB | total s/GiB |\n|---|---|---|---|---|---|\n";
	for my $c (grep { $pc{$_} } @ORDER) {
		for my $w (@par) {
			my $k = "$w|cold|$c";
			next unless $d{$k};
			print "| $LABEL{$c} | ", substr($w, 3), ' | ', join(' | ', cpu_mmm(@{$mibs{$k}}), cpu_mmm(@{$d{$k}}),
				cpu_mmm(@{$s{$k}}), cpu_mmm($total->($k))), " |\n";
		}
	}
	print "\n";
}

# ---- creates: CPU seconds per 10,000 files ---------------------------------
my @creates = grep { $_->{workload} eq 'create_small' && defined $_->{daemon_cpu} } csv('writes.csv');
if (@creates) {
	my (%cd, %cu, %cs, %ch);
	for my $r (@creates) {
		my $per = 10000 / ($r->{check} || 10000);
		push @{$cd{$r->{contender}}}, $r->{daemon_cpu} * $per;
		push @{$cu{$r->{contender}}}, $r->{client_user} * $per;
		push @{$cs{$r->{contender}}}, $r->{client_sys} * $per;
		$ch{$r->{contender}} = 1;
	}
	print "### CPU cost (issue 21, target 5)\n\n" unless $ran;
	print "CPU seconds per 10,000 files created (create_small: 100 bytes each, then syncfs), median [min–max]: the FUSE daemons' and the writer's own (perl and sync: where kernel overlayfs does its work).\n\n";
	print "| contender | daemon | writer system | writer user | total |\n|---|---|---|---|---|\n";
	my $txt = "contender daemon writer_sys writer_user\n";
	for my $c (grep { $ch{$_} } @ORDER) {
		my @t = map { $cd{$c}[$_] + $cu{$c}[$_] + $cs{$c}[$_] } 0 .. $#{$cd{$c}};
		print "| $LABEL{$c} | ", join(' | ', cpu_mmm(@{$cd{$c}}), cpu_mmm(@{$cs{$c}}), cpu_mmm(@{$cu{$c}}), cpu_mmm(@t)), " |\n";
		$txt .= sprintf("\"%s\" %s %s %s\n", $c, median(@{$cd{$c}}), median(@{$cs{$c}}), median(@{$cu{$c}}));
	}
	print "\n";
	dat('cpu-create', $txt);
}

# ---- FUSE requests per opcode ---------------------------------------------
my @req = csv('requests.csv');
if (@req) {
	my (%n, @cols, %seen, %ops);
	for my $r (@req) {
		my $col = "$r->{workload} $r->{cache}";
		push @cols, $col unless $seen{$col}++;
		next if $r->{opcode} eq 'none';
		$n{$r->{opcode}}{$col} += $r->{count};
		$ops{$r->{opcode}} += $r->{count};
	}
	print "### FUSE requests to netbootfs by opcode\n\n";
	print "One run of each read workload (profile section, the mount the perf profiles use), cold (caches dropped) then warm right after, counted with the kernel tracepoint fuse:fuse_request_send filtered on the mount's connection. Counts do not depend on the machine's load: they are where the time goes.\n\n";
	print '| opcode | ', join(' | ', @cols), " |\n|---|", join('', map { '---|' } @cols), "\n";
	for my $op (sort { $ops{$b} <=> $ops{$a} || $a cmp $b } keys %ops) {
		print "| $op | ", join(' | ', map { $n{$op}{$_} // 0 } @cols), " |\n";
	}
	my %tot;
	for my $op (keys %n) {
		$tot{$_} += $n{$op}{$_} for keys %{$n{$op}};
	}
	print '| **total** | ', join(' | ', map { $tot{$_} // 0 } @cols), " |\n\n";
}
PERL
	local rel
	rel=$(realpath --relative-to="$(dirname "$BENCH_REPORT")" "$BENCH_PLOTS")
	[ -s "$BENCH_PLOTS/cpu.png" ] && printf '![cpu](%s/cpu.png)\n\n' "$rel"
	return 0
}
