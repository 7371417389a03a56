#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl nodes / node show: table and JSON, field by field.
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd python3
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/images" "$T/state"
# Line numbers matter: node show reports them.
cat >"$T/n.ini" <<INI
[server]
images = $T/images
state = $T/state
clients = 10.251.0.0/24
[defaults]
image = raspios-arm64
cmdline = quiet
[profile:workers]
image = ubuntu-arm64
overlay = volatile
[node:rpi-01]
serial = 1A2B3C4D
mac = DC:A6:32:12:34:56
ip = 10.251.0.51
[node:rpi-02]
profile = workers
serial = 0x2b3c4d5e
[node:rpi-03]
mac = e4-5f-01-00-00-03
layers = common
INI
ctl() { "$NETBOOTCTL" -c "$T/n.ini" "$@"; }

out=$(ctl nodes 2>"$T/err"); rc=$?
t_is "$rc" 0 "nodes: exit 0"
t_is "$out" "NAME    SERIAL    MAC                IP           IMAGE          OVERLAY
rpi-01  1a2b3c4d  dc-a6-32-12-34-56  10.251.0.51  raspios-arm64  persistent
rpi-02  2b3c4d5e  -                  -            ubuntu-arm64   volatile
rpi-03  -         e4-5f-01-00-00-03  -            raspios-arm64  persistent" \
	"nodes: table in config order, normalised ids, no SLOT without state"
t_is "$(cat "$T/err")" "" "nodes: nothing on stderr"

ctl nodes --json >"$T/nodes.json"; rc=$?
t_is "$rc" 0 "nodes --json: exit 0"
check=$(python3 - "$T/nodes.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
want = [
    dict(name="rpi-01", serial="1a2b3c4d", mac="dc-a6-32-12-34-56", ip="10.251.0.51",
         image="raspios-arm64", overlay="persistent", slot=None),
    dict(name="rpi-02", serial="2b3c4d5e", mac=None, ip=None,
         image="ubuntu-arm64", overlay="volatile", slot=None),
    dict(name="rpi-03", serial=None, mac="e4-5f-01-00-00-03", ip=None,
         image="raspios-arm64", overlay="persistent", slot=None),
]
if not isinstance(v, list) or len(v) != 3:
    print("want an array of 3, got", v); sys.exit()
for got, exp in zip(v, want):
    if set(got) != set(exp):
        print(exp["name"], "keys", sorted(got)); continue
    for k in exp:
        if got[k] != exp[k]:
            print(exp["name"], k, repr(got[k]), "!=", repr(exp[k]))
print("ok")
PY
)
t_is "$check" "ok" "nodes --json: every field of every node"

# Slots appear once the state holds them (gen exports assigns them).
ctl gen exports >/dev/null 2>"$T/err"
t_is "$(cat "$T/err")" "" "gen exports assigned slots quietly"
out=$(ctl nodes)
t_is "$(head -n1 <<<"$out")" \
	"NAME    SERIAL    MAC                IP           IMAGE          OVERLAY     SLOT" \
	"nodes: SLOT column once state exists"
t_is "$(awk 'NR > 1 { print $1, $7 }' <<<"$out")" "rpi-01 1
rpi-02 2
rpi-03 3" "nodes: slots in config order"
t_is "$(ctl nodes --json | python3 -c 'import json,sys; print([n["slot"] for n in json.load(sys.stdin)])')" \
	"[1, 2, 3]" "nodes --json: slot numbers"

# node show: value and origin of every key.
out=$(ctl node show rpi-02 2>"$T/err"); rc=$?
t_is "$rc" 0 "node show: exit 0"
t_is "$out" "name      rpi-02                                                    [node:rpi-02] line 15
image     ubuntu-arm64                                              [profile:workers] line 9
overlay   volatile                                                  [profile:workers] line 10
cmdline   quiet                                                     [defaults] line 7
boot_dir  auto                                                      [built-in]
boot      pi                                                        [built-in]
layers    -                                                         [built-in]
quota     unlimited                                                 [built-in]
upgrade   keep                                                      [built-in]
persist   /home,/root,/etc/ssh/ssh_host_*,/etc/machine-id,/var/log  [built-in]
model     -                                                         [built-in]
serial    2b3c4d5e                                                  [node:rpi-02] line 17
mac       -                                                         [built-in]
ip        -                                                         [built-in]
profile   workers                                                   [node:rpi-02] line 16" "node show: every key with section and line"

ctl node show rpi-03 --json >"$T/show.json"; rc=$?
t_is "$rc" 0 "node show --json: exit 0"
check=$(python3 - "$T/show.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
exp = {"image": ("raspios-arm64", "defaults", 6),
       "layers": ("common", "node:rpi-03", 20),
       "mac": ("e4-5f-01-00-00-03", "node:rpi-03", 19),
       "overlay": ("persistent", "built-in", 0),
       "quota": ("unlimited", "built-in", 0),
       "boot": ("pi", "built-in", 0),
       "upgrade": ("keep", "built-in", 0),
       "persist": ("/home,/root,/etc/ssh/ssh_host_*,/etc/machine-id,/var/log", "built-in", 0)}
bad = []
if v.get("name") != "rpi-03" or v.get("line") != 18:
    bad.append("name/line %r %r" % (v.get("name"), v.get("line")))
for k, (val, sec, line) in exp.items():
    e = v["keys"].get(k)
    if e != {"value": val, "section": sec, "line": line}:
        bad.append("%s: %r" % (k, e))
if len(v["keys"]) != 14:
    bad.append("keys: %r" % sorted(v["keys"]))
print("; ".join(bad) or "ok")
PY
)
t_is "$check" "ok" "node show --json: value, section and line per key"

ctl node show nosuch >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "node show of an unknown node: exit 1"
t_is "$(cat "$T/err")" "netbootctl: node show: no node 'nosuch' in $T/n.ini" "... and says so"
ctl node show >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "node show without a name: exit 2"
ctl node show a b >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "node show with two names: exit 2"
ctl node >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "node without a subcommand: exit 2"
ctl node frob >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "node frob: exit 2"
ctl nodes --bogus >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "nodes --bogus: exit 2"
ctl nodes extra >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "nodes extra: exit 2"
"$NETBOOTCTL" -c "$T/missing.ini" nodes >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "nodes with a missing config: exit 1"

done_testing
