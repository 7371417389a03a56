# SPDX-License-Identifier: MIT
# Fixtures of the upgrade = rebase tests (t409x): two generations of an
# image and what a node changes on top of the first.

# rb_trees DIR1 DIR2: generation 1 and generation 2, where 2 adds a system
# user, changes /etc/app.conf (the node changes another line) and
# /etc/motd.conf (the node changes the same line), and upgrades package
# "tool" (its files under /usr and the dpkg status).
rb_trees()
{
	local g1=$1 g2=$2
	fixture_boot_tree "$g1" a || return 1
	(
		umask 022
		cd "$g1" || exit 1
		mkdir -p etc usr/bin usr/share/doc/tool var/lib/dpkg opt home root var/log
		printf '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
			'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' >etc/passwd
		printf '%s\n' 'root:*:19000:0:99999:7:::' 'daemon:*:19000:0:99999:7:::' >etc/shadow
		printf '%s\n' 'root:x:0:' 'daemon:x:1:' >etc/group
		printf '%s\n' 'root:*::' 'daemon:*::' >etc/gshadow
		printf 'a=1\nb=2\nc=3\nd=4\ne=5\nf=6\ng=7\nh=8\ni=9\nj=10\n' >etc/app.conf
		printf 'greeting=hello\n' >etc/motd.conf
		printf 'x=1\n' >etc/unchanged.conf
		printf 'old=1\n' >etc/dropped-by-node.conf
		printf 'v=1\n' >etc/changed-and-dropped.conf
		printf 'generation-1\n' >etc/machine-id
		printf 'tool v1\n' >usr/bin/tool
		printf 'tool (1)\n' >usr/share/doc/tool/changelog
		printf 'Package: tool\nStatus: install ok installed\nVersion: 1\n' >var/lib/dpkg/status
		head -c 10000 /dev/zero | tr '\0' 'A' >opt/data.bin
	) || return 1
	chmod 0640 "$g1/etc/shadow" "$g1/etc/gshadow"
	cp -a "$g1" "$g2" || return 1
	(
		cd "$g2" || exit 1
		echo '_svc:x:998:998:svc:/nonexistent:/usr/sbin/nologin' >>etc/passwd
		echo '_svc:!:19500::::::' >>etc/shadow
		echo '_svc:x:998:' >>etc/group
		echo '_svc:!::' >>etc/gshadow
		sed -i 's/^i=9$/i=9-image2/' etc/app.conf
		printf 'greeting=hello from image 2\n' >etc/motd.conf
		printf 'v=2\n' >etc/changed-and-dropped.conf
		printf 'tool v2\n' >usr/bin/tool
		printf 'tool (2)\ntool (1)\n' >usr/share/doc/tool/changelog
		printf 'Package: tool\nStatus: install ok installed\nVersion: 2\n' >var/lib/dpkg/status
		head -c 10000 /dev/zero | tr '\0' 'B' >opt/data.bin
		echo a2 >etc/fixture-variant
	) || return 1
	find "$g1" "$g2" -exec touch -h -d @1700000000 {} +
}

# rb_node_changes ROOT: what the node does through its root mount.
rb_node_changes()
{
	local r=$1
	echo 'alice:x:1001:1001:Alice:/home/alice:/bin/bash' >>"$r/etc/passwd" &&
		echo 'alice:$6$salt$hash:19600:0:99999:7:::' >>"$r/etc/shadow" &&
		echo 'alice:x:1001:' >>"$r/etc/group" &&
		echo 'alice:!::' >>"$r/etc/gshadow" &&
		sed -i 's/^b=2$/b=2-node/' "$r/etc/app.conf" &&
		printf 'greeting=hello from the node\n' >"$r/etc/motd.conf" &&
		printf 'x=node\n' >"$r/etc/unchanged.conf" &&
		rm "$r/etc/dropped-by-node.conf" "$r/etc/changed-and-dropped.conf" &&
		printf 'node-specific-id\n' >"$r/etc/machine-id" &&
		mkdir -p "$r/usr/local/bin" "$r/home/alice" "$r/var/log" &&
		printf '#!/bin/sh\necho mytool\n' >"$r/usr/local/bin/mytool" &&
		printf 'tool patched by the node\n' >"$r/usr/bin/tool" &&
		printf '\nPackage: mytool\nStatus: install ok installed\n' >>"$r/var/lib/dpkg/status" &&
		printf 'my notes\n' >"$r/home/alice/notes.txt" &&
		printf 'boot log\n' >"$r/var/log/syslog" &&
		head -c 10000 /dev/zero | tr '\0' 'N' >"$r/opt/data.bin"
}

# rb_manifest DIR: every object under DIR with its type, mode, owner and
# content (sha256, link target, device numbers), sorted; no times.
rb_manifest()
{
	(
		cd "$1" || exit 1
		find . -mindepth 1 -printf '%y %m %U:%G %p\n' | sort -k4 |
			while read -r y m o p; do
				case $y in
				f) echo "$y $m $o $p $(sha256sum <"$p" | cut -d' ' -f1)" ;;
				l) echo "$y $m $o $p -> $(readlink "$p")" ;;
				c) echo "$y $m $o $p $(stat -c '%t,%T' "$p")" ;;
				*) echo "$y $m $o $p" ;;
				esac
			done
	)
}

# rb_setup NODE...: the test's layout with image "os" at generation 1 (the
# trees in $T/g1 and $T/g2), the nodes' roots unmounted at exit.
rb_setup()
{
	local n
	nb_layout
	for n; do
		at_exit "lazy_umount '$NB/nfs/$n'"
	done
	rb_trees "$T/g1" "$T/g2" && nb_image os "$T/g1"
}

# rb_generation2: generation 2 arrives the way `netbootctl image install`
# leaves the first, its file kept under .history/ (same inode).
rb_generation2()
{
	mkdir -p "$NB/images/.history" &&
		ln "$NB/images/os.sqfs" "$NB/images/.history/os.20231114T221320Z.sqfs" &&
		nb_image os "$T/g2"
}
