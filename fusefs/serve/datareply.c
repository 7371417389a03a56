/* SPDX-License-Identifier: MIT */
/* Answer READ from a host file, a generated file, an image file. */
#include "fusefs/serve/datareply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fusefs/serve/log.h"

ssize_t reply_fd_data(fuse_req_t req, int fd, size_t size, off_t off)
{
	struct fuse_bufvec bv = FUSE_BUFVEC_INIT(size);
	struct stat st;
	ssize_t n;

	bv.buf[0].flags = FUSE_BUF_IS_FD | FUSE_BUF_FD_SEEK;
	bv.buf[0].fd = fd;
	bv.buf[0].pos = off;
	n = fstat(fd, &st) == 0 && st.st_size > off ? st.st_size - off : 0;
	fuse_reply_data(req, &bv, FUSE_BUF_SPLICE_MOVE);
	return n < (ssize_t)size ? n : (ssize_t)size;
}

ssize_t reply_gen_data(fuse_req_t req, const struct gen_entry *ge, size_t size, off_t off)
{
	size_t len = (size_t)off < ge->len ? ge->len - (size_t)off : 0;

	len = len < size ? len : size;
	fuse_reply_buf(req, ge->data + (len ? off : 0), len);
	return (ssize_t)len;
}

ssize_t reply_image_data(fuse_req_t req, struct image_gen *g, img_ino ino, size_t size, off_t off)
{
	char *buf = malloc(size ? size : 1);
	ssize_t n;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return -ENOMEM;
	}
	n = img_read(g, ino, buf, size, off);
	if (n < 0) {
		log_err("read of %s generation %u inode %u at %lld: %s", image_gen_name(g),
			image_gen_id(g), ino, (long long)off, strerror((int)-n));
		fuse_reply_err(req, (int)-n);
	} else {
		fuse_reply_buf(req, buf, (size_t)n);
	}
	free(buf);
	return n;
}

ssize_t reply_ufile_data(fuse_req_t req, struct ufile *f, size_t size, off_t off)
{
	int fd = ufile_data_fd(f);

	if (fd >= 0)
		return reply_fd_data(req, fd, size, off);
	if (f->ge)
		return reply_gen_data(req, f->ge, size, off);
	return reply_image_data(req, f->gen, f->ino, size, off);
}
