/* SPDX-License-Identifier: MIT */
/* One-line reasons written into a caller's buffer (why, whylen). */
#ifndef NETBOOTCTL_WHY_H
#define NETBOOTCTL_WHY_H

#include <stddef.h>

/* Does nothing when @why is NULL or @whylen is 0. */
void ctl_why(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
