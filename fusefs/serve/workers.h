/* SPDX-License-Identifier: MIT */
/*
 * One bounded pool of worker threads serves every mount: the workers wait
 * on an epoll set of all session fds (one-shot, so one worker reads a
 * request and re-arms the fd before processing it, letting another worker
 * take the next request of the same mount). A thousand node roots do not
 * mean thousands of threads.
 */
#ifndef NETBOOTFS_WORKERS_H
#define NETBOOTFS_WORKERS_H

struct fuse_session;
struct worker_pool;

int pool_create(unsigned nthreads, struct worker_pool **out);
int pool_add_session(struct worker_pool *p, struct fuse_session *se);
/* Stop serving @se; returns once no worker is inside it. */
void pool_remove_session(struct worker_pool *p, struct fuse_session *se);
unsigned pool_threads(const struct worker_pool *p);
void pool_destroy(struct worker_pool *p);

#endif
