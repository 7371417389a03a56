/* SPDX-License-Identifier: MIT */
/*
 * Background verification of image files dropped into <images>: one thread
 * at idle priority (SCHED_IDLE, the lowest best-effort I/O priority) reads
 * and decompresses every block of what catalog scans left pending
 * (catalog_verify_pending), so that serving never waits for it. The main
 * loop learns through verifier_fd() that a file was handled (it became a
 * generation or was refused) and re-pins what follows the newest
 * generation at once.
 */
#ifndef NETBOOTFS_VERIFIER_H
#define NETBOOTFS_VERIFIER_H

#include "images/images.h"

struct verifier;

/* Verify what @catalog leaves pending, telling @report (with @ctx) what
 * became of each file; @catalog outlives the verifier. */
int verifier_start(struct catalog *catalog, catalog_report_fn report, void *ctx,
		   struct verifier **out);
/* A scan left files pending: verify them. */
void verifier_kick(struct verifier *v);
/* Readable after a file was handled; -1 for NULL. */
int verifier_fd(const struct verifier *v);
/* Empty verifier_fd(). */
void verifier_drain(struct verifier *v);
/* Cancels a verification in progress (the file stays pending: it is
 * verified at the next start) and waits for the thread. */
void verifier_stop(struct verifier *v);

#endif
