#!/bin/bash
# SPDX-License-Identifier: MIT
# Several servers, one configuration: two daemons (netbootfs -S alpha and
# -S beta) in two network namespaces over one shared directory (images,
# overlays, state: a local directory stands in for the shared filesystem),
# reading the same ini. Each runs its own dnsmasq (netbootctl -S NAME gen
# dnsmasq) and Ganesha (gen ganesha). Three simulated Pis: one the ini gives
# to alpha, one a profile gives to beta, one spread by the rendezvous hash.
# Each server serves exactly its nodes: DHCP, TFTP (byte-exact, cmdline.txt
# naming the owner), NFS (byte-exact, writes land in the shared overlay);
# the other server gives them no DHCP answer, no TFTP file, no root, and
# neither serves nor discovers them; in proxy DHCP mode too (beside a
# site's DHCP server), only a node's own server answers it. A daemon whose name the ini does not
# know refuses to start.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"
. "$SRCDIR/tests/lib/twoservers.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl python3 mksquashfs sha256sum jq \
	ganesha.nfsd rpcbind rpcinfo unshare nfs-ls nfs-cat nfs-cp
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

t_unlike()
{
	if [[ $1 =~ $2 ]]; then
		ok 1 "$3"
		diag "must not match: $2" "got:"
		printf '%s\n' "$1" | head -n 20 | _t_diag_stream
		return 1
	fi
	ok 0 "$3"
}

boot_files="start4.elf config.txt kernel8.img bcm2711-rpi-4-b.dtb"

# ---- the shared directory, two server directories, one ini ------------------------
ts_layout <<-INI
	default_image = os-a
INI
cat >>"$CONF" <<-INI
	[defaults]
	image = os-a
	cmdline = quiet

	[profile:rack-b]
	server = beta

	[node:pi-a]
	serial = 5a00a001
	mac = dc:a6:32:81:00:01
	ip = $NB_NET.51
	server = alpha

	[node:pi-b]
	serial = 5a00b002
	mac = dc:a6:32:81:00:02
	ip = $NB_NET.52
	profile = rack-b

	[node:pi-c]
	serial = 5a00c003
	mac = dc:a6:32:81:00:03
	ip = $NB_NET.53
INI
t_ok "check: the two-server ini is valid" "$NETBOOTCTL" -c "$CONF" check
sed '/^mac = dc:a6:32:81:00:03/d' "$CONF" >"$T/nomac.ini"
t_like "$("$NETBOOTCTL" -c "$T/nomac.ini" check 2>&1)" \
	"nomac.ini:[0-9]+: node pi-c has no mac: with several servers, only its MAC keeps the other servers' DHCP from answering it" \
	"check: with several servers every node needs a mac"
"$NETBOOTCTL" -c "$CONF" nodes --json >"$T/nodes.json"
t_is "$(jq -r '.[] | "\(.name)=\(.server)"' "$T/nodes.json" | head -n2 | tr '\n' ' ')" \
	"pi-a=alpha pi-b=beta " "nodes --json: each node's server (node key, profile)"
C_SRV=$(jq -r '.[] | select(.name == "pi-c") | .server' "$T/nodes.json")
t_like "$C_SRV" "^(alpha|beta)$" "nodes --json: pi-c is spread onto one of them"
t_like "$("$NETBOOTCTL" -c "$CONF" nodes)" "pi-a +5a00a001 .* alpha" "nodes: a SERVER column"
if [ "$C_SRV" = alpha ]; then counts="2 nodes), beta $NB_NET.2 (1 node)"; else counts="1 node), beta $NB_NET.2 (2 nodes)"; fi
t_ok "check: each server, its address and how many nodes it serves" \
	grep -qxF "servers: alpha $NB_NET.1 ($counts" <("$NETBOOTCTL" -c "$CONF" check)

# Each node's server, serial, MAC and address; each server's other.
declare -A SRV=([pi-a]=alpha [pi-b]=beta [pi-c]=$C_SRV)
declare -A SERIAL=([pi-a]=5a00a001 [pi-b]=5a00b002 [pi-c]=5a00c003)
declare -A MAC=([pi-a]=dc:a6:32:81:00:01 [pi-b]=dc:a6:32:81:00:02 [pi-c]=dc:a6:32:81:00:03)
declare -A IP=([pi-a]=$NB_NET.51 [pi-b]=$NB_NET.52 [pi-c]=$NB_NET.53)
declare -A OTHER=([alpha]=beta [beta]=alpha)

# ---- a daemon the ini does not name refuses to start -------------------------------
"$NETBOOTFS" -f -c "$CONF" -S gamma >"$T/gamma.out" 2>&1
t_is "$?" 1 "netbootfs -S gamma: exit 1"
t_like "$(cat "$T/gamma.out")" \
	"this server is 'gamma', which is not one of the servers named by \[server:NAME\] sections: give its name with -S NAME" \
	"netbootfs -S gamma says why"
t_is "$(_t_mounts | awk -v p="$T/" 'index($1, p) == 1' | wc -l)" 0 "netbootfs -S gamma mounted nothing"

# ---- two daemons ---------------------------------------------------------------------
ts_start_daemons
for n in pi-a pi-b pi-c; do
	s=${SRV[$n]}
	wait_mounted "${DIR[$s]}/nfs/$n" 10
	t_ok "$s mounts the root of its node $n" _t_is_fuse_mounted "${DIR[$s]}/nfs/$n"
	t_fails "${OTHER[$s]} mounts no root for $n" _t_is_fuse_mounted "${DIR[${OTHER[$s]}]}/nfs/$n"
done
for s in alpha beta; do
	"$NETBOOTCTL" -c "$CONF" -S "$s" status --json >"$T/status-$s.json"
	t_is "$(jq -r '.server' "$T/status-$s.json")" "$s" "status -S $s: the server's name"
	want=$(for n in pi-a pi-b pi-c; do [ "${SRV[$n]}" = "$s" ] && echo "$n=$s"; done | tr '\n' ' ')
	t_is "$(jq -r '.nodes[] | "\(.name)=\(.server)"' "$T/status-$s.json" | tr '\n' ' ')" "$want" \
		"status -S $s: exactly its nodes, each with its server"
	want=$(for n in pi-a pi-b pi-c; do [ "${SRV[$n]}" != "$s" ] && echo "$n=${SRV[$n]}"; done | tr '\n' ' ')
	t_is "$(jq -r '.elsewhere[] | "\(.name)=\(.server)"' "$T/status-$s.json" | tr '\n' ' ')" "$want" \
		"status -S $s: the other server's nodes are known as elsewhere"
	t_like "$("$NETBOOTCTL" -c "$CONF" -S "$s" status)" \
		"server $s \(${ADDR[$s]}\): [12] nodes are served by other servers, not here" \
		"status -S $s says how many nodes the other serves"
done

t_like "$("$NETBOOTCTL" -c "$CONF" -S alpha node show pi-b)" "server +beta +\[profile:rack-b\] line" \
	"node show -S alpha of beta's node: its server and where it was set"
t_like "$("$NETBOOTCTL" -c "$CONF" node show pi-c)" "server +$C_SRV +\[spread\]" \
	"node show: a spread node's server says [spread]"
out=$("$NETBOOTCTL" -c "$CONF" -S alpha node reset pi-b 2>&1)
t_is "$?" 1 "node reset -S alpha of beta's node: exit 1"
t_is "$out" "netbootctl: node reset: node 'pi-b' is served by server beta, not alpha: run it there (-S beta)" \
	"node reset -S alpha of beta's node says where to run it"

# ---- generated files: each server's own nodes -----------------------------------------
for s in alpha beta; do
	"$NETBOOTCTL" -c "$CONF" -S "$s" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" \
		>"$T/dnsmasq-$s.conf"
	t_is "$?" 0 "gen dnsmasq -S $s: exit 0"
	"$NETBOOTCTL" -c "$CONF" -S "$s" gen ganesha >"$T/ganesha-$s.conf"
	t_is "$?" 0 "gen ganesha -S $s: exit 0"
	mkdir -p "$T/recovery-$s"
	printf 'NFSV4 {\n\tGraceless = true;\n\tRecoveryBackend = fs;\n\tRecoveryRoot = "%s";\n}\n' \
		"$T/recovery-$s" >>"$T/ganesha-$s.conf"
	"$NETBOOTCTL" -c "$CONF" -S "$s" gen exports >"$T/exports-$s"
	for n in pi-a pi-b pi-c; do
		if [ "${SRV[$n]}" = "$s" ]; then
			t_ok "gen exports -S $s: exports $n" grep -q "^${DIR[$s]}/nfs/$n " "$T/exports-$s"
			t_like "$(cat "$T/dnsmasq-$s.conf")" "dhcp-host=${MAC[$n]},${IP[$n]},$n" \
				"gen dnsmasq -S $s: answers $n"
		else
			t_unlike "$(cat "$T/exports-$s" "$T/ganesha-$s.conf")" "/$n[ \"]" \
				"gen exports, ganesha -S $s: not $n"
			t_like "$(cat "$T/dnsmasq-$s.conf")" "dhcp-host=${MAC[$n]},set:nb-elsewhere,ignore" \
				"gen dnsmasq -S $s: ignores $n"
		fi
	done
done
t_ok "gen systemd -S beta: the daemon is started as beta" \
	grep -qE "^ExecStart=.*/netbootfs -f -c .*/netbootfs.ini -S beta$" <("$NETBOOTCTL" -c "$CONF" -S beta gen systemd)
t_like "$(grep '^dhcp-range' "$T/dnsmasq-beta.conf")" "$NB_NET.125,$NB_NET.150,12h" \
	"gen dnsmasq -S beta: [server:beta]'s dhcp_range"
# Proxy mode ignores the other server's nodes the same way.
sed 's/^dhcp = full/dhcp = proxy/' "$CONF" >"$T/proxy.ini"
t_like "$("$NETBOOTCTL" -c "$T/proxy.ini" -S alpha gen dnsmasq)" \
	"dhcp-range=$NB_NET.0,proxy.*dhcp-ignore=tag:nb-elsewhere.*pxe-service=tag:rpi,tag:!nb-elsewhere,0,.*dhcp-host=dc:a6:32:81:00:02,set:nb-elsewhere,ignore" \
	"gen dnsmasq in proxy mode: the other server's nodes are ignored too"

# ---- the network: a LAN with the two servers and the three Pis -------------------------
ns_create lan && ns_create alpha && ns_create beta || {
	echo "Bail out! cannot create namespaces"
	exit 1
}
ns_link lan alpha "$NB_NET.254/24" 02:00:00:81:00:01 "$A_IP/24" &&
	ns_link lan beta "$NB_NET.254/24" 02:00:00:81:00:02 "$B_IP/24" || {
	echo "Bail out! cannot link namespaces"
	exit 1
}
for n in pi-a pi-b pi-c; do
	ns_create "$n" && ns_link lan "$n" "$NB_NET.254/24" "${MAC[$n]}" || {
		echo "Bail out! cannot make $n"
		exit 1
	}
done
export PATH=$NB_BUILD:$PATH
for s in alpha beta; do
	NETBOOTFS_CONFIG=$CONF SVC_HOST_MOUNTS=1 t_ok "dnsmasq starts in $s's namespace" \
		svc_dnsmasq "$s" "$T/dnsmasq-$s.conf" || exit 1
	t_ok "ganesha starts in $s's namespace" svc_ganesha "$s" "$T/ganesha-$s.conf" || exit 1
done

# ---- each Pi boots from its server only ------------------------------------------------
url()
{
	nfs_url "${ADDR[$1]}" "${DIR[$1]}/nfs/$2/$3" 3
}
for n in pi-a pi-b pi-c; do
	s=${SRV[$n]} o=${OTHER[${SRV[$n]}]}
	t_ok "$n: DHCP lease" svc_dhcp_client "$n" "${MAC[$n]}"
	t_is "$(dhcp_var "$n" ip)" "${IP[$n]}" "$n: DHCP: its fixed address"
	t_is "$(dhcp_var "$n" siaddr)" "${ADDR[$s]}" "$n: DHCP: the next server is $s"
	# dnsmasq writes its log behind: wait for the line of its decision.
	wait_for "grep -Eq 'DHCPDISCOVER\(eth0\) ${MAC[$n]} ignored' '$T/dnsmasq-$o.log'" 5
	t_like "$(cat "$T/dnsmasq-$o.log")" "DHCPDISCOVER\(eth0\) ${MAC[$n]} ignored" \
		"$n: $o's dnsmasq ignores its DHCP request"
	t_unlike "$(cat "$T/dnsmasq-$o.log")" "DHCP(OFFER|ACK)\(eth0\) [0-9.]+ ${MAC[$n]}" \
		"$n: $o's dnsmasq makes it no offer"
	mkdir -p "$T/$n"
	for f in $boot_files cmdline.txt; do
		svc_tftp_get "$n" "${ADDR[$s]}" "${SERIAL[$n]}/$f" "$T/$n/${f//\//_}" 2>"$T/tftp.err" ||
			_t_diag_stream <"$T/tftp.err"
		[ "$f" = cmdline.txt ] && continue
		t_file_sha_eq "$T/$n/$f" "$T/os-a/boot/firmware/$f" "$n: TFTP $f from $s, byte-exact"
	done
	t_is "$(cat "$T/$n/cmdline.txt")" \
		"console=serial0,115200 console=tty1 quiet root=/dev/nfs nfsroot=${ADDR[$s]}:${DIR[$s]}/nfs/$n,vers=3,tcp rw ip=dhcp rootwait quiet" \
		"$n: cmdline.txt names $s's address and its root"
	t_fails "$n: TFTP from $o: no start4.elf" \
		svc_tftp_get "$n" "${ADDR[$o]}" "${SERIAL[$n]}/start4.elf" "$T/$n/from-other"
	t_fails "$n: TFTP from $o: no cmdline.txt by MAC either" \
		svc_tftp_get "$n" "${ADDR[$o]}" "${MAC[$n]//:/-}/cmdline.txt" "$T/$n/from-other"

	t_is "$(ns_exec "$n" nfs-cat "$(url "$s" "$n" etc/hostname)" 2>&1)" "$n" \
		"$n: NFS from $s: etc/hostname is the node's"
	ns_exec "$n" nfs-cat "$(url "$s" "$n" boot/firmware/kernel8.img)" >"$T/$n/k.nfs" 2>&1
	t_file_sha_eq "$T/$n/k.nfs" "$T/os-a/boot/firmware/kernel8.img" "$n: NFS kernel8.img byte-exact"
	printf 'written by %s through %s\n' "$n" "$s" >"$T/$n/up"
	head -c 200000 /dev/urandom >>"$T/$n/up"
	t_ok "$n: writes etc/note over NFS" ns_exec "$n" nfs-cp "$T/$n/up" "$(url "$s" "$n" etc/note)"
	t_file_sha_eq "$SHARED/overlays/$n/etc/note" "$T/$n/up" "$n: in the shared overlay, byte-exact"
	ns_exec "$n" nfs-cat "$(url "$s" "$n" etc/note)" >"$T/$n/back" 2>&1
	t_file_sha_eq "$T/$n/back" "$T/$n/up" "$n: read back over NFS, byte-exact"
	t_fails "$n: $o exports no root for it" ns_exec "$n" nfs-ls "$(url "$o" "$n" etc)"
done

# ---- the other server's nodes are known there, not unknown clients ----------------------
for s in alpha beta; do
	"$NETBOOTCTL" -c "$CONF" -S "$s" status --json >"$T/status-$s.json"
	t_is "$(jq -r '.elsewhere_requests > 0' "$T/status-$s.json")" true \
		"status -S $s: the other server's nodes' TFTP requests are counted as elsewhere"
done
sleep 6 # the unknown-client list is written at most every 5 s
t_is "$("$NETBOOTCTL" -c "$CONF" discovered --json | jq -r '.[].id' | grep -c 5a00)" 0 \
	"no server lists another's node as discovered"
for s in alpha beta; do
	t_unlike "$(cat "${DIR[$s]}/netbootfs.log")" "unknown client" "$s logs no unknown client"
done

# ---- proxy DHCP: the site's DHCP server gives the addresses -------------------------
# The two dnsmasqs restart in proxy mode (gen dnsmasq from the same ini with
# dhcp = proxy); a plain dnsmasq on the LAN bridge is the site's DHCP server.
for s in alpha beta; do
	stop_pid "$(cat "$T/dnsmasq-$s.pid")" 10
	mv "$T/dnsmasq-$s.log" "$T/dnsmasq-$s.full.log"
	"$NETBOOTCTL" -c "$T/proxy.ini" -S "$s" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" \
		>"$T/dnsmasq-$s.conf"
done
printf 'port=0\ninterface=br0\nbind-dynamic\nlog-dhcp\ndhcp-range=%s,%s,12h\n' \
	"$NB_NET.160" "$NB_NET.200" >"$T/router.conf"
t_ok "the site's DHCP server starts" svc_dnsmasq lan "$T/router.conf" || exit 1
for s in alpha beta; do
	NETBOOTFS_CONFIG=$CONF SVC_HOST_MOUNTS=1 t_ok "dnsmasq restarts in $s's namespace in proxy mode" \
		svc_dnsmasq "$s" "$T/dnsmasq-$s.conf" || exit 1
done
for n in pi-a pi-b pi-c; do
	s=${SRV[$n]} o=${OTHER[${SRV[$n]}]}
	# udhcpc may take a proxy's offer (no address) for a lease and fail:
	# what counts is who answered its discover.
	svc_dhcp_client "$n" "${MAC[$n]}" >/dev/null 2>&1
	wait_for "grep -q 'DHCPOFFER(br0) [0-9.]* ${MAC[$n]}' '$T/dnsmasq-lan.log'" 5
	t_like "$(cat "$T/dnsmasq-lan.log")" "DHCPOFFER\(br0\) [0-9.]+ ${MAC[$n]}" \
		"$n: the site's DHCP server offers it an address"
	wait_for "grep -q 'PXE(eth0) ${MAC[$n]} proxy *\$' '$T/dnsmasq-$s.log' &&
		grep -q 'PXE(eth0) ${MAC[$n]} proxy-ignored' '$T/dnsmasq-$o.log'" 5
	t_ok "$n: $s's proxy DHCP answers it with the boot menu" \
		grep -q "PXE(eth0) ${MAC[$n]} proxy *\$" "$T/dnsmasq-$s.log"
	t_ok "$n: $o's proxy DHCP ignores it" \
		grep -q "PXE(eth0) ${MAC[$n]} proxy-ignored" "$T/dnsmasq-$o.log"
	t_fails "$n: $o's proxy DHCP sends it no boot menu" \
		grep -q "PXE(eth0) ${MAC[$n]} proxy *\$" "$T/dnsmasq-$o.log"
done

t_ok "alpha still runs" kill -0 "${PID[alpha]}"
t_ok "beta still runs" kill -0 "${PID[beta]}"
t_is "$(cat "$T/alpha/netbootfs.log" "$T/beta/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"

done_testing
