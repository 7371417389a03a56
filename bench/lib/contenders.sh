# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# contenders.sh: every way of serving the same image, each at its own mount.
#
#   netbootfs        <nfs_root>/<node> of netbootfs, empty overlay
#   squashfuse_ll    squashfuse_ll on the image (no union)
#   squashfuse       squashfuse (high-level API) on the image (no union)
#   kernel           kernel squashfs on a loop device + kernel overlayfs with
#                    an empty upper: the in-kernel limit ($KERNEL_OVL_OPTS:
#                    more mount options, e.g. nfs_export=on)
#   fuse-overlayfs   squashfuse_ll + fuse-overlayfs with an empty upper: the
#                    all-FUSE alternative
#   local            the image unpacked on the local disk (PiServer)
#
#   c_up NAME       mount; the root is then ${CROOT[NAME]}, the writable
#                   upper (if any) ${CUPPER[NAME]}
#   c_down NAME     unmount and stop its processes
#   c_reset NAME    down, empty upper, up: a fresh copy-on-write root
#   c_pid NAME      the PID of its FUSE daemon (netbootfs, squashfuse*)
#   c_cpu_ticks NAME  user + system clock ticks of all its FUSE daemons so
#                   far (fuse-overlayfs: also the squashfuse_ll under it;
#                   0 for kernel and local, which have none)

declare -A CROOT CUPPER CPID
BENCH_NODE=bench

_c_dir()
{
	echo "$T/c/$1"
}

_c_fuse_daemon()
{
	# _c_fuse_daemon NAME MOUNTPOINT CMD...: start a foreground FUSE daemon
	local name=$1 mnt=$2 pid
	shift 2
	mkdir -p "$mnt" "$(_c_dir "$name")"
	"$@" >"$(_c_dir "$name")/daemon.log" 2>&1 &
	pid=$!
	at_exit "lazy_umount '$mnt'; stop_pid $pid"
	wait_mounted "$mnt" 20 || {
		bench_log "$name did not mount: $(tail -n 3 "$(_c_dir "$name")/daemon.log")"
		return 1
	}
	CPID[$name]=$pid
}

_c_stop_fuse()
{
	local name=$1 mnt=$2
	[ -n "${CPID[$name]:-}" ] || return 0
	fusermount3 -u "$mnt" 2>/dev/null || lazy_umount "$mnt"
	stop_pid "${CPID[$name]}" 20
	wait "${CPID[$name]}" 2>/dev/null
	CPID[$name]=
}

# netbootfs: one node, the benchmark image, an empty persistent overlay.
_c_nb_config()
{
	nb_write_config <<-EOF
	[defaults]
	image = bench
	overlay = persistent
	[node:$BENCH_NODE]
	serial = 0b0b0b0b
	mac = dc:a6:32:0b:0b:0b
	EOF
}

nb_place_image()
{
	# A hard link when possible: no copy of a gigabyte image per run.
	ln -f "$DATA_IMAGE" "$NB/images/bench.sqfs" 2>/dev/null ||
		cp "$DATA_IMAGE" "$NB/images/bench.sqfs"
}

c_up()
{
	local name=$1 d
	d=$(_c_dir "$name")
	mkdir -p "$d"
	case $name in
	netbootfs)
		[ -n "${NB:-}" ] || nb_layout
		nb_place_image
		_c_nb_config
		nb_start || return 1
		CROOT[$name]=$NB/nfs/$BENCH_NODE
		CUPPER[$name]=$NB/overlays/$BENCH_NODE
		CPID[$name]=$NB_PID
		wait_mounted "${CROOT[$name]}" 20
		;;
	squashfuse_ll | squashfuse)
		CROOT[$name]=$d/mnt
		_c_fuse_daemon "$name" "$d/mnt" "$name" -f "$DATA_IMAGE" "$d/mnt"
		;;
	kernel)
		mkdir -p "$d/lower" "$d/upper" "$d/work" "$d/mnt"
		mount -t squashfs -o loop,ro "$DATA_IMAGE" "$d/lower" || return 1
		at_exit "lazy_umount '$d/lower'"
		mount -t overlay overlay \
			-o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work${KERNEL_OVL_OPTS:+,$KERNEL_OVL_OPTS}" \
			"$d/mnt" || return 1
		at_exit "lazy_umount '$d/mnt'"
		CROOT[$name]=$d/mnt
		CUPPER[$name]=$d/upper
		;;
	fuse-overlayfs)
		mkdir -p "$d/upper" "$d/work"
		_c_fuse_daemon fol-lower "$d/lower" squashfuse_ll -f "$DATA_IMAGE" "$d/lower" ||
			return 1
		_c_fuse_daemon "$name" "$d/mnt" fuse-overlayfs -f \
			-o "lowerdir=$d/lower,upperdir=$d/upper,workdir=$d/work" "$d/mnt" || return 1
		CROOT[$name]=$d/mnt
		CUPPER[$name]=$d/upper
		;;
	local)
		CROOT[$name]=$DATA_TREE
		;;
	*)
		bench_die "unknown contender $name"
		;;
	esac
}

c_down()
{
	local name=$1 d
	d=$(_c_dir "$name")
	case $name in
	netbootfs)
		[ -z "${NB_PID:-}" ] || nb_stop
		NB_PID=
		;;
	squashfuse_ll | squashfuse)
		_c_stop_fuse "$name" "$d/mnt"
		;;
	kernel)
		lazy_umount "$d/mnt"
		lazy_umount "$d/lower"
		;;
	fuse-overlayfs)
		_c_stop_fuse "$name" "$d/mnt"
		_c_stop_fuse fol-lower "$d/lower"
		;;
	esac
}

c_reset()
{
	local name=$1 d
	d=$(_c_dir "$name")
	c_down "$name"
	case $name in
	netbootfs) [ -z "${NB:-}" ] || rm -rf "$NB/overlays/$BENCH_NODE" ;;
	kernel | fuse-overlayfs) rm -rf "$d/upper" "$d/work" ;;
	esac
	c_up "$name"
}

c_pid()
{
	echo "${CPID[$1]:-}"
}

c_cpu_ticks()
{
	local p n=0
	case $1 in
	fuse-overlayfs) set -- "${CPID[fuse-overlayfs]:-}" "${CPID[fol-lower]:-}" ;;
	*) set -- "$(c_pid "$1")" ;;
	esac
	for p in "$@"; do
		n=$((n + $(_cpu_ticks "$p" 14 15)))
	done
	echo "$n"
}
