#!/bin/bash
# SPDX-License-Identifier: MIT
# No config value can inject into a generated file (issue 17 point 4). Each
# hostile value is either refused by `check` (exit 1, FILE:LINE: and the
# format that cannot hold it; the daemon's loader is the same code) or
# written by every generator so that the format's own parser reads it back
# exactly: exports decoded as nfs-utils' xgettok() does, Ganesha strings as
# its lexer does, dnsmasq by `dnsmasq --test`, units by systemd-analyze.
. "$(dirname "$0")/../lib/test-lib.sh"

. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd python3 mksquashfs
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/state" "$T/images" "$T/tree/boot"
echo kernel >"$T/tree/boot/kernel8.img"
echo firmware >"$T/tree/boot/start4.elf"
fixture_squash "$T/tree" "$T/images/raspios.sqfs"

# ---- values check refuses -------------------------------------------------
# refused KEY VALUE MESSAGE [SECTION]: KEY = VALUE on line 3 of its section.
refused()
{
	local key=$1 value=$2 msg=$3 section=${4:-server} f=$T/bad.ini g out
	{
		if [ "$section" = server ]; then
			echo "[server]"
			echo "state = $T/state"
			printf '%s = %s\n' "$key" "$value"
			echo "[node:rpi-01]"
		else
			echo "[node:rpi-01]"
			echo "ip = 10.251.0.51"
			printf '%s = %s\n' "$key" "$value"
			echo "[server]"
			echo "state = $T/state"
		fi
		echo "images = $T/images"
		echo "[defaults]"
		echo "image = raspios"
	} >"$f"
	"$NETBOOTCTL" -c "$f" check >"$T/out" 2>"$T/err"
	t_is "$?" 1 "check refuses $key = $(printf '%q' "$value"): exit 1"
	t_ok "... $msg" grep -qxF -- "$f:3: $msg" "$T/err" ||
		diag "stderr: $(cat "$T/err")"
	for g in dnsmasq exports ganesha systemd; do
		"$NETBOOTCTL" -c "$f" gen $g >"$T/out" 2>/dev/null
		out=$?
		[ "$out" = 1 ] && [ ! -s "$T/out" ] || break
	done
	t_is "$g:$out:$(wc -c <"$T/out")" "systemd:1:0" "... and no generator writes anything"
}

K="a kernel command line (nfsroot=)"
refused nfs_root "/srv/nfs *(rw,no_root_squash,insecure) /x" \
	"nfs_root: a space cannot be written in $K"
refused nfs_root "$T/a\"b" "nfs_root: a double quote cannot be written in $K"
refused nfs_root "$T/a,vers=4" "nfs_root: a comma cannot be written in $K"
refused nfs_root "$T/a%sb" "nfs_root: a percent sign cannot be written in $K"
refused nfs_root "$T/a	b" "nfs_root: a tab cannot be written in $K"
refused nfs_root "$T/a"$'\r'"b" "nfs_root: a control character cannot be written in $K"
refused tftp_root "$T/a"$'\x01'"b" "tftp_root: a control character cannot be written in a dnsmasq config"
refused tftp_root "$T/$(printf 'a%.0s' {1..1000})" \
	"tftp_root: a value of more than 1000 bytes cannot be written in a dnsmasq config"
refused interface "e"$'\x02' "interface: a control character cannot be written in a dnsmasq config"
for c in '10.251.0.0/24#x' '*(rw)' 'a"b' 'a{b}' "x'y" 'a\b' 'a=b' 'a%b' 'a$b'; do
	refused clients "$c" "bad value for clients: '$c' (expected a host, network or wildcard for /etc/exports and a Ganesha config: letters, digits and . - _ * ? / : @ [ ] !)"
done
refused cmdline "quiet"$'\x01' "cmdline: a control character cannot be written in a kernel command line" node

# The daemon loads its config with the same code: it refuses to start.
if [ -x "$NETBOOTFS" ]; then
	printf '[server]\nstate = %s\nnfs_root = /srv/nfs *(rw) /x\n' "$T/state" >"$T/daemon.ini"
	timeout 20 "$NETBOOTFS" -f -c "$T/daemon.ini" >"$T/out" 2>&1
	t_is "$?" 1 "netbootfs refuses to start on such a config"
	t_ok "... naming FILE:LINE and the format" \
		grep -qF "daemon.ini:3: nfs_root: a space cannot be written in $K" "$T/out"
else
	skip "no $NETBOOTFS" 2
fi

# ---- values every generator writes faithfully ---------------------------
NFS="$T/n#s*(rw)\\b'{x}!\$y"
TFTP="$T/t f\"t,#%\$\\x	y"
IFACE='e"#%$0'
mkdir -p "$NFS" "$TFTP"
cat >"$T/g.ini" <<INI
[server]
tftp_root = $TFTP
nfs_root = $NFS
images = $T/images
state = $T/state
address = 10.251.0.1
clients = 10.251.0.0/24
interface = $IFACE
[defaults]
image = raspios
cmdline = quiet "a b"
[node:rpi-01]
mac = dc:a6:32:12:34:56
ip = 10.251.0.51
[node:rpi-02]
serial = 2b3c4d5e
INI
ctl() { "$NETBOOTCTL" -c "$T/g.ini" "$@"; }
ctl check >"$T/out" 2>"$T/err"
t_is "$?:$(cat "$T/out")" "0:ok: 2 nodes, 1 images" "check accepts the values every format can hold" ||
	diag "stderr: $(cat "$T/err")"

# exports: the exact lines, and the paths as nfs-utils decodes them.
ctl gen exports >"$T/exports" 2>"$T/err"
t_is "$?" 0 "gen exports: exit 0"
E="$T/n\\043s*(rw)\\134b'{x}!\$y"
t_is "$(grep -v '^#' "$T/exports")" \
"$E/rpi-01 10.251.0.51(rw,sync,no_subtree_check,no_root_squash,fsid=1)
$E/rpi-02 10.251.0.0/24(rw,sync,no_subtree_check,no_root_squash,fsid=2)" \
	"gen exports: exactly one line per node, the path in \\ooo escapes"
decode_exports()
{
	python3 - "$1" <<'PY'
import sys
# nfs-utils support/nfs/xio.c: xgettok() ends a token at white space outside
# quotes, drops '"' (toggling quoting) and decodes \ooo; xskip() skips '#'
# comments between tokens.
for line in open(sys.argv[1], "rb").read().split(b"\n"):
    toks, tok, q, i = [], bytearray(), False, 0
    if line.lstrip().startswith(b"#"):
        continue
    while i < len(line):
        c = line[i]
        if c == 0x22:
            q = not q
        elif not q and chr(c).isspace():
            if tok: toks.append(bytes(tok)); tok = bytearray()
        else:
            tok.append(c)
            if (len(tok) >= 4 and tok[-4] == 0x5c and
                    all(0x30 <= d <= 0x37 for d in tok[-3:])):
                v = int(tok[-3:].decode(), 8)
                del tok[-4:]
                tok.append(v)
        i += 1
    if tok: toks.append(bytes(tok))
    if toks:
        print(" | ".join(t.decode("latin-1") for t in toks))
PY
}
t_is "$(decode_exports "$T/exports")" \
"$NFS/rpi-01 | 10.251.0.51(rw,sync,no_subtree_check,no_root_squash,fsid=1)
$NFS/rpi-02 | 10.251.0.0/24(rw,sync,no_subtree_check,no_root_squash,fsid=2)" \
	"gen exports: decoded as exportfs does, path and client exact, nothing more"

# Ganesha: Path and Pseudo read back through its lexer's rules.
ctl gen ganesha >"$T/ganesha.conf" 2>"$T/err"
t_is "$?" 0 "gen ganesha: exit 0"
G="\"$T/n#s*(rw)\\\\b'{x}!\$y"
t_is "$(grep -E '^	(Path|Pseudo) = ' "$T/ganesha.conf")" \
"	Path = $G/rpi-01\";
	Pseudo = $G/rpi-01\";
	Path = $G/rpi-02\";
	Pseudo = $G/rpi-02\";" "gen ganesha: paths as quoted strings, \\ escaped"
decode_ganesha()
{
	python3 - "$1" <<'PY'
import re, sys
# conf_lex.l: comments '#' to end of line outside strings; DQUOTE is
# "(\\.|[^"])*"; save_token() turns \n \t \r into controls, \X into X.
text = open(sys.argv[1], "rb").read().decode("latin-1")
tok = re.compile(r'"((?:\\.|[^"])*)"|#[^\n]*|([^"#]+)', re.S)
stmts, cur = [], ""
for m in tok.finditer(text):
    if m.group(1) is not None:
        s = re.sub(r"\\(.)", lambda e: {"n": "\n", "t": "\t", "r": "\r"}.get(e.group(1), e.group(1)), m.group(1), flags=re.S)
        cur += "\x00" + s + "\x00"
    elif m.group(2) is not None:
        for ch in m.group(2):
            if ch in ";{}":
                stmts.append(cur.strip()); cur = ""
            else:
                cur += ch
for s in stmts:
    k, _, v = s.partition("=")
    if k.strip() in ("Path", "Pseudo"):
        print(k.strip(), v.strip().strip("\x00"))
PY
}
t_is "$(decode_ganesha "$T/ganesha.conf")" "Path $NFS/rpi-01
Pseudo $NFS/rpi-01
Path $NFS/rpi-02
Pseudo $NFS/rpi-02" "gen ganesha: the lexer reads the exact paths back, one statement each"

# dnsmasq: quoted values, nothing split, nothing commented out.
ctl gen dnsmasq --hook "$T/h o\"k#,x.sh" >"$T/dnsmasq.conf" 2>"$T/err"
t_is "$?" 0 "gen dnsmasq: exit 0"
t_is "$(grep -E '^(tftp-root|interface|dhcp-script)=' "$T/dnsmasq.conf")" \
"interface=\"e\\\"#%\$0\"
tftp-root=\"$T/t f\\\"t,#%\$\\\\x\\ty\"
dhcp-script=\"$T/h o\\\"k#,x.sh\"" "gen dnsmasq: tftp-root, interface and dhcp-script quoted"
if command -v dnsmasq >/dev/null; then
	t_ok "dnsmasq --test accepts it" dnsmasq --test --conf-file="$T/dnsmasq.conf"
else
	skip "no dnsmasq"
fi
"$NETBOOTCTL" -c "$T/g.ini" gen dnsmasq --hook "$T/a"$'\x01'"b" >"$T/out" 2>"$T/err"
t_is "$?:$(wc -c <"$T/out")" "1:0" "gen dnsmasq --hook with a control character: exit 1, nothing written"
t_like "$(cat "$T/err")" "--hook: a control character cannot be written in a dnsmasq config" \
	"... naming the option and the format"

# systemd: arguments quoted, % and $ doubled, the config path C-escaped.
CFG="$T/c f\"g%\$.ini"
cp "$T/g.ini" "$CFG"
mkdir -p "$T/units"
"$NETBOOTCTL" -c "$CFG" gen systemd --dir "$T/units" 2>"$T/err"
t_is "$?" 0 "gen systemd: exit 0"
u=$T/units/netbootfs.service
t_is "$(grep '^ExecStart=' "$u")" \
	"ExecStart=/usr/local/sbin/netbootfs -f -c \"$T/c f\\\"g%%\$\$.ini\"" \
	"netbootfs.service: the config path quoted, % and \$ doubled"
t_is "$(grep '^Environment=' "$T/units/dnsmasq.service.d/netbootfs.conf")" \
	"Environment=\"NETBOOTFS_CONFIG=$T/c f\\\"g%%\$.ini\"" \
	"dnsmasq drop-in: the config path in Environment= (no \$ expansion there)"
if command -v systemd-analyze >/dev/null; then
	systemd-analyze verify "$u" >"$T/verify" 2>&1
	t_is "$(grep -v -e 'is not executable' -e 'No such file' -e "Command 'man netboot" -e '^$' "$T/verify")" "" \
		"systemd-analyze verify: no complaint but the uninstalled binaries"
else
	skip "no systemd-analyze"
fi

# ---- the config path itself ----------------------------------------------
# Every generator names the config in a comment: a newline in its path must
# not start a line of its own.
EVIL="$T/cfg
/ *(rw,no_root_squash)
dhcp-script="
mkdir -p "$EVIL"
cp "$T/g.ini" "$EVIL/x.ini"
for g in exports ganesha dnsmasq systemd; do
	"$NETBOOTCTL" -c "$EVIL/x.ini" gen $g >"$T/$g.evil" 2>"$T/err"
	t_is "$?" 0 "gen $g with a newline in the config path: exit 0"
	t_is "$(grep -cE '^(/ \*\(rw|dhcp-script=/x.ini)' "$T/$g.evil")" 0 \
		"gen $g: the config path cannot start a line"
done
t_is "$(grep -v '^#' "$T/exports.evil")" "$(grep -v '^#' "$T/exports")" \
	"gen exports: still exactly the node lines"
t_is "$(grep -c '^dhcp-script=' "$T/dnsmasq.evil")" 1 "gen dnsmasq: one dhcp-script line"

done_testing
