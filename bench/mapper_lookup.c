/* SPDX-License-Identifier: MIT */
/*
 * Lookup latency of the node table by name, serial and MAC, for tables of
 * 10 to 100,000 nodes built from generated ini text. Prints CSV:
 *   nodes,ns_per_lookup_name,ns_per_lookup_serial,ns_per_lookup_mac,ns_per_record_read
 * Keys are looked up from separate copies, in a shuffled order, so neither
 * pointer equality nor config order helps. The copies are laid out in that
 * order, so fetching the next key costs no cache miss of its own (a caller
 * has its key at hand, from a DHCP packet or a file name): what is timed is
 * the table's memory, not the harness's.
 *
 * The last column is a floor for any node table: an oracle that knows
 * where each node's record is (one 32-byte record per node, in config
 * order) and only reads it and compares the name. What a lookup costs
 * above the floor is the table's own work; the floor itself rises with the
 * node count as the records leave the CPU caches.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mapper/mapper.h"

#define LOOKUPS_PER_ROUND 2000000u

struct keys {
	char (*name)[24];
	char (*serial)[9];
	char (*mac)[18];
	size_t *order;
};

static uint32_t serial_of(size_t i)
{
	/* a bijection on [0, 2^32 - 1): distinct serials for distinct nodes */
	return (uint32_t)((uint64_t)i * 2654435761u % 0xffffffffu);
}

static char *make_ini(size_t n, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);
	size_t i;

	if (!f)
		return NULL;
	fputs("[defaults]\nimage = raspios-arm64\n", f);
	for (i = 0; i < n; i++)
		fprintf(f, "[node:n%zu]\nserial = %08x\nmac = dc:a6:32:%02zx:%02zx:%02zx\n", i,
			serial_of(i), (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff);
	if (fclose(f))
		return NULL;
	return text;
}

static int make_keys(struct keys *k, size_t n)
{
	size_t i;

	k->name = calloc(n, sizeof(*k->name));
	k->serial = calloc(n, sizeof(*k->serial));
	k->mac = calloc(n, sizeof(*k->mac));
	k->order = calloc(n, sizeof(*k->order));
	if (!k->name || !k->serial || !k->mac || !k->order)
		return -1;
	for (i = 0; i < n; i++)
		k->order[i] = i;
	srand(42);
	for (i = n - 1; i > 0; i--) {
		size_t j = (size_t)rand() % (i + 1), t = k->order[i];

		k->order[i] = k->order[j];
		k->order[j] = t;
	}
	/* Key i is node order[i]'s. */
	for (i = 0; i < n; i++) {
		size_t v = k->order[i];

		snprintf(k->name[i], sizeof(k->name[i]), "n%zu", v);
		snprintf(k->serial[i], sizeof(k->serial[i]), "%08x", serial_of(v));
		snprintf(k->mac[i], sizeof(k->mac[i]), "dc-a6-32-%02zx-%02zx-%02zx",
			 (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
	}
	return 0;
}

static void free_keys(struct keys *k)
{
	free(k->name);
	free(k->serial);
	free(k->mac);
	free(k->order);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

enum which { BY_NAME, BY_SERIAL, BY_MAC, BY_ORACLE };

struct record {
	char name[24];
	uint64_t node;
};

/* One record per node, node i's at index i. */
static struct record *make_records(size_t n)
{
	struct record *rec = calloc(n, sizeof(*rec));
	size_t i;

	for (i = 0; rec && i < n; i++) {
		snprintf(rec[i].name, sizeof(rec[i].name), "n%zu", i);
		rec[i].node = i;
	}
	return rec;
}

/* ns per lookup; every lookup must hit, or the run is void. */
static double measure(const struct mapper *m, const struct record *rec, const struct keys *k,
		      size_t n, enum which w)
{
	size_t rounds = LOOKUPS_PER_ROUND / n + 1, r, i, hits = 0;
	double t0, t1;

	t0 = now_ns();
	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			const struct node *node;

			if (w == BY_ORACLE) {
				const struct record *rd = &rec[k->order[i]];

				hits += strcmp(rd->name, k->name[i]) == 0;
				continue;
			}
			if (w == BY_NAME)
				node = mapper_find_name(m, k->name[i]);
			else if (w == BY_SERIAL)
				node = mapper_find_serial(m, k->serial[i]);
			else
				node = mapper_find_mac(m, k->mac[i]);
			hits += node != NULL;
		}
	}
	t1 = now_ns();
	if (hits != rounds * n) {
		fprintf(stderr, "mapper_lookup: %zu of %zu lookups missed\n", rounds * n - hits,
			rounds * n);
		exit(1);
	}
	return (t1 - t0) / (double)(rounds * n);
}

int main(void)
{
	static const size_t sizes[] = {10, 100, 1000, 10000, 100000};
	size_t s;

	printf("nodes,ns_per_lookup_name,ns_per_lookup_serial,ns_per_lookup_mac,ns_per_record_read\n");
	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		struct mapper_errors errs = {0};
		struct mapper *m = NULL;
		struct keys k = {0};
		size_t n = sizes[s], len;
		char *text = make_ini(n, &len);
		struct record *rec = make_records(n);

		if (!text || !rec || make_keys(&k, n)) {
			fprintf(stderr, "mapper_lookup: out of memory\n");
			return 1;
		}
		if (mapper_load_string("bench.ini", text, len, &m, &errs)) {
			mapper_errors_print(&errs, stderr);
			return 1;
		}
		printf("%zu,%.1f,%.1f,%.1f,%.1f\n", n, measure(m, rec, &k, n, BY_NAME),
		       measure(m, rec, &k, n, BY_SERIAL), measure(m, rec, &k, n, BY_MAC),
		       measure(m, rec, &k, n, BY_ORACLE));
		fflush(stdout);
		mapper_free(m);
		free(rec);
		free_keys(&k);
		free(text);
	}
	return 0;
}
