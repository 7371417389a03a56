#!/bin/bash
# netbootctl user: shared classroom accounts. A user added on the server
# logs in (su - USER -c id) in a chroot of two node roots served by the
# daemon, one of which replaced its own /etc/passwd; a file written in the
# home on one node is read on the other.
#
# The node image is an amd64 tree made of the host's own glibc userland
# (bash, su with its PAM stack, id, getent) plus Debian's libnss-extrausers
# .deb: su and id must go through glibc's NSS, which busybox does not use,
# and an amd64 image needs no qemu, so the chroot runs the real programs a
# node runs. What is simulated: the NFS mount of the homes. Each node's
# generated fstab says "ADDR:HOMES /home/shared nfs"; the test checks that
# line and then bind-mounts HOMES on /home/shared of each node root, as the
# mount would. The export itself is served by a real NFS-Ganesha and read
# from two node addresses in t6032-user-homes-nfs.t.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs dpkg-deb ldd python3

# ---- the image: a glibc userland with libnss-extrausers ------------------
copy_with_libs()
{
	local dir=$1 f lib
	shift
	for f in "$@"; do
		mkdir -p "$dir$(dirname "$f")" && cp -a "$f" "$dir$f" || return 1
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			[ -e "$dir$lib" ] && continue
			mkdir -p "$dir$(dirname "$lib")" && cp -L "$lib" "$dir$lib" || return 1
		done
	done
}
make_image()
{
	local dir=$1 deb x x2
	deb=$(fixture_deb libnss-extrausers "$(dpkg --print-architecture)") || return 1
	x=$(mktemp -d "$T/deb.XXXXXX") && dpkg-deb -x "$deb" "$x" || return 1
	mkdir -p "$dir"/{etc,proc,dev,tmp,root,home,var/lib,usr/bin,usr/sbin,usr/lib,usr/lib64} ||
		return 1
	# Merged /usr, as Debian 12 and the host.
	for x2 in bin sbin lib lib64; do
		ln -s "usr/$x2" "$dir/$x2" || return 1
	done
	chmod 1777 "$dir/tmp"
	copy_with_libs "$dir" /bin/bash /bin/sh /usr/bin/su /usr/bin/id /usr/bin/getent \
		/usr/bin/cat /usr/bin/env "$(readlink -f /bin/sh)" \
		/lib/*-linux-gnu/security/*.so $(ls /lib/*-linux-gnu/libnss_files.so.2) ||
		return 1
	cp -a "$x"/usr/lib/libnss_extrausers.so.2 "$dir/usr/lib/" || return 1
	cp -a /etc/pam.d /etc/security "$dir/etc/" || return 1
	mkdir -p "$dir/etc/default" && touch "$dir/etc/environment" "$dir/etc/default/locale"
	cp -a /etc/login.defs "$dir/etc/" 2>/dev/null
	cat >"$dir/etc/passwd" <<-EOF2
		root:x:0:0:root:/root:/bin/bash
		nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
	EOF2
	cat >"$dir/etc/group" <<-EOF2
		root:x:0:
		video:x:44:
		gpio:x:993:
		nogroup:x:65534:
	EOF2
	printf 'root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n' >"$dir/etc/shadow"
	chmod 0640 "$dir/etc/shadow"
	cat >"$dir/etc/nsswitch.conf" <<-EOF2
		passwd: files extrausers
		group: files [SUCCESS=merge] extrausers
		shadow: files extrausers
	EOF2
	printf '# the image fstab\nproc /proc proc defaults 0 0\n' >"$dir/etc/fstab"
}
make_image "$T/img" || skip_all "cannot build a glibc userland with libnss-extrausers"

nb_layout
nb_image classroom "$T/img"
NB_ADDRESS=127.0.0.1 nb_write_config <<-INI

	clients = 127.0.0.0/8
	homes = $NB/homes
	uid_range = 20000-20999
	[profile:lab]
	image = classroom
	[node:a]
	profile = lab
	serial = 00000001
	[node:b]
	image = classroom
	serial = 00000002
INI
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}

# ---- the server side -----------------------------------------------------
out=$(printf 'alice-pw\n' | ctl user add --groups video,gpio --gecos 'Alice A' alice 2>&1)
ok $? "user add alice succeeds" || diag "$out"
t_is "$out" "added user alice (uid 20000, home $NB/homes/alice)" "with the first uid of the range"
out=$(printf 'bob-pw\n' | ctl user add --profile lab bob 2>&1)
t_is "$out" "added user bob (uid 20001, home $NB/homes/bob)" "bob, only for profile lab"
out=$(printf 'carol-pw\n' | ctl user add --profile other carol 2>&1)
ok $? "carol, only for profile other (no node has it)"
out=$(printf 'x\n' | ctl user add alice 2>&1)
t_is "$?" 1 "adding alice again fails"
t_is "$out" "netbootctl: user add: user alice exists (uid 20000)" "saying so"
t_is "$(ctl user add alice </dev/null 2>&1; echo "rc=$?")" \
	"netbootctl: user add: no password given (standard input or a terminal)
rc=1" "a user without a password is refused"
t_fails "a bad name is a usage error" ctl user add 'Bad:Name' </dev/null
t_fails "a password on the command line is not an option" ctl user add --password x dave

t_is "$(stat -c '%u:%g %a' "$NB/homes/alice")" "20000:20000 700" "alice's home: her uid, 0700"
t_is "$(stat -c '%a' "$NB/state/users")" 600 "the accounts store is 0600"
t_fails "no password in clear in the store" grep -q 'alice-pw' "$NB/state/users"
hash=$(grep '^alice:' "$NB/state/users" | cut -d: -f3)
t_like "$hash" '^\$(y|gy|7|6)\$' "the password is hashed by crypt(3) (yescrypt or sha512)"
t_is "$(python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2])' alice-pw "$hash")" \
	True "the hash verifies with the password"
h2=$(printf 'bob-pw\n' | ctl user add zed >/dev/null 2>&1; grep '^zed:' "$NB/state/users" | cut -d: -f3)
t_isnt "$(cut -d'$' -f1-4 <<<"$h2")" "$(cut -d'$' -f1-4 <<<"$(grep '^bob:' "$NB/state/users" | cut -d: -f3)")" \
	"the same password gets a different salt"
ctl user del zed >/dev/null
ok $? "user del zed"
t_is "$(stat -c %u "$NB/homes/zed")" 20003 "its home stays"
old=$(grep '^alice:' "$NB/state/users" | cut -d: -f3)
printf 'alice-new\n' | ctl user passwd alice
ok $? "user passwd alice"
hash=$(grep '^alice:' "$NB/state/users" | cut -d: -f3)
t_is "$(python3 -W ignore -c 'import crypt,sys; print(crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2], crypt.crypt(sys.argv[3], sys.argv[2]) == sys.argv[2])' alice-new "$hash" alice-pw)" \
	"True False" "the new password verifies, the old one no more"
t_is "$(printf 'x\n' | ctl user passwd nobody 2>&1)" "netbootctl: user passwd: no user nobody" \
	"passwd of an unknown user fails"
grep -v '^homes' "$NB_CONF" >"$T/nohomes.ini"
t_is "$("$NETBOOTCTL" -c "$T/nohomes.ini" user list 2>&1)" \
	"netbootctl: user list: [server] homes is not set in $T/nohomes.ini: set where the homes live (for example /srv/netbootfs/homes)" \
	"without [server] homes the user commands say what to set"
t_is "$(ctl user list)" \
	"NAME   UID    GROUPS      PROFILES  HOME
alice  20000  video,gpio  -         /home/shared/alice
bob    20001  -           lab       /home/shared/bob
carol  20002  -           other     /home/shared/carol" "user list (zed is gone)"
t_is "$(ctl user list --json | python3 -c 'import json,sys; a=json.load(sys.stdin); print([(u["name"],u["uid"],u["groups"],u["profiles"],u["home"]) for u in a])')" \
	"[('alice', 20000, ['video', 'gpio'], None, '/home/shared/alice'), ('bob', 20001, [], ['lab'], '/home/shared/bob'), ('carol', 20002, [], ['other'], '/home/shared/carol')]" \
	"user list --json"
t_like "$(ctl gen exports)" "
$NB/homes 127.0.0.0/8\\(rw,sync,no_subtree_check,root_squash\\)" "gen exports exports the homes"
t_like "$(ctl gen ganesha)" "Path = \"$NB/homes\";" "gen ganesha too"

# ---- check: what an image needs ------------------------------------------
cp -a "$T/img" "$T/bare"
rm "$T/bare/usr/lib/libnss_extrausers.so.2"
nb_image bare "$T/bare"
cp -a "$T/img" "$T/nonss"
printf 'passwd: files\ngroup: files\nshadow: files\n' >"$T/nonss/etc/nsswitch.conf"
nb_image nonss "$T/nonss"
{ cat "$NB_CONF"; printf '[node:c]\nimage = bare\nserial = 00000003\n[node:d]\nimage = nonss\nserial = 00000004\n'; } >"$T/check.ini"
"$NETBOOTCTL" -c "$T/check.ini" check >/dev/null 2>"$T/check.err"
t_is "$?" 1 "check fails for images that cannot serve the accounts"
t_is "$(grep 'shared accounts' "$T/check.err")" \
	"$NB/images/bare.sqfs: lacks libnss-extrausers (fix: netbootctl image shell IMAGE -- apt-get install -y libnss-extrausers), which the shared accounts ([server] homes) need
$NB/images/nonss.sqfs: lacks extrausers in etc/nsswitch.conf (fix: netbootctl image import does it; or passwd: files extrausers, group: files [SUCCESS=merge] extrausers, shadow: files extrausers), which the shared accounts ([server] homes) need" \
	"naming the image and what it lacks; the good image is not named"
rm "$NB/images/bare.sqfs" "$NB/images/nonss.sqfs"

# ---- two nodes -----------------------------------------------------------
nb_start || exit 1
t_ok "node a's root is up" wait_for "[ -e '$NB/nfs/a/etc/passwd' ]" 10
t_ok "node b's root is up" wait_for "[ -e '$NB/nfs/b/etc/passwd' ]" 10
t_is "$(tail -n 2 "$NB/nfs/a/etc/fstab")" \
	"# netbootfs: the shared homes (netbootctl user)
127.0.0.1:$NB/homes /home/shared nfs rw,nofail,_netdev,x-systemd.automount 0 0" \
	"node a's generated fstab mounts the homes on /home/shared"
t_is "$(head -n 2 "$NB/nfs/a/etc/fstab")" "# the image fstab
proc /proc proc defaults 0 0" "after the image's own lines"
t_is "$(cat "$NB/nfs/a/var/lib/extrausers/passwd")" \
	"alice:x:20000:20000:Alice A:/home/shared/alice:/bin/bash
bob:x:20001:20001::/home/shared/bob:/bin/bash" "node a (profile lab) has alice and bob, not carol"
t_is "$(cut -d: -f1 "$NB/nfs/b/var/lib/extrausers/passwd")" alice "node b (no profile) has only alice"
t_is "$(cat "$NB/nfs/a/var/lib/extrausers/group")" \
	"alice:x:20000:
bob:x:20001:
gpio:x:993:alice" "extrausers groups: one per user, and the image's gpio gid with its members"
# libnss-extrausers ignores gids below 500 (its MINGID): video (44) comes
# through the generated etc/group instead.
t_is "$(cat "$NB/nfs/a/etc/group")" "root:x:0:
video:x:44:alice
gpio:x:993:
nogroup:x:65534:" "node a's etc/group: the image's, with alice in video (gid 44 < 500)"
t_is "$(stat -c %a "$NB/nfs/a/var/lib/extrausers/shadow")" 600 "the shadow is 0600"

# Node b replaces its own /etc/passwd (as useradd does: a new file renamed).
cp "$NB/nfs/b/etc/passwd" "$NB/nfs/b/etc/passwd+"
echo 'localuser:x:1001:1001:local:/home/localuser:/bin/bash' >>"$NB/nfs/b/etc/passwd+"
mv "$NB/nfs/b/etc/passwd+" "$NB/nfs/b/etc/passwd"
t_like "$(cat "$NB/overlays/b/etc/passwd" 2>/dev/null || cat "$NB/nfs/b/etc/passwd")" localuser \
	"node b's passwd has its own user"
t_fails "and no alice" grep -q alice "$NB/nfs/b/etc/passwd"

for n in a b; do
	mkdir -p "$NB/nfs/$n/home/shared" || skip_all "cannot mkdir home/shared on node $n"
	mount --bind "$NB/homes" "$NB/nfs/$n/home/shared" || skip_all "cannot bind the homes on node $n"
	at_exit "umount -l '$NB/nfs/$n/home/shared' 2>/dev/null || true"
	mount --bind /dev "$NB/nfs/$n/dev" && at_exit "umount -l '$NB/nfs/$n/dev' 2>/dev/null || true"
done
node_run()
{
	local n=$1
	shift
	chroot "$NB/nfs/$n" /usr/bin/env -i PATH=/usr/bin:/bin "$@"
}

out=$(node_run a su - alice -c id 2>&1)
t_is "$out" "uid=20000(alice) gid=20000(alice) groups=20000(alice),44(video),993(gpio)" \
	"node a: su - alice -c id"
out=$(node_run b su - alice -c id 2>&1)
t_is "$out" "uid=20000(alice) gid=20000(alice) groups=20000(alice),44(video),993(gpio)" \
	"node b, with its own /etc/passwd: su - alice -c id"
t_is "$(node_run b getent passwd localuser alice | cut -d: -f1,3)" "localuser:1001
alice:20000" "node b sees its local user and the shared one"
t_is "$(node_run b su - bob -c id 2>&1)" "su: user bob does not exist or the user entry does not contain all the required fields" \
	"bob (profile lab) does not exist on node b"
t_is "$(node_run a su - bob -c id 2>&1)" "uid=20001(bob) gid=20001(bob) groups=20001(bob)" \
	"but on node a"

# A login that checks the password (pam_unix against the extrausers
# shadow). Node roots are mounted nosuid on the server, so su cannot be
# run set-uid by a node user here; instead node b's su stops trusting
# root (its pam_rootok line goes, a node's own edit), and root's su must
# give alice's password on stdin.
sed -i '/pam_rootok/d' "$NB/nfs/b/etc/pam.d/su"
out=$(echo alice-new | node_run b su alice -c id 2>&1)
t_is "$out" "Password: uid=20000(alice) gid=20000(alice) groups=20000(alice),44(video),993(gpio)" \
	"node b: alice logs in with her password"
out=$(echo alice-pw | node_run b su alice -c id 2>&1)
t_is "$?:$out" "1:Password: su: Authentication failure" "her old password is refused"

node_run a su - alice -c 'pwd; echo written-on-a > ~/note' >"$T/a.out" 2>&1
t_is "$(cat "$T/a.out")" /home/shared/alice "alice's login lands in her shared home on node a"
t_is "$(echo alice-new | node_run b su - alice -c 'cat ~/note' 2>&1)" "Password: written-on-a" \
	"the file written on node a is read on node b"
t_is "$(stat -c %u "$NB/homes/alice/note")" 20000 "owned by alice on the server"

nb_stop
done_testing
