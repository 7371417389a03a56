/* SPDX-License-Identifier: MIT */
/*
 * <state>/nodes: "name slot" per line. A slot, once given to a name, stays
 * with it for good, even after the node leaves the config, so a slot is never
 * handed to another node (it ends up in FUSE node ids and NFS fsids).
 */
#include "mapper/ident.h"
#include "mapper/mapper.h"
#include "mapper/state.h"
#include "lib/statefile.h"
#include "mapper/strmap.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS_FILE "nodes"

struct slot_entry {
	char *name;
	unsigned slot;
};

struct node_slots {
	char *dir;
	struct slot_entry *v;
	size_t n, cap;
	struct strmap by_name; /* keys are v[i].name */
	unsigned max;
};

static int slots_add(struct node_slots *s, const char *name, unsigned slot)
{
	struct slot_entry *e;
	int rc;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;

		e = reallocarray(s->v, cap, sizeof(*e));
		if (!e)
			return -ENOMEM;
		s->v = e;
		s->cap = cap;
	}
	e = &s->v[s->n];
	e->name = strdup(name);
	if (!e->name)
		return -ENOMEM;
	e->slot = slot;
	rc = strmap_insert(&s->by_name, e->name, (uint32_t)s->n, NULL);
	if (rc) {
		free(e->name);
		return rc < 0 ? rc : -EEXIST;
	}
	s->n++;
	if (slot > s->max)
		s->max = slot;
	return 0;
}

/* Parse the file's text into @s (which is empty). */
static int slots_parse(struct node_slots *s, char *text)
{
	unsigned char *used;
	char *line, *save = NULL;
	int rc = 0;

	used = calloc(NODE_SLOT_MAX / 8 + 1, 1);
	if (!used)
		return -ENOMEM;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[NODE_NAME_MAX + 2], extra;
		unsigned slot;

		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (sscanf(line, "%64s %u %c", name, &slot, &extra) != 2 ||
		    !ident_valid_node_name(name) || slot == 0 || slot > NODE_SLOT_MAX ||
		    (used[slot / 8] & (1u << (slot % 8)))) {
			rc = -EINVAL;
			break;
		}
		used[slot / 8] |= (unsigned char)(1u << (slot % 8));
		rc = slots_add(s, name, slot);
		if (rc) {
			rc = rc == -EEXIST ? -EINVAL : rc;
			break;
		}
	}
	free(used);
	return rc;
}

static struct node_slots *slots_new(const char *dir)
{
	struct node_slots *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->dir = strdup(dir);
	if (!s->dir) {
		free(s);
		return NULL;
	}
	return s;
}

static int slots_read(const char *dir, struct node_slots **out)
{
	struct node_slots *s;
	char *text;
	size_t len;
	int rc;

	rc = statefile_read(dir, SLOTS_FILE, &text, &len);
	if (rc)
		return rc;
	s = slots_new(dir);
	if (!s) {
		free(text);
		return -ENOMEM;
	}
	rc = text ? slots_parse(s, text) : 0;
	free(text);
	if (rc) {
		node_slots_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

int node_slots_load(const char *state_dir, struct node_slots **out)
{
	return slots_read(state_dir, out);
}

static int slots_save(const struct node_slots *s)
{
	static const char header[] = "# netbootfs node slots: name slot (a slot is never reused)\n";
	char *text = NULL;
	size_t len = 0, i;
	FILE *f;
	int rc;

	f = open_memstream(&text, &len);
	if (!f)
		return -ENOMEM;
	fputs(header, f);
	for (i = 0; i < s->n; i++)
		fprintf(f, "%s %u\n", s->v[i].name, s->v[i].slot);
	if (fclose(f)) {
		free(text);
		return -ENOMEM;
	}
	rc = statefile_write(s->dir, SLOTS_FILE, text, len);
	free(text);
	return rc;
}

int node_slots_assign(struct node_slots *s, const struct mapper *m)
{
	struct node_slots *disk = NULL;
	unsigned char *used = NULL;
	bool changed = false;
	size_t i;
	int lock, rc;

	lock = statefile_lock(s->dir, SLOTS_FILE);
	if (lock < 0)
		return lock;
	/* Another process (netbootctl, the daemon) may have added slots. */
	rc = slots_read(s->dir, &disk);
	if (rc)
		goto out;
	used = calloc(NODE_SLOT_MAX / 8 + 1, 1);
	if (!used) {
		rc = -ENOMEM;
		goto out;
	}
	for (i = 0; i < s->n; i++)
		used[s->v[i].slot / 8] |= (unsigned char)(1u << (s->v[i].slot % 8));
	for (i = 0; i < disk->n; i++) {
		unsigned have = node_slots_get(s, disk->v[i].name), slot = disk->v[i].slot;

		if (have == slot)
			continue;
		/* Only a hand edit of the file can make these disagree. */
		if (have || (used[slot / 8] & (1u << (slot % 8)))) {
			rc = -EEXIST;
			goto out;
		}
		rc = slots_add(s, disk->v[i].name, disk->v[i].slot);
		if (rc)
			goto out;
	}
	changed = s->n != disk->n;
	/* Other servers' nodes too: a node keeps its slot when it moves. */
	for (i = 0; i < mapper_all_count(m); i++) {
		const char *name = mapper_all_at(m, i)->name;

		if (node_slots_get(s, name))
			continue;
		if (s->max >= NODE_SLOT_MAX) {
			rc = -ENOSPC;
			goto out;
		}
		rc = slots_add(s, name, s->max + 1);
		if (rc)
			goto out;
		changed = true;
	}
	if (changed)
		rc = slots_save(s);
out:
	free(used);
	node_slots_free(disk);
	statefile_unlock(lock);
	return rc;
}

unsigned node_slots_get(const struct node_slots *s, const char *name)
{
	uint32_t i;

	if (!s || !name || !strmap_get(&s->by_name, name, &i))
		return 0;
	return s->v[i].slot;
}

void node_slots_free(struct node_slots *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	strmap_free(&s->by_name);
	free(s->dir);
	free(s);
}
