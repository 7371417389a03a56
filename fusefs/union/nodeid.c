/* SPDX-License-Identifier: MIT */
#include "fusefs/union/nodeid.h"

uint64_t nid_encode(const struct nid *n)
{
	if (n->kind == NID_ROOT)
		return 1;
	return (uint64_t)n->kind << NID_KIND_SHIFT |
	       (uint64_t)(n->via_mac ? 1 : 0) << NID_VIA_SHIFT |
	       (uint64_t)(n->slot & 0xffff) << NID_SLOT_SHIFT |
	       (uint64_t)(n->gen & 0xfff) << NID_GEN_SHIFT | n->payload;
}

bool nid_decode(uint64_t id, struct nid *n)
{
	n->kind = (enum nid_kind)(id >> NID_KIND_SHIFT);
	n->via_mac = (id >> NID_VIA_SHIFT) & 1;
	n->slot = (id >> NID_SLOT_SHIFT) & 0xffff;
	n->gen = (id >> NID_GEN_SHIFT) & 0xfff;
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
