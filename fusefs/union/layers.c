/* SPDX-License-Identifier: MIT */
/*
 * Name resolution through a node's layers. Host directories (overlay,
 * shared layers) are entered one name at a time with O_NOFOLLOW from their
 * parent's descriptor, so a symlink in a layer is never followed on the
 * host and no path is built: depth has no limit.
 */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define XATTR_OPAQUE "trusted.overlay.opaque"

bool is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

/* getxattr of @name in directory @dirfd without following a symlink. */
int host_getxattr(int dirfd, const char *name, const char *attr, void *buf, size_t size)
{
	char proc[64];
	ssize_t n;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* Following the magic link reaches the object the fd was opened on
	 * (a symlink itself, when it is one), never a symlink's target. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = getxattr(proc, attr, buf, size);
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

char *host_getxattr_str(int dirfd, const char *name, const char *attr)
{
	int n = host_getxattr(dirfd, name, attr, NULL, 0);

	/* The value may grow between the two calls: then ERANGE, again. */
	while (n > 0) {
		char *v = malloc((size_t)n + 1);
		int got;

		if (!v)
			return NULL;
		got = host_getxattr(dirfd, name, attr, v, (size_t)n);
		if (got >= 0) {
			v[got] = '\0';
			return v;
		}
		free(v);
		n = got == -ERANGE ? host_getxattr(dirfd, name, attr, NULL, 0) : -1;
	}
	return NULL;
}

/* setxattr of @name in directory @dirfd, whatever its type: a symlink, a
 * FIFO or a device cannot be opened for it without side effects, but its
 * O_PATH descriptor's magic link reaches it. */
int host_setxattr(int dirfd, const char *name, const char *attr, const void *val, size_t size)
{
	char proc[64];
	int err = 0;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (setxattr(proc, attr, val, size, 0) != 0)
		err = -errno;
	close(fd);
	return err;
}

DIR *host_opendir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	int e = errno;

	if (!d && fd >= 0) {
		close(fd);
		errno = e;
	}
	return d;
}

bool dir_is_opaque(int dirfd, const char *name)
{
	char v[4];
	int n = host_getxattr(dirfd, name, XATTR_OPAQUE, v, sizeof(v));

	return n == 1 && v[0] == 'y';
}

static void dirlayers_init(struct dirlayers *dl)
{
	unsigned i;

	memset(dl, 0, sizeof(*dl));
	dl->upper_fd = -1;
	for (i = 0; i < MAX_SHARED_LAYERS; i++)
		dl->shared_fd[i] = -1;
}

void layers_close(struct dirlayers *dl)
{
	unsigned i;

	if (dl->upper_fd >= 0)
		close(dl->upper_fd);
	for (i = 0; i < dl->n_shared && i < MAX_SHARED_LAYERS; i++)
		if (dl->shared_fd[i] >= 0)
			close(dl->shared_fd[i]);
	free(dl->path);
	dirlayers_init(dl);
}

int layers_open_root(struct union_fs *fs, struct pin *p, struct dirlayers *dl)
{
	unsigned i;

	dirlayers_init(dl);
	dl->id = 1;
	dl->path = strdup("");
	dl->upper_fd = openat(fs->upper_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dl->upper_fd < 0 || !dl->path) {
		int err = dl->path ? -errno : -ENOMEM;

		layers_close(dl);
		return err;
	}
	dl->lower_hidden = dir_is_opaque(fs->upper_fd, ".");
	dl->gen_dir = true;
	dl->n_shared = p->n_layers;
	for (i = 0; i < p->n_layers; i++) {
		char name[NODE_NAME_MAX + 2];

		snprintf(name, sizeof(name), "@%s", p->layers[i]);
		dl->shared_fd[i] = openat(fs->overlays_fd, name,
					  O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (p->gen && img_root(p->gen, &dl->img) == 0)
		dl->img_dir = true;
	return 0;
}

/* Enter @name of host dir @parent if it is a directory; -1 otherwise.
 * *hides: it exists but is not a dir (or is a whiteout, or opaque), so
 * layers below must not show this name's contents. */
static int host_step(int parent, const char *name, bool *hides)
{
	struct stat st;
	int fd;

	if (parent < 0 || fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		*hides = true;
		return -1;
	}
	fd = openat(parent, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && dir_is_opaque(parent, name))
		*hides = true;
	return fd;
}

bool layers_have_lower(const struct dirlayers *dl)
{
	unsigned i;

	if (dl->gen_dir || dl->img_dir)
		return true;
	for (i = 0; i < dl->n_shared; i++)
		if (dl->shared_fd[i] >= 0)
			return true;
	return false;
}

char *layers_join(const char *dir, const char *name)
{
	char *out;

	return asprintf(&out, "%s%s%s", dir, dir[0] ? "/" : "", name) < 0 ? NULL : out;
}

static int walk_path(struct union_fs *fs, struct pin *p, struct dirlayers *cur, const char *path,
		     struct dirlayers *dl);

/*
 * The lower side of a renamed directory @child: its overlay dir carries
 * redirect @rd, so the layers below have it at another path, absolute
 * (from each layer's root, whatever hides the parent) or a name in the
 * parent's lower directories, as kernel overlayfs follows it.
 */
static void step_redirect(struct union_fs *fs, struct pin *p, const struct dirlayers *parent,
			  const char *rd, struct dirlayers *child)
{
	struct dirlayers base, low;
	unsigned i;
	int err;

	if (rd[0] == '/') {
		while (*rd == '/')
			rd++;
		if (layers_open_root(fs, p, &base) != 0)
			return;
		close(base.upper_fd);
		base.upper_fd = -1;
		base.lower_hidden = false;
		err = walk_path(fs, p, &base, rd, &low);
	} else {
		if (strchr(rd, '/') || parent->lower_hidden)
			return; /* not a name: kernel overlayfs refuses it too */
		base = *parent; /* borrowed: layers_step only reads it */
		base.upper_fd = -1;
		base.path = NULL;
		err = layers_step(fs, p, &base, rd, &low);
	}
	if (err)
		return; /* nothing below: the overlay dir alone */
	child->lower_hidden = low.lower_hidden;
	child->gen_dir = low.gen_dir;
	child->gen = low.gen;
	child->img_dir = low.img_dir;
	child->img = low.img;
	for (i = 0; i < low.n_shared; i++) {
		child->shared_fd[i] = low.shared_fd[i];
		low.shared_fd[i] = -1;
	}
	layers_close(&low);
}

int layers_step(struct union_fs *fs, struct pin *p, const struct dirlayers *parent,
		const char *name, struct dirlayers *child)
{
	bool hidden = parent->lower_hidden, h = false;
	struct stat st;
	unsigned i;
	char *rd;

	dirlayers_init(child);
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG; /* not "absent": as the kernel answers */
	if (parent->path && !(child->path = layers_join(parent->path, name)))
		return -ENOMEM;
	child->upper_fd = host_step(parent->upper_fd, name, &h);
	child->n_shared = parent->n_shared;
	if (child->upper_fd >= 0 && !h &&
	    (rd = host_getxattr_str(parent->upper_fd, name, XATTR_REDIRECT))) {
		if (rd[0])
			step_redirect(fs, p, parent, rd, child);
		free(rd);
		return 0;
	}
	if (h)
		hidden = true;
	child->lower_hidden = hidden;
	if (!hidden && parent->gen_dir) {
		const struct gen_entry *ge = genlayer_child(&p->genl, parent->gen, name);

		if (ge && ge->is_dir) {
			child->gen_dir = true;
			child->gen = ge;
		} else if (ge) {
			hidden = true;
		}
	}
	for (i = 0; i < parent->n_shared; i++) {
		h = false;
		if (!hidden)
			child->shared_fd[i] = host_step(parent->shared_fd[i], name, &h);
		if (h)
			hidden = true;
	}
	if (!hidden && parent->img_dir && p->gen &&
	    img_lookup(p->gen, parent->img, name, &child->img, &st) == 0 && S_ISDIR(st.st_mode))
		child->img_dir = true;
	if (child->upper_fd < 0 && !layers_have_lower(child)) {
		layers_close(child);
		return -ENOENT;
	}
	return 0;
}

/* From @cur (consumed) down @path, one component at a time. */
static int walk_path(struct union_fs *fs, struct pin *p, struct dirlayers *cur, const char *path,
		     struct dirlayers *dl)
{
	struct dirlayers next;
	char comp[NAME_MAX + 1];
	const char *s = path;
	int err;

	while (*s) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if (len == 0 || len > NAME_MAX) {
			layers_close(cur);
			return len ? -ENAMETOOLONG : -ENOENT;
		}
		memcpy(comp, s, len);
		comp[len] = '\0';
		err = layers_step(fs, p, cur, comp, &next);
		layers_close(cur);
		if (err)
			return err;
		*cur = next;
		s += len + (e ? 1 : 0);
	}
	*dl = *cur;
	return 0;
}

int layers_open_path(struct union_fs *fs, struct pin *p, const char *path, struct dirlayers *dl)
{
	struct dirlayers cur;
	int err;

	err = layers_open_root(fs, p, &cur);
	if (err)
		return err;
	return walk_path(fs, p, &cur, path, dl);
}

static uint32_t path_hash32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h ? h : 1;
}

/*
 * What tells one host inode from a later one with the same number: the host
 * filesystem's own file handle carries the inode's generation (ext4, xfs,
 * btrfs and tmpfs all put it there). 0 where the host has no handles.
 */
static uint64_t host_handle_hash(int dirfd, const char *name)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	uint64_t v = 14695981039346656037ull;
	int mount_id;
	unsigned i;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(dirfd, name, &h.fh, &mount_id, 0) != 0)
		return 0;
	for (i = 0; i < h.fh.handle_bytes; i++) {
		v ^= h.fh.f_handle[i];
		v *= 1099511628211ull;
	}
	return v ^ (uint64_t)h.fh.handle_type;
}

/* A copied-up object keeps the id of what it was copied from. */
static bool origin_id(struct union_fs *fs, struct pin *p, int dirfd, const char *name, uint64_t *id)
{
	uint64_t v;
	struct nid n;

	if (host_getxattr(dirfd, name, XATTR_ORIGIN, &v, sizeof(v)) != sizeof(v))
		return false;
	if (!nid_decode(v, &n) || n.slot != fs->slot)
		return false;
	/* An origin in an older image generation names nothing now. */
	if (n.kind == NID_IMG && (!p->gen || n.gen != image_gen_id(p->gen)))
		return false;
	*id = v;
	return true;
}

/*
 * Two questions per name: what the union shows (the topmost object, merged
 * with lower directories while types agree and nothing opaque is in the
 * way), and whether any lower layer has the name at all (then deleting it
 * needs a whiteout, even if an overlay file hides it now).
 */
int layers_lookup(struct union_fs *fs, struct pin *p, const struct dirlayers *dir, const char *name,
		  struct uobj *o)
{
	struct nid n = {.slot = fs->slot};
	bool below_hidden = dir->lower_hidden, merge = true, top_dir = false;
	uint64_t lowest = 0;
	struct stat st;
	unsigned i;

	memset(o, 0, sizeof(*o));
	/* Every operation on a name starts with its lookup: refusing here
	 * answers chmod, unlink, rename... as the kernel's own filesystems do. */
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;

	if (dir->upper_fd >= 0 && fstatat(dir->upper_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (is_whiteout(&st))
			return -ENOENT;
		o->top = L_UPPER;
		o->st = st;
		top_dir = S_ISDIR(st.st_mode);
		merge = top_dir && !dir_is_opaque(dir->upper_fd, name);
	}
	if (!below_hidden && dir->gen_dir) {
		/* Where the lower layers have the directory (dir->gen). */
		const struct gen_entry *ge = genlayer_child(&p->genl, dir->gen, name);

		if (ge) {
			o->lower_present = true;
			if (merge && (o->top == L_NONE || (top_dir && ge->is_dir))) {
				n.kind = NID_GEN;
				n.payload = path_hash32(ge->path);
				lowest = nid_encode(&n);
				if (o->top == L_NONE) {
					o->top = L_GEN;
					o->ge = ge;
					memset(&o->st, 0, sizeof(o->st));
					o->st.st_mode = (ge->is_dir ? S_IFDIR : S_IFREG) | ge->mode;
					o->st.st_nlink = ge->is_dir ? 2 : 1;
					o->st.st_size = (off_t)ge->len;
					o->st.st_mtime = o->st.st_ctime = o->st.st_atime =
						p->genl.mtime;
					top_dir = ge->is_dir;
				}
			} else {
				merge = false;
			}
			if (!ge->is_dir)
				below_hidden = true;
		}
	}
	for (i = 0; i < dir->n_shared && !below_hidden; i++) {
		if (dir->shared_fd[i] < 0 ||
		    fstatat(dir->shared_fd[i], name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (is_whiteout(&st)) {
			if (o->top == L_NONE)
				return -ENOENT;
			break;
		}
		o->lower_present = true;
		if (merge && (o->top == L_NONE || (top_dir && S_ISDIR(st.st_mode)))) {
			n = (struct nid){.kind = NID_SHARED,
					 .slot = fs->slot,
					 .gen = i,
					 .payload = (uint32_t)st.st_ino};
			lowest = nid_encode(&n);
			if (o->top == L_NONE) {
				o->top = L_SHARED;
				o->top_shared = i;
				o->st = st;
				top_dir = S_ISDIR(st.st_mode);
			}
		} else {
			merge = false;
		}
		if (!S_ISDIR(st.st_mode) || dir_is_opaque(dir->shared_fd[i], name))
			below_hidden = true;
	}
	if (!below_hidden && dir->img_dir && p->gen &&
	    img_lookup(p->gen, dir->img, name, &o->img, &st) == 0) {
		o->lower_present = true;
		if (merge && (o->top == L_NONE || (top_dir && S_ISDIR(st.st_mode)))) {
			o->in_image = true;
			n = (struct nid){.kind = NID_IMG,
					 .slot = fs->slot,
					 .gen = image_gen_id(p->gen),
					 .payload = o->img};
			lowest = nid_encode(&n);
			if (o->top == L_NONE) {
				o->top = L_IMAGE;
				o->st = st;
			}
		}
	}
	if (o->top == L_NONE)
		return -ENOENT;
	o->id = lowest;
	if (o->top == L_UPPER && !origin_id(fs, p, dir->upper_fd, name, &o->id) && !lowest) {
		n = (struct nid){.kind = NID_UPPER,
				 .slot = fs->slot,
				 .gen = (unsigned)(o->st.st_ino >> 32) & 0xfff,
				 .payload = (uint32_t)o->st.st_ino};
		o->id = nid_encode(&n);
		o->fh_gen = host_handle_hash(dir->upper_fd, name);
	}
	o->st.st_ino = o->id;
	o->st.st_dev = 0;
	return 0;
}
