/* SPDX-License-Identifier: MIT */
/*
 * One lock per image name for the netbootctl commands that change an
 * image (import, shell, install, rollback, gc): an flock(2) on
 * "<images>/.locks/<name>.lock". The kernel drops it when the holder
 * exits or dies, so a crashed session never leaves a stale lock. The file
 * says who holds it ("PID COMMAND") for the message a waiter prints.
 */
#ifndef NETBOOTFS_CTL_IMAGE_LOCK_H
#define NETBOOTFS_CTL_IMAGE_LOCK_H

#include <stdbool.h>
#include <stddef.h>

#define IMAGE_LOCK_DIR ".locks"

/*
 * Take the lock on image @name in @images for @what ("image shell").
 * When another process holds it: with @wait, print a line saying so on
 * stderr and wait; without, fail with -EBUSY and @why naming the holder.
 * Returns a file descriptor (close-on-exec, so chrooted commands never
 * inherit it) to give to image_lock_release(), or a negative errno.
 */
int image_lock_acquire(const char *images, const char *name, const char *what, bool wait, char *why,
		       size_t whylen);
void image_lock_release(int fd);

#endif
