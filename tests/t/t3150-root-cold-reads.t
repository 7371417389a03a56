#!/bin/bash
# Cold reads through a node root: the bytes of image files of every size
# class (empty, inside one fragment, block-sized, across blocks, large,
# sparse) are the image's, read once cold and again after their pages are
# dropped, with small and large reads; and the root reads ahead 1 MiB, so a
# large file comes in few large READ requests instead of one per 128 KiB
# (every request is a round trip, two wake-ups, on a cold walk).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum dd mountpoint

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/sizes" "$img/srv/many"
sizes="0 1 4095 4096 4097 10000 65536 131071 131072 131073 262149 1048576 3145735"
for s in $sizes; do
	fixture_bytes "$s" "size$s" >"$img/srv/sizes/f$s"
done
# Neighbours sharing fragment blocks, read one after another like tar does.
for i in $(seq 1 300); do
	fixture_bytes $((i * 37 % 9000 + 1)) "many$i" >"$img/srv/many/m$i"
done
dd if=/dev/zero of="$img/srv/sizes/zeros" bs=1M count=2 status=none
nb_image os-a "$img"
nb_one_node_config os-a
nb_start_root n1
R=$NB/nfs/n1

# Drop the pages of one file of the root (its own cache only: the machine's
# other caches are left alone).
drop_file()
{
	dd if="$1" iflag=nocache count=0 status=none
}

sha()
{
	sha256sum <"$1" | cut -d' ' -f1
}

# Every file of $img/srv read through the root with reader "$@" FILE.
check_all()
{
	local what=$1 f bad=0
	shift
	while IFS= read -r -d '' f; do
		drop_file "$R/$f"
		if [ "$("$@" "$R/$f" | sha256sum | cut -d' ' -f1)" != "$(sha "$img/$f")" ]; then
			diag "$f differs ($what)"
			bad=$((bad + 1))
		fi
	done < <(cd "$img" && find srv -type f -print0)
	ok $bad "every file's bytes are the image's ($what)"
}

dev=$(mountpoint -d "$R")
t_is "$(cat "/sys/class/bdi/$dev/read_ahead_kb" 2>&1)" 1024 "the root reads ahead 1 MiB"

check_all "cold, cat" cat
read_1m()
{
	dd if="$1" bs=1M status=none
}
read_4k()
{
	dd if="$1" bs=4k status=none
}
check_all "cold again, 1 MiB reads" read_1m
check_all "cold again, 4 KiB reads" read_4k
# A read starting inside a file, not at 0: the readahead window starts there.
t_is "$(drop_file "$R/srv/sizes/f3145735"; dd if="$R/srv/sizes/f3145735" bs=1 skip=1500000 count=100000 status=none | sha256sum)" \
	"$(dd if="$img/srv/sizes/f3145735" bs=1 skip=1500000 count=100000 status=none | sha256sum)" \
	"a read from the middle of a large file"

# READ requests for one cold 3 MiB file, from the kernel's own tracepoint
# (a trace instance of this test's own: others' tracing is untouched).
tr=/sys/kernel/tracing
[ -d $tr/events ] || mount -t tracefs nodev $tr 2>/dev/null
if [ -d $tr/events/fuse/fuse_request_send ] && mkdir "$tr/instances/t3150-$$" 2>/dev/null; then
	ti=$tr/instances/t3150-$$
	at_exit "rmdir '$ti'"
	drop_file "$R/srv/sizes/f3145735"
	echo "connection == $((${dev%%:*} << 20 | ${dev##*:}))" >$ti/events/fuse/fuse_request_send/filter
	echo 1 >$ti/events/fuse/fuse_request_send/enable
	cat "$R/srv/sizes/f3145735" >/dev/null
	echo 0 >$ti/events/fuse/fuse_request_send/enable
	reads=$(grep -c 'FUSE_READ)' $ti/trace)
	# 128 KiB at a time made 24; 1 MiB at a time, the ramp-up included, 8 at most.
	ok $((reads < 1 || reads > 8)) "a cold 3 MiB file comes in few READs ($reads)"
else
	skip "no fuse tracepoints or trace instances"
fi

done_testing
