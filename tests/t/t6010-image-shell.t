#!/bin/bash
# netbootctl image shell: change an arm64 or armhf image in a chroot through
# qemu-user binfmt; success installs a new generation, failure none; a node
# pinned to the old generation keeps reading the old files.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_binfmt aarch64
require_binfmt arm
require_cmd mksquashfs unsquashfs sha256sum

make_tree()
{
	local dir=$1 arch=$2
	"fixture_busybox_$arch" "$dir" || return 1
	mkdir -p "$dir/boot/firmware" "$dir/usr/sbin" "$dir/root" || return 1
	printf '%s\n' "$FIXTURE_CMDLINE" >"$dir/boot/firmware/cmdline.txt"
	printf 'arm_64bit=1\n' >"$dir/boot/firmware/config.txt"
	echo "old motd" >"$dir/etc/motd"
	echo "/usr/lib/libarmmem-\${PLATFORM}.so" >"$dir/etc/ld.so.preload"
	echo "nameserver 192.0.2.53" >"$dir/etc/resolv.conf"
}

make_tree "$T/arm64" arm64 || skip_all "cannot build the arm64 busybox userland"
make_tree "$T/armhf" armhf || skip_all "cannot build the armhf busybox userland"

nb_layout
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
nb_image pi64 "$T/arm64"
nb_image pi32 "$T/armhf"
nb_write_config <<-INI
	[node:old]
	image = pi64
	serial = 00000001
	[node:new]
	image = pi64
	serial = 00000002
INI
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
sqfs_cat()
{
	unsquashfs -cat "$NB/images/$1.sqfs" "$2" 2>/dev/null
}
history_count()
{
	ls "$NB/images/.history" 2>/dev/null | grep -c "^$1\\."
}

nb_start || exit 1
# Node "old" boots generation 1 now.
t_like "$(cat "$NB/tftp/00000001/cmdline.txt")" "nfsroot=" "node old boots"
t_is "$(cat "$NB/nfs/old/etc/motd")" "old motd" "node old reads the first generation"

# ---- arm64 ---------------------------------------------------------------
sha_before=$(sha256sum <"$NB/images/pi64.sqfs")
out=$(ctl image shell pi64 -- /bin/sh -c 'echo hi > /etc/motd; uname -m' 2>"$T/shell.err")
ok $? "image shell on the arm64 image succeeds" || _t_diag_stream "$T/shell.err"
t_is "$out" aarch64 "the command ran under qemu-aarch64: uname -m prints aarch64"
t_is "$(sqfs_cat pi64 etc/motd)" hi "the new generation has the new /etc/motd"
t_is "$(history_count pi64)" 1 "the old generation went to .history"
t_like "$(cat "$T/shell.err")" "installed a new generation of pi64" "and says so"
t_is "$(sqfs_cat pi64 etc/ld.so.preload)" "/usr/lib/libarmmem-\${PLATFORM}.so" \
	"ld.so.preload is back after the session"
t_is "$(sqfs_cat pi64 etc/resolv.conf)" "nameserver 192.0.2.53" \
	"the image's resolv.conf is unchanged"
t_fails "policy-rc.d was removed again" test -n "$(sqfs_cat pi64 usr/sbin/policy-rc.d)"

t_ok "the daemon picks up the new generation" \
	wait_for "[ \$(grep -c 'pi64\.sqfs: image pi64 generation' '$NB/netbootfs.log') -ge 2 ]" 60
t_is "$(cat "$NB/nfs/old/etc/motd")" "old motd" "node old, pinned to generation 1, still reads the old file"
nb_tftp_read "$NB/tftp/00000002/config.txt" # a Pi 5 boots
t_is "$(cat "$NB/nfs/new/etc/motd")" hi "node new boots generation 2 and reads the new file"

# What the session sees.
out=$(ctl image shell --discard pi64 -- /bin/sh -c \
	'test -e /etc/ld.so.preload && echo preload; cat /etc/resolv.conf; grep CapBnd /proc/self/status; ls /proc/1 >/dev/null && echo proc; test -c /dev/null && echo dev; ls /sys/kernel >/dev/null && echo sys; /usr/sbin/policy-rc.d; echo policy=$?' 2>"$T/discard.err")
ok $? "a session with --discard succeeds" || _t_diag_stream "$T/discard.err"
t_fails "ld.so.preload is disabled during the session" grep -qx preload <<<"$out"
if [ -r /etc/resolv.conf ]; then
	t_ok "the host's resolv.conf is visible" grep -qF "$(head -n1 /etc/resolv.conf)" <<<"$out"
else
	skip "host has no resolv.conf"
fi
capbnd=$(sed -n 's/^CapBnd:[[:space:]]*//p' <<<"$out")
t_like "$capbnd" "^[0-9a-f]{16}$" "CapBnd readable in the session"
t_is "$(((0x${capbnd:-0} >> 31) & 1))" 0 "CAP_SETFCAP is dropped from the bounding set"
t_is "$(grep -E '^(proc|dev|sys|policy=101)$' <<<"$out" | tr '\n' ' ')" "proc dev sys policy=101 " \
	"proc, dev and sys are mounted; services are kept from starting"
t_is "$(history_count pi64)" 1 "--discard makes no new generation"
t_is "$(sqfs_cat pi64 etc/motd)" hi "and the image is unchanged"

# A failing command.
sha_before=$(sha256sum <"$NB/images/pi64.sqfs")
ctl image shell pi64 -- /bin/sh -c 'echo broken > /etc/motd; exit 3' >/dev/null 2>"$T/fail.err"
t_is "$?" 3 "a failing command makes image shell exit with its status (3)"
t_like "$(cat "$T/fail.err")" "exit status 3.*no new generation" "saying why"
t_is "$(sha256sum <"$NB/images/pi64.sqfs")" "$sha_before" "the image is untouched"
t_is "$(history_count pi64)" 1 "no new generation"

# ---- armhf ---------------------------------------------------------------
out=$(ctl image shell pi32 -- /bin/sh -c 'echo hi32 > /etc/motd; uname -m' 2>"$T/shell32.err")
ok $? "image shell on the armhf image succeeds" || _t_diag_stream "$T/shell32.err"
t_is "$out" armv7l "the command ran under qemu-arm: uname -m prints armv7l"
t_is "$(sqfs_cat pi32 etc/motd)" hi32 "the armhf image has a new generation with /etc/motd"
t_is "$(history_count pi32)" 1 "its old generation is in .history"

# ---- refusals ------------------------------------------------------------
# An architecture without a binfmt entry: a fake riscv64 /bin/sh.
mkdir -p "$T/rv/bin"
printf '\177ELF\002\001\001\000\000\000\000\000\000\000\000\000\002\000\363\000' >"$T/rv/bin/sh"
nb_image rv "$T/rv"
ctl image shell rv -- /bin/sh -c true >/dev/null 2>"$T/rv.err"
t_is "$?" 1 "an image whose architecture has no binfmt entry is refused"
t_like "$(cat "$T/rv.err")" "no binfmt entry qemu-riscv64.*fix: apt-get install qemu-user-static binfmt-support" \
	"saying how to fix it"
t_is "$(history_count rv)" 0 "and nothing is installed"
t_fails "a command must follow --" ctl image shell pi64 /bin/true
t_fails "an unknown image is an error" ctl image shell nosuch -- /bin/true

# ---- nothing left behind -------------------------------------------------
t_is "$(ls -A "$T/tmp")" "" "every work directory is gone"
t_is "$(awk -v p="$T/tmp" 'index($5, p) == 1' /proc/self/mountinfo)" "" \
	"no mount of a session is left in this namespace"
t_ok "daemon stops cleanly" nb_stop

done_testing
