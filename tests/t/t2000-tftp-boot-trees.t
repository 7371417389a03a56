#!/bin/bash
# The <tftp_root> mount: per-client boot trees from squashfs images.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum fincore

nb_layout
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b"
nb_write_config <<-INI
	default_image = os-a

	[defaults]
	image = os-a
	cmdline = quiet splash

	[node:n1]
	serial = 0x1A2B3C4D
	mac = DC:A6:32:00:00:01

	[node:n2]
	serial = 100000002b3c4d5e
	mac = dc-a6-32-00-00-02

	[node:n3]
	image = os-b
	serial = 3c4d5e6f
	mac = dc:a6:32:00:00:03
	cmdline =
INI
nb_start || exit 1
tftp=$NB/tftp

# Every boot file, through the serial and the MAC dir of every node.
check_tree()
{
	local dir=$1 src=$2 bad=0 f
	(cd "$src/boot/firmware" && find . -type f ! -name cmdline.txt) >"$T/files"
	while read -r f; do
		if ! cmp -s "$src/boot/firmware/$f" "$dir/$f"; then
			diag "$dir/$f differs from $src/boot/firmware/$f"
			bad=1
		fi
	done <"$T/files"
	[ -s "$T/files" ] && return $bad
}
t_ok "n1 by serial: every boot file matches image a" check_tree "$tftp/1a2b3c4d" "$T/a"
t_ok "n1 by MAC: every boot file matches image a" check_tree "$tftp/dc-a6-32-00-00-01" "$T/a"
t_ok "n2 by serial (low 32 bits of a 64-bit serial)" check_tree "$tftp/2b3c4d5e" "$T/a"
t_ok "n2 by MAC" check_tree "$tftp/dc-a6-32-00-00-02" "$T/a"
t_ok "n3 by serial: every boot file matches image b" check_tree "$tftp/3c4d5e6f" "$T/b"
t_ok "n3 by MAC" check_tree "$tftp/dc-a6-32-00-00-03" "$T/b"
t_is "$(sha256sum <"$tftp/3c4d5e6f/kernel8.img")" "$(sha256sum <"$T/b/boot/firmware/kernel8.img")" \
	"30 MiB kernel of image b, sha256"
t_is "$(stat -c %s "$tftp/1a2b3c4d/empty.bin" "$tftp/1a2b3c4d/one.bin" "$tftp/1a2b3c4d/four-k.bin" "$tftp/1a2b3c4d/one-m.bin" | tr '\n' ' ')" \
	"0 1 4096 1048576 " "0 B, 1 B, 4 KiB and 1 MiB files have exact sizes"
t_is "$(stat -c %s "$tftp/dc-a6-32-00-00-01/overlays/vc4-kms-v3d.dtbo")" 3083 "overlay .dtbo size"
t_is "$(sha256sum <"$tftp/bootcode.bin")" "$(sha256sum <"$T/a/boot/firmware/bootcode.bin")" \
	"bootcode.bin at the TFTP root comes from default_image"

# A file shown unchanged from the image is one inode for every node on that
# generation, so the page cache holds one copy of a kernel however many Pis
# boot it; files of the node (cmdline.txt) and of another image are not.
ino() { stat -c %i "$tftp/$1"; }
t_is "$(ino 2b3c4d5e/start4.elf) $(ino dc-a6-32-00-00-01/start4.elf) $(ino bootcode.bin)" \
	"$(ino 1a2b3c4d/start4.elf) $(ino 1a2b3c4d/start4.elf) $(ino 1a2b3c4d/bootcode.bin)" \
	"n2's and n1's MAC tree show n1's start4.elf inode; the root's bootcode.bin too"
t_isnt "$(ino 1a2b3c4d/cmdline.txt)" "$(ino 2b3c4d5e/cmdline.txt)" "each node has its own cmdline.txt inode"
t_isnt "$(ino 1a2b3c4d/kernel8.img)" "$(ino 3c4d5e6f/kernel8.img)" "image b's kernel is another inode"
# Other tests running in parallel drop the page cache too: one that does so
# between the read and the check is told apart by trying again.
n2_resident()
{
	local try
	for try in 1 2 3; do
		sync
		echo 3 >/proc/sys/vm/drop_caches
		cat "$tftp/1a2b3c4d/kernel8.img" >/dev/null
		res=$(fincore -nb -o RES "$tftp/2b3c4d5e/kernel8.img" | tr -d ' ')
		[ "$res" = "$(stat -c %s "$T/a/boot/firmware/kernel8.img")" ] && break
	done
	echo "$res"
}
t_is "$(n2_resident)" "$(stat -c %s "$T/a/boot/firmware/kernel8.img")" \
	"after n1 read its kernel, n2's kernel is resident in the page cache"
shared_kernel=$(ino 2b3c4d5e/kernel8.img)

# Read-only and world-readable, owned by root.
t_is "$(stat -c '%a %u' "$tftp/1a2b3c4d" "$tftp/1a2b3c4d/start4.elf" "$tftp/1a2b3c4d/overlays" | tr '\n' ' ')" \
	"555 0 444 0 555 0 " "dirs 0555, files 0444, root-owned"
t_fails "writes are refused" sh -c "echo x >>'$tftp/1a2b3c4d/config.txt'"

# The generated kernel command line.
expect1="console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=10.99.0.1:$NB/nfs/n1,vers=3,tcp rw ip=dhcp rootwait quiet splash"
t_is "$(cat "$tftp/1a2b3c4d/cmdline.txt")" "$expect1" "n1 cmdline.txt is exactly the expected line"
t_is "$(stat -c %s "$tftp/1a2b3c4d/cmdline.txt")" "$(printf '%s\n' "$expect1" | wc -c)" \
	"cmdline.txt size equals the bytes read"
expect3="console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=10.99.0.1:$NB/nfs/n3,vers=3,tcp rw ip=dhcp rootwait"
t_is "$(cat "$tftp/dc-a6-32-00-00-03/cmdline.txt")" "$expect3" "n3 cmdline.txt (no extra cmdline)"
t_is "$(ls "$tftp/1a2b3c4d" | grep -c '^cmdline.txt$')" 1 "cmdline.txt listed once"

# A symlink leaving the boot dir (evil -> /etc/shadow) is hidden: neither
# the host's shadow nor the image's (t2030 has the other cases).
t_fails "evil -> /etc/shadow is hidden" test -e "$tftp/1a2b3c4d/evil"
t_is "$(ls "$tftp/1a2b3c4d" | grep -c '^evil$')" 0 "and not listed"

# The boot tree is the node's root's boot dir: a kernel the node installs
# into its own root is what it boots next; other nodes keep the image's.
head -c 100000 /dev/urandom >"$T/newkernel"
cp "$T/newkernel" "$NB/nfs/n1/boot/firmware/kernel8.img"
sleep 1.2 # node files are cached for a second in the TFTP view
t_ok "a kernel written into n1's root is served to n1" \
	cmp "$tftp/1a2b3c4d/kernel8.img" "$T/newkernel"
t_ok "and through n1's MAC dir" cmp "$tftp/dc-a6-32-00-00-01/kernel8.img" "$T/newkernel"
t_ok "n2 still gets the image's kernel" \
	cmp "$tftp/2b3c4d5e/kernel8.img" "$T/a/boot/firmware/kernel8.img"
t_is "$(ino 2b3c4d5e/kernel8.img)" "$shared_kernel" "n2 still shares the image's kernel inode"
t_isnt "$(ino 1a2b3c4d/kernel8.img)" "$shared_kernel" "n1's own kernel is not the shared inode"
printf 'console=tty1 custom\n' >"$NB/overlays/n2/boot-cmdline.tmp"
mkdir -p "$NB/nfs/n2/boot/firmware" && cp "$NB/overlays/n2/boot-cmdline.tmp" "$NB/nfs/n2/boot/firmware/cmdline.txt"
rm -f "$NB/overlays/n2/boot-cmdline.tmp"
sleep 1.2
t_is "$(cat "$tftp/2b3c4d5e/cmdline.txt")" "console=tty1 custom" \
	"a cmdline.txt in the node's overlay wins over the generated one"

# The root lists every client dir.
t_is "$(ls "$tftp" | tr '\n' ' ')" \
	"1a2b3c4d 2b3c4d5e 3c4d5e6f bootcode.bin dc-a6-32-00-00-01 dc-a6-32-00-00-02 dc-a6-32-00-00-03 " \
	"root listing"

# Unknown clients: ENOENT, recorded within the flush interval (5 s).
t_fails "unknown serial is ENOENT" test -e "$tftp/deadbeef/start4.elf"
t_fails "unknown MAC is ENOENT" stat "$tftp/dc-a6-32-99-99-99"
wait_for '"$NETBOOTCTL" -c "$NB_CONF" discovered | grep -q dc-a6-32-99-99-99' 15
t_like "$("$NETBOOTCTL" -c "$NB_CONF" discovered 2>&1)" "deadbeef.*tftp" \
	"netbootctl discovered lists the unknown serial"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" discovered 2>&1)" "dc-a6-32-99-99-99" \
	"netbootctl discovered lists the unknown MAC"

# 16 concurrent readers of the 30 MiB kernel, cold.
want=$(sha256sum <"$T/a/boot/firmware/kernel8.img" | cut -d' ' -f1)
sync
echo 3 >/proc/sys/vm/drop_caches
pids=()
for i in $(seq 1 16); do
	if [ $((i % 2)) = 0 ]; then dir=dc-a6-32-00-00-02; else dir=2b3c4d5e; fi
	(sha256sum <"$tftp/$dir/kernel8.img" | cut -d' ' -f1 >"$T/r$i") &
	pids+=($!)
done
wait "${pids[@]}"
t_is "$(cat "$T"/r* | sort | uniq -c | sed 's/^ *//')" "16 $want" \
	"16 concurrent readers all get the right bytes"

# File handles survive cache eviction and a daemon restart.
t_ok "name_to_handle_at on a boot file" "$FHANDLE" save "$tftp/1a2b3c4d/overlays/vc4-kms-v3d.dtbo" "$T/h1"
sync
echo 3 >/proc/sys/vm/drop_caches
"$FHANDLE" cat "$tftp" "$T/h1" >"$T/out1"
t_ok "open_by_handle_at after drop_caches: same bytes" \
	cmp "$T/out1" "$T/a/boot/firmware/overlays/vc4-kms-v3d.dtbo"
t_ok "daemon stops cleanly on SIGTERM and unmounts" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0 after SIGTERM" ||
	tail -n 30 "$NB/netbootfs.log" | _t_diag_stream
nb_start || exit 1
"$FHANDLE" cat "$tftp" "$T/h1" >"$T/out2"
t_ok "open_by_handle_at after a restart: same bytes" \
	cmp "$T/out2" "$T/a/boot/firmware/overlays/vc4-kms-v3d.dtbo"

# A killed daemon leaves a dead mount; the next start recovers it.
nb_kill9
t_fails "after kill -9 the mount is dead" ls "$tftp"
nb_start || exit 1
t_ok "stale mount recovered at start, with a log line" nb_log_has "recovering a stale mount"
t_ok "and served again" cmp "$tftp/1a2b3c4d/start4.elf" "$T/a/boot/firmware/start4.elf"

done_testing
