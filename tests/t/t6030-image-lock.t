#!/bin/bash
# One lock per image name: two concurrent `image shell` sessions on one
# image both land (the second waits and runs on the first's result), or
# the second fails clearly with --no-wait; gc and install wait too; the
# lock goes with a holder that is killed.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_binfmt aarch64
require_cmd mksquashfs unsquashfs

fixture_busybox_arm64 "$T/arm64" || skip_all "cannot build the arm64 busybox userland"
mkdir -p "$T/arm64/root"
echo base >"$T/arm64/etc/motd"

nb_layout
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
nb_image pi64 "$T/arm64"
nb_write_config <<-INI
	[node:a]
	image = pi64
	serial = 00000001
INI
sqfs_cat()
{
	unsquashfs -cat "$NB/images/$1.sqfs" "$2" 2>/dev/null
}
history_count()
{
	ls "$NB/images/.history" 2>/dev/null | grep -c "^$1\\."
}
# The root a running session unpacked, once its command wrote @1 there.
session_root_with()
{
	local f
	for f in "$T"/tmp/*/root/"$1"; do
		[ -e "$f" ] && { echo "${f%/"$1"}"; return 0; }
	done
	return 1
}
# A session that writes @1, then waits until the test creates /go in its root.
HOLD='echo one > /etc/one; while [ ! -e /go ]; do sleep 0.1; done; rm /go'

# ---- two sessions: the second waits and runs on the first's result --------
"$NETBOOTCTL" -c "$NB_CONF" image shell pi64 -- /bin/sh -c "$HOLD" >"$T/s1.out" 2>"$T/s1.err" &
s1=$!
at_exit "kill $s1 2>/dev/null || true"
t_ok "session 1 is running its command" wait_for "session_root_with etc/one" 60 ||
	_t_diag_stream "$T/s1.err"
root1=$(session_root_with etc/one)

"$NETBOOTCTL" -c "$NB_CONF" image shell pi64 -- /bin/sh -c 'echo two > /etc/two; cat /etc/one' \
	>"$T/s2.out" 2>"$T/s2.err" &
s2=$!
at_exit "kill $s2 2>/dev/null || true"
t_ok "session 2 says it waits" wait_for "grep -q 'waiting for the lock' '$T/s2.err'" 20
t_is "$(cat "$T/s2.err")" \
	"netbootctl: waiting for the lock on image pi64 held by pid $s1 (image shell)..." \
	"naming the image, the holder's pid and command; nothing unpacked yet"

"$NETBOOTCTL" -c "$NB_CONF" image shell --no-wait pi64 -- /bin/true >/dev/null 2>"$T/nw.err"
t_is "$?" 1 "a third session with --no-wait exits 1"
t_is "$(cat "$T/nw.err")" \
	"netbootctl: image shell: image pi64 is locked by pid $s1 (image shell); try again later" \
	"naming the holder"
"$NETBOOTCTL" -c "$NB_CONF" image gc --no-wait pi64 >/dev/null 2>"$T/gcnw.err"
t_is "$?" 1 "gc --no-wait of the locked image exits 1"
t_like "$(cat "$T/gcnw.err")" "image gc: image pi64 is locked by pid $s1 \\(image shell\\)" \
	"naming the holder"
"$NETBOOTCTL" -c "$NB_CONF" image install --no-wait "$NB/images/pi64.sqfs" pi64 \
	>/dev/null 2>"$T/inw.err"
t_is "$?" 1 "install --no-wait onto the locked image exits 1"
t_like "$(cat "$T/inw.err")" "image install: image pi64 is locked by pid $s1" "naming the holder"
"$NETBOOTCTL" -c "$NB_CONF" image rollback --no-wait pi64 >/dev/null 2>"$T/rnw.err"
t_is "$?" 1 "rollback --no-wait of the locked image exits 1"
"$NETBOOTCTL" -c "$NB_CONF" image import --no-wait "$T/arm64" pi64 >/dev/null 2>"$T/imnw.err"
t_is "$?" 1 "import --no-wait onto the locked image exits 1"
t_like "$(cat "$T/imnw.err")" "image import: image pi64 is locked by pid $s1" "naming the holder"
t_is "$(history_count pi64)" 0 "none of them changed anything"

touch "$root1/go"
wait "$s1"
t_is "$?" 0 "session 1 succeeds"
wait "$s2"
t_is "$?" 0 "session 2 succeeds after it" || _t_diag_stream "$T/s2.err"
t_is "$(cat "$T/s2.out")" one "session 2 ran on session 1's result (it read /etc/one)"
t_is "$(sqfs_cat pi64 etc/one)" one "the image has session 1's file"
t_is "$(sqfs_cat pi64 etc/two)" two "and session 2's file: no change lost"
t_is "$(history_count pi64)" 2 "two new generations, one per session"

# ---- gc and install wait for a session ------------------------------------
"$NETBOOTCTL" -c "$NB_CONF" image shell pi64 -- /bin/sh -c "$HOLD" >/dev/null 2>"$T/s3.err" &
s3=$!
at_exit "kill $s3 2>/dev/null || true"
t_ok "session 3 is running" wait_for "session_root_with etc/one" 60
root3=$(session_root_with etc/one)
"$NETBOOTCTL" -c "$NB_CONF" image gc --keep 0 pi64 >"$T/gc.out" 2>"$T/gc.err" &
gc=$!
t_ok "gc waits for the session" wait_for "grep -q 'waiting for the lock' '$T/gc.err'" 20
t_is "$(cat "$T/gc.err")" \
	"netbootctl: waiting for the lock on image pi64 held by pid $s3 (image shell)..." \
	"and says for whom"
t_is "$(history_count pi64)" 2 "nothing collected while the session runs"
cp "$NB/images/pi64.sqfs" "$T/copy.sqfs"
"$NETBOOTCTL" -c "$NB_CONF" image install "$T/copy.sqfs" pi64 >"$T/inst.out" 2>"$T/inst.err" &
inst=$!
t_ok "install waits too" wait_for "grep -q 'waiting for the lock' '$T/inst.err'" 20
t_like "$(cat "$T/inst.err")" "waiting for the lock on image pi64 held by pid $s3 \\(image shell\\)" \
	"naming the session"
touch "$root3/go"
wait "$s3"
t_is "$?" 0 "session 3 succeeds"
wait "$gc"
t_is "$?" 0 "gc then runs"
wait "$inst"
t_is "$?" 0 "install then runs" || _t_diag_stream "$T/inst.err"
t_is "$(sqfs_cat pi64 etc/two)" two "the image still has every change"

# ---- a killed holder leaves no lock behind ----------------------------------
rm -rf "$T"/tmp/*
"$NETBOOTCTL" -c "$NB_CONF" image shell pi64 -- /bin/sh -c "$HOLD" >/dev/null 2>"$T/s4.err" &
s4=$!
t_ok "session 4 is running" wait_for "session_root_with etc/one" 60
root4=$(session_root_with etc/one)
kill -KILL "$s4"
wait "$s4" 2>/dev/null
out=$("$NETBOOTCTL" -c "$NB_CONF" image gc --no-wait pi64 2>&1)
t_is "$?" 0 "after the holder was killed, gc --no-wait gets the lock at once"
t_is "$(grep -c locked <<<"$out")" 0 "no stale lock reported"
# The killed session's chroot command still waits for /go: let it end.
touch "$root4/go"
wait_for "[ ! -e '$root4/go' ]" 20
rm -rf "$T"/tmp/*

t_is "$(ls -A "$NB/images/.locks")" "pi64.lock" "the lock files live in <images>/.locks"
t_is "$(awk -v p="$T/tmp" 'index($5, p) == 1' /proc/self/mountinfo)" "" \
	"no mount of a session is left in this namespace"

done_testing
