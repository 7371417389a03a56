# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# peers.sh: two daemons over one shared directory (t8020-t8022). Source
# after netbootfs.sh.
#
#   nb_peer_config DIR         a second server beside the one of $NB_CONF: the
#                              same ini but its own tftp_root, nfs_root, state,
#                              control socket and tftpd under DIR, written to
#                              DIR/netbootfs.ini; its mounts are unmounted at exit;
#                              images and overlays through nb_second_mount (t8030)
#   on A|B CMD...              run CMD with NB and NB_CONF of server A ($A,
#                              $A_CONF) or B ($B, $B_CONF), as the test set them
#   nb_appender FILE PREFIX ACKED
#                              append "PREFIX 1", "PREFIX 2"... to FILE, one
#                              line per append, writing each number to ACKED
#                              once its append returned; stops at the first
#                              failure (run it in the background)

nb_peer_config()
{
	local dir=$1
	mkdir -p "$dir"/{tftp,nfs,state} && cp "$NB/tftpd" "$dir/tftpd" || return 1
	at_exit "umount_under '$dir'"
	sed -e "s|^tftp_root = .*|tftp_root = $dir/tftp|" -e "s|^nfs_root = .*|nfs_root = $dir/nfs|" \
		-e "s|^state = .*|state = $dir/state|" -e "s|^control = .*|control = $dir/netbootfs.sock|" \
		-e "s|^tftp_server = .*|tftp_server = /usr/sbin/dnsmasq, $dir/tftpd|" \
		-e "s|^images = .*|images = $(nb_second_mount "$NB/images")|" \
		-e "s|^overlays = .*|overlays = $(nb_second_mount "$NB/overlays")|" \
		"$NB_CONF" >"$dir/netbootfs.ini"
}

on()
{
	local s=$1
	shift
	if [ "$s" = A ]; then NB=$A NB_CONF=$A_CONF "$@"; else NB=$B NB_CONF=$B_CONF "$@"; fi
}

nb_appender()
{
	local file=$1 prefix=$2 acked=$3 i=0
	while [ $i -lt 1000000 ]; do
		i=$((i + 1))
		echo "$prefix $i" >>"$file" 2>/dev/null || break
		echo $i >"$acked"
	done
}
