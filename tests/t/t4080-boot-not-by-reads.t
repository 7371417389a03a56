#!/bin/bash
# SPDX-License-Identifier: MIT
# Issue 16, acceptance 1: nodes in use are never "booted" by reads of their
# boot trees. A volatile and a persistent node whose roots are read every
# 0.5 s keep their files and their pin through 3 x boot_gap of: reads of
# their TFTP directories on the server (cat, ls), TFTP requests for their
# boot files sent through dnsmasq from another namespace, while a new
# generation of their image waits. Reads on the server start no boot even
# once the roots have gone quiet.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/boots.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl mksquashfs unshare
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

plan 21
GAP=2
# -d: the daemon says why a boot file started no boot (shown on failure).
NB_DAEMON_ARGS=-d NB_BOOT_GAP=$GAP boots_setup ""

echo "vol's own file" >"$NB/nfs/vol/home/mine" &&
	echo "per's own file" >"$NB/nfs/per/home/mine"
t_is "$(cat "$NB/overlays/vol/home/mine" "$NB/overlays/per/home/mine")" \
	"vol's own file
per's own file" "both nodes wrote a file into their overlays"
t_is "$(pin_of vol) $(pin_of per)" "1 1" "both nodes are pinned to generation 1"

root_busy_start vol
root_busy_start per
t_ok "generation 2 of os is dropped in" boots_new_generation g2
t_is "$(nb_node per newer)" 2 "status shows generation 2 waiting for per"

boots_before=$(nb_log_count 'boot started')
end=$((SECONDS + 3 * GAP + 1))
rounds=0
: >"$T/tftp.log"
while [ $SECONDS -lt $end ]; do
	for p in "$VOL_SERIAL" "$PER_SERIAL" "${VOL_MAC//:/-}" "${PER_MAC//:/-}"; do
		cat "$NB/tftp/$p/cmdline.txt" "$NB/tftp/$p/config.txt" \
			"$NB/tftp/$p/start4.elf" >/dev/null
		ls -l "$NB/tftp/$p/" "$NB/tftp/$p/overlays" >/dev/null
	done
	tftp_get "$VOL_SERIAL/start4.elf" "$PER_SERIAL/config.txt" \
		"${VOL_MAC//:/-}/config.txt" "${PER_MAC//:/-}/start4.elf" \
		"$PER_SERIAL/start.elf" "$VOL_SERIAL/kernel8.img" >>"$T/tftp.log"
	rounds=$((rounds + 1))
	sleep 0.5
done
note "$rounds rounds of reads in $((3 * GAP + 1)) s"
t_is "$(grep -c ' OK$' "$T/tftp.log")" "$((rounds * 6))" \
	"every TFTP request through dnsmasq was served ($rounds rounds)"
t_is "$(grep -c "sent $NB/tftp/$VOL_SERIAL/start4.elf" "$T/dnsmasq-srv.log")" "$rounds" \
	"dnsmasq logged each transfer of vol's start4.elf"
t_is "$(nb_log_count 'boot started')" "$boots_before" "no boot started"
t_is "$(cat "$NB/nfs/vol/home/mine")" "vol's own file" "vol keeps its file in its root"
t_is "$(cat "$NB/overlays/vol/home/mine")" "vol's own file" "vol keeps its file in its overlay"
t_is "$(cat "$NB/nfs/per/home/mine")" "per's own file" "per keeps its file"
t_is "$(pin_of vol) $(pin_of per)" "1 1" "both nodes stay pinned to generation 1"
t_is "$(nb_node vol newer) $(nb_node per newer)" "2 2" "generation 2 still waits for both"
t_is "$(cat "$NB/nfs/per/etc/variant")" g1 "per's root still shows generation 1"
t_is "$(tail -n 1 "$T/got/$PER_SERIAL/config.txt")" "# variant g1" \
	"per's boot tree still serves generation 1"

# Quiet roots: the server's own reads still never start a boot.
root_busy_stop vol
root_busy_stop per
sleep $((GAP + 1))
for p in "$VOL_SERIAL" "$PER_SERIAL" "${VOL_MAC//:/-}" "${PER_MAC//:/-}"; do
	cat "$NB/tftp/$p/start4.elf" "$NB/tftp/$p/config.txt" "$NB/tftp/$p/start.elf" >/dev/null
	ls "$NB/tftp/$p/" >/dev/null
done
sleep 1
t_is "$(nb_log_count 'boot started')" "$boots_before" \
	"reads on the server start no boot of quiet nodes either"
t_is "$(cat "$NB/overlays/vol/home/mine")" "vol's own file" "vol keeps its file"
t_is "$(pin_of vol) $(pin_of per)" "1 1" "both nodes stay pinned to generation 1"

# A listed TFTP server executable run in a user namespace of its own is not
# the TFTP server: anyone may make one and bind port 69 in it.
t_ok "the stand-in TFTP server reads per's start4.elf from a user namespace" \
	unshare -U -r "$NB/tftpd" "$NB/tftp/$PER_SERIAL/start4.elf"
sleep 0.5
t_is "$(nb_log_count 'boot started') $(pin_of per)" "$boots_before 1" \
	"that read starts no boot"
# Control: the same read in the daemon's user namespace is a boot. It comes
# 0.5 s after the read above: it only reaches the daemon because a name
# looked up by anyone but the TFTP server is not cached (tftp_lookup).
log_before=$(wc -l <"$NB/netbootfs.log")
nb_tftp_read "$NB/tftp/$PER_SERIAL/start4.elf"
t_is "$(nb_log_count 'node per: boot started')" 1 \
	"the same read by the TFTP server starts per's boot"
t_is "$(pin_of per)" 2 "per is pinned to generation 2"
if [ "$_t_failed" -ne 0 ]; then
	grep -E 'node per: (TFTP|its root|boot)' "$NB/netbootfs.log" | tail -n 20 | _t_diag_stream
	tail -n +"$((log_before + 1))" "$NB/netbootfs.log" |
		grep -qE 'node per: (TFTP start4.elf|boot started)' ||
		diag "the daemon logged no TFTP lookup of per's start4.elf: was the name cached?"
fi
