/* SPDX-License-Identifier: MIT */
/*
 * The images directory and the config file on a shared file system:
 * inotify reports only what this machine changes there, so a drop-in or an
 * ini edit another server (or an admin on another machine) makes is found
 * by a look every few seconds instead: a rescan of the images, and a
 * reload when the config file is another file or changed.
 */
#ifndef NETBOOTFS_SHAREDPOLL_H
#define NETBOOTFS_SHAREDPOLL_H

#include <stdbool.h>
#include <sys/stat.h>

#define SHAREDPOLL_MS 5000

struct sharedpoll {
	bool images; /* the images directory is on a shared file system */
	bool config; /* so is the config file */
	const char *config_path;
	struct stat seen;  /* the config file as last loaded or looked at */
	long long next_ms; /* mono_ms() of the next look */
};

/* Look at the file systems of @images_dir and @config_path; say once for
 * each that is shared. */
void sharedpoll_init(struct sharedpoll *p, const char *images_dir, const char *config_path);
/* @wait_ms for poll() (-1: for ever), cut short for the next look. */
int sharedpoll_timeout_ms(const struct sharedpoll *p, int wait_ms);
/* When a look is due now (and the next one scheduled): *rescan when the
 * images are shared, *reload when the config file changed since the last
 * look. Each is only ever set, never cleared. */
void sharedpoll_check(struct sharedpoll *p, bool *rescan, bool *reload);
/* The config file was just loaded again, for whatever reason: what it is
 * now is what the next look compares with. */
void sharedpoll_config_loaded(struct sharedpoll *p);

#endif
