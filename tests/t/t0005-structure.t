#!/bin/bash
# SPDX-License-Identifier: MIT
# The shape of the source tree (issue 18, point 8): no include cycle among
# the project's files, no cycle between objects (one .o using a symbol that
# another .o defines, in both directions), no include cycle between units
# (a .c file and the .h of its name in its directory are one unit: "module
# A includes module B"), no file over 600 lines in fusefs/, and the rooms'
# include rules: lib/ sees none of the libraries
# above it, the union engine sees neither the daemon nor the rooms that use
# it and is entered through its one header, the TFTP view does not see the
# node root. The checks run first on a small tree with known faults, so that a
# check that cannot fail is caught.
. "$(dirname "$0")/../lib/test-lib.sh"

require_cmd nm tsort awk cc

plan 18

MAX_LINES=600

# "FILE INCLUDED" per quoted #include among the .c/.h files under the dirs
# given (relative to the current directory). An include is looked up next to
# the including file first, then from the top (the build's -I.); includes
# that name no project file (system headers, the generated build-config.h)
# are left out.
include_edges()
{
	local d files=()
	for d in "$@"; do
		[ -d "$d" ] && files+=("$d")
	done
	find "${files[@]}" -name '*.[ch]' | sort >"$T/.files"
	# shellcheck disable=SC2046 # one word per path: no spaces in the tree
	awk 'NR == FNR { known[$0] = 1; next }
	FNR == 1 { dir = FILENAME; sub(/\/[^\/]*$/, "", dir) }
	/^[ \t]*#[ \t]*include[ \t]*"/ {
		s = $0
		sub(/^[^"]*"/, "", s)
		sub(/".*$/, "", s)
		if ((dir "/" s) in known)
			s = dir "/" s
		else if (!(s in known))
			next
		if (s != FILENAME)
			print FILENAME, s
	}' "$T/.files" $(cat "$T/.files") | sort -u
}

# "USER DEFINER" per pair of objects under $1 (for the subdirs $2...) where
# USER has an undefined symbol that DEFINER defines (T, D, B or R). Objects
# are named by their source (without .o) and taken only while that source
# exists, so a stale object of a moved file does not count.
object_edges()
{
	local top=$1 d o objs=()
	shift
	for d in "$@"; do
		[ -d "$top/$d" ] || continue
		while IFS= read -r o; do
			[ -f "${o#"$top"/}" ] || continue
			objs+=("$o")
		done < <(find "$top/$d" -name '*.o' | sed 's/\.o$/.c/' | sort)
	done
	[ ${#objs[@]} -gt 0 ] || return 1
	nm -A "${objs[@]/%.c/.o}" | awk -v top="$top/" '
	{
		obj = $1
		sub(/:.*/, "", obj)
		sub(/\.o$/, "", obj)
		if (index(obj, top) == 1)
			obj = substr(obj, length(top) + 1)
		type = $(NF - 1)
		sym = $NF
		if (type == "U")
			use[obj, sym] = 1
		else if (type ~ /^[TDBR]$/)
			def[sym] = obj
	}
	END {
		for (k in use) {
			split(k, p, SUBSEP)
			if ((p[2] in def) && def[p[2]] != p[1])
				print p[1], def[p[2]]
		}
	}' | sort -u
}

# Loops in the "A B" edges on stdin: nothing when there is none, else
# tsort's report, one "loop: a b c" line per loop it found.
loops()
{
	tsort 2>&1 >/dev/null | awk '
		/input contains a loop/ { if (l != "") print l; l = "loop:"; next }
		{ sub(/^tsort: /, ""); l = l " " $0 }
		END { if (l != "") print l }'
}

# The include edges on stdin between units: a .c file and the .h of the
# same name in the same directory are one unit, named by their common path
# without the suffix; any other file (a header with no .c of its name, a
# .c with no .h) is a unit of its own. "fusefs/daemon.c fusefs/root/root.h"
# becomes "fusefs/daemon fusefs/root/root".
unit_edges()
{
	awk '{
		a = $1; b = $2
		sub(/\.[ch]$/, "", a)
		sub(/\.[ch]$/, "", b)
		if (a != b)
			print a, b
	}' | sort -u
}

# The strongly connected parts of the "A B" edges on stdin (Tarjan): one
# "cycle: a b c" line, members sorted, for each part of more than one
# member; nothing when the graph has no cycle. Unlike tsort, which reports
# some loop through a part, this names every member of each part.
cycles()
{
	awk '
	function visit(v,   i, j, m, w, x, k, memb, line) {
		idx[v] = low[v] = ++counter
		stack[++sp] = v
		on[v] = 1
		m = split(adj[v], w, " ")
		for (i = 1; i <= m; i++) {
			x = w[i]
			if (!(x in idx)) {
				visit(x)
				if (low[x] < low[v])
					low[v] = low[x]
			} else if (on[x] && idx[x] < low[v]) {
				low[v] = idx[x]
			}
		}
		if (low[v] != idx[v])
			return
		k = 0
		do {
			x = stack[sp--]
			on[x] = 0
			memb[++k] = x
		} while (x != v)
		if (k < 2)
			return
		for (i = 2; i <= k; i++) { # insertion sort: a handful of members
			x = memb[i]
			for (j = i - 1; j >= 1 && memb[j] > x; j--)
				memb[j + 1] = memb[j]
			memb[j + 1] = x
		}
		line = "cycle:"
		for (i = 1; i <= k; i++)
			line = line " " memb[i]
		print line
	}
	{ adj[$1] = adj[$1] " " $2; node[$1] = 1; node[$2] = 1 }
	END {
		for (v in node)
			if (!(v in idx))
				visit(v)
	}' | sort
}

# Files above the line limit under the dirs given, "LINES FILE".
too_long()
{
	find "$@" -name '*.[ch]' -exec wc -l {} + 2>/dev/null |
		awk -v max=$MAX_LINES '$2 != "total" && $1 > max { print $1, $2 }' | sort -rn
}

# "FILE -> ... -> BAD" for each file matching ERE $1 from which the include
# edges on stdin reach a file matching ERE $2 (directly or through headers).
reaches()
{
	awk -v from="$1" -v bad="$2" '
	{ adj[$1] = adj[$1] " " $2; src[$1] = 1 }
	END {
		for (f in src) {
			if (f !~ from)
				continue
			delete seen
			delete par
			n = 1; h = 1; q[1] = f; seen[f] = 1
			while (h <= n) {
				v = q[h++]
				m = split(adj[v], w, " ")
				for (i = 1; i <= m; i++) {
					x = w[i]
					if (x in seen)
						continue
					seen[x] = 1; par[x] = v; q[++n] = x
					if (x ~ bad) {
						path = x
						for (y = x; y != f; y = par[y])
							path = par[y] " -> " path
						print path
					}
				}
			}
		}
	}' | sort
}

# Pass when $1 (a check's findings) is empty; otherwise fail and list them.
none()
{
	local found=$1 desc=$2
	if [ -z "$found" ]; then
		ok 0 "$desc"
		return
	fi
	ok 1 "$desc"
	printf '%s\n' "$found" | _t_diag_stream
}

# ---- the checks find the faults of a small tree made to have them
mkdir -p "$T/bad/lib" "$T/bad/images" "$T/bad/fusefs/union" "$T/bad/fusefs/root" "$T/bad/fusefs/tftp" "$T/bad/build/fusefs/root"
(
	cd "$T/bad" || exit 1
	printf '#include "fusefs/root/b.h"\n' >fusefs/root/a.h
	printf '#include "a.h"\nint b(void);\n' >fusefs/root/b.h
	printf 'int b(void);\nint a(void) { return b(); }\n' >fusefs/root/a.c
	printf 'int a(void);\nint b(void) { return a(); }\n' >fusefs/root/b.c
	printf 'int c(void);\nint c(void) { return 1; }\n' >fusefs/root/c.c
	seq $((MAX_LINES + 1)) | sed 's|.*|/* & */|' >fusefs/root/long.c
	printf '#include "fusefs/union/u.h"\n' >fusefs/union/u.c
	printf '#include "fusefs/root/c.h"\n' >fusefs/union/u.h
	printf '\n' >fusefs/root/c.h
	printf '#include "images/images.h"\n#include "lib/l.h"\n' >lib/l.c
	printf '\n' >images/images.h
	printf '\n' >lib/l.h
	for f in a b c; do
		cc -I. -c -o build/fusefs/root/$f.o fusefs/root/$f.c || exit 1
	done
	touch build/fusefs/root/gone.o # its source was moved away: not counted
	# Units m and n include each other's header from their .c only: no
	# file-level loop, but a loop of units. p.c (unit root/p with p.h)
	# includes q.h, a unit of its own (there is no q.c), and root/s.h, a
	# unit of its own too; q.h includes tftp/s.h, one unit with tftp/s.c,
	# which includes p.h: root/p -> root/q -> tftp/s -> root/p is a loop
	# of three, and root/s.h, of another directory, is not in it.
	printf '#include "fusefs/root/m.h"\n#include "n.h"\n' >fusefs/root/m.c
	printf '#include "fusefs/root/n.h"\n#include "fusefs/root/m.h"\n' >fusefs/root/n.c
	printf '\n' >fusefs/root/m.h
	printf '\n' >fusefs/root/n.h
	printf '#include "fusefs/root/q.h"\n#include "s.h"\n' >fusefs/root/p.c
	printf '\n' >fusefs/root/p.h
	printf '\n' >fusefs/root/s.h
	printf '#include "fusefs/tftp/s.h"\n' >fusefs/root/q.h
	printf '\n' >fusefs/tftp/s.h
	printf '#include "fusefs/root/p.h"\n' >fusefs/tftp/s.c
)
t_is "$(cd "$T/bad" && include_edges fusefs lib | loops)" \
	"loop: fusefs/root/a.h fusefs/root/b.h" "the include check finds a loop of two headers"
t_is "$(cd "$T/bad" && include_edges fusefs lib | unit_edges | cycles)" \
	"cycle: fusefs/root/a fusefs/root/b
cycle: fusefs/root/m fusefs/root/n
cycle: fusefs/root/p fusefs/root/q fusefs/tftp/s" \
	"the unit check finds loops through .c files and names every member"
t_is "$(cd "$T/bad" && object_edges "$T/bad/build" fusefs | loops)" \
	"loop: fusefs/root/a fusefs/root/b" "the object check finds two objects that call each other"
t_is "$(cd "$T/bad" && too_long fusefs)" "$((MAX_LINES + 1)) fusefs/root/long.c" \
	"the length check finds the file of $((MAX_LINES + 1)) lines, not the one of $MAX_LINES"
t_is "$(cd "$T/bad" && include_edges fusefs lib | reaches '^fusefs/union/' '^fusefs/root/')" \
	"fusefs/union/u.c -> fusefs/union/u.h -> fusefs/root/c.h
fusefs/union/u.h -> fusefs/root/c.h" "the room check follows includes through headers"
t_is "$(cd "$T/bad" && include_edges fusefs lib images | reaches '^lib/' '^(mapper|images|fusefs|ctl)/')" \
	"lib/l.c -> images/images.h" "the room check finds lib/ including a library above it"

# ---- the tree itself
cd "$SRCDIR" || exit 1
DIRS=(mapper images fusefs ctl lib tests bench)
LIBDIRS=(mapper images fusefs ctl lib)
include_edges "${DIRS[@]}" >"$T/includes"
t_ok "the include graph has edges (the scan works)" grep -q '^fusefs/daemon.c fusefs/daemon.h$' \
	"$T/includes"
none "$(loops <"$T/includes")" "no include cycle among the project's .c and .h files"
unit_edges <"$T/includes" >"$T/units"
t_ok "the unit graph joins a .c and its .h (the scan works)" \
	grep -q '^fusefs/tftp/tftp fusefs/tftp/tftp_priv$' "$T/units"
none "$(cycles <"$T/units")" "no include cycle between units (a .c with the .h of its name)"

if object_edges "$NB_BUILD" "${LIBDIRS[@]}" >"$T/objects"; then
	t_ok "the object graph has edges (the scan works)" \
		grep -q '^fusefs/main mapper/' "$T/objects"
	none "$(loops <"$T/objects")" "no cycle between objects (symbol use, $NB_BUILD)"
else
	ok 1 "objects of the libraries in $NB_BUILD (make first)"
	ok 1 "no cycle between objects (symbol use): not checked"
fi

none "$(too_long fusefs)" "no file over $MAX_LINES lines in fusefs/"

if [ -d lib ]; then
	none "$(reaches '^lib/' '^(mapper|images|fusefs|ctl)/' <"$T/includes")" \
		"lib/ includes no header of mapper/, images/, fusefs/ or ctl/"
else
	skip "no lib/ yet"
fi

none "$(reaches '^fusefs/union/' '^fusefs/([^/]*|(root|tftp|serve)/.*)$' <"$T/includes")" \
	"fusefs/union/ includes nothing of fusefs/root, tftp, serve or the daemon (fusefs/*.h)"

t_ok "fusefs/union/ has files (the room check looks at something)" \
	grep -q '^fusefs/union/' "$T/includes"

# The engine's one entry: everyone else includes fusefs/union/union.h only
# (but the engine's own unit tests, tests/unit/test_union_*.c, which may
# test a private part such as the directory cache), and the TFTP view none
# of the node root's headers.
none "$(awk '$1 !~ /^(fusefs\/union\/|tests\/unit\/test_union_)/ &&
	     $2 ~ /^fusefs\/union\// && $2 != "fusefs/union/union.h"' "$T/includes")" \
	"outside fusefs/union/ and its unit tests, nothing includes an engine header but union.h"
none "$(reaches '^fusefs/tftp/' '^fusefs/root/' <"$T/includes")" \
	"fusefs/tftp/ includes nothing of fusefs/root"
