#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl image install / rollback / list, with and without the daemon:
# atomic installs that refuse bad files, a history of the last 3 replaced
# files, rollbacks that can be undone, and the daemon taking each new file
# as the newest generation for the node's next boot.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/a" a
# Variants a2..a5: tree a with another etc/fixture-variant and config.txt,
# each built 100 s after the one before (history names carry that time).
t=1700000000
for v in a a2 a3 a4 a5; do
	if [ "$v" != a ]; then
		cp -a "$T/a" "$T/$v"
		echo "$v" >"$T/$v/etc/fixture-variant"
		printf '# fixture variant %s\n' "$v" >>"$T/$v/boot/firmware/config.txt"
		touch -d @1700000000 "$T/$v/etc/fixture-variant" "$T/$v/boot/firmware/config.txt"
	fi
	fixture_squash "$T/$v" "$T/$v.sqfs" -comp gzip -b 131072 -mkfs-time "$t"
	t=$((t + 100))
done
head -c $(($(stat -c %s "$T/a2.sqfs") / 3)) "$T/a2.sqfs" >"$T/truncated.sqfs"
export NB_BOOT_GAP=2
nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d
INI
IMG=$NB/images
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
current_is() # the variant os-a.sqfs holds
{
	cmp -s "$IMG/os-a.sqfs" "$T/$1.sqfs"
}
history_is() # the variants under .history/, newest first
{
	local got=() p v
	while read -r p; do
		for v in a a2 a3 a4 a5; do
			cmp -s "$p" "$T/$v.sqfs" && got+=("$v")
		done
	done < <(ctl image list os-a --json | json_get 'join "\n", map { $_->{path} } grep { $_->{state} eq "history" } @$j')
	[ "${got[*]}" = "$*" ] || {
		echo "history: ${got[*]}, expected $*"
		return 1
	}
}
no_temporaries()
{
	[ -z "$(find "$IMG" -maxdepth 1 -name '.*.tmp.*')" ]
}

# ---- without the daemon ---------------------------------------------------
t_is "$(ctl image install "$T/a.sqfs" os-a)" "installed $T/a.sqfs as $IMG/os-a.sqfs" \
	"install without the daemon"
t_ok "the image is in place, byte for byte" current_is a
t_ok "no history yet (nothing was replaced)" history_is
out=$(ctl image install "$T/truncated.sqfs" os-a 2>&1)
t_is "$?" 1 "installing a truncated file fails"
t_like "$out" "^netbootctl: image install: truncated" "saying why"
t_ok "os-a.sqfs is unchanged" current_is a
t_ok "no temporary file is left" no_temporaries
t_ok "and no history was made" history_is
out=$(ctl image install "$T/missing.sqfs" os-a 2>&1)
t_like "$out" "image install: $T/missing.sqfs: No such file or directory" "a missing file is named"
ctl image install "$T/a.sqfs" Bad_Name >/dev/null 2>&1
t_is "$?" 2 "an invalid image name is a usage error"
out=$(ctl image rollback os-b 2>&1)
t_is "$?" 1 "rollback without history fails"
t_like "$out" "image rollback: no history for os-b" "saying so"

# ---- with the daemon ----------------------------------------------------
nb_start || exit 1
N1=$NB/tftp/1a2b3c4d
cat "$N1/start4.elf" >/dev/null
nb_keepalive 1a2b3c4d # no boot of n1 until nb_boot
gen_a=$(nb_node n1 generation)
variant()
{
	tail -n 1 "$N1/config.txt"
}
t_is "$(variant)" "# fixture variant a" "n1 boots a"

install_and_wait() # $1 = variant
{
	local n
	# The scan's line, not a pin's ("pinned image os-a generation N"); the
	# daemon verifies the file in the background at idle priority first.
	n=$(nb_log_count 'os-a\.sqfs: image os-a generation')
	ctl image install "$T/$1.sqfs" os-a >/dev/null &&
		nb_wait_log 'os-a\.sqfs: image os-a generation' "$n" 60
}
t_ok "install a2 while the daemon runs: it takes it" install_and_wait a2
t_ok "a2 is in place" current_is a2
t_ok "the replaced a is in the history" history_is a
newer=$(nb_node n1 newer)
t_like "$newer" '^[0-9]+$' "n1 has a newer generation waiting ($newer)"
t_is "$(variant)" "# fixture variant a" "n1 still serves a before its next boot"
nb_keepalive_stop
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_ok "and serves a2" wait_for "[ \"\$(variant)\" = '# fixture variant a2' ]" 5
t_is "$(nb_node n1 generation)" "$newer" "status: n1 pins $newer"

for v in a3 a4 a5; do
	install_and_wait "$v"
done
t_ok "after a3, a4, a5: a5 is in place" current_is a5
t_ok "the history keeps the last 3 replaced files, newest first" history_is a4 a3 a2

t_ok "rollback while the daemon runs: the daemon takes it" eval '
	n=$(nb_log_count "os-a\.sqfs: image os-a generation")
	ctl image rollback os-a >/dev/null && nb_wait_log "os-a\.sqfs: image os-a generation" "$n" 60'
t_ok "a4 is back in place" current_is a4
t_ok "a5 went to the history" history_is a5 a3 a2
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_ok "and serves a4" wait_for "[ \"\$(variant)\" = '# fixture variant a4' ]" 5
t_is "$(ctl image rollback os-a)" "rolled back $IMG/os-a.sqfs" "a second rollback undoes the first"
t_ok "a5 is back in place" current_is a5
t_ok "history" history_is a4 a3 a2
t_ok "no temporary file is left" no_temporaries

# ---- image list --------------------------------------------------------
list=$(ctl image list)
t_like "$(head -n 1 <<<"$list")" '^NAME +STATE +FILE +MODIFIED +SIZE$' "image list header"
t_like "$(sed -n 2p <<<"$list")" \
	"^os-a +current +os-a\.sqfs +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +[0-9.]+M$" \
	"the current file first"
t_is "$(sed -n '3,$p' <<<"$list" | awk '{ print $1, $2 }' | tr '\n' ' ')" \
	"os-a history os-a history os-a history " "then its 3 history files"
t_like "$(sed -n 3p <<<"$list")" '^os-a +history +\.history/os-a\.20231114T221820Z\.sqfs ' \
	"history files are named by the image's mkfs time (a4's, 300 s after a's)"
t_is "$(ctl image list os-a --json | json_get '$j->[0]{size}')" "$(stat -c %s "$T/a5.sqfs")" \
	"--json: exact size"
t_is "$(ctl image list os-a --json | json_get '$j->[0]{mtime}')" "$(stat -c %Y "$IMG/os-a.sqfs")" \
	"--json: mtime"
out=$(ctl image list nope 2>&1)
t_is "$?" 1 "image list of an unknown image fails"
t_like "$out" "image list: no image nope in $IMG" "naming it"

# ---- without the daemon again ----------------------------------------------
t_ok "daemon stops cleanly" nb_stop
t_is "$(ctl image rollback os-a)" "rolled back $IMG/os-a.sqfs" "rollback without the daemon"
t_ok "a4 is in place" current_is a4
t_ok "history" history_is a5 a3 a2
nb_start || exit 1
t_ok "a restarted daemon serves it" \
	wait_for "[ \"\$(tail -n 1 '$N1/config.txt')\" = '# fixture variant a4' ]" 5
t_ok "daemon stops cleanly" nb_stop

# ---- files with equal mkfs times (reproducible builds) ----------------------
for v in a a2 a3 a4 a5; do
	fixture_squash "$T/$v" "$T/$v.same.sqfs" # all made at @1700000000
	ctl image install "$T/$v.same.sqfs" os-b >/dev/null
done
ctl image rollback os-b >/dev/null
t_ok "equal mkfs times: rollback puts the one before back" cmp -s "$IMG/os-b.sqfs" "$T/a4.same.sqfs"
ctl image rollback os-b >/dev/null
t_ok "equal mkfs times, history pruned: a second rollback undoes the first" \
	cmp -s "$IMG/os-b.sqfs" "$T/a5.same.sqfs"
done_testing
