#!/bin/bash
# The node root mounts are nosuid,nodev on the server; that must not take
# a node's setuid binaries or devices away from the node. NFS-Ganesha in a
# server namespace exports the nosuid mount; a client namespace reads over
# NFSv3 and v4 (libnfs): the setuid-root bit, the owner, the device numbers
# and the binary's bytes arrive as the node made them. Mount flags are a
# property of one mount on one host and NFS has no field for them: whether
# a setuid binary runs as root is decided by the client's kernel from its
# own mount's options. Where this kernel has an NFS client, the test also
# mounts the export in the client namespace (suid) and runs the binary as
# uid 65534 there: euid 0.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum ip ganesha.nfsd rpcbind rpcinfo unshare ss nfs-ls nfs-cat setpriv
[ -e /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so ] ||
	dpkg -L nfs-ganesha-vfs >/dev/null 2>&1 || skip_all "needs nfs-ganesha-vfs"

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
mkdir -p -m 0755 "$img/usr" "$img/usr/local" "$img/usr/local/bin" "$img/dev"
nb_image os-a "$img"
nb_one_node_config os-a "$NB_NET.51"
nb_start_root n1
R=$NB/nfs/n1

# Root on the node makes them, through its root mount.
cp /usr/bin/id "$R/usr/local/bin/id-suid" && chmod 4755 "$R/usr/local/bin/id-suid"
mknod -m 0660 "$R/dev/loop0" b 7 0
opts=$(awk -v m="$R" '$5 == m { print $6 }' /proc/self/mountinfo)
t_like ",$opts," ",nosuid,.*nodev,|,nodev,.*nosuid," "the exported root mount is nosuid,nodev ($opts)"

t_ok "create server namespace" ns_create srv
t_ok "create client namespace" ns_create pi
t_ok "link the client (the node's address)" ns_link srv pi "$NB_SERVER_IP/24" dc:a6:32:00:00:01 "$NB_NET.51/24"
ganesha_vfs_conf "$T/ganesha.conf" "$R" /export
t_svc_ganesha srv "$T/ganesha.conf" "ganesha exports the node root"
# GETATTR over NFS through libnfs (nfs-ls prints no set-id bits, and v4
# owners by name): "path mode(octal) uid gid rdev" per path.
cat >"$T/nfsstat.py" <<'PY'
import ctypes, sys
lib = ctypes.CDLL("libnfs.so.13")
lib.nfs_init_context.restype = ctypes.c_void_p
lib.nfs_get_error.restype = ctypes.c_char_p
server, export, vers = sys.argv[1], sys.argv[2], int(sys.argv[3])
nfs = ctypes.c_void_p(lib.nfs_init_context())
if vers == 4 and lib.nfs_set_version(nfs, 4) != 0:
    sys.exit("nfs_set_version 4 failed")
if lib.nfs_mount(nfs, server.encode(), export.encode()) != 0:
    sys.exit("mount: " + lib.nfs_get_error(nfs).decode())
for path in sys.argv[4:]:
    st = (ctypes.c_uint64 * 32)()  # struct nfs_stat_64: 17 uint64_t, room to spare
    if lib.nfs_stat64(nfs, path.encode(), st) != 0:
        print(path, "error", lib.nfs_get_error(nfs).decode())
        continue
    print("%s %o %d %d %x" % (path, st[2], st[4], st[5], st[6]))
PY
nfsstat() { ns_exec pi timeout 60 python3 "$T/nfsstat.py" "$NB_SERVER_IP" /export "$@" 2>&1; }
url() { nfs_url "$NB_SERVER_IP" "/export/$1" "$2"; }

for v in 3 4; do
	got=$(nfsstat $v /usr/local/bin/id-suid /dev/loop0)
	diag "v$v GETATTR: $(tr '\n' ';' <<<"$got")"
	# v4 owners travel as names, which libnfs maps to 65534 without an id
	# mapper, and libnfs's v4 stat leaves rdev 0: owner and device numbers
	# are checked over v3 (what the Pis use).
	owner=" 0 0" rdev=700
	[ $v = 3 ] || owner=" [0-9]+ [0-9]+" rdev=0
	t_like "$(head -n 1 <<<"$got")" "^/usr/local/bin/id-suid 104755$owner " \
		"v$v: the client gets the setuid bit (04755; owner root over v3) through the nosuid mount"
	t_like "$(tail -n 1 <<<"$got")" "^/dev/loop0 60660$owner $rdev$" \
		"v$v: and the block device (7:0 over v3), 0660"
	ns_exec pi timeout 60 nfs-cat "$(url usr/local/bin/id-suid $v)" >"$T/id-v$v"
	t_file_sha_eq "$T/id-v$v" /usr/bin/id "v$v: and the binary's bytes"
done

# The client kernel's side, where this kernel has an NFS client.
if grep -qw nfs /proc/filesystems || modprobe nfs 2>/dev/null; then
	out=$(ns_exec pi sh -c '
		mkdir -p /mnt/nbt-'$$' &&
		mount -t nfs -o vers=3,nolock,suid,dev '"$NB_SERVER_IP"':/export /mnt/nbt-'$$' &&
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			sh -c "exec /mnt/nbt-'$$'/usr/local/bin/id-suid -u"
		umount /mnt/nbt-'$$'; rmdir /mnt/nbt-'$$'' 2>&1)
	t_is "$out" 0 "a kernel NFS client (suid mount) runs the node's setuid binary as euid 0"
else
	skip "this kernel has no NFS client (no nfs in /proc/filesystems): the client kernel's side is not run here" 1
fi
t_ok "ganesha is still running" kill -0 "$SVC_PID"
done_testing
