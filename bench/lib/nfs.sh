# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# nfs.sh: the root a Pi really uses, over NFSv3 (issue 21, target 3).
#
# NFS-Ganesha (FSAL_VFS) in a server namespace exports one contender at a
# time; bench/nfsbench.c (libnfs raw RPC, one request in flight) in a client
# namespace linked to it over a veth pair does the work:
#
#   walk    READDIRPLUS3 of every directory + GETATTR3 of every entry
#   read    READ3 of every regular file to its end (the walk meets them in
#           the server's order; etc/ and boot/firmware/cmdline.txt are left
#           out: netbootfs generates them per node, by design)
#   ls      `nfs-ls -R` (libnfs-utils), the issue's first measurement
#   create  $BENCH_NFS_FILES files of 100 bytes in $BENCH_NFS_DIRS new
#           directories, each CREATE3 + WRITE3 (unstable) + COMMIT3 as a
#           Linux client's close() sends them
#
# Contenders ($BENCH_NFS_CONTENDERS):
#   netbootfs   a node root, exported as `netbootctl gen ganesha` does it
#               (MDCACHE Dir_Chunk = 0: no directory cache in Ganesha)
#   netbootfs-dircache  the same with Ganesha's default MDCACHE (what the
#               directory cache is worth; not a deployable setting)
#   ext4        the tree unpacked on a loop-mounted ext4 (PiServer's way;
#               the file system is built once into $BENCH_CACHE)
#   overlay     kernel squashfs + overlayfs, index=on,nfs_export=on,xino=on
#               (without xino=on Ganesha answers NFS3ERR_XDEV: see below)
#
# cold: Ganesha stopped, the contender made fresh (netbootfs: a new daemon
# and an empty overlay, as after a server boot; ext4: created files removed;
# overlay: a new mount with an empty upper), caches dropped, Ganesha started
# again. warm: the same workload right after. Each figure records the
# client's wall time, Ganesha's CPU seconds (utime + stime of its process)
# and the netbootfs daemon's. The check values (entries; files and bytes)
# must be the expected ones on every contender, else the run fails.
#
# Overlayfs and Ganesha: with layers on two file systems and xino off, a
# lower layer's non-directory objects report another st_dev than the
# overlay's directories. FSAL_VFS takes an unknown st_dev for a file system
# it does not export, and READDIRPLUS of the first directory holding such
# files fails with NFS3ERR_XDEV (`nfs-ls -R` stops after a few names).
# xino=on gives every object the overlay's st_dev.
#
# BENCH_NFS_TRACE=1 counts the FUSE requests the node root's connection
# gets per workload (tracepoint fuse:fuse_request_send, filtered on that
# connection, in a trace instance of its own) into nfs-fuse.csv.
#
# results/nfs.csv: run,workload,cache,contender,seconds,check,ganesha_cpu,daemon_cpu,
#                  jukebox (NFS3ERR_JUKEBOX replies the client waited out and
#                  sent again: a Linux client waits 5 s each)
# results/nfs-fuse.csv: run,workload,cache,contender,opcode,count

BENCH_NFS_CONTENDERS=${BENCH_NFS_CONTENDERS:-netbootfs ext4 overlay}
BENCH_NFS_WORKS=${BENCH_NFS_WORKS:-walk read ls create}
BENCH_NFS_TRACE=${BENCH_NFS_TRACE:-0}
if [ "$BENCH_QUICK" = 1 ]; then
	BENCH_NFS_FILES=${BENCH_NFS_FILES:-500}
	BENCH_NFS_DIRS=${BENCH_NFS_DIRS:-10}
else
	BENCH_NFS_FILES=${BENCH_NFS_FILES:-10000}
	BENCH_NFS_DIRS=${BENCH_NFS_DIRS:-100}
fi

NFS_SRV=nfssrv
NFS_CLI=nfspi
NFS_READ_SKIP=(-x etc/ -x boot/firmware/cmdline.txt)
declare -A NFS_EXPECT NFS_ROOT

_nfs_client()
{
	ns_exec "$NFS_CLI" timeout 1800 "$NFS_CLIENT" "$@"
}

# The ext4 copy of the tree, made once (mkfs.ext4 -d), no lost+found.
_nfs_ext4_image()
{
	local img=$DATA_DIR/tree.ext4 mb mnt=$T/nfs-ext4-fix
	[ -s "$img" ] && return 0
	mb=$((DATA_BYTES * 5 / 4 / 1048576 + DATA_ENTRIES / 200 + 64))
	bench_log "nfs: building $img ($mb MiB) from the unpacked tree (once; cached)"
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 -d "$DATA_TREE" "$img.tmp" "${mb}M" ||
		return 1
	mkdir -p "$mnt" && mount -o loop "$img.tmp" "$mnt" || return 1
	rmdir "$mnt/lost+found"
	umount "$mnt" && mv "$img.tmp" "$img"
}

_nfs_ganesha_conf()
{
	local c=$1 conf=$T/nfs-ganesha-$1.conf
	ganesha_vfs_conf "$conf" "${NFS_ROOT[$c]}" /export
	# The deployed configuration (ctl/gen_nfs.c, docs/design.md "NFS
	# servers above the roots").
	[ "$c" = netbootfs ] && printf 'MDCACHE {\n\tDir_Chunk = 0;\n}\n' >>"$conf"
	echo "$conf"
}

_nfs_ganesha_start()
{
	svc_ganesha "$NFS_SRV" "$(_nfs_ganesha_conf "$1")" >&2 || bench_die "nfs: ganesha does not start on $1"
	NFS_GANESHA_PID=$SVC_PID
}

# _nfs_fresh NAME: the contender as after a server boot (Ganesha is down).
_nfs_fresh()
{
	local c=$1 d
	d=$(_c_dir "nfs-$c")
	case $c in
	netbootfs*)
		c_reset netbootfs || return 1
		NFS_ROOT[$c]=${CROOT[netbootfs]}
		;;
	ext4)
		if ! is_mounted "$d/mnt"; then
			_nfs_ext4_image || return 1
			mkdir -p "$d/mnt"
			mount -o loop "$DATA_DIR/tree.ext4" "$d/mnt" || return 1
			at_exit "lazy_umount '$d/mnt'"
		fi
		rm -rf "$d/mnt"/nfsbench-*
		sync -f "$d/mnt"
		NFS_ROOT[$c]=$d/mnt
		;;
	overlay)
		KERNEL_OVL_OPTS=index=on,nfs_export=on,xino=on c_reset kernel || return 1
		NFS_ROOT[$c]=${CROOT[kernel]}
		;;
	*)
		bench_die "nfs: unknown contender $c"
		;;
	esac
}

_nfs_down()
{
	local c=$1 d
	d=$(_c_dir "nfs-$c")
	case $c in
	netbootfs*) c_down netbootfs ;;
	ext4) lazy_umount "$d/mnt" ;;
	overlay) c_down kernel ;;
	esac
	return 0
}

# FUSE requests by opcode, in a trace instance of our own.
_nfs_trace_on()
{
	NFS_TRACE=/sys/kernel/tracing/instances/nfsbench$$
	[ -d "$NFS_TRACE" ] || {
		mkdir "$NFS_TRACE" || return 1
		at_exit "rmdir '$NFS_TRACE'"
		echo 65536 >"$NFS_TRACE/buffer_size_kb"
	}
	# Only the node root's connection: other FUSE mounts on the machine
	# would count too. The tracepoint's dev_t is the kernel's: for an
	# anonymous device (major 0) the minor number.
	echo "connection == $(stat -c %Ld "$1")" >"$NFS_TRACE/events/fuse/fuse_request_send/filter" ||
		return 1
	echo >"$NFS_TRACE/trace"
	echo 1 >"$NFS_TRACE/events/fuse/fuse_request_send/enable"
}

_nfs_trace_off()
{
	local r=$1 w=$2 mode=$3 c=$4
	echo 0 >"$NFS_TRACE/events/fuse/fuse_request_send/enable"
	grep -o '(FUSE_[A-Z_]*)' "$NFS_TRACE/trace" | tr -d '()' | sort | uniq -c |
		while read -r n op; do
			csv_add nfs-fuse.csv "$r" "$w" "$mode" "$c" "${op#FUSE_}" "$n"
		done
	grep -q 'LOST' "$NFS_TRACE/trace" && bench_log "nfs: trace events lost: counts are low"
}

# nfs_one VAR RUN WORKLOAD CACHE CONTENDER: one timed figure, checked, of
# WORKLOAD through the running Ganesha; VAR gets the CSV tail
# "seconds,check,ganesha_cpu,daemon_cpu,jukebox". The nfs and haltpoll
# sections both measure through it.
nfs_one()
{
	local __var=$1 r=$2 w=$3 mode=$4 c=$5 s check g0 d0 gcpu dcpu line dpid='' jb=0
	local url="nfs://$NB_SERVER_IP/export?version=3"
	[[ $c == netbootfs* ]] && dpid=$NB_PID
	[ "$BENCH_NFS_TRACE" = 1 ] && [[ $c == netbootfs* ]] && _nfs_trace_on "${NFS_ROOT[$c]}"
	g0=$(_cpu_ticks "$NFS_GANESHA_PID" 14 15)
	d0=$(_cpu_ticks "$dpid" 14 15)
	case $w in
	walk) time_cmd s _nfs_client walk "$NB_SERVER_IP" /export ;;
	read) time_cmd s _nfs_client read "$NB_SERVER_IP" /export "${NFS_READ_SKIP[@]}" ;;
	create) time_cmd s _nfs_client create "$NB_SERVER_IP" /export "nfsbench-$mode" \
		"$BENCH_NFS_DIRS" "$BENCH_NFS_FILES" ;;
	ls)
		time_cmd s ns_exec "$NFS_CLI" timeout 1800 bash -c 'set -o pipefail; nfs-ls -R "$1" | wc -l' sh "$url"
		;;
	esac || bench_die "nfs: $w on $c failed"
	gcpu=$(_ticks_s $(($(_cpu_ticks "$NFS_GANESHA_PID" 14 15) - g0)))
	dcpu=$(_ticks_s $(($(_cpu_ticks "$dpid" 14 15) - d0)))
	[ "$BENCH_NFS_TRACE" = 1 ] && [[ $c == netbootfs* ]] && _nfs_trace_off "$r" "$w" "$mode" "$c"
	line=$(tail -n1 "$T/.out")
	case $w in
	ls) check=$line ;;
	*)
		# the client's own time: the workload without exec and exit
		s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		jb=$(sed -n 's/.*jukebox=\([0-9]*\).*/\1/p' <<<"$line")
		check=$(sed 's/ seconds=.*//; s/ /;/g' <<<"$line")
		# netbootfs generates etc/fstab and cmdline.txt per node: sizes
		# differ, names do not
		[ "$w" = walk ] && check=${check%;bytes=*}
		;;
	esac
	if [ "$w" = create ]; then
		# what the server holds now, outside the timing
		_nfs_client walk "$NB_SERVER_IP" /export "nfsbench-$mode" >"$T/.out" ||
			bench_die "nfs: cannot walk what create made on $c"
		check=$(sed 's/ seconds=.*//; s/ /;/g' "$T/.out")
	fi
	[ "$check" = "${NFS_EXPECT[$w]}" ] ||
		bench_die "nfs: $w on $c gave $check, expected ${NFS_EXPECT[$w]}: a broken contender"
	printf -v "$__var" '%s,%s,%s,%s,%s' "$s" "$check" "$gcpu" "$dcpu" "$jb"
	bench_log "run $r nfs $w $mode $c: ${s}s ($check), CPU s: ganesha $gcpu, daemon $dcpu; NFS3ERR_JUKEBOX: $jb"
}

# The check values, from the unpacked tree (never from a contender).
_nfs_expect()
{
	local files bytes
	NFS_EXPECT[walk]="entries=$DATA_ENTRIES;files=$(cd "$DATA_TREE" && find . -type f | wc -l)"
	read -r files bytes < <(cd "$DATA_TREE" && find . -type f ! -path './etc/*' ! -path ./boot/firmware/cmdline.txt -printf '%s\n' |
		awk '{ s += $1; n++ } END { print n + 0, s + 0 }')
	NFS_EXPECT[read]="entries=$DATA_ENTRIES;files=$files;bytes=$bytes"
	NFS_EXPECT[ls]=$((DATA_ENTRIES - 1))
	NFS_EXPECT[create]="entries=$((1 + BENCH_NFS_DIRS + BENCH_NFS_FILES));files=$BENCH_NFS_FILES;bytes=$((100 * BENCH_NFS_FILES))"
}

# nfs_prepare: the client, the check values and the two namespaces, once
# per bench run (the nfs and haltpoll sections both ask; the namespaces go
# at exit).
nfs_prepare()
{
	[ -z "${NFS_PREPARED:-}" ] || return 0
	NFS_CLIENT=$NB_BUILD/bench/nfsbench
	# Always through make: the client is not part of `make all`.
	make -C "$SRCDIR" --no-print-directory O="$NB_BUILD" "$NFS_CLIENT" >&2 ||
		bench_die "cannot build $NFS_CLIENT (libnfs-dev: make deps)"
	command -v ganesha.nfsd nfs-ls rpcbind mkfs.ext4 >/dev/null ||
		bench_die "nfs: needs ganesha.nfsd, rpcbind, nfs-ls, mkfs.ext4 (make deps)"
	_nfs_expect
	ns_create "$NFS_SRV" && ns_create "$NFS_CLI" &&
		ns_link "$NFS_SRV" "$NFS_CLI" "$NB_SERVER_IP/24" dc:a6:32:0b:0b:0b "$NB_NET.51/24" ||
		bench_die "nfs: cannot make the namespaces"
	NFS_PREPARED=1
}

# nfs_cold CONTENDER: Ganesha exporting CONTENDER as after a server boot.
nfs_cold()
{
	[ -z "${NFS_GANESHA_PID:-}" ] || svc_ganesha_stop "$NFS_SRV"
	NFS_GANESHA_PID=
	_nfs_fresh "$1" || bench_die "nfs: cannot set up $1"
	drop_caches
	_nfs_ganesha_start "$1"
}

# nfs_done CONTENDER: Ganesha stopped, CONTENDER unmounted.
nfs_done()
{
	svc_ganesha_stop "$NFS_SRV"
	NFS_GANESHA_PID=
	_nfs_down "$1"
}

nfs_run()
{
	local r c w mode row
	nfs_prepare
	csv_reset nfs.csv "run,workload,cache,contender,seconds,check,ganesha_cpu,daemon_cpu,jukebox"
	[ "$BENCH_NFS_TRACE" = 1 ] && csv_reset nfs-fuse.csv "run,workload,cache,contender,opcode,count"
	for ((r = 1; r <= BENCH_RUNS; r++)); do
		for c in $(_rotate "$r" $BENCH_NFS_CONTENDERS); do
			for w in $BENCH_NFS_WORKS; do
				for mode in cold warm; do
					[ $mode = warm ] || nfs_cold "$c"
					nfs_one row "$r" "$w" "$mode" "$c"
					csv_add nfs.csv "$r" "$w" "$mode" "$c" "$row"
				done
			done
			nfs_done "$c"
		done
	done
}
