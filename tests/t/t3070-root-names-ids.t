#!/bin/bash
# Names and ids in a node's root: a name over 255 bytes is ENAMETOOLONG for
# every operation (as on kernel overlayfs and ext4), a name holding a newline
# keeps its handle across a restart, and every file type keeps its inode
# number (and its handles) through copy-up, hard links included.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs
FSOP=$NB_BUILD/tests/fsop
[ -x "$FSOP" ] || skip_all "no $FSOP (make all builds tests/lib/*.c)"
[ -x "$FHANDLE" ] || skip_all "no $FHANDLE"

nb_layout
img=$T/img
fixture_boot_tree "$img" a
mkdir -p "$img/srv/special"
ln -s ../etc/hostname "$img/srv/special/link"
ln -s /etc/fstab "$img/srv/special/link2"
mkfifo -m 0644 "$img/srv/special/fifo"
mknod -m 0600 "$img/srv/special/null" c 1 3
find "$img/srv" -exec touch -h -d @1700000000 {} +
nb_image os-a "$img"
nb_one_node_config os-a
R=$NB/nfs/n1
U=$NB/overlays/n1
nb_start_root n1

op()
{
	"$FSOP" "$@" 2>&1
}

# "type mode uid gid size nlink ino rdev blocks" -> selected fields
st()
{
	op lstat "$1" | awk -v f="${2:-1,2,3,4}" '
		NF < 9 { print; exit }
		{ n = split(f, k, ","); s = ""; for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") $k[i]; print s }'
}

# ---- names over NAME_MAX ---------------------------------------------------
n255=$(printf 'n%.0s' $(seq 1 255))
n256=${n255}x
mkdir "$R/long"
t_is "$(op open "$R/long/$n255" O_WRONLY,O_CREAT 0644)" 0 "a 255-byte name can be created"
for o in "lstat $R/long/$n256" "stat $R/long/$n256" "open $R/long/$n256 O_RDONLY" \
	"chmod $R/long/$n256 0600" "chown $R/long/$n256 1 1" "truncate $R/long/$n256 0" \
	"link $R/long/$n256 $R/long/l" "rename $R/long/$n256 $R/long/r" "rmdir $R/long/$n256" \
	"unlink $R/long/$n256" "readlink $R/long/$n256" "getxattr $R/long/$n256 user.x" \
	"utimens $R/long/$n256 1 0 1 0" "open $R/long/$n256 O_WRONLY,O_CREAT 0644" \
	"mkdir $R/long/$n256 0755" "symlink x $R/long/$n256" "mknod $R/long/$n256 p 0644" \
	"link $R/long/$n255 $R/long/$n256" "rename $R/long/$n255 $R/long/$n256"; do
	# shellcheck disable=SC2086 # the operation and its arguments
	t_is "$(op $o)" ENAMETOOLONG "${o%% *} of a 256-byte name -> ENAMETOOLONG"
done
t_is "$(op lstat "$R/long/$n255" | cut -d' ' -f1)" reg "the 255-byte name is still there"
t_is "$(op lstat "$R/srv/$n256")" ENAMETOOLONG "lookup of a 256-byte name in an image dir"

# ---- a name with a newline keeps its handle across a restart --------------
nl=$'line\none'
printf 'newline content\n' >"$R/long/$nl"
mkdir "$R/long/dir$'\n'x"
printf 'inside\n' >"$R/long/dir$'\n'x/f"
t_ok "save the handle of a file whose name holds a newline" \
	"$FHANDLE" save "$R/long/$nl" "$T/h.nl"
t_ok "save the handle of a file below a directory whose name holds a newline" \
	"$FHANDLE" save "$R/long/dir$'\n'x/f" "$T/h.nldir"
nb_stop
nb_start_root n1
t_is "$("$FHANDLE" cat "$R" "$T/h.nl" 2>&1)" "newline content" \
	"after a restart the handle opens the same bytes"
t_is "$("$FHANDLE" cat "$R" "$T/h.nldir" 2>&1)" "inside" \
	"after a restart the handle below the newline directory opens the same bytes"

# ---- every file type keeps its id through copy-up --------------------------
S=$R/srv/special
for f in link link2 fifo null; do
	eval "ino_$f=\$(st \"\$S/\$f\" 7)"
	t_ok "save the handle of the image $f" "$FHANDLE" save "$S/$f" "$T/h.$f"
done
# shellcheck disable=SC2154 # set by the eval above
{
	t_is "$(op lchown "$S/link" 1234 5678)" 0 "chown -h of an image symlink"
	t_is "$(st "$S/link" 1,3,4,7)" "lnk 1234 5678 $ino_link" \
		"the copied-up symlink has the new owner and its image st_ino"
	t_is "$(op readlink "$S/link")" ../etc/hostname "and its target"
	t_is "$(op link "$S/link2" "$S/hl")" 0 "hard link to an image symlink"
	t_is "$(st "$S/link2" 6,7)" "2 $ino_link2" "the symlink: nlink 2, its image st_ino"
	t_is "$(st "$S/hl" 6,7)" "2 $ino_link2" "the new name: the same st_ino and nlink"
	t_is "$(op chmod "$S/fifo" 0600)" 0 "chmod of an image fifo"
	t_is "$(st "$S/fifo" 1,2,7)" "fifo 0600 $ino_fifo" "the fifo keeps its st_ino"
	t_is "$(op chmod "$S/null" 0640)" 0 "chmod of an image device node"
	t_is "$(st "$S/null" 1,2,8,7)" "chr 0640 1:3 $ino_null" "the device keeps rdev and st_ino"
	for f in link link2 fifo null; do
		t_like "$("$FHANDLE" stat "$R" "$T/h.$f" 2>&1)" "^[a-z]+ $(eval echo "\$ino_$f") " \
			"a handle of the image $f saved before copy-up opens the same object"
	done
}
for f in link link2 fifo null; do
	t_ok "the overlay copy of $f records its origin" \
		getfattr --absolute-names -h -n trusted.netbootfs.origin "$U/srv/special/$f"
done
# Caches dropped: the ids must come from the overlay, not from the kernel.
nb_stop
nb_start_root n1
t_is "$(st "$S/link" 7) $(st "$S/link2" 7) $(st "$S/hl" 7) $(st "$S/fifo" 7) $(st "$S/null" 7)" \
	"$ino_link $ino_link2 $ino_link2 $ino_fifo $ino_null" \
	"after a restart every copied-up object still has its image st_ino"

done_testing
