/* SPDX-License-Identifier: MIT */
/*
 * The daemon context: the one place that holds mutable state. Everything a
 * FUSE handler needs hangs off it (fuse_req_userdata() points at the mount,
 * the mount at the daemon). Every room includes this header, and this
 * header includes nothing of the rooms (the rooms' types are only named
 * here): the daemon (daemon.c) starts the rooms, the rooms see the
 * context and the node table, never the daemon's lifecycle (daemon.h).
 */
#ifndef NETBOOTFS_CONTEXT_H
#define NETBOOTFS_CONTEXT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "lib/lease.h"
#include "fusefs/union/union.h"
#include "images/images.h"
#include "mapper/mapper.h"
#include "mapper/state.h"

struct control;
struct verifier;
struct worker_pool;
struct notifier;
struct unknown_clients;
struct fs_mount;
struct root_fs;

/* Another [server:NAME], as the take-over sees it (takeover.c). */
struct peer_server {
	char name[NODE_NAME_MAX + 1];
	long long free_since; /* mono_ms() its .alive lease was first seen free; 0: held */
	struct lease adopt;   /* held: this daemon serves its nodes */
};

struct node_rt {
	unsigned slot;
	char name[NODE_NAME_MAX + 1]; /* fixed for the slot */
	pthread_mutex_t lock;
	/* Under lock: */
	struct pin *pin;
	bool in_config; /* present in the current config */
	/* Boot detection (nodes.c), CLOCK_MONOTONIC milliseconds, 0 = none
	 * since start: */
	long long last_tftp;  /* the TFTP server's last lookup in its tree */
	long long boot_start; /* its last boot started */
	bool boot_armed;      /* netbootctl node boot: its next TFTP request boots it */
	time_t last_boot;     /* wall clock */
	atomic_uint_fast64_t tftp_bytes;
	atomic_uint_fast64_t quota; /* bytes; 0: none. From the current config */
	/* Role = files, main thread only: the last boot record taken. */
	struct timespec bootrec_mtime;
	ino_t bootrec_ino;
	/* Main thread only: another server holds the node's lease, so its
	 * root is not mounted here (lib/lease.h); who, as its lease
	 * file said at the last try. */
	bool lease_wait;
	struct lease_holder lease_holder;
};

struct daemon {
	const char *config_path;
	/* Which [server:NAME] this daemon is (-S, default the host name); it
	 * serves that server's nodes only. Unused without such sections. */
	const char *self;
	char host_name[NODE_NAME_MAX + 1];
	bool foreground;
	bool debug;
	/* Tests only: NETBOOTFS_TEST_CRASH_AT, a rebase step to die at
	 * (fusefs/root/rebase.c); NULL otherwise. */
	const char *test_crash_at;

	/* Config and slots are swapped whole on reload, under cfg_lock. */
	pthread_rwlock_t cfg_lock;
	struct mapper *cfg;
	struct node_slots *slots;

	struct catalog *catalog;
	atomic_uint_fast64_t pin_seq;

	/* Node runtime by slot; entries are created, never freed while running. */
	pthread_mutex_t nodes_lock;
	struct node_rt *nodes[NODE_SLOT_MAX + 1];
	/* Slot 0: the TFTP root's own files (bootcode.bin from default_image). */

	struct worker_pool *pool;
	struct notifier *notifier;
	struct unknown_clients *unknown; /* TFTP requests of no node (unknown_clients.h) */
	/* TFTP lookups by other servers' nodes: known, neither served nor
	 * discovered here (several servers, mapper_find_other()). */
	atomic_uint_fast64_t elsewhere_requests;
	struct fs_mount *tftp;
	/* Node root mounts by slot; created and destroyed by the main thread. */
	struct root_fs *roots[NODE_SLOT_MAX + 1];
	/* Roots of removed nodes: a worker may still hold one, so they are
	 * only freed once the workers are gone. */
	struct root_fs *retired_roots;
	/* Who takes node leases: this daemon (server name, host, pid). */
	struct lease_holder lease_me;
	/* Take-over between servers (takeover.h), main thread only: this
	 * server's .alive lease, and what it knows of the others. */
	struct lease alive;
	struct peer_server *peers;
	size_t n_peers;
	/* [server] on_takeover child (takeover_hook_*): its pid, 0 when none
	 * runs; hook_again: the servers served for changed while it ran. */
	pid_t hook_pid;
	bool hook_again;
	unsigned leases_waiting;   /* nodes with lease_wait; main thread only */
	unsigned devnum_retries;   /* left for held device numbers (mount.h); main thread */
	struct control *control;   /* served by the main loop (control.h) */
	struct verifier *verifier; /* verifies new image files (verifier.h) */
	volatile bool stopping;
};

/* The union of node @slot's root with a reference (NULL: none), for views
 * other than the root's own mount; union_fs_put() drops it (roots.c). */
struct union_fs *node_union_get(struct daemon *d, unsigned slot);

/* The node table (node_table.c). */
struct node_rt *daemon_node(struct daemon *d, unsigned slot);
struct pin *node_pin_get(struct node_rt *rt);
/* CLOCK_MONOTONIC in milliseconds. */
long long mono_ms(void);
/* The node for a <tftp_root> name (serial or MAC), or NULL. */
struct node_rt *daemon_node_by_client(struct daemon *d, const char *name, bool *via_mac);
/* Whether client @name (a serial or MAC) is a node another server serves. */
bool daemon_client_elsewhere(struct daemon *d, const char *name);
/* An image generation by id, preferring the pins' references. */
struct image_gen *daemon_gen_get(struct daemon *d, unsigned slot, unsigned gen_id);
#endif
