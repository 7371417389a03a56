/* SPDX-License-Identifier: MIT */
/* The TFTP view: LOOKUP (which may start a node's boot) and GETATTR. */
#include "fusefs/tftp/tftp_priv.h"
#include "fusefs/nodes.h"

#include <errno.h>
#include <string.h>

#include "fusefs/tftp/tftpcaller.h"

static void reply_entry_for(fuse_req_t req, uint64_t id, double entry_timeout)
{
	struct fuse_entry_param e;
	int err;

	tftp_entry_init(&e, id, entry_timeout);
	err = tftp_getattr_id(req_daemon(req), id, &e.attr);
	if (err)
		fuse_reply_err(req, err == -ENOENT ? ESTALE : -err);
	else
		fuse_reply_entry(req, &e);
}

void tftp_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct daemon *d = req_daemon(req);
	struct fuse_entry_param e;
	double node_timeout = TIMEOUT_NODE;
	struct node_rt *rt;
	bool by_server;
	uint64_t id = 0;
	struct nid pn;
	int err;

	if (!nid_decode(parent, &pn)) {
		fuse_reply_err(req, ESTALE);
		return;
	}
	if (strcmp(name, ".") == 0) {
		reply_entry_for(req, parent, tftp_timeout_for(parent));
		return;
	}
	if (strcmp(name, "..") == 0) {
		err = tftp_parent_of(d, &pn, parent, &id);
	} else if (pn.kind == NID_ROOT) {
		err = tftp_lookup_in_root(d, name, &id);
	} else if (pn.slot) {
		rt = daemon_node(d, pn.slot);
		/* A boot re-pins before the pin is read; reads on the server
		 * itself never start one. */
		by_server = rt && tftp_caller_is_server(d, fuse_req_ctx(req)->pid);
		if (by_server)
			node_tftp_request(d, rt, name, pn.kind == NID_CLIENT);
		/* A name cached for a read on the server would hide the TFTP
		 * server's next lookup of it, which may be a boot's start. */
		if (!by_server)
			node_timeout = 0;
		err = tftp_lookup_in_node(d, &pn, parent, name, by_server, &id);
	} else {
		err = -ENOTDIR;
	}
	if (err == -ENOENT) {
		/* A negative entry, cached briefly. */
		tftp_entry_init(&e, 0, pn.slot ? node_timeout : TIMEOUT_NEGATIVE);
		fuse_reply_entry(req, &e);
	} else if (err) {
		fuse_reply_err(req, -err);
	} else {
		reply_entry_for(req, id, pn.slot ? node_timeout : tftp_timeout_for(id));
	}
}

void tftp_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	/* An open file's handle: a node's root file or an image file. */
	struct ufile *f = fi ? (struct ufile *)(uintptr_t)fi->fh : NULL;
	struct stat st;
	int err = tftp_getattr_id(req_daemon(req), ino, &st);

	/* fstat() of an open file: the size of what it reads (dnsmasq sends
	 * exactly that many bytes), and its attributes even once the node
	 * booted onto another generation. */
	if (f) {
		struct stat fst;

		if (ufile_getattr(f, &fst) == 0) {
			if (err) {
				st = fst;
				tftp_attr_present(&st, ino);
				err = 0;
			}
			st.st_size = fst.st_size;
		}
	}
	if (err)
		fuse_reply_err(req, -err);
	else
		fuse_reply_attr(req, &st, tftp_timeout_for(ino));
}
