# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# bootstorm.sh: N simulated Pi 4s fetch their boot trees at the same time over
# TFTP from dnsmasq, which serves either netbootfs's <tftp_root> or a plain
# directory (one <serial>/ copy per client, hard-linked: the page cache is
# shared, the best case for a plain directory).
#
# dnsmasq runs in a server namespace; the clients are curl processes (its
# TFTP client) in one client namespace (distinct source ports), each
# fetching, one file after the other and with the Pi's block size, what a
# Pi 4's firmware asks for: start4.elf fixup4.dat config.txt
# bcm2711-rpi-4-b.dtb overlays/... cmdline.txt kernel8.img (about 32 MiB).
# Caches are dropped before every storm.
#
# Why curl: it retransmits after seconds, as a Pi's bootloader does, where
# busybox tftp retransmits after 100 ms. With 64 clients on two cores
# busybox's retransmits fired for both sources and the storm collapsed
# (most clients failing a file after minutes); with curl every client
# finishes. BOOT_CLIENT=busybox brings the old client back.
#
# results/bootstorm.csv:          run,clients,source,total_s,p50_s,p99_s,failed,retries,client,tries
# results/bootstorm-clients.csv:  run,clients,source,client,seconds

BOOT_FILES="start4.elf fixup4.dat config.txt bcm2711-rpi-4-b.dtb overlays/overlay_map.dtb overlays/vc4-kms-v3d.dtbo cmdline.txt kernel8.img"
BOOT_BLKSIZE=${BOOT_BLKSIZE:-1468}

_storm_serial()
{
	printf '%08x' $((0x5e000000 + $1))
}

_storm_max()
{
	local n max=0
	for n in $BENCH_STORM; do
		[ "$n" -gt "$max" ] && max=$n
	done
	echo "$max"
}

# The server namespace (dnsmasq) and the clients' (curl), once per bench
# run: the flood section (flood.sh) boots its node the same way.
_storm_netns()
{
	[ -z "${STORM_NETNS:-}" ] || return 0
	ns_create srv &&
		ns_create pis &&
		ns_link srv pis "$NB_SERVER_IP/24" dc:a6:32:ff:00:01 "$NB_NET.2/24" || bench_die "netns"
	STORM_NETNS=1
}

_storm_netbootfs()
{
	local max=$1 i
	[ -n "${NB:-}" ] || nb_layout
	nb_place_image
	{
		printf '[defaults]\nimage = bench\noverlay = persistent\n'
		for ((i = 0; i < max; i++)); do
			printf '[node:pi%d]\nserial = %s\n' "$i" "$(_storm_serial "$i")"
		done
	} | nb_write_config
	nb_start
}

_storm_plain()
{
	local max=$1 dir=$T/plain i
	rm -rf "$dir"
	mkdir -p "$dir"
	for ((i = 0; i < max; i++)); do
		cp -al "$DATA_TREE/boot/firmware" "$dir/$(_storm_serial "$i")" || return 1
	done
	chmod -R a+rX "$dir"
}

_storm_dnsmasq()
{
	local root=$1 max=$2
	cat >"$T/dnsmasq-storm.conf" <<-EOF
	port=0
	enable-tftp
	tftp-root=$root
	tftp-max=$((max * 2 + 10))
	quiet-tftp
	EOF
	svc_dnsmasq srv "$T/dnsmasq-storm.conf"
}

# The clients, inside the client namespace: one line "client us ok retries"
# each, then "total us". A fetch that fails is tried again, up to
# BOOT_TRIES times in all, as a Pi's bootloader does. curl gives a file
# BOOT_FILE_TIMEOUT seconds (and derives its retransmit interval from it).
BOOT_TRIES=${BOOT_TRIES:-5}
BOOT_CLIENT=${BOOT_CLIENT:-curl}
BOOT_FILE_TIMEOUT=${BOOT_FILE_TIMEOUT:-600}

_storm_clients()
{
	local n=$1 out=$2
	ns_exec pis bash -c '
		n=$1 server=$2 blk=$3 files=$4 tries=$5 client=$6 ftime=$7
		us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
		start=$(us)
		for ((i = 0; i < n; i++)); do
			(
				serial=$(printf "%08x" $((0x5e000000 + i)))
				t0=$(us) ok=1 retries=0
				for f in $files; do
					for ((k = 1; ; k++)); do
						if [ "$client" = curl ]; then
							curl -sf -o /dev/null --tftp-blksize "$blk" --max-time "$ftime" \
								"tftp://$server/$serial/$f" && break
						else
							busybox tftp -g -b "$blk" -r "$serial/$f" -l /dev/null "$server" &&
								break
						fi
						if [ $k -ge "$tries" ]; then
							ok=0
							echo "client $i: $serial/$f failed $k times" >&2
							break
						fi
						retries=$((retries + 1))
					done
				done
				echo "$i $(($(us) - t0)) $ok $retries"
			) &
		done
		wait
		echo "total $(($(us) - start))"
	' storm "$n" "$NB_SERVER_IP" "$BOOT_BLKSIZE" "$BOOT_FILES" "$BOOT_TRIES" "$BOOT_CLIENT" "$BOOT_FILE_TIMEOUT" \
		>"$out" 2>"$out.err"
}

# p-th percentile (nearest rank) of the numbers on stdin.
_percentile()
{
	sort -g | awk -v p="$1" '{ v[NR] = $1 } END { i = int(NR * p / 100 + 0.999999); if (i < 1) i = 1; print v[i] }'
}

_storm_verify()
{
	local src=$1 f
	for f in kernel8.img config.txt; do
		rm -f "$T/verify"
		svc_tftp_get pis "$NB_SERVER_IP" "$(_storm_serial 0)/$f" "$T/verify" "$BOOT_BLKSIZE" ||
			bench_die "$src: TFTP of $f failed"
		cmp -s "$T/verify" "$DATA_TREE/boot/firmware/$f" ||
			bench_die "$src: $f over TFTP differs from the image"
	done
}

bootstorm_run()
{
	local max r n src out total p50 p99 failed retries
	max=$(_storm_max)
	csv_reset bootstorm.csv "run,clients,source,total_s,p50_s,p99_s,failed,retries,client,tries"
	csv_reset bootstorm-clients.csv "run,clients,source,client,seconds"
	ulimit -n "$(ulimit -Hn)" 2>/dev/null
	_storm_netns
	_storm_netbootfs "$max" || bench_die "netbootfs for the boot storm"
	_storm_plain "$max" || bench_die "plain tftp dir"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for n in $BENCH_STORM; do
			for src in $(_rotate "$r" netbootfs plain); do
				if [ $src = netbootfs ]; then
					_storm_dnsmasq "$NB/tftp" "$max" || bench_die "dnsmasq"
				else
					_storm_dnsmasq "$T/plain" "$max" || bench_die "dnsmasq"
				fi
				[ "$r" = 1 ] && [ "$n" = "${BENCH_STORM%% *}" ] && _storm_verify "$src"
				drop_caches
				out=$T/storm-$r-$n-$src
				_storm_clients "$n" "$out"
				stop_pid "$SVC_PID" 10
				total=$(awk '$1 == "total" { printf "%.4f", $2 / 1e6 }' "$out")
				awk -v r="$r" -v n="$n" -v s="$src" '$1 != "total" { printf "%s,%s,%s,%s,%.4f\n", r, n, s, $1, $2 / 1e6 }' \
					"$out" >>"$BENCH_OUT/bootstorm-clients.csv"
				p50=$(awk '$1 != "total" { printf "%.4f\n", $2 / 1e6 }' "$out" | _percentile 50)
				p99=$(awk '$1 != "total" { printf "%.4f\n", $2 / 1e6 }' "$out" | _percentile 99)
				failed=$(awk '$1 != "total" && $3 != 1' "$out" | wc -l)
				retries=$(awk '$1 != "total" { n += $4 } END { print n + 0 }' "$out")
				csv_add bootstorm.csv "$r" "$n" "$src" "$total" "$p50" "$p99" "$failed" "$retries" \
					"$BOOT_CLIENT" "$BOOT_TRIES"
				bench_log "run $r storm N=$n $src: total ${total}s p50 ${p50}s p99 ${p99}s failed $failed retried $retries"
				[ "$failed" = 0 ] || head -n 5 "$out.err" >&2
			done
		done
	done
	nb_stop
	NB_PID=
}
