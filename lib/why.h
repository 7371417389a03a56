/* SPDX-License-Identifier: MIT */
/* One-line reasons written into a caller's buffer (why, whylen). */
#ifndef NETBOOTFS_LIB_WHY_H
#define NETBOOTFS_LIB_WHY_H

#include <stddef.h>

/* printf into @why (truncated to @whylen); does nothing when @why is NULL
 * or @whylen is 0, so a caller that does not want the reason passes NULL. */
void why_set(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
