#!/bin/bash
# What a node makes never reaches the server's local users: as uid 65534 on
# the server, a setuid-root binary, a cap_setuid binary and a 0666 block
# device that root on a node made (through its root mount) are neither
# usable nor readable through <overlays>; through the node's root mount
# (nosuid,nodev) they run without euid 0 and the device does not open. The
# daemon repairs an overlays area it finds open to other users (0755) at
# start, with a log line per directory.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs setpriv setcap getcap id

plan 29

nb_layout
# Local users reach $NB (as they reach /var/lib on a server): only the
# overlays area's own modes may stop them.
chmod 0755 "$T" "$NB"
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p -m 0755 "$img/usr" "$img/usr/local" "$img/usr/local/bin" "$img/dev"
nb_image os-a "$img"
nb_one_node_config os-a

# The area as an older netbootfs (or a careless admin) left it: 0755.
mkdir -p "$NB/overlays/n1" "$NB/overlays/.work/n1" "$NB/overlays/.archive"
chmod 0755 "$NB/overlays" "$NB/overlays/n1" "$NB/overlays/.work" "$NB/overlays/.work/n1" \
	"$NB/overlays/.archive"
nb_start_root n1
R=$NB/nfs/n1
U=$NB/overlays/n1

# ---- the area is root-only after start ------------------------------------
t_is "$(stat -c '%a %U' "$NB/overlays" "$U" "$NB/overlays/.work" "$NB/overlays/.work/n1" \
	"$NB/overlays/.archive")" "700 root
700 root
700 root
700 root
700 root" "overlays, the node's overlay, the work dirs and other dirs there are 0700 root"
t_ok "the daemon says it repaired the overlays directory" \
	nb_log_has "overlays: $NB/overlays was mode 0755, open to other users: now 0700"
t_ok "and the node's overlay" nb_log_has "overlays: $U was mode 0755, open to other users: now 0700"

# The node's "/" keeps the node's view while the host dir is 0700.
t_is "$(stat -c '%a %U:%G' "$R")" "755 root:root" "the node still sees its / as 0755 root:root"
chmod 0750 "$R" && chgrp 4 "$R"
t_is "$(stat -c '%a %u:%g' "$R")" "750 0:4" "the node changes its / (chmod, chgrp)"
t_is "$(stat -c '%a %U:%G' "$U")" "700 root:root" "the host dir stays 0700 root:root"
chmod 0755 "$R" && chgrp 0 "$R"

# ---- root on the node makes them (through its root mount) -----------------
# Through a shell: setpriv keeps root's capabilities until its own exec,
# so a path setpriv itself executes is looked up with CAP_DAC_OVERRIDE.
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups sh -c 'exec "$@"' sh "$@"; }
cp /usr/bin/id "$R/usr/local/bin/id-suid" && chmod 4755 "$R/usr/local/bin/id-suid"
cp /usr/bin/setpriv "$R/usr/local/bin/setpriv-cap" && chmod 0755 "$R/usr/local/bin/setpriv-cap"
setcap cap_setuid,cap_setgid+ep "$R/usr/local/bin/setpriv-cap"
mknod -m 0666 "$R/dev/loop0" b 7 0
t_is "$(stat -c '%A %U' "$R/usr/local/bin/id-suid")" "-rwsr-xr-x root" \
	"the node sees its setuid-root binary"
t_like "$(getcap "$R/usr/local/bin/setpriv-cap")" "cap_setgid,cap_setuid[=+]ep" \
	"the node sees its cap_setuid binary"
t_is "$(stat -c '%A %t:%T' "$R/dev/loop0")" "brw-rw-rw- 7:0" "the node sees its 0666 block device"
t_is "$(stat -c '%A %U' "$U/usr/local/bin/id-suid")" "-rwsr-xr-x root" \
	"the overlay on the host keeps the node's modes"

# Sanity: the same files, copied where uid 65534 may run them, do escalate.
# Without this the checks below could pass for an unrelated reason.
ctl=$T/control
mkdir -m 0755 "$ctl"
cp -a "$U/usr/local/bin/id-suid" "$U/usr/local/bin/setpriv-cap" "$ctl/"
setcap cap_setuid,cap_setgid+ep "$ctl/setpriv-cap"
t_is "$(nobody "$ctl/id-suid" -u 2>&1)" 0 "control: the setuid copy runs as euid 0 for uid 65534"
t_is "$(nobody "$ctl/setpriv-cap" --reuid=0 --regid=0 --clear-groups id -u 2>&1)" 0 \
	"control: the cap_setuid copy makes uid 65534 root"
rm -rf "$ctl"

# ---- via the node's root mount ---------------------------------------------
opts=$(awk -v m="$R" '$5 == m { print $6 }' /proc/self/mountinfo)
t_like ",$opts," ",nosuid," "the root mount is nosuid ($opts)"
t_like ",$opts," ",nodev," "the root mount is nodev"
t_is "$(nobody "$R/usr/local/bin/id-suid" -u 2>&1)" 65534 \
	"mount: the setuid binary runs, without euid 0"
out=$(nobody "$R/usr/local/bin/setpriv-cap" --reuid=0 --regid=0 --clear-groups id -u 2>&1)
t_like "$out" "setresuid failed: Operation not permitted" \
	"mount: the cap_setuid binary runs without its capabilities"
out=$(nobody dd if="$R/dev/loop0" of=/dev/null count=1 2>&1)
t_like "$out" "Permission denied" "mount: the block device does not open for reading"
out=$(nobody dd if=/dev/zero of="$R/dev/loop0" count=1 conv=notrunc 2>&1)
t_like "$out" "Permission denied" "mount: nor for writing"
# Root on the node still has its device (the NFS client opens it on its side).
t_is "$(stat -c '%t:%T' "$U/dev/loop0")" "7:0" "the device node itself is kept in the overlay"

# ---- new directories and a restart ----------------------------------------
nb_stop
t_is "$NB_STATUS" 0 "the daemon stops cleanly"

# ---- via the overlays directory --------------------------------------------
# With the daemon stopped: nothing holds the files open for writing then
# (exec would fail with ETXTBSY while it does), as for an attacker later.
out=$(nobody "$U/usr/local/bin/id-suid" -u 2>&1)
t_like "$out" "Permission denied" "overlays: the setuid binary does not run for uid 65534"
out=$(nobody "$U/usr/local/bin/setpriv-cap" --reuid=0 --regid=0 --clear-groups id -u 2>&1)
t_like "$out" "Permission denied" "overlays: the cap_setuid binary does not run"
out=$(nobody cat "$U/usr/local/bin/id-suid" 2>&1 >/dev/null)
t_like "$out" "Permission denied" "overlays: the setuid binary is not readable"
out=$(nobody dd if="$U/dev/loop0" of=/dev/null count=1 2>&1)
t_like "$out" "Permission denied" "overlays: the block device does not open for reading"
out=$(nobody ls "$NB/overlays" 2>&1)
t_like "$out" "Permission denied" "overlays: the directory is not listable"

chmod 0755 "$NB/overlays"
rm -rf "$U"
nb_start_root n1
t_is "$(stat -c %a "$NB/overlays" "$U")" "700
700" "a fresh node overlay is made 0700, the area repaired again at start"
t_ok "the restart logs the repair" \
	nb_log_has "overlays: $NB/overlays was mode 0755, open to other users: now 0700"
t_is "$(stat -c '%a %U:%G' "$R")" "755 root:root" "a fresh overlay shows / as 0755 root:root"
echo hi >"$R/etc/new-after-restart"
t_is "$(cat "$U/etc/new-after-restart")" hi "the node writes into its new overlay"
