/* SPDX-License-Identifier: MIT */
/* Files of the union open for reading. */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct ufile *ufile_new(void)
{
	struct ufile *f = calloc(1, sizeof(*f));

	if (f) {
		f->fd = -1;
		f->upper_fd = -1;
	}
	return f;
}

int ufile_open_ro(struct union_fs *fs, struct pin *p, const struct dirlayers *parent,
		  const char *name, const struct uobj *o, struct ufile *f, bool *keep_cache)
{
	f->fd = -1;
	f->upper_fd = -1;
	f->fs = fs;
	f->id = o->id;
	f->epoch = atomic_load(&fs->epoch);
	pthread_mutex_init(&f->lock, NULL);
	atomic_fetch_add(&fs->users, 1); /* dropped by ufile_close() */
	pthread_mutex_lock(&fs->open_lock);
	f->open_next = fs->open_list;
	fs->open_list = f;
	pthread_mutex_unlock(&fs->open_lock);
	*keep_cache = false;
	switch (o->top) {
	case L_UPPER:
	case L_SHARED:
		f->fd = openat(o->top == L_UPPER ? parent->upper_fd
						 : parent->shared_fd[o->top_shared],
			       name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		return f->fd < 0 ? -errno : 0;
	case L_GEN:
		/* The open file keeps the pin, and so the data. */
		f->pin = pin_ref(p);
		f->ge = o->ge;
		return 0;
	case L_IMAGE:
		f->gen = image_gen_ref(p->gen);
		f->ino = o->img;
		*keep_cache = true; /* immutable: keep decompressed pages */
		return 0;
	default:
		return -ENOENT;
	}
}

/* The overlay copy of a lower file opened before it was copied up, or -1. */
static int copy_fd(struct ufile *f)
{
	char name[NAME_MAX + 1];
	struct dirlayers parent;
	struct uobj o;
	struct pin *p;
	uint64_t now;
	int fd;

	if (!f->fs || f->fd >= 0)
		return -1;
	fd = __atomic_load_n(&f->upper_fd, __ATOMIC_ACQUIRE);
	now = atomic_load(&f->fs->epoch);
	if (fd >= 0 || now == __atomic_load_n(&f->epoch, __ATOMIC_RELAXED))
		return fd;
	pthread_mutex_lock(&f->lock);
	p = f->fs->pin_get ? f->fs->pin_get(f->fs->pin_ctx) : NULL;
	if (f->upper_fd < 0 && p && layers_resolve_id(f->fs, p, f->id, &parent, name, &o) == 0) {
		if (o.top == L_UPPER)
			__atomic_store_n(
				&f->upper_fd,
				openat(parent.upper_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC),
				__ATOMIC_RELEASE);
		layers_close(&parent);
	}
	pin_put(p);
	__atomic_store_n(&f->epoch, now, __ATOMIC_RELAXED);
	fd = f->upper_fd;
	pthread_mutex_unlock(&f->lock);
	return fd;
}

int ufile_data_fd(struct ufile *f)
{
	return f->fd >= 0 ? f->fd : copy_fd(f);
}

int ufile_getattr(struct ufile *f, struct stat *st)
{
	int fd =
		f->fd >= 0 ? f->fd : (f->fs ? __atomic_load_n(&f->upper_fd, __ATOMIC_ACQUIRE) : -1);

	if (fd >= 0)
		return fstat(fd, st) == 0 ? 0 : -errno;
	if (f->gen)
		return img_getattr(f->gen, f->ino, st);
	if (f->ge) {
		memset(st, 0, sizeof(*st));
		st->st_mode = S_IFREG | f->ge->mode;
		st->st_nlink = 1;
		st->st_size = (off_t)f->ge->len;
		st->st_mtime = st->st_ctime = st->st_atime = f->pin->genl.mtime;
		return 0;
	}
	return -EBADF;
}

int union_open_getattr(struct union_fs *fs, uint64_t id, struct stat *st)
{
	struct ufile *f;
	int err = -ESTALE;

	pthread_mutex_lock(&fs->open_lock);
	for (f = fs->open_list; f; f = f->open_next) {
		if (f->id == id) {
			err = ufile_getattr(f, st);
			break;
		}
	}
	pthread_mutex_unlock(&fs->open_lock);
	if (!err) {
		st->st_ino = id;
		st->st_dev = 0;
	}
	return err;
}

void ufile_close(struct ufile *f)
{
	if (!f)
		return;
	if (f->fd >= 0)
		close(f->fd);
	if (f->fs) {
		struct ufile **pp;

		pthread_mutex_lock(&f->fs->open_lock);
		for (pp = &f->fs->open_list; *pp; pp = &(*pp)->open_next) {
			if (*pp == f) {
				*pp = f->open_next;
				break;
			}
		}
		pthread_mutex_unlock(&f->fs->open_lock);
		if (f->upper_fd >= 0)
			close(f->upper_fd);
		pthread_mutex_destroy(&f->lock);
		union_fs_put(f->fs);
	}
	if (f->gen)
		image_gen_put(f->gen);
	pin_put(f->pin);
	free(f);
}
