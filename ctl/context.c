/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "ctl/ctl.h"

const struct mapper *ctl_load_config(struct ctl *c)
{
	struct mapper_errors errs = {0};

	if (c->mapper)
		return c->mapper;
	if (mapper_load(c->config_path, &c->mapper, &errs) < 0) {
		mapper_errors_print(&errs, stderr);
		c->mapper = NULL;
	}
	mapper_errors_free(&errs);
	return c->mapper;
}

void ctl_release(struct ctl *c)
{
	if (c->mapper)
		mapper_free(c->mapper);
	c->mapper = NULL;
}
