# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_nfs.sh: the NFS section of the report (bench/lib/nfs.sh's CSV), its
# plot data ($BENCH_PLOTS/nfs.dat, bench/nfs.gp) and what the figures say.
# Sourced by report.sh; report_nfs prints Markdown.

report_nfs()
{
	[ -s "$BENCH_OUT/nfs.csv" ] || return 0
	local rel
	rel=$(realpath --relative-to="$(dirname "$BENCH_REPORT")" "$BENCH_PLOTS")
	perl - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL' || return 1
use strict;
use warnings;

my ($out, $plots) = @ARGV;
my @ORDER = qw(netbootfs netbootfs-dircache ext4 overlay);
my %LABEL = (
	'netbootfs' => 'netbootfs (gen ganesha: Dir_Chunk = 0)',
	'netbootfs-dircache' => 'netbootfs, Ganesha dir cache on',
	'ext4' => 'unpacked tree on ext4',
	'overlay' => 'kernel squashfs + overlayfs',
);
my @WORDER = qw(walk read ls create);
my %WDESC = (
	walk => 'READDIRPLUS3 of every directory + GETATTR3 of every entry',
	read => 'READ3 of every regular file to its end (128 KiB requests)',
	ls => '`nfs-ls -R` (libnfs-utils)',
	create => 'CREATE3 + WRITE3 (100 bytes, unstable) + COMMIT3 per file, new directories',
);

sub rows {
	my ($f) = @_;
	open(my $h, '<', "$out/$f") or return ();
	chomp(my $hdr = <$h>);
	my @k = split /,/, $hdr;
	my @rows;
	while (<$h>) {
		chomp;
		my %r;
		@r{@k} = split /,/;
		push @rows, \%r;
	}
	return @rows;
}

sub med {
	my @v = sort { $a <=> $b } @_;
	return undef unless @v;
	return @v % 2 ? $v[@v / 2] : ($v[@v / 2 - 1] + $v[@v / 2]) / 2;
}

sub num {
	my ($x) = @_;
	return sprintf(abs($x) >= 10 ? '%.1f' : abs($x) >= 1 ? '%.2f' : '%.3f', $x);
}

# "median [min–max]"; with a unit suffix for ratios
sub cell {
	my ($sfx, @v) = @_;
	return '–' unless @v;
	my @s = sort { $a <=> $b } @v;
	return $sfx ? sprintf('%.2fx [%.2f–%.2f]', med(@v), $s[0], $s[-1])
		: num(med(@v)) . ' [' . num($s[0]) . '–' . num($s[-1]) . ']';
}

my (%t, %g, %d, %have, %runs, %wl, %jb);
for my $r (rows('nfs.csv')) {
	my $k = "$r->{workload}|$r->{cache}|$r->{contender}";
	$t{$k}{$r->{run}} = $r->{seconds};
	push @{$g{$k}}, $r->{ganesha_cpu};
	push @{$d{$k}}, $r->{daemon_cpu};
	$have{$r->{contender}} = 1;
	$runs{$r->{run}} = 1;
	$wl{$r->{workload}} = 1;
	$jb{"$r->{contender} $r->{workload} $r->{cache}"} += $r->{jukebox} // 0;
}
my @cs = grep { $have{$_} } @ORDER;
my @ws = grep { $wl{$_} } @WORDER;

# contender time / ext4 time, run by run
sub ratios {
	my ($w, $m, $c) = @_;
	my ($a, $b) = ($t{"$w|$m|$c"} || {}, $t{"$w|$m|ext4"} || {});
	return map { $a->{$_} / $b->{$_} } grep { defined $b->{$_} && $b->{$_} > 0 } keys %$a;
}

printf "### Through NFS, as a Pi sees its root (bench/lib/nfs.sh)\n\n";
printf "NFSv3 from NFS-Ganesha (FSAL_VFS) in a server namespace to bench/nfsbench.c (libnfs raw RPC, one request in flight, no client cache) in a client namespace over a veth pair. %d runs; cold = Ganesha restarted, the contender fresh (netbootfs: a new daemon and an empty overlay), caches dropped; warm = the same right after. Seconds, median [min–max]; \"x ext4\" = time / the ext4 tree's time, run by run; CPU seconds of Ganesha's process and of the netbootfs daemon (user + system). Every contender returned the expected entry, file and byte counts (the section fails otherwise).\n\n",
	scalar(keys %runs);
print "| workload | cache | contender | seconds | x ext4 | Ganesha CPU s | daemon CPU s |\n|---|---|---|---|---|---|---|\n";
for my $w (@ws) {
	for my $m (qw(cold warm)) {
		for my $c (@cs) {
			my $k = "$w|$m|$c";
			next unless $t{$k};
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", $w, $m, $LABEL{$c}, cell(0, values %{$t{$k}}),
				$c eq 'ext4' ? '1' : cell(1, ratios($w, $m, $c)), cell(0, @{$g{$k}}),
				$c =~ /^netbootfs/ ? cell(0, @{$d{$k}}) : '–';
		}
	}
}
print "\n";
print "- **$_**: $WDESC{$_}\n" for @ws;
print "\n";
my @jb = grep { $jb{$_} } sort keys %jb;
if (@jb) {
	print "NFS3ERR_JUKEBOX replies (the client waited 0.1 s and sent the request again; a Linux client waits 5 s), summed over the runs: ",
		join(', ', map { "$_: $jb{$_}" } @jb), ".\n\n";
}

if ($have{netbootfs} && $have{ext4}) {
	print "**Target (issue 21, 3)**: netbootfs ≤ 1.3x the ext4 tree cold, ≤ 1.1x warm, on each workload.\n\n";
	print "| workload | cold | | warm | |\n|---|---|---|---|---|\n";
	for my $w (@ws) {
		my @row = ($w);
		for my $m (qw(cold warm)) {
			my @r = ratios($w, $m, 'netbootfs');
			my $lim = $m eq 'cold' ? 1.3 : 1.1;
			push @row, cell(1, @r), !@r ? '' : med(@r) <= $lim ? 'met' : '**missed**';
		}
		print '| ', join(' | ', @row), " |\n";
	}
	print "\n";
}

# FUSE requests netbootfs received per workload (BENCH_NFS_TRACE=1)
my (%ops, %opn);
for my $r (rows('nfs-fuse.csv')) {
	next unless $r->{contender} eq 'netbootfs';
	push @{$ops{"$r->{workload}|$r->{cache}"}{$r->{opcode}}}, $r->{count};
	$opn{$r->{opcode}} += $r->{count};
}
if (%ops) {
	my @o = sort { $opn{$b} <=> $opn{$a} } keys %opn;
	print "FUSE requests netbootfs received per workload (tracepoint fuse:fuse_request_send, median over runs):\n\n";
	print '| workload | cache | ', join(' | ', @o), " |\n|---|---|", join('', map { '---|' } @o), "\n";
	for my $w (@ws) {
		for my $m (qw(cold warm)) {
			my $x = $ops{"$w|$m"} or next;
			print "| $w | $m | ", join(' | ', map { $x->{$_} ? med(@{$x->{$_}}) : 0 } @o), " |\n";
		}
	}
	print "\n";
}

mkdir $plots;
open(my $p, '>', "$plots/nfs.dat") or die "$plots/nfs.dat: $!";
print $p join(' ', 'workload', map { "\"$LABEL{$_}\"" } @cs), "\n";
for my $w (@ws) {
	for my $m (qw(cold warm)) {
		print $p join(' ', "$w-$m", map { my $v = med(values %{$t{"$w|$m|$_"} || {}}); defined $v ? $v : '-' } @cs), "\n";
	}
}
PERL
	cat <<-'EOF'
	Where netbootfs's NFS time goes (session 9, FUSE requests counted on the
	node root's connection, `strace -c -f` of Ganesha, `perf` of the daemon):
	Ganesha opens every object by handle for each NFS request
	(`open_by_handle_at`, 31,600 for a warm `nfs-ls -R`), and the kernel's
	FUSE handle decoding (`fuse_get_dentry`) marks the dentry it returns as
	expired; Ganesha's next name-based step on that entry (with
	`Dir_Chunk = 0`, `name_to_handle_at` + `fstatat` of every name it
	lists) then costs a LOOKUP round trip. A warm full-tree read (in a later
	sitting) kept the page cache (1,096 READs against 61,210 cold) but
	sent 48,957 LOOKUPs, one per file; a warm `nfs-ls -R` 22,000 LOOKUPs and
	as many READDIRPLUS as a cold one. (In the sitting of the table other
	benchmarks dropped the machine's caches during the runs: its warm read
	re-read 45,800 blocks; judge warm ratios from a quiet run.) With
	`Dir_Chunk = 0` (what `gen ganesha` writes for new generations) every
	NFS READDIR also costs an OPENDIR, about 2.5 READDIRPLUS and a RELEASEDIR
	in FUSE; with Ganesha's directory cache on, the warm walk takes 2.0–2.5 s
	instead of 7–8.5 s. In the daemon, an earlier profile of a warm
	`nfs-ls -R` found 58 % of its CPU time in libsquashfuse's metadata cache
	lookup (`sqfs_cache_get`, a linear scan of the 512 cached blocks per
	metadata read); the daemon now reads metadata through a hashed cache of
	its own (`images/md_cache.c`, docs/design.md "Reading squashfs"), which
	compares at most 8 blocks per read.

	Ganesha exports kernel overlayfs only with `xino=on` next to
	`index=on,nfs_export=on`: without it, non-directory objects of the
	squashfs layer report an st_dev of their own (not the overlay's), FSAL_VFS
	takes them for another file system it does not export, and READDIRPLUS of
	the first directory holding such files fails with `NFS3ERR_XDEV`
	(`nfs-ls -R` stopped after 3 names).

	EOF
	[ -s "$BENCH_PLOTS/nfs.png" ] && printf '![nfs](%s/nfs.png)\n\n' "$rel"
	return 0
}
