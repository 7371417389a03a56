#!/bin/bash
# SPDX-License-Identifier: MIT
# A config with errors is refused whole, on inotify and on SIGHUP: the log
# names file:line, the last good config keeps serving every node, and none
# of the broken config's changes leak in, not even at the next boot.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
at_exit "lazy_umount '$NB/nfs/n2'"
at_exit "lazy_umount '$NB/nfs/n3'"
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b"
export NB_BOOT_GAP=2
good_ini()
{
	cat <<-INI
		default_image = os-a

		[node:n1]
		image = os-a
		serial = 1a2b3c4d

		[node:n2]
		image = os-b
		serial = 2b3c4d5e
	INI
}
good_ini | nb_write_config
nb_start || exit 1
N1=$NB/tftp/1a2b3c4d
N2=$NB/tftp/2b3c4d5e
cat "$N1/start4.elf" "$N2/start4.elf" >/dev/null
served()
{
	printf '%s %s %s %s' "$(tail -n 1 "$N1/config.txt")" "$(cat "$NB/nfs/n1/etc/fixture-variant")" \
		"$(tail -n 1 "$N2/config.txt")" "$(cat "$NB/nfs/n2/etc/fixture-variant")"
}
expect_served="# fixture variant a a # fixture variant b b"
t_is "$(served)" "$expect_served" "n1 serves os-a, n2 os-b"

# ---- a syntax error (and a change of n1 that must not apply) -------------
n=$(nb_log_count 'reload refused')
{
	good_ini | sed 's/^image = os-a$/image = os-b/'
	printf '[node:n3]\nserial = 3c4d5e6f\nthis line is not ini\n'
} | nb_write_config
bad_line=$(grep -n '^this line is not ini$' "$NB_CONF" | cut -d: -f1)
t_ok "the broken config is refused" nb_wait_log 'reload refused' "$n"
t_ok "the log names file:line ($NB_CONF:$bad_line)" nb_log_has "$NB_CONF:$bad_line: "
t_ok "and says the last good config keeps serving" \
	nb_log_has "$NB_CONF: reload refused, still serving the last good config"
t_is "$(served)" "$expect_served" "every node still served as before"
t_fails "n3 of the broken config is not served" stat "$NB/tftp/3c4d5e6f"
t_ok "and has no root" test ! -e "$NB/nfs/n3"
t_is "$(nb_status_json | json_get 'join " ", map { "$_->{name}:$_->{next_image}" } @{$j->{nodes}}')" \
	"n1:os-a n2:os-b" "status: the good config's nodes and images"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(nb_node n1 image)" os-a "and still takes os-a: nothing of the broken config applied"
t_ok "its boot tree still shows os-a" \
	wait_for "[ \"\$(tail -n 1 '$N1/config.txt')\" = '# fixture variant a' ]" 3

# ---- SIGHUP with the broken file still there -------------------------------
n=$(nb_log_count 'reload refused')
kill -HUP "$NB_PID"
t_ok "SIGHUP: refused again" nb_wait_log 'reload refused' "$n"
t_ok "the daemon is still running" kill -0 "$NB_PID"

# ---- a semantic error: a duplicate serial ---------------------------------
n=$(nb_log_count 'reload refused')
{
	good_ini
	printf '[node:n3]\nserial = 1A2B3C4D\n'
} | nb_write_config
dup_line=$(grep -n '^serial = 1A2B3C4D$' "$NB_CONF" | cut -d: -f1)
t_ok "a duplicate serial is refused" nb_wait_log 'reload refused' "$n"
t_ok "the log names its line ($dup_line)" nb_log_has "$NB_CONF:$dup_line: .*1a2b3c4d"
t_is "$(served)" "$expect_served" "every node still served"

# ---- fixed, then SIGHUP ---------------------------------------------------
{
	good_ini
	printf '[node:n3]\nimage = os-b\nserial = 3c4d5e6f\n'
} >"$T/fixed"
t_ok "the fixed config is reloaded" eval 'nb_reconfig <"$T/fixed"'
t_ok "n3 is served" wait_mounted "$NB/nfs/n3" 5
t_is "$(tail -n 1 "$NB/tftp/3c4d5e6f/config.txt")" "# fixture variant b" "n3 boots os-b"
n=$(nb_log_count ': reloaded')
kill -HUP "$NB_PID"
t_ok "SIGHUP reloads a good config" nb_wait_log ': reloaded' "$n"
t_is "$(served)" "$expect_served" "n1 and n2 unchanged"

t_ok "daemon stops cleanly" nb_stop
done_testing
