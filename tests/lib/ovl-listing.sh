# shellcheck shell=bash

# The files of a node root's generated layer (hostname, fstab, kernel
# command line), which kernel overlayfs cannot show: a value for $EXCLUDE.
# shellcheck disable=SC2034
OVL_GENERATED='^(etc/hostname|etc/fstab|boot/firmware/cmdline\.txt)$'

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

# ovl_kernel_view SQFS UPPER DEST [LOWER...]: loop-mount the image SQFS
# read-only on $T/lower and mount kernel overlayfs on DEST over it (the
# LOWER dirs, shared layers, above it; upper UPPER), with the options that
# read a netbootfs overlay: redirect_dir=on, index=off, metacopy=off. Both
# are unmounted at exit.
ovl_kernel_view()
{
	local sqfs=$1 upper=$2 dest=$3 lower="" l
	shift 3
	for l; do lower+="$l:"; done
	mkdir -p "$T/lower" "$T/ovl-work" "$dest" || return 1
	mount -t squashfs -o loop,ro "$sqfs" "$T/lower" || return 1
	at_exit "umount '$T/lower'"
	mount -t overlay -o "lowerdir=$lower$T/lower,upperdir=$upper,workdir=$T/ovl-work,redirect_dir=on,index=off,metacopy=off" \
		nbt-ovl "$dest" || return 1
	at_exit "umount '$dest'"
}
