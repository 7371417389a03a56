/* SPDX-License-Identifier: MIT */
#include "fusefs/union/nodeid.h"

#define KIND_SHIFT 61
#define VIA_SHIFT  60
#define SLOT_SHIFT 44
#define GEN_SHIFT  32

uint64_t nid_encode(const struct nid *n)
{
	if (n->kind == NID_ROOT)
		return 1;
	return (uint64_t)n->kind << KIND_SHIFT | (uint64_t)(n->via_mac ? 1 : 0) << VIA_SHIFT |
	       (uint64_t)(n->slot & 0xffff) << SLOT_SHIFT |
	       (uint64_t)(n->gen & 0xfff) << GEN_SHIFT | n->payload;
}

bool nid_decode(uint64_t id, struct nid *n)
{
	n->kind = (enum nid_kind)(id >> KIND_SHIFT);
	n->via_mac = (id >> VIA_SHIFT) & 1;
	n->slot = (id >> SLOT_SHIFT) & 0xffff;
	n->gen = (id >> GEN_SHIFT) & 0xfff;
	n->payload = (uint32_t)id;
	switch (n->kind) {
	case NID_ROOT:
		return id == 1;
	case NID_CLIENT:
		return n->slot != 0 && n->gen == 0 && n->payload == 0;
	case NID_IMG:
		return n->gen != 0;
	case NID_GEN:
		return n->slot != 0 && n->gen == 0;
	case NID_UPPER:
	case NID_SHARED:
		return n->slot != 0;
	case NID_LOADER:
		return n->slot == 0 && n->gen == 0 && !n->via_mac;
	}
	return false;
}
