#!/bin/bash
# make install: binaries, man pages, example config, hook and systemd units,
# under DESTDIR and PREFIX.
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd make
D=$T/inst
t_ok "make install DESTDIR PREFIX=/usr" \
	make -s -C "$SRCDIR" install O="$NB_BUILD" DESTDIR="$D" PREFIX=/usr
for f in usr/sbin/netbootfs usr/sbin/netbootctl usr/share/man/man8/netbootfs.8 \
	usr/share/man/man8/netbootctl.8 usr/share/man/man5/netbootfs.ini.5 \
	etc/netbootfs/netbootfs.ini.example etc/netbootfs/netbootfs.ini \
	usr/share/netbootfs/dnsmasq-hook.sh usr/lib/systemd/system/netbootfs.service \
	usr/lib/systemd/system/dnsmasq.service.d/netbootfs.conf \
	usr/lib/systemd/system/nfs-server.service.d/netbootfs.conf; do
	t_ok "installed: $f" test -s "$D/$f"
done
t_ok "binaries are executable" test -x "$D/usr/sbin/netbootfs" -a -x "$D/usr/sbin/netbootctl"
t_is "$(grep '^ExecStart=' "$D/usr/lib/systemd/system/netbootfs.service")" \
	"ExecStart=/usr/sbin/netbootfs -f -c /etc/netbootfs/netbootfs.ini" \
	"the unit starts the installed daemon on the installed config"
t_is "$(grep -rl "$D" "$D/usr/lib/systemd" | wc -l)" 0 "no DESTDIR path leaks into the units"
t_ok "netbootfs is ordered before dnsmasq and nfs-server" \
	grep -q '^Before=dnsmasq.service nfs-server.service' "$D/usr/lib/systemd/system/netbootfs.service"
t_ok "the installed config loads" "$D/usr/sbin/netbootctl" -c "$D/etc/netbootfs/netbootfs.ini" nodes
done_testing
