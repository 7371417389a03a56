#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl check and a GlusterFS volume with Debian's default options:
# quick-read and open-behind on, strict locks off, the three settings
# docs/scale-out.md requires the other way (with them, t8031's locked
# counter lost updates). Each is a problem naming the directory, the
# volume and the `gluster volume set` command; once the volume is set as
# the check says, the same check passes. The options are read from the
# mount's own client graph, so a client without the gluster CLI or access
# to glusterd is checked too.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/gluster.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs ip nsenter timeout
require_gluster
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

GLUSTER_VOLUME_OPTS="" gluster_volume stor nbt
gluster_client here "$NB_NET.11" || {
	echo "Bail out! cannot link the client namespace"
	exit 1
}
gluster_mount here nbt "$T/g" || skip_all "cannot mount the GlusterFS volume (see $GLUSTER_DIR/log)"

# The whole layout, ini included, on the volume.
NB_SHARED_ROOT=$T/g nb_layout
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
nb_one_node_config os-a 10.99.0.11

ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
# lack OPTION HAS NEEDS: the problem line for a setting the volume lacks
lack()
{
	local had="has $1 $2" then=""
	case $1 in
	client.*) had="had $1 $2 when mounted" then=", then mount the volume again" ;;
	esac
	printf '%s: on GlusterFS volume %s (mounted at %s), which %s: netbootfs needs it %s where servers share state (docs/scale-out.md); run: gluster volume set nbt %s %s%s\n' \
		"$NB" "$GLUSTER_IP:/nbt" "$T/g" "$had" "$3" "$1" "$3" "$then"
}

rc=0
ctl check >"$T/out" 2>"$T/err" || rc=$?
t_is "$rc" 1 "check fails on a volume with Debian's defaults"
t_is "$(grep -v '^netbootctl: ' "$T/err")" "$(lack performance.quick-read on off
lack performance.open-behind on off
lack client.strict-locks off on)" \
	"one problem per setting, once for the ini, images and overlays on one volume"
t_is "$(grep '^netbootctl: ' "$T/err")" "netbootctl: 3 problems found" "counted as problems"
t_is "$(cat "$T/out")" "" "and no ok line"
rc=0
ctl check --json >"$T/json" 2>/dev/null || rc=$?
t_is "$rc" 1 "check --json fails too"
t_is "$(json_get '"$j->{ok}|$j->{problems}"' <"$T/json")" "0|3" "with ok false and 3 problems"

# Set the volume as the check says. The mounted client takes a new graph
# without quick-read and open-behind; the client option shows in the
# graph of a new mount.
sed -n 's/.*; run: gluster volume set \([^ ,]* [^ ,]* [^ ,]*\).*/\1/p' "$T/err" >"$T/sets"
t_is "$(wc -l <"$T/sets")" 3 "each problem names its command"
while read -r vol opt val; do
	gluster_cli volume set "$vol" "$opt" "$val" >/dev/null ||
		echo "# gluster volume set $vol $opt $val failed" >&2
done <"$T/sets"
t_ok "with the volume set as told, only the client option is left" \
	wait_for "! '$NETBOOTCTL' -c '$NB_CONF' check 2>'$T/err' >/dev/null &&
		[ \"\$(grep -c GlusterFS '$T/err')\" = 1 ]" 30
t_is "$(grep GlusterFS "$T/err")" "$(lack client.strict-locks off on)" \
	"and it says to mount the volume again"
gluster_umount "$T/g"
gluster_mount here nbt "$T/g" || {
	echo "Bail out! cannot mount the GlusterFS volume again"
	exit 1
}
rc=0
ctl check >"$T/out" 2>"$T/err" || rc=$?
t_is "$rc" 0 "on the new mount, check passes"
t_is "$(cat "$T/out")" "ok: 1 nodes, 1 images" "ok line"
t_is "$(cat "$T/err")" "" "nothing on stderr"
t_ok "the client graph it read has none of the three" \
	eval "! grep -Eq 'performance/(quick-read|open-behind)' '$T/g/.meta/graphs/active/volfile' &&
		grep -q 'option strict-locks on' '$T/g/.meta/graphs/active/volfile'"
done_testing
