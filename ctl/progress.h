/* SPDX-License-Identifier: MIT */
/* A one-line progress bar, drawn only when its stream is a terminal. */
#ifndef NETBOOTFS_CTL_PROGRESS_H
#define NETBOOTFS_CTL_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct progress {
	FILE *f;
	const char *label;
	bool enabled; /* f is a terminal */
	bool drawn;   /* something is on the line */
	int last_permille;
	uint64_t done, total; /* last values seen, also when not drawing */
};

void progress_init(struct progress *p, FILE *f, const char *label);
void progress_update(struct progress *p, uint64_t done, uint64_t total);
/* progress_update() as an image_progress_fn (@ctx is the struct progress). */
void progress_update_fn(void *ctx, uint64_t done, uint64_t total);
/* Erase the bar so that the next message starts on a clean line. */
void progress_finish(struct progress *p);

#endif
