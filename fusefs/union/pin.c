/* SPDX-License-Identifier: MIT */
#include "fusefs/union/pin.h"

#include <stdlib.h>

struct pin *pin_ref(struct pin *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void pin_put(struct pin *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	if (p->gen)
		image_gen_put(p->gen);
	free(p->cmdline);
	genlayer_free(&p->genl);
	free(p);
}
