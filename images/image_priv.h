/* SPDX-License-Identifier: MIT */
/*
 * Private to the images/ library sources: the generation object, its reader pool and the
 * guarded wrappers around libsquashfuse.
 *
 * Include this after every other header: it pulls in the squashfuse
 * headers, whose installed config.h redefines feature-test macros.
 *
 * libsquashfuse 0.1.105 trusts the image: it indexes tables without bounds
 * checks, copies names into fixed buffers using on-disk lengths and
 * underflows when a metadata cursor points past a short block; its cache
 * answers a lookup at offset 0 with a NULL block. So this library reads
 * metadata and tables through the checked wrappers in sqfs_guard.c, hands
 * libsquashfuse only values checked there, parses directories and xattrs
 * itself and reads file data block by block.
 */
#ifndef NETBOOTFS_IMAGE_PRIV_H
#define NETBOOTFS_IMAGE_PRIV_H

#include "images/images.h"
#include "lib/why.h"

#include <pthread.h>
#include <stdatomic.h>

#undef _POSIX_C_SOURCE
#include <squashfuse.h>

#define IMG_READERS  4	  /* independent sqfs instances per generation */
#define IMG_LINK_MAX 4095 /* longest symlink target accepted */
#define IMG_MD_SIZE  SQUASHFS_METADATA_SIZE
#define IMG_NO_XATTR SQUASHFS_INVALID_XATTR
#define IMG_NO_FRAG  SQUASHFS_INVALID_FRAG
#define IMG_NO_TABLE UINT64_MAX
#define IMG_SB_SIZE  sizeof(struct squashfs_super_block) /* nothing else below */

/* ---- metadata blocks of one reader (md_cache.c) ------------------------ */

#define MD_CACHE_WAYS 8	 /* blocks a lookup compares */
#define MD_CACHE_SETS 64 /* per reader: 512 blocks, up to 4 MiB */

struct md_slot {
	uint64_t pos;	   /* image offset of the block's header */
	uint64_t next;	   /* offset of the block after it */
	uint64_t used;	   /* tick of the last use: the set's LRU is evicted */
	sqfs_block *block; /* NULL: empty */
};

struct md_cache {
	struct md_slot *slots; /* sets * MD_CACHE_WAYS */
	unsigned sets;	       /* a power of two */
	uint64_t tick;
	uint64_t hits, loads; /* lookups answered / blocks decompressed */
};

/* An empty cache of @sets * MD_CACHE_WAYS blocks (@sets a power of two). */
int md_cache_init(struct md_cache *c, unsigned sets);
void md_cache_destroy(struct md_cache *c);
/* The decompressed metadata block whose header is at @pos and the offset
 * of the block after it; read on a miss (-EIO if unreadable). The block
 * is the cache's, valid until the next md_cache_get() on @c. */
int md_cache_get(struct md_cache *c, sqfs *fs, uint64_t pos, sqfs_block **block, uint64_t *next);
/* The set a block at @pos lives in (for the tests). */
unsigned md_cache_set_of(const struct md_cache *c, uint64_t pos);

/* ---- guards (sqfs_guard.c) ---------------------------------------------- */

/* A libsquashfuse instance with this library's metadata cache beside it.
 * Every metadata read of a `sqfs` finds its cache from the sqfs, so each
 * sqfs this library reads must be the @fs of an img_sqfs_init()ed one. */
struct img_sqfs {
	sqfs fs;
	struct md_cache md;
};

/* sqfs_init()/sqfs_destroy() without their leaks, with the hashed metadata
 * cache, and with gzip blocks inflated by libdeflate (inflate.c). */
int img_sqfs_init(struct img_sqfs *s, int fd);
void img_use_fast_inflate(sqfs *fs);
void img_sqfs_destroy(struct img_sqfs *s);
/* The metadata block at image offset @pos (-EIO unless it lies past the
 * superblock, inside bytes_used, and reads); @next (may be NULL) gets the
 * offset of the block after it. */
int md_block_get(sqfs *fs, uint64_t pos, sqfs_block **block, uint64_t *next);
/* 0 when metadata may be read from @cur. */
int md_cursor_ok(sqfs *fs, const sqfs_md_cursor *cur);
/* sqfs_md_read(), checking each block before copying from it: 0 or -EIO.
 * Every metadata read of this library goes through it. */
int md_read(sqfs *fs, sqfs_md_cursor *cur, void *buf, size_t size);
/* uid/gid through the id table. */
int id_lookup(sqfs *fs, uint16_t idx, uint32_t *out);
/* Inode number -> id through the export table; -ESTALE if out of range. */
int export_lookup(sqfs *fs, uint32_t num, sqfs_inode_id *id);
/* Fragment and xattr id table entries, in host byte order; -EIO. */
int frag_entry_get(sqfs *fs, uint32_t idx, struct squashfs_fragment_entry *fe);
int xattr_id_get(sqfs *fs, uint32_t idx, struct squashfs_xattr_id *xid);
/* Every block of the id, fragment, export and xattr-id tables is readable
 * and long enough, so later sqfs_table_get() calls stay in bounds. */
int tables_check(sqfs *fs, char *why, size_t whylen);
/* Map a squashfs dentry/inode basic type (1..7) to S_IF*, 0 if invalid. */
mode_t img_type_mode(int type);
/* The stat of @inode (owner through the id table): 0 or -EIO. */
int inode_to_stat(sqfs *fs, const sqfs_inode *inode, struct stat *st);

/* ---- inodes (inode_read.c) --------------------------------------------- */

/* The inode @id (taken from the image) as sqfs_inode_get() fills it, read
 * through md_read() after range checks, and checked against the image's
 * counts and sizes: 0 or -EIO. */
int inode_load(sqfs *fs, sqfs_inode_id id, sqfs_inode *inode);

/* ---- superblock (validate.c) ------------------------------------------- */

/* Checks the raw superblock against the file size. */
int superblock_check(const struct squashfs_super_block *sb, uint64_t file_size, char *why,
		     size_t whylen);
const char *compression_label(unsigned id);
/* Validate the image behind @fd (superblock, tables, root inode) and, on
 * success, leave a ready instance in @s (caller img_sqfs_destroy()s it). */
int image_validate_fd(int fd, struct img_sqfs *s, struct image_info *info, char *why,
		      size_t whylen);

/* ---- directories (dir_iter.c) ------------------------------------------ */

struct dir_iter {
	sqfs_md_cursor cur;
	uint32_t dir_offset; /* offset of the listing in its first block */
	uint64_t pos;	     /* bytes of the listing consumed */
	uint64_t total;	     /* listing size */
	uint32_t count;	     /* entries left under the current header */
	uint32_t start_block;
	uint32_t base_ino;
	char prev[SQUASHFS_NAME_LEN + 1]; /* the last name read: names ascend */
};

struct dir_ent {
	char name[SQUASHFS_NAME_LEN + 1];
	size_t name_len;
	sqfs_inode_id id;
	uint32_t ino;
	mode_t type; /* S_IF* */
	uint64_t off, next_off;
};

/* Position @it at the start of directory @dir, or (via the directory index)
 * at the last header before listing offset @off / before @name. */
int dir_iter_open(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it);
int dir_iter_seek_off(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it, uint64_t off);
int dir_iter_seek_name(sqfs *fs, const sqfs_inode *dir, struct dir_iter *it, const char *name);
/* 1 with @e filled, 0 at the end, -EIO on a corrupt listing. */
int dir_iter_next(sqfs *fs, struct dir_iter *it, struct dir_ent *e);
/* Exact-name lookup in @dir: 0, -ENOENT or -EIO. */
int dir_find(sqfs *fs, const sqfs_inode *dir, const char *name, struct dir_ent *e);

/* ---- directory name tables (dir_index.c) ------------------------------- */

#define DIR_INDEX_SLOTS	    4096u    /* directories cached per generation */
#define DIR_INDEX_MAX_NAMES 65536u   /* larger directories are scanned */
#define DIR_INDEX_MAX_TOTAL 1048576u /* names cached per generation (~40 MiB) */

struct dir_names;
struct dir_index {
	pthread_mutex_t lock;
	struct dir_names *slots[DIR_INDEX_SLOTS];
	size_t names;
};

struct image_gen;
struct img_reader;
int dir_index_init(struct dir_index *di);
void dir_index_destroy(struct dir_index *di);
/* dir_find() through the table of @dir (inode number @dir_ino), which the
 * first lookup builds. */
int dir_index_find(struct image_gen *g, struct img_reader *r, uint32_t dir_ino,
		   const sqfs_inode *dir, const char *name, struct dir_ent *e);
/* The lookup when @dir_ino's table is cached (*err: 0 or -ENOENT), without
 * loading the directory's inode; false when it is not cached. */
bool dir_index_cached(struct image_gen *g, uint32_t dir_ino, const char *name, struct dir_ent *e,
		      int *err);

/* ---- decompressed blocks shared by a generation's readers (block_cache.c) */

#define SHARED_BLOCKS 128 /* per generation: up to 16 MiB at 128 KiB blocks */

struct block_slot {
	uint64_t pos; /* image offset of the compressed block */
	sqfs_block *block;
	unsigned refs;
	bool loading;
	uint64_t used;
};

struct block_cache {
	pthread_mutex_t lock;
	pthread_cond_t loaded;
	struct block_slot v[SHARED_BLOCKS];
	uint64_t tick;
	uint64_t loads; /* blocks decompressed into a slot */
};

void block_cache_init(struct block_cache *c);
void block_cache_destroy(struct block_cache *c);
/* The decompressed fragment block at @pos (size word @hdr), decompressed
 * once for every reader of the generation; hand both back to
 * block_cache_put(). */
int block_cache_get(struct block_cache *c, sqfs *fs, uint64_t pos, uint32_t hdr,
		    const sqfs_block **block, struct block_slot **slot);
void block_cache_put(struct block_cache *c, struct block_slot *slot, const sqfs_block *block);
uint64_t block_cache_loads(struct block_cache *c);

/* ---- file data (file_read.c) ------------------------------------------- */

/* Where a file's block list was left, so sequential reads continue there. */
struct blk_cursor {
	bool valid;
	sqfs_inode_id inode_id;
	uint64_t block; /* index of the block whose size entry is at @cur */
	sqfs_md_cursor cur;
	uint64_t data_pos; /* image offset of that block */
};

/* Details of the first bad block (for image_verify). */
struct blk_fault {
	bool fragment;
	uint64_t block;	    /* block index within the file */
	uint64_t image_pos; /* offset in the image file */
	char what[96];
};

/* Bytes read (short only at end of file) or -EIO with @fault filled when
 * not NULL. @inode must be a regular file. Blocks come from @shared when
 * not NULL (a generation's readers share it), else from @fs's own caches. */
ssize_t file_read(sqfs *fs, struct block_cache *shared, struct blk_cursor *bc, sqfs_inode_id id,
		  const sqfs_inode *inode, void *buf, size_t size, uint64_t off,
		  struct blk_fault *fault);

/* ---- xattrs (xattr_read.c) --------------------------------------------- */

ssize_t xattr_list(sqfs *fs, const sqfs_inode *inode, char *buf, size_t size);
ssize_t xattr_get(sqfs *fs, const sqfs_inode *inode, const char *name, void *buf, size_t size);
/* Walk every xattr of @inode, reading names and values (for image_verify). */
int xattr_check(sqfs *fs, const sqfs_inode *inode);

/* ---- inode number map (ino_map.c) -------------------------------------- */

struct ino_map {
	pthread_mutex_t lock;
	uint32_t *keys;
	uint64_t *vals; /* bit 63 marks a used slot */
	size_t cap, used;
	bool complete; /* every directory has been walked */
};

void ino_map_init(struct ino_map *m);
void ino_map_destroy(struct ino_map *m);
int ino_map_put(struct ino_map *m, uint32_t ino, sqfs_inode_id id);
bool ino_map_get(struct ino_map *m, uint32_t ino, sqfs_inode_id *id);

/* ---- generations (gen.c) ----------------------------------------------- */

struct img_reader {
	pthread_mutex_t lock;
	struct img_sqfs sq;
	bool ready;
	struct blk_cursor cursor;
};

struct gen_registry; /* catalog.c: the open generations of one catalog */

struct file_ident {
	uint64_t ino;
	uint64_t size;
	int64_t mtime_ns;
};

struct image_gen {
	atomic_uint refs;
	unsigned id;
	char name[IMAGE_NAME_MAX + 1];
	char *path;
	struct file_ident ident;
	struct image_info info;
	int fd;
	uint32_t root_ino;
	sqfs_inode_id root_id;
	bool has_export;
	struct img_reader readers[IMG_READERS];
	struct ino_map map;
	struct dir_index dirs;
	struct block_cache blocks;
	pthread_mutex_t walk_lock; /* one full tree walk at a time */
	int walk_err;		   /* a walk that failed fails again: not retried */
	struct gen_registry *reg;  /* NULL when opened outside a catalog */
	struct image_gen *reg_next;
};

/* Open @path as a generation with one reference. */
int gen_open(const char *path, const char *name, unsigned id, struct image_gen **out, char *why,
	     size_t whylen);
/* Close a generation whose last reference is gone. */
void gen_destroy(struct image_gen *g);
/* Take a free reader of @g, blocking if all are busy. */
struct img_reader *reader_get(struct image_gen *g);
void reader_put(struct img_reader *r);

/* verify.c: image_verify() of an open generation (it takes one reader);
 * -ECANCELED soon after *@cancel (may be NULL) becomes true. */
int gen_verify(struct image_gen *g, image_progress_fn progress, void *ctx,
	       const atomic_bool *cancel, char *why, size_t whylen);

/* reader.c: inode number -> inode, with the reader held. */
int gen_inode(struct image_gen *g, struct img_reader *r, img_ino ino, sqfs_inode *inode,
	      sqfs_inode_id *id);
/* Learn every inode number of an image without export table (reader held). */
int gen_map_walk(struct image_gen *g, struct img_reader *r);

/* ---- open generations by id (registry.c) ------------------------------- */

/* A registry with one reference (its owner's), or NULL. */
struct gen_registry *registry_new(void);
/* Drop a reference; NULL is allowed. */
void registry_put(struct gen_registry *reg);
/* List @g (which takes a registry reference until it leaves). */
void registry_add(struct gen_registry *reg, struct image_gen *g);
/* Unlink @g from its registry once its count reached zero. */
void registry_forget(struct gen_registry *reg, struct image_gen *g);
/* A new reference to the open generation @id (whose file is @ident, unless
 * NULL), or NULL. */
struct image_gen *registry_get(struct gen_registry *reg, unsigned id,
			       const struct file_ident *ident);
/* Whether a generation with @id is open (a gen_ids_add in_use callback). */
bool registry_has(void *ctx, unsigned id);
/* A new reference to every open generation, in a calloc()ed array. */
int registry_list(struct gen_registry *reg, struct image_gen ***out, size_t *n);

/* ---- persistent generation ids (gen_ids.c) ----------------------------- */

struct gen_record {
	unsigned id;
	char file[IMAGE_NAME_MAX + 6]; /* <name>.sqfs */
	struct file_ident ident;
};

struct gen_ids {
	char *path;  /* <images>/.generations, or <state>/generations (unshared) */
	int lock_fd; /* <images>/.generations.lock; -1 when unshared */
	bool shared; /* in the images directory, under the lock */
	struct gen_record *recs;
	size_t n, cap;
	unsigned next; /* where the search for a free id starts */
	bool dirty;
};

/* Open and read the ids of @images_dir: <images>/.generations (filled from
 * <state>/generations when missing), or <state>/generations alone when the
 * images directory cannot be written. A missing file is an empty table. */
int gen_ids_open(struct gen_ids *t, const char *images_dir, const char *state_dir);
void gen_ids_free(struct gen_ids *t);
/* Read the file again (it is replaced whole, so no lock is needed). */
int gen_ids_reload(struct gen_ids *t);
/* Take the lock other daemons over the same images take (waiting for it),
 * and read the file afresh: changes go in between this and
 * gen_ids_save() + gen_ids_unlock(). */
int gen_ids_lock(struct gen_ids *t);
void gen_ids_unlock(struct gen_ids *t);
/* The id recorded for this file, or 0. */
unsigned gen_ids_find(const struct gen_ids *t, const char *file, const struct file_ident *ident);
bool gen_ids_listed(const struct gen_ids *t, unsigned id);
/* Record a new id: the next one (wrapping at IMAGE_GEN_ID_MAX) that is
 * neither listed nor @in_use. -ENOSPC when none is left. */
int gen_ids_add(struct gen_ids *t, const char *file, const struct file_ident *ident,
		bool (*in_use)(void *ctx, unsigned id), void *ctx, unsigned *out);
/* Record @id for @file again (a generation still open here that another
 * daemon dropped); -EEXIST when @id is listed. */
int gen_ids_put(struct gen_ids *t, unsigned id, const char *file, const struct file_ident *ident);
/* Drop records for which @keep says no. */
void gen_ids_prune(struct gen_ids *t, bool (*keep)(void *ctx, const struct gen_record *r),
		   void *ctx);
/* Atomically rewrite the file if anything changed. */
int gen_ids_save(struct gen_ids *t);

/* ---- misc -------------------------------------------------------------- */

int file_ident_of(int fd, struct file_ident *id);

#endif
