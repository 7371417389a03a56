/* SPDX-License-Identifier: MIT */
/*
 * The shared classroom accounts (netbootctl user): <state>/users, one line
 * per user, "NAME:UID:HASH:GROUPS:PROFILES:GECOS" (GROUPS and PROFILES
 * comma separated; no PROFILES: every node). Written by netbootctl, read
 * by the daemon, which serves each node the users of its profile as
 * var/lib/extrausers/{passwd,shadow,group} in its generated layer.
 */
#ifndef NETBOOTFS_MAPPER_USERS_H
#define NETBOOTFS_MAPPER_USERS_H

#include <stdbool.h>
#include <stddef.h>

#define USERS_FILE    "users"
#define USER_NAME_MAX 32
/* Where every node mounts [server] homes; a user's home is HOMES_MOUNT/NAME. */
#define HOMES_MOUNT "/home/shared"

struct user {
	char name[USER_NAME_MAX + 1];
	unsigned uid;	/* also the gid of the user's own group */
	char *hash;	/* crypt(3) hash, "!" when locked */
	char *groups;	/* "video,gpio" or "" */
	char *profiles; /* "lab1,lab2" or "" (every node) */
	char *gecos;
};

struct users {
	struct user *v;
	size_t n;
};

/* A user or group name: [a-z_][a-z0-9_-]*, at most 32 bytes. */
bool user_name_valid(const char *name);
/* A comma separated list of such names (may be empty). */
bool user_list_valid(const char *list);
/* Text for GECOS: printable, no ':' or ','. */
bool user_gecos_valid(const char *gecos);

/* Parse <state>/users (a missing file is no users). Errors name the line. */
int users_load(const char *state, struct users *u, char *why, size_t whylen);
/* Replace <state>/users atomically, mode 0600. */
int users_save(const char *state, const struct users *u);
void users_free(struct users *u);
struct user *users_find(const struct users *u, const char *name);
/* Add a copy of @e (strings duplicated). */
int users_add(struct users *u, const struct user *e);
void users_remove(struct users *u, struct user *e);
/* The lowest uid in [@min, @max] no user has, or 0 when full. */
unsigned users_free_uid(const struct users *u, unsigned min, unsigned max);
/* Does @e appear on a node of @profile ("" for none)? */
bool user_on_profile(const struct user *e, const char *profile);

/* libnss-extrausers skips groups below this gid (its built-in MINGID). */
#define EXTRAUSERS_MIN_GID 500

/*
 * The extrausers files for a node of @profile, malloc'ed. @image_group is
 * the node image's etc/group (may be NULL): a supplementary group a user
 * is in ("gpio") gets that group's gid there, so glibc's [SUCCESS=merge]
 * joins the two entries; a group the image lacks is left out (and named
 * in *@missing, malloc'ed, "" if none). Groups below EXTRAUSERS_MIN_GID
 * ("video" is 44) are left to users_gen_etc_group().
 */
char *users_gen_passwd(const struct users *u, const char *profile, size_t *len);
char *users_gen_shadow(const struct users *u, const char *profile, size_t *len);
char *users_gen_group(const struct users *u, const char *profile, const char *image_group,
		      size_t image_group_len, char **missing, size_t *len);
/* The image's etc/group with the users of @profile added to the members of
 * their groups below EXTRAUSERS_MIN_GID, or NULL when there are none. */
char *users_gen_etc_group(const struct users *u, const char *profile, const char *image_group,
			  size_t image_group_len, size_t *len);

#endif
