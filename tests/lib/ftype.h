/* SPDX-License-Identifier: MIT */
/* The short file type names the test tools print (fsop, fhandle). */
#ifndef NETBOOTFS_TESTS_FTYPE_H
#define NETBOOTFS_TESTS_FTYPE_H

#include <sys/stat.h>

static inline const char *ftype_name(mode_t m)
{
	switch (m & S_IFMT) {
	case S_IFREG:
		return "reg";
	case S_IFDIR:
		return "dir";
	case S_IFLNK:
		return "lnk";
	case S_IFCHR:
		return "chr";
	case S_IFBLK:
		return "blk";
	case S_IFIFO:
		return "fifo";
	case S_IFSOCK:
		return "sock";
	}
	return "?";
}

#endif
