# SPDX-License-Identifier: MIT
#
# BenchReport: what the report generators (report.sh, report_cpu.sh) share:
# the contenders' order and labels, reading a CSV file of $BENCH_OUT,
# "median [min–max]" cells and the plot data files for bench/*.gp.
#
#   perl -I"$BENCH_DIR/lib" -MBenchReport - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL'
#   my ($out, $plots) = @ARGV;
#   bench_report_dirs($out, $plots);
package BenchReport;

use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(@ORDER %LABEL bench_report_dirs csv median fmt mmm mmm_fmt ratio_cell dat);

our @ORDER = qw(netbootfs kernel squashfuse_ll squashfuse fuse-overlayfs local);
our %LABEL = (
	'netbootfs' => 'netbootfs',
	'kernel' => 'kernel squashfs + overlayfs',
	'squashfuse_ll' => 'squashfuse_ll',
	'squashfuse' => 'squashfuse',
	'fuse-overlayfs' => 'squashfuse_ll + fuse-overlayfs',
	'local' => 'local disk (unpacked)',
	'plain' => 'plain directory',
);

my ($out, $plots) = ('.', '.');

# Where csv() reads and dat() writes.
sub bench_report_dirs {
	($out, $plots) = @_;
}

# The rows of $out/FILE as hashes keyed by its header; () without the file.
sub csv {
	my ($f) = @_;
	open(my $h, '<', "$out/$f") or return ();
	my $hdr = <$h>;
	chomp $hdr;
	my @k = split /,/, $hdr;
	my @rows;
	while (<$h>) {
		chomp;
		my @v = split /,/;
		my %r;
		@r{@k} = @v;
		push @rows, \%r;
	}
	return @rows;
}

sub median {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	my $n = @v;
	return $n % 2 ? $v[$n / 2] : ($v[$n / 2 - 1] + $v[$n / 2]) / 2;
}

sub fmt {
	my ($x) = @_;
	return '–' unless defined $x;
	my $a = abs($x);
	return sprintf('%.0f', $x) if $a >= 1000;
	return sprintf('%.1f', $x) if $a >= 100;
	return sprintf('%.2f', $x) if $a >= 10;
	return sprintf('%.3f', $x) if $a >= 0.1;
	return sprintf('%.4f', $x);
}

# "median [min–max]" of a list
sub mmm {
	return mmm_fmt(\&fmt, @_);
}

# the same, each figure formatted by FMT
sub mmm_fmt {
	my ($f, @v) = @_;
	@v = grep { defined } @v;
	return '–' unless @v;
	my @s = sort { $a <=> $b } @v;
	return $f->(median(@v)) . ' [' . $f->($s[0]) . '–' . $f->($s[-1]) . ']';
}

sub ratio_cell {
	my @v = grep { defined } @_;
	return '–' unless @v;
	my @s = sort { $a <=> $b } @v;
	return sprintf('%.2fx [%.2f–%.2f]', median(@v), $s[0], $s[-1]);
}

# $plots/NAME.dat with TEXT, for bench/*.gp
sub dat {
	my ($name, $text) = @_;
	mkdir $plots;
	open(my $h, '>', "$plots/$name.dat") or die "$plots/$name.dat: $!";
	print $h $text;
}

1;
