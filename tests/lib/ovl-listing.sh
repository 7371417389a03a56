# shellcheck shell=bash
# ovl_listing ROOT: one line per entry below ROOT, sorted: path, type, mode,
# owner, and for non-directories the size and link count, plus symlink
# target / device numbers / sha256. Paths matching $EXCLUDE (a regex, if
# set) are left out. Used to compare a netbootfs root with kernel overlayfs
# over the same overlay dir.
ovl_listing()
{
	local root=$1 p line
	(cd "$root" && find . -mindepth 1 -printf '%P\0' | sort -z) |
		while IFS= read -r -d '' p; do
			[[ -n ${EXCLUDE:-} && $p =~ $EXCLUDE ]] && continue
			line=$(stat -c '%F %a %u:%g' "$root/$p")
			case $line in
			directory*) ;;
			"symbolic link"*) line+=" -> $(readlink "$root/$p")" ;;
			"character special"* | "block special"*)
				line+=" $(stat -c '%t:%T' "$root/$p")" ;;
			"regular"*)
				line+=" size=$(stat -c %s "$root/$p") nlink=$(stat -c %h "$root/$p")"
				line+=" $(sha256sum <"$root/$p" | cut -d' ' -f1)" ;;
			*) line+=" size=$(stat -c %s "$root/$p")" ;;
			esac
			printf '%s\t%s\n' "$p" "$line"
		done
}
