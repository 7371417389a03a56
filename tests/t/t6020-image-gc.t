#!/bin/bash
# netbootctl image gc: old generations beyond [server] history go, pinned
# ones (still open, as the daemon holds what running nodes booted) stay.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_cmd mksquashfs

nb_layout
nb_write_config <<-INI
	history = 2
INI
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}

mkdir -p "$T/tree" "$NB/images/.history"
echo one >"$T/tree/f"
fixture_squash "$T/tree" "$T/one.sqfs"
hist=$NB/images/.history
cp "$T/one.sqfs" "$NB/images/os.sqfs"
cp "$T/one.sqfs" "$NB/images/other.sqfs"
for s in 20230101T000000Z 20230201T000000Z 20230301T000000Z 20230301T000000Z-1; do
	fixture_bytes 4096 "os$s" >"$hist/os.$s.sqfs"
done
fixture_bytes 1024 other >"$hist/other.20230101T000000Z.sqfs"
for s in 20220101T000000Z 20220201T000000Z 20220301T000000Z; do
	fixture_bytes 2048 "gone$s" >"$hist/gone.v2.$s.sqfs"
done
echo keep-me >"$hist/README"

all_files()
{
	ls "$hist" | tr '\n' ' '
}
before=$(all_files)

out=$(ctl image gc --dry-run 2>&1)
ok $? "gc --dry-run succeeds"
t_is "$(all_files)" "$before" "--dry-run removes nothing"
t_is "$(grep -c '^would remove [a-z]' <<<"$out")" 3 "--dry-run names 3 files"

# Pin the oldest os generation: a process holds it open.
exec 7<"$hist/os.20230101T000000Z.sqfs"
out=$(ctl image gc 2>&1)
ok $? "gc succeeds"
t_like "$out" "kept os\.20230101T000000Z\.sqfs: pinned \(open by pid $$\)" \
	"a generation that is open is pinned and kept"
t_like "$out" "removed os\.20230201T000000Z\.sqfs \(4\.0K\)" "an unpinned old one is removed"
t_like "$out" "removed gone\.v2\.20220101T000000Z\.sqfs" \
	"history of an image whose current file is gone is collected too"
t_like "$out" "removed 2 old generations, 6\.0K freed, 1 pinned kept" "summary line"
t_is "$(all_files)" \
	"README gone.v2.20220201T000000Z.sqfs gone.v2.20220301T000000Z.sqfs os.20230101T000000Z.sqfs os.20230301T000000Z-1.sqfs os.20230301T000000Z.sqfs other.20230101T000000Z.sqfs " \
	"the newest 2 per image (history = 2), the pinned one and foreign files remain"

out=$(ctl image gc --keep 0 os 2>&1)
t_is "$(ls "$hist" | grep -c '^os\.')" 1 "--keep 0 os removes all unpinned os history"
t_like "$out" "1 pinned kept" "but not the pinned one"
exec 7<&-
ctl image gc --keep 0 os >/dev/null 2>&1
t_is "$(ls "$hist" | grep -c '^os\.')" 0 "once closed it goes too"
t_is "$(ls "$hist" | grep -c '^other\.')" 1 "other images are untouched"
t_ok "current images are untouched" cmp "$NB/images/os.sqfs" "$T/one.sqfs"

t_fails "--keep needs a number" ctl image gc --keep many
t_fails "a bad image name is refused" ctl image gc ../etc

done_testing
