#!/bin/bash
# SPDX-License-Identifier: MIT
# The small CLI fixes of issue 19: netbootctl(8)'s synopsis and `image
# --help` name import/shell/gc; `nodes -c FILE` (the config option after the
# command); JSON null for empty values in `node show --json` (as the man page
# promises); the images PINNED-BY column and pinned_by from the running
# daemon.
. "$(dirname "$0")/../lib/test-lib.sh"
. "$SRCDIR/tests/lib/fixtures.sh"
. "$SRCDIR/tests/lib/netbootfs.sh"

require_root
require_fuse
require_cmd mksquashfs python3

# ---- synopsis and help -----------------------------------------------------
syn=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$SRCDIR/docs/netbootctl.8")
for sub in "image import" "image shell" "image gc" apply; do
	t_ok "netbootctl(8) synopsis: $sub" grep -qxF ".B $sub" <<<"$syn"
done
"$NETBOOTCTL" image --help >"$T/help"
t_is "$?" 0 "image --help: exit 0"
for sub in import shell gc install rollback list verify; do
	t_ok "image --help names image $sub" grep -q "netbootctl \[-c CONFIG\] image $sub" "$T/help"
done
t_like "$("$NETBOOTCTL" --help)" "apply \[--dry-run\]" "netbootctl --help names apply"

# ---- -c after the command ------------------------------------------------
nb_layout
at_exit "lazy_umount '$NB/nfs/n1'"
at_exit "lazy_umount '$NB/nfs/n2'"
fixture_boot_tree "$T/a" a
nb_image os-a "$T/a"
nb_image os-b "$T/a"
nb_write_config <<-INI
	default_image = os-a
	[defaults]
	image = os-a
	[node:n1]
	serial = 1a2b3c4d
	[node:n2]
	serial = 2b3c4d5e
	layers = common
	[node:n3]
	serial = 3c4d5e6f
	image = os-b
INI
mkdir -p "$NB/overlays/@common"
"$NETBOOTCTL" -c "$NB_CONF" nodes >"$T/before"
"$NETBOOTCTL" nodes -c "$NB_CONF" >"$T/after" 2>"$T/err"
t_is "$?:$(cat "$T/err")" "0:" "nodes -c FILE: exit 0, no usage error"
t_ok "... the same table as netbootctl -c FILE nodes" cmp -s "$T/before" "$T/after"
t_ok "... listing FILE's nodes" grep -q '^n3 ' "$T/after"
t_ok "nodes --config=FILE --json" eval "\"$NETBOOTCTL\" nodes --config=\"$NB_CONF\" --json | grep -q '\"name\": \"n3\"'"
"$NETBOOTCTL" nodes -c >"$T/out" 2>&1
t_is "$?" 2 "nodes -c without FILE: usage error"

# ---- JSON null -------------------------------------------------------------
json_val() { python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["keys"][sys.argv[1]]["value"]))' "$1"; }
t_is "$("$NETBOOTCTL" node show n1 -c "$NB_CONF" --json | json_val layers)" null \
	"node show --json: no layers is null, not \"\""
t_is "$("$NETBOOTCTL" node show n1 -c "$NB_CONF" --json | json_val mac)" null \
	"node show --json: no mac is null"
t_is "$("$NETBOOTCTL" node show n2 -c "$NB_CONF" --json | json_val layers)" '"common"' \
	"node show --json: set layers stay a string"

# ---- PINNED-BY ---------------------------------------------------------------
pins() { "$NETBOOTCTL" -c "$NB_CONF" images --json | python3 -c '
import json, sys
print(" ".join("%s=%s" % (i["name"], ",".join(sorted(i["pinned_by"]))) for i in json.load(sys.stdin)))'; }
t_is "$(pins)" "os-a= os-b=" "images without a daemon: nobody pinned"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" images | grep '^os-a ')" " -$" "... PINNED-BY shows -"
nb_start_root n1 || exit 1
wait_mounted "$NB/nfs/n3" 10
t_is "$(pins)" "os-a=n1,n2 os-b=n3" "images --json: pinned_by from the running daemon"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" images | grep '^os-a ')" " n1,n2$" "images: PINNED-BY n1,n2 for os-a"
t_like "$("$NETBOOTCTL" -c "$NB_CONF" images | grep '^os-b ')" " n3$" "images: PINNED-BY n3 for os-b"
nb_stop
done_testing
