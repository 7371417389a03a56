/* SPDX-License-Identifier: MIT */
#include <errno.h>

#include "ctl/ctl.h"

static const struct mapper *load(struct ctl *c, const char *self)
{
	struct mapper_errors errs = {0};

	if (c->mapper)
		return c->mapper;
	if (mapper_load_as(c->config_path, self, &c->mapper, &errs) < 0) {
		mapper_errors_print(&errs, stderr);
		c->mapper = NULL;
	}
	mapper_errors_free(&errs);
	return c->mapper;
}

/* An explicit -S always selects the server: its nodes, its paths. */
const struct mapper *ctl_load_config(struct ctl *c)
{
	return load(c, c->server);
}

const struct mapper *ctl_load_config_server(struct ctl *c)
{
	return load(c,
		    c->server ? c->server : mapper_host_name(c->host_name, sizeof(c->host_name)));
}

void ctl_release(struct ctl *c)
{
	if (c->mapper)
		mapper_free(c->mapper);
	c->mapper = NULL;
}
