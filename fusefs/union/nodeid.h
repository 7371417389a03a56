/* SPDX-License-Identifier: MIT */
/*
 * FUSE node ids are a pure function of persistent identities, so that a
 * handle taken before a daemon restart (or before the kernel forgot the
 * inode) names the same object afterwards, and no (id, FUSE generation)
 * pair is ever reused for a different object. Only an overlay-only id (a
 * host inode number) can come back for another object when the host reuses
 * the inode; its FUSE generation then differs (fusefs/union/layers.c):
 *
 *   63..61 kind   what the payload names
 *   60     via    in <tftp_root>: reached through the MAC dir (else serial)
 *   59..44 slot   persistent node slot (state/nodes); 0 = not node specific
 *   43..32 gen    persistent image generation id (12 bits)
 *   31..0  payload squashfs inode number, generated-file index, ...
 *
 * In a node's root mount the slot is the node's own: an id carrying
 * another slot came from another node's mount and is refused (ESTALE).
 *
 * FUSE_ROOT_ID (1) is kind 0 and is the only kind-0 id.
 */
#ifndef NETBOOTFS_NODEID_H
#define NETBOOTFS_NODEID_H

#include <stdbool.h>
#include <stdint.h>

enum nid_kind {
	NID_ROOT = 0,
	NID_CLIENT = 1, /* <tftp_root>/<serial or mac>/ */
	NID_IMG = 2,	/* an inode of an image generation */
	NID_GEN = 3,	/* a generated file (payload: hash of its path) */
	NID_UPPER = 4,	/* only in a node's overlay: gen:payload = host inode (44 bits) */
	NID_SHARED = 5, /* a shared layer object: gen = layer index, payload = host inode */
	NID_LOADER = 6, /* <tftp_root>/<iPXE loader>: payload = index (fusefs/tftp/pxe.h) */
};

/* The layout above, the one definition of it. */
#define NID_KIND_SHIFT 61
#define NID_VIA_SHIFT  60
#define NID_SLOT_SHIFT 44
#define NID_GEN_SHIFT  32
/* An id of a node's tree in <tftp_root> is its root mount's id with this
 * bit set when reached through the MAC dir. */
#define NID_VIA_MAC_BIT (1ull << NID_VIA_SHIFT)

struct nid {
	enum nid_kind kind;
	bool via_mac;
	unsigned slot;
	unsigned gen;
	uint32_t payload;
};

uint64_t nid_encode(const struct nid *n);
/* Returns false for ids no encoder produces. */
bool nid_decode(uint64_t id, struct nid *n);

#endif
