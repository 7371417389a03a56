#!/bin/bash
# SPDX-License-Identifier: MIT
# Smoke test of the installed Debian package (CI runs it after
# `apt install ./build/deb/netbootfs_*.deb`): the installed binaries and
# unit, the default config, generated files naming installed paths only,
# systemd-analyze verify of the unit and the opt-in drop-ins, and lintian
# without errors on the .deb given as $1.
#   tests/deb-smoke.sh build/deb/netbootfs_VERSION_ARCH.deb
. "$(dirname "$0")/lib/test-lib.sh"

DEB=${1:-}
CTL=/usr/sbin/netbootctl
UNIT=/lib/systemd/system/netbootfs.service
SHARE=/usr/share/netbootfs
v=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$SRCDIR/debian/changelog")

t_is "$(dpkg-query -W -f='${Status} ${Version}' netbootfs 2>&1)" "install ok installed $v" \
	"netbootfs $v is installed"
t_is "$("$CTL" --version)" "netbootctl $v" "installed netbootctl --version"
t_is "$(/usr/sbin/netbootfs --version)" "netbootfs $v" "installed netbootfs --version"
t_ok "man pages installed" test -s /usr/share/man/man8/netbootctl.8.gz -a \
	-s /usr/share/man/man8/netbootfs.8.gz -a -s /usr/share/man/man5/netbootfs.ini.5.gz

# The default config as installed (a conffile), with the package's state dirs.
t_is "$(dpkg-query -W -f='${Conffiles}' netbootfs | awk '{ print $1 }' | sort | tr '\n' ' ')" \
	"/etc/netbootfs/netbootfs.ini /etc/netbootfs/netbootfs.ini.example " \
	"both configs are conffiles"
"$CTL" check >"$T/out" 2>&1
t_is "$?" 0 "netbootctl check accepts the default config"
t_like "$(cat "$T/out")" "^ok: 0 nodes, 0 images" "... nothing to serve yet"
t_like "$(cat "$T/out")" "hint: .*address" "... and says what to fill in"
t_is "$(stat -c %a /var/lib/netbootfs/overlays)" 700 "overlays directory: root only"

# gen names installed files only: every absolute path under /usr exists.
sed 's/^address *=.*/address = 192.0.2.1/' /etc/netbootfs/netbootfs.ini >"$T/n.ini"
"$CTL" -c "$T/n.ini" gen dnsmasq >"$T/dnsmasq.conf"
t_is "$?" 0 "gen dnsmasq on the default config with an address"
t_is "$(grep '^dhcp-script=' "$T/dnsmasq.conf")" "dhcp-script=$SHARE/dnsmasq-hook.sh" \
	"gen dnsmasq: the installed hook"
t_ok "the hook is installed and executable" test -x "$SHARE/dnsmasq-hook.sh"
"$CTL" -c "$T/n.ini" gen systemd >"$T/units"
t_is "$(grep '^ExecStart=' "$T/units")" "ExecStart=/usr/sbin/netbootfs -f -c $T/n.ini" \
	"gen systemd: the installed daemon"
t_is "$(grep -ho '/usr/[^ ;,]*' "$T/dnsmasq.conf" "$T/units" | sort -u |
	while read -r p; do [ -e "$p" ] || echo "$p"; done)" "" \
	"every /usr path in the generated files exists"
t_is "$(grep -c /usr/local "$T/dnsmasq.conf" "$T/units" | cut -d: -f2 | sort -u)" 0 \
	"no /usr/local in the generated files"
t_is "$(grep '^ExecStart=' "$UNIT")" \
	"ExecStart=/usr/sbin/netbootfs -f -c /etc/netbootfs/netbootfs.ini" \
	"the installed unit: the installed daemon, the installed config"

if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$UNIT" >"$T/verify" 2>&1
	t_is "$?:$(cat "$T/verify")" "0:" "systemd-analyze verify $UNIT: no complaint"
	# Each opt-in drop-in on a stand-in for the service it extends.
	for d in "$SHARE"/systemd/*.service.d; do
		s=$(basename "$d" .d)
		mkdir -p "$T/u/$s.d"
		printf '[Service]\nExecStart=/bin/true\n' >"$T/u/$s"
		cp "$d"/netbootfs.conf "$T/u/$s.d/"
		systemd-analyze verify "$T/u/$s" >"$T/verify" 2>&1
		t_is "$?:$(cat "$T/verify")" "0:" "systemd-analyze verify: the $s drop-in"
	done
else
	ok 1 "systemd-analyze is missing"
fi

if [ -n "$DEB" ]; then
	lintian --fail-on error "$DEB" >"$T/lintian" 2>&1
	t_is "$?" 0 "lintian: no errors on $(basename "$DEB")"
	t_is "$(grep '^E:' "$T/lintian")" "" "... none listed"
	diag "lintian: $(grep -c '^[WI]:' "$T/lintian") warnings/info"
fi
done_testing
