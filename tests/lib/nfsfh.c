/* SPDX-License-Identifier: MIT */
/*
 * nfsfh: an NFSv3 client that holds file handles, as a node's kernel does
 * across a server crash (libnfs raw RPC, no mount, no name cache).
 *
 *   nfsfh save SERVER EXPORT PATH...  MOUNT3 EXPORT for the root handle,
 *                                     LOOKUP3 each PATH (relative to the
 *                                     export, "." is its root) component by
 *                                     component; one line per PATH:
 *                                     "HANDLEHEX TYPE"
 *   nfsfh read SERVER HANDLEHEX       by the handle alone (GETATTR3, then no
 *                                     LOOKUP, no MOUNT): a regular file's
 *                                     bytes (READ3) to stdout, or a
 *                                     directory's names but "." and ".."
 *                                     (READDIRPLUS3), one a line, in the
 *                                     server's order
 *
 * Exit status: 0 done, 1 usage, connection or RPC failure, 2 an NFS error
 * other than NFS3ERR_STALE (named on stderr), 3 NFS3ERR_STALE (named on
 * stderr). TYPE is reg, dir, lnk, chr, blk, fifo or sock.
 */
#include <errno.h>
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

#define CALL_SECONDS 30
#define READ_CHUNK   65536
#define EXIT_RPC     1
#define EXIT_NFS     2
#define EXIT_STALE   3

struct fh {
	unsigned int len;
	unsigned char data[NFS3_FHSIZE];
};

/* One call in flight: the reply callback copies out what the caller needs. */
struct call {
	const char *what;
	bool done;
	bool failed; /* RPC-level: connection, decoding, timeout */
	int nfs;     /* nfsstat3 of the reply */
	void (*take)(struct call *c, void *reply);
	void *out;
};

/* What READ3 and READDIRPLUS3 replies leave for the next request. */
struct more {
	uint64_t next; /* READ3: offset; READDIRPLUS3: cookie */
	cookieverf3 verf;
	bool eof;
	bool write_failed;
};

static const char *nfsstat_name(int s)
{
	static const struct {
		int s;
		const char *name;
	} names[] = {
		{NFS3ERR_PERM, "NFS3ERR_PERM"},
		{NFS3ERR_NOENT, "NFS3ERR_NOENT"},
		{NFS3ERR_IO, "NFS3ERR_IO"},
		{NFS3ERR_ACCES, "NFS3ERR_ACCES"},
		{NFS3ERR_NOTDIR, "NFS3ERR_NOTDIR"},
		{NFS3ERR_ISDIR, "NFS3ERR_ISDIR"},
		{NFS3ERR_INVAL, "NFS3ERR_INVAL"},
		{NFS3ERR_NAMETOOLONG, "NFS3ERR_NAMETOOLONG"},
		{NFS3ERR_STALE, "NFS3ERR_STALE"},
		{NFS3ERR_BADHANDLE, "NFS3ERR_BADHANDLE"},
		{NFS3ERR_BAD_COOKIE, "NFS3ERR_BAD_COOKIE"},
		{NFS3ERR_NOTSUPP, "NFS3ERR_NOTSUPP"},
		{NFS3ERR_SERVERFAULT, "NFS3ERR_SERVERFAULT"},
		{NFS3ERR_JUKEBOX, "NFS3ERR_JUKEBOX"},
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].s == s)
			return names[i].name;
	return "NFS3ERR_(other)";
}

static const char *ftype3_name(int t)
{
	static const char *const names[] = {"?", "reg", "dir", "blk", "chr", "lnk", "sock", "fifo"};

	return t > 0 && t < (int)(sizeof(names) / sizeof(names[0])) ? names[t] : "?";
}

static void on_reply(struct rpc_context *rpc, int status, void *data, void *private_data)
{
	struct call *c = private_data;

	c->done = true;
	if (status != RPC_STATUS_SUCCESS) {
		c->failed = true;
		fprintf(stderr, "nfsfh: %s: %s\n", c->what,
			status == RPC_STATUS_ERROR && data ? (const char *)data
							   : rpc_get_error(rpc));
		return;
	}
	if (c->take)
		c->take(c, data);
}

/* Serve the connection until the call is answered; 0, or EXIT_RPC. */
static int wait_call(struct rpc_context *rpc, struct call *c)
{
	time_t end = time(NULL) + CALL_SECONDS;

	while (!c->done) {
		struct pollfd p = {.fd = rpc_get_fd(rpc), .events = (short)rpc_which_events(rpc)};
		int n = poll(&p, 1, 100);

		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "nfsfh: poll: %s\n", strerror(errno));
			return EXIT_RPC;
		}
		if (rpc_service(rpc, n > 0 ? p.revents : 0) < 0 && !c->done) {
			fprintf(stderr, "nfsfh: %s: %s\n", c->what, rpc_get_error(rpc));
			return EXIT_RPC;
		}
		if (!c->done && time(NULL) > end) {
			fprintf(stderr, "nfsfh: %s: no answer in %d s\n", c->what, CALL_SECONDS);
			return EXIT_RPC;
		}
	}
	return c->failed ? EXIT_RPC : 0;
}

/* The outcome of an answered call: 0, EXIT_STALE or EXIT_NFS (named). */
static int nfs_result(const struct call *c)
{
	if (c->nfs == NFS3_OK)
		return 0;
	fprintf(stderr, "nfsfh: %s: %s\n", c->what, nfsstat_name(c->nfs));
	return c->nfs == NFS3ERR_STALE ? EXIT_STALE : EXIT_NFS;
}

static struct rpc_context *connect_to(const char *server, int program, int version,
				      const char *what)
{
	struct rpc_context *rpc = rpc_init_context();
	struct call c = {.what = what};

	if (!rpc) {
		fprintf(stderr, "nfsfh: cannot make an RPC context\n");
		return NULL;
	}
	if (rpc_connect_program_async(rpc, server, program, version, on_reply, &c) != 0) {
		fprintf(stderr, "nfsfh: %s: %s\n", what, rpc_get_error(rpc));
		goto fail;
	}
	if (wait_call(rpc, &c) != 0)
		goto fail;
	return rpc;
fail:
	rpc_destroy_context(rpc);
	return NULL;
}

static void fh_set(struct fh *fh, const char *data, unsigned int len)
{
	fh->len = len < NFS3_FHSIZE ? len : NFS3_FHSIZE;
	memcpy(fh->data, data, fh->len);
}

static nfs_fh3 fh3(struct fh *fh)
{
	return (nfs_fh3){.data = {.data_len = fh->len, .data_val = (char *)fh->data}};
}

static void take_mnt(struct call *c, void *reply)
{
	mountres3 *r = reply;

	c->nfs = r->fhs_status; /* MNT3ERR_* share the NFS3ERR_* numbers */
	if (r->fhs_status == MNT3_OK)
		fh_set(c->out, r->mountres3_u.mountinfo.fhandle.fhandle3_val,
		       r->mountres3_u.mountinfo.fhandle.fhandle3_len);
}

static int mount_root(const char *server, const char *export, struct fh *root)
{
	struct rpc_context *rpc = connect_to(server, MOUNT_PROGRAM, MOUNT_V3, "connect to MOUNT3");
	struct call c = {.what = "MOUNT3 MNT", .take = take_mnt, .out = root};
	int rc = EXIT_RPC;

	if (!rpc)
		return EXIT_RPC;
	if (rpc_mount3_mnt_async(rpc, on_reply, (char *)export, &c) != 0)
		fprintf(stderr, "nfsfh: MOUNT3 MNT: %s\n", rpc_get_error(rpc));
	else if ((rc = wait_call(rpc, &c)) == 0)
		rc = nfs_result(&c);
	rpc_destroy_context(rpc);
	return rc;
}

/* LOOKUP3 and GETATTR3 leave the handle (LOOKUP3) and the type here. */
struct found {
	struct fh fh;
	int type;
	uint64_t size;
};

static void take_attr(struct found *f, const fattr3 *a)
{
	f->type = a->type;
	f->size = a->size;
}

static void take_lookup(struct call *c, void *reply)
{
	LOOKUP3res *r = reply;
	struct found *f = c->out;

	c->nfs = r->status;
	if (r->status != NFS3_OK)
		return;
	fh_set(&f->fh, r->LOOKUP3res_u.resok.object.data.data_val,
	       r->LOOKUP3res_u.resok.object.data.data_len);
	f->type = 0;
	if (r->LOOKUP3res_u.resok.obj_attributes.attributes_follow)
		take_attr(f, &r->LOOKUP3res_u.resok.obj_attributes.post_op_attr_u.attributes);
}

static void take_getattr(struct call *c, void *reply)
{
	GETATTR3res *r = reply;

	c->nfs = r->status;
	if (r->status == NFS3_OK)
		take_attr(c->out, &r->GETATTR3res_u.resok.obj_attributes);
}

static int getattr(struct rpc_context *rpc, struct fh *fh, struct found *f)
{
	GETATTR3args a = {.object = fh3(fh)};
	struct call c = {.what = "GETATTR3", .take = take_getattr, .out = f};
	int rc;

	if (rpc_nfs3_getattr_async(rpc, on_reply, &a, &c) != 0) {
		fprintf(stderr, "nfsfh: GETATTR3: %s\n", rpc_get_error(rpc));
		return EXIT_RPC;
	}
	rc = wait_call(rpc, &c);
	return rc ? rc : nfs_result(&c);
}

static int lookup(struct rpc_context *rpc, struct fh *dir, char *name, struct found *f)
{
	LOOKUP3args a = {.what = {.dir = fh3(dir), .name = name}};
	struct call c = {.what = "LOOKUP3", .take = take_lookup, .out = f};
	int rc;

	if (rpc_nfs3_lookup_async(rpc, on_reply, &a, &c) != 0) {
		fprintf(stderr, "nfsfh: LOOKUP3: %s\n", rpc_get_error(rpc));
		return EXIT_RPC;
	}
	rc = wait_call(rpc, &c);
	return rc ? rc : nfs_result(&c);
}

/* Walk PATH from the export's root, one LOOKUP3 per component. */
static int walk(struct rpc_context *rpc, const struct fh *root, const char *path, struct found *f)
{
	char *copy = strdup(path), *save = NULL, *name;
	int rc = 0;

	if (!copy)
		return EXIT_RPC;
	f->fh = *root;
	rc = getattr(rpc, &f->fh, f);
	for (name = strtok_r(copy, "/", &save); name && rc == 0;
	     name = strtok_r(NULL, "/", &save)) {
		struct fh dir = f->fh;

		if (strcmp(name, ".") == 0)
			continue;
		rc = lookup(rpc, &dir, name, f);
		if (rc == 0 && f->type == 0)
			rc = getattr(rpc, &f->fh, f);
		if (rc)
			fprintf(stderr, "nfsfh: %s: at \"%s\"\n", path, name);
	}
	free(copy);
	return rc;
}

static int save(const char *server, const char *export, char **paths, int n)
{
	struct fh root;
	struct rpc_context *rpc;
	int rc = mount_root(server, export, &root);

	if (rc)
		return rc;
	rpc = connect_to(server, NFS_PROGRAM, NFS_V3, "connect to NFS3");
	if (!rpc)
		return EXIT_RPC;
	for (int i = 0; i < n && rc == 0; i++) {
		struct found f = {0};

		rc = walk(rpc, &root, paths[i], &f);
		if (rc)
			break;
		for (unsigned int b = 0; b < f.fh.len; b++)
			printf("%02x", f.fh.data[b]);
		printf(" %s\n", ftype3_name(f.type));
	}
	rpc_destroy_context(rpc);
	return rc;
}

static void take_read(struct call *c, void *reply)
{
	READ3res *r = reply;
	struct more *m = c->out;
	READ3resok *ok = &r->READ3res_u.resok;

	c->nfs = r->status;
	if (r->status != NFS3_OK)
		return;
	if (ok->data.data_len &&
	    fwrite(ok->data.data_val, 1, ok->data.data_len, stdout) != ok->data.data_len)
		m->write_failed = true;
	m->next += ok->data.data_len;
	/* A short read that is not at EOF is fine; an empty one must be EOF. */
	m->eof = ok->eof || ok->data.data_len == 0;
}

static void take_readdirplus(struct call *c, void *reply)
{
	READDIRPLUS3res *r = reply;
	struct more *m = c->out;
	READDIRPLUS3resok *ok = &r->READDIRPLUS3res_u.resok;

	c->nfs = r->status;
	if (r->status != NFS3_OK)
		return;
	/* libnfs 4.0 decodes entries at 4-byte aligned addresses: copy each
	 * out before reading its 8-byte fields. */
	for (const void *p = ok->reply.entries; p;) {
		entryplus3 e;

		memcpy(&e, p, sizeof(e));
		if (strcmp(e.name, ".") != 0 && strcmp(e.name, "..") != 0 &&
		    printf("%s\n", e.name) < 0)
			m->write_failed = true;
		m->next = e.cookie;
		p = e.nextentry;
	}
	memcpy(m->verf, ok->cookieverf, sizeof(m->verf));
	m->eof = ok->reply.eof || !ok->reply.entries;
}

/* READ3 (a file) or READDIRPLUS3 (a directory) until EOF. */
static int read_all(struct rpc_context *rpc, struct fh *fh, bool dir)
{
	struct more m = {0};
	int rc = 0;

	while (!m.eof && rc == 0) {
		struct call c = {.out = &m};
		int q;

		if (dir) {
			READDIRPLUS3args a = {.dir = fh3(fh),
					      .cookie = m.next,
					      .dircount = 8192,
					      .maxcount = 32768};

			memcpy(a.cookieverf, m.verf, sizeof(a.cookieverf));
			c.what = "READDIRPLUS3";
			c.take = take_readdirplus;
			q = rpc_nfs3_readdirplus_async(rpc, on_reply, &a, &c);
		} else {
			READ3args a = {.file = fh3(fh), .offset = m.next, .count = READ_CHUNK};

			c.what = "READ3";
			c.take = take_read;
			q = rpc_nfs3_read_async(rpc, on_reply, &a, &c);
		}
		if (q != 0) {
			fprintf(stderr, "nfsfh: %s: %s\n", c.what, rpc_get_error(rpc));
			return EXIT_RPC;
		}
		rc = wait_call(rpc, &c);
		if (rc == 0)
			rc = nfs_result(&c);
		if (rc == 0 && m.write_failed) {
			fprintf(stderr, "nfsfh: stdout: %s\n", strerror(errno));
			rc = EXIT_RPC;
		}
	}
	return rc;
}

static int parse_hex(const char *hex, struct fh *fh)
{
	size_t n = strlen(hex);

	if (n == 0 || n % 2 || n / 2 > NFS3_FHSIZE)
		return -1;
	fh->len = (unsigned int)(n / 2);
	for (size_t i = 0; i < fh->len; i++) {
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		fh->data[i] = (unsigned char)b;
	}
	return 0;
}

static int read_handle(const char *server, const char *hex)
{
	struct fh fh;
	struct found f = {0};
	struct rpc_context *rpc;
	int rc;

	if (parse_hex(hex, &fh) != 0) {
		fprintf(stderr, "nfsfh: not a handle: %s\n", hex);
		return EXIT_RPC;
	}
	rpc = connect_to(server, NFS_PROGRAM, NFS_V3, "connect to NFS3");
	if (!rpc)
		return EXIT_RPC;
	rc = getattr(rpc, &fh, &f);
	if (rc == 0 && f.type != NF3REG && f.type != NF3DIR) {
		fprintf(stderr, "nfsfh: a %s, neither a file nor a directory\n",
			ftype3_name(f.type));
		rc = EXIT_NFS;
	}
	if (rc == 0)
		rc = read_all(rpc, &fh, f.type == NF3DIR);
	if (fflush(stdout) != 0 && rc == 0)
		rc = EXIT_RPC;
	rpc_destroy_context(rpc);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && strcmp(argv[1], "save") == 0)
		return save(argv[2], argv[3], argv + 4, argc - 4);
	if (argc == 4 && strcmp(argv[1], "read") == 0)
		return read_handle(argv[2], argv[3]);
	fprintf(stderr, "usage: nfsfh save SERVER EXPORT PATH... | nfsfh read SERVER HANDLEHEX\n");
	return EXIT_RPC;
}
