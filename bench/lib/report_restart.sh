# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_restart.sh: the restart section's table (results/restart.csv,
# bench/lib/restart.sh) and the data of its plot (bench/restart.gp).

report_restart()
{
	perl - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL'
use strict;
use warnings;

my ($out, $plots) = @ARGV;
open(my $h, '<', "$out/restart.csv") or exit 0;
my @k = split /,/, scalar <$h>;
chomp @k;
my (%by, %runs, %nodes);
while (<$h>) {
	chomp;
	my %r;
	@r{@k} = split /,/;
	push @{$by{$r{scenario}}}, \%r;
	$runs{$r{run}} = 1;
	$nodes{$r{nodes}} = 1;
}
exit 0 unless %by;
sub median { my @v = sort { $a <=> $b } @_; @v % 2 ? $v[$#v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2 }
sub num { my $v = shift; $v >= 100 ? sprintf('%.0f', $v) : $v >= 10 ? sprintf('%.1f', $v) : sprintf('%.3f', $v) }
sub mmm { my @v = sort { $a <=> $b } @_; sprintf '%s [%s–%s]', num(median(@v)), num($v[0]), num($v[-1]) }
my %DESC = (
	clean => 'SIGTERM, exit, start again',
	crash => 'SIGKILL (dead mounts left behind), start again',
	reload => 'SIGHUP: config reloaded, mounts kept',
);
printf "### Restart: %s nodes, daemon stopped and started again under readers\n\n", join('/', sort keys %nodes);
printf "%d runs; seconds, median [min–max]. \"all back\": signal to a statfs of every root and a stat of its etc/hostname answering (target: under 5 s with 1,000 nodes). \"stop\": signal to the old daemon's exit; \"start\": the new daemon's exec to all back. CPU and RSS: the new daemon's, then. Readers: three processes' worth of reads (first, middle and last node) every 10 ms, statfs of the root + read of etc/hostname by path; the stall is the longest time between two good reads.\n\n",
	scalar(keys %runs);
print "| scenario | all back s | stop s | start s | daemon CPU s | RSS MiB | reader stall s (worst reader) | reader stall s (best reader) | reader errors (all runs) |\n";
print "|---|---|---|---|---|---|---|---|---|\n";
my $dat = "# i scenario back_med back_min back_max stall_med stall_min stall_max\n";
my $i = 0;
for my $sc (qw(clean crash reload)) {
	my $rs = $by{$sc} or next;
	my %err;
	for my $r (@$rs) {
		next if $r->{errors} eq 'none';
		for (split m{/}, $r->{errors}) {
			my ($e, $n) = split /=/;
			$err{$e} += $n;
		}
	}
	my @col = map { my $c = $_; [map { $_->{$c} } @$rs] } qw(back_s stop_s start_s cpu_s rss_kib stall_max_s stall_min_s);
	$col[4] = [map { $_ / 1024 } @{$col[4]}];
	print "| $sc: $DESC{$sc} | ", join(' | ', map { mmm(@$_) } @col), ' | ',
		(%err ? join(', ', map { "$_ $err{$_}" } sort keys %err) : 'none'), " |\n";
	my @b = sort { $a <=> $b } @{$col[0]};
	my @s = sort { $a <=> $b } @{$col[5]};
	$dat .= join(' ', $i++, $sc, median(@b), $b[0], $b[-1], median(@s), $s[0], $s[-1]) . "\n";
}
print "\n";
if (-d $plots) {
	open(my $d, '>', "$plots/restart.dat") or die "$plots/restart.dat: $!";
	print $d $dat;
}
PERL
	[ -s "$BENCH_PLOTS/restart.png" ] &&
		printf '![restart](%s/restart.png)\n\n' \
			"$(realpath --relative-to="$(dirname "$BENCH_REPORT")" "$BENCH_PLOTS")"
	return 0
}
