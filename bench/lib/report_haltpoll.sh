# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_haltpoll.sh: the guest halt polling section of BENCHMARKS.md from
# haltpoll.csv (bench/lib/haltpoll.sh): each workload at the machine's own
# setting and at 200000 ns side by side, with the ratio netbootfs / kernel
# computed run by run within one setting. Writes $BENCH_PLOTS/haltpoll.dat
# for bench/haltpoll.gp.

report_haltpoll()
{
	[ -s "$BENCH_OUT/haltpoll.csv" ] || return 0
	perl -I"$BENCH_DIR/lib" -MBenchReport - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL' || return 1
use strict;
use warnings;

bench_report_dirs(@ARGV);
my (%v, %runs, %ns);
for my $r (csv('haltpoll.csv')) {
	next unless defined $r->{value} && $r->{value} ne '';
	$v{$r->{workload}}{$r->{cache}}{$r->{setting}}{$r->{contender}}{$r->{run}} = $r->{value};
	$runs{$r->{run}} = 1;
	$ns{$r->{setting}} = $r->{poll_ns};
}
exit 0 unless %runs;

my @settings = grep { exists $ns{$_} } qw(off on);
my %label = (off => "as the machine is ($ns{off} ns)", on => "polling on (" . ($ns{on} // '?') . " ns)");

# the figures of one workload, cache, setting and contender, by run
sub figs { my ($w, $c, $s, $k) = @_; return $v{$w}{$c}{$s}{$k} || {}; }

# A / B run by run, within one setting
sub ratios {
	my ($w, $c, $s, $a, $b) = @_;
	my ($x, $y) = (figs($w, $c, $s, $a), figs($w, $c, $s, $b));
	return map { $x->{$_} / $y->{$_} } grep { exists $y->{$_} && $y->{$_} > 0 } sort keys %$x;
}

printf "### Guest halt polling: the virtual machine's idle setting (bench/lib/haltpoll.sh)\n\n";
printf "%d runs, each with both settings, their order alternating from run to run; median [min–max]. The cpuidle driver haltpoll lets an idle vCPU poll for up to guest_halt_poll_ns before it halts; at 0 every FUSE round trip waits for a halted vCPU to be woken (an IPI and a VM exit). Ratios are netbootfs's time over the other's, run by run within one setting (below 1: netbootfs is faster). The round trip's kernel figure is the bare system call, no transport: it has no ratio.\n\n",
	scalar(keys %runs);
if ($v{loadavg}) {
	printf "Load average (1 minute) when each setting's runs began: %s. On a busy machine the vCPUs seldom halt, and the two settings come closer.\n\n",
		join('; ', map { "$label{$_}: " . mmm(values %{figs('loadavg', '-', $_, '-')}) } @settings);
}
print "| workload | cache | setting | netbootfs | kernel squashfs + overlayfs | squashfuse_ll | netbootfs / kernel | netbootfs / squashfuse_ll |\n";
print "|---|---|---|---|---|---|---|---|\n";
my $dat = "workload machine-$ns{off}ns polling-" . ($ns{on} // '?') . "ns\n";
my %med;
for my $wc (['rtt', 'warm', 'µs per call'], ['meta', 'cold', 's'], ['meta', 'warm', 's'],
	    ['tar', 'cold', 's'], ['tar', 'warm', 's'], ['create_small', 'cold', 's'],
	    ['untar_small', 'cold', 's'], ['rm_small', 'cold', 's']) {
	my ($w, $c, $unit) = @$wc;
	next unless $v{$w}{$c};
	for my $s (@settings) {
		my @nk = $w eq 'rtt' ? () : ratios($w, $c, $s, 'netbootfs', 'kernel');
		$med{"$w|$c|$s"} = median(@nk);
		printf "| %s (%s) | %s | %s | %s | %s | %s | %s | %s |\n", $w, $unit, $c, $label{$s},
			(map { mmm(values %{figs($w, $c, $s, $_)}) } qw(netbootfs kernel squashfuse_ll)),
			ratio_cell(@nk), ratio_cell(ratios($w, $c, $s, 'netbootfs', 'squashfuse_ll'));
	}
	next if $w eq 'rtt';
	$dat .= join(' ', "$w-$c", map { defined $med{"$w|$c|$_"} ? sprintf('%.3f', $med{"$w|$c|$_"}) : '-' } qw(off on)) . "\n";
}
print "\n";
dat('haltpoll', $dat);

if ($v{nfs_walk}) {
	print "Through NFS: Ganesha (FSAL_VFS, NFSv3) exporting a netbootfs node root or the unpacked tree on ext4, walked by bench/nfsbench (READDIRPLUS3 of every directory, GETATTR3 of every entry); cold right after Ganesha started on a fresh export with caches dropped, warm right after.\n\n";
	print "| walk | setting | netbootfs s | ext4 s | netbootfs / ext4 |\n|---|---|---|---|---|\n";
	for my $c (qw(cold warm)) {
		for my $s (@settings) {
			my @r = ratios('nfs_walk', $c, $s, 'netbootfs', 'ext4');
			$med{"nfs_walk|$c|$s"} = median(@r);
			printf "| %s | %s | %s | %s | %s |\n", $c, $label{$s},
				(map { mmm(values %{figs('nfs_walk', $c, $s, $_)}) } qw(netbootfs ext4)), ratio_cell(@r);
		}
	}
	print "\n";
}

# The run's own summary: the netbootfs / kernel ratios at both settings.
my @say;
for my $wc (['meta', 'warm', 'warm metadata walk'], ['meta', 'cold', 'cold metadata walk'],
	    ['tar', 'warm', 'warm tar'], ['tar', 'cold', 'cold tar'],
	    ['create_small', 'cold', 'creation of 10,000 files'], ['untar_small', 'cold', 'tar -x'],
	    ['rm_small', 'cold', 'rm -rf'],
	    ['nfs_walk', 'warm', 'warm NFS walk (against ext4)']) {
	my ($w, $c, $what) = @$wc;
	my ($off, $on) = map { $med{"$w|$c|$_"} } qw(off on);
	push @say, sprintf('%s %.2f× → %.2f×', $what, $off, $on) if defined $off && defined $on;
}
if (@say) {
	print "In this run, netbootfs / kernel at the machine's setting → with polling on: ", join('; ', @say);
	for my $c (qw(netbootfs squashfuse_ll)) {
		my ($a, $b) = map { median(values %{figs('rtt', 'warm', $_, $c)}) } qw(off on);
		printf "; a round trip of %s %.1f µs → %.1f µs", $c, $a, $b if defined $a && defined $b;
	}
	print ".\n\n";
}
PERL
	cat <<-'EOF'
	A FUSE request is two wake-ups: the daemon's thread, asleep in
	epoll_wait, and then the requester, asleep in the kernel until the
	reply. When the vCPU that has to run a woken thread halted, the
	wake-up costs an IPI and a VM exit: on the machine this was written
	on some 30 µs each way, more than the request's own work. Guest halt
	polling keeps an idle vCPU polling briefly instead, so a request that
	arrives within guest_halt_poll_ns is taken without the exit. The
	kernel contenders do their work in the caller's system call and do
	not pay it. How much squashfuse_ll (one thread blocked in read() of
	/dev/fuse) pays varies from run to run: see its round trip above.
	`netbootctl check` warns when the driver is haltpoll and
	guest_halt_poll_ns is 0 (docs/deployment.md, "Servers in virtual
	machines").
	EOF
	echo
	report_plot haltpoll
	return 0
}
