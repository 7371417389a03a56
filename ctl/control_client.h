/* SPDX-License-Identifier: MIT */
/* Talking to the running daemon over its control socket ([server] control). */
#ifndef NETBOOTFS_CTL_CONTROL_CLIENT_H
#define NETBOOTFS_CTL_CONTROL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "ctl/ctl.h"

/* The control socket's path: [server] control of @c's config. When the
 * config has errors (printed to stderr; the daemon keeps serving its last
 * good one) the key is still read from the file. 0 or -EINVAL. */
int ctl_control_path(struct ctl *c, const char *cmd, char *buf, size_t len);
/*
 * Send @request (one JSON object) to the daemon listening at @path and
 * return its reply in *@reply (an object with "ok"; free with
 * json_object_put()). Returns 0, or a negative errno: -ENOENT /
 * -ECONNREFUSED when no daemon listens, -EACCES when the caller may not
 * connect, -EPROTO for a reply that is not JSON. Prints nothing.
 */
int ctl_daemon_call(const char *path, struct json_object *request, struct json_object **reply);
/* Whether @err from ctl_daemon_call() means "no daemon is running". */
bool ctl_daemon_absent(int err);
/* "netbootctl: CMD: ..." for a failed ctl_daemon_call(). */
void ctl_daemon_error(const char *path, const char *cmd, int err);
/* The reply's "error" string, or "unknown error". */
const char *ctl_reply_error(struct json_object *reply);
/* Whether the reply says "ok": true. */
bool ctl_reply_ok(struct json_object *reply);
/* @c's config when it has node @name, else NULL ("CMD: no node ..." or the
 * config's errors printed). */
const struct mapper *ctl_load_node(struct ctl *c, const char *cmd, const char *name);
/* {"cmd": @cmd, "node": @name}, for the commands about one node. */
struct json_object *ctl_node_request(const char *cmd, const char *name);

#endif
