/* SPDX-License-Identifier: MIT */
/*
 * nfsbench: the NFSv3 workloads of bench/lib/nfs.sh, as a Pi's root sees
 * them, over libnfs raw RPC (one request in flight, like one process on a
 * client; no client-side cache, so every figure is the server's).
 *
 *   nfsbench walk SERVER EXPORT [DIR]
 *       READDIRPLUS3 every directory from the export's root (or from DIR,
 *       a path under it), depth first in the server's order, and GETATTR3
 *       every entry by its handle (LOOKUP3 first if READDIRPLUS gave none).
 *   nfsbench read SERVER EXPORT [-x PREFIX]...
 *       READDIRPLUS3 every directory, READ3 every regular file to its end
 *       (128 KiB a request) as the walk meets it; each file must give as
 *       many bytes as its size; files under a PREFIX (a path relative to
 *       the root, e.g. "etc/") are walked but not read nor counted.
 *   nfsbench create SERVER EXPORT DIR NDIRS NFILES
 *       MKDIR3 DIR, NDIRS directories in it, NFILES files of 100 bytes
 *       spread over them: CREATE3 (UNCHECKED), WRITE3 (UNSTABLE), COMMIT3 per
 *       file, as a Linux client's close() does.
 *
 * Output, one line: "entries=N files=F bytes=B seconds=S jukebox=J" (entries counted
 * under the root, the root itself included, as `find | wc -l`; files and
 * bytes: regular files and the sum of their sizes (walk, create) or of the
 * bytes read (read); seconds: the workload, MOUNT3 included; J: the
 * NFS3ERR_JUKEBOX replies, each request sent again after 0.1 s).
 * Exit status: 0, or 1 on any RPC or NFS error (named on stderr), a short
 * read, or an entry count that does not add up.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nfsc/libnfs.h>
#include <nfsc/libnfs-raw.h>
#include <nfsc/libnfs-raw-mount.h>
#include <nfsc/libnfs-raw-nfs.h>

#define REPLY_SECONDS	 60
#define READ_SIZE	 131072
#define FILE_BYTES	 100
#define JUKEBOX_PAUSE_NS 100000000L

struct handle {
	unsigned int len;
	char data[NFS3_FHSIZE];
};

struct totals {
	uint64_t entries, files, bytes;
};

struct bench {
	struct rpc_context *rpc;
	const char *server;
	char **skip; /* read: prefixes not read */
	int nskip;
	struct totals t;
	uint64_t jukebox; /* NFS3ERR_JUKEBOX replies, each sent again */
	char path[4096];  /* the walk's current directory, relative */
};

/* One request in flight; its reply handler fills what the caller passed. */
struct pending {
	const char *op;
	bool answered;
	bool rpc_failed;
	int status; /* nfsstat3 */
	void (*handle)(struct pending *p, void *reply);
	void *into;
};

static const char *nfs3_error(int status)
{
	switch (status) {
	case NFS3ERR_PERM:
		return "NFS3ERR_PERM";
	case NFS3ERR_NOENT:
		return "NFS3ERR_NOENT";
	case NFS3ERR_IO:
		return "NFS3ERR_IO";
	case NFS3ERR_ACCES:
		return "NFS3ERR_ACCES";
	case NFS3ERR_EXIST:
		return "NFS3ERR_EXIST";
	case NFS3ERR_NOTDIR:
		return "NFS3ERR_NOTDIR";
	case NFS3ERR_NOSPC:
		return "NFS3ERR_NOSPC";
	case NFS3ERR_STALE:
		return "NFS3ERR_STALE";
	case NFS3ERR_BADHANDLE:
		return "NFS3ERR_BADHANDLE";
	case NFS3ERR_BAD_COOKIE:
		return "NFS3ERR_BAD_COOKIE";
	case NFS3ERR_NOTSUPP:
		return "NFS3ERR_NOTSUPP";
	case NFS3ERR_SERVERFAULT:
		return "NFS3ERR_SERVERFAULT";
	case NFS3ERR_JUKEBOX:
		return "NFS3ERR_JUKEBOX";
	default:
		return "NFS3ERR_(other)";
	}
}

static void answered(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct pending *p = private_data;

	p->answered = true;
	if (status != RPC_STATUS_SUCCESS) {
		p->rpc_failed = true;
		fprintf(stderr, "nfsbench: %s: %s\n", p->op,
			status == RPC_STATUS_ERROR && data ? (const char *)data
							   : rpc_get_error(rpc));
		return;
	}
	if (p->handle)
		p->handle(p, data);
}

/*
 * Wait for the reply to a request that queue_rc says was queued; 0 if it
 * came back NFS3_OK, 1 if it is to be sent again (NFS3ERR_JUKEBOX, after a
 * pause), -1 (named on stderr) otherwise. Callers loop while it is 1.
 */
static int await(struct bench *b, struct pending *p, int queue_rc)
{
	time_t give_up = time(NULL) + REPLY_SECONDS;

	if (queue_rc != 0) {
		fprintf(stderr, "nfsbench: %s: %s\n", p->op, rpc_get_error(b->rpc));
		return -1;
	}
	while (!p->answered) {
		struct pollfd pfd = {.fd = rpc_get_fd(b->rpc),
				     .events = (short)rpc_which_events(b->rpc)};
		int n = poll(&pfd, 1, 200);

		if (n < 0 && errno != EINTR) {
			perror("nfsbench: poll");
			return -1;
		}
		if (rpc_service(b->rpc, n > 0 ? pfd.revents : 0) < 0 && !p->answered) {
			fprintf(stderr, "nfsbench: %s: %s\n", p->op, rpc_get_error(b->rpc));
			return -1;
		}
		if (!p->answered && time(NULL) > give_up) {
			fprintf(stderr, "nfsbench: %s: no reply in %d s\n", p->op, REPLY_SECONDS);
			return -1;
		}
	}
	if (p->rpc_failed)
		return -1;
	if (p->status == NFS3ERR_JUKEBOX) {
		/* "Try again later" (Ganesha: out of file descriptors, a FSAL
		 * delay): a Linux client waits 5 s and sends it again. */
		struct timespec pause = {.tv_nsec = JUKEBOX_PAUSE_NS};

		b->jukebox++;
		nanosleep(&pause, NULL);
		p->answered = false;
		p->status = NFS3_OK;
		return 1;
	}
	if (p->status != NFS3_OK) {
		fprintf(stderr, "nfsbench: %s in /%s: %s\n", p->op, b->path, nfs3_error(p->status));
		return -1;
	}
	return 0;
}

/* Send a request, and again while the server answers NFS3ERR_JUKEBOX. */
#define SEND(b, p, issue)                                    \
	({                                                   \
		int rc_;                                     \
		while ((rc_ = await((b), (p), (issue))) > 0) \
			;                                    \
		rc_;                                         \
	})

static nfs_fh3 as_fh3(const struct handle *h)
{
	return (nfs_fh3){.data = {.data_len = h->len, .data_val = (char *)h->data}};
}

static void keep_handle(struct handle *h, const char *data, unsigned int len)
{
	h->len = len < NFS3_FHSIZE ? len : NFS3_FHSIZE;
	memcpy(h->data, data, h->len);
}

static struct rpc_context *connect_program(const char *server, int program, int version)
{
	struct bench tmp = {.rpc = rpc_init_context()};
	struct pending p = {.op = program == MOUNT_PROGRAM ? "connect MOUNT3" : "connect NFS3",
			    .status = NFS3_OK};

	if (!tmp.rpc)
		return NULL;
	if (SEND(&tmp, &p,
		 rpc_connect_program_async(tmp.rpc, server, program, version, answered, &p))) {
		rpc_destroy_context(tmp.rpc);
		return NULL;
	}
	return tmp.rpc;
}

static void on_mnt(struct pending *p, void *reply)
{
	mountres3 *r = reply;

	p->status = r->fhs_status; /* MNT3ERR_* are the NFS3ERR_* numbers */
	if (r->fhs_status == MNT3_OK)
		keep_handle(p->into, r->mountres3_u.mountinfo.fhandle.fhandle3_val,
			    r->mountres3_u.mountinfo.fhandle.fhandle3_len);
}

static int mount_export(struct bench *b, const char *export, struct handle *root)
{
	struct bench m = {.rpc = connect_program(b->server, MOUNT_PROGRAM, MOUNT_V3)};
	struct pending p = {.op = "MOUNT3 MNT", .handle = on_mnt, .into = root};
	int rc;

	if (!m.rpc)
		return -1;
	rc = SEND(&m, &p, rpc_mount3_mnt_async(m.rpc, answered, (char *)export, &p));
	rpc_destroy_context(m.rpc);
	if (rc)
		return -1;
	b->rpc = connect_program(b->server, NFS_PROGRAM, NFS_V3);
	return b->rpc ? 0 : -1;
}

/* ---- attributes and names ----------------------------------------------- */

struct attr {
	int type;
	uint64_t size;
};

static void on_getattr(struct pending *p, void *reply)
{
	GETATTR3res *r = reply;
	struct attr *a = p->into;

	p->status = r->status;
	if (r->status == NFS3_OK) {
		a->type = r->GETATTR3res_u.resok.obj_attributes.type;
		a->size = r->GETATTR3res_u.resok.obj_attributes.size;
	}
}

static int getattr(struct bench *b, const struct handle *h, struct attr *a)
{
	GETATTR3args args = {.object = as_fh3(h)};
	struct pending p = {.op = "GETATTR3", .handle = on_getattr, .into = a};

	return SEND(b, &p, rpc_nfs3_getattr_async(b->rpc, answered, &args, &p));
}

static void on_lookup(struct pending *p, void *reply)
{
	LOOKUP3res *r = reply;

	p->status = r->status;
	if (r->status == NFS3_OK)
		keep_handle(p->into, r->LOOKUP3res_u.resok.object.data.data_val,
			    r->LOOKUP3res_u.resok.object.data.data_len);
}

static int lookup(struct bench *b, const struct handle *dir, const char *name, struct handle *h)
{
	LOOKUP3args args = {.what = {.dir = as_fh3(dir), .name = (char *)name}};
	struct pending p = {.op = "LOOKUP3", .handle = on_lookup, .into = h};

	return SEND(b, &p, rpc_nfs3_lookup_async(b->rpc, answered, &args, &p));
}

/* ---- directories ---------------------------------------------------------- */

struct entry {
	char *name;
	int type; /* 0: READDIRPLUS gave no attributes */
	uint64_t size;
	bool has_handle;
	struct handle h;
};

struct listing {
	struct entry *e;
	size_t n, cap;
	uint64_t cookie;
	cookieverf3 verf;
	bool eof;
	bool nomem;
};

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
}

static void on_readdirplus(struct pending *p, void *reply)
{
	READDIRPLUS3res *r = reply;
	READDIRPLUS3resok *ok = &r->READDIRPLUS3res_u.resok;
	struct listing *l = p->into;

	p->status = r->status;
	if (r->status != NFS3_OK)
		return;
	/* libnfs 4.0 leaves entries at 4-byte aligned addresses: copy each
	 * before touching its 8-byte fields. */
	for (const void *at = ok->reply.entries; at;) {
		entryplus3 e;
		struct entry *x;

		memcpy(&e, at, sizeof(e));
		at = e.nextentry;
		l->cookie = e.cookie;
		if (strcmp(e.name, ".") == 0 || strcmp(e.name, "..") == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;
			struct entry *more = realloc(l->e, cap * sizeof(*more));

			if (!more) {
				l->nomem = true;
				return;
			}
			l->e = more;
			l->cap = cap;
		}
		x = &l->e[l->n];
		memset(x, 0, sizeof(*x));
		x->name = strdup(e.name);
		if (!x->name) {
			l->nomem = true;
			return;
		}
		l->n++;
		if (e.name_attributes.attributes_follow) {
			x->type = e.name_attributes.post_op_attr_u.attributes.type;
			x->size = e.name_attributes.post_op_attr_u.attributes.size;
		}
		if (e.name_handle.handle_follows) {
			x->has_handle = true;
			keep_handle(&x->h, e.name_handle.post_op_fh3_u.handle.data.data_val,
				    e.name_handle.post_op_fh3_u.handle.data.data_len);
		}
	}
	memcpy(l->verf, ok->cookieverf, sizeof(l->verf));
	l->eof = ok->reply.eof;
}

/* Every entry of a directory but "." and "..", in the server's order. */
static int list_dir(struct bench *b, const struct handle *dir, struct listing *l)
{
	memset(l, 0, sizeof(*l));
	while (!l->eof) {
		READDIRPLUS3args args = {.dir = as_fh3(dir),
					 .cookie = l->cookie,
					 .dircount = 8192,
					 .maxcount = 32768};
		struct pending p = {.op = "READDIRPLUS3", .handle = on_readdirplus, .into = l};
		size_t before = l->n;

		memcpy(args.cookieverf, l->verf, sizeof(args.cookieverf));
		if (SEND(b, &p, rpc_nfs3_readdirplus_async(b->rpc, answered, &args, &p)))
			return -1;
		if (l->nomem) {
			fprintf(stderr, "nfsbench: out of memory\n");
			return -1;
		}
		if (!l->eof && l->n == before && p.status == NFS3_OK && l->cookie == args.cookie) {
			fprintf(stderr, "nfsbench: READDIRPLUS3 in /%s: no progress\n", b->path);
			return -1;
		}
	}
	return 0;
}

/* ---- reading a file ------------------------------------------------------- */

struct readpos {
	uint64_t offset;
	bool eof;
};

static void on_read(struct pending *p, void *reply)
{
	READ3res *r = reply;
	struct readpos *pos = p->into;

	p->status = r->status;
	if (r->status != NFS3_OK)
		return;
	pos->offset += r->READ3res_u.resok.data.data_len;
	pos->eof = r->READ3res_u.resok.eof || r->READ3res_u.resok.data.data_len == 0;
}

static int read_file(struct bench *b, const struct entry *e)
{
	struct readpos pos = {0};

	while (!pos.eof) {
		READ3args args = {.file = as_fh3(&e->h), .offset = pos.offset, .count = READ_SIZE};
		struct pending p = {.op = "READ3", .handle = on_read, .into = &pos};

		if (SEND(b, &p, rpc_nfs3_read_async(b->rpc, answered, &args, &p)))
			return -1;
	}
	if (pos.offset != e->size) {
		fprintf(stderr, "nfsbench: /%s/%s: read %" PRIu64 " bytes of %" PRIu64 "\n",
			b->path, e->name, pos.offset, e->size);
		return -1;
	}
	b->t.files++;
	b->t.bytes += pos.offset;
	return 0;
}

static bool skipped(const struct bench *b, const char *rel)
{
	for (int i = 0; i < b->nskip; i++)
		if (strncmp(rel, b->skip[i], strlen(b->skip[i])) == 0)
			return true;
	return false;
}

/* ---- the walk ------------------------------------------------------------- */

/* Depth first from dir (whose path is b->path); read: read files, no GETATTR. */
static int walk(struct bench *b, const struct handle *dir, bool read)
{
	struct listing l;
	size_t plen = strlen(b->path);
	int rc = list_dir(b, dir, &l);

	for (size_t i = 0; i < l.n && rc == 0; i++) {
		struct entry *e = &l.e[i];

		b->t.entries++;
		if (!e->has_handle && (rc = lookup(b, dir, e->name, &e->h)) == 0)
			e->has_handle = true;
		if (rc == 0 && (!read || !e->type)) {
			struct attr a;

			rc = getattr(b, &e->h, &a);
			e->type = a.type;
			e->size = a.size;
		}
		if (rc)
			break;
		if (snprintf(b->path + plen, sizeof(b->path) - plen, "%s%s", plen ? "/" : "",
			     e->name) >= (int)(sizeof(b->path) - plen)) {
			fprintf(stderr, "nfsbench: path too long under /%s\n", b->path);
			rc = -1;
		} else if (e->type == NF3DIR) {
			rc = walk(b, &e->h, read);
		} else if (e->type == NF3REG && read) {
			if (!skipped(b, b->path)) {
				b->path[plen] = 0;
				rc = read_file(b, e);
			}
		} else if (e->type == NF3REG) {
			b->t.files++;
			b->t.bytes += e->size;
		}
		b->path[plen] = 0;
	}
	listing_free(&l);
	return rc;
}

/* ---- creating ------------------------------------------------------------- */

static void on_made(struct pending *p, void *reply)
{
	/* CREATE3res and MKDIR3res share their layout up to the handle. */
	CREATE3res *r = reply;
	struct handle *h = p->into;

	p->status = r->status;
	h->len = 0;
	if (r->status == NFS3_OK && r->CREATE3res_u.resok.obj.handle_follows)
		keep_handle(h, r->CREATE3res_u.resok.obj.post_op_fh3_u.handle.data.data_val,
			    r->CREATE3res_u.resok.obj.post_op_fh3_u.handle.data.data_len);
}

static sattr3 mode_only(unsigned int mode)
{
	return (sattr3){.mode = {.set_it = 1, .set_mode3_u = {.mode = mode}}};
}

static int made_handle(struct bench *b, const struct handle *dir, const char *name,
		       struct handle *h)
{
	/* A server may leave the handle out of the reply: look it up. */
	return h->len ? 0 : lookup(b, dir, name, h);
}

static int make_dir(struct bench *b, const struct handle *dir, char *name, struct handle *h)
{
	MKDIR3args args = {.where = {.dir = as_fh3(dir), .name = name},
			   .attributes = mode_only(0755)};
	struct pending p = {.op = "MKDIR3", .handle = on_made, .into = h};

	if (SEND(b, &p, rpc_nfs3_mkdir_async(b->rpc, answered, &args, &p)))
		return -1;
	return made_handle(b, dir, name, h);
}

static void on_status(struct pending *p, void *reply)
{
	/* WRITE3res and COMMIT3res: the status comes first. */
	p->status = *(nfsstat3 *)reply;
}

static int make_file(struct bench *b, const struct handle *dir, char *name)
{
	static char data[FILE_BYTES];
	CREATE3args c = {
		.where = {.dir = as_fh3(dir), .name = name},
		.how = {.mode = UNCHECKED, .createhow3_u = {.obj_attributes = mode_only(0644)}}};
	struct handle h;
	struct pending p = {.op = "CREATE3", .handle = on_made, .into = &h};
	WRITE3args w = {.count = FILE_BYTES,
			.stable = UNSTABLE,
			.data = {.data_len = FILE_BYTES, .data_val = data}};
	COMMIT3args m = {0};

	memset(data, 'y', sizeof(data) - 1);
	data[FILE_BYTES - 1] = '\n';
	if (SEND(b, &p, rpc_nfs3_create_async(b->rpc, answered, &c, &p)) ||
	    made_handle(b, dir, name, &h))
		return -1;
	w.file = as_fh3(&h);
	p = (struct pending){.op = "WRITE3", .handle = on_status};
	if (SEND(b, &p, rpc_nfs3_write_async(b->rpc, answered, &w, &p)))
		return -1;
	m.file = as_fh3(&h);
	p = (struct pending){.op = "COMMIT3", .handle = on_status};
	return SEND(b, &p, rpc_nfs3_commit_async(b->rpc, answered, &m, &p));
}

static int create(struct bench *b, const struct handle *root, char *top, long ndirs, long nfiles)
{
	struct handle topdir, *dirs = calloc((size_t)ndirs, sizeof(*dirs));
	char name[64];
	int rc = -1;

	if (!dirs)
		return -1;
	snprintf(b->path, sizeof(b->path), "%s", top);
	if (make_dir(b, root, top, &topdir))
		goto out;
	for (long d = 0; d < ndirs; d++) {
		snprintf(name, sizeof(name), "d%ld", d);
		if (make_dir(b, &topdir, name, &dirs[d]))
			goto out;
	}
	for (long f = 0; f < nfiles; f++) {
		snprintf(name, sizeof(name), "f%ld", f);
		snprintf(b->path, sizeof(b->path), "%s/d%ld", top, f % ndirs);
		if (make_file(b, &dirs[f % ndirs], name))
			goto out;
	}
	b->t.entries = 1 + (uint64_t)ndirs + (uint64_t)nfiles;
	b->t.files = (uint64_t)nfiles;
	b->t.bytes = (uint64_t)nfiles * FILE_BYTES;
	rc = 0;
out:
	free(dirs);
	return rc;
}

/* ---- main ----------------------------------------------------------------- */

/* DIR under the root, component by component. */
static int resolve(struct bench *b, const struct handle *root, const char *path, struct handle *h)
{
	char *copy = strdup(path), *save = NULL;
	int rc = copy ? 0 : -1;

	*h = *root;
	for (char *c = copy ? strtok_r(copy, "/", &save) : NULL; c && rc == 0;
	     c = strtok_r(NULL, "/", &save)) {
		struct handle dir = *h;

		rc = lookup(b, &dir, c, h);
	}
	free(copy);
	return rc;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
	fprintf(stderr, "usage: nfsbench walk SERVER EXPORT [DIR]\n"
			"       nfsbench read SERVER EXPORT [-x PREFIX]...\n"
			"       nfsbench create SERVER EXPORT DIR NDIRS NFILES\n");
	return 1;
}

int main(int argc, char **argv)
{
	struct bench b = {0};
	struct handle root, start;
	const char *w;
	double t0;
	int rc;

	if (argc < 4)
		return usage();
	w = argv[1];
	b.server = argv[2];
	if (strcmp(w, "read") == 0) {
		for (int i = 4; i < argc; i += 2) {
			if (strcmp(argv[i], "-x") != 0 || i + 1 >= argc)
				return usage();
		}
		b.skip = calloc((size_t)argc, sizeof(*b.skip));
		if (!b.skip)
			return 1;
		for (int i = 5; i < argc; i += 2)
			b.skip[b.nskip++] = argv[i];
	} else if (!(strcmp(w, "walk") == 0 && argc <= 5) &&
		   !(strcmp(w, "create") == 0 && argc == 7)) {
		return usage();
	}
	t0 = now();
	rc = mount_export(&b, argv[3], &root);
	if (rc == 0 && strcmp(w, "create") == 0) {
		long nd = strtol(argv[5], NULL, 10), nf = strtol(argv[6], NULL, 10);

		rc = nd > 0 && nf >= 0 ? create(&b, &root, argv[4], nd, nf) : usage();
	} else if (rc == 0) {
		const char *dir = argc == 5 && strcmp(w, "walk") == 0 ? argv[4] : "";
		struct attr a;

		rc = resolve(&b, &root, dir, &start);
		if (rc == 0)
			rc = getattr(&b, &start, &a);
		if (rc == 0 && a.type != NF3DIR) {
			fprintf(stderr, "nfsbench: /%s is not a directory\n", dir);
			rc = -1;
		}
		b.t.entries = 1; /* the start directory, as find counts it */
		if (rc == 0)
			rc = walk(&b, &start, strcmp(w, "read") == 0);
	}
	if (b.rpc)
		rpc_destroy_context(b.rpc);
	free(b.skip);
	if (rc)
		return 1;
	printf("entries=%" PRIu64 " files=%" PRIu64 " bytes=%" PRIu64
	       " seconds=%.6f jukebox=%" PRIu64 "\n",
	       b.t.entries, b.t.files, b.t.bytes, now() - t0, b.jukebox);
	return 0;
}
