/* SPDX-License-Identifier: MIT */
/* The merges of a rebase: text files with diff3, user databases by entry. */
#ifndef NETBOOTFS_REBASE_MERGE_H
#define NETBOOTFS_REBASE_MERGE_H

#include <stdbool.h>
#include <stddef.h>

struct rbuf {
	char *p;
	size_t n;
};

void rbuf_free(struct rbuf *b);
bool rbuf_eq(const struct rbuf *a, const struct rbuf *b);
/* Text as diff3 takes it: no NUL byte. */
bool rbuf_is_text(const struct rbuf *b);

/*
 * Three-way merge of @node and @image, both changed from @base, by
 * diffutils' `diff3 -m` (run with its three inputs written to temporaries
 * in directory @tmpdir). Returns 0 and the merge in @out, 1 on a
 * conflict (@out untouched), or a negative errno.
 */
int merge_text3(const char *tmpdir, const struct rbuf *base, const struct rbuf *node,
		const struct rbuf *image, struct rbuf *out);

/*
 * Entry-by-entry merge of a colon-separated database keyed by its first
 * field (/etc/passwd, group, shadow, gshadow): the new image's entries in
 * its order, each replaced by the node's if only the node changed it, or
 * left out if only the node deleted it; then the entries the node added
 * (names neither image has), in the node's order.
 */
int merge_userdb(const struct rbuf *base, const struct rbuf *node, const struct rbuf *image,
		 struct rbuf *out);
/*
 * Make @shadow (merged) agree with @names (the merged passwd or group):
 * entries of names @names lacks are dropped, and a name @names has but
 * @shadow lacks gets the node's entry, else the image's.
 */
int userdb_align(struct rbuf *shadow, const struct rbuf *names, const struct rbuf *node_shadow,
		 const struct rbuf *image_shadow);

#endif
