# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# report_transport.sh: the transport section of BENCHMARKS.md from
# transport.csv (bench/lib/transport.sh): the round trip, requests and their
# latency, the daemon's scheduling cost per request, the CPU share of the
# transport, and the decision on FUSE over io_uring that rests on them.
# Writes $BENCH_PLOTS/transport.dat for bench/transport.gp.

report_transport()
{
	[ -s "$BENCH_OUT/transport.csv" ] || return 0
	perl -I"$BENCH_DIR/lib" -MBenchReport - "$BENCH_OUT" "$BENCH_PLOTS" <<'PERL'
use strict;
use warnings;

bench_report_dirs(@ARGV);
my (%v, %runs);
for my $r (csv('transport.csv')) {
	next unless defined $r->{value};
	push @{$v{join('|', @$r{qw(contender workload cache opcode metric)})}}, $r->{value};
	$runs{$r->{run}} = 1;
}

sub med { return median(@{$v{$_[0]} || []}); }

# "median [min–max]" of the figures under KEY, each as FORMAT
sub cell {
	my ($k, $f) = @_;
	return mmm_fmt(sub { sprintf($f, $_[0]) }, @{$v{$k} || []});
}

printf "### Transport: the cost of a FUSE round trip (bench/lib/transport.sh)\n\n";
printf "%d runs; median [min–max]. What moving one request between the kernel and the daemon costs, measured to decide whether netbootfs should carry a FUSE-over-io_uring transport of its own (docs/design.md, \"Transport\").\n\n",
	scalar(keys %runs);

print "Round trip: getxattr() of a missing attribute in a loop; every FUSE daemon answers each call itself (ENODATA is not cached), the kernel figure is the system call with no transport at all.\n\n";
print "| contender | µs per call | daemon and caller on one CPU | on two CPUs | FUSE requests per call |\n|---|---|---|---|---|\n";
my $dat = "contender free one-cpu two-cpus\n";
for my $c (qw(netbootfs squashfuse_ll kernel)) {
	my $k = "$c|rtt|warm|GETXATTR";
	next unless $v{"$k|us_per_call"};
	printf "| %s | %s | %s | %s | %s |\n", $c, cell("$k|us_per_call", '%.1f'),
		cell("$c|rtt_samecpu|warm|GETXATTR|us_per_call", '%.1f'),
		cell("$c|rtt_othercpu|warm|GETXATTR|us_per_call", '%.1f'), cell("$k|requests_per_call", '%.2f');
	$dat .= join(' ', $c, map { my $x = med("$c|$_|warm|GETXATTR|us_per_call"); defined $x ? sprintf('%.2f', $x) : '-' }
		qw(rtt rtt_samecpu rtt_othercpu)) . "\n";
}
print "\n";

print "Requests on a netbootfs node root: latency is fuse_request_send → fuse_request_end of the same request (queueing, wake-up, the daemon's work, the reply); the daemon's context switches, migrations and system calls are perf stat -p figures divided by the requests.\n\n";
print "| workload | cache | wall s | requests | latency p50 / p90 / p99 µs | daemon CPU ms | ctx switches / req | migrations / req | syscalls / req |\n";
print "|---|---|---|---|---|---|---|---|---|\n";
my @wl;
for my $w (qw(meta tar create_small)) {
	for my $cache (qw(cold warm)) {
		my $k = "netbootfs|$w|$cache|all";
		next unless $v{"$k|requests"};
		push @wl, [$w, $cache];
		printf "| %s | %s | %s | %s | %s / %s / %s | %s | %s | %s | %s |\n", $w, $cache,
			cell("$k|wall_s", '%.2f'), cell("$k|requests", '%d'),
			cell("$k|lat_p50_us", '%.0f'), cell("$k|lat_p90_us", '%.0f'), cell("$k|lat_p99_us", '%.0f'),
			cell("$k|daemon_cpu_ms", '%.0f'), cell("$k|ctxsw_per_req", '%.2f'),
			cell("$k|migrations_per_req", '%.3f'), cell("$k|syscalls_per_req", '%.1f');
	}
}
print "\n";

print "Per opcode (the most frequent), latency median over runs, µs:\n\n";
print "| workload | cache | opcode | requests | mean | p50 | p90 | p99 |\n|---|---|---|---|---|---|---|---|\n";
for my $wc (@wl) {
	my ($w, $cache) = @$wc;
	my %ops;
	for my $k (keys %v) {
		$ops{$1} = med($k) if $k =~ /^netbootfs\|\Q$w\E\|$cache\|(\w+)\|requests$/ && $1 ne 'all';
	}
	my @top = (sort { $ops{$b} <=> $ops{$a} } keys %ops)[0 .. 3];
	for my $op (grep { defined } @top) {
		my $k = "netbootfs|$w|$cache|$op";
		printf "| %s | %s | %s | %d | %s | %s | %s | %s |\n", $w, $cache, $op, $ops{$op},
			map { cell("$k|$_", '%.0f') } qw(lat_mean_us lat_p50_us lat_p90_us lat_p99_us);
	}
}
print "\n";

print "Where the CPU goes in a warm walk (perf record -a -g, samples of the daemon and of the walk's processes only). Transport, daemon side: epoll_wait, epoll_ctl, read and writev of /dev/fuse, the pool's futex, less the copies of requests and replies inside them (fuse_copy_*: an io_uring transport makes them too); requester side: fuse_simple_request's queueing, wake-up and wait. The rest is the work itself (lookups, union, decompression, the walk's own user time and page-cache copies).\n\n";
print "| walk | transport % of busy CPU | daemon transport % | daemon copies % | daemon work % | requester transport % | requester work % | samples |\n|---|---|---|---|---|---|---|---|\n";
for my $w (qw(meta tar)) {
	my $k = "netbootfs|$w|warm|all";
	next unless $v{"$k|transport_pct"};
	printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $w,
		map { cell("$k|$_", $_ eq 'samples' ? '%d' : '%.1f') }
		qw(transport_pct daemon_transport_pct daemon_copy_pct daemon_work_pct client_transport_pct client_work_pct samples);
}
print "\n";

# The bound on what any transport could save: the time requests spend
# waiting (n x mean latency) over the walk's time, and the part of it above
# the median (the slow, cross-CPU wake-ups that per-CPU queues would remove).
print "Upper bounds from the latencies: *waiting* = requests × mean latency / wall time (all of a request: transport and the daemon's work; requests of readahead overlap, so this can exceed 100%); *tail* = requests × (mean − p50) / wall time, the share above the median round trip, which is what a CPU-local transport could at best remove. Only the metadata walk sends one request at a time; tar's READs are readahead, in parallel with the reading, and create's CREATE is mostly the daemon's work, so there both figures overstate.\n\n";
my $tailmax;
print "| workload | cache | waiting % of wall | tail % of wall |\n|---|---|---|---|\n";
for my $wc (@wl) {
	my ($w, $cache) = @$wc;
	my $k = "netbootfs|$w|$cache|all";
	my ($n, $mean, $p50, $wall) = map { med("$k|$_") } qw(requests lat_mean_us lat_p50_us wall_s);
	next unless $n && $wall && defined $mean && defined $p50;
	my $tail = 100 * $n * ($mean - $p50) / 1e6 / $wall;
	printf "| %s | %s | %.0f | %.0f |\n", $w, $cache, 100 * $n * $mean / 1e6 / $wall, $tail;
	$tailmax = $tail if $w eq 'meta' && (!defined $tailmax || $tail > $tailmax);
}
print "\n";

dat('transport', $dat);

# The figures the decision rests on, from this run.
my ($one, $two) = map { med("netbootfs|$_|warm|GETXATTR|us_per_call") } qw(rtt_samecpu rtt_othercpu);
my @share = map { med("netbootfs|$_|warm|all|transport_pct") } qw(meta tar);
print "**Decision: no FUSE-over-io_uring transport of our own for now.** The figures of this run (upper bounds of what it could save)";
printf ": a round trip costs %.0f µs when the daemon's thread and the caller share a CPU and %.0f µs when a thread on the other CPU must be woken", $one, $two
	if defined $one && defined $two;
printf "; the transport takes %s%% (meta) and %s%% (tar) of the busy CPU of a warm walk", map { defined $_ ? sprintf('%.0f', $_) : '?' } @share;
printf "; the slow tail of the metadata walk's requests (above their median) is at most %.0f%% of its time", $tailmax if defined $tailmax;
print ".\n\n";
PERL
	cat <<-'EOF'
	What io_uring would change is the transport: one io_uring_enter for
	the four system calls a request costs now (epoll_wait, read,
	epoll_ctl, writev), and no wake-up of a thread on another CPU, since
	its per-CPU queues serve a request on the CPU that sent it (the
	placement above: squashfuse_ll, one thread on /dev/fuse, pays the
	cross-CPU wake-up as netbootfs does). It would not change the copies,
	the daemon's work or the requester's. The bounds leave room for a
	real gain in the warm metadata walk, so the decision rests on the
	cost: libfuse 3.14 neither negotiates FUSE_OVER_IO_URING in INIT nor
	sends a reply anywhere but writev() on the session fd, so our own
	transport would replace libfuse's INIT handling and every reply path
	(FORGET, INTERRUPT and notifications stay on /dev/fuse, the fallback
	being the daemon of today); and the kernel uses a mount's ring only
	once every possible CPU's queue of it is registered, each entry with
	a payload buffer of at least the mount's max_write: at 1,000 node
	mounts on 2 CPUs 2,000 or more entries of 128 KiB and up, against
	the 200 MiB the whole daemon may use. Fewer round trips (readdir
	caching, cached symlinks, larger reads) remove the
	same wake-ups and the work with them, for less; revisit with a
	libfuse that carries the transport (3.18 and later).
	EOF
	echo
	report_plot transport
	return 0
}
