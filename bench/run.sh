#!/bin/bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh: `make bench`. netbootfs against the alternatives over one
# image packed from a real OS tree; raw CSV in bench/results/, tables, plots
# and the analysis in BENCHMARKS.md. Root, about 45 minutes on 2 cores.
#
#   BENCH_QUICK=1 bench/run.sh                  smoke run, a few minutes,
#                                               results in /tmp/netbootfs-bench-quick
#   BENCH_ONLY="reads report" bench/run.sh      some sections again (the
#                                               others' CSV files stay)
#   BENCH_CONTENDERS="netbootfs kernel" BENCH_READS="meta tar" BENCH_ONLY=reads
#                                               a quick A/B while tuning
#   BENCH_ONLY=report bench/run.sh              tables and plots from the CSV
#
# See bench/lib/common.sh for every setting. Everything this script mounts,
# creates or starts is undone on exit, also on errors and Ctrl-C;
# `bench/leftovers.sh make bench` checks that (CI does, with BENCH_QUICK=1).

# shellcheck source=lib/common.sh
. "$(dirname "$0")/lib/common.sh"
# shellcheck source=lib/data.sh
. "$BENCH_DIR/lib/data.sh"
# shellcheck source=lib/contenders.sh
. "$BENCH_DIR/lib/contenders.sh"
# shellcheck source=lib/reads.sh
. "$BENCH_DIR/lib/reads.sh"
# shellcheck source=lib/writes.sh
. "$BENCH_DIR/lib/writes.sh"
# shellcheck source=lib/bootstorm.sh
. "$BENCH_DIR/lib/bootstorm.sh"
# shellcheck source=lib/flood.sh
. "$BENCH_DIR/lib/flood.sh"
# shellcheck source=lib/scale.sh
. "$BENCH_DIR/lib/scale.sh"
# shellcheck source=scaleout.sh
. "$BENCH_DIR/scaleout.sh"
# shellcheck source=lib/nfs.sh
. "$BENCH_DIR/lib/nfs.sh"
# shellcheck source=lib/restart.sh
. "$BENCH_DIR/lib/restart.sh"
# shellcheck source=lib/report_restart.sh
. "$BENCH_DIR/lib/report_restart.sh"
# shellcheck source=lib/verify.sh
. "$BENCH_DIR/lib/verify.sh"
# shellcheck source=lib/profile.sh
. "$BENCH_DIR/lib/profile.sh"
# shellcheck source=lib/transport.sh
. "$BENCH_DIR/lib/transport.sh"
# shellcheck source=lib/haltpoll.sh
. "$BENCH_DIR/lib/haltpoll.sh"
# shellcheck source=lib/report.sh
. "$BENCH_DIR/lib/report.sh"

bench_require()
{
	local c
	[ "$(id -u)" -eq 0 ] || bench_die "needs root (mounts, drop_caches, namespaces)"
	[ -x "$NETBOOTFS" ] || bench_die "no $NETBOOTFS: make all first (or set NETBOOTFS_BUILD)"
	for c in mksquashfs mkfs.ext4 ganesha.nfsd rpcbind nfs-ls unsquashfs squashfuse squashfuse_ll fuse-overlayfs fusermount3 \
		dnsmasq busybox curl perl python3 tar gnuplot ip; do
		command -v "$c" >/dev/null || bench_die "needs $c"
	done
	[ -c /dev/fuse ] || bench_die "needs /dev/fuse"
}

main()
{
	local t0=$SECONDS
	bench_require
	mkdir -p "$BENCH_OUT"
	bench_log "sections: $BENCH_ONLY; results in $BENCH_OUT; scratch $T"
	if [ "$BENCH_ONLY" != report ]; then
		bench_machine
		data_prepare
	fi
	bench_wants reads && reads_run
	bench_wants writes && writes_run
	bench_wants boot && bootstorm_run
	bench_wants flood && flood_run
	bench_wants scale && scale_run
	bench_wants scaleout && scaleout_run
	bench_wants mapper && mapper_run
	bench_wants nfs && nfs_run
	bench_wants restart && restart_run
	bench_wants verify && verify_run
	bench_wants profile && profile_run
	bench_wants transport && transport_run
	bench_wants haltpoll && haltpoll_run
	bench_wants report && report_run
	bench_log "done in $((SECONDS - t0)) s"
}

main "$@"
