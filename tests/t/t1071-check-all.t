#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl check covers what gen and the daemon need, in one pass: no
# [server] address, a node nobody may mount (no ip, no clients), two nodes
# with one ip, a layer without its directory, an image without the boot
# files of its nodes' Pi model (pi3, pi4, pi5, or any when no model is
# set), a missing boot dir; config errors and image problems together.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd mksquashfs
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

# image NAME FILE...: an image holding FILEs (paths inside it).
image()
{
	local name=$1 f
	shift
	rm -rf "$T/tree"
	mkdir -p "$T/tree/etc"
	echo "$name" >"$T/tree/etc/hostname"
	for f in "$@"; do
		mkdir -p "$T/tree/$(dirname "$f")"
		case $f in
		*/config.txt) printf '[all]\n  kernel = mykernel.img  # own build\n' >"$T/tree/$f" ;;
		*) echo "$name $f" >"$T/tree/$f" ;;
		esac
	done
	fixture_squash "$T/tree" "$T/images/$name.sqfs"
}
mkdir -p "$T/images" "$T/overlays/@shared" "$T/state"
image pi4 boot/firmware/start4.elf
image pi3 boot/bootcode.bin boot/start.elf
image pi3half boot/bootcode.bin
image pi5 boot/firmware/kernel_2712.img
image pi5k boot/firmware/config.txt boot/firmware/mykernel.img
image pi5nok boot/firmware/config.txt
image empty boot/firmware/readme.txt
image noboot

C=$T/all.ini
cat >"$C" <<INI
[server]
tftp_root = $T/tftp
nfs_root = $T/nfs
images = $T/images
overlays = $T/overlays
state = $T/state
colour = blue
[defaults]
image = pi4
[node:n1]
serial = 11111111
ip = 10.0.0.5
model = pi4
[node:n2]
serial = 22222222
ip = 10.0.0.5
layers = shared, gone
[node:n3]
serial = 33333333
model = pi3
[node:n4]
serial = 44444444
ip = 10.0.0.4
image = pi3
model = pi4
[node:n5]
serial = 55555555
ip = 10.0.0.55
model = pi5
[node:n6]
serial = 66666666
ip = 10.0.0.6
image = empty
[node:n7]
serial = 77777777
ip = 10.0.0.7
image = noboot
[node:n8]
serial = 88888888
ip = 10.0.0.8
image = pi5k
model = pi5
[node:n9]
serial = 99999999
ip = 10.0.0.9
image = pi5
model = pi5
[node:n10]
serial = aaaaaaaa
ip = 10.0.0.10
image = gone
[node:n11]
serial = bbbbbbbb
ip = 10.0.0.11
image = pi3
boot_dir = custom
[node:n12]
serial = cccccccc
ip = 10.0.0.12
image = pi3half
model = pi3
[node:n13]
serial = dddddddd
ip = 10.0.0.13
image = pi5nok
model = pi5
[node:n14]
serial = eeeeeeee
ip = 10.0.0.14
model = pi3
INI
"$NETBOOTCTL" -c "$C" check >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "a config with every problem: exit 1"
t_is "$(cat "$T/out")" "" "... nothing on stdout"
t_is "$(cat "$T/err")" "$C:7: unknown key 'colour' in [server]
$C:1: [server] has no address: every cmdline.txt would get nfsroot=:$T/nfs/...
$C:18: node n3: no ip and no [server] clients: nobody may mount its root
$C:16: duplicate ip 10.0.0.5 (also node n1 at line 12)
$C:17: layer 'gone': no directory $T/overlays/@gone
$C:48: node n10: image 'gone' not found in $T/images
$T/images/pi4.sqfs: boot/firmware lacks bootcode.bin and start.elf, which model pi3 needs (nodes n3, n14)
$T/images/pi3.sqfs: boot lacks start4.elf, which model pi4 needs (node n4)
$T/images/pi4.sqfs: boot/firmware lacks kernel_2712.img and a kernel named by config.txt kernel=, which model pi5 needs (node n5)
$T/images/empty.sqfs: boot/firmware has the boot files of no Pi model (pi3: bootcode.bin and start.elf, pi4: start4.elf, pi5: kernel_2712.img) (node n6)
$T/images/noboot.sqfs: no boot directory (boot/firmware or boot) (node n7)
$T/images/pi3.sqfs: no boot directory 'custom' (node n11)
$T/images/pi3half.sqfs: boot lacks start.elf, which model pi3 needs (node n12)
$T/images/pi5nok.sqfs: boot/firmware lacks kernel_2712.img and a kernel named by config.txt kernel=, which model pi5 needs (node n13)
netbootctl: 14 problems found" \
	"every problem in one pass: config errors as FILE:LINE, image problems as IMAGE: reason"

# Each fixed, one at a time, takes its own line away; fixed all, check is ok.
fix()
{
	local desc=$1 gone=$2
	shift 2
	cp "$C" "$T/before"
	"$@"
	"$NETBOOTCTL" -c "$C" check >"$T/out" 2>"$T/err2"
	t_is "$(diff "$T/err" "$T/err2" | grep '^[<>]' | grep -v 'problems found$')" "< $gone" \
		"fixed $desc: only its message is gone"
	mv "$T/err2" "$T/err"
}
fix "the unknown key with an address" "$C:7: unknown key 'colour' in [server]
< $C:1: [server] has no address: every cmdline.txt would get nfsroot=:$T/nfs/..." \
	sed -i 's/^colour = blue$/address = 10.0.0.1/' "$C"
fix "[server] clients" "$C:18: node n3: no ip and no [server] clients: nobody may mount its root" \
	sed -i "s|^tftp_root = .*|clients = 10.0.0.0/24|" "$C"
fix "the duplicate ip" "$C:16: duplicate ip 10.0.0.5 (also node n1 at line 12)" \
	sed -i '16s/10.0.0.5/10.0.0.2/' "$C"
fix "the layer" "$C:17: layer 'gone': no directory $T/overlays/@gone" mkdir "$T/overlays/@gone"
fix "the missing image" "$C:48: node n10: image 'gone' not found in $T/images" \
	cp "$T/images/pi4.sqfs" "$T/images/gone.sqfs"
fix "the model of n4" "$T/images/pi3.sqfs: boot lacks start4.elf, which model pi4 needs (node n4)" \
	sed -i '/^serial = 44444444$/,/^model/ s/^model = pi4$/model = pi3/' "$C"

# Remove every node that is still wrong: check says ok.
python3 - "$C" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
for n in ("n3", "n5", "n6", "n7", "n11", "n12", "n13", "n14"):
    text = re.sub(r"\[node:%s\]\n(?:[^\[].*\n)*" % n, "", text)
open(sys.argv[1], "w").write(text)
PY
out=$("$NETBOOTCTL" -c "$C" check 2>&1); rc=$?
t_is "$rc:$out" "0:ok: 6 nodes, 9 images" "all fixed: ok, pi5 by kernel_2712.img or config.txt kernel="

# A config without nodes needs no address: what a fresh install holds.
printf '[server]\nimages = %s\nstate = %s\n' "$T/images" "$T/state" >"$T/empty.ini"
out=$("$NETBOOTCTL" -c "$T/empty.ini" check 2>&1); rc=$?
t_is "$rc:$out" "0:ok: 0 nodes, 9 images
hint: nothing to serve yet: set [server] address and clients, import an image (image import) and add a node per Pi (netbootctl node add, see netbootfs.ini.example)" \
	"no nodes: no address needed"
printf '[server]\nimages = %s\nunknown = default\ndefault_image = pi4\n' "$T/images" >"$T/unk.ini"
out=$("$NETBOOTCTL" -c "$T/unk.ini" check 2>&1); rc=$?
t_is "$rc:$out" "1:$T/unk.ini:1: [server] has no address: every cmdline.txt would get nfsroot=:/srv/nfsroot/...
netbootctl: 1 problem found" "unknown = default boots clients: an address is needed"

# The model key: only pi3, pi4 and pi5.
printf '[server]\nimages = %s\n[defaults]\nimage = pi4\nmodel = pi4b\n' "$T/images" >"$T/m.ini"
out=$("$NETBOOTCTL" -c "$T/m.ini" check 2>&1); rc=$?
t_is "$rc:$(head -n1 <<<"$out")" \
	"1:$T/m.ini:5: bad value for model: 'pi4b' (expected pi3, pi4 or pi5)" "model = pi4b is refused"

done_testing
