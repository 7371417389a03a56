/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the netbootfs.ini parser. Besides "no crash, no leak",
 * it checks what a loaded table promises: every node has an image, a valid
 * name, and is found again by name, serial and MAC; a rejected config always
 * comes with at least one error and leaves *out alone.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mapper/ident.h"
#include "mapper/mapper.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mapper_errors errs = {0};
	struct mapper *m = NULL;
	char buf[256];
	size_t i, e;
	int rc, k;

	rc = mapper_load_string("fuzz.ini", (const char *)data, size, &m, &errs);
	if (rc) {
		check(m == NULL);
		check(errs.n > 0);
		for (e = 0; e < errs.n; e++)
			check(errs.v[e].msg && errs.v[e].file && strlen(errs.v[e].msg) > 0);
		mapper_errors_free(&errs);
		return 0;
	}
	check(errs.n == 0);
	for (i = 0; i < mapper_node_count(m); i++) {
		const struct node *n = mapper_node_at(m, i);

		check(ident_valid_node_name(n->name));
		check(n->image && n->image[0]);
		check(mapper_find_name(m, n->name) == n);
		check(!n->serial[0] || mapper_find_serial(m, n->serial) == n);
		check(!n->mac[0] || mapper_find_mac(m, n->mac) == n);
		check(!n->serial[0] || ident_is_serial_name(n->serial));
		check(!n->mac[0] || ident_is_mac_name(n->mac));
		for (k = 0; k < NODE_KEY__COUNT; k++) {
			check(node_key_value(n, (enum node_key)k, buf, sizeof(buf)) != NULL);
			check(n->origin[k].section != NULL);
		}
	}
	mapper_free(m);
	return 0;
}
