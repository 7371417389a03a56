/* SPDX-License-Identifier: MIT */
#include "fusefs/serve/dirreply.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

bool dirlist_reply(fuse_req_t req, const struct dirlist *l, fuse_ino_t ino, size_t size, off_t off,
		   dirreply_attr_fn attr, dirreply_sent_fn sent, void *ctx)
{
	static const char *const dots[] = {".", ".."};
	char *buf = malloc(size ? size : 1);
	size_t pos = 0, i = 0, want;
	bool past_end;
	int k;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return false;
	}
	for (k = off < DIRLIST_COOKIE_DOTDOT ? (int)off : DIRLIST_COOKIE_DOTDOT;
	     k < DIRLIST_COOKIE_DOTDOT; k++) {
		struct stat st = {.st_ino = ino, .st_mode = S_IFDIR};
		struct fuse_entry_param e = {.attr = st};

		/* The kernel takes no lookup count for "." and "..". */
		if (attr)
			want = fuse_add_direntry_plus(req, buf + pos, size - pos, dots[k], &e,
						      k + 1);
		else
			want = fuse_add_direntry(req, buf + pos, size - pos, dots[k], &st, k + 1);
		if (want > size - pos)
			goto out;
		pos += want;
	}
	for (i = dirlist_seek(l, (uint64_t)off); i < l->n; i++) {
		const struct dirent_rec *r = &l->v[i];

		if (attr) {
			struct fuse_entry_param e;

			if (attr(ctx, r, &e) != 0)
				continue;
			want = fuse_add_direntry_plus(req, buf + pos, size - pos, r->name, &e,
						      (off_t)r->cookie);
			if (want <= size - pos && sent)
				sent(ctx, &e);
		} else {
			struct stat st = {.st_ino = r->ino, .st_mode = r->type};

			want = fuse_add_direntry(req, buf + pos, size - pos, r->name, &st,
						 (off_t)r->cookie);
		}
		if (want > size - pos)
			break;
		pos += want;
	}
out:
	/* Decided before the reply: once the kernel has it, a RELEASEDIR on
	 * another worker may free @l. */
	past_end = pos == 0 && i >= l->n;
	fuse_reply_buf(req, buf, pos);
	free(buf);
	return past_end;
}
