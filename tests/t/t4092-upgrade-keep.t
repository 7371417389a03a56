#!/bin/bash
# SPDX-License-Identifier: MIT
# upgrade = keep, the default (issue 16, acceptance 5): a node's copies
# stay over a newer generation as before: its overlay is not touched by
# the boot onto generation 2, nothing is archived, its root shows its own
# copies and generation 2 wherever it changed nothing.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/rebase.sh"

require_root
require_fuse
require_cmd mksquashfs perl

rb_setup n1 n2 || exit 1
# n1 says keep, n2 says nothing (the default); a profile says rebase but
# n1's own key wins.
NB_BOOT_GAP=2 nb_write_config <<-INI
	[profile:lab]
	upgrade = rebase

	[node:n1]
	profile = lab
	image = os
	serial = 1a2b3c4d
	upgrade = keep

	[node:n2]
	image = os
	serial = 2b3c4d5e
INI
t_like "$("$NETBOOTCTL" -c "$NB_CONF" node show n1)" "upgrade +keep +\\[node:n1\\]" "n1: keep, from its own section"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" node show n2)" "upgrade +keep +\\[built-in\\]" "n2: keep, built in"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" node show n2)" \
	"persist +/home,/root,/etc/ssh/ssh_host_\*,/etc/machine-id,/var/log +\\[built-in\\]" "the default persist list"
nb_start || exit 1
for n in n1 n2; do
	wait_mounted "$NB/nfs/$n" 10 || {
		echo "Bail out! $NB/nfs/$n is not mounted"
		exit 1
	}
done
nb_tftp_read "$NB/tftp/1a2b3c4d/start4.elf" && nb_tftp_read "$NB/tftp/2b3c4d5e/start4.elf"
for n in n1 n2; do
	t_ok "$n changes its root" rb_node_changes "$NB/nfs/$n"
done
before1=$(rb_manifest "$NB/overlays/n1")
before2=$(rb_manifest "$NB/overlays/n2")
root_before=$(rb_manifest "$NB/nfs/n1")
n=$(nb_log_count 'os\.sqfs: image os generation')
rb_generation2
t_ok "generation 2 is seen" nb_wait_log 'os\.sqfs: image os generation' "$n"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_ok "n2 reboots" nb_boot 2b3c4d5e
gen2=$(nb_status_json | json_get '(grep { $_->{image} eq "os" && $_->{newest} } @{$j->{generations}})[0]{id}')
t_is "$(nb_node n1 generation) $(nb_node n2 generation)" "$gen2 $gen2" "both pin generation 2"
t_is "$(rb_manifest "$NB/overlays/n1")" "$before1" "n1's overlay is untouched"
t_is "$(rb_manifest "$NB/overlays/n2")" "$before2" "n2's overlay is untouched"
t_ok "nothing is archived" test ! -e "$NB/overlays/.archive"
t_ok "no rebase is logged" test "$(nb_log_count 'rebase')" = 0
for n in n1 n2; do
	R=$NB/nfs/$n
	t_is "$(cat "$R/etc/passwd" | tail -n 1)" 'alice:x:1001:1001:Alice:/home/alice:/bin/bash' \
		"$n: its /etc/passwd is its own copy"
	t_ok "$n: which hides generation 2's new user" sh -c "! grep -q _svc '$R/etc/passwd'"
	t_is "$(cat "$R/etc/motd.conf" "$R/usr/bin/tool")" \
		"$(printf 'greeting=hello from the node\ntool patched by the node')" "$n: its copies win"
	t_is "$(cat "$R/usr/share/doc/tool/changelog" "$R/etc/changed-and-dropped.conf" 2>&1)" \
		"$(cat "$T/g2/usr/share/doc/tool/changelog")
cat: $R/etc/changed-and-dropped.conf: No such file or directory" \
		"$n: generation 2 where it changed nothing, its deletions stay"
done
# The same root as before the boot, but where generation 2 differs and
# the node has no copy.
t_is "$(rb_manifest "$NB/nfs/n1" | grep -v -e ' ./etc/fixture-variant ' -e ' ./usr/share/doc/tool/changelog ' \
	-e ' ./boot/firmware/config.txt ')" \
	"$(echo "$root_before" | grep -v -e ' ./etc/fixture-variant ' -e ' ./usr/share/doc/tool/changelog ' \
		-e ' ./boot/firmware/config.txt ')" "n1's root is otherwise what it was"
done_testing
