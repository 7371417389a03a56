#!/bin/bash
# The image catalog on shared storage: two daemons over one images
# directory (a local directory stands in for the shared filesystem), each
# with its own state directory, mountpoints and control socket. Generation
# ids live in <images>/.generations and change under a lock both take, so:
#  - a drop-in image appears on both daemons with the same generation id,
#    even though one of them numbered a file the other never saw;
#  - several drop-ins verified and numbered by both at the same time end
#    with one id each, the same on both, listed once in the ids file;
#  - netbootctl images (which numbers files too) agrees.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/peers.sh"

require_root
require_fuse
require_cmd mksquashfs perl
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

nb_layout
fixture_boot_tree "$T/os-a" a
fixture_boot_tree "$T/os-b" b
nb_image os-a "$T/os-a"
nb_one_node_config os-a
A=$NB A_CONF=$NB_CONF
B=$T/b B_CONF=$T/b/netbootfs.ini
nb_peer_config "$B" || exit 1

newest_gen() # A|B IMAGE: the id of IMAGE's newest generation in that daemon's status
{
	on "$1" nb_status_json |
		json_get "(grep { \$_->{image} eq '$2' && \$_->{newest} } @{\$j->{generations}})[0]{id}"
}
has_gen() # A|B IMAGE: that daemon serves a generation of IMAGE
{
	[[ $(newest_gen "$1" "$2") =~ ^[0-9]+$ ]]
}
# The ids file's record of IMAGE's current file: "ID" (one line per record).
recorded() # IMAGE
{
	local ino
	ino=$(stat -c %i "$A/images/$1.sqfs")
	awk -v f="$1.sqfs" -v i="$ino" '$2 == f && $3 == i { print $1 }' "$A/images/.generations"
}

# ---- A alone numbers a file B never sees: their histories differ ------------
on A nb_start || exit 1
fixture_boot_tree "$T/tmp" t
nb_image tmp "$T/tmp"
t_ok "A numbers tmp, a file B never sees" wait_for "has_gen A tmp" 30
rm -f "$A/images/tmp.sqfs"
on A nb_stop
t_ok "no ids in A's state directory: they are beside the images" \
	eval "[ ! -e '$A/state/generations' ] && [ -s '$A/images/.generations' ]"

on A nb_start || exit 1
A_PID=$NB_PID
on B nb_start || exit 1
B_PID=$NB_PID
gen_a=$(newest_gen A os-a)
t_like "$gen_a" '^[0-9]+$' "A serves os-a (generation $gen_a)"
t_is "$(newest_gen B os-a)" "$gen_a" "B serves os-a under the same generation id"

# ---- a drop-in appears on both with one id ----------------------------------
nb_image os-b "$T/os-b"
t_ok "A takes the drop-in os-b" wait_for "has_gen A os-b" 30
t_ok "B takes the drop-in os-b" wait_for "has_gen B os-b" 30
gen_b=$(newest_gen A os-b)
t_like "$gen_b" '^[0-9]+$' "A serves os-b (generation $gen_b)"
t_is "$(newest_gen B os-b)" "$gen_b" "os-b has the same generation id on both ($gen_b)"
t_is "$(recorded os-b)" "$gen_b" "the ids file records os-b once, under that id"
t_is "$(on B "$NETBOOTCTL" -c "$B_CONF" images --json | json_get '(grep { $_->{name} eq "os-b" } @$j)[0]{generation}')" \
	"$gen_b" "netbootctl images on B says the same"

# ---- drop-ins numbered by both at the same moment ------------------------------
names="c1 c2 c3 c4 os-a"
for n in $names; do
	fixture_boot_tree "$T/$n.tree" "$n-2"
	fixture_squash "$T/$n.tree" "$A/images/.$n.tmp" || exit 1
done
for n in $names; do
	mv "$A/images/.$n.tmp" "$A/images/$n.sqfs"
done
all_new() # A|B
{
	local n
	for n in $names; do
		[ "$(newest_gen "$1" "$n")" = "$(recorded "$n")" ] || return 1
	done
}
t_ok "A serves the five new files" wait_for "all_new A" 60
t_ok "B serves the five new files" wait_for "all_new B" 60
ids_a="" ids_b=""
for n in $names; do
	ids_a="$ids_a $n=$(newest_gen A "$n")"
	ids_b="$ids_b $n=$(newest_gen B "$n")"
done
note "generation ids:$ids_a"
t_is "$ids_b" "$ids_a" "both daemons give each of the five files the same generation id"
t_is "$(for n in $names; do newest_gen A "$n"; done | sort -u | wc -l)" 5 "five files, five ids"
t_is "$(for n in $names; do recorded "$n"; done | wc -l)" 5 "each file is recorded once"
t_is "$(awk '$1 != "next" && $1 !~ /^#/ { print $1 }' "$A/images/.generations" | sort | uniq -d)" "" \
	"no id is recorded twice"
t_like "$(newest_gen A os-a)" "^[0-9]+$" "os-a's new file is a new generation"
t_ok "os-a's new generation is not the old one" eval "[ '$(newest_gen A os-a)' != '$gen_a' ]"
t_is "$(grep -c 'image generation ids in .*/images/.generations, shared' "$B/netbootfs.log")" 1 \
	"B says where its ids are, once"
done_testing
