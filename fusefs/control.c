/* SPDX-License-Identifier: MIT */
/* The control socket: listening, framing (one JSON line each way), dispatch. */
#include "fusefs/control.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fusefs/context.h"
#include "fusefs/serve/log.h"

#define REQUEST_MAX   4096
#define IO_TIMEOUT_MS 2000 /* a client gets this long to send, and to read */

struct control {
	struct daemon *d;
	int fd;
	dev_t dev; /* the socket file we bound, removed at close if unchanged */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static int sockaddr_for(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	memcpy(sa->sun_path, path, strlen(path));
	return 0;
}

/* Whether a daemon answers at @sa (a connect that succeeds). */
static bool someone_listens(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0;
	close(fd);
	return yes;
}

/* Bind, replacing a stale socket file (one nobody listens on). */
static int bind_socket(int fd, const char *path, const struct sockaddr_un *sa)
{
	struct stat st;

	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
		return 0;
	if (errno != EADDRINUSE)
		return -errno;
	if (lstat(path, &st) != 0)
		return -errno;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control socket %s: the path exists and is not a socket", path);
		return -EEXIST;
	}
	if (someone_listens(sa)) {
		log_err("control socket %s: another netbootfs answers on it", path);
		return -EADDRINUSE;
	}
	log_info("control socket %s: removing a stale socket", path);
	if (unlink(path) != 0 && errno != ENOENT)
		return -errno;
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) != 0)
		return -errno;
	return 0;
}

int control_open(struct daemon *d, const char *path, struct control **out)
{
	struct control *c = calloc(1, sizeof(*c));
	struct sockaddr_un sa;
	struct stat st;
	int err;

	if (!c)
		return -ENOMEM;
	c->d = d;
	c->fd = -1;
	err = sockaddr_for(path, &sa);
	if (err) {
		log_err("control socket %s: path too long", path);
		goto fail;
	}
	snprintf(c->path, sizeof(c->path), "%s", path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		err = -errno;
		goto fail_log;
	}
	/* The bound file takes the socket inode's mode: root only from the
	 * start, with no window in which others could connect. */
	if (fchmod(c->fd, 0600) != 0) {
		err = -errno;
		goto fail_log;
	}
	err = bind_socket(c->fd, path, &sa);
	if (err == -EEXIST || err == -EADDRINUSE)
		goto fail;
	if (err)
		goto fail_log;
	if (chmod(path, 0600) != 0 || lstat(path, &st) != 0 || listen(c->fd, 16) != 0) {
		err = -errno;
		unlink(path);
		goto fail_log;
	}
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	*out = c;
	return 0;
fail_log:
	log_err("control socket %s: %s", path, strerror(-err));
fail:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return err;
}

int control_fd(const struct control *c)
{
	return c ? c->fd : -1;
}

void control_close(struct control *c)
{
	struct stat st;

	if (!c)
		return;
	if (lstat(c->path, &st) == 0 && st.st_dev == c->dev && st.st_ino == c->ino)
		unlink(c->path);
	close(c->fd);
	free(c);
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Wait for @events on @fd until @deadline; 0, or -ETIMEDOUT / -errno. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = {.fd = fd, .events = events};
	int n;

	do {
		n = poll(&p, 1, (int)ms_left(deadline));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* One line (without its newline) into @buf; the peer may also just
 * half-close after the object. */
static int read_request(int fd, char *buf, size_t size, const struct timespec *deadline)
{
	size_t len = 0;
	int err;

	for (;;) {
		ssize_t n;

		err = wait_fd(fd, POLLIN, deadline);
		if (err)
			return err;
		n = recv(fd, buf + len, size - 1 - len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		len += (size_t)n;
		buf[len] = '\0';
		if (n == 0 || memchr(buf, '\n', len))
			break;
		if (len == size - 1)
			return -EMSGSIZE;
	}
	buf[strcspn(buf, "\n")] = '\0';
	return len ? 0 : -ENODATA;
}

static void send_reply(int fd, struct json_object *reply, const struct timespec *deadline)
{
	const char *text = json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN);
	size_t len = strlen(text), off = 0;

	while (off <= len) {
		/* The terminating newline goes out after the text. */
		const char *p = off < len ? text + off : "\n";
		size_t n = off < len ? len - off : 1;
		ssize_t w;

		if (wait_fd(fd, POLLOUT, deadline) != 0)
			return;
		w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (w < 0)
			return;
		off += (size_t)w;
	}
}

/* The request's "node", or NULL. */
static const char *request_node(struct json_object *req)
{
	struct json_object *node;

	return json_object_object_get_ex(req, "node", &node) &&
			       json_object_is_type(node, json_type_string)
		       ? json_object_get_string(node)
		       : NULL;
}

static struct json_object *dispatch(struct daemon *d, const char *line)
{
	struct json_object *req = json_tokener_parse(line), *cmd, *force;
	struct json_object *reply;
	const char *name;

	if (!req || !json_object_is_type(req, json_type_object)) {
		json_object_put(req);
		return control_error("the request is not a JSON object");
	}
	if (!json_object_object_get_ex(req, "cmd", &cmd) ||
	    !json_object_is_type(cmd, json_type_string)) {
		reply = control_error("the request has no \"cmd\"");
	} else if (strcmp(json_object_get_string(cmd), "status") == 0) {
		reply = control_status(d);
	} else if (strcmp(json_object_get_string(cmd), "node-boot") == 0) {
		name = request_node(req);
		reply = name ? control_node_boot(d, name)
			     : control_error("node-boot needs \"node\"");
	} else if (strcmp(json_object_get_string(cmd), "node-reset") == 0) {
		name = request_node(req);
		if (!name)
			reply = control_error("node-reset needs \"node\"");
		else
			reply = control_node_reset(
				d, name,
				json_object_object_get_ex(req, "force", &force) &&
					json_object_get_boolean(force));
	} else {
		reply = control_error("unknown command '%s'", json_object_get_string(cmd));
	}
	json_object_put(req);
	return reply;
}

static void serve_one(struct control *c, int fd)
{
	struct json_object *reply = NULL;
	struct timespec deadline;
	struct ucred cred;
	socklen_t clen = sizeof(cred);
	char buf[REQUEST_MAX];
	int err;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += IO_TIMEOUT_MS / 1000;
	/* The request is read first in every case: closing with unread data
	 * would reset the connection and lose the reply. */
	err = read_request(fd, buf, sizeof(buf), &deadline);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0 || cred.uid != 0) {
		reply = control_error("permission denied: root only");
		goto out;
	}
	if (err) {
		log_warn("control socket: bad request: %s", strerror(-err));
		if (err == -ETIMEDOUT)
			return;
		reply = control_error("bad request: %s", strerror(-err));
		goto out;
	}
	reply = dispatch(c->d, buf);
out:
	/* A fresh deadline: the request itself may have taken a while. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += IO_TIMEOUT_MS / 1000;
	send_reply(fd, reply, &deadline);
	json_object_put(reply);
}

void control_serve(struct control *c)
{
	int fd;

	if (!c)
		return;
	while ((fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		serve_one(c, fd);
		close(fd);
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		log_warn("control socket: accept: %s", strerror(errno));
}
