/* SPDX-License-Identifier: MIT */
/*
 * What `netbootctl check` checks, for any config text: the commands that
 * edit the config run the same check on the text they are about to write.
 */
#ifndef NETBOOTFS_CTL_CONFIG_CHECK_H
#define NETBOOTFS_CTL_CONFIG_CHECK_H

#include <stddef.h>

struct check_result {
	unsigned problems; /* each printed on stderr */
	size_t nodes;	   /* nodes in the config */
	size_t images;	   /* valid images in [server] images */
};

/*
 * Check @text as the config file @file, in one pass: the mapper's errors,
 * then what gen and the daemon need that the mapper allows ([server]
 * address, who may mount each root, one ip per node, layer directories),
 * then every image file, every node's image, and the boot files each node's
 * Pi model needs in its image. Problems go to stderr as "FILE:LINE: MSG" or
 * "IMAGE: MSG". Returns 0, or -ENOMEM (counted as a problem too).
 */
int config_check(const char *file, const char *text, size_t len, struct check_result *r);

#endif
