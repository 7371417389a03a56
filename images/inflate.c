/* SPDX-License-Identifier: MIT */
/*
 * gzip (zlib-format) blocks inflated with libdeflate instead of
 * libsquashfuse's zlib call: whole blocks in one buffer are libdeflate's
 * case, and it inflates them about twice as fast. Cold reads of a gzip
 * image spent over a third of the daemon's time in zlib.
 *
 * libsquashfuse calls a decompressor without a context, so each call
 * allocates its own libdeflate state (a few KiB, as zlib's uncompress()
 * does too); no state is shared between threads.
 */
#include <libdeflate.h>

#include "images/image_priv.h"

static sqfs_err inflate_block(void *in, size_t insz, void *out, size_t *outsz)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	enum libdeflate_result res;
	size_t got = 0;

	if (!d)
		return SQFS_ERR;
	/* Checks the stream and its Adler-32, and never writes past *outsz. */
	res = libdeflate_zlib_decompress(d, in, insz, out, *outsz, &got);
	libdeflate_free_decompressor(d);
	if (res != LIBDEFLATE_SUCCESS)
		return SQFS_ERR;
	*outsz = got;
	return SQFS_OK;
}

void img_use_fast_inflate(sqfs *fs)
{
	if (fs->sb.compression == ZLIB_COMPRESSION)
		fs->decompressor = inflate_block;
}
