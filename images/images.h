/* SPDX-License-Identifier: MIT */
/*
 * images: the squashfs catalog and a thread-safe reader over libsquashfuse.
 *
 * An image is <images>/<name>.sqfs. Each valid file seen there becomes the
 * newest *generation* of <name>. A generation has a small persistent id
 * (1..IMAGE_GEN_ID_MAX, kept in <images>/.generations, the same across daemon
 * restarts for the same file, and for every daemon over the same images) and is reference counted: it stays open, and
 * readable, while anyone holds it, even after its file was renamed over or
 * deleted.
 *
 * No libsquashfuse type appears here; its headers stay inside images/.
 * Every function is safe to call from several threads at once.
 * Errors are negative errno values; a corrupt image gives -EIO.
 */
#ifndef NETBOOTFS_IMAGES_H
#define NETBOOTFS_IMAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#define IMAGE_NAME_MAX	 63
#define IMAGE_GEN_ID_MAX 4095u /* ids fit in 12 bits of a FUSE node id */

struct image_info {
	uint64_t file_size;
	uint64_t bytes_used;
	uint32_t block_size;
	uint32_t inodes;
	time_t mkfs_time;
	const char *compression; /* "gzip", "xz", "zstd", ... (static string) */
	bool has_export_table;
};

/* Check superblock (magic, version 4.0, block size, compression supported by
 * the linked libsquashfuse, bytes_used <= file size) and that the root inode
 * reads. Returns 0, or a negative errno with a one-line reason in @why. */
int image_validate(const char *path, struct image_info *info, char *why, size_t whylen);

/* Read every inode, directory and data block. @progress (may be NULL) is
 * called now and then with bytes of file data read so far and the total.
 * Returns 0 or a negative errno with the first problem in @why (naming the
 * path inside the image and the block). */
typedef void (*image_progress_fn)(void *ctx, uint64_t done, uint64_t total);
int image_verify(const char *path, image_progress_fn progress, void *ctx, char *why, size_t whylen);

/* [a-z0-9][a-z0-9._-]{0,62}: what may stand before ".sqfs". */
bool image_name_valid(const char *name);

/* ---- catalog -------------------------------------------------------- */

struct catalog;
struct image_gen;

/* Called once per file that a scan adds or rejects. @gen is NULL when the
 * file was rejected (then @err/@why say why). */
typedef void (*catalog_report_fn)(void *ctx, const char *path, const struct image_gen *gen, int err,
				  const char *why);

int catalog_open(const char *images_dir, const char *state_dir, struct catalog **out);
/* Where the generation ids are kept: <images>/.generations, the same for
 * every daemon over these images (*@shared), or <state>/generations when the
 * images directory is read-only here. */
const char *catalog_ids_file(const struct catalog *c, bool *shared);
/* Look at the <images> directory (NAME.sqfs files): a file not seen before (new name, or a
 * different file under a known name) is validated, verified (image_verify: every block read and
 * decompressed) and only then becomes that name's newest generation. A file recorded in
 * <images>/.generations was verified when it became a generation (here or on another server over
 * the same images) and is not verified again. Files
 * that disappeared stop being "newest" but open generations stay readable. Returns the number of
 * new generations. */
int catalog_scan(struct catalog *c, catalog_report_fn report, void *ctx);
void catalog_close(struct catalog *c);

/* With @defer, catalog_scan() only validates new files and leaves their verification to
 * catalog_verify_pending() (the daemon's background thread); the previous generation of the
 * name stays newest meanwhile. */
void catalog_defer_verify(struct catalog *c, bool defer);
/* Verify one pending file, holding no lock while it reads: it becomes the newest generation or
 * is refused, and @report says which (a file replaced meanwhile is dropped unreported).
 * Returns 1 when a file was handled, 0 when none is pending, or a negative errno. */
int catalog_verify_pending(struct catalog *c, catalog_report_fn report, void *ctx);
/* Make a verification in progress, and every later one, stop early: the file stays pending and
 * catalog_verify_pending() returns 0 (for a shutdown). */
void catalog_cancel_verify(struct catalog *c);
/* Called when the verification of @path starts (@done 0) and as it goes, with bytes of file
 * data read and in all (from the thread that verifies). */
typedef void (*catalog_progress_fn)(void *ctx, const char *path, uint64_t done, uint64_t total);
void catalog_set_progress(struct catalog *c, catalog_progress_fn fn, void *ctx);

enum catalog_file_state { CATALOG_VERIFYING, CATALOG_QUEUED, CATALOG_REFUSED };

/* A NAME.sqfs that is not (yet) its name's newest generation. */
struct catalog_file {
	char name[IMAGE_NAME_MAX + 1];
	char file[IMAGE_NAME_MAX + 6]; /* NAME.sqfs, under the images directory */
	enum catalog_file_state state;
	uint64_t done, total; /* VERIFYING: bytes of file data read, in all */
	char why[256];	      /* REFUSED: the reason */
};

/* The files being verified, waiting for it, or refused, by name; free(*out). */
int catalog_files_unserved(struct catalog *c, struct catalog_file **out, size_t *n);

/* Image names currently present, sorted. */
size_t catalog_count(const struct catalog *c);
const char *catalog_name_at(const struct catalog *c, size_t i);

/* A new reference to the newest generation of @name, or NULL. */
struct image_gen *catalog_newest(struct catalog *c, const char *name);
/* A new reference to generation @id if it is still open, else NULL. */
struct image_gen *catalog_gen_get(struct catalog *c, unsigned id);
/* All open generations (for status); returns a malloc'ed array of new
 * references, release each with image_gen_put() and free() the array. */
int catalog_open_gens(struct catalog *c, struct image_gen ***out, size_t *n);

struct image_gen *image_gen_ref(struct image_gen *g);
/* Drop a reference; the last one closes the file. */
void image_gen_put(struct image_gen *g);
unsigned image_gen_id(const struct image_gen *g);
const char *image_gen_name(const struct image_gen *g);
const char *image_gen_path(const struct image_gen *g); /* path when opened */
const struct image_info *image_gen_info(const struct image_gen *g);
unsigned image_gen_refcount(const struct image_gen *g);
/* What identifies a generation's file (it keeps these when renamed into
 * <images>/.history/), to find the generation again later. */
struct image_file_id {
	uint64_t ino;
	uint64_t size;
	int64_t mtime_ns;
};
void image_gen_file_id(const struct image_gen *g, struct image_file_id *id);
/* "<name> <ino> <size> <mtime_ns> <gen id>", how an overlay records the
 * generation it was last based on (the xattr trusted.netbootfs.base). */
int image_base_format(const struct image_gen *g, char *buf, size_t size);
int image_base_parse(const char *s, char name[IMAGE_NAME_MAX + 1], struct image_file_id *id,
		     unsigned *gen_id);
/* The path of image @name's file @id: <images>/<name>.sqfs or one under
 * <images>/.history/. 0, or -ENOENT if it is gone. */
int image_find_file(const char *images_dir, const char *name, const struct image_file_id *id,
		    char *path, size_t size);
/* The generation of image @name whose file is @id, with a new reference:
 * an open one, else <images>/<name>.sqfs or <images>/.history/<name>.*
 * opened afresh (id 0, outside the catalog). -ENOENT if the file is gone. */
int catalog_find_gen(struct catalog *c, const char *name, const struct image_file_id *id,
		     struct image_gen **out);
/* Open one image file outside any catalog (tools, tests): a generation with
 * id 0 and one reference, or a negative errno with the reason in @why. */
int image_gen_open(const char *path, struct image_gen **out, char *why, size_t whylen);

/* ---- reader --------------------------------------------------------- */

/* Inodes are named by their squashfs inode *number* (32 bits, stable for
 * one image file). Numbers seen before a restart still resolve: through the
 * image's export table, or a map learned from lookups when it has none. */
typedef uint32_t img_ino;

int img_root(struct image_gen *g, img_ino *ino);
/* st_ino is the squashfs inode number; st_dev is 0. */
int img_getattr(struct image_gen *g, img_ino ino, struct stat *st);
/* One component; no symlink is followed. -ENOENT, -ENOTDIR, -EIO. */
int img_lookup(struct image_gen *g, img_ino dir, const char *name, img_ino *ino, struct stat *st);
/* A path relative to the image root ("boot/firmware"). Symlinks in the
 * path (and the last one if @follow) are resolved *inside* the image, as
 * in a chroot: ".." stops at the root and absolute targets start at the
 * image root. At most 40 links, else -ELOOP. */
int img_resolve(struct image_gen *g, const char *path, bool follow, img_ino *ino, struct stat *st);
/* A node's boot dir in @g: @boot_dir as a path inside the image, or for
 * "auto" boot/firmware (bookworm and later), else boot. *found is the path
 * used (@boot_dir or a static string). -ENOENT when it is no directory. */
int img_boot_dir(struct image_gen *g, const char *boot_dir, img_ino *ino, const char **found);
/* Parent directory of directory @dir (the root is its own parent). */
int img_parent(struct image_gen *g, img_ino dir, img_ino *parent);

/* Calls @fn for entries after offset @off (0 = from the start) in on-disk
 * (sorted) order; @next_off resumes after the entry, also in a later call
 * on a new open. Stops early when @fn returns non-zero. */
typedef int (*img_dirent_fn)(void *ctx, const char *name, img_ino ino, mode_t type,
			     uint64_t next_off);
int img_readdir(struct image_gen *g, img_ino dir, uint64_t off, img_dirent_fn fn, void *ctx);

/* Bytes read (short only at end of file), or -EIO / -EISDIR. */
ssize_t img_read(struct image_gen *g, img_ino ino, void *buf, size_t size, off_t off);
/* Data and fragment blocks @g has decompressed so far: each block once for
 * all readers while it stays in the generation's cache (128 blocks). */
uint64_t img_block_loads(struct image_gen *g);
/* NUL-terminates; returns the target length, -ERANGE if @size is too small. */
ssize_t img_readlink(struct image_gen *g, img_ino ino, char *buf, size_t size);
/* listxattr(2) / getxattr(2) semantics (size 0 asks for the length). */
ssize_t img_listxattr(struct image_gen *g, img_ino ino, char *buf, size_t size);
ssize_t img_getxattr(struct image_gen *g, img_ino ino, const char *name, void *buf, size_t size);

/* ---- install (images/install.c) -------------------------------------- */

/* Copy @src_path to <images>/.<name>.sqfs.tmp.XXXXXX, fsync, validate and
 * verify (image_verify; the temporary is removed if either fails), keep the current <name>.sqfs as
 * <images>/.history/<name>.<mkfs time, UTC>[-N].sqfs (only the newest
 * @keep_history stay), then rename the new file into place and fsync the
 * directory. <name>.sqfs never goes missing on the way. 0 or a negative
 * errno with the reason in @why. */
int image_install(const char *images_dir, const char *src_path, const char *name,
		  unsigned keep_history, char *why, size_t whylen);
/* The same, calling @progress (may be NULL) as image_verify() does. */
int image_install_progress(const char *images_dir, const char *src_path, const char *name,
			   unsigned keep_history, image_progress_fn progress, void *ctx, char *why,
			   size_t whylen);
/* Put the newest history entry of @name back in place the same way; the
 * replaced current image goes to the history, so a rollback can be undone
 * by another. -ENOENT when there is no history. */
int image_rollback(const char *images_dir, const char *name, unsigned keep_history, char *why,
		   size_t whylen);

struct image_history_entry {
	char file[256]; /* file name under <images>/.history/ */
	time_t mtime;
	uint64_t size;
};

/* History files of @name, newest first; free(*out) when done. */
int image_history(const char *images_dir, const char *name, struct image_history_entry **out,
		  size_t *n);

#endif
