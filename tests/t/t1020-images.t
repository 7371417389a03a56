#!/bin/bash
# SPDX-License-Identifier: MIT
# netbootctl images / image verify: sizes, compression, persistent
# generation ids; verify of good, truncated and corrupted images.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"

require_cmd mksquashfs python3
[ -x "$NETBOOTCTL" ] || skip_all "no $NETBOOTCTL (build first)"

mkdir -p "$T/a/etc" "$T/b/data" "$T/images" "$T/state"
echo a >"$T/a/etc/variant"
fixture_bytes 1048576 1 >"$T/b/data/big.bin"
echo b >"$T/b/variant"
fixture_squash "$T/a" "$T/images/alpha.sqfs"
fixture_squash "$T/b" "$T/images/beta.sqfs" -comp xz -b 131072
cat >"$T/i.ini" <<INI
[server]
images = $T/images
state = $T/state
[defaults]
image = alpha
INI
ctl() { "$NETBOOTCTL" -c "$T/i.ini" "$@"; }
# No sanitizer report may appear on stderr (the SAN build aborts on UB, but
# leaks and such are only printed).
no_san() { ! grep -E 'AddressSanitizer|LeakSanitizer|runtime error' "$1"; }

# bytes_used from the squashfs superblock (u64 at offset 40).
bytes_used() { python3 -c 'import struct,sys; d=open(sys.argv[1],"rb").read(48); print(struct.unpack_from("<Q", d, 40)[0])' "$1"; }

size_a=$(stat -c %s "$T/images/alpha.sqfs")
size_b=$(stat -c %s "$T/images/beta.sqfs")

ctl images --json >"$T/1.json" 2>"$T/err"; rc=$?
t_is "$rc" 0 "images --json: exit 0"
t_ok "images: no sanitizer report" no_san "$T/err"
check=$(python3 - "$T/1.json" "$size_a" "$size_b" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
sa, sb = int(sys.argv[2]), int(sys.argv[3])
bad = []
if [i["name"] for i in v] != ["alpha", "beta"]:
    bad.append("names %r" % [i.get("name") for i in v])
else:
    a, b = v
    for img, size, comp in ((a, sa, "gzip"), (b, sb, "xz")):
        if set(img) != {"name", "size", "compression", "generation", "pinned_by"}:
            bad.append("keys %r" % sorted(img))
        if img["size"] != size: bad.append("%s size %r != %d" % (img["name"], img["size"], size))
        if img["compression"] != comp: bad.append("%s compression %r" % (img["name"], img["compression"]))
        if not isinstance(img["generation"], int) or not 1 <= img["generation"] <= 4095:
            bad.append("%s generation %r" % (img["name"], img["generation"]))
        if img["pinned_by"] != []: bad.append("pinned_by %r" % img["pinned_by"])
    if a["generation"] == b["generation"]: bad.append("same generation for both")
print("; ".join(bad) or "ok")
PY
)
t_is "$check" "ok" "images --json: name, size, compression, generation, pinned_by"
gen() { python3 -c 'import json,sys; print({i["name"]: i["generation"] for i in json.load(open(sys.argv[1]))}[sys.argv[2]])' "$@"; }
gen_a=$(gen "$T/1.json" alpha)
gen_b=$(gen "$T/1.json" beta)

ctl images --json >"$T/2.json"
t_is "$(gen "$T/2.json" alpha) $(gen "$T/2.json" beta)" "$gen_a $gen_b" \
	"generation ids are the same on a second run"

out=$(ctl images)
t_is "$(head -n1 <<<"$out")" "NAME   SIZE  COMPRESSION  GENERATION  PINNED-BY" "images: header"
t_is "$(awk 'NR > 1 { print $1, $3, $4, $5 }' <<<"$out")" "alpha gzip $gen_a -
beta xz $gen_b -" "images: rows"
t_like "$(awk '$1 == "beta" { print $2 }' <<<"$out")" '^[0-9.]+K$' "images: SIZE in binary units"

# A new file renamed over beta is a new generation, and stays so.
rm -rf "$T/b/variant"; echo b2 >"$T/b/variant"
fixture_squash "$T/b" "$T/beta.new" -comp xz -b 131072 -mkfs-time 1700000999
mv "$T/beta.new" "$T/images/beta.sqfs"
ctl images --json >"$T/3.json"
gen_b2=$(gen "$T/3.json" beta)
t_ok "replaced image: new generation id ($gen_b -> $gen_b2)" [ "$gen_b2" != "$gen_b" ]
t_is "$(gen "$T/3.json" alpha)" "$gen_a" "replaced image: the other keeps its id"
ctl images --json >"$T/4.json"
t_is "$(gen "$T/4.json" beta)" "$gen_b2" "replaced image: new id persists"

# A broken file is named on stderr and left out; the listing still works.
head -c 8192 /dev/urandom >"$T/images/junk.sqfs"
ctl images >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 0 "images with a junk file: exit 0"
t_like "$(cat "$T/err")" "^netbootctl: $T/images/junk.sqfs: " "images: junk file named on stderr"
t_is "$(awk 'NR > 1 { print $1 }' "$T/out" | tr '\n' ' ')" "alpha beta " "images: junk file not listed"
rm -f "$T/images/junk.sqfs"

# image verify by name, by path, by a relative NAME.sqfs
out=$(ctl image verify alpha 2>"$T/err"); rc=$?
t_is "$rc" 0 "verify by name: exit 0"
t_is "$out" "ok: $T/images/alpha.sqfs ($(bytes_used "$T/images/alpha.sqfs") bytes verified)" \
	"verify by name: ok line with bytes"
t_ok "verify: no sanitizer report" no_san "$T/err"
out=$(cd "$T/images" && "$NETBOOTCTL" -c /nonexistent image verify beta.sqfs 2>"$T/err"); rc=$?
t_is "$rc" 0 "verify NAME.sqfs as a file, no config needed: exit 0"
t_is "$out" "ok: beta.sqfs ($(bytes_used "$T/images/beta.sqfs") bytes verified)" "... ok line"

# Truncated by one byte.
cp "$T/images/alpha.sqfs" "$T/trunc.sqfs"
truncate -s -1 "$T/trunc.sqfs"
ctl image verify "$T/trunc.sqfs" >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "truncated image: exit 1"
t_like "$(cat "$T/err")" "^netbootctl: $T/trunc.sqfs: .+" "truncated image: message names file and problem"
diag "truncated: $(cat "$T/err")"
t_is "$(cat "$T/out")" "" "truncated image: no ok line"
t_ok "truncated image: no sanitizer report" no_san "$T/err"

# One corrupted data block: beta's first block of big.bin starts right after
# the 96-byte superblock; xz checks its data, so garbage there is detected.
cp "$T/images/beta.sqfs" "$T/corrupt.sqfs"
printf 'CORRUPTCORRUPTCORRUPT' | dd of="$T/corrupt.sqfs" bs=1 seek=300 conv=notrunc status=none
ctl image verify "$T/corrupt.sqfs" >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "corrupt data block: exit 1"
t_like "$(cat "$T/err")" "^netbootctl: $T/corrupt.sqfs: .*big\.bin" \
	"corrupt data block: message names the file inside the image"
diag "corrupt: $(cat "$T/err")"
t_ok "corrupt data block: no sanitizer report" no_san "$T/err"

ctl image verify nosuch >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 1 "verify of a missing image: exit 1"
t_like "$(cat "$T/err")" "^netbootctl: $T/images/nosuch.sqfs: " "... names the path"

ctl image verify >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "image verify without argument: exit 2"
ctl image >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "image without subcommand: exit 2"
ctl image frob x >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "image frob: exit 2"
ctl images --json extra >"$T/out" 2>"$T/err"; rc=$?
t_is "$rc" 2 "images extra: exit 2"

done_testing
