/* SPDX-License-Identifier: MIT */
/*
 * The control socket ([server] control, /run/netbootfs.sock): what
 * `netbootctl status`, `netbootctl node reset` and `netbootctl node boot`
 * talk to.
 *
 * Protocol: one JSON object on one line per connection, answered with one
 * JSON object and a newline, then the daemon closes the connection.
 *   {"cmd":"status"}
 *   {"cmd":"node-reset","node":"n1","force":false}
 *   {"cmd":"node-boot","node":"n1"}
 * Every reply has "ok" (bool); a failed request has "error" (a message).
 * Only root may connect (the socket is mode 0600, and the peer's uid is
 * checked).
 *
 * The socket is served from the daemon's main loop, the thread that mounts
 * and unmounts node roots, so requests see d->roots without a lock.
 */
#ifndef NETBOOTFS_CONTROL_H
#define NETBOOTFS_CONTROL_H

#include <stdbool.h>

struct control;
struct daemon;
struct json_object;

/* Listen on @path. A stale socket file is replaced; if another daemon
 * answers on it, or @path is something other than a socket, start-up is
 * refused (-EADDRINUSE, -EEXIST). */
int control_open(struct daemon *d, const char *path, struct control **out);
/* The listening fd, for the main loop's poll(); -1 for NULL. */
int control_fd(const struct control *c);
/* Answer every connection waiting on the socket. */
void control_serve(struct control *c);
/* Stop listening and remove the socket file if it is still ours. */
void control_close(struct control *c);

/* ---- requests (control_cmds.c); each returns a new reply object ----- */

struct json_object *control_status(struct daemon *d);
/* Empty @node's overlay; refused while the node is up unless @force. */
struct json_object *control_node_reset(struct daemon *d, const char *node, bool force);
/* @node boots: now if it is down, else at its next TFTP request. */
struct json_object *control_node_boot(struct daemon *d, const char *node);
/* {"ok":false,"error":MSG} */
struct json_object *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
