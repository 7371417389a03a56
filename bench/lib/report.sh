# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report.sh: tables and plots from the raw CSV files in $BENCH_OUT.
#
# Every figure is "median [min–max]" over the runs. A ratio is computed run by
# run (both figures from the same run), then summarised the same way; "x nb"
# is contender time / netbootfs time, so above 1 means netbootfs is faster.
#
# The generated part of $BENCH_REPORT sits between the two markers below and
# is replaced; the hand-written text around it (analysis) stays. Plot data go
# to $BENCH_PLOTS/*.dat, PNGs to $BENCH_PLOTS/*.png (bench/*.gp).

# shellcheck source=report_cpu.sh
. "$BENCH_DIR/lib/report_cpu.sh"
# shellcheck source=report_nfs.sh
. "$BENCH_DIR/lib/report_nfs.sh"
# shellcheck source=report_coldread.sh
. "$BENCH_DIR/lib/report_coldread.sh"
# shellcheck source=report_transport.sh
. "$BENCH_DIR/lib/report_transport.sh"
# shellcheck source=report_haltpoll.sh
. "$BENCH_DIR/lib/report_haltpoll.sh"

# report_plot NAME: the link to $BENCH_PLOTS/NAME.png and a blank line,
# when gnuplot made it.
report_plot()
{
	[ -s "$BENCH_PLOTS/$1.png" ] || return 0
	echo "![$1]($(realpath --relative-to="$(dirname "$BENCH_REPORT")" "$BENCH_PLOTS")/$1.png)"
	echo
}

REPORT_BEGIN='<!-- BEGIN GENERATED: bench/run.sh report; do not edit by hand -->'
REPORT_END='<!-- END GENERATED -->'

_report_tables()
{
	perl -I"$BENCH_DIR/lib" -MBenchReport - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL'
use strict;
use warnings;

my ($out, $plots) = @ARGV;
bench_report_dirs($out, $plots);
my %WDESC = (
	meta => 'metadata walk: find -printf "%s %m" of every entry',
	tar => 'full read: tar -cf - . | wc -c',
	seq => 'one large sequential read (bench/big.bin, 1 MiB reads)',
	rand4k => 'random 4 KiB reads (open, pread, close) all over the tree',
	par1 => '1 reader: every regular file, in image order, read to its end (128 KiB reads)',
	par2 => '2 parallel readers, files dealt round-robin',
	par4 => '4 parallel readers, files dealt round-robin',
	du => 'du -s --inodes: readdir and stat of every entry (inodes counted, not blocks: the same walk, a total every contender agrees on)',
	grep => 'grep -r -c -F of a string in no file: every regular file opened and read to its end',
	'meta+tar' => 'the issue\'s reference walk (and the independent run\'s: the same find -printf "%s %m" then tar -cf -): meta + tar, summed per run',
	'du+grep' => 'the issue\'s third walk: du + grep, summed per run',
	copyup_small => 'copy-up of 1,000 small files (append 1 byte), then syncfs',
	copyup_big => 'copy-up of one 100 MiB file (append 1 byte), then syncfs',
	create_small => 'create 10,000 files of 100 bytes, then syncfs',
	untar_small => 'tar -x of a tar of small files (files under 32 KiB of the tree, in path order, up to BENCH_UNTAR_MIB MiB) into a new directory of the root, then syncfs',
	rm_small => 'rm -rf of that extracted tree, then syncfs (most of its wall time is the host file system waiting for I/O while it frees blocks, for every contender: on this machine, ext4 without a journal mounted with discard, a plain rm -rf of the same tree on the host takes about 13 s with under 1 s of CPU; compare the CPU seconds below)',
);

# The distinct values of a list, sorted (files written before a column
# existed fall back to what their sitting used).
sub distinct {
	my %seen = map { $_ => 1 } @_;
	return sort keys %seen;
}

sub present {
	my ($have) = @_;
	return grep { $have->{$_} } @ORDER;
}

# "Sitting: DATE, daemon REV, load average at start L." of a section run on
# its own (its copy of machine.txt), if there is one.
sub sitting {
	my ($file) = @_;
	open(my $h, '<', "$out/$file") or return;
	my %m = map { /^([^:]+): (.*)$/ ? ($1, $2) : () } <$h>;
	printf "Sitting: %s, daemon %s, %s, load average at start %s.\n\n", $m{date} // '?',
		($m{daemon} // '?') =~ s/ \(.*//r, $m{cpu} // '?', $m{'load average at start'} // '?';
}

# ---- reads ---------------------------------------------------------------
my $ncpu;
if (open(my $h, '<', "$out/machine.txt")) {
	while (<$h>) { $ncpu = $1 if /^cpu: (\d+) x/; }
}
my @reads = csv('reads.csv');
my (%t, %busy, %cpus, %have, %wl, %runs, %checks);
for my $r (@reads) {
	$t{$r->{workload}}{$r->{cache}}{$r->{contender}}{$r->{run}} = $r->{seconds};
	# CPUs kept busy on average (older CSV files have no cpu_busy_s)
	if (defined $r->{cpu_busy_s} && $r->{cpu_busy_s} ne '' && $r->{seconds} > 0) {
		$busy{$r->{workload}}{$r->{cache}}{$r->{contender}}{$r->{run}} = $r->{cpu_busy_s};
		$cpus{$r->{workload}}{$r->{cache}}{$r->{contender}}{$r->{run}} = $r->{cpu_busy_s} / $r->{seconds};
	}
	$have{$r->{contender}} = 1;
	$wl{$r->{workload}} = 1;
	$runs{$r->{run}} = 1;
	$checks{$r->{workload}}{$r->{contender}}{$r->{check}} = 1;
}
# The issue's walks: meta + tar and du + grep, each summed in the same run.
my @WALKS = grep { $wl{$_->[0]} && $wl{$_->[1]} } ([qw(meta tar)], [qw(du grep)]);
for my $pair (@WALKS) {
	my ($a, $b) = @$pair;
	for my $c (keys %{$t{$a}{cold}}) {
		for my $m (qw(cold warm)) {
			for my $run (keys %{$t{$a}{$m}{$c}}) {
				next unless defined $t{$b}{$m}{$c}{$run};
				$t{"$a+$b"}{$m}{$c}{$run} = $t{$a}{$m}{$c}{$run} + $t{$b}{$m}{$c}{$run};
			}
		}
	}
	$wl{"$a+$b"} = 1;
}
my @WORDER = grep { $wl{$_} } qw(meta+tar du+grep meta tar du grep seq rand4k par1 par2 par4);
my @cs = present(\%have);

sub per_run_ratio {
	my ($h, $num, $den) = @_;
	my @r;
	for my $run (sort keys %{$h->{$num} || {}}) {
		my ($a, $b) = ($h->{$num}{$run}, $h->{$den}{$run});
		push @r, $a / $b if defined $a && defined $b && $b > 0;
	}
	return @r;
}

if (@reads) {
	printf "### Reads\n\n%d runs; seconds, median [min–max]; \"x nb\" = contender / netbootfs, run by run.\n\n",
		scalar(keys %runs);
	for my $w (@WORDER) {
		print "**$w** — $WDESC{$w}\n\n";
		print "| contender | cold s | cold x nb | warm s | warm x nb |\n|---|---|---|---|---|\n";
		for my $c (@cs) {
			next unless $t{$w}{cold}{$c} || $t{$w}{warm}{$c};
			my @row = ($LABEL{$c});
			for my $m (qw(cold warm)) {
				push @row, mmm(values %{$t{$w}{$m}{$c} || {}});
				push @row, !$t{$w}{$m}{$c} ? '–' : $c eq 'netbootfs' ? '1'
					: ratio_cell(per_run_ratio($t{$w}{$m}, $c, 'netbootfs'));
			}
			print '| ', join(' | ', @row), " |\n";
		}
		print "\n";
	}
	# Against the in-kernel limit, like the issue's reference figures.
	if ($have{kernel}) {
		print "**Relative to kernel squashfs + overlayfs** (time / kernel time, run by run; the issue's reference on its machine: squashfuse_ll 1.87x warm / 1.51x cold, squashfuse 8.0x / 5.1x, squashfuse + fuse-overlayfs 12.0x / 10.7x)\n\n";
		print '| workload | cache | ', join(' | ', map { $LABEL{$_} } grep { $_ ne 'kernel' } @cs), " |\n";
		print '|---|---|', join('', map { '---|' } grep { $_ ne 'kernel' } @cs), "\n";
		for my $w (@WORDER) {
			for my $m (qw(cold warm)) {
				next unless $t{$w}{$m}{kernel};
				print "| $w | $m | ", join(' | ', map { ratio_cell(per_run_ratio($t{$w}{$m}, $_, 'kernel')) } grep { $_ ne 'kernel' } @cs), " |\n";
			}
		}
		print "\n";
	}
	# Readers gain from the CPUs one reader leaves idle, and lose what
	# sharing the machine costs in CPU time per byte.
	if ($busy{par1} && $busy{par4} && $ncpu) {
		printf "**CPU time of the parallel readers** (cold; busy CPU time of the whole machine, %d CPUs; median [min–max])\n\n", $ncpu;
		print "| contender | CPUs busy, 1 reader | CPUs busy, 4 readers | CPU time, 4 readers / 1 reader |\n|---|---|---|---|\n";
		for my $c (@cs) {
			next unless $busy{par1}{cold}{$c} && $busy{par4}{cold}{$c};
			print "| $LABEL{$c} | ", mmm(values %{$cpus{par1}{cold}{$c}}), ' | ', mmm(values %{$cpus{par4}{cold}{$c}}),
				' | ', ratio_cell(per_run_ratio({a => $busy{par4}{cold}{$c}, b => $busy{par1}{cold}{$c}}, 'a', 'b')), " |\n";
		}
		print "\n";
	}
	my @bad;
	for my $w (keys %checks) {
		my %vals;
		for my $c (keys %{$checks{$w}}) {
			$vals{$_}{$c} = 1 for keys %{$checks{$w}{$c}};
		}
		push @bad, "$w: " . join('; ', map { "$_ (" . join(' ', sort keys %{$vals{$_}}) . ')' } sort keys %vals)
			if keys %vals > 1;
	}
	if (@bad) {
		print "Check values (entries or bytes) that differ between contenders:\n\n";
		print "- $_\n" for sort @bad;
		print "\n";
	} else {
		print "Every contender returned the same check value (entry count or byte count) for every workload.\n\n";
	}
	# plot data: one row per workload, one column per contender (medians)
	for my $m (qw(cold warm)) {
		my $txt = join(' ', 'workload', map { "\"$LABEL{$_}\"" } @cs) . "\n";
		for my $w (grep { !/\+/ } @WORDER) {
			$txt .= join(' ', $w, map { my $v = median(values %{$t{$w}{$m}{$_} || {}}); defined $v ? $v : '-' } @cs) . "\n";
		}
		dat("reads-$m", $txt);
	}
}

# ---- writes --------------------------------------------------------------
my @writes = csv('writes.csv');
if (@writes) {
	my (%wt, %wh, %ww, %wr);
	for my $r (@writes) {
		$wt{$r->{workload}}{$r->{contender}}{$r->{run}} = $r->{seconds};
		$wh{$r->{contender}} = 1;
		$ww{$r->{workload}} = 1;
		$wr{$r->{run}} = 1;
	}
	my @wc = present(\%wh);
	my %wcheck;
	$wcheck{$_->{workload}}{$_->{check}} = 1 for @writes;
	my @wdiff = grep { keys %{$wcheck{$_}} > 1 } sort keys %wcheck;
	printf "### Writes (copy-up, create, tar -x, rm -rf)\n\n%d runs, each on a fresh empty upper after drop_caches; seconds, median [min–max].\n\n",
		scalar(keys %wr);
	print '| workload | ', join(' | ', map { "$LABEL{$_} s" . ($_ eq 'netbootfs' ? '' : " | x nb") } @wc), " |\n";
	print '|---|', join('', map { $_ eq 'netbootfs' ? '---|' : '---|---|' } @wc), "\n";
	for my $w (grep { $ww{$_} } qw(copyup_small copyup_big create_small untar_small rm_small)) {
		my @row = ($w);
		for my $c (@wc) {
			push @row, mmm(values %{$wt{$w}{$c}});
			push @row, ratio_cell(per_run_ratio($wt{$w}, $c, 'netbootfs')) unless $c eq 'netbootfs';
		}
		print '| ', join(' | ', @row), " |\n";
	}
	print "\n";
	print "- **$_**: $WDESC{$_}\n" for grep { $ww{$_} } qw(copyup_small copyup_big create_small untar_small rm_small);
	print "\n";
	print @wdiff ? "**Check values differ** (" . join(', ', @wdiff) . "): see writes.csv.\n\n"
		     : "Every contender returned the same check value (file count, size or entries and bytes) for every workload.\n\n";
	# CPU seconds (writes.sh): what the machine's load does not move the
	# way it moves wall time. Older CSV files have no such columns.
	my (%dc, %cs);
	for my $r (grep { defined $_->{daemon_cpu} } @writes) {
		$dc{$r->{workload}}{$r->{contender}}{$r->{run}} = $r->{daemon_cpu};
		$cs{$r->{workload}}{$r->{contender}}{$r->{run}} = $r->{client_user} + $r->{client_sys};
	}
	if (%dc) {
		print "CPU seconds of the same runs, median [min–max]: the FUSE daemon's (user + system; kernel overlayfs has none) and the workload's own (the writer and sync, user + system: kernel overlayfs does its work there).\n\n";
		print '| workload | ', join(' | ', map { "$LABEL{$_} daemon | $LABEL{$_} workload" } @wc), " |\n";
		print '|---|', join('', map { '---|---|' } @wc), "\n";
		for my $w (grep { $dc{$_} } qw(copyup_small copyup_big create_small untar_small rm_small)) {
			print '| ', join(' | ', $w, map { ($_ eq 'kernel' ? '–' : mmm(values %{$dc{$w}{$_}}), mmm(values %{$cs{$w}{$_}})) } @wc), " |\n";
		}
		print "\n";
	}
	my $txt = join(' ', 'workload', map { "\"$LABEL{$_}\"" } @wc) . "\n";
	for my $w (grep { $ww{$_} } qw(copyup_small copyup_big create_small untar_small rm_small)) {
		$txt .= join(' ', $w, map { median(values %{$wt{$w}{$_}}) } @wc) . "\n";
	}
	dat('writes', $txt);
}

# ---- boot storm ----------------------------------------------------------
my @storm = csv('bootstorm.csv');
if (@storm) {
	my (%s, %ns, %sr, $failed, %retried);
	for my $r (@storm) {
		for my $k (qw(total_s p50_s p99_s)) {
			$s{$r->{clients}}{$r->{source}}{$k}{$r->{run}} = $r->{$k};
		}
		$ns{$r->{clients}} = 1;
		$sr{$r->{run}} = 1;
		$failed += $r->{failed};
		$retried{$r->{source}} += $r->{retries} // 0;
	}
	printf "### Boot storm (TFTP through dnsmasq)\n\n%d runs; N clients fetch a Pi 4 boot tree (about 32 MiB) at once, caches dropped first; seconds, median [min–max]; \"nb / plain\" = netbootfs / plain directory, run by run (target: at most 1.1x).\n\n",
		scalar(keys %sr);
	print "| N | source | total | per-client p50 | per-client p99 | nb / plain (total) | nb / plain (p99) |\n|---|---|---|---|---|---|---|\n";
	my $txt = "N nb_total plain_total nb_p50 plain_p50 nb_p99 plain_p99\n";
	for my $n (sort { $a <=> $b } keys %ns) {
		for my $src (qw(netbootfs plain)) {
			next unless $s{$n}{$src};
			my @row = ($n, $LABEL{$src}, map { mmm(values %{$s{$n}{$src}{$_}}) } qw(total_s p50_s p99_s));
			if ($src eq 'netbootfs') {
				my (@rt, @rp);
				for my $run (keys %{$s{$n}{$src}{total_s}}) {
					next unless defined $s{$n}{plain}{total_s}{$run};
					push @rt, $s{$n}{netbootfs}{total_s}{$run} / $s{$n}{plain}{total_s}{$run};
					push @rp, $s{$n}{netbootfs}{p99_s}{$run} / $s{$n}{plain}{p99_s}{$run};
				}
				push @row, ratio_cell(@rt), ratio_cell(@rp);
			} else {
				push @row, '', '';
			}
			print '| ', join(' | ', @row), " |\n";
		}
		$txt .= join(' ', $n, map { my ($src, $k) = @$_; median(values %{$s{$n}{$src}{$k} || {}}) // '-' }
			[qw(netbootfs total_s)], [qw(plain total_s)], [qw(netbootfs p50_s)], [qw(plain p50_s)],
			[qw(netbootfs p99_s)], [qw(plain p99_s)]) . "\n";
	}
	printf "\nClient: %s. Clients that failed a file (%s tries each) over all runs: %d. Fetches retried after a failure: netbootfs %d, plain directory %d.\n\n",
		join(', ', distinct(map { $_->{client} // 'busybox tftp' } @storm)),
		join(', ', distinct(map { $_->{tries} // $ENV{BOOT_TRIES} // 5 } @storm)),
		$failed // 0, $retried{netbootfs} // 0, $retried{plain} // 0;
	dat('bootstorm', $txt);
}

# ---- unknown-client flood -------------------------------------------------
my @flood = csv('flood.csv');
my %fl;
for my $r (@flood) {
	$fl{boot}{$r->{source}}{$r->{flood}}{$r->{run}} = $r->{boot_s};
	$fl{load}{$r->{source}}{$r->{flood}}{$r->{run}} = $r->{load1};
}
my @flood_ratio = per_run_ratio($fl{boot}{netbootfs} || {}, 'on', 'off');
if (@flood) {
	my @on = grep { $_->{flood} eq 'on' } @flood;
	my @nb_on = grep { $_->{source} eq 'netbootfs' } @on;
	my $per_min = sub { my ($k, @rows) = @_; map { $_->{flood_s} > 0 ? $_->{$k} * 60 / $_->{flood_s} : () } @rows };
	my %boots;
	$boots{"$_->{run} $_->{source} $_->{flood}"}++ for csv('flood-boots.csv');
	printf "### Unknown-client flood (TFTP through dnsmasq)\n\n%d runs; in each, one node fetches a Pi 4 boot tree (start4.elf ... a 30 MiB kernel8.img, about 32 MiB; curl, as in the boot storm) through dnsmasq %s times in a row without and as many times with a flood of %s requests/s for random `<serial>/start4.elf` from another namespace (lasting %s s, the boots starting 2 s into it), caches dropped before each boot; a run's figure is the median of its boots; seconds, median [min–max] over the runs; \"with / without\" run by run (target for netbootfs: at most 1.2x). The plain directory under the same flood is the control: what the flood costs dnsmasq, the network and the CPUs whatever serves the files. The machine is shared with other work: its 1-minute load average when each series started is given.\n\n",
		scalar(keys %{$fl{boot}{netbootfs}{off} || {}}), join(', ', distinct(map { $boots{"$_->{run} $_->{source} $_->{flood}"} // '?' } @flood)),
		join(', ', distinct(map { $_->{flood_rate} } @on)), join(', ', distinct(map { sprintf('%.0f', $_->{flood_s}) } @on));
	sitting('flood-machine.txt');
	print "| source | boot | seconds | with / without | load average |\n|---|---|---|---|---|\n";
	for my $src (grep { $fl{boot}{$_} } qw(netbootfs plain)) {
		print "| $LABEL{$src} | without flood | ", mmm(values %{$fl{boot}{$src}{off}}), ' | | ', mmm(values %{$fl{load}{$src}{off}}), " |\n";
		print "| $LABEL{$src} | with flood | ", mmm(values %{$fl{boot}{$src}{on}}), ' | ',
			ratio_cell(per_run_ratio($fl{boot}{$src}, 'on', 'off')), ' | ', mmm(values %{$fl{load}{$src}{on}}), " |\n";
	}
	my %pool;
	push @{$pool{$_->{source}}{$_->{flood}}}, $_->{seconds} for csv('flood-boots.csv');
	my @pooled;
	for my $src (grep { $pool{$_}{on} && $pool{$_}{off} } qw(netbootfs plain)) {
		my ($on, $off) = (median(@{$pool{$src}{on}}), median(@{$pool{$src}{off}}));
		push @pooled, sprintf('%s %s s with, %s s without (%.2fx)', $LABEL{$src}, fmt($on), fmt($off), $off > 0 ? $on / $off : 0);
	}
	printf "\nEvery boot pooled (%d per source and mode), median: %s.\n", scalar(@{$pool{netbootfs}{on} || []}), join('; ', @pooled)
		if @pooled;
	print "\n| during the flood, netbootfs | per minute, median [min–max] |\n|---|---|\n";
	print '| requests sent | ', mmm($per_min->('flood_sent', @nb_on)), " |\n";
	print '| requests answered by dnsmasq (file not found) | ', mmm($per_min->('flood_answered', @nb_on)), " |\n";
	print '| writes of <state>/discovered | ', mmm($per_min->('state_writes', @nb_on)), " |\n";
	print '| daemon log lines about unknown clients | ', mmm($per_min->('log_lines', @nb_on)), " |\n\n";
	printf "Series with a boot that failed a file: %d of %d. Series under the flood that ended before it: %d of %d.\n\n",
		scalar(grep { $_->{boot_ok} ne '1' } @flood), scalar(@flood),
		scalar(grep { $_->{boot_in_flood} eq '1' } @on), scalar(@on);
}

# ---- scale ---------------------------------------------------------------
my @scale = csv('scale.csv');
my @mapper = csv('mapper.csv');
if (@scale) {
	my (%sc, %sr);
	for my $r (@scale) {
		$sc{$r->{nodes}}{$_}{$r->{run}} = $r->{$_} for qw(start_s rss_kib threads fds stop_s);
		$sr{$r->{run}} = 1;
	}
	printf "### Scale: one daemon, N nodes (one root mount each, plus the TFTP mount)\n\n%d runs; median [min–max]. Start: exec to \"serving\" with every mount up.\n\n",
		scalar(keys %sr);
	print "| nodes | start s | RSS MiB | threads | fds | stop s |\n|---|---|---|---|---|---|\n";
	my $txt = "nodes start_s rss_mib threads fds\n";
	for my $n (sort { $a <=> $b } keys %sc) {
		print "| $n | ", join(' | ', mmm(values %{$sc{$n}{start_s}}), mmm(map { $_ / 1024 } values %{$sc{$n}{rss_kib}}),
			mmm(values %{$sc{$n}{threads}}), mmm(values %{$sc{$n}{fds}}), mmm(values %{$sc{$n}{stop_s}})), " |\n";
		$txt .= join(' ', $n, median(values %{$sc{$n}{start_s}}), median(values %{$sc{$n}{rss_kib}}) / 1024,
			median(values %{$sc{$n}{threads}}), median(values %{$sc{$n}{fds}})) . "\n";
	}
	print "\n";
	dat('scale', $txt);
}
if (@mapper) {
	my (%mp, %mr);
	# ns_per_record_read: the floor (older CSV files have none)
	my @cols = grep { defined $mapper[0]{$_} } qw(ns_per_lookup_name ns_per_lookup_serial ns_per_lookup_mac ns_per_record_read);
	for my $r (@mapper) {
		$mp{$r->{nodes}}{$_}{$r->{run}} = $r->{$_} for @cols;
		$mr{$r->{run}} = 1;
	}
	printf "### Mapper lookup latency (bench/mapper_lookup.c)\n\n%d runs; ns per lookup, median [min–max]; shuffled keys, every lookup hits.%s\n\n",
		scalar(keys %mr), @cols > 3 ? ' Floor: an oracle that knows where each node\'s 32-byte record is, reads it and compares the name.' : '';
	my %head = (ns_per_lookup_name => 'by name', ns_per_lookup_serial => 'by serial', ns_per_lookup_mac => 'by MAC',
		ns_per_record_read => 'floor: one record read');
	print '| nodes | ', join(' | ', map { $head{$_} } @cols), " |\n|---|", join('', map { '---|' } @cols), "\n";
	my $txt = "nodes name serial mac\n";
	for my $n (sort { $a <=> $b } keys %mp) {
		print "| $n | ", join(' | ', map { mmm(values %{$mp{$n}{$_}}) } @cols), " |\n";
		$txt .= join(' ', $n, map { median(values %{$mp{$n}{$_}}) } qw(ns_per_lookup_name ns_per_lookup_serial ns_per_lookup_mac)) . "\n";
	}
	print "\n";
	dat('mapper', $txt);
}

# ---- verify ---------------------------------------------------------------
my @vspeed = csv('verify_speed.csv');
my @vread = csv('verify_readers.csv');
if (@vspeed || @vread) {
	print "### Verify (an image is a generation only once every block was read and decompressed)\n\n";
	sitting('verify-machine.txt');
}
if (@vspeed) {
	my (%mbs, %size, %runs, @keys);
	for my $r (@vspeed) {
		my $k = join('|', $r->{image}, $r->{compression}, $r->{how}, $r->{cache});
		push @keys, $k unless $mbs{$k};
		push @{$mbs{$k}}, $r->{image_bytes} / $r->{seconds} / 1e6 if $r->{seconds} > 0;
		$size{$k} = $r->{image_bytes};
		$runs{$r->{run}} = 1;
	}
	my %IDESC = (tree => 'the benchmark image (real tree)', 'boot+big' => 'Pi boot tree + bench/big.bin');
	my %HDESC = (ctl => '`netbootctl image verify`', daemon => 'daemon in the background (SCHED_IDLE), no node reading: rename to generation');
	printf "%d runs; MB/s of image file (10^6 bytes per second), median [min–max]; seconds per GB of image = 1000 / MB/s. The boot tree + big.bin images hold the same 133 MiB of file data (a 30 MiB kernel, start4.elf, firmware, 100 MiB of compressible bytes) with each compressor; the real-tree image is built as the reads section's, in this section's sitting. On a shared machine the daemon's SCHED_IDLE thread runs only when no other process wants a CPU (the sitting's load average at its start is given above).\n\n", scalar(keys %runs);
	print "| image | compression | image size | how | cache | MB/s | s per GB |\n|---|---|---|---|---|---|---|\n";
	for my $k (@keys) {
		my ($img, $comp, $how, $cache) = split /\|/, $k;
		printf "| %s | %s | %.0f MB | %s | %s | %s | %s |\n", $IDESC{$img} // $img, $comp, $size{$k} / 1e6,
			$HDESC{$how} // $how, $cache, mmm(@{$mbs{$k}}), fmt(1000 / median(@{$mbs{$k}}));
	}
	print "\n";
}
if (@vread) {
	my (%t, %vs, %ov, %runs, %checks);
	for my $r (@vread) {
		$t{$r->{workload}}{$r->{verify}}{$r->{run}} = $r->{seconds};
		if ($r->{verify} eq 'background' && $r->{verify_s} ne '') {
			push @{$vs{$r->{workload}}}, $r->{verify_s};
			push @{$ov{$r->{workload}}}, ($r->{verify_s} < $r->{seconds} ? $r->{verify_s} : $r->{seconds}) / $r->{seconds};
		}
		$runs{$r->{run}} = 1;
		$checks{$r->{workload}}{$r->{check}} = 1;
	}
	printf "Cost to the nodes: a cold `tar -cf - . | wc -c` of the node's root through netbootfs, alone and while the daemon verifies copies of the benchmark image dropped into the images directory when the tar starts. %d runs, seconds, median [min–max]; the ratio (with / alone) is taken run by run; overlap: the share of the tar during which the verification ran.\n\n", scalar(keys %runs);
	print "| workload | alone | with background verification | ratio | verification took (s) | overlap |\n|---|---|---|---|---|---|\n";
	for my $w (sort keys %t) {
		my @ratio;
		for my $run (keys %{$t{$w}{none} || {}}) {
			push @ratio, $t{$w}{background}{$run} / $t{$w}{none}{$run} if $t{$w}{background}{$run};
		}
		printf "| %s | %s | %s | %s | %s | %s |\n", $w, mmm(values %{$t{$w}{none}}), mmm(values %{$t{$w}{background}}),
			ratio_cell(@ratio), mmm(@{$vs{$w} || []}), mmm(@{$ov{$w} || []});
		die "verify_readers.csv: $w returned different byte counts\n" if keys %{$checks{$w}} > 1;
	}
	print "\n";
}

# ---- targets -------------------------------------------------------------
my @tg;
my $ratio_row = sub {
	my ($what, $target, $ok, @v) = @_;
	return unless @v;
	my $m = median(@v);
	push @tg, sprintf('| %s | %s | %s | %s |', $what, $target, ratio_cell(@v), $ok->($m) ? 'met' : '**missed**');
};
# Issue 21, target 1: on each walk, cold and warm, at most the kernel's
# time and at least 1.2x faster than squashfuse_ll (its time / ours).
for my $walk (grep { $t{$_} } qw(meta+tar du+grep)) {
	for my $cache (qw(cold warm)) {
		$ratio_row->("$cache $walk, netbootfs / kernel", '≤ 1.0x', sub { $_[0] <= 1.0 },
			per_run_ratio($t{$walk}{$cache}, 'netbootfs', 'kernel'));
		$ratio_row->("$cache $walk, squashfuse_ll / netbootfs", '≥ 1.2x', sub { $_[0] >= 1.2 },
			per_run_ratio($t{$walk}{$cache}, 'squashfuse_ll', 'netbootfs'));
	}
}
if ($t{par1} && $t{par4}) {
	my $c = $t{par1}{cold}{netbootfs};
	my @v;
	for my $run (keys %{$c || {}}) {
		push @v, $c->{$run} / $t{par4}{cold}{netbootfs}{$run} if $t{par4}{cold}{netbootfs}{$run};
	}
	my $what = 'cold, netbootfs: 1 reader time / 4 readers time';
	if ($ncpu && $cpus{par1}{cold}{netbootfs}) {
		$what .= sprintf(' (1 reader keeps %.2f of %d CPUs busy)',
			median(values %{$cpus{par1}{cold}{netbootfs}}), $ncpu);
	}
	$ratio_row->($what, '≥ 1.6x', sub { $_[0] >= 1.6 }, @v);
}
if (@writes) {
	my %w;
	$w{$_->{workload}}{$_->{contender}}{$_->{run}} = $_->{seconds} for @writes;
	for ([create_small => 2.5], [copyup_small => 1.1], [untar_small => 2], [rm_small => 2]) {
		my ($wl, $lim) = @$_;
		next unless $w{$wl} && $w{$wl}{kernel} && $w{$wl}{netbootfs};
		$ratio_row->("$wl, netbootfs / kernel overlayfs", "≤ ${lim}x", sub { $_[0] <= $lim },
			per_run_ratio($w{$wl}, 'netbootfs', 'kernel'));
	}
}
if (@storm) {
	my %s;
	$s{$_->{clients}}{$_->{source}}{$_->{run}} = $_->{total_s} for @storm;
	for my $n (sort { $a <=> $b } keys %s) {
		$ratio_row->("boot storm N=$n total, netbootfs / plain", '≤ 1.1x', sub { $_[0] <= 1.1 },
			per_run_ratio($s{$n}, 'netbootfs', 'plain'));
	}
}
$ratio_row->('one boot under an unknown-client flood, with / without', '≤ 1.2x', sub { $_[0] <= 1.2 }, @flood_ratio);
if (@scale) {
	my (%st, %rss, %thr);
	for (@scale) {
		push @{$st{$_->{nodes}}}, $_->{start_s};
		push @{$rss{$_->{nodes}}}, $_->{rss_kib} / 1024;
		push @{$thr{$_->{nodes}}}, $_->{threads};
	}
	my ($big) = sort { $b <=> $a } keys %st;
	my ($small) = sort { $a <=> $b } keys %st;
	push @tg, sprintf('| %d nodes: all mounts up | < 10 s | %s s | %s |', $big, mmm(@{$st{$big}}), median(@{$st{$big}}) < 10 ? 'met' : '**missed**');
	push @tg, sprintf('| %d nodes: RSS | < 200 MiB | %s MiB | %s |', $big, mmm(@{$rss{$big}}), median(@{$rss{$big}}) < 200 ? 'met' : '**missed**');
	push @tg, sprintf('| threads, %d → %d nodes | bounded | %s → %s | %s |', $small, $big, median(@{$thr{$small}}), median(@{$thr{$big}}),
		median(@{$thr{$big}}) == median(@{$thr{$small}}) ? 'met' : '**missed**');
}
if (@mapper) {
	my %mp;
	push @{$mp{$_->{nodes}}}, $_->{ns_per_lookup_name} for @mapper;
	my @n = sort { $a <=> $b } keys %mp;
	my $r = median(@{$mp{$n[-1]}}) / median(@{$mp{$n[0]}});
	push @tg, sprintf('| mapper lookup by name, %d / %d nodes | flat | %.2fx | %s |', $n[-1], $n[0], $r,
		$r < 3 ? 'met (cache misses only)' : '**missed**');
}
if (@tg) {
	print "### Targets\n\n| what | target | measured | |\n|---|---|---|---|\n", join("\n", @tg), "\n\n";
}
PERL
}

_report_plots()
{
	local gp
	command -v gnuplot >/dev/null || return 0
	for gp in "$BENCH_DIR"/*.gp; do
		gnuplot -e "dir='$BENCH_PLOTS'" "$gp" 2>"$T/gnuplot.err" ||
			bench_log "gnuplot $(basename "$gp"): $(head -n 3 "$T/gnuplot.err")"
	done
}

_report_section()
{
	local rel
	rel=$(realpath --relative-to="$(dirname "$BENCH_REPORT")" "$BENCH_PLOTS")
	echo "$REPORT_BEGIN"
	echo
	echo "### Machine"
	echo
	echo '```'
	cat "$BENCH_OUT/machine.txt" 2>/dev/null
	echo '```'
	echo
	_report_tables
	report_cpu_tables
	report_nfs
	report_restart
	report_coldread
	report_transport
	report_haltpoll
	echo "### Plots"
	echo
	for p in reads meta writes bootstorm scale; do
		[ -s "$BENCH_PLOTS/$p.png" ] && echo "![$p]($rel/$p.png)"
	done
	echo
	for p in "$BENCH_OUT"/perf-*.txt; do
		[ -s "$p" ] || continue
		echo "### Profile: $(basename "$p" .txt)"
		echo
		echo '```'
		head -n 40 "$p"
		echo '```'
		echo
	done
	echo "$REPORT_END"
}

report_run()
{
	local gen=$T/report.md
	mkdir -p "$BENCH_PLOTS"
	_report_section >"$gen.tables" || bench_die "report generation failed"
	_report_plots
	# the plots exist now: generate again so that their links are listed
	_report_section >"$gen.tables"
	if [ -s "$BENCH_REPORT" ] && grep -qF "$REPORT_BEGIN" "$BENCH_REPORT"; then
		awk -v b="$REPORT_BEGIN" -v e="$REPORT_END" -v f="$gen.tables" '
			$0 == b { while ((getline l < f) > 0) print l; skip = 1; next }
			$0 == e { skip = 0; next }
			!skip' "$BENCH_REPORT" >"$gen"
	else
		{
			echo "# netbootfs benchmarks"
			echo
			echo "Generated by \`make bench\` (bench/run.sh); raw CSV in bench/results/."
			echo
			cat "$gen.tables"
		} >"$gen"
	fi
	cp "$gen" "$BENCH_REPORT"
	bench_log "report: $BENCH_REPORT"
}
