#!/bin/bash
# Unplanned take-over between servers ([server:NAME]): two daemons
# (-S alpha, -S beta) over one shared directory and one ini, each serving
# its own node. Each holds its server's lease (<overlays>/.leases/.alive.NAME)
# while it runs; a second daemon as the same server refuses to start.
# alpha is killed with SIGKILL in the middle of appends through its node's
# root: after [server] takeover_after seconds beta serves alpha's node (its root
# under the node's lease, its boot tree with a cmdline.txt naming beta), and
# the overlay holds every acknowledged line once, in order, then beta's.
# alpha restarts: beta lets the node go once it is idle, alpha takes it
# back. At no point do both daemons have the node's root mounted.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"
. "$SRCDIR/tests/lib/peers.sh"

require_root
require_fuse
require_cmd mksquashfs sha256sum perl
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

nb_layout
SHARED=$NB
fixture_boot_tree "$T/os-a" a
nb_image os-a "$T/os-a"
declare -A DIR ADDR=([alpha]=10.99.0.1 [beta]=10.99.0.2) PID
for s in alpha beta; do
	DIR[$s]=$T/$s
	mkdir -p "$T/$s/tftp" "$T/$s/nfs" && cp "$(command -v cat)" "$T/$s/tftpd"
	at_exit "umount_under '$T/$s'"
done
CONF=$T/netbootfs.ini
# boot_gap 1: a node is idle 2 s after its last request.
cat >"$CONF" <<-INI
	[server]
	images = $SHARED/images
	overlays = $SHARED/overlays
	state = $SHARED/state
	templates = $SHARED/templates
	loaders = $SHARED/loaders
	boot_gap = 1
	lease_retry = 1
	takeover_after = 2

	[server:alpha]
	address = ${ADDR[alpha]}
	tftp_root = $T/alpha/tftp
	nfs_root = $T/alpha/nfs
	control = $T/alpha/netbootfs.sock
	tftp_server = /usr/sbin/dnsmasq, $T/alpha/tftpd

	[server:beta]
	address = ${ADDR[beta]}
	tftp_root = $T/beta/tftp
	nfs_root = $T/beta/nfs
	control = $T/beta/netbootfs.sock
	tftp_server = /usr/sbin/dnsmasq, $T/beta/tftpd

	[defaults]
	image = os-a

	[node:na]
	serial = 5a00e001
	mac = dc:a6:32:83:00:01
	server = alpha

	[node:nb]
	serial = 5a00e002
	mac = dc:a6:32:83:00:02
	server = beta
INI
start() # SERVER
{
	NB=${DIR[$1]} NB_CONF=$CONF NB_DAEMON_ARGS="-S $1" nb_start || return 1
	PID[$1]=$NB_PID
	echo "$NB_PID" >"$T/$1.pid"
}
status() # SERVER
{
	"$NETBOOTCTL" -c "$CONF" -S "$1" status --json
}
node_key() # SERVER NODE PERL-KEY
{
	status "$1" | json_get "(grep { \$_->{name} eq '$2' } @{\$j->{nodes}})[0]$3"
}
mounted_on() # NODE: "alpha", "beta", "alpha beta" or ""
{
	local who=""
	_t_is_fuse_mounted "$T/alpha/nfs/$1" && who=alpha
	_t_is_fuse_mounted "$T/beta/nfs/$1" && who="${who:+$who }beta"
	echo "$who"
}
# Sample which live daemons have na's root mounted, every 0.2 s, into
# $T/owners (a SIGKILLed daemon's mount stays listed, dead, until unmounted).
watch_owners()
{
	local who s
	while :; do
		who=""
		for s in alpha beta; do
			kill -0 "$(cat "$T/$s.pid")" 2>/dev/null &&
				_t_is_fuse_mounted "$T/$s/nfs/na" && who="${who:+$who }$s"
		done
		echo "$who" >>"$T/owners"
		sleep 0.2
	done
}

start alpha || exit 1
start beta || exit 1
wait_mounted "$T/alpha/nfs/na" 10 && wait_mounted "$T/beta/nfs/nb" 10 || {
	echo "Bail out! the roots did not come up"
	exit 1
}
t_is "$(mounted_on na),$(mounted_on nb)" "alpha,beta" "each server mounts its own node's root"
t_like "$(cat "$SHARED/overlays/.leases/.alive.alpha")" "^server=alpha host=[^ ]+ pid=${PID[alpha]} since=[0-9]+$" \
	"alpha holds its server lease"
t_is "$(status beta | json_get 'scalar @{$j->{taking_over}}')" 0 "beta serves for nobody else"
t_is "$("$NETBOOTCTL" -c "$CONF" -S beta gen dnsmasq | grep -c 'dc:a6:32:83:00:01.*ignore')" 1 \
	"gen dnsmasq on beta ignores alpha's node"

# ---- a second daemon as alpha ---------------------------------------------------------
mkdir -p "$T/alpha2"
"$NETBOOTFS" -f -c "$CONF" -S alpha >"$T/alpha2/log" 2>&1 &
second=$!
at_exit "kill $second 2>/dev/null || true"
wait_for "! kill -0 $second" 20
wait "$second"
t_is "$?" 1 "a second daemon as alpha exits 1"
t_like "$(cat "$T/alpha2/log")" "server alpha is already run by alpha \(host [^ ]+, pid ${PID[alpha]}\)" \
	"and names the one that runs"
t_like "$(status alpha | json_get '$j->{pid}')" "^${PID[alpha]}$" "the first alpha still answers its control socket"

# ---- alpha dies in the middle of writes -------------------------------------------------
watch_owners &
watcher=$!
at_exit "kill $watcher 2>/dev/null || true"
nb_appender "$T/alpha/nfs/na/log" alpha "$T/acked" &
writer=$!
at_exit "kill $writer 2>/dev/null || true"
wait_for "[ -s '$T/acked' ] && [ \$(cat '$T/acked') -ge 200 ]" 30
kill -9 "${PID[alpha]}"
wait "${PID[alpha]}" 2>/dev/null
t0=$(date +%s%N)
wait "$writer"
acked=$(cat "$T/acked")
t_ok "beta mounts alpha's node within takeover_after + lease_retry (+ 10 s)" wait_mounted "$T/beta/nfs/na" 13
note "take-over of na after SIGKILL of alpha: $((($(date +%s%N) - t0) / 1000000)) ms (takeover_after = 2 s)"
t_like "$(cat "$T/beta/netbootfs.log")" \
	"server alpha has been down for [0-9]+ s \(nobody holds .leases/.alive.alpha\): serving its nodes from here" \
	"beta's log says it took alpha's nodes over"
t_is "$(status beta | json_get 'join ",", @{$j->{taking_over}}')" alpha "beta's status: taking over alpha"
t_like "$("$NETBOOTCTL" -c "$CONF" -S beta status)" "server alpha is down: its nodes are served here" \
	"beta's status text says so"
t_is "$(node_key beta na '{server}') $(node_key beta na '{mounted}') $(node_key beta na '{lease}{held}')" \
	"alpha true true" "na keeps server alpha, is mounted on beta under beta's lease"
t_like "$(cat "$SHARED/overlays/.leases/na")" "^server=beta host=[^ ]+ pid=${PID[beta]} " \
	"na's lease file names beta"
t_is "$("$NETBOOTCTL" -c "$CONF" -S beta gen dnsmasq | grep -c 'dc:a6:32:83:00:01.*ignore')" 0 \
	"gen dnsmasq on beta no longer ignores na (netbootctl apply makes its DHCP answer it)"
"$T/beta/tftpd" "$T/beta/tftp/5a00e001/cmdline.txt" >"$T/cmdline" 2>&1
t_like "$(cat "$T/cmdline")" "nfsroot=${ADDR[beta]}:$T/beta/nfs/na," "beta's boot tree: na's cmdline.txt names beta"
t_file_sha_eq "$T/beta/tftp/5a00e001/start4.elf" "$T/os-a/boot/firmware/start4.elf" \
	"beta's boot tree: na's start4.elf, byte-exact"

lines=$(wc -l <"$T/beta/nfs/na/log")
t_ok "beta shows the $acked lines alpha acknowledged, or those and the one in flight ($lines)" \
	eval "[ $lines -eq $acked ] || [ $lines -eq $((acked + 1)) ]"
seq 1 "$lines" | sed 's/^/alpha /' >"$T/expect"
t_file_sha_eq "$T/beta/nfs/na/log" "$T/expect" "through beta: alpha's lines, each once, in order"
for i in $(seq 1 200); do
	echo "beta $i" >>"$T/beta/nfs/na/log" || break
done
seq 1 200 | sed 's/^/beta /' >>"$T/expect"
t_file_sha_eq "$SHARED/overlays/na/log" "$T/expect" "the overlay: alpha's lines then beta's 200, byte-exact"

# ---- alpha comes back: the node goes back once idle ---------------------------------------
lazy_umount "$T/alpha/nfs/na"
lazy_umount "$T/alpha/tftp"
start alpha || exit 1
t_ok "beta lets alpha's node go, and alpha mounts it (within 20 s)" wait_mounted "$T/alpha/nfs/na" 20
t_like "$(cat "$T/beta/netbootfs.log")" \
	"server alpha is back \(alpha \(host [^ ]+, pid ${PID[alpha]}\)\): its nodes go back to it as they go idle" \
	"beta's log says alpha is back"
t_like "$(cat "$T/alpha/netbootfs.log")" "node na: lease taken \(it was held by beta " \
	"alpha took na's lease from beta"
t_ok "beta no longer has na mounted" eval "[ -z \"\$(_t_mounts | awk -v p='$T/beta/nfs/na' '\$1 == p')\" ]"
t_is "$(status beta | json_get 'scalar @{$j->{taking_over}}')" 0 "beta serves for nobody else again"
t_is "$("$NETBOOTCTL" -c "$CONF" -S beta gen dnsmasq | grep -c 'dc:a6:32:83:00:01.*ignore')" 1 \
	"gen dnsmasq on beta ignores na again"
t_file_sha_eq "$T/alpha/nfs/na/log" "$T/expect" "through alpha again: every line, byte-exact"
t_is "$(mounted_on nb)" beta "beta kept its own node all along"
# The last samples: alpha's again (the checks above take milliseconds).
wait_for "tail -n 1 '$T/owners' | grep -qx alpha" 5
kill "$watcher"
wait "$watcher" 2>/dev/null
note "samples: alpha $(grep -c '^alpha$' "$T/owners"), beta $(grep -c '^beta$' "$T/owners"), nobody $(grep -c '^$' "$T/owners")"
seen=$(uniq "$T/owners" | grep -v '^$' | tr '\n' ' ')
t_is "$seen" "alpha beta alpha " "the samples saw alpha, then beta, then alpha serve na"
t_is "$(grep -c 'alpha beta' "$T/owners")" 0 \
	"never both servers with na's root mounted ($(wc -l <"$T/owners") samples)"
t_is "$(cat "$T/alpha/netbootfs.log" "$T/beta/netbootfs.log" | grep -c 'Sanitizer\|runtime error')" 0 \
	"no sanitizer report in either daemon's log"
done_testing
