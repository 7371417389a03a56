# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# verify.sh: what verifying an image before it becomes a generation costs.
#
#   speed     `netbootctl image verify` (every inode, directory and data
#             block read and decompressed; normal priority) of the benchmark
#             image (gzip, the real tree) and of one image per compression
#             (the Pi boot tree with its 30 MiB kernel and bench/big.bin,
#             $BENCH_VERIFY_COMPS), cold (caches dropped) and warm; and the
#             daemon's background verification of the benchmark image
#             dropped into <images> while no node reads (rename to the
#             "generation" log line; SCHED_IDLE, lowest best-effort I/O).
#   readers   a cold tar of the node's root (every byte of the tree through
#             netbootfs) alone, and while the daemon verifies
#             $BENCH_VERIFY_COPIES copies of the benchmark image dropped in
#             when the tar starts (one after another: enough to keep the
#             verification going for the whole tar): the cost of drop-ins
#             to the nodes being served.
#
# results/verify-machine.txt: machine.txt of the sitting that ran this section
# results/verify_speed.csv:   run,image,compression,how,cache,image_bytes,seconds
# results/verify_readers.csv: run,workload,verify,seconds,check,verify_s
#   (verify_s: drop-in to the last copy's generation, for the runs with a
#   verification; the tar overlapped it for min(seconds, verify_s))

# shellcheck source=../../tests/lib/live.sh
. "$SRCDIR/tests/lib/live.sh" # nb_log_count, nb_status_json

BENCH_VERIFY_COMPS=${BENCH_VERIFY_COMPS:-gzip xz lzo lz4 zstd}
BENCH_VERIFY_COPIES=${BENCH_VERIFY_COPIES:-4}

_verify_comp_image()
{
	local comp=$1 out=$DATA_DIR/verify-$1.sqfs stage=$T/verify-stage
	[ -s "$out" ] && {
		echo "$out"
		return 0
	}
	if [ ! -d "$stage" ]; then
		mkdir -p "$stage/bench" || return 1
		fixture_boot_tree "$stage" bench || return 1
		fixture_bytes $((BENCH_BIG_MIB << 20)) big >"$stage/bench/big.bin" || return 1
	fi
	bench_log "packing the boot tree and big.bin with $comp (once; cached)"
	mksquashfs "$stage" "$out.tmp" -noappend -no-progress -quiet -comp "$comp" -b 131072 \
		-processors "$(nproc)" -mkfs-time 1700000000 >/dev/null || return 1
	mv "$out.tmp" "$out" && echo "$out"
}

# _verify_ctl RUN IMAGE-LABEL FILE: cold and warm `image verify`.
_verify_ctl()
{
	local r=$1 label=$2 file=$3 comp mode s size
	size=$(stat -c %s "$file")
	comp=$("$NETBOOTCTL" image verify "$file" >/dev/null && unsquashfs -s "$file" |
		sed -n 's/^Compression //p')
	[ -n "$comp" ] || bench_die "image verify $file failed"
	for mode in cold warm; do
		[ $mode = cold ] && drop_caches
		time_cmd s "$NETBOOTCTL" image verify "$file" || bench_die "image verify $file failed"
		csv_add verify_speed.csv "$r" "$label" "$comp" ctl "$mode" "$size" "$s"
		bench_log "run $r verify $label ($comp) $mode: ${s}s, $(awk -v b="$size" -v s="$s" \
			'BEGIN { printf "%.0f", b / s / 1e6 }') MB/s"
	done
}

# A copy of the benchmark image (its own inode and page cache) next to
# <images>, then renamed into it as NAME.sqfs: a drop-in.
_verify_copy()
{
	cp "$DATA_IMAGE" "$NB/images/.$1.tmp" || bench_die "cannot copy the image"
}

_verify_drop()
{
	mv "$NB/images/.$1.tmp" "$NB/images/$1.sqfs"
}

# _verify_wait NAME COUNT T0: seconds from T0 until NAME's generation is logged.
_verify_wait()
{
	local name=$1 n=$2 t0=$3 t1 us
	wait_for "[ \$(nb_log_count 'image $name generation') -gt $n ]" 3600 ||
		bench_die "$name did not become a generation: $(grep "$name" "$NB/netbootfs.log" | tail -n 2)"
	t1=$(awk -v p="images/$name.sqfs: image $name generation" \
		'index($0, p) { t = $1 } END { print t }' "$NB/netbootfs.log")
	# The log line's own time: the poll above adds up to 0.1 s.
	t1=$(date -d "$t1" +%s.%N)
	us=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1e6 }')
	printf '%d.%06d\n' $((us / 1000000)) $((us % 1000000))
}

_verify_remove()
{
	rm -f "$NB/images/$1.sqfs"
	wait_for "! nb_status_json | grep -q '\"image\": *\"$1\"'" 30 ||
		bench_die "$1 is still open after its file was removed"
}

verify_run()
{
	local r comp s n t0 check order mode vs i last
	csv_reset verify_speed.csv "run,image,compression,how,cache,image_bytes,seconds"
	csv_reset verify_readers.csv "run,workload,verify,seconds,check,verify_s"
	for comp in $BENCH_VERIFY_COMPS; do
		_verify_comp_image "$comp" >/dev/null || bench_die "mksquashfs -comp $comp failed"
	done
	c_up netbootfs || bench_die "cannot start netbootfs"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		_verify_ctl "$r" tree "$DATA_IMAGE"
		for comp in $BENCH_VERIFY_COMPS; do
			_verify_ctl "$r" boot+big "$DATA_DIR/verify-$comp.sqfs"
		done
		# The daemon, idle: rename to generation.
		_verify_copy vcopy
		drop_caches
		n=$(nb_log_count 'image vcopy generation')
		t0=$EPOCHREALTIME
		_verify_drop vcopy
		s=$(_verify_wait vcopy "$n" "$t0")
		csv_add verify_speed.csv "$r" tree gzip daemon cold "$(stat -c %s "$DATA_IMAGE")" "$s"
		bench_log "run $r daemon verifies the image (no reader): ${s}s"
		_verify_remove vcopy

		# Readers alone and with drop-ins, taking turns going first.
		order="none background"
		[ $((r % 2)) -eq 0 ] && order="background none"
		for mode in $order; do
			vs=
			if [ "$mode" = background ]; then
				for ((i = 1; i <= BENCH_VERIFY_COPIES; i++)); do
					_verify_copy "vcopy$i"
				done
			fi
			drop_caches
			if [ "$mode" = background ]; then
				last=vcopy$BENCH_VERIFY_COPIES
				n=$(nb_log_count "image $last generation")
				t0=$EPOCHREALTIME
				# In name order: the last one is verified last.
				for ((i = 1; i <= BENCH_VERIFY_COPIES; i++)); do
					_verify_drop "vcopy$i"
				done
			fi
			time_cmd s w_tar "${CROOT[netbootfs]}" || bench_die "tar through the root failed"
			check=$(tail -n1 "$T/.out")
			if [ "$mode" = background ]; then
				vs=$(_verify_wait "$last" "$n" "$t0")
				for ((i = 1; i <= BENCH_VERIFY_COPIES; i++)); do
					_verify_remove "vcopy$i"
				done
			fi
			csv_add verify_readers.csv "$r" tar "$mode" "$s" "$check" "$vs"
			bench_log "run $r tar, verify $mode: ${s}s ($check)${vs:+, verified in ${vs}s}"
		done
	done
	c_down netbootfs
	cp "$BENCH_OUT/machine.txt" "$BENCH_OUT/verify-machine.txt"
}
