/* SPDX-License-Identifier: MIT */
#include "ctl/control_client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ini.h>

#include "ctl/output.h"

#define REPLY_MAX (16u << 20)
/* A node reset empties a whole overlay before it answers. */
#define REPLY_TIMEOUT_MS 120000

#define DEFAULT_CONTROL "/run/netbootfs.sock" /* as mapper/server.c */

struct control_key {
	char *buf;
	size_t len;
};

static int control_key_handler(void *user, const char *section, const char *name, const char *value)
{
	struct control_key *k = user;

	if (strcmp(section, "server") == 0 && strcmp(name, "control") == 0)
		snprintf(k->buf, k->len, "%s", value);
	return 1; /* go on past lines the real parser would refuse */
}

int ctl_control_path(struct ctl *c, const char *cmd, char *buf, size_t len)
{
	const struct mapper *m = ctl_load_config_server(c);
	struct control_key k = {buf, len};

	if (m) {
		snprintf(buf, len, "%s", mapper_server(m)->control);
		return 0;
	}
	snprintf(buf, len, "%s", DEFAULT_CONTROL);
	if (ini_parse(c->config_path, control_key_handler, &k) < 0)
		return -EINVAL; /* unreadable: the error is printed already */
	ctl_err("%s: %s has errors; asking the daemon at %s anyway", cmd, c->config_path, buf);
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Everything up to EOF, NUL-terminated, into a malloc'ed *out. */
static int recv_all(int fd, char **out)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap), *nbuf;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	int err = 0;

	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;
		int r = poll(&p, 1, REPLY_TIMEOUT_MS);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? -errno : -ETIMEDOUT;
			break;
		}
		if (cap - len < 2) {
			if (cap >= REPLY_MAX) {
				err = -EMSGSIZE;
				break;
			}
			cap *= 2;
			nbuf = realloc(buf, cap);
			if (!nbuf) {
				err = -ENOMEM;
				break;
			}
			buf = nbuf;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (err) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

int ctl_daemon_call(const char *path, struct json_object *request, struct json_object **reply)
{
	char *answer = NULL;
	const char *text;
	int fd, err;

	*reply = NULL;
	fd = connect_to(path);
	if (fd < 0)
		return fd;
	text = json_object_to_json_string_ext(request, JSON_C_TO_STRING_PLAIN);
	err = send_all(fd, text, strlen(text));
	if (!err)
		err = send_all(fd, "\n", 1);
	/* A daemon that refuses may answer before it read everything. */
	if (!err || err == -EPIPE)
		err = recv_all(fd, &answer);
	close(fd);
	if (err)
		return err;
	*reply = json_tokener_parse(answer);
	free(answer);
	if (!*reply || !json_object_is_type(*reply, json_type_object)) {
		json_object_put(*reply);
		*reply = NULL;
		return -EPROTO;
	}
	return 0;
}

bool ctl_daemon_absent(int err)
{
	return err == -ENOENT || err == -ECONNREFUSED;
}

void ctl_daemon_error(const char *path, const char *cmd, int err)
{
	if (ctl_daemon_absent(err))
		ctl_err("%s: netbootfs is not running (no answer on %s: %s)", cmd, path,
			strerror(-err));
	else if (err == -EPROTO)
		ctl_err("%s: %s: the daemon's reply is not JSON", cmd, path);
	else
		ctl_err("%s: %s: %s", cmd, path, strerror(-err));
}

const char *ctl_reply_error(struct json_object *reply)
{
	struct json_object *e;

	if (json_object_object_get_ex(reply, "error", &e) &&
	    json_object_is_type(e, json_type_string))
		return json_object_get_string(e);
	return "unknown error";
}

bool ctl_reply_ok(struct json_object *reply)
{
	struct json_object *ok;

	return json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok);
}

const struct mapper *ctl_load_node(struct ctl *c, const char *cmd, const char *name)
{
	const struct mapper *m = ctl_load_config_server(c);
	const struct node *other = m ? mapper_find_other(m, name) : NULL;

	if (other) {
		ctl_err("%s: node '%s' is served by server %s, not %s: run it there (-S %s)", cmd,
			name, other->server, mapper_self(m), other->server);
		return NULL;
	}
	if (m && !mapper_find_name(m, name)) {
		ctl_err("%s: no node '%s' in %s", cmd, name, mapper_path(m));
		return NULL;
	}
	return m;
}

struct json_object *ctl_node_request(const char *cmd, const char *name)
{
	struct json_object *req = json_object_new_object();

	json_object_object_add(req, "cmd", json_object_new_string(cmd));
	json_object_object_add(req, "node", json_object_new_string(name));
	return req;
}
