/* SPDX-License-Identifier: MIT */
/* Daemon logging: stderr in the foreground, syslog once daemonised. */
#ifndef NETBOOTFS_LOG_H
#define NETBOOTFS_LOG_H

#include <stdbool.h>
#include <syslog.h>

void log_init(bool use_syslog, bool debug);
void nb_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   nb_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  nb_log(LOG_WARNING, __VA_ARGS__)
#define log_info(...)  nb_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) nb_log(LOG_DEBUG, __VA_ARGS__)

#endif
