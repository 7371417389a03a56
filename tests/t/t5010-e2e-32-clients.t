#!/bin/bash
# SPDX-License-Identifier: MIT
# End to end under load: 32 simulated Pis (one client namespace each, with
# its node's MAC) take a DHCP lease at the same time, then all fetch their
# firmware, config and 30 MiB kernel by serial over TFTP at the same time,
# through one dnsmasq reading the netbootfs mount. Every transfer completes
# with the image's bytes.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/netns.sh"
. "$SRCDIR/tests/lib/services.sh"

require_root
require_fuse
require_cmd ip dnsmasq busybox ss perl mksquashfs sha256sum
[ -x "$NETBOOTFS" ] && [ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTFS (build first)"

N=32
files="start4.elf config.txt kernel8.img"
name() { printf 'pi-%02d' "$1"; }
serial() { printf '5b0000%02x' "$1"; }
mac() { printf 'dc:a6:32:51:00:%02x' "$1"; }
addr() { echo "$NB_NET.$((60 + $1))"; }

nb_layout
fixture_boot_tree "$T/os" e2e-32
nb_image os "$T/os"
{
	cat <<-INI
	dhcp = full
	dhcp_range = $NB_NET.100,$NB_NET.150,12h
	interface = br0
	default_image = os

	[defaults]
	image = os
	INI
	for i in $(seq 1 $N); do
		printf '[node:%s]\nserial = %s\nmac = %s\nip = %s\n' \
			"$(name "$i")" "$(serial "$i")" "$(mac "$i")" "$(addr "$i")"
	done
} | NB_ADDRESS=$NB_SERVER_IP nb_write_config
for i in $(seq 1 $N); do
	at_exit "lazy_umount '$NB/nfs/$(name "$i")'"
done
nb_start || exit 1

"$NETBOOTCTL" -c "$NB_CONF" gen dnsmasq --hook "$SRCDIR/conf/dnsmasq-hook.sh" >"$T/dnsmasq.conf"
t_is "$?" 0 "netbootctl gen dnsmasq: exit 0"

ns_create srv || exit 1
for i in $(seq 1 $N); do
	ns_create "$(name "$i")" && ns_link srv "$(name "$i")" "$NB_SERVER_IP/24" "$(mac "$i")" || {
		echo "Bail out! cannot create namespace $(name "$i")"
		exit 1
	}
done
export NETBOOTFS_CONFIG=$NB_CONF PATH=$NB_BUILD:$PATH
# busybox tftp resends its request after 100 ms without an answer, and
# dnsmasq starts a new transfer for every copy; on a loaded machine the
# orphans fill dnsmasq's default 50 transfer slots and later requests go
# unanswered. A real Pi waits seconds; docs/deployment.md tells big clusters
# to raise tftp-max anyway.
t_ok "dnsmasq starts with the generated config" \
	svc_dnsmasq srv "$T/dnsmasq.conf" --tftp-max=$((8 * N)) || exit 1

# ---- DHCP, all at once -------------------------------------------------------
# The first client alone (it writes the shared udhcpc event script), then
# the other 31 together.
svc_dhcp_client "$(name 1)" "$(mac 1)" >"$T/dhcp-1.out" 2>&1
pids=()
for i in $(seq 2 $N); do
	svc_dhcp_client "$(name "$i")" "$(mac "$i")" >"$T/dhcp-$i.out" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
# "name address menu" per lease, from the udhcpc variables in one pass.
expect=
for i in $(seq 1 $N); do
	expect+="$(name "$i") $(addr "$i") Raspberry Pi Boot"$'\n'
done
got=$(perl -e '
	for my $i (1 .. $ARGV[0]) {
		my $ns = sprintf "pi-%02d", $i;
		my %v;
		if (open(my $fh, "<", "$ARGV[1]/dhcp-$ns.env")) {
			while (<$fh>) {
				chomp;
				my ($k, $val) = split /=/, $_, 2;
				$v{$k} = $val;
			}
		}
		my $menu = pack("H*", $v{opt43} // "") =~ /(Raspberry Pi Boot)/ ? $1 : "no menu";
		print "$ns ", $v{ip} // "no lease", " $menu\n";
	}' "$N" "$T")
t_is "$got"$'\n' "$expect" "all $N Pis leased their fixed address with the Pi boot menu"

# ---- TFTP, all at once ----------------------------------------------------------
want=()
for f in $files; do
	want+=("$(sha256sum <"$T/os/boot/firmware/$f" | cut -d' ' -f1)")
done
fetch()
{
	local i=$1 f
	for f in $files; do
		printf '%s %s ' "$(name "$i")" "$f"
		ns_exec "$(name "$i")" busybox tftp -g -b 1468 -r "$(serial "$i")/$f" -l - "$NB_SERVER_IP" |
			sha256sum | cut -d' ' -f1
	done
}
start=$(date +%s%N)
pids=()
for i in $(seq 1 $N); do
	fetch "$i" >"$T/sums-$i" 2>"$T/tftp-$i.err" &
	pids+=($!)
done
wait "${pids[@]}"
ms=$((($(date +%s%N) - start) / 1000000))
note "$N clients fetched $(stat -c %s "$T/os/boot/firmware/kernel8.img") B kernels (and firmware, config) in ${ms} ms"

bad=
for i in $(seq 1 $N); do
	expect=
	k=0
	for f in $files; do
		expect+="$(name "$i") $f ${want[$k]}"$'\n'
		k=$((k + 1))
	done
	[ "$(cat "$T/sums-$i")"$'\n' = "$expect" ] || {
		bad+=" $(name "$i")"
		diag "$(name "$i"):" "$(cat "$T/sums-$i" "$T/tftp-$i.err")"
	}
done
t_is "${bad# }" "" "all $N clients got start4.elf, config.txt and kernel8.img byte-exact"
n=0
for i in $(seq 1 $N); do
	grep -qF "sent $NB/tftp/$(serial "$i")/kernel8.img to $(addr "$i")" "$T/dnsmasq-srv.log" &&
		n=$((n + 1))
done
t_is "$n" "$N" "dnsmasq log: each node's kernel sent to that node's address"
t_ok "netbootfs still runs" kill -0 "$NB_PID"
t_ok "dnsmasq still runs" kill -0 "$(cat "$T/dnsmasq-srv.pid")"

done_testing
