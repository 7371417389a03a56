#!/bin/bash
# POSIX behaviour of a node's root <nfs_root>/<node>/: every operation a root
# filesystem needs, checked for its result AND its errno (pjdfstest-style,
# through tests/lib/fsop.c), on new entries and on image (lower) entries:
# copy-up, whiteouts, opaque directories, node ids kept across copy-up.
#
# T30_REFERENCE=overlayfs runs the same assertions against kernel overlayfs
# (lower = the loop-mounted image, upper = the node's overlay) instead of the
# daemon: a check of the test itself. Generated files and node-id checks are
# daemon-only and may fail there.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum getfattr setfattr du truncate
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"
[ -x "$FHANDLE" ] || skip_all "no $FHANDLE"

nb_layout
chmod 0755 "$T" # uid 1000 must reach the mount
at_exit "lazy_umount '$NB/nfs/n1'"
img=$T/img
fixture_boot_tree "$img" a
# Extra lower content: a dir tree to rename, a dir to empty and replace.
mkdir -p "$img/srv/lowdir/sub" "$img/srv/lowempty" "$img/var/lib/pkg"
printf 'lower one\n' >"$img/srv/lowdir/one"
printf 'lower two\n' >"$img/srv/lowdir/sub/two"
printf 'state\n' >"$img/var/lib/pkg/state"
printf secret >"$img/etc/secret"
chmod 0600 "$img/etc/secret"
chmod 0755 "$img/srv" "$img/srv/lowdir" "$img/srv/lowdir/sub" "$img/srv/lowempty" "$img/var" \
	"$img/var/lib" "$img/var/lib/pkg"
chmod 0644 "$img/srv/lowdir/one" "$img/srv/lowdir/sub/two" "$img/var/lib/pkg/state"
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1

if [ "${T30_REFERENCE:-}" == overlayfs ]; then
	note "reference run: kernel overlayfs instead of netbootfs"
	mkdir -p "$T/lower" "$U" "$NB/overlays/.work/n1" "$R"
	mount -t squashfs -o loop,ro "$NB/images/os-a.sqfs" "$T/lower" || exit 1
	at_exit "umount '$T/lower'"
	mount -t overlay -o "lowerdir=$T/lower,upperdir=$U,workdir=$NB/overlays/.work/n1,index=off,redirect_dir=on" \
		overlay "$R" || exit 1
	at_exit "umount '$R'"
else
	nb_start || exit 1
	if ! wait_mounted "$R" 10; then
		echo "Bail out! $R is not mounted"
		exit 1
	fi
fi

op()
{
	"$FSOP" "$@" 2>&1
}

user()
{
	"$FSOP" -u 1000:1000 "$@" 2>&1
}

sha()
{
	sha256sum <"$1" 2>/dev/null | cut -d' ' -f1
}

# "type mode uid gid size nlink ino rdev blocks" -> selected fields
st()
{
	op lstat "$1" | awk -v f="${2:-1,2,3,4}" '
		NF < 9 { print; exit }
		{ n = split(f, k, ","); s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") $k[i]; print s }'
}

# ---- new entries: directories ------------------------------------------
t_is "$(op mkdir "$R/d" 0755)" 0 "mkdir"
t_is "$(st "$R/d")" "dir 0755 0 0" "mkdir: dir 0755 root:root"
t_is "$(op mkdir "$R/d" 0755)" EEXIST "mkdir on an existing dir -> EEXIST"
t_is "$(op mkdir "$R/nodir/x" 0755)" ENOENT "mkdir with a missing parent -> ENOENT"
t_is "$(op open "$R/d/f" O_WRONLY,O_CREAT,O_EXCL 0644)" 0 "open O_CREAT|O_EXCL creates"
t_is "$(st "$R/d/f" 1,2,3,4,5,6)" "reg 0644 0 0 0 1" "new file: reg 0644 root:root, size 0, nlink 1"
t_is "$(op open "$R/d/f" O_WRONLY,O_CREAT,O_EXCL 0644)" EEXIST "open O_CREAT|O_EXCL on an existing file -> EEXIST"
t_is "$(op mkdir "$R/d/f" 0755)" EEXIST "mkdir over a file -> EEXIST"
t_is "$(op rmdir "$R/d")" ENOTEMPTY "rmdir of a non-empty dir -> ENOTEMPTY"
t_is "$(op unlink "$R/d")" EISDIR "unlink of a dir -> EISDIR"
t_is "$(op rmdir "$R/d/f")" ENOTDIR "rmdir of a file -> ENOTDIR"
t_is "$(op open "$R/d/missing" O_RDONLY)" ENOENT "open of a missing file -> ENOENT"
t_is "$(op open "$R/d/f/x" O_RDONLY)" ENOTDIR "a file as a path component -> ENOTDIR"
t_is "$(op mkdir "$R/d/e" 0700)" 0 "mkdir 0700"
t_is "$(op rmdir "$R/d/e")" 0 "rmdir of an empty dir"
t_is "$(op lstat "$R/d/e")" ENOENT "rmdir'ed dir is gone"

# ---- write, read, truncate, append ------------------------------------
t_is "$(op pwrite "$R/d/f" 0 0123456789)" 0 "write 10 bytes"
t_is "$(op pread "$R/d/f" 0 100)" 0123456789 "read back the exact bytes"
t_is "$(op pwrite "$R/d/f" 3 abc)" 0 "overwrite in the middle"
t_is "$(cat "$R/d/f")" 012abc6789 "overwritten content"
t_is "$(op truncate "$R/d/f" 4)" 0 "truncate down to 4"
t_is "$(st "$R/d/f" 5):$(cat "$R/d/f")" "4:012a" "truncated: size 4, content 012a"
t_is "$(op truncate "$R/d/f" 10)" 0 "truncate up to 10"
t_is "$(od -An -c "$R/d/f" | tr -s ' ')" " 0 1 2 a \\0 \\0 \\0 \\0 \\0 \\0" "truncate up: the new tail reads zeros"
t_is "$(op ftruncate "$R/d/f" 2)" 0 "ftruncate to 2"
t_is "$(cat "$R/d/f")" 01 "ftruncate content"
printf abc >"$R/d/app"
t_is "$(op append "$R/d/app" def)" 6 "O_APPEND writes at the end despite lseek(0): offset 6"
t_is "$(cat "$R/d/app")" abcdef "O_APPEND content abcdef"
(umask 027 && : >"$R/d/masked")
t_is "$(st "$R/d/masked" 2)" 0640 "the caller's umask applies (027 -> 0640)"

# ---- rename ------------------------------------------------------------
printf one >"$R/d/r1"
printf two >"$R/d/r2"
t_is "$(op rename "$R/d/r1" "$R/d/r3")" 0 "rename a file"
t_is "$(op lstat "$R/d/r1"):$(cat "$R/d/r3")" "ENOENT:one" "rename: old name gone, new name has the content"
t_is "$(op renameat2 "$R/d/r3" "$R/d/r2" noreplace)" EEXIST "RENAME_NOREPLACE onto an existing file -> EEXIST"
t_is "$(cat "$R/d/r3"):$(cat "$R/d/r2")" "one:two" "failed NOREPLACE changed nothing"
t_is "$(op renameat2 "$R/d/r3" "$R/d/r4" noreplace)" 0 "RENAME_NOREPLACE onto a free name"
t_is "$(cat "$R/d/r4")" one "NOREPLACE rename content"
t_is "$(op renameat2 "$R/d/r4" "$R/d/r2" exchange)" EINVAL "RENAME_EXCHANGE -> EINVAL"
t_is "$(cat "$R/d/r4"):$(cat "$R/d/r2")" "one:two" "failed EXCHANGE changed nothing"
t_is "$(op rename "$R/d/r4" "$R/d/r2")" 0 "rename over an existing file replaces it"
t_is "$(op lstat "$R/d/r4"):$(cat "$R/d/r2")" "ENOENT:one" "replaced: target has the source's content"
mkdir -p "$R/d/da/sub" "$R/d/full"
printf x >"$R/d/da/sub/x"
printf y >"$R/d/full/y"
mkdir "$R/d/emptydir"
t_is "$(op rename "$R/d/r2" "$R/d/da")" EISDIR "rename a file over a dir -> EISDIR"
t_is "$(op rename "$R/d/da" "$R/d/r2")" ENOTDIR "rename a dir over a file -> ENOTDIR"
t_is "$(op rename "$R/d/da" "$R/d/full")" ENOTEMPTY "rename a dir over a non-empty dir -> ENOTEMPTY"
t_is "$(op rename "$R/d/da" "$R/d/da/sub/in")" EINVAL "rename a dir into itself -> EINVAL"
t_is "$(op rename "$R/d/da" "$R/d/emptydir")" 0 "rename a dir over an empty dir"
t_is "$(cat "$R/d/emptydir/sub/x"):$(op lstat "$R/d/da")" "x:ENOENT" "renamed dir keeps its tree"

# ---- hard links and symlinks -------------------------------------------
printf linked >"$R/d/h1"
t_is "$(op link "$R/d/h1" "$R/d/h2")" 0 "link"
t_is "$(st "$R/d/h1" 6) $(st "$R/d/h2" 6)" "2 2" "hard link count 2 on both names"
t_is "$(st "$R/d/h1" 7)" "$(st "$R/d/h2" 7)" "both names have the same st_ino"
printf more >>"$R/d/h2"
t_is "$(cat "$R/d/h1")" linkedmore "a write through one name shows through the other"
t_is "$(op link "$R/d/h1" "$R/d/r2")" EEXIST "link onto an existing name -> EEXIST"
t_is "$(op link "$R/d" "$R/d/dlink")" EPERM "link of a dir -> EPERM"
t_is "$(op unlink "$R/d/h1")" 0 "unlink one name"
t_is "$(st "$R/d/h2" 6):$(cat "$R/d/h2")" "1:linkedmore" "the other name keeps the content, nlink 1"
t_is "$(op symlink "../etc/hostname" "$R/d/s1")" 0 "symlink"
t_is "$(op readlink "$R/d/s1")" "../etc/hostname" "symlink target exact"
t_is "$(st "$R/d/s1" 1,5)" "lnk 15" "symlink: type lnk, size = target length"
long=$(printf 'a%.0s' $(seq 1 1000))/t\ with\ spaces/../$'\t'x
t_is "$(op symlink "$long" "$R/d/s2")" 0 "symlink with a 1000+ char target"
t_is "$(op readlink "$R/d/s2")" "$long" "long target with spaces and a tab exact"
t_is "$(op symlink /nonexistent/target "$R/d/s3")" 0 "dangling symlink"
t_is "$(op stat "$R/d/s3"):$(op readlink "$R/d/s3")" "ENOENT:/nonexistent/target" \
	"dangling: stat ENOENT, readlink exact"
t_is "$(op symlink x "$R/d/s1")" EEXIST "symlink onto an existing name -> EEXIST"

# ---- mknod ---------------------------------------------------------------
t_is "$(op mknod "$R/d/cdev" c 0600 1 3)" 0 "mknod char device 1:3"
t_is "$(st "$R/d/cdev" 1,2,8)" "chr 0600 1:3" "char device: type, mode, rdev 1:3"
t_is "$(op mknod "$R/d/bdev" b 0660 7 0)" 0 "mknod block device 7:0"
t_is "$(st "$R/d/bdev" 1,2,8)" "blk 0660 7:0" "block device: type, mode, rdev"
t_is "$(op mknod "$R/d/fifo" p 0644)" 0 "mknod FIFO"
t_is "$(st "$R/d/fifo" 1,2)" "fifo 0644" "FIFO type and mode"
t_is "$(op mknod "$R/d/sock" s 0755)" 0 "mknod socket"
t_is "$(st "$R/d/sock" 1,2)" "sock 0755" "socket type and mode"
t_is "$(op mknod "$R/d/reg" f 0600)" 0 "mknod regular file"
t_is "$(st "$R/d/reg" 1,2,5)" "reg 0600 0" "mknod S_IFREG: empty 0600 file"
t_is "$(timeout 10 sh -c "echo through-fifo >'$R/d/fifo' & cat '$R/d/fifo'; wait")" through-fifo \
	"the FIFO passes data"

# ---- chmod, chown, utimens, credentials ----------------------------------
t_is "$(op chmod "$R/d/reg" 4751)" 0 "chmod 4751"
t_is "$(st "$R/d/reg" 2)" 4751 "mode 4751 incl. setuid"
t_is "$(op chown "$R/d/reg" 1234 5678)" 0 "chown 1234:5678 as root"
t_is "$(st "$R/d/reg" 3,4)" "1234 5678" "owner 1234:5678"
t_is "$(op lchown "$R/d/s1" 4321 8765)" 0 "lchown of a symlink"
t_is "$(st "$R/d/s1" 1,3,4)" "lnk 4321 8765" "the link itself changed owner"
t_is "$(op utimens "$R/d/reg" 1600000000 123456789 1500000000 987654321)" 0 "utimensat"
t_is "$(stat -c '%.9X %.9Y' "$R/d/reg")" "1600000000.123456789 1500000000.987654321" \
	"atime and mtime exact to the nanosecond"
mkdir "$R/tmp" && chmod 1777 "$R/tmp"
printf root >"$R/d/rootfile" && chmod 0644 "$R/d/rootfile"
t_is "$(user open "$R/d/rootfile" O_WRONLY)" EACCES "uid 1000 opening a root 0644 file for writing -> EACCES"
t_is "$(user pread "$R/d/rootfile" 0 10)" root "uid 1000 may read it"
t_is "$(user open "$R/d/new" O_WRONLY,O_CREAT 0644)" EACCES "uid 1000 creating in a root 0755 dir -> EACCES"
t_is "$(user chown "$R/d/rootfile" 1000 1000)" EPERM "uid 1000 chown of root's file -> EPERM"
t_is "$(user chmod "$R/d/rootfile" 0666)" EPERM "uid 1000 chmod of root's file -> EPERM"
t_is "$(user unlink "$R/d/rootfile")" EACCES "uid 1000 unlink in a root 0755 dir -> EACCES"
t_is "$(user open "$R/tmp/u" O_WRONLY,O_CREAT,O_EXCL 0640)" 0 "uid 1000 creates in a 1777 dir"
t_is "$(st "$R/tmp/u")" "reg 0640 1000 1000" "the file is owned by 1000:1000, mode 0640"
t_is "$(user mkdir "$R/tmp/ud" 0750)" 0 "uid 1000 mkdir"
t_is "$(st "$R/tmp/ud")" "dir 0750 1000 1000" "the dir is owned by 1000:1000"
t_is "$(user symlink target "$R/tmp/ul")" 0 "uid 1000 symlink"
t_is "$(st "$R/tmp/ul" 3,4)" "1000 1000" "the symlink is owned by 1000:1000"
t_is "$(user chown "$R/tmp/u" 0 0)" EPERM "uid 1000 chown of its own file to root -> EPERM"
t_is "$(user chmod "$R/tmp/u" 0600)" 0 "uid 1000 chmod of its own file"
t_is "$(user mknod "$R/tmp/ucdev" c 0600 1 3)" EPERM "uid 1000 mknod of a char device -> EPERM"
t_is "$(user mknod "$R/tmp/ufifo" p 0600)" 0 "uid 1000 mknod of a FIFO"
printf r >"$R/tmp/rootowned"
t_is "$(user unlink "$R/tmp/rootowned")" EPERM "sticky dir: uid 1000 cannot unlink root's file -> EPERM"
t_is "$(user utimens "$R/d/rootfile" 1 0 1 0)" EPERM "uid 1000 setting times on root's file -> EPERM"

# ---- xattrs --------------------------------------------------------------
t_is "$(op setxattr "$R/d/r2" user.test hello)" 0 "setxattr user.test"
t_is "$(op getxattr "$R/d/r2" user.test)" hello "getxattr user.test"
t_is "$(op setxattr "$R/d/r2" user.other 2)" 0 "setxattr user.other"
t_is "$(op listxattr "$R/d/r2" | grep '^user\.' | tr '\n' ' ')" "user.other user.test " "listxattr lists both"
t_is "$(op setxattr "$R/d/r2" user.test x create)" EEXIST "XATTR_CREATE on an existing name -> EEXIST"
t_is "$(op setxattr "$R/d/r2" user.nope x replace)" ENODATA "XATTR_REPLACE on a missing name -> ENODATA"
t_is "$(op removexattr "$R/d/r2" user.test)" 0 "removexattr"
t_is "$(op getxattr "$R/d/r2" user.test)" ENODATA "removed xattr -> ENODATA"
t_is "$(op listxattr "$R/d/r2" | grep '^user\.' | tr '\n' ' ')" "user.other " "listxattr after remove"
t_is "$(op setxattr "$R/d" user.dir yes)" 0 "setxattr on a directory"
t_is "$(op getxattr "$R/d" user.dir)" yes "getxattr on a directory"

# ---- sparse and large files ----------------------------------------------
t_is "$(op open "$R/d/sparse" O_WRONLY,O_CREAT 0644)" 0 "create sparse file"
t_is "$(op truncate "$R/d/sparse" 16777216)" 0 "truncate to 16 MiB"
t_is "$(op pwrite "$R/d/sparse" 8388608 MID)" 0 "write a marker at 8 MiB"
t_is "$(op pread "$R/d/sparse" 8388608 3)" MID "marker read back"
t_is "$(head -c 8388608 "$R/d/sparse" | sha256sum | cut -d' ' -f1)" \
	"$(head -c 8388608 /dev/zero | sha256sum | cut -d' ' -f1)" "the 8 MiB hole reads zeros"
t_is "$(st "$R/d/sparse" 5)" 16777216 "sparse file size 16 MiB"
sync
du_k=$(du -k "$R/d/sparse" | cut -f1)
t_ok "du ($du_k KiB) is smaller than the size (16384 KiB)" test "$du_k" -lt 1024
big=4831838208 # 4.5 GiB
t_is "$(op open "$R/d/large" O_WRONLY,O_CREAT 0644)" 0 "create a large file"
t_is "$(op truncate "$R/d/large" $big)" 0 "truncate to 4.5 GiB"
t_is "$(op pwrite "$R/d/large" 4294971392 MARKER-PAST-4G)" 0 "write a marker at 4 GiB + 4 KiB"
t_is "$(op pread "$R/d/large" 4294971392 14)" MARKER-PAST-4G "marker past 4 GiB reads back"
t_is "$(op pread "$R/d/large" 4294967292 8 | od -An -tx1 | tr -d ' ')" 0000000000000000 \
	"bytes across the 4 GiB boundary are zeros"
t_is "$(st "$R/d/large" 5)" $big "size 4.5 GiB (4831838208)"
t_is "$(op pwrite "$R/d/large" 4831838200 ENDMARK!)" 0 "write the last 8 bytes"
t_is "$(tail -c 8 "$R/d/large")" 'ENDMARK!' "tail -c 8 reads the end marker"
dd if=/dev/zero of="$R/d/large2" bs=1 count=0 seek=5G 2>/dev/null
printf 'after5G' | dd of="$R/d/large2" bs=1 seek=5368709120 conv=notrunc 2>/dev/null
t_is "$(st "$R/d/large2" 5):$(tail -c 7 "$R/d/large2")" "5368709127:after5G" "dd seek past 5 GiB: size and content"

# ---- fsync, statfs -------------------------------------------------------
t_is "$(op fsync "$R/d/r2")" 0 "fsync"
t_is "$(op fdatasync "$R/d/r2")" 0 "fdatasync"
t_is "$(op fsyncdir "$R/d")" 0 "fsync of a directory"
sfs=$(op statfs "$R")
t_like "$sfs" '^[1-9][0-9]* [1-9][0-9]* [0-9]+ [0-9]+ [0-9]+ [1-9][0-9]*$' \
	"statfs: bsize, blocks > 0, namelen > 0"
read -r _ sblocks sfree _ <<<"$sfs"
t_ok "statfs: free blocks <= total" test "${sfree:-1}" -le "${sblocks:-0}"
t_ok "df on the root works" df "$R"

# ---- image (lower) files: copy-up ------------------------------------------
f=boot/firmware/config.txt
ino=$(st "$R/$f" 7)
"$FHANDLE" save "$R/$f" "$T/h-before" 2>"$T/h.err"
t_ok "lower file not in the overlay before it is changed" test ! -e "$U/$f"
t_is "$(op chmod "$R/$f" 0600)" 0 "chmod of an image file"
t_is "$(st "$R/$f" 1,2,3,4)" "reg 0600 0 0" "mode changed to 0600"
t_is "$(sha "$R/$f")" "$(sha "$img/$f")" "content unchanged after the metadata-only copy-up"
t_is "$(stat -c '%F %a' "$U/$f" 2>&1)" "regular file 600" "copied up into overlays/n1/ with the new mode"
t_is "$(sha "$U/$f")" "$(sha "$img/$f")" "the overlay copy has the same content"
t_is "$(st "$R/$f" 7)" "$ino" "st_ino unchanged across copy-up"
"$FHANDLE" save "$R/$f" "$T/h-after" 2>>"$T/h.err"
t_ok "file handle (node id) unchanged across copy-up" cmp "$T/h-before" "$T/h-after"
t_is "$("$FHANDLE" cat "$R" "$T/h-before" 2>&1 | sha256sum | cut -d' ' -f1)" "$(sha "$img/$f")" \
	"a handle taken before the copy-up opens the copied-up file"
t_is "$(ls -A "$NB/overlays/.work/n1" 2>/dev/null | wc -l)" 0 "no leftover in the work dir after copy-up"

f=etc/fixture-variant
t_is "$(op chown "$R/$f" 1234 1234)" 0 "chown of an image file"
t_is "$(stat -c '%u:%g' "$U/$f" 2>&1):$(cat "$R/$f")" "1234:1234:a" \
	"chown copies up (owner in the overlay), content kept"
f=boot/firmware/fixup4.dat
t_is "$(op utimens "$R/$f" 1000000000 0 1111111111 0)" 0 "utimens on an image file"
t_is "$(stat -c %Y "$U/$f" 2>&1):$(stat -c %Y "$R/$f")" "1111111111:1111111111" \
	"utimens copies up with the new mtime"
t_is "$(sha "$R/$f")" "$(sha "$img/$f")" "utimens copy-up keeps the content"
f=boot/firmware/bcm2711-rpi-4-b.dtb
t_is "$(op setxattr "$R/$f" user.node n1)" 0 "setxattr on an image file"
t_is "$(op getxattr "$R/$f" user.node):$(getfattr --absolute-names --only-values -n user.node "$U/$f" 2>&1)" "n1:n1" \
	"setxattr copies up with the xattr"
f=boot/firmware/start4.elf
t_is "$(op pwrite "$R/$f" 0 XY)" 0 "write into an image file"
t_is "$(head -c 2 "$R/$f"):$(tail -c +3 "$R/$f" | sha256sum | cut -d' ' -f1)" \
	"XY:$(tail -c +3 "$img/$f" | sha256sum | cut -d' ' -f1)" "first 2 bytes replaced, the rest unchanged"
t_is "$(st "$R/$f" 5)" 2097275 "size unchanged"
f=boot/firmware/one-m.bin
t_is "$(op truncate "$R/$f" 100)" 0 "truncate an image file"
t_is "$(sha "$R/$f")" "$(head -c 100 "$img/$f" | sha256sum | cut -d' ' -f1)" "truncated image file = its first 100 bytes"
f=var/lib/pkg/state
t_is "$(op append "$R/$f" more)" 10 "O_APPEND on an image file appends (offset 10)"
t_is "$(od -An -c "$R/$f" | tr -s ' ')" " s t a t e \\n m o r e" "exact bytes after append"

# ---- image files: whiteouts --------------------------------------------------
f=boot/firmware/one.bin
t_is "$(op unlink "$R/$f")" 0 "unlink an image file"
t_is "$(op lstat "$R/$f")" ENOENT "gone from the view"
t_is "$(ls -A "$R/boot/firmware" | grep -cx one.bin)" 0 "not listed any more"
t_is "$(stat -c '%F %t:%T' "$U/$f" 2>&1)" "character special file 0:0" "the overlay holds a char 0/0 whiteout"
t_is "$(op unlink "$R/$f")" ENOENT "unlink again -> ENOENT"
printf fresh >"$R/$f"
t_is "$(cat "$R/$f")" fresh "a new file over the whiteout has only the new content"
t_is "$(stat -c '%F' "$U/$f")" "regular file" "which replaced the whiteout in the overlay"

# ---- image dirs: errors, opaque replacement, EXDEV ---------------------------
t_is "$(op mkdir "$R/boot/firmware" 0755)" EEXIST "mkdir over an image dir -> EEXIST"
t_is "$(op open "$R/etc/fstab" O_WRONLY,O_CREAT,O_EXCL 0644)" EEXIST "O_EXCL create over an image file -> EEXIST"
t_is "$(op unlink "$R/srv/lowdir")" EISDIR "unlink of an image dir -> EISDIR"
t_is "$(op rmdir "$R/etc/shadow")" ENOTDIR "rmdir of an image file -> ENOTDIR"
t_is "$(op rmdir "$R/boot/firmware/overlays")" ENOTEMPTY "rmdir of a non-empty image dir -> ENOTEMPTY"
t_is "$(op unlink "$R/boot/firmware/overlays/vc4-kms-v3d.dtbo")$(op unlink "$R/boot/firmware/overlays/overlay_map.dtb")" \
	00 "empty the image dir"
t_is "$(ls -A "$R/boot/firmware/overlays" | wc -l)" 0 "the image dir lists empty"
t_is "$(op rmdir "$R/boot/firmware/overlays")" 0 "rmdir of the emptied image dir"
t_is "$(op lstat "$R/boot/firmware/overlays")" ENOENT "removed image dir is gone"
t_is "$(stat -c '%F %t:%T' "$U/boot/firmware/overlays" 2>&1)" "character special file 0:0" \
	"a removed image dir leaves a whiteout"
t_is "$(op mkdir "$R/boot/firmware/overlays" 0700)" 0 "mkdir where the image dir was"
t_is "$(ls -A "$R/boot/firmware/overlays" | wc -l):$(st "$R/boot/firmware/overlays" 1,2)" "0:dir 0700" \
	"the new dir is empty, mode 0700"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$U/boot/firmware/overlays" 2>&1)" y \
	"the overlay dir is opaque: trusted.overlay.opaque=y"
t_is "$(op rmdir "$R/srv/lowempty")" 0 "rmdir of an empty image dir"
t_is "$(op mkdir "$R/srv/lowempty" 0755)" 0 "and mkdir again"
t_is "$(getfattr --absolute-names --only-values -n trusted.overlay.opaque "$U/srv/lowempty" 2>&1)" y "also opaque"
t_is "$(op renameat2 "$R/srv/lowdir" "$R/srv/renamed" noreplace)" 0 "RENAME_NOREPLACE of an image dir"
t_is "$(op rename "$R/srv/renamed" "$R/srv/moved")" 0 "rename of a renamed image dir"
t_is "$(cat "$R/srv/moved/one" "$R/srv/moved/sub/two" 2>&1):$(op lstat "$R/srv/lowdir")" \
	"lower one"$'\n'"lower two:ENOENT" "the moved tree is complete and the old one gone"

# ---- image files: rename across layers, hard links ---------------------------
f=boot/firmware/four-k.bin
t_is "$(op rename "$R/$f" "$R/etc/four-k.bin")" 0 "rename an image file to another dir"
t_is "$(sha "$R/etc/four-k.bin"):$(op lstat "$R/$f")" "$(sha "$img/$f"):ENOENT" \
	"renamed image file: same content, old name gone"
t_is "$(stat -c '%F %t:%T' "$U/$f" 2>&1)" "character special file 0:0" "a whiteout at the old name"
printf 'new shadow\n' >"$R/d/shadow.new"
t_is "$(op rename "$R/d/shadow.new" "$R/etc/shadow")" 0 "rename a new file over an image file"
t_is "$(cat "$R/etc/shadow")" "new shadow" "the image file is replaced"
t_is "$(op renameat2 "$R/etc/four-k.bin" "$R/etc/fstab" noreplace)" EEXIST \
	"RENAME_NOREPLACE onto an image file -> EEXIST"
t_is "$(op renameat2 "$R/etc/fstab" "$R/etc/hostname" exchange)" EINVAL "RENAME_EXCHANGE of image files -> EINVAL"
f=boot/firmware/bootcode.bin
t_is "$(op link "$R/$f" "$R/boot/bootcode.hl")" 0 "hard link to an image file"
t_is "$(st "$R/$f" 6) $(st "$R/boot/bootcode.hl" 6)" "2 2" "link count 2 on both names"
t_is "$(st "$R/$f" 7)" "$(st "$R/boot/bootcode.hl" 7)" "same st_ino"
t_is "$(sha "$R/boot/bootcode.hl")" "$(sha "$img/$f")" "the link has the image content"

# ---- permissions on image files ---------------------------------------------
f=boot/firmware/empty.bin
t_is "$(user open "$R/$f" O_WRONLY)" EACCES "uid 1000 writing an image 0644 root file -> EACCES"
t_is "$(user open "$R/$f" O_RDONLY)" 0 "uid 1000 may read it"
t_is "$(user unlink "$R/$f")" EACCES "uid 1000 unlinking in an image root dir -> EACCES"
t_is "$(user chmod "$R/$f" 0666)" EPERM "uid 1000 chmod of an image file -> EPERM"
t_is "$(user chown "$R/$f" 1000 1000)" EPERM "uid 1000 chown of an image file -> EPERM"
t_is "$(user open "$R/boot/firmware/kernel8.img" O_RDWR)" EACCES "uid 1000 O_RDWR of an image file -> EACCES"
t_is "$(user pread "$R/etc/secret" 0 10)" EACCES "uid 1000 reading a 0600 image file -> EACCES"
t_is "$(op pread "$R/etc/secret" 0 10)" secret "root reads it"
t_ok "and no copy-up happened for the refused ops" test ! -e "$U/$f" -a ! -e "$U/boot/firmware/kernel8.img"

# ---- merged listings -------------------------------------------------------
t_is "$(ls -A "$R/boot/firmware" | sort | uniq -d)" "" "no duplicate names in a merged dir"
t_is "$(ls -A "$R/boot/firmware" | sort | tr '\n' ' ')" \
	"bcm2711-rpi-4-b.dtb bootcode.bin cmdline.txt config.txt empty.bin evil fixup4.dat kernel8.img one-m.bin one.bin overlays start4.elf " \
	"the merged boot dir lists exactly the expected names"

# On failure, show what the daemon logged beyond info lines.
if [ "$_t_failed" -gt 0 ] && [ -f "$NB/netbootfs.log" ]; then
	diag "netbootfs log (warnings and errors, last 30):"
	grep -v ' info: ' "$NB/netbootfs.log" | tail -n 30 | _t_diag_stream
fi
done_testing
