#!/bin/bash
# SPDX-License-Identifier: MIT
# Several servers over real shared storage: the two-daemon tests of issue
# 22, each run whole with its shared tree (images, overlays with the lease
# files, state, the generation ids) on a real GlusterFS volume (Debian's
# glusterfs-server, one brick, tests/lib/gluster.sh) instead of a local
# directory (NB_SHARED_ROOT, see tests/lib/netbootfs.sh):
#   t8010  each server serves exactly its nodes: DHCP, TFTP and NFS
#          (Ganesha), byte-exact; the other neither serves nor discovers them
#   t8020  the lease fences: a second daemon never mounts a served node;
#          kill -9 of the first, the second takes over, no write lost or
#          doubled
#   t8021  a drop-in image gets one generation id on both daemons
# Each is one result here, its own TAP indented below it. Both daemons of a
# test reach the volume through one glusterfs mount (one machine); t8020
# and t8021 run once more with a mount per daemon, as on two machines. What two
# mounts see of each other's locks and renames is t8031-gluster-storage.t.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/gluster.sh"

require_root
require_fuse
require_cmd ip nsenter timeout
require_gluster
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

tests="t8010-two-servers t8020-lease t8021-shared-catalog"
plan "$(($(wc -w <<<"$tests") + 4))"

gluster_volume stor nbt
gluster_client srv "$NB_NET.11" && gluster_client srv2 "$NB_NET.12" || {
	echo "Bail out! cannot link the client namespaces"
	exit 1
}
gluster_mount srv nbt "$T/shared" && gluster_mount srv2 nbt "$T/shared2" ||
	skip_all "cannot mount the GlusterFS volume (see $GLUSTER_DIR/log)"
t_is "$(awk -v p="$T/shared" '$2 == p { print $3 }' /proc/mounts)" fuse.glusterfs \
	"the shared directory is a GlusterFS mount"

for t in $tests; do
	gluster_subtest "$t" "over GlusterFS" NB_SHARED_ROOT="$T/shared"
done
# Two machines: the second daemon's images and overlays through a mount of
# its own, which sees the first one's changes only through the bricks.
for t in t8020-lease t8021-shared-catalog; do
	gluster_subtest "$t" "over GlusterFS, one mount per daemon" \
		NB_SHARED_ROOT="$T/shared" NB_SHARED_ROOT_2="$T/shared2"
done
t_is "$(find "$T/shared" -mindepth 1 -maxdepth 1 | wc -l)" 0 \
	"every test removed its tree from the volume"
