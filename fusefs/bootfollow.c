/* SPDX-License-Identifier: MIT */
/*
 * A file server ([server] role = files) follows the boots its PXE server
 * records in <state>/boots (bootrec.h). inotify tells at once when the
 * record was written on this machine; a poll every second finds the ones
 * another machine wrote on a shared filesystem (inotify sees only local
 * changes there). A record is taken once: by its inode and mtime.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fusefs/bootrec.h"
#include "fusefs/bootfollow.h"
#include "fusefs/context.h"
#include "fusefs/nodes.h"
#include "fusefs/serve/log.h"

static bool same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static void state_dir(struct daemon *d, char *buf, size_t size)
{
	pthread_rwlock_rdlock(&d->cfg_lock);
	snprintf(buf, size, "%s", mapper_server(d->cfg)->state);
	pthread_rwlock_unlock(&d->cfg_lock);
}

static struct node_rt *our_node(struct daemon *d, const char *node)
{
	unsigned slot;

	pthread_rwlock_rdlock(&d->cfg_lock);
	slot = mapper_find_name(d->cfg, node) ? node_slots_get(d->slots, node) : 0;
	pthread_rwlock_unlock(&d->cfg_lock);
	return slot ? daemon_node(d, slot) : NULL;
}

/* Is @rt's record new? Notes it as taken. */
static bool record_is_new(int dirfd, struct node_rt *rt)
{
	struct stat st;

	if (fstatat(dirfd, rt->name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
		return false;
	if (st.st_ino == rt->bootrec_ino && same_time(&st.st_mtim, &rt->bootrec_mtime))
		return false;
	rt->bootrec_ino = st.st_ino;
	rt->bootrec_mtime = st.st_mtim;
	return true;
}

static void take_record(struct daemon *d, const char *state, struct node_rt *rt)
{
	unsigned gen_id = 0;
	int err = bootrec_read(state, rt->name, &gen_id);

	if (err) {
		log_warn("node %s: unreadable boot record in %s/%s: %s", rt->name, state,
			 BOOTREC_DIR, strerror(-err));
		return;
	}
	node_boot_gen(d, rt, gen_id, "boot record of the PXE server");
}

static int open_boots(const char *state)
{
	char dir[PATH_MAX + sizeof(BOOTREC_DIR) + 1];

	snprintf(dir, sizeof(dir), "%s/%s", state, BOOTREC_DIR);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void daemon_boot_record(struct daemon *d, const char *node)
{
	struct node_rt *rt = our_node(d, node);
	char state[PATH_MAX];
	int dirfd;

	if (!rt)
		return; /* not one of ours */
	state_dir(d, state, sizeof(state));
	dirfd = open_boots(state);
	if (dirfd < 0)
		return;
	if (record_is_new(dirfd, rt))
		take_record(d, state, rt);
	close(dirfd);
}

void daemon_poll_boot_records(struct daemon *d, bool prime)
{
	char state[PATH_MAX];
	unsigned slot;
	int dirfd;

	state_dir(d, state, sizeof(state));
	dirfd = open_boots(state);
	if (dirfd < 0)
		return;
	/* Every node's record, not only when the directory's mtime moved:
	 * two renames within one timestamp tick leave it unchanged. */
	for (slot = 1; slot <= NODE_SLOT_MAX; slot++) {
		struct node_rt *rt = daemon_node(d, slot);

		if (rt && record_is_new(dirfd, rt) && !prime)
			take_record(d, state, rt);
	}
	close(dirfd);
}
