/* SPDX-License-Identifier: MIT */
/*
 * The merges of a rebase. Text files are merged by diffutils' diff3 (an
 * Essential package on Debian, so on every server; git merge-file would
 * pull in git for one command), never by a merge of our own. User
 * databases are merged entry by entry, which diff3 cannot do: two sides
 * appending different users at the end is a conflict for it.
 */
#include "fusefs/root/rebase_merge.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/writeall.h"

#define MERGE_MAX (16u << 20)

extern char **environ;

void rbuf_free(struct rbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

bool rbuf_eq(const struct rbuf *a, const struct rbuf *b)
{
	return a->n == b->n && (!a->n || memcmp(a->p, b->p, a->n) == 0);
}

bool rbuf_is_text(const struct rbuf *b)
{
	return !b->n || !memchr(b->p, '\0', b->n);
}

static int rbuf_add(struct rbuf *b, const char *s, size_t n)
{
	char *bigger = realloc(b->p, b->n + n + 1);

	if (!bigger)
		return -ENOMEM;
	b->p = bigger;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

static int put_temp(const char *path, const struct rbuf *b)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	int err;

	if (fd < 0)
		return -errno;
	err = write_all(fd, b->p, b->n);
	close(fd);
	return err;
}

static int read_fd(int fd, struct rbuf *out)
{
	char buf[65536];
	ssize_t r;
	int err;

	while ((r = read(fd, buf, sizeof(buf))) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (out->n + (size_t)r > MERGE_MAX)
			return -EFBIG;
		err = rbuf_add(out, buf, (size_t)r);
		if (err)
			return err;
	}
	return 0;
}

int merge_text3(const char *tmpdir, const struct rbuf *base, const struct rbuf *node,
		const struct rbuf *image, struct rbuf *out)
{
	static const char *const names[] = {"node", "base", "image"};
	const struct rbuf *in[] = {node, base, image};
	char paths[3][4200], *argv[6];
	posix_spawn_file_actions_t fa;
	struct rbuf res = {0};
	int pipefd[2], status, err = 0, i;
	pid_t pid;

	for (i = 0; i < 3 && !err; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", tmpdir, names[i]);
		err = put_temp(paths[i], in[i]);
	}
	if (err)
		return err;
	/* diff3 -m MINE OLDER YOURS: the node's edits applied to the image's. */
	argv[0] = "diff3";
	argv[1] = "-m";
	argv[2] = paths[0];
	argv[3] = paths[1];
	argv[4] = paths[2];
	argv[5] = NULL;
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	err = -posix_spawnp(&pid, "diff3", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (!err)
		err = read_fd(pipefd[0], &res);
	close(pipefd[0]);
	if (pid > 0 && waitpid(pid, &status, 0) < 0 && !err)
		err = -errno;
	if (!err && (!WIFEXITED(status) || WEXITSTATUS(status) > 1))
		err = -EIO; /* diff3 trouble (2) or a signal */
	if (!err && WEXITSTATUS(status) == 1)
		err = 1;
	if (err) {
		rbuf_free(&res);
		return err;
	}
	if (!res.p && rbuf_add(&res, "", 0) != 0)
		return -ENOMEM;
	*out = res;
	return 0;
}

/* ---- user databases ---------------------------------------------------- */

struct entry {
	const char *s; /* the line, without its newline */
	size_t n;
	size_t klen; /* the name: up to the first ':' (the whole line if none) */
};

struct entries {
	struct entry *v;
	size_t n;
};

static int entries_parse(const struct rbuf *b, struct entries *e)
{
	const char *p = b->p, *end = b->p + b->n;
	size_t cap = 0;

	e->v = NULL;
	e->n = 0;
	while (p && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *colon = memchr(p, ':', n);

		if (e->n == cap) {
			struct entry *bigger;

			cap = cap ? cap * 2 : 64;
			bigger = realloc(e->v, cap * sizeof(*bigger));
			if (!bigger)
				return -ENOMEM;
			e->v = bigger;
		}
		e->v[e->n++] = (struct entry){p, n, colon ? (size_t)(colon - p) : n};
		p += n + 1;
	}
	return 0;
}

static const struct entry *entries_find(const struct entries *e, const struct entry *key)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->v[i].klen == key->klen && !memcmp(e->v[i].s, key->s, key->klen))
			return &e->v[i];
	return NULL;
}

static bool entry_eq(const struct entry *a, const struct entry *b)
{
	return a->n == b->n && !memcmp(a->s, b->s, a->n);
}

static int put_entry(struct rbuf *out, const struct entry *e)
{
	int err = rbuf_add(out, e->s, e->n);

	return err ? err : rbuf_add(out, "\n", 1);
}

int merge_userdb(const struct rbuf *base, const struct rbuf *node, const struct rbuf *image,
		 struct rbuf *out)
{
	struct entries eb = {0}, en = {0}, ei = {0};
	struct rbuf res = {0};
	size_t i;
	int err;

	err = entries_parse(base, &eb);
	if (!err)
		err = entries_parse(node, &en);
	if (!err)
		err = entries_parse(image, &ei);
	for (i = 0; !err && i < ei.n; i++) {
		const struct entry *b = entries_find(&eb, &ei.v[i]);
		const struct entry *n = entries_find(&en, &ei.v[i]);
		const struct entry *take = &ei.v[i];

		if (b && entry_eq(b, &ei.v[i])) { /* the image left it alone */
			if (!n)
				continue; /* the node deleted it */
			take = n;
		}
		err = put_entry(&res, take);
	}
	for (i = 0; !err && i < en.n; i++)
		if (!entries_find(&eb, &en.v[i]) && !entries_find(&ei, &en.v[i]))
			err = put_entry(&res, &en.v[i]);
	if (!err && !res.p)
		err = rbuf_add(&res, "", 0);
	free(eb.v);
	free(en.v);
	free(ei.v);
	if (err) {
		rbuf_free(&res);
		return err;
	}
	*out = res;
	return 0;
}

int userdb_align(struct rbuf *shadow, const struct rbuf *names, const struct rbuf *node_shadow,
		 const struct rbuf *image_shadow)
{
	struct entries es = {0}, ep = {0}, en = {0}, ei = {0};
	struct rbuf res = {0};
	size_t i;
	int err;

	err = entries_parse(shadow, &es);
	if (!err)
		err = entries_parse(names, &ep);
	if (!err)
		err = entries_parse(node_shadow, &en);
	if (!err)
		err = entries_parse(image_shadow, &ei);
	for (i = 0; !err && i < es.n; i++)
		if (entries_find(&ep, &es.v[i]))
			err = put_entry(&res, &es.v[i]);
	for (i = 0; !err && i < ep.n; i++) {
		const struct entry *e;

		if (entries_find(&es, &ep.v[i]))
			continue;
		e = entries_find(&en, &ep.v[i]);
		if (!e)
			e = entries_find(&ei, &ep.v[i]);
		if (e)
			err = put_entry(&res, e);
	}
	if (!err && !res.p)
		err = rbuf_add(&res, "", 0);
	free(es.v);
	free(ep.v);
	free(en.v);
	free(ei.v);
	if (err) {
		rbuf_free(&res);
		return err;
	}
	rbuf_free(shadow);
	*shadow = res;
	return 0;
}
