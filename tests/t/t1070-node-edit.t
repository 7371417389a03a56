#!/bin/bash
# SPDX-License-Identifier: MIT
# node add / set / rm and discovered adopt edit a commented ini in place:
# after each command the file differs from before only in the intended lines
# (checked with diff against hunks written here by hand), keeps its mode and
# owner, and a client made a node leaves discovered. Invalid input is refused
# with FILE:LINE (or a usage error) and the file stays byte for byte the same.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd mksquashfs sha256sum diff python3
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/fw/boot/firmware" "$T/lite/boot" "$T/images" "$T/overlays/@common" "$T/state"
echo firmware >"$T/fw/boot/firmware/start4.elf"
echo firmware >"$T/lite/boot/start4.elf"
fixture_squash "$T/fw" "$T/images/raspios-arm64.sqfs"
fixture_squash "$T/fw" "$T/images/ubuntu-arm64.sqfs"
fixture_squash "$T/lite" "$T/images/raspios-lite-armhf.sqfs"

# conf/netbootfs.ini.example with its paths in $T, then a section laid out oddly:
# tab and space indentation, spaces around '=', trailing comments, a comment
# block above it, and no newline at the end of the file.
C=$T/netbootfs.ini
sed -e "s|/srv/tftpboot|$T/tftp|; s|/srv/nfsroot|$T/nfs|" \
	-e "s|/var/lib/netbootfs/images|$T/images|; s|/var/lib/netbootfs/overlays|$T/overlays|" \
	-e "s|/var/lib/netbootfs/state|$T/state|" "$SRCDIR/conf/netbootfs.ini.example" >"$C"
printf '\n; ---- lab B ----\n\n# the spare Pi, kept for tests\n[node:spare]   ; on the shelf\n\tserial=0a0b0c0d\n    mac   =  dc:a6:32:aa:bb:cc     ;   label says so' >>"$C"
chmod 0640 "$C"
owner_check=false
if [ "$(id -u)" = 0 ]; then
	chown 65534:65534 "$C"
	owner_check=true
fi
printf '# id\tvia\tfirst_seen\tlast_seen\tcount\tip\tvendor\thostname\n%s\n%s\n%s\n' \
	"$(printf '4d5e6f70\ttftp\t1700000000\t1700000100\t3\t\t\t')" \
	"$(printf 'dc-a6-32-00-00-03\tdhcp\t1700000000\t1700000200\t2\t192.168.1.99\tPXEClient\t')" \
	"$(printf 'b8-27-eb-00-00-09\tdhcp\t1700000000\t1700000300\t1\t192.168.1.98\tPXEClient\tpi9')" \
	>"$T/state/discovered"

ctl() { "$NETBOOTCTL" -c "$C" "$@"; }
# Line of the first line holding $1 in the config.
line_of() { grep -n -m1 -F -- "$1" "$C" | cut -d: -f1; }
# Lines of the config, the last one counted without a newline too.
lines() { awk 'END { print NR }' "$C"; }
ids() { ctl discovered --json | python3 -c 'import json,sys; print(" ".join(d["id"] for d in json.load(sys.stdin)))'; }

t_is "$(ctl check 2>&1)" "ok: 4 nodes, 3 images" "the starting config passes check"
t_is "$(ids)" "4d5e6f70 dc-a6-32-00-00-03 b8-27-eb-00-00-09" "three clients discovered"

# ---- node add -----------------------------------------------------------------
cp -p "$C" "$T/before"
n=$(lines)
out=$(ctl node add rpi-03 --serial 3C4D5E6F --mac DC:A6:32:00:00:03 --ip 192.168.1.53 \
	--profile workers 2>&1); rc=$?
t_is "$rc:$out" "0:node rpi-03 added to $C" "node add: exit 0 and says so"
t_is "$(diff "$T/before" "$C")" "${n}c${n},$((n + 6))
<     mac   =  dc:a6:32:aa:bb:cc     ;   label says so
\\ No newline at end of file
---
>     mac   =  dc:a6:32:aa:bb:cc     ;   label says so
> 
> [node:rpi-03]
> profile = workers
> serial  = 3C4D5E6F
> mac     = DC:A6:32:00:00:03
> ip      = 192.168.1.53
\\ No newline at end of file" "node add: one section at the end, after a blank line, nothing else"
t_is "$(stat -c %a "$C")" 640 "node add: the mode stays"
if $owner_check; then
	t_is "$(stat -c %u:%g "$C")" 65534:65534 "node add: the owner stays"
else
	skip "not root: cannot give the file another owner"
fi
t_is "$(ids)" "4d5e6f70 b8-27-eb-00-00-09" "node add: the client with its MAC leaves discovered"
t_is "$(grep -c '^dc-a6-32-00-00-03' "$T/state/discovered")" 0 \
	"node add: ... and the state file"

# ---- node set -----------------------------------------------------------------
cp -p "$C" "$T/before"
mac=$(line_of 'mac     = dc:a6:32:12:34:56')
out=$(ctl node set rpi-01 ip=192.168.1.61 'cmdline=quiet splash' mac= 2>&1); rc=$?
t_is "$rc:$out" "0:node rpi-01 changed in $C" "node set: exit 0 and says so"
t_is "$(diff "$T/before" "$C")" "${mac},$((mac + 1))c${mac},$((mac + 1))
< mac     = dc:a6:32:12:34:56                 ; any of : - separators, any case
< ip      = 192.168.1.51                      ; optional: exports and dhcp-host use it
---
> ip      = 192.168.1.61                      ; optional: exports and dhcp-host use it
> cmdline = quiet splash" \
	"node set: ip in place (comment kept in its column), mac removed, cmdline added after the last key"

cp -p "$C" "$T/before"
ser=$(line_of '	serial=0a0b0c0d')
out=$(ctl node set spare serial= mac=dc:a6:32:aa:bb:cd 2>&1); rc=$?
t_is "$rc" 0 "node set on an oddly laid out section: exit 0"
t_is "$(diff "$T/before" "$C")" "${ser},$((ser + 1))c${ser}
< 	serial=0a0b0c0d
<     mac   =  dc:a6:32:aa:bb:cc     ;   label says so
---
>     mac   =  dc:a6:32:aa:bb:cd     ;   label says so" \
	"node set: indentation, spacing and comment of the odd line stay"

# ---- node rm ------------------------------------------------------------------
cp -p "$C" "$T/before"
hdr=$(line_of '[node:rpi-02]')
out=$(ctl node rm rpi-02 2>&1); rc=$?
t_is "$rc:$out" "0:node rpi-02 removed from $C" "node rm: exit 0 and says so"
t_is "$(diff "$T/before" "$C")" "${hdr},$((hdr + 4))d$((hdr - 1))
< [node:rpi-02]
< profile = gpu-workers
< serial  = 0x100000005e6f7a8b                ; = 5e6f7a8b
< ip      = 192.168.1.52
< " "node rm: the section and the blank line after it, nothing else"

cp -p "$C" "$T/before"
cmt=$(line_of '# the spare Pi')
out=$(ctl node rm spare 2>&1); rc=$?
t_is "$rc" 0 "node rm spare: exit 0"
t_is "$(diff "$T/before" "$C")" "${cmt},$((cmt + 3))d$((cmt - 1))
< # the spare Pi, kept for tests
< [node:spare]   ; on the shelf
<     mac   =  dc:a6:32:aa:bb:cd     ;   label says so
< " "node rm: the comment directly above goes too; the one after a blank line stays"

# ---- discovered adopt ------------------------------------------------------------
# A record the daemon wrote for a client that is already a node is not listed.
printf '1a2b3c4d\ttftp\t1700000000\t1700000400\t1\t\t\t\n' >>"$T/state/discovered"
t_is "$(ids)" "4d5e6f70 b8-27-eb-00-00-09" "discovered: a client that is a node is not listed"
cp -p "$C" "$T/before"
n=$(lines)
out=$(ctl discovered adopt 4D5E6F70 rpi-04 --image raspios-lite-armhf --model pi4 2>&1); rc=$?
t_is "$rc:$out" "0:node rpi-04 added to $C" "discovered adopt: exit 0"
t_is "$(diff "$T/before" "$C")" "${n}c${n},$((n + 5))
< ip      = 192.168.1.53
\\ No newline at end of file
---
> ip      = 192.168.1.53
> 
> [node:rpi-04]
> image = raspios-lite-armhf
> model = pi4
> serial = 4d5e6f70
\\ No newline at end of file" "discovered adopt: a node section with the client's serial"
t_is "$(ids)" "b8-27-eb-00-00-09" "discovered adopt: the client leaves discovered"
t_is "$(grep -c -e '^4d5e6f70' -e '^1a2b3c4d' "$T/state/discovered")" 0 \
	"discovered adopt: ... and the state file"
t_is "$(ctl node show rpi-04 | awk '$1 == "serial" || $1 == "model" { print $1, $2 }')" \
	"model pi4
serial 4d5e6f70" "the adopted node has the client's serial"
t_is "$(ctl check 2>&1)" "ok: 4 nodes, 3 images" "the edited config passes check"
t_is "$(stat -c %a "$C")" 640 "after every edit the mode is the same"

# ---- refused: the file stays the same -------------------------------------------
# reject DESC RC LINE ARGS...: exit RC, LINE on stderr, file unchanged.
reject()
{
	local desc=$1 want=$2 line=$3 sum
	shift 3
	sum=$(sha256sum <"$C")
	ctl "$@" >"$T/out" 2>"$T/err"
	t_is "$?" "$want" "$desc: exit $want"
	t_ok "$desc: $line" grep -qxF -- "$line" "$T/err" || diag "stderr: $(cat "$T/err")"
	t_is "$(sha256sum <"$C")" "$sum" "$desc: file unchanged"
}
n=$(lines)
ser1=$(line_of 'serial  = 1a2b3c4d')
ip1=$(line_of 'ip      = 192.168.1.61')
last1=$(line_of 'cmdline = quiet splash')
# A new section is a blank line, its header, then profile, image, model,
# serial, mac and ip in that order: lines n+1, n+2, n+3...
reject "bad MAC" 1 "$C:$((n + 4)): bad mac 'zz:zz'" node add x --serial 11111111 --mac zz:zz
t_is "$(tail -n1 "$T/err")" \
	"netbootctl: node add: $C not changed: the result would have 1 problem" \
	"... and says the file was not changed"
reject "duplicate name" 1 "netbootctl: node rpi-01 already exists ($C:$(line_of '[node:rpi-01]'))" \
	node add rpi-01 --serial 11111111
reject "duplicate serial" 1 \
	"$C:$((n + 3)): duplicate serial 1a2b3c4d (also node rpi-01 at line $ser1)" \
	node add x --serial 0x1A2B3C4D
reject "duplicate ip" 1 "$C:$((n + 4)): duplicate ip 192.168.1.61 (also node rpi-01 at line $ip1)" \
	node add x --serial 11111111 --ip 192.168.1.61
reject "unknown image" 1 "$C:$((n + 2)): node x: image 'nosuch' not found in $T/images" \
	node add x --serial 11111111 --image nosuch
reject "bad model" 1 "$C:$((n + 3)): bad value for model: 'pi2' (expected pi3, pi4 or pi5)" \
	node add x --model pi2 --serial 11111111
reject "unknown key" 1 "$C:$((last1 + 1)): unknown key 'colour' in [node:rpi-01]" \
	node set rpi-01 colour=blue
reject "bad ip on set" 1 "$C:$ip1: bad value for ip: '1.2.3' (expected an IPv4 address)" \
	node set rpi-01 ip=1.2.3
reject "set on a missing node" 1 "netbootctl: node set: no node nosuch in $C" \
	node set nosuch ip=192.168.1.70
reject "rm of a missing node" 1 "netbootctl: node rm: no node nosuch in $C" node rm nosuch
reject "adopt of a client never seen" 1 \
	"netbootctl: discovered adopt: no discovered client 99999999 (see netbootctl discovered)" \
	discovered adopt 99999999 x
reject "adopt of a client already a node" 1 \
	"netbootctl: discovered adopt: no discovered client 1a2b3c4d (see netbootctl discovered)" \
	discovered adopt 1a2b3c4d x
reject "invalid name" 2 \
	"netbootctl: node add: invalid node name 'Bad_Name' (lowercase letters, digits and '-', at most 63, not starting with '-')" \
	node add Bad_Name --serial 11111111
reject "a value with ';'" 2 \
	"netbootctl: node set: cmdline=a;b: a value cannot hold ';' or a line break, nor start or end with a blank" \
	node set rpi-01 'cmdline=a;b'
reject "no KEY=VALUE" 2 "netbootctl: node set: 'image' is not KEY=VALUE" node set rpi-01 image
reject "neither serial nor mac" 2 "netbootctl: node add: a node needs --serial or --mac" \
	node add x --image raspios-arm64
reject "adopt with its own id again" 2 \
	"netbootctl: discovered adopt: b8:27:eb:00:00:09 already gives the mac" \
	discovered adopt b8:27:eb:00:00:09 x --mac b8:27:eb:00:00:10
reject "unknown option" 2 "netbootctl: node add: unknown option '--colour'" \
	node add x --serial 11111111 --colour blue

# A problem the config had before the edit blocks it too: check's rules.
cp -p "$C" "$T/before"
head -c 4096 /dev/zero >"$T/images/broken.sqfs"
reject "an image that does not validate" 1 \
	"$T/images/broken.sqfs: $(ctl check 2>&1 | sed -n "s|^$T/images/broken.sqfs: ||p")" \
	node add x --serial 11111111
rm -f "$T/images/broken.sqfs"

# ---- concurrent edits: none is lost --------------------------------------------
cp "$C" "$T/par.ini"
pids=()
for i in 1 2 3 4 5 6 7 8; do
	"$NETBOOTCTL" -c "$T/par.ini" node add "par-$i" --serial "0000000$i" \
		>/dev/null 2>"$T/par-$i.err" &
	pids+=($!)
done
failed=0
for p in "${pids[@]}"; do
	wait "$p" || failed=$((failed + 1))
done
t_is "$failed" 0 "8 concurrent node add: each exits 0"
t_is "$(grep -c '^\[node:par-' "$T/par.ini")" 8 "8 concurrent node add: no edit is lost"
t_is "$("$NETBOOTCTL" -c "$T/par.ini" check 2>&1)" "ok: 12 nodes, 3 images" \
	"8 concurrent node add: the result passes check"

# ---- CRLF, byte for byte ---------------------------------------------------------
printf '[server]\r\naddress = 10.0.0.1\r\nclients = 10.0.0.0/24\r\nimages = %s\r\nstate = %s\r\n[defaults]\r\nimage = ubuntu-arm64\r\n' \
	"$T/images" "$T/state" >"$T/crlf.ini"
cp "$T/crlf.ini" "$T/crlf.want"
printf '\r\n[node:c1]\r\nserial = 5e6f7a8b\r\n' >>"$T/crlf.want"
"$NETBOOTCTL" -c "$T/crlf.ini" node add c1 --serial 5e6f7a8b >/dev/null 2>"$T/err"
t_is "$?" 0 "CRLF file: node add exit 0"
t_file_sha_eq "$T/crlf.ini" "$T/crlf.want" "CRLF file: the new lines end in CRLF too"

# ---- help ----------------------------------------------------------------------
for sub in "node add" "node set" "node rm" "discovered adopt"; do
	# shellcheck disable=SC2086
	out=$(ctl $sub --help); rc=$?
	t_like "$rc:$(head -n1 <<<"$out")" "^0:Usage: netbootctl \\[-c CONFIG\\] $sub " "$sub --help"
done

done_testing
