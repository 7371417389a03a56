/* SPDX-License-Identifier: MIT */
#include "fusefs/bootrec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/mkdirp.h"
#include "lib/statefile.h"

int bootrec_dir(const char *state, char *buf, size_t size)
{
	if ((size_t)snprintf(buf, size, "%s/%s", state, BOOTREC_DIR) >= size)
		return -ENAMETOOLONG;
	return mkdir_p(buf, 0755);
}

int bootrec_write(const char *state, const char *node, unsigned gen_id)
{
	char dir[4096], rec[32];
	int len, err;

	err = bootrec_dir(state, dir, sizeof(dir));
	if (err)
		return err;
	len = snprintf(rec, sizeof(rec), "generation %u\n", gen_id);
	/* Replaced by rename: the watcher's IN_MOVED_TO. */
	return statefile_write(dir, node, rec, (size_t)len);
}

int bootrec_read(const char *state, const char *node, unsigned *gen_id)
{
	char dir[4096], *text = NULL;
	size_t len = 0;
	int err;

	snprintf(dir, sizeof(dir), "%s/%s", state, BOOTREC_DIR);
	err = statefile_read(dir, node, &text, &len);
	if (!err && (!text || sscanf(text, "generation %u", gen_id) != 1))
		err = -EINVAL;
	free(text);
	return err;
}
