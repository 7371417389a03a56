# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# test-lib.sh: the helper library every tests/t/tNNNN-*.t sources first.
#
#   . "$(dirname "$0")/../lib/test-lib.sh"
#   require_root; require_cmd dnsmasq    # prerequisites first, before plan
#   plan 3                               # or call done_testing at the end
#   t_ok "tree exists" test -d "$T"
#   t_is "$(cat "$T/f")" "hello" "f holds hello"
#   done_testing                         # only when there was no plan
#
# Output is TAP for prove(1). The exit status is non-zero when a test
# failed or the plan was not met, so prove reports it.
#
# Variables:
#   $SRCDIR      repository root
#   $NB_BUILD    build dir: ${NETBOOTFS_BUILD:-$SRCDIR/build}
#   $NETBOOTFS   $NB_BUILD/netbootfs      $NETBOOTCTL  $NB_BUILD/netbootctl
#   $T           per-test scratch dir (mktemp -d under /tmp), removed on exit
#   $TEST_NAME   basename of the test without .t
#   $CI          "true" turns every skip into a failure
#
# Results:
#   plan N | done_testing           announce the count first, or at the end
#   ok STATUS DESC                  pass when STATUS is 0 (e.g. `ok $? "x"`)
#   t_ok DESC CMD...                run CMD in this shell; pass on exit 0
#   t_fails DESC CMD...             run CMD; pass on non-zero exit
#   t_is GOT EXPECTED DESC          exact string compare, diff on failure
#   t_like GOT ERE DESC             GOT matches the extended regex ERE
#   t_file_sha_eq A B DESC          files A and B have equal sha256
#   skip REASON [N]                 N (default 1) skipped results
#   TODO=REASON ... TODO=""         results in between are TODO: printed with
#                                   "# TODO REASON", a failure does not count
#   diag MSG... / note MSG...       "# " comment (stderr / stdout)
#
# Prerequisites (each skips the whole test, or fails it when CI=true):
#   skip_all REASON, require_root, require_cmd CMD..., require_fuse,
#   require_binfmt aarch64|arm
#
# Cleanup and processes:
#   at_exit CMD-STRING              push; run in reverse on EXIT/INT/TERM
#   stop_pid PID [TIMEOUT_S]        TERM, wait, then KILL one process by PID
#   wait_for CMD-STRING TIMEOUT_S   poll (eval) every 0.1 s until it succeeds
#   is_mounted PATH                 PATH is a mount point (any type)
#   wait_mounted PATH TIMEOUT_S     wait until PATH is a fuse mount
#   lazy_umount PATH                umount -l PATH if it is mounted
#
# Rules: never kill by name, only by PID; register the cleanup of everything
# you create (mount, netns, process) with at_exit right after creating it.

set -u

# A shell started in the background (`prove ... &`, some CI runners) gets
# SIGINT/SIGTERM ignored, and bash cannot trap a signal that was ignored on
# entry. Start again with default dispositions so cleanup runs on signals.
if [ -z "${_NBT_SIGRESET:-}" ] &&
	(($(printf '%d' "0x$(awk '/^SigIgn:/ { print $2 }' /proc/$$/status)") & 0x4002)); then
	export _NBT_SIGRESET=1
	exec perl -e '$SIG{INT} = $SIG{TERM} = "DEFAULT"; exec @ARGV or die "exec: $!\n"' \
		"$BASH" "$0" "$@"
fi

# A test that sets NBT_OWN_MOUNT_NS=1 before sourcing this runs (as root) in
# a mount namespace of its own, a slave of the host's: the host's unmounts
# still reach it, but its mounts stay in it, so that no other process's new
# namespace copies them. A namespace made with private propagation
# (`unshare -m`, `netbootctl image shell`, t3130's holder) keeps its copy of
# a FUSE mount's superblock, and the device number, for as long as it
# lives: a test that wants a node root's number back after a restart (an
# NFS handle names it) must not have its mounts copied by a test beside it.
if [ "${NBT_OWN_MOUNT_NS:-}" = 1 ] && [ -z "${_NBT_MOUNT_NS:-}" ] && [ "$(id -u)" = 0 ]; then
	export _NBT_MOUNT_NS=1
	exec unshare -m --propagation slave "$BASH" "$0" "$@"
fi

SRCDIR=$(cd -P "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NB_BUILD=${NETBOOTFS_BUILD:-$SRCDIR/build}
NETBOOTFS=$NB_BUILD/netbootfs
NETBOOTCTL=$NB_BUILD/netbootctl
TEST_NAME=$(basename "$0" .t)
CI=${CI:-false}
# `netbootctl check` warns about host settings it reads in sysfs (guest
# halt polling in a VM): a directory that does not exist keeps the tests'
# expected output the same on every machine. t1080 reads the real /sys.
NETBOOTCTL_SYSFS=$NB_BUILD/no-sysfs
export SRCDIR NB_BUILD NETBOOTFS NETBOOTCTL NETBOOTCTL_SYSFS

_t_count=0 # results printed so far
_t_failed=0
_t_plan=""             # N once plan was printed
_t_done=0              # done_testing was called
_t_cleanup=()          # the at_exit stack
_t_pid=$BASHPID        # only this shell runs the exit handler
TODO=""                # non-empty: results are TODO (known to fail) for that reason

# ---- TAP output ------------------------------------------------------

diag()
{
	printf '# %s\n' "$@" >&2
}

note()
{
	printf '# %s\n' "$@"
}

# Indent a file or stdin as TAP comments on stderr (used for failures).
_t_diag_stream()
{
	sed 's/^/#   /' "$@" >&2
}

plan()
{
	_t_plan=$1
	echo "1..$1"
}

done_testing()
{
	if [ -z "$_t_plan" ]; then
		_t_plan=$_t_count
		echo "1..$_t_count"
	fi
	_t_done=1
}

ok()
{
	local status=$1 desc=$2
	_t_count=$((_t_count + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_t_count - $desc${TODO:+ # TODO $TODO}"
		return 0
	fi
	if [ -n "$TODO" ]; then
		echo "not ok $_t_count - $desc # TODO $TODO"
		return 1
	fi
	_t_failed=$((_t_failed + 1))
	echo "not ok $_t_count - $desc"
	diag "  Failed test '$desc' at $(_t_caller)."
	return 1
}

# "file line N" of the first caller outside this library.
_t_caller()
{
	local i
	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[$i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[$i]} line ${BASH_LINENO[$((i - 1))]}"
			return
		fi
	done
	echo "$0"
}

skip()
{
	local i
	for ((i = 0; i < ${2:-1}; i++)); do
		_t_count=$((_t_count + 1))
		echo "ok $_t_count # skip $1"
	done
}

t_ok()
{
	local desc=$1 rc=0
	shift
	"$@" >"$T/.t_out" 2>&1 || rc=$?
	if [ $rc -ne 0 ]; then
		ok 1 "$desc"
		diag "command failed (exit $rc): $*"
		tail -n 30 "$T/.t_out" | _t_diag_stream
		return 1
	fi
	ok 0 "$desc"
}

t_fails()
{
	local desc=$1 rc=0
	shift
	"$@" >"$T/.t_out" 2>&1 || rc=$?
	if [ $rc -eq 0 ]; then
		ok 1 "$desc"
		diag "command succeeded but should have failed: $*"
		tail -n 30 "$T/.t_out" | _t_diag_stream
		return 1
	fi
	ok 0 "$desc"
}

t_is()
{
	local got=$1 expected=$2 desc=$3
	if [ "$got" == "$expected" ]; then
		ok 0 "$desc"
		return 0
	fi
	ok 1 "$desc"
	diff -u --label expected --label got <(printf '%s\n' "$expected") \
		<(printf '%s\n' "$got") | head -n 40 | _t_diag_stream
	return 1
}

t_isnt()
{
	local got=$1 unwanted=$2 desc=$3
	if [ -n "$got" ] && [ "$got" != "$unwanted" ]; then
		ok 0 "$desc"
		return 0
	fi
	ok 1 "$desc"
	diag "got '$got', which must be non-empty and differ from '$unwanted'"
	return 1
}

t_like()
{
	local got=$1 re=$2 desc=$3
	if [[ $got =~ $re ]]; then
		ok 0 "$desc"
		return 0
	fi
	ok 1 "$desc"
	diag "expected to match: $re" "got:"
	printf '%s\n' "$got" | head -n 20 | _t_diag_stream
	return 1
}

t_file_sha_eq()
{
	local a=$1 b=$2 desc=$3 sa sb
	sa=$(sha256sum <"$a" 2>/dev/null | cut -d' ' -f1)
	sb=$(sha256sum <"$b" 2>/dev/null | cut -d' ' -f1)
	if [ -n "$sa" ] && [ "$sa" == "$sb" ]; then
		ok 0 "$desc"
		return 0
	fi
	ok 1 "$desc"
	diag "$a: ${sa:-unreadable} ($(stat -c %s "$a" 2>/dev/null || echo '?') bytes)"
	diag "$b: ${sb:-unreadable} ($(stat -c %s "$b" 2>/dev/null || echo '?') bytes)"
	return 1
}

# ---- prerequisites ---------------------------------------------------

skip_all()
{
	local reason=$1
	if [ "$CI" == "true" ]; then
		_t_count=$((_t_count + 1))
		_t_failed=$((_t_failed + 1))
		echo "not ok $_t_count - missing prerequisite (CI=true): $reason"
		[ -n "$_t_plan" ] || plan "$_t_count"
		_t_done=1
		exit 1
	fi
	if [ -z "$_t_plan" ] && [ "$_t_count" -eq 0 ]; then
		echo "1..0 # SKIP $reason"
		_t_plan=0
	elif [ -n "$_t_plan" ]; then
		while [ "$_t_count" -lt "$_t_plan" ]; do
			_t_count=$((_t_count + 1))
			echo "ok $_t_count # skip $reason"
		done
	else
		_t_count=$((_t_count + 1))
		echo "ok $_t_count # skip $reason"
		plan "$_t_count"
	fi
	_t_done=1
	exit 0
}

require_root()
{
	[ "$(id -u)" -eq 0 ] || skip_all "needs root"
}

require_cmd()
{
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip_all "needs command '$c'"
	done
}

require_fuse()
{
	require_root
	[ -c /dev/fuse ] || skip_all "needs /dev/fuse"
	grep -qw fuse /proc/filesystems || skip_all "kernel has no fuse"
	require_cmd fusermount3
}

# aarch64 or arm: a qemu-user binfmt entry with the F flag, so that foreign
# binaries also run inside a chroot. scripts/deps.sh enables them.
require_binfmt()
{
	local f=/proc/sys/fs/binfmt_misc/qemu-$1
	grep -qx enabled "$f" 2>/dev/null ||
		skip_all "binfmt qemu-$1 not enabled (run scripts/deps.sh as root)"
	grep -q '^flags:.*F' "$f" ||
		skip_all "binfmt qemu-$1 lacks the F flag (needed in a chroot)"
}

# ---- cleanup stack and processes ------------------------------------

at_exit()
{
	_t_cleanup+=("$1")
}

_t_run_cleanup()
{
	local i log
	for ((i = ${#_t_cleanup[@]} - 1; i >= 0; i--)); do
		log=/dev/null
		[ -d "${T:-}" ] && log=$T/.t_cleanup.out
		if ! eval "${_t_cleanup[$i]}" >"$log" 2>&1; then
			diag "cleanup failed: ${_t_cleanup[$i]}"
			[ -f "$log" ] && _t_diag_stream "$log"
		fi
		unset "_t_cleanup[$i]"
	done
}

_t_on_exit()
{
	local rc=$?
	[ "$BASHPID" == "$_t_pid" ] || return "$rc"
	trap - EXIT
	trap '' INT TERM # a second Ctrl-C must not cut the cleanup short
	_t_run_cleanup
	if [ "$_t_done" -eq 0 ] && [ -z "$_t_plan" ]; then
		diag "no plan and no done_testing: test died after $_t_count results"
		[ "$rc" -ne 0 ] || rc=255
	elif [ -n "$_t_plan" ] && [ "$_t_plan" != "$_t_count" ]; then
		diag "planned $_t_plan tests but ran $_t_count"
		[ "$rc" -ne 0 ] || rc=255
	fi
	if [ "$rc" -eq 0 ] && [ "$_t_failed" -gt 0 ]; then
		rc=$((_t_failed > 254 ? 254 : _t_failed))
	fi
	exit "$rc"
}

_t_on_signal()
{
	diag "caught SIG$1, cleaning up"
	# The EXIT trap runs the cleanup stack.
	[ "$1" == INT ] && exit 130
	exit 143
}

stop_pid()
{
	local pid=$1 timeout=${2:-5} i
	kill -0 "$pid" 2>/dev/null || return 0
	for ((i = 0; i < timeout * 10; i++)); do
		# Again every second: a signal that arrives while a just-forked
		# child is still bash (before exec) can be lost.
		((i % 10)) || kill -TERM "$pid" 2>/dev/null || return 0
		kill -0 "$pid" 2>/dev/null || return 0
		# Reap it when it is our child, so kill -0 stops seeing a zombie.
		[ -d "/proc/$pid" ] && grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null &&
			{ wait "$pid" 2>/dev/null; return 0; }
		sleep 0.1
	done
	diag "pid $pid ignored SIGTERM for ${timeout}s, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

wait_for()
{
	local cond=$1 timeout=${2:-10} end
	end=$(($(date +%s%N) + timeout * 1000000000))
	while ! eval "$cond" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# Mount point and fs type of every mount, "PATH TYPE" per line, with the
# kernel's \040-style escapes left as they are.
_t_mounts()
{
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") break; print $5, $(i + 1) }' \
		/proc/self/mountinfo
}

is_mounted()
{
	local p
	p=$(realpath -m "$1")
	_t_mounts | awk -v p="$p" '$1 == p { f = 1 } END { exit !f }'
}

_t_is_fuse_mounted()
{
	_t_mounts | awk -v p="$1" '$1 == p && $2 ~ /^fuse/ { f = 1 } END { exit !f }'
}

wait_mounted()
{
	local p
	p=$(realpath -m "$1")
	wait_for "_t_is_fuse_mounted '$p'" "${2:-10}"
}

lazy_umount()
{
	local p
	p=$(realpath -m "$1")
	while is_mounted "$p"; do
		umount -l "$p" || return 1
	done
}

# ---- set up ------------------------------------------------------------

T=$(mktemp -d "/tmp/nbt-$TEST_NAME.XXXXXX") || {
	echo "Bail out! cannot create a scratch dir"
	exit 1
}
export T
trap _t_on_exit EXIT
trap '_t_on_signal INT' INT
trap '_t_on_signal TERM' TERM
at_exit "rm -rf '$T'"
