#!/bin/bash
# make install: binaries, man pages, configs, hook and systemd units, under
# DESTDIR and PREFIX; the binaries name the installed paths even when the
# build ran with another PREFIX (issue 19: `make` then `make install
# PREFIX=/usr` named /usr/local).
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd make
D=$T/inst
B=$T/build # its own build dir: a PREFIX change must not rebuild $NB_BUILD
t_ok "make (default PREFIX)" make -s -j2 -C "$SRCDIR" O="$B" all
t_ok "make install DESTDIR PREFIX=/usr" \
	make -s -j2 -C "$SRCDIR" install O="$B" DESTDIR="$D" PREFIX=/usr
for f in usr/sbin/netbootfs usr/sbin/netbootctl usr/share/man/man8/netbootfs.8 \
	usr/share/man/man8/netbootctl.8 usr/share/man/man5/netbootfs.ini.5 \
	etc/netbootfs/netbootfs.ini.example etc/netbootfs/netbootfs.ini \
	usr/share/netbootfs/dnsmasq-hook.sh usr/lib/systemd/system/netbootfs.service \
	usr/share/netbootfs/systemd/dnsmasq.service.d/netbootfs.conf \
	usr/share/netbootfs/systemd/nfs-server.service.d/netbootfs.conf \
	usr/share/netbootfs/systemd/nfs-ganesha.service.d/netbootfs.conf; do
	t_ok "installed: $f" test -s "$D/$f"
done
t_is "$(find "$D/usr/lib/systemd/system" -name '*.d' | wc -l)" 0 \
	"the drop-ins are opt-in: none installed where systemd reads them"
t_is "$(stat -c %a "$D/var/lib/netbootfs/overlays")" 700 "overlays: root only"
t_ok "binaries are executable" test -x "$D/usr/sbin/netbootfs" -a -x "$D/usr/sbin/netbootctl"
t_is "$(grep '^ExecStart=' "$D/usr/lib/systemd/system/netbootfs.service")" \
	"ExecStart=/usr/sbin/netbootfs -f -c /etc/netbootfs/netbootfs.ini" \
	"the unit starts the installed daemon on the installed config"
t_is "$(grep -rl "$D" "$D/usr/lib/systemd" "$D/usr/share/netbootfs" | wc -l)" 0 \
	"no DESTDIR path leaks into the units"
t_ok "netbootfs is ordered before dnsmasq and nfs-server" \
	grep -q '^Before=dnsmasq.service nfs-server.service' "$D/usr/lib/systemd/system/netbootfs.service"

# The installed binaries generate installed paths, not the build's PREFIX.
sed "s|/var/lib/netbootfs|$T/var|; s|^address *=.*|address = 10.0.0.1|" \
	"$D/etc/netbootfs/netbootfs.ini" >"$T/n.ini"
mkdir -p "$T/var/images" "$T/var/state"
"$D/usr/sbin/netbootctl" -c "$T/n.ini" gen dnsmasq >"$T/dnsmasq.conf"
t_is "$(grep '^dhcp-script=' "$T/dnsmasq.conf")" \
	"dhcp-script=/usr/share/netbootfs/dnsmasq-hook.sh" "gen dnsmasq: the installed hook"
"$D/usr/sbin/netbootctl" -c "$T/n.ini" gen systemd >"$T/units"
t_is "$(grep '^ExecStart=' "$T/units")" "ExecStart=/usr/sbin/netbootfs -f -c $T/n.ini" \
	"gen systemd: the installed daemon"
t_is "$(grep -c /usr/local "$T/dnsmasq.conf" "$T/units" | cut -d: -f2 | sort -u)" 0 \
	"no /usr/local left in generated files"
t_like "$("$D/usr/sbin/netbootctl" --help)" "gen dnsmasq" "installed netbootctl runs"

# The default config: no nodes, no made-up address, and check accepts it.
t_is "$(grep -c '^\[node:' "$D/etc/netbootfs/netbootfs.ini")" 0 "default config: no nodes"
t_is "$(grep '^address' "$D/etc/netbootfs/netbootfs.ini" | sed 's/ *;.*//; s/ //g')" "address=" \
	"default config: no address until the admin fills it in"
sed "s|/var/lib/netbootfs|$T/var|" "$D/etc/netbootfs/netbootfs.ini" >"$T/default.ini"
"$D/usr/sbin/netbootctl" -c "$T/default.ini" check >"$T/out" 2>&1
t_is "$?" 0 "check accepts the default config"
t_like "$(cat "$T/out")" "ok: 0 nodes, 0 images" "... and says there is nothing yet"
t_like "$(cat "$T/out")" "hint: .*address.*node" "... with a hint of what to fill in"
done_testing
