/* SPDX-License-Identifier: MIT */
/* Whether a request on the TFTP mount comes from the TFTP server. */
#ifndef NETBOOTFS_TFTPCALLER_H
#define NETBOOTFS_TFTPCALLER_H

#include <stdbool.h>
#include <sys/types.h>

struct daemon;

/* True when process @pid (fuse_req_ctx()->pid) runs one of the executables
 * of [server] tftp_server, in the daemon's user namespace. */
bool tftp_caller_is_server(struct daemon *d, pid_t pid);

#endif
