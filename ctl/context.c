/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/output.h"
#include "lib/lease.h"

/* The servers this one serves the nodes of while they are down (their
 * .adopt lease names it, fusefs/takeover.h): what it generates answers
 * their nodes too. */
static void adopt_taken_over(struct mapper *m)
{
	char lease[sizeof(LEASE_ADOPT) + NODE_NAME_MAX];
	const char *self = mapper_self(m);
	struct lease_holder who;
	int fd;

	if (!*self)
		return;
	fd = open(mapper_server(m)->overlays, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return; /* not readable here: nothing taken over, as far as we can tell */
	for (size_t i = 0; i < mapper_server_count(m); i++) {
		const char *name = mapper_server_name(m, i);

		snprintf(lease, sizeof(lease), LEASE_ADOPT "%s", name);
		if (strcmp(name, self) != 0 && lease_probe(fd, lease, &who) == -EBUSY &&
		    strcmp(who.server, self) == 0 && mapper_adopt(m, name) != 0)
			ctl_err("cannot take over the nodes of %s: out of memory", name);
	}
	close(fd);
}

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
	if (c->mapper)
		adopt_taken_over(c->mapper);
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
