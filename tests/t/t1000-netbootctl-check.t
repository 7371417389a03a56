#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl check: config errors as FILE:LINE, image validation, node
# images that do not exist; usage errors exit 2.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd mksquashfs
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/tree/etc" "$T/tree/boot/firmware" "$T/images" "$T/state" "$T/overlays"
echo firmware >"$T/tree/boot/firmware/start4.elf"
echo hello >"$T/tree/etc/hello"
fixture_squash "$T/tree" "$T/images/raspios-arm64.sqfs"
fixture_squash "$T/tree" "$T/images/ubuntu-arm64.sqfs"

# $1: file; the rest of stdin is appended after a [server] section into $T.
write_conf()
{
	{
		cat <<-INI
		[server]
		tftp_root = $T/tftp
		nfs_root  = $T/nfs
		images    = $T/images
		overlays  = $T/overlays
		state     = $T/state
		address   = 10.251.0.1
		clients   = 10.251.0.0/24
		INI
		cat
	} >"$1"
}

# Lines 1-8 are [server]; the node sections below start at line 9.
write_conf "$T/good.ini" <<'INI'
[defaults]
image = raspios-arm64
[profile:workers]
image = ubuntu-arm64
[node:rpi-01]
serial = 1A2B3C4D
mac = dc:a6:32:12:34:56
[node:rpi-02]
profile = workers
serial = 0x2b3c4d5e
INI

out=$("$NETBOOTCTL" -c "$T/good.ini" check 2>"$T/err"); rc=$?
t_is "$rc" 0 "good config: exit 0"
t_is "$out" "ok: 2 nodes, 2 images" "good config: one-line summary"
t_is "$(cat "$T/err")" "" "good config: nothing on stderr"

# Duplicate serial: rpi-02's serial (line 18) repeats rpi-01's (line 14).
write_conf "$T/dup.ini" <<'INI'
[defaults]
image = raspios-arm64
[profile:workers]
image = ubuntu-arm64
[node:rpi-01]
serial = 1a2b3c4d
mac = dc:a6:32:12:34:56
[node:rpi-02]
profile = workers
serial = 1A2B3C4D
INI
"$NETBOOTCTL" -c "$T/dup.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "duplicate serial: exit 1"
line="$T/dup.ini:18: duplicate serial 1a2b3c4d (also node rpi-01 at line 14)"
t_is "$(grep -Fx "$line" "$T/err")" "$line" "duplicate serial: FILE:LINE: duplicate serial ..."
t_is "$(cat "$T/out")" "" "duplicate serial: no summary on stdout"

# A node whose image does not exist names the node and its section line.
write_conf "$T/noimg.ini" <<'INI'
[defaults]
image = raspios-arm64
[node:rpi-01]
serial = 1a2b3c4d
[node:rpi-03]
image = nosuch
INI
"$NETBOOTCTL" -c "$T/noimg.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "missing image: exit 1"
t_is "$(grep -c "image '" "$T/err")" 1 "missing image: exactly one node reported"
t_is "$(grep "rpi-03" "$T/err")" \
	"$T/noimg.ini:13: node rpi-03: image 'nosuch' not found in $T/images" \
	"missing image: FILE:LINE: node NAME: image 'x' not found in DIR"

# A profile that picks a missing image: the node line, plus where it was set.
write_conf "$T/noimg2.ini" <<'INI'
[defaults]
image = raspios-arm64
[profile:old]
image = gone
[node:rpi-04]
profile = old
INI
"$NETBOOTCTL" -c "$T/noimg2.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "image from a profile missing: exit 1"
t_is "$(grep rpi-04 "$T/err")" \
	"$T/noimg2.ini:13: node rpi-04: image 'gone' not found in $T/images (image set in [profile:old] line 12)" \
	"image from a profile missing: names the profile line too"

# A broken image file is reported by path, and check fails.
head -c 4096 /dev/zero >"$T/images/broken.sqfs"
"$NETBOOTCTL" -c "$T/good.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "broken image file: exit 1"
t_like "$(cat "$T/err")" "^$T/images/broken.sqfs: " "broken image file: named first on stderr"
t_is "$(grep -c "^$T/images/" "$T/err")" 1 "broken image file: the two good images pass"
rm -f "$T/images/broken.sqfs"

# Unknown key: the mapper's error, with file and line.
write_conf "$T/badkey.ini" <<'INI'
[defaults]
image = raspios-arm64
colour = blue
INI
"$NETBOOTCTL" -c "$T/badkey.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "unknown key: exit 1"
t_like "$(cat "$T/err")" "^$T/badkey.ini:11: unknown key 'colour'" "unknown key: FILE:LINE"

"$NETBOOTCTL" -c "$T/none.ini" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "missing config file: exit 1"
t_like "$(cat "$T/err")" "$T/none.ini" "missing config file: named on stderr"

# Usage errors exit 2 and say so on stderr; --help exits 0.
"$NETBOOTCTL" -c "$T/good.ini" check extra >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "check with an argument: exit 2"
t_is "$(head -n1 "$T/err")" "netbootctl: check: unexpected argument 'extra'" "... and says why"
"$NETBOOTCTL" -c "$T/good.ini" check --bogus >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "unknown option: exit 2"
t_is "$(head -n1 "$T/err")" "netbootctl: check: unknown option '--bogus'" "... and names it"
"$NETBOOTCTL" >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "no command: exit 2"
"$NETBOOTCTL" frobnicate >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "unknown command: exit 2"
t_is "$(head -n1 "$T/err")" "netbootctl: unknown command 'frobnicate'" "... and names it"
"$NETBOOTCTL" -c >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "-c without a file: exit 2"
"$NETBOOTCTL" check --help >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 0 "check --help: exit 0"
t_like "$(head -n1 "$T/out")" "^Usage: netbootctl .*check" "check --help: usage on stdout"
"$NETBOOTCTL" --help >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 0 "--help: exit 0"
t_like "$(cat "$T/out")" "node show NAME.*gen dnsmasq" "--help lists the commands"

done_testing
