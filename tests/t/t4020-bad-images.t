#!/bin/bash
# SPDX-License-Identifier: MIT
# Files in <images> that are no valid squashfs are refused with a log line
# and change nothing: a truncated file renamed over a served image, a file
# of random bytes, a file still being written (taken once it is complete).
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"
. "$SRCDIR/tests/lib/live.sh"

require_root
require_fuse
require_cmd mksquashfs perl

nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
fixture_boot_tree "$T/a" a
fixture_boot_tree "$T/c" c
nb_image os-a "$T/a"
fixture_squash "$T/a" "$T/good.sqfs" # byte-identical to os-a.sqfs
fixture_squash "$T/c" "$T/c.sqfs"
NB_BOOT_GAP=2 nb_write_config <<-INI
	default_image = os-a

	[node:n1]
	image = os-a
	serial = 1a2b3c4d
INI
nb_start || exit 1
N1=$NB/tftp/1a2b3c4d
kernel=boot/firmware/kernel8.img
cat "$N1/start4.elf" >/dev/null
gen1=$(nb_node n1 generation)
gens_before=$(nb_gens)
t_like "$gens_before" "^$gen1 os-a " "os-a is open as generation $gen1"

# ---- a truncated copy renamed over os-a.sqfs ------------------------------
n=$(nb_log_count 'refused')
head -c $(($(stat -c %s "$T/good.sqfs") / 2)) "$T/good.sqfs" >"$NB/images/.os-a.new"
mv "$NB/images/.os-a.new" "$NB/images/os-a.sqfs"
t_ok "the truncated os-a.sqfs is refused" nb_wait_log 'refused' "$n"
t_ok "the log line names the file" nb_log_has "images/os-a\.sqfs: refused: .+"
t_is "$(nb_gens)" "$gens_before" "the open generations are unchanged"
t_is "$(nb_node n1 generation) $(nb_node n1 newer)" "$gen1 null" "n1 keeps generation $gen1"

# ---- random bytes as x.sqfs --------------------------------------------
n=$(nb_log_count 'refused')
head -c 1048576 /dev/urandom >"$NB/images/.x.new"
mv "$NB/images/.x.new" "$NB/images/x.sqfs"
t_ok "x.sqfs (random bytes) is refused" nb_wait_log 'refused' "$n"
t_ok "the log line names it" nb_log_has "images/x\.sqfs: refused: .+"
t_is "$(nb_gens)" "$gens_before" "the open generations are unchanged"

# ---- a file still being written ------------------------------------------
half=$(($(stat -c %s "$T/c.sqfs") / 2))
exec 9>"$NB/images/os-c.sqfs"
head -c "$half" "$T/c.sqfs" >&9
n=$(nb_log_count 'refused')
head -c 4096 /dev/urandom >"$NB/images/.y.new" # any event makes the daemon look
mv "$NB/images/.y.new" "$NB/images/y.sqfs"
t_ok "half-written os-c.sqfs is refused" wait_for "nb_log_has 'images/os-c\.sqfs: refused'" 10
t_is "$(nb_gens)" "$gens_before" "the open generations are unchanged"
n=$(nb_log_count 'os-c\.sqfs: image os-c generation')
tail -c "+$((half + 1))" "$T/c.sqfs" >&9
exec 9>&-
t_ok "once complete (and verified) it becomes a generation of os-c" \
	nb_wait_log 'os-c\.sqfs: image os-c generation' "$n" 60

# ---- nothing else changed ------------------------------------------------
t_file_sha_eq "$N1/kernel8.img" "$T/a/$kernel" "n1 still serves os-a's kernel"
t_ok "n1 reboots" nb_boot 1a2b3c4d
t_is "$(nb_node n1 generation)" "$gen1" "and still takes generation $gen1: nothing newer is valid"
t_file_sha_eq "$N1/kernel8.img" "$T/a/$kernel" "its boot tree is os-a's"
t_file_sha_eq "$NB/nfs/n1/$kernel" "$T/a/$kernel" "so is its root"
t_file_sha_eq "$NB/tftp/bootcode.bin" "$T/a/boot/firmware/bootcode.bin" \
	"bootcode.bin still comes from os-a"
t_fails "the daemon did not crash" nb_log_has "AddressSanitizer|runtime error"

t_ok "daemon stops cleanly" nb_stop
t_is "${NB_STATUS:-x}" 0 "exit status 0"
done_testing
