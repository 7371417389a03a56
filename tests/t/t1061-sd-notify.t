#!/bin/bash
# SPDX-License-Identifier: MIT
# Type=notify: netbootfs tells systemd READY=1 (with STATUS=) only once every
# mount is up, pings WATCHDOG=1 from its main loop at half WatchdogSec,
# RELOADING=1 then READY=1 around a SIGHUP reload, STOPPING=1 on SIGTERM.
# A real AF_UNIX datagram socket stands in for systemd's $NOTIFY_SOCKET.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs python3

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
nb_one_node_config os-a

# Each datagram as one line; on READY=1, whether both mounts were up then.
python3 - "$T/notify" "$NB/tftp" "$NB/nfs/n1" >"$T/msgs" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
sys.stdout.reconfigure(line_buffering=True)
print("listening")
while True:
    m = s.recv(4096).decode().replace("\n", "|")
    if "READY=1" in m:
        m += " mounted=%d%d" % (os.path.ismount(sys.argv[2]), os.path.ismount(sys.argv[3]))
    print("%.2f %s" % (time.monotonic(), m))
PY
LPID=$!
at_exit "kill $LPID"
wait_for "grep -q listening '$T/msgs'" 10 || { echo "Bail out! notify listener did not start"; exit 1; }

NOTIFY_SOCKET=$T/notify WATCHDOG_USEC=1000000 nb_start || exit 1
wait_for "grep -q READY=1 '$T/msgs'" 10
t_is "$(grep -m1 READY=1 "$T/msgs" | cut -d' ' -f2-)" \
	"READY=1|STATUS=serving 1 node mounted=11" \
	"READY=1 with a status, sent once the TFTP view and the node root are mounted"
t_is "$(grep -c READY=1 "$T/msgs")" 1 "... once"
sleep 3
n=$(grep -c 'WATCHDOG=1' "$T/msgs")
t_ok "watchdog pinged at half of WATCHDOG_USEC=1s while idle ($n pings in ~3 s)" \
	test "$n" -ge 4 -a "$n" -le 10
kill -HUP "$NB_PID"
wait_for "[ \$(grep -c READY=1 '$T/msgs') -ge 2 ]" 10
t_is "$(grep -v WATCHDOG "$T/msgs" | sed 1d | cut -d' ' -f2 | cut -d'|' -f1 | tr '\n' ' ')" \
	"READY=1 RELOADING=1 READY=1 " "SIGHUP: RELOADING=1, then READY=1 again"
nb_stop
t_ok "SIGTERM: STOPPING=1" grep -q 'STOPPING=1|STATUS=unmounting' "$T/msgs"
done_testing
