#!/bin/bash
# A node root exported over NFS: NFS-Ganesha (FSAL_VFS) in a server
# namespace exports <nfs_root>/<node>; a client namespace writes with
# nfs-cp, reads with nfs-cat and lists with nfs-ls (libnfs). The write lands
# in the node's overlay; image files read byte-exact; handles held by
# Ganesha keep working after the kernel's caches are dropped.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum ip ganesha.nfsd rpcbind rpcinfo unshare ss nfs-ls nfs-cat nfs-cp
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
	dpkg -L nfs-ganesha-vfs >/dev/null 2>&1 || skip_all "needs nfs-ganesha-vfs"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
nb_image os-a "$img"
nb_one_node_config os-a "$NB_NET.51"
nb_start_root n1
R=$NB/nfs/n1
U=$NB/overlays/n1

t_ok "create server namespace" ns_create srv
t_ok "create client namespace" ns_create pi
t_ok "link the client (the node's address)" ns_link srv pi "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
ganesha_vfs_conf "$T/ganesha.conf" "$R" /export
# The node root also changes under Ganesha (writes on the server side
# below): no attribute caching in Ganesha's MDCACHE, so that what the
# client sees is what netbootfs serves.
sed -i 's/^\(\s*\)Access_Type = RW;/&\n\1Attr_Expiration_Time = 0;/' "$T/ganesha.conf"
t_svc_ganesha srv "$T/ganesha.conf" "ganesha exports the node root"
# A libnfs tool in the client namespace; a hang is a failure, not a stall.
nfs()
{
	ns_exec pi timeout 60 "$@"
}
url()
{
	nfs_url "$NB_SERVER_IP" "/export/${1:-}" "${2:-3}"
}

# Write over NFSv3 (what a Pi's kernel uses); libnfs 4.0's v4 writes are
# limited to small files (see t0004), so v4 is used for reads here.
fixture_bytes 300000 t3040/up >"$T/up.bin"
t_ok "v3: nfs-cp writes a 300 kB file into the node root" nfs nfs-cp "$T/up.bin" "$(url srv-upload.bin)"
t_file_sha_eq "$R/srv-upload.bin" "$T/up.bin" "the file is in the netbootfs view, byte-exact"
t_file_sha_eq "$U/srv-upload.bin" "$T/up.bin" "and in overlays/n1/, byte-exact"
for v in 3 4; do
	nfs nfs-cat "$(url srv-upload.bin $v)" >"$T/down-v$v.bin"
	t_file_sha_eq "$T/down-v$v.bin" "$T/up.bin" "v$v: nfs-cat reads the written file back exactly"
	nfs nfs-cat "$(url boot/firmware/start4.elf $v)" >"$T/start4-v$v.elf"
	t_file_sha_eq "$T/start4-v$v.elf" "$img/boot/firmware/start4.elf" "v$v: an image file (2 MiB) reads byte-exact"
	t_is "$(nfs nfs-cat "$(url etc/hostname $v)")" n1 "v$v: etc/hostname is the node name"
	t_is "$(nfs nfs-ls "$(url etc $v)" 2>&1 | awk '{ print $NF }' | sort | tr '\n' ' ')" \
		"fixture-variant fstab hostname shadow " "v$v: nfs-ls lists /etc"
done

# Copy-up under a client that already holds the file: Ganesha has the
# handle of the image file; the node's own write copies it up; the same
# handle (node id kept by the copy-up) reads the new content. (nfs-cp
# cannot overwrite: it creates with GUARDED mode, NFS3ERR_EXIST.)
t_is "$(nfs nfs-cat "$(url etc/fixture-variant)")" a "v3: the image's etc/fixture-variant"
t_is "$(nfs nfs-cat "$(url etc/fixture-variant 4)")" a "v4: the same"
printf 'changed on the node\n' >"$R/etc/fixture-variant"
t_is "$(cat "$U/etc/fixture-variant" 2>&1)" "changed on the node" "copied up into overlays/n1/"
for v in 3 4; do
	t_is "$(nfs nfs-cat "$(url etc/fixture-variant $v)" 2>&1)" "changed on the node" \
		"v$v: the client reads the copied-up content"
done

# Ganesha keeps handles (name_to_handle_at) and opens them again after the
# kernel dropped its dentries and inodes.
sync
echo 3 >/proc/sys/vm/drop_caches
nfs nfs-cat "$(url srv-upload.bin)" >"$T/down-again.bin"
t_file_sha_eq "$T/down-again.bin" "$T/up.bin" "after drop_caches: the written file reads exactly"
nfs nfs-cat "$(url boot/firmware/start4.elf)" >"$T/start4-again.elf"
t_file_sha_eq "$T/start4-again.elf" "$img/boot/firmware/start4.elf" "after drop_caches: the image file reads exactly"
t_is "$(nfs nfs-ls "$(url etc)" 2>&1 | awk '{ print $NF }' | sort | tr '\n' ' ')" \
	"fixture-variant fstab hostname shadow " "after drop_caches: nfs-ls lists /etc"
t_ok "ganesha is still running" kill -0 "$SVC_PID"
t_ok "netbootfs is still running" kill -0 "$NB_PID"

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
