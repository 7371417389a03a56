#!/bin/bash
# SPDX-License-Identifier: MIT
# 1,000 damaged images dropped into the images directory of a running
# daemon while two nodes read their good images through their roots and
# the TFTP view: truncations, bit flips aimed at the superblock, the inode,
# directory, fragment, id, export and xattr tables and the compressed data,
# and table pointers zeroed or pointed astray (tests/lib/sqfs_mutate.c
# finds each table from the superblock), over gzip, lz4, zstd, xz and
# uncompressed images. The daemon neither crashes nor reports a sanitizer
# error; the good images keep serving byte-exact; `check` and `image
# verify` exit 0 or 1 (with a reason), never on a signal; a restart with
# every one of them present serves the good images.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs setfattr sha256sum xargs

N=${HOSTILE_IMAGES:-1000}
BATCH=100
MUTATE=$NB_BUILD/tests/sqfs_mutate
SAN_RE='AddressSanitizer|LeakSanitizer|runtime error'

nb_layout

# ---- the good images the nodes read -----------------------------------------
good_tree() # DIR SEED
{
	mkdir -p "$1/boot/firmware" "$1/etc"
	fixture_bytes 400000 "start$2" >"$1/boot/firmware/start4.elf"
	fixture_bytes 1500000 "kernel$2" >"$1/boot/firmware/kernel8.img"
	echo "arm_64bit=1 # $2" >"$1/boot/firmware/config.txt"
	fixture_bytes 5000 "fixup$2" >"$1/boot/firmware/fixup4.dat"
	echo "PRETTY_NAME=\"os-$2\"" >"$1/etc/os-release"
}
good_tree "$T/a" a
good_tree "$T/b" b
nb_image os-a "$T/a"
nb_image os-b "$T/b" -comp zstd -b 65536

NB_BOOT_GAP=2 nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d

	[node:n2]
	image = os-b
	serial = 2b3c4d5e
INI

# path-as-served  expected-source (cmdline.txt and etc/hostname are made
# per node: not the image's bytes)
reads=$T/reads.list
for f in start4.elf kernel8.img config.txt fixup4.dat; do
	echo "tftp/1a2b3c4d/$f $T/a/boot/firmware/$f"
	echo "nfs/n1/boot/firmware/$f $T/a/boot/firmware/$f"
	echo "tftp/2b3c4d5e/$f $T/b/boot/firmware/$f"
	echo "nfs/n2/boot/firmware/$f $T/b/boot/firmware/$f"
done >"$reads"
echo "nfs/n1/etc/os-release $T/a/etc/os-release" >>"$reads"
echo "nfs/n2/etc/os-release $T/b/etc/os-release" >>"$reads"
while read -r served src; do
	echo "$(sha256sum <"$src" | cut -d' ' -f1) $served"
done <"$reads" >"$T/reads.sha"

# Read every served file once; print "ok" or "BAD <path>" per file.
read_all()
{
	local sum served got
	while read -r sum served; do
		got=$(sha256sum <"$NB/$served" 2>/dev/null | cut -d' ' -f1)
		if [ "$got" = "$sum" ]; then echo ok; else echo "BAD $served"; fi
	done <"$T/reads.sha"
}

# ---- the damaged images ---------------------------------------------------
src=$T/src
fixture_every_table "$src" || exit 1
bases=()
for c in gzip lz4 zstd xz; do
	fixture_squash "$src" "$T/$c.sqfs" -comp "$c" -b 4096
	bases+=("$T/$c.sqfs")
done
fixture_squash "$src" "$T/none.sqfs" -noI -noD -noF -noX -b 4096
bases+=("$T/none.sqfs")
mkdir -p "$T/mut"
"$MUTATE" -o "$T/mut" -n "$N" -s 2022 "${bases[@]}" >"$T/manifest" || exit 1
t_is "$(wc -l <"$T/manifest")" "$N" "$N damaged images written"
t_is "$(awk '{print $2}' "$T/manifest" | sort | uniq -c | awk '{print $1}' | sort -u)" \
	"$((N / 10))" "as many of each of the 10 classes"

# ---- drop them in while the nodes read ------------------------------------
t_ok "the daemon starts" nb_start
t_ok "n1's root is mounted" wait_mounted "$NB/nfs/n1" 10
t_ok "n2's root is mounted" wait_mounted "$NB/nfs/n2" 10
t_is "$(read_all | grep -v '^ok$')" "" "before: every file reads byte-exact"

(
	while [ ! -e "$T/readers.stop" ]; do
		read_all >>"$T/reads.out"
	done
) &
readers=$!
at_exit "touch '$T/readers.stop'; stop_pid $readers"

seen_re='images/m[0-9]{4}-[a-z]+-[a-z0-9]+\.sqfs: (refused|image )'
dropped=0
alive=0
while read -r f cls at; do
	cp "$f" "$NB/images/.$(basename "$f").tmp"
	dropped=$((dropped + 1))
	if [ $((dropped % BATCH)) -eq 0 ] || [ "$dropped" -eq "$N" ]; then
		for g in "$NB"/images/.m*.tmp; do
			base=${g##*/.}
			mv "$g" "$NB/images/${base%.tmp}"
		done
		wait_for "[ \$(nb_log_count '$seen_re') -ge $dropped ]" 60
		kill -0 "$NB_PID" 2>/dev/null && alive=$((alive + 1))
	fi
done <"$T/manifest"
t_is "$alive" "$(((N + BATCH - 1) / BATCH))" "the daemon is alive after each batch of $BATCH"
t_is "$(nb_log_count "$seen_re")" "$N" "each damaged image logged once"
grep -Eo 'images/m[0-9]{4}-[a-z]+-[a-z0-9]+\.sqfs: refused: .+' "$NB/netbootfs.log" |
	sed 's|^images/||; s|: refused: | |' | sort >"$T/refused"
refused=$(wc -l <"$T/refused")
note "$refused refused, $((N - refused)) accepted (damage in bytes nothing reads, or that still reads)"
t_fails "every refusal names a reason" grep -Ev '^m[0-9]{4}-[a-z]+-[a-z0-9]+\.sqfs [^ (]' "$T/refused"

touch "$T/readers.stop"
wait "$readers"
t_is "$(grep -v '^ok$' "$T/reads.out" | sort | uniq -c)" "" \
	"every read during the drop-ins was byte-exact"
t_ok "and there were reads: $(grep -c '^ok' "$T/reads.out")" \
	test "$(grep -c '^ok' "$T/reads.out")" -ge "$(wc -l <"$T/reads.sha")"
t_is "$(nb_gens | awk '$2 ~ /^os-/ {print $2}' | sort | tr '\n' ' ')" "os-a os-b " \
	"os-a and os-b are still open"
t_is "$(read_all | grep -v '^ok$')" "" "after: every file reads byte-exact"
t_is "$(nb_status_json | json_get 'scalar @{$j->{refused}}')" "$refused" \
	"status lists every refused file"

# ---- netbootctl check and image verify on them ----------------------------
"$NETBOOTCTL" -c "$NB_CONF" check >/dev/null 2>"$T/check.err"
rc=$?
t_is "$rc" 1 "check exits 1"
grep -Eo 'images/m[0-9]{4}-[a-z]+-[a-z0-9]+\.sqfs: .+' "$T/check.err" |
	sed 's|^images/||; s|: | |' | sort >"$T/check.refused"
# check validates (superblock, tables, root); the daemon also verifies.
t_ok "check names $(wc -l <"$T/check.refused") refused files" test -s "$T/check.refused"
t_is "$(cut -d' ' -f1 "$T/check.refused" | join -v1 - <(cut -d' ' -f1 "$T/refused"))" "" \
	"each of them refused by the daemon too"
t_fails "no sanitizer report from check" grep -Eq "$SAN_RE" "$T/check.err"

verify_one()
{
	local out rc
	out=$("$NETBOOTCTL" -c "$NB_CONF" image verify "$1" 2>&1 >/dev/null)
	rc=$?
	printf '%s %s %s\n' "${1##*/}" "$rc" "$(printf '%s' "$out" | grep -Ec "$SAN_RE")"
}
export -f verify_one
export NETBOOTCTL NB_CONF SAN_RE T
ls "$NB"/images/m*.sqfs | xargs -P2 -n1 bash -c 'verify_one "$1"' _ >"$T/verify" 2>&1
t_is "$(wc -l <"$T/verify")" "$N" "image verify ran on each"
t_is "$(awk '$2 != 0 && $2 != 1' "$T/verify")" "" "image verify exits 0 or 1, never on a signal"
t_is "$(awk '$3 != 0' "$T/verify")" "" "and never reports a sanitizer error"
for cls in trunc sb inode dir frag id export xattr zero data; do
	n=$(awk -v c="-$cls-" '$2 == 1 && index($1, c)' "$T/verify" | wc -l)
	t_ok "image verify finds damage of class $cls ($n of $((N / 10)))" test "$n" -gt 0
done
t_is "$(awk '$2 == 1 {print $1}' "$T/verify" | sort)" "$(cut -d' ' -f1 "$T/refused")" \
	"image verify fails exactly the files the daemon refused"

# ---- a restart with all of them present -----------------------------------
t_fails "no sanitizer report from the daemon" nb_log_has "$SAN_RE"
t_ok "the daemon stops" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
t_ok "and starts again with all $N present" nb_start
t_ok "n1's root is mounted" wait_mounted "$NB/nfs/n1" 10
t_ok "n2's root is mounted" wait_mounted "$NB/nfs/n2" 10
t_is "$(read_all | grep -v '^ok$')" "" "every file reads byte-exact"
t_is "$(($(nb_log_count 'images/m[0-9]{4}.*: refused') - refused))" "$refused" \
	"the same files are refused again, one line each"
t_fails "no sanitizer report" nb_log_has "$SAN_RE"
t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
