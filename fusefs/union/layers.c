/* SPDX-License-Identifier: MIT */
/*
 * Path resolution through a node's layers. Host directories (overlay,
 * shared layers) are entered one component at a time with O_NOFOLLOW, so
 * a symlink in a layer is never followed on the host.
 */
#include "fusefs/union/union_priv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <sys/syscall.h>
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
	dirlayers_init(dl);
}

int layers_open_root(struct union_fs *fs, struct pin *p, struct dirlayers *dl)
{
	unsigned i;

	dirlayers_init(dl);
	dl->upper_fd = openat(fs->upper_fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dl->upper_fd < 0)
		return -errno;
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

static int join_path(char *out, size_t size, const char *dir, const char *name)
{
	int n = snprintf(out, size, "%s%s%s", dir, dir[0] ? "/" : "", name);

	return n >= (int)size ? -ENAMETOOLONG : 0;
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
		base = *parent; /* borrowed fds: layers_step only reads them */
		base.upper_fd = -1;
		err = layers_step(fs, p, &base, rd, &low);
	}
	if (err)
		return; /* nothing below: the overlay dir alone */
	memcpy(child->lpath, low.lpath, sizeof(child->lpath));
	child->lower_hidden = low.lower_hidden;
	child->gen_dir = low.gen_dir;
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
	char rd[PATH_MAX];
	struct stat st;
	unsigned i;
	int n;

	dirlayers_init(child);
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG; /* not "absent": as the kernel answers */
	if (join_path(child->path, sizeof(child->path), parent->path, name) ||
	    join_path(child->lpath, sizeof(child->lpath), parent->lpath, name))
		return -ENAMETOOLONG;
	child->upper_fd = host_step(parent->upper_fd, name, &h);
	child->n_shared = parent->n_shared;
	if (child->upper_fd >= 0 && !h &&
	    (n = host_getxattr(parent->upper_fd, name, XATTR_REDIRECT, rd, sizeof(rd) - 1)) > 0) {
		rd[n] = '\0';
		step_redirect(fs, p, parent, rd, child);
		return 0;
	}
	if (h)
		hidden = true;
	child->lower_hidden = hidden;
	if (!hidden && parent->gen_dir) {
		const struct gen_entry *ge = genlayer_find(&p->genl, child->lpath);

		if (ge && ge->is_dir)
			child->gen_dir = true;
		else if (ge)
			hidden = true;
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
	char path[PATH_MAX];
	uint64_t lowest = 0;
	struct stat st;
	unsigned i;

	memset(o, 0, sizeof(*o));
	/* Every operation on a name starts with its lookup: refusing here
	 * answers chmod, unlink, rename... as the kernel's own filesystems do. */
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	/* The generated layer is looked up where the lower layers have it. */
	if (join_path(path, sizeof(path), dir->lpath, name))
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
		const struct gen_entry *ge = genlayer_find(&p->genl, path);

		if (ge) {
			o->lower_present = true;
			if (merge && (o->top == L_NONE || (top_dir && ge->is_dir))) {
				n.kind = NID_GEN;
				n.payload = path_hash32(path);
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

static int split_path(char *path, char *name)
{
	char *slash = strrchr(path, '/');

	if (slash) {
		*slash = '\0';
		snprintf(name, NAME_MAX + 1, "%.*s", NAME_MAX, slash + 1);
	} else {
		snprintf(name, NAME_MAX + 1, "%.*s", NAME_MAX, path);
		path[0] = '\0';
	}
	return 0;
}

/* ---- the directory cache -------------------------------------------- */

#define DIRCACHE_SIZE 4096 /* entries per node, direct mapped (160 KiB) */
#define DIR_CHAIN_MAX 64   /* levels entered from a cached ancestor */

enum { DC_UPPER = 1, DC_HIDDEN = 2, DC_GEN = 4, DC_IMG = 8 };

struct dircache_ent {
	uint64_t id, epoch, pin_seq;
	img_ino img;
	uint8_t flags;
	uint8_t shared; /* bit i: shared layer i has the dir */
};

struct dircache {
	struct dircache_ent v[DIRCACHE_SIZE];
};

static size_t dc_slot(uint64_t id)
{
	id ^= id >> 29;
	id *= 0xbf58476d1ce4e5b9ull;
	id ^= id >> 32;
	return (size_t)(id % DIRCACHE_SIZE);
}

static bool dc_get(struct union_fs *fs, uint64_t id, uint64_t epoch, uint64_t seq,
		   struct dircache_ent *out)
{
	bool hit = false;

	pthread_mutex_lock(&fs->dircache_lock);
	if (fs->dircache) {
		*out = fs->dircache->v[dc_slot(id)];
		hit = out->id == id && out->epoch == epoch && out->pin_seq == seq;
	}
	pthread_mutex_unlock(&fs->dircache_lock);
	return hit;
}

static void dc_put(struct union_fs *fs, uint64_t id, uint64_t epoch, uint64_t seq,
		   const struct dirlayers *dl)
{
	struct dircache_ent e = {.id = id, .epoch = epoch, .pin_seq = seq, .img = dl->img};
	unsigned i;

	/* An entry rebuilds the lower side from the union path: not what a
	 * directory at or below a renamed one has. */
	if (strcmp(dl->path, dl->lpath) != 0)
		return;

	e.flags = (dl->upper_fd >= 0 ? DC_UPPER : 0) | (dl->lower_hidden ? DC_HIDDEN : 0) |
		  (dl->gen_dir ? DC_GEN : 0) | (dl->img_dir ? DC_IMG : 0);
	for (i = 0; i < dl->n_shared && i < 8; i++)
		if (dl->shared_fd[i] >= 0)
			e.shared |= 1u << i;
	pthread_mutex_lock(&fs->dircache_lock);
	if (!fs->dircache)
		fs->dircache = calloc(1, sizeof(*fs->dircache));
	if (fs->dircache)
		fs->dircache->v[dc_slot(id)] = e;
	pthread_mutex_unlock(&fs->dircache_lock);
}

/* Open @rel under @root without following any symlink and without leaving
 * @root: one syscall instead of a walk. */
static int open_beneath(int root, const char *rel)
{
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};

	return (int)syscall(SYS_openat2, root, *rel ? rel : ".", &how, sizeof(how));
}

static int dc_build(struct union_fs *fs, struct pin *p, const struct dircache_ent *e,
		    const char *path, struct dirlayers *dl)
{
	unsigned i;

	dirlayers_init(dl);
	snprintf(dl->path, sizeof(dl->path), "%s", path);
	snprintf(dl->lpath, sizeof(dl->lpath), "%s", path);
	dl->lower_hidden = e->flags & DC_HIDDEN;
	dl->gen_dir = e->flags & DC_GEN;
	dl->img_dir = e->flags & DC_IMG;
	dl->img = e->img;
	if ((e->flags & DC_UPPER) && (dl->upper_fd = open_beneath(fs->upper_fd, path)) < 0)
		return -ESTALE;
	dl->n_shared = p->n_layers;
	for (i = 0; i < p->n_layers && i < 8; i++) {
		char name[NODE_NAME_MAX + 2];
		int lfd;

		if (!(e->shared & (1u << i)))
			continue;
		snprintf(name, sizeof(name), "@%s", p->layers[i]);
		lfd = openat(fs->overlays_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		dl->shared_fd[i] = lfd >= 0 ? open_beneath(lfd, path) : -1;
		if (lfd >= 0)
			close(lfd);
		if (dl->shared_fd[i] < 0) {
			layers_close(dl);
			return -ESTALE;
		}
	}
	return 0;
}

/* The path walk, and the check that @id is still what its path names. */
static int resolve_by_walk(struct union_fs *fs, struct pin *p, uint64_t id,
			   struct dirlayers *parent, char *name, struct uobj *o)
{
	char path[PATH_MAX];
	int err;

	err = itable_path(&fs->itab, id, path, sizeof(path));
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	split_path(path, name);
	err = layers_open_path(fs, p, path, parent);
	if (err)
		return err == -ENOENT ? -ESTALE : err;
	err = layers_lookup(fs, p, parent, name, o);
	if (!err && o->id != id)
		err = -ESTALE; /* something else lives there now */
	if (err) {
		layers_close(parent);
		return err == -ENOENT ? -ESTALE : err;
	}
	return 0;
}

/* Directory @id from the cache, or false. */
static bool dc_open(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		    struct dirlayers *dl)
{
	char path[PATH_MAX];
	struct dircache_ent e;

	return dc_get(fs, id, epoch, p->seq, &e) &&
	       itable_path(&fs->itab, id, path, sizeof(path)) == 0 &&
	       dc_build(fs, p, &e, path, dl) == 0;
}

/*
 * A directory the cache does not have: enter it from its nearest cached
 * ancestor (or the root) one level at a time, checking at each level that
 * the name still resolves to the id the table has, and caching each level.
 * A miss then costs the levels that are missing, not the whole path.
 * -EAGAIN: deeper than DIR_CHAIN_MAX or the table moved under us.
 */
static int dc_fill(struct union_fs *fs, struct pin *p, uint64_t id, uint64_t epoch,
		   struct dirlayers *dl)
{
	uint64_t chain[DIR_CHAIN_MAX + 1], up = id, parent;
	char name[NAME_MAX + 1];
	struct dirlayers top, next;
	struct uobj o;
	unsigned n = 0;
	int err;

	for (;;) {
		if (n == DIR_CHAIN_MAX)
			return -EAGAIN;
		chain[n++] = up;
		if (itable_parent(&fs->itab, up, &up) != 0)
			return -ESTALE;
		if (up == 1) {
			err = layers_open_root(fs, p, &top);
			if (err)
				return err;
			break;
		}
		if (dc_open(fs, p, up, epoch, &top))
			break;
	}
	chain[n] = up; /* what @top is */
	while (n--) {
		err = itable_get(&fs->itab, chain[n], &parent, name, sizeof(name));
		if (!err && parent != chain[n + 1])
			err = -EAGAIN;
		if (!err)
			err = layers_lookup(fs, p, &top, name, &o);
		if (!err && o.id != chain[n])
			err = -ESTALE; /* something else lives there now */
		if (!err && !S_ISDIR(o.st.st_mode))
			err = -ENOTDIR;
		if (!err)
			err = layers_step(fs, p, &top, name, &next);
		layers_close(&top);
		if (err)
			return err == -ENOENT ? -ESTALE : err;
		top = next;
		dc_put(fs, chain[n], epoch, p->seq, &top);
	}
	*dl = top;
	return 0;
}

int layers_open_dir_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *dl)
{
	uint64_t epoch = atomic_load(&fs->epoch);
	struct dirlayers parent;
	char name[NAME_MAX + 1];
	struct uobj o;
	int err;

	if (id == 1)
		return layers_open_root(fs, p, dl);
	if (dc_open(fs, p, id, epoch, dl))
		return 0;
	err = dc_fill(fs, p, id, epoch, dl);
	if (err != -EAGAIN)
		return err;
	err = resolve_by_walk(fs, p, id, &parent, name, &o);
	if (err)
		return err;
	err = S_ISDIR(o.st.st_mode) ? layers_step(fs, p, &parent, name, dl) : -ENOTDIR;
	layers_close(&parent);
	if (!err)
		dc_put(fs, id, epoch, p->seq, dl);
	return err;
}

int layers_resolve_id(struct union_fs *fs, struct pin *p, uint64_t id, struct dirlayers *parent,
		      char *name, struct uobj *o)
{
	char path[PATH_MAX];
	uint64_t pid;
	struct nid n;
	int err;

	if (!nid_decode(id, &n) || (n.kind != NID_ROOT && n.slot != fs->slot))
		return -ESTALE;
	if (itable_parent(&fs->itab, id, &pid) != 0 ||
	    itable_path(&fs->itab, id, path, sizeof(path)) != 0)
		return -ESTALE;
	split_path(path, name);
	err = layers_open_dir_id(fs, p, pid, parent);
	if (err)
		return resolve_by_walk(fs, p, id, parent, name, o);
	err = layers_lookup(fs, p, parent, name, o);
	if (!err && o->id != id)
		err = -ESTALE;
	if (err) {
		layers_close(parent);
		return err == -ENOENT ? -ESTALE : err;
	}
	return 0;
}
