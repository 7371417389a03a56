#!/bin/bash
# SPDX-License-Identifier: MIT
# The control socket: root only, one per daemon, stale files replaced; the
# protocol; `netbootctl status` (image, generation, last boot, TFTP bytes,
# overlay size, up) and `netbootctl node reset` (refused while the node is
# up unless --force; works without the daemon too).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl setpriv

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
at_exit "lazy_umount '$NB/nfs/n2'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
export NB_BOOT_GAP=3
nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d

	[node:n2]
	image = os-a
	serial = 2b3c4d5e
INI
SOCK=$NB/netbootfs.sock
ctl()
{
	"$NETBOOTCTL" -c "$NB_CONF" "$@"
}
# One raw request line; prints the reply line.
raw_request()
{
	perl -MIO::Socket::UNIX -e '
		my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0]) or die "connect: $!\n";
		print $s $ARGV[1], "\n";
		shutdown($s, 1);
		print while <$s>;
	' "$SOCK" "$1"
}

poke_n1()
{
	cat "$NB/nfs/n1/etc/hostname" >/dev/null
}

# ---- no daemon -----------------------------------------------------------
out=$(ctl status 2>&1)
t_is "$?" 1 "status without a daemon exits 1"
t_like "$out" "^netbootctl: status: netbootfs is not running \(no answer on $SOCK" \
	"and says the daemon is not running"

# A stale socket file, as a killed daemon leaves it.
perl -MIO::Socket::UNIX -e 'IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die "$!\n"' "$SOCK"
t_ok "a stale socket file exists" test -S "$SOCK"
nb_start || exit 1
t_ok "the daemon replaced it" nb_log_has "control socket $SOCK: removing a stale socket"
t_is "$(stat -c '%F %a %u' "$SOCK")" "socket 600 0" "the socket is mode 0600, owned by root"

# ---- one daemon per socket ---------------------------------------------
timeout 30 "$NETBOOTFS" -f -c "$NB_CONF" >"$T/second.log" 2>&1
t_is "$?" 1 "a second daemon on the same socket refuses to start"
t_like "$(cat "$T/second.log")" "control socket $SOCK: another netbootfs answers on it" \
	"naming the socket"
t_ok "the first one still answers" ctl status
sed "s|^control = .*|control = $T/not-a-socket|" "$NB_CONF" >"$T/other.ini"
echo keep >"$T/not-a-socket"
timeout 30 "$NETBOOTFS" -f -c "$T/other.ini" >"$T/third.log" 2>&1
t_is "$?" 1 "a control path that is not a socket: refused"
t_like "$(cat "$T/third.log")" "$T/not-a-socket: the path exists and is not a socket" "with a reason"
t_is "$(cat "$T/not-a-socket")" keep "and the file is left alone"

# ---- root only ---------------------------------------------------------
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$NETBOOTCTL" -c "$NB_CONF" status 2>&1)
t_like "$out" "Permission denied" "another user cannot connect (mode 0600)"
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+dac_override \
	--ambient-caps=+dac_override "$NETBOOTCTL" -c "$NB_CONF" status 2>&1)
t_like "$out" "status: permission denied: root only" \
	"and one that gets past the mode is refused by its uid" || diag "$out"

# ---- the protocol ------------------------------------------------------
t_like "$(raw_request '{"cmd":"status"}')" '^\{"ok":true,.*"nodes":\[' \
	'{"cmd":"status"} answers one JSON line'
t_is "$(raw_request 'not json' | json_get '($j->{ok} ? "true" : "false") . " " . $j->{error}')" \
	"false the request is not a JSON object" "garbage gets an error reply"
t_is "$(raw_request '{"cmd":"reboot"}' | json_get '$j->{error}')" "unknown command 'reboot'" \
	"an unknown command is named"
t_is "$(raw_request '{"cmd":"node-reset"}' | json_get '$j->{error}')" 'node-reset needs "node"' \
	"node-reset without a node"

# ---- status ------------------------------------------------------------
t0=$(date +%s)
nb_tftp_read "$NB/tftp/1a2b3c4d/start4.elf" "$NB/tftp/1a2b3c4d/config.txt"
t1=$(date +%s)
expect_bytes=$(($(stat -c %s "$T/a/boot/firmware/start4.elf") + $(stat -c %s "$T/a/boot/firmware/config.txt")))
head -c 1000 /dev/zero >"$NB/nfs/n1/etc/thousand"
head -c 234 /dev/zero >"$NB/nfs/n1/etc/more"
gen=$(nb_node n1 generation)
t_like "$gen" '^[0-9]+$' "n1's generation"
got_bytes=$(nb_node n1 tftp_bytes)
t_is "$got_bytes" "$expect_bytes" "TFTP bytes: exactly what was read"
t_ok "TFTP bytes: at least what was read, at most a page more per file ($got_bytes)" \
	test "$got_bytes" -ge "$expect_bytes" -a "$got_bytes" -le $((expect_bytes + 2 * 4096))
boot=$(nb_node n1 last_boot)
t_ok "last boot time is the time of the first lookup ($t0 <= $boot <= $t1)" \
	test "$boot" -ge "$t0" -a "$boot" -le "$t1"
t_is "$(nb_node n1 overlay_bytes)" 1234 "overlay size: the bytes written"
poke_n1 # a request to n1's root just now: it is up
t_is "$(nb_node n1 up) $(nb_node n2 up)" "true false" "n1 is up, n2 (never used) is not"
t_is "$(nb_node n2 last_boot) $(nb_node n2 tftp_bytes) $(nb_node n2 overlay_bytes)" "null 0 0" \
	"n2: no boot, no TFTP bytes, empty overlay"
poke_n1
table=$(ctl status)
t_like "$(head -n 1 <<<"$table")" '^NODE +IMAGE +GEN +NEWER +LAST-BOOT +TFTP-BYTES +OVERLAY +QUOTA +UP$' \
	"the status table's header"
bootstr=$(date -u -d "@$boot" +%Y-%m-%dT%H:%M:%SZ)
t_like "$(grep '^n1 ' <<<"$table")" "^n1 +os-a +$gen +- +$bootstr +2\.0M +1\.2K +12K/- +yes$" \
	"n1's row (QUOTA: etc/ and its two files take a 4 KiB block each, no quota)"
t_like "$(grep '^n2 ' <<<"$table")" "^n2 +os-a +$gen +- +- +0 +0 +0/- +no$" "n2's row"
t_like "$table" $'\n'"GEN +IMAGE +SIZE +REFS +NEWEST +PINNED-BY"$'\n'"$gen +os-a +[0-9.]+M +[0-9]+ +yes +n1,n2,\(tftp root\)" \
	"the open generations, with who pins them"

# ---- node reset ----------------------------------------------------------
poke_n1
out=$(ctl node reset n1 2>&1)
t_is "$?" 1 "node reset of an up node fails"
t_like "$out" "^netbootctl: node reset: node n1 is up \(.*\); use --force" "saying why"
t_is "$(cat "$NB/overlays/n1/etc/thousand" | wc -c)" 1000 "its overlay is untouched"
t_is "$(ctl node reset --force n1)" "node n1: overlay emptied" "--force resets it"
t_is "$(ls -A "$NB/overlays/n1")" "" "the overlay directory is empty"
t_fails "the node's root no longer shows the file" stat "$NB/nfs/n1/etc/thousand"
t_is "$(nb_node n1 overlay_bytes)" 0 "status: overlay size 0"
t_ok "the daemon logged it" nb_log_has "node n1: overlay reset while the node is up \(forced\)"

echo idle >"$NB/nfs/n1/etc/idle-test"
t_ok "n1 is no longer up after 2 * boot_gap without requests" \
	wait_for "[ \"\$(nb_node n1 up)\" = false ]" 15
t_is "$(ctl node reset n1)" "node n1: overlay emptied" "then reset needs no --force"
t_is "$(ls -A "$NB/overlays/n1")" "" "and empties the overlay"
out=$(ctl node reset n9 2>&1)
t_is "$?" 1 "an unknown node fails"
t_like "$out" "node reset: no node 'n9' in $NB_CONF" "naming it"

# ---- without the daemon ----------------------------------------------------
t_ok "daemon stops cleanly" nb_stop
t_ok "the socket is gone" test ! -e "$SOCK"
mkdir -p "$NB/overlays/n2/etc/sub"
echo x >"$NB/overlays/n2/etc/sub/file"
ln -s /etc/passwd "$NB/overlays/n2/etc/link"
mknod "$NB/overlays/n2/etc/whiteout" c 0 0
t_is "$(ctl node reset n2)" "node n2: overlay emptied (netbootfs is not running)" \
	"node reset works without the daemon"
t_is "$(ls -A "$NB/overlays/n2")" "" "files, links, whiteouts and dirs are gone"
t_ok "the overlay directory itself stays" test -d "$NB/overlays/n2"
t_ok "and the link's target is untouched" test -s /etc/passwd
done_testing
