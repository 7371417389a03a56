#!/bin/sh
# Run every cmocka unit-test binary given; fail if any fails or none ran.
set -u
[ $# -gt 0 ] || { echo "run-unit: no unit tests built" >&2; exit 1; }
failed=0
for t in "$@"; do
	echo "# $t"
	"$t" || failed=$((failed + 1))
done
echo "unit: $# binaries, $failed failed"
[ "$failed" -eq 0 ]
