#!/bin/bash
# SPDX-License-Identifier: MIT
# `image shell NAME -- CMD` exits with CMD's own exit status when CMD fails
# (and installs nothing); 0 when it succeeds. A "-c" after "--" belongs to
# CMD, not to netbootctl.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_binfmt aarch64
require_cmd mksquashfs unsquashfs

fixture_busybox_arm64 "$T/arm64" || skip_all "cannot build the arm64 busybox userland"
mkdir -p "$T/arm64/boot/firmware"
nb_layout
mkdir -p "$T/tmp"
export TMPDIR=$T/tmp
nb_image pi64 "$T/arm64"
nb_write_config </dev/null
ctl() { "$NETBOOTCTL" -c "$NB_CONF" "$@"; }
sum=$(sha256sum <"$NB/images/pi64.sqfs")

ctl image shell pi64 -- /bin/sh -c 'exit 7' >"$T/out" 2>&1
t_is "$?" 7 "image shell -- sh -c 'exit 7': exit status 7"
t_like "$(cat "$T/out")" "exit status 7\): no new generation" "... and says no new generation"
t_is "$(sha256sum <"$NB/images/pi64.sqfs")" "$sum" "... the image is unchanged"
ctl image shell pi64 -- /bin/sh -c 'exit 1' >"$T/out" 2>&1
t_is "$?" 1 "exit 1: exit status 1"
ctl image shell pi64 -- /bin/sh -c 'echo hi >/etc/motd' >"$T/out" 2>&1
t_is "$?" 0 "a command that succeeds: exit 0"
t_is "$(unsquashfs -cat "$NB/images/pi64.sqfs" etc/motd 2>/dev/null)" hi "... and its change is installed"
done_testing
