/* SPDX-License-Identifier: MIT */
/*
 * Unknown clients asking the TFTP view for a boot tree: counted in memory
 * (mapper/sightings.h) on the request path, written to <state>/discovered
 * and summed up in the log by a thread of their own, so that a flood of
 * made-up serials costs a request no disk write and no log line.
 *
 *  - <state>/discovered is written at most every UNKNOWN_FLUSH_S seconds,
 *    only when a client asked since the last write, and at a clean stop;
 *  - the first request after a quiet interval is logged with its client;
 *    the others as one line per UNKNOWN_LOG_S seconds: "N requests from M
 *    unknown clients in the last S s".
 */
#ifndef NETBOOTFS_UNKNOWN_CLIENTS_H
#define NETBOOTFS_UNKNOWN_CLIENTS_H

#define UNKNOWN_FLUSH_S 5
#define UNKNOWN_LOG_S	10

struct daemon;
struct unknown_clients;

int unknown_clients_start(struct daemon *d, struct unknown_clients **out);
/* Count a request for the boot tree of @name (a serial or MAC no node has). */
void unknown_clients_seen(struct unknown_clients *u, const char *name);
/* A lookup of client @name (a serial or MAC) found no node of this server:
 * another server's node is counted apart (d->elsewhere_requests), anything
 * else is an unknown client. */
void unknown_clients_lookup(struct daemon *d, const char *name);
/* Write what is pending, log the last summary, stop the thread. */
void unknown_clients_stop(struct unknown_clients *u);

#endif
