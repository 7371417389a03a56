#!/bin/bash
# --version on both binaries: the newest debian/changelog entry, the one
# source of the version.
. "$(dirname "$0")/../lib/test-lib.sh"

v=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$SRCDIR/debian/changelog")
t_like "$v" '^[0-9]+\.[0-9]+' "debian/changelog names a version"
t_is "$("$NETBOOTCTL" --version)" "netbootctl $v" "netbootctl --version"
t_is "$("$NETBOOTCTL" -V)" "netbootctl $v" "netbootctl -V"
t_is "$("$NETBOOTFS" --version)" "netbootfs $v" "netbootfs --version"
t_like "$("$NETBOOTCTL" --help)" "--version" "netbootctl --help names --version"
done_testing
