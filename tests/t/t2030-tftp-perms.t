#!/bin/bash
# SPDX-License-Identifier: MIT
# The TFTP view serves no more than the node's root allows: a file that is
# not world-readable in the node's root (in the image, made by the node, or
# chmod-ed by the node) and a symlink leaving the boot directory are served
# neither to a local user through the mount nor over TFTP by dnsmasq (as
# root and as user dnsmasq); the rest of the boot directory is, byte-exact.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum setpriv curl dnsmasq ip

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
sha() { sha256sum <"$1" | cut -d' ' -f1; }

# The image: a 0600 file with a secret, a file in a directory others may
# not search, links that leave the boot dir (absolute, relative, absolute
# through "..") and links that stay inside.
nb_layout
chmod 0755 "$T" # dnsmasq as user dnsmasq must reach $NB/tftp
fixture_boot_tree "$T/a" a
fw=$T/a/boot/firmware
printf 'wifi_psk=image-secret\n' >"$fw/firstrun.sh"
chmod 0600 "$fw/firstrun.sh"
ln -s ../../etc/shadow "$fw/evil-rel"
ln -s /boot/firmware/../../etc/shadow "$fw/evil-abs-up"
ln -s ../firmware/../../etc/hostname "$fw/evil-out-in"
mkdir -m 0755 "$T/a/boot/firmware-old" # a sibling whose name extends the boot dir's
printf 'old\n' >"$T/a/boot/firmware-old/f"
chmod 0644 "$T/a/boot/firmware-old/f"
ln -s /boot/firmware-old/f "$fw/evil-sibling"
ln -s config.txt "$fw/good-rel"
ln -s /boot/firmware/start4.elf "$fw/good-abs"
ln -s ../config.txt "$fw/overlays/good-up"
# Links to a directory inside the boot dir: hidden too (a directory has one
# parent), however the target is written.
ln -s overlays "$fw/dirlink-same"
ln -s ../firmware/overlays "$fw/dirlink-up"
ln -s /boot/firmware/overlays "$fw/dirlink-abs"
mkdir -m 0700 "$fw/private"
printf 'image-hidden\n' >"$fw/private/key.txt"
chmod 0644 "$fw/private/key.txt"
nb_image os-a "$T/a"
nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a

	[node:n1]
	serial = 1a2b3c4d
	mac = dc:a6:32:00:00:01

	[node:n2]
	serial = 2b3c4d5e
	mac = dc:a6:32:00:00:02

	[node:n3]
	serial = 3c4d5e6f
	mac = dc:a6:32:00:00:03
INI
nb_start_root n1
if ! wait_mounted "$NB/nfs/n3" 10; then
	echo "Bail out! $NB/nfs/n3 is not mounted"
	exit 1
fi

# The node's own files, made through its root.
root=$NB/nfs/n1/boot/firmware
(umask 077 && printf 'wifi_psk=overlay-secret\n' >"$root/wifi.sh")
ln -s /etc/shadow "$root/ovl-evil"
ln -s ../../etc/shadow "$root/ovl-evil-rel"
printf 'the node wrote this\n' >"$root/ovl-ok.txt"
chmod 0644 "$root/ovl-ok.txt"
ln -s ovl-ok.txt "$root/ovl-good"
chmod 0600 "$root/one.bin" # an image file the node made private
mkdir -m 0700 "$root/ovl-private"
printf 'overlay-hidden\n' >"$root/ovl-private/key.txt"
chmod 0644 "$root/ovl-private/key.txt"
chmod 0700 "$NB/nfs/n3/boot" # n3 closes a directory above its boot dir
sleep 1.2                  # node files are cached for a second

t_is "$(stat -c %a "$root/firstrun.sh" "$root/wifi.sh" "$root/one.bin" | tr '\n' ' ')" \
	"600 600 600 " "the node's root shows the three private files 0600"
t_fails "the node's root denies firstrun.sh to others" as_nobody cat "$root/firstrun.sh"

tftp=$NB/tftp
n1=$tftp/1a2b3c4d
secret_files="firstrun.sh wifi.sh one.bin"
unreachable="private/key.txt ovl-private/key.txt"
escaping="evil evil-rel evil-abs-up evil-out-in evil-sibling ovl-evil ovl-evil-rel"
good="start4.elf config.txt good-rel good-abs overlays/good-up ovl-ok.txt ovl-good"
src_of()
{
	case $1 in
	good-rel | overlays/good-up) echo "$fw/config.txt" ;;
	good-abs) echo "$fw/start4.elf" ;;
	ovl-ok.txt | ovl-good) echo "$root/ovl-ok.txt" ;;
	*) echo "$fw/$1" ;;
	esac
}

# ---- through the mount ------------------------------------------------
for f in $secret_files; do
	t_is "$(stat -c %a "$n1/$f")" 400 "$f: the mount shows the node's 0600 as 0400"
	t_fails "$f: an unprivileged user cannot read it through the mount" \
		as_nobody cat "$n1/$f"
	t_is "$(as_nobody cat "$n1/$f" 2>&1 >/dev/null)" \
		"cat: $n1/$f: Permission denied" "$f: the error is EACCES"
	t_is "$(stat -c %a "$tftp/dc-a6-32-00-00-01/$f")" 400 "$f: 0400 under the MAC dir too"
done
t_is "$(stat -c %a "$n1/private" "$n1/ovl-private" | tr '\n' ' ')" "500 500 " \
	"directories others may not search show 0500"
for f in $unreachable; do
	t_is "$(cat "$n1/$f" 2>&1 >/dev/null)" "cat: $n1/$f: Permission denied" \
		"$f: a world-readable file in such a directory is refused, even to root"
	t_fails "$f: and to an unprivileged user" as_nobody cat "$n1/$f"
done
t_is "$(cat "$tftp/3c4d5e6f/start4.elf" 2>&1 >/dev/null)" \
	"cat: $tftp/3c4d5e6f/start4.elf: Permission denied" \
	"n3 made /boot 0700: its boot files are refused"
t_is "$(sha "$tftp/2b3c4d5e/start4.elf")" "$(sha "$fw/start4.elf")" \
	"while n2 still reads the same image file"
for f in $escaping; do
	t_is "$(stat -c %F "$n1/$f" 2>&1)" \
		"stat: cannot statx '$n1/$f': No such file or directory" \
		"$f: a link leaving the boot dir is hidden (ENOENT)"
	t_fails "$f: an unprivileged user cannot read it" as_nobody cat "$n1/$f"
done
t_is "$(ls "$n1" | grep -c -e '^evil' -e '^ovl-evil')" 0 "no escaping link is listed"
for f in dirlink-same dirlink-up dirlink-abs; do
	t_is "$(stat -c %F "$n1/$f" 2>&1)" \
		"stat: cannot statx '$n1/$f': No such file or directory" \
		"$f: a link to a directory is hidden (ENOENT)"
done
t_is "$(ls "$n1" | grep -c '^dirlink')" 0 "no link to a directory is listed"
t_is "$(ls "$n1" | grep -cx overlays)" 1 "the directory itself is listed, by its own name"
for f in $good; do
	t_is "$(as_nobody sha256sum <"$n1/$f" | cut -d' ' -f1)" "$(sha "$(src_of "$f")")" \
		"$f: an unprivileged user reads it byte-exact"
done
t_is "$(stat -c '%a %u %g' "$n1/start4.elf" "$n1/overlays" "$n1/ovl-ok.txt" | tr '\n' ' ')" \
	"444 0 0 555 0 0 444 0 0 " "world-readable files 0444, dirs 0555, root-owned, no write bits"

# Shared image files keep one inode per generation and their real modes:
# n2 did not touch one.bin, so it shares it and may serve it.
ino() { stat -c %i "$tftp/$1"; }
t_is "$(ino 2b3c4d5e/start4.elf)" "$(ino 1a2b3c4d/start4.elf)" "start4.elf is one inode for n1 and n2"
t_is "$(ino 2b3c4d5e/firstrun.sh)" "$(ino 1a2b3c4d/firstrun.sh)" "so is the 0600 firstrun.sh"
t_is "$(stat -c %a "$tftp/2b3c4d5e/firstrun.sh")" 400 "shared, it keeps its mode (0400)"
t_isnt "$(ino 2b3c4d5e/one.bin)" "$(ino 1a2b3c4d/one.bin)" "n1's chmod-ed one.bin is its own inode"
t_is "$(as_nobody cat "$tftp/2b3c4d5e/one.bin" | sha256sum | cut -d' ' -f1)" "$(sha "$fw/one.bin")" \
	"n2's one.bin is still world-readable"

# A directory the node moves out of its boot dir is left behind, even by a
# process that still stands in it through the mount.
mkdir "$root/sub"
printf 'in sub\n' >"$root/sub/f"
chmod 0644 "$root/sub/f"
sleep 1.2
t_is "$(cat "$n1/sub/f")" "in sub" "a directory the node made in its boot dir is served"
got=$(cd "$n1/sub" && mv "$root/sub" "$NB/nfs/n1/etc/sub" && sleep 1.2 && cat f 2>&1)
t_is "$got" "cat: f: No such file or directory" \
	"once the node moved it to /etc, its files are ENOENT through the old directory"

# ---- over TFTP, from a client namespace --------------------------------
# curl's exit codes: 68 TFTP file not found, 69 TFTP access violation.
tftp_get()
{
	local ns=$1 path=$2 out=$3
	rm -f "$out"
	ns_exec "$ns" curl -s --max-time 20 -o "$out" "tftp://$NB_SERVER_IP/$path"
}
check_tftp()
{
	local who=$1 ns=$2 log=$3 f rc
	for f in $secret_files $unreachable; do
		tftp_get "$ns" "1a2b3c4d/$f" "$T/got"
		rc=$?
		t_is "$rc" 69 "$who: $f is refused over TFTP (access violation)"
		t_fails "$who: and no byte of $f arrives" test -s "$T/got"
		t_is "$(grep -c "cannot access $n1/$f: Permission denied" "$log")" 1 \
			"$who: dnsmasq logs that it cannot access $f"
	done
	for f in $escaping; do
		tftp_get "$ns" "1a2b3c4d/$f" "$T/got"
		rc=$?
		t_is "$rc" 68 "$who: $f is not found over TFTP"
	done
	for f in $good; do
		tftp_get "$ns" "1a2b3c4d/$f" "$T/got"
		t_is "$? $(sha "$T/got" 2>/dev/null)" "0 $(sha "$(src_of "$f")")" \
			"$who: $f arrives byte-exact over TFTP"
	done
	tftp_get "$ns" 3c4d5e6f/start4.elf "$T/got"
	t_is "$?" 69 "$who: n3's start4.elf (its /boot is 0700) is refused"
	tftp_get "$ns" 2b3c4d5e/start4.elf "$T/got"
	t_is "$? $(sha "$T/got")" "0 $(sha "$fw/start4.elf")" "$who: n2's start4.elf is served"
	tftp_get "$ns" bootcode.bin "$T/got"
	t_is "$? $(sha "$T/got")" "0 $(sha "$fw/bootcode.bin")" "$who: bootcode.bin at the TFTP root"
}

tftp_conf()
{
	printf '%s\n' port=0 interface=br0 bind-interfaces enable-tftp "tftp-root=$tftp" "$@"
}

ns_create srv
ns_create pi
ns_link srv pi "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
tftp_conf >"$T/dnsmasq-root.conf"
t_ok "dnsmasq (as root) serves the TFTP mount" svc_dnsmasq srv "$T/dnsmasq-root.conf"
check_tftp "dnsmasq as root" pi "$T/dnsmasq-srv.log"

ns_create srvu
ns_create piu
ns_link srvu piu "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
tftp_conf user=dnsmasq >"$T/dnsmasq-user.conf"
t_ok "dnsmasq (as user dnsmasq) serves the TFTP mount" svc_dnsmasq srvu "$T/dnsmasq-user.conf"
t_is "$(ps -o user= -p "$SVC_PID")" dnsmasq "that dnsmasq runs as user dnsmasq"
check_tftp "dnsmasq as user dnsmasq" piu "$T/dnsmasq-srvu.log"

done_testing
