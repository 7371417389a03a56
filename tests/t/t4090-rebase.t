#!/bin/bash
# SPDX-License-Identifier: MIT
# upgrade = rebase (issue 16, acceptance 3): a node that added a user,
# edited /etc files, installed files under /usr and wrote in /home boots
# onto generation 2 of its image; every rule of the rebase holds, file by
# file and byte by byte.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/rebase.sh"

require_root
require_fuse
require_cmd mksquashfs perl diff3

rb_setup n1 || exit 1
NB_BOOT_GAP=2 nb_write_config <<-INI
	[defaults]
	upgrade = rebase

	[node:n1]
	image = os
	serial = 1a2b3c4d
INI
nb_start || exit 1
wait_mounted "$NB/nfs/n1" 10 || {
	echo "Bail out! $NB/nfs/n1 is not mounted"
	exit 1
}
R=$NB/nfs/n1
O=$NB/overlays/n1
nb_tftp_read "$NB/tftp/1a2b3c4d/start4.elf" # n1's first boot
t_ok "the node changes its root" rb_node_changes "$R"

# The expected `node diff` lines, sizes as the node sees them in its root.
diff_lines() # KIND PATH...
{
	local kind=$1 p
	shift
	for p; do
		if [ "$kind" = D ] || [ -d "$R$p" ]; then
			printf '%s %6s %s\n' "$kind" - "$p"
		else
			printf '%s %6s %s\n' "$kind" "$(stat -c %s "$R$p")" "$p"
		fi
	done
}
expected_diff()
{
	{
		diff_lines M /etc/app.conf /etc/group /etc/gshadow /etc/machine-id /etc/motd.conf \
			/etc/passwd /etc/shadow /etc/unchanged.conf /opt/data.bin /usr/bin/tool \
			/var/lib/dpkg/status
		diff_lines D /etc/changed-and-dropped.conf /etc/dropped-by-node.conf
		diff_lines A /home/alice /home/alice/notes.txt /usr/local /usr/local/bin \
			/usr/local/bin/mytool /var/log/syslog
	} | LC_ALL=C sort -b -k3,3
}
t_is "$("$NETBOOTCTL" -c "$NB_CONF" node diff n1)" "$(expected_diff)" \
	"node diff lists the node's changes against generation 1"

n=$(nb_log_count 'os\.sqfs: image os generation')
rb_generation2
t_ok "generation 2 is seen" nb_wait_log 'os\.sqfs: image os generation' "$n"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_ok "and is rebased" wait_for "grep -q 'node n1: rebased onto image os' '$NB/netbootfs.log'" 10

check() # path expected-bytes-file
{
	t_is "$(sha256sum <"$R/$1" 2>&1 | cut -d' ' -f1)" "$(sha256sum <"$2" | cut -d' ' -f1)" "/$1: ${3:-}"
}
expect() { printf "$@" >"$T/expect"; echo "$T/expect"; }

# User databases: the image's entries, then the node's additions.
check etc/passwd "$(expect '%s\n' 'root:x:0:0:root:/root:/bin/bash' \
	'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin' \
	'_svc:x:998:998:svc:/nonexistent:/usr/sbin/nologin' \
	'alice:x:1001:1001:Alice:/home/alice:/bin/bash')" "image's user added, node's kept"
check etc/shadow "$(expect '%s\n' 'root:*:19000:0:99999:7:::' 'daemon:*:19000:0:99999:7:::' \
	'_svc:!:19500::::::' 'alice:$6$salt$hash:19600:0:99999:7:::')" "agrees with passwd"
check etc/group "$(expect '%s\n' 'root:x:0:' 'daemon:x:1:' '_svc:x:998:' 'alice:x:1001:')" "merged"
check etc/gshadow "$(expect '%s\n' 'root:*::' 'daemon:*::' '_svc:!::' 'alice:!::')" "merged"
t_is "$(stat -c '%a %U' "$R/etc/shadow")" "640 root" "/etc/shadow keeps its mode"
# /etc text files: diff3.
check etc/app.conf "$(expect 'a=1\nb=2-node\nc=3\nd=4\ne=5\nf=6\ng=7\nh=8\ni=9-image2\nj=10\n')" \
	"both changes merged"
check etc/motd.conf "$T/g2/etc/motd.conf" "conflict: the image's version wins"
check etc/motd.conf.netbootfs-node "$(expect 'greeting=hello from the node\n')" \
	"conflict: the node's version beside it"
check etc/unchanged.conf "$(expect 'x=node\n')" "the image left it alone: the node's stays"
t_ok "/etc/dropped-by-node.conf: the image left it alone: the node's deletion stays" \
	test ! -e "$R/etc/dropped-by-node.conf"
check etc/changed-and-dropped.conf "$T/g2/etc/changed-and-dropped.conf" \
	"deleted by the node, changed by the image: the image's is back"
# Persisted paths.
check etc/machine-id "$(expect 'node-specific-id\n')" "persisted"
check home/alice/notes.txt "$(expect 'my notes\n')" "persisted"
check var/log/syslog "$(expect 'boot log\n')" "persisted"
# Packages follow the image; the node's own files stay.
check usr/bin/tool "$T/g2/usr/bin/tool" "the image's package file"
check usr/share/doc/tool/changelog "$T/g2/usr/share/doc/tool/changelog" "the image's"
check var/lib/dpkg/status "$T/g2/var/lib/dpkg/status" "package state follows the image"
check usr/local/bin/mytool "$(expect '#!/bin/sh\necho mytool\n')" "the node's own file under /usr"
check opt/data.bin "$T/g2/opt/data.bin" "changed by both, not /etc: the image's"
check etc/fixture-variant "$T/g2/etc/fixture-variant" "untouched files show generation 2"

# The archive holds the node's version of everything replaced.
A=$(ls -d "$NB"/overlays/.archive/n1/*/ 2>/dev/null)
t_is "$(echo "$A" | wc -l)" 1 "one archive directory"
t_is "$(cd "$A/files" && find . -type f | sort)" "$(printf '%s\n' ./etc/app.conf ./etc/group \
	./etc/gshadow ./etc/motd.conf ./etc/passwd ./etc/shadow ./opt/data.bin ./usr/bin/tool \
	./var/lib/dpkg/status)" "the archive holds exactly the node's replaced files"
t_is "$(cat "$A/files/usr/bin/tool" "$A/files/etc/motd.conf" "$A/files/opt/data.bin" | sha256sum)" \
	"$( { printf 'tool patched by the node\ngreeting=hello from the node\n'; head -c 10000 /dev/zero | tr '\0' N; } | sha256sum)" \
	"byte for byte the node's versions"
t_like "$(head -n 1 "$A/report")" \
	"^rebase [0-9TZ-]+: onto os generation [0-9]+: 5 merged, 1 conflicts, 3 archived, 1 restored" \
	"the report's summary"
t_like "$(cat "$NB/netbootfs.log")" \
	"node n1: rebase: conflict /etc/motd.conf: the new image's version is in place, the node's is /etc/motd.conf.netbootfs-node" \
	"the conflict is logged"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" status)" \
	"conflict /etc/motd.conf: the new image's version is in place" "status says so"
t_is "$(ls -A "$NB/overlays/.work/.rebase" 2>/dev/null)" "" "nothing left in the work area"
# The quota counts what the rebased overlay holds (blocks per name).
t_is "$(nb_node n1 quota_used)" "$(python3 - "$O" <<-'PY'
	import os, sys
	total = 0
	for root, dirs, files in os.walk(sys.argv[1]):
	    for n in dirs + files:
	        st = os.lstat(os.path.join(root, n))
	        b = st.st_blocks * 512
	        total += b if os.path.isdir(os.path.join(root, n)) and not os.path.islink(os.path.join(root, n)) or st.st_nlink <= 1 else b // st.st_nlink
	print(total)
	PY
)" "the quota's usage is the rebased overlay's"

expected_diff()
{
	{
		diff_lines M /etc/app.conf /etc/group /etc/gshadow /etc/machine-id /etc/passwd \
			/etc/shadow /etc/unchanged.conf
		diff_lines D /etc/dropped-by-node.conf
		diff_lines A /etc/motd.conf.netbootfs-node /home/alice /home/alice/notes.txt \
			/usr/local /usr/local/bin /usr/local/bin/mytool /var/log/syslog
	} | LC_ALL=C sort -b -k3,3
}
t_is "$("$NETBOOTCTL" -c "$NB_CONF" node diff n1)" "$(expected_diff)" \
	"node diff lists the node's changes against generation 2"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" node diff n1 --json)" \
	'"path": "/etc/motd.conf.netbootfs-node",
    "change": "added",
    "type": "file",
    "size": 29' "--json"

# A second boot onto the same generation changes nothing.
before=$(rb_manifest "$O")
t_ok "n1 reboots again" nb_boot 1a2b3c4d
sleep 1
t_is "$(rb_manifest "$O")" "$before" "a boot onto the same generation leaves the overlay alone"
t_is "$(ls -d "$NB"/overlays/.archive/n1/*/ | wc -l)" 1 "and archives nothing"
done_testing
