/* SPDX-License-Identifier: MIT */
/*
 * netbootctl apply [--dry-run]: regenerate the dnsmasq, exports and Ganesha
 * files of the services installed here, show what changes (diff -u), write
 * the changed files atomically and make the running services take them
 * without a restart: SIGHUP to dnsmasq (it re-reads its dhcp-hostsfile,
 * where the nodes are), exportfs -ra, SIGHUP to Ganesha (it re-reads its
 * exports: adds, updates and removes them).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/args.h"
#include "ctl/chroot_run.h"
#include "ctl/ctl.h"
#include "ctl/output.h"
#include "lib/statefile.h"

#define DNSMASQ_CONF  "/etc/dnsmasq.d/netbootfs.conf"
#define DNSMASQ_HOSTS NETBOOTFS_SYSCONFDIR "/netbootfs/dnsmasq.hosts"
#define DNSMASQ_PID   "/run/dnsmasq/dnsmasq.pid"
#define EXPORTS_FILE  "/etc/exports.d/netbootfs.exports"
#define GANESHA_CONF  "/etc/ganesha/netbootfs.conf"
#define GANESHA_PID   "/run/ganesha/ganesha.pid"

static const char apply_help[] =
	"Usage: netbootctl [-c CONFIG] apply [--dry-run] [--dnsmasq-conf FILE]\n"
	"           [--dnsmasq-hosts FILE] [--dnsmasq-pid FILE] [--hook PATH]\n"
	"           [--exports FILE] [--ganesha-conf FILE] [--ganesha-pid FILE]\n"
	"\n"
	"Regenerate the configuration of the services around netbootfs (as gen\n"
	"does), show the changes as a unified diff, write the changed files\n"
	"atomically and reload the running services without restarting them:\n"
	"  dnsmasq  --dnsmasq-conf (" DNSMASQ_CONF ") and the nodes in\n"
	"           --dnsmasq-hosts (" DNSMASQ_HOSTS "), a\n"
	"           dhcp-hostsfile; SIGHUP to the PID in --dnsmasq-pid\n"
	"           (" DNSMASQ_PID "). dnsmasq re-reads only the hosts\n"
	"           file on SIGHUP: a change to the main file needs a restart.\n"
	"  exports  --exports (" EXPORTS_FILE "); exportfs -ra\n"
	"  ganesha  --ganesha-conf (" GANESHA_CONF ", to be\n"
	"           %include'd by ganesha.conf); SIGHUP to the PID in --ganesha-pid\n"
	"           (" GANESHA_PID "): Ganesha re-reads its exports; a change\n"
	"           to NFS_CORE_PARAM or MDCACHE needs a restart.\n"
	"Without a file option, each service whose program is installed (dnsmasq,\n"
	"exportfs, ganesha.nfsd) is handled; with any, only the services named.\n"
	"  --dry-run  show the diff and what would be reloaded; write nothing\n"
	"Like gen, new nodes get their NFS slot in the state directory.\n"
	"Exit status: 0 when every file and reload succeeded, 1 otherwise.\n";

enum { SVC_DNSMASQ, SVC_EXPORTS, SVC_GANESHA, SVC_N };

struct apply_opts {
	bool dry_run;
	const char *hook;
	const char *file[SVC_N];
	const char *dnsmasq_hosts;
	const char *pidfile[SVC_N];
};

/* One generated file: its content in memory and whether it differs. */
struct gen_file {
	const char *path;
	char *text;
	size_t len;
	bool changed;
};

static bool program_installed(const char *name)
{
	static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
	char path[PATH_MAX];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return true;
	}
	return false;
}

static int parse_opts(int argc, char **argv, struct apply_opts *o)
{
	enum { O_DRY = 256, O_HOOK, O_DCONF, O_DHOSTS, O_DPID, O_EXP, O_GCONF, O_GPID };
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"dry-run", no_argument, NULL, O_DRY},
		{"hook", required_argument, NULL, O_HOOK},
		{"dnsmasq-conf", required_argument, NULL, O_DCONF},
		{"dnsmasq-hosts", required_argument, NULL, O_DHOSTS},
		{"dnsmasq-pid", required_argument, NULL, O_DPID},
		{"exports", required_argument, NULL, O_EXP},
		{"ganesha-conf", required_argument, NULL, O_GCONF},
		{"ganesha-pid", required_argument, NULL, O_GPID},
		{NULL, 0, NULL, 0},
	};
	bool any = false;
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'h':
			fputs(apply_help, stdout);
			return CTL_EXIT_OK;
		case O_DRY:
			o->dry_run = true;
			break;
		case O_HOOK:
			o->hook = optarg;
			break;
		case O_DCONF:
			o->file[SVC_DNSMASQ] = optarg;
			break;
		case O_DHOSTS:
			o->dnsmasq_hosts = optarg;
			break;
		case O_DPID:
			o->pidfile[SVC_DNSMASQ] = optarg;
			break;
		case O_EXP:
			o->file[SVC_EXPORTS] = optarg;
			break;
		case O_GCONF:
			o->file[SVC_GANESHA] = optarg;
			break;
		case O_GPID:
			o->pidfile[SVC_GANESHA] = optarg;
			break;
		case ':':
			return usage_error("apply", "option '%s' needs an argument",
					   argv[optind - 1]);
		default:
			return usage_error("apply", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("apply", "unexpected argument '%s'", argv[optind]);
	for (int i = 0; i < SVC_N; i++)
		any = any || o->file[i];
	if (!any) {
		if (program_installed("dnsmasq"))
			o->file[SVC_DNSMASQ] = DNSMASQ_CONF;
		if (program_installed("exportfs"))
			o->file[SVC_EXPORTS] = EXPORTS_FILE;
		if (program_installed("ganesha.nfsd"))
			o->file[SVC_GANESHA] = GANESHA_CONF;
	}
	if (!o->dnsmasq_hosts)
		o->dnsmasq_hosts = DNSMASQ_HOSTS;
	if (!o->pidfile[SVC_DNSMASQ])
		o->pidfile[SVC_DNSMASQ] = DNSMASQ_PID;
	if (!o->pidfile[SVC_GANESHA])
		o->pidfile[SVC_GANESHA] = GANESHA_PID;
	return -1;
}

/* The content of the file at @path (malloc'ed), or NULL if it cannot be
 * read. */
static char *read_old(const char *path)
{
	char *old = NULL;
	size_t len = 0;
	FILE *in = fopen(path, "r");

	if (!in)
		return NULL;
	if (getdelim(&old, &len, '\0', in) < 0 && !feof(in)) {
		free(old);
		old = NULL;
	} else if (!old) {
		old = strdup("");
	}
	fclose(in);
	return old;
}

/* Whether @f's content differs from the file at f->path (missing: yes). */
static bool file_differs(const struct gen_file *f)
{
	char *old = read_old(f->path);
	size_t len = old ? strlen(old) : 0;
	bool differs = !old || len != f->len || (len && memcmp(old, f->text, len) != 0);

	free(old);
	return differs;
}

/* The "\nNAME {" ... "\n}\n" block of a generated Ganesha file: its start,
 * and its length in *len (0 and NULL without one). */
static const char *ganesha_block(const char *text, const char *name, size_t *len)
{
	char head[32];
	const char *b, *e;

	snprintf(head, sizeof(head), "\n%s {\n", name);
	b = text ? strstr(text, head) : NULL;
	e = b ? strstr(b + 1, "\n}\n") : NULL;
	*len = e ? (size_t)(e - b) : 0;
	return e ? b : NULL;
}

/* Whether the new Ganesha file @f changes a block Ganesha reads only when it
 * starts (a SIGHUP reloads the exports only). */
static bool ganesha_needs_restart(const struct gen_file *f)
{
	static const char *const blocks[] = {"NFS_CORE_PARAM", "MDCACHE"};
	char *old = read_old(f->path);
	bool restart = false;

	for (size_t i = 0; old && i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		size_t ol, nl;
		const char *o = ganesha_block(old, blocks[i], &ol);
		const char *n = ganesha_block(f->text, blocks[i], &nl);

		restart |= ol != nl || (ol && memcmp(o, n, ol) != 0);
	}
	free(old);
	return restart;
}

/* diff -u between the file at f->path (or nothing) and @f's new content. */
static void show_diff(const struct gen_file *f)
{
	char tmp[] = "/tmp/netbootctl-apply.XXXXXX", why[256];
	const char *old = access(f->path, F_OK) == 0 ? f->path : "/dev/null";
	int fd = mkstemp(tmp);

	fflush(stdout);
	if (fd < 0 || write(fd, f->text, f->len) != (ssize_t)f->len) {
		ctl_err("%s: cannot show the diff: %s", f->path, strerror(errno));
	} else {
		const char *argv[] = {"diff",  "-u", "--label", f->path, "--label",
				      f->path, old,  tmp,	NULL};

		/* Exit status 1 (files differ) is what we expect. */
		if (tool_run(argv, NULL, why, sizeof(why)) == -ENOENT)
			ctl_err("%s: %s", f->path, why);
	}
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
}

static int write_file(const struct gen_file *f)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(f->path, '/');
	int ret;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash == f->path ? 1 : slash - f->path),
			 f->path);
	ret = statefile_write(dir, slash ? slash + 1 : f->path, f->text, f->len);
	if (ret < 0)
		ctl_err("%s: %s", f->path, strerror(-ret));
	return ret;
}

/* Run one generator into memory. */
static int generate(struct ctl *c, int (*fn)(struct ctl *, const struct gen_opts *, FILE *),
		    const struct gen_opts *go, struct gen_file *f)
{
	FILE *out = open_memstream(&f->text, &f->len);
	int ret;

	if (!out)
		return -errno;
	ret = fn(c, go, out);
	if (fclose(out) != 0 && ret == 0)
		ret = -ENOMEM;
	return ret;
}

/* SIGHUP to the process in @pidfile; @what names it in messages. */
static int signal_pidfile(const char *what, const char *pidfile, bool dry_run)
{
	char buf[32] = "";
	FILE *f = fopen(pidfile, "r");
	long pid;

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
	}
	pid = strtol(buf, NULL, 10);
	if (pid <= 1 || kill((pid_t)pid, 0) != 0) {
		printf("%s: not running (no live PID in %s): it reads the files when it starts\n",
		       what, pidfile);
		return 0;
	}
	if (dry_run) {
		printf("%s: would send SIGHUP to PID %ld\n", what, pid);
		return 0;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		ctl_err("%s: SIGHUP to PID %ld: %s", what, pid, strerror(errno));
		return -errno;
	}
	printf("%s: sent SIGHUP to PID %ld\n", what, pid);
	return 0;
}

static int run_exportfs(bool dry_run)
{
	const char *argv[] = {"exportfs", "-ra", NULL};
	char why[256];
	int ret;

	if (!program_installed("exportfs")) {
		printf("exports: exportfs is not installed: nothing to reload\n");
		return 0;
	}
	if (dry_run) {
		printf("exports: would run exportfs -ra\n");
		return 0;
	}
	ret = tool_run(argv, NULL, why, sizeof(why));
	if (ret < 0)
		ctl_err("exports: %s", why);
	else
		printf("exports: ran exportfs -ra\n");
	return ret;
}

/* Diff and write the changed files of one service; *changed tells whether
 * any did. */
static int update_files(struct gen_file *files, size_t n, bool dry_run, bool *changed)
{
	int ret = 0;

	*changed = false;
	for (size_t i = 0; i < n; i++) {
		files[i].changed = file_differs(&files[i]);
		if (!files[i].changed) {
			printf("%s: unchanged\n", files[i].path);
			continue;
		}
		*changed = true;
		show_diff(&files[i]);
		if (dry_run)
			printf("%s: would be written\n", files[i].path);
		else if (write_file(&files[i]) < 0)
			ret = -EIO;
		else
			printf("%s: written\n", files[i].path);
	}
	return ret;
}

static int apply_dnsmasq(struct ctl *c, const struct apply_opts *o)
{
	struct gen_file files[2] = {{.path = o->file[SVC_DNSMASQ]}, {.path = o->dnsmasq_hosts}};
	struct gen_opts go = {.hook = o->hook, .hostsfile = o->dnsmasq_hosts};
	bool changed = false;
	int ret;

	go.hosts_out = open_memstream(&files[1].text, &files[1].len);
	if (!go.hosts_out)
		return -errno;
	ret = generate(c, gen_dnsmasq, &go, &files[0]);
	if (fclose(go.hosts_out) != 0 && ret == 0)
		ret = -ENOMEM;
	if (ret == 0)
		ret = update_files(files, 2, o->dry_run, &changed);
	if (ret == 0 && changed) {
		if (files[0].changed)
			printf("dnsmasq: %s changed: dnsmasq reads it only when it starts: "
			       "restart dnsmasq\n",
			       files[0].path);
		ret = signal_pidfile("dnsmasq", o->pidfile[SVC_DNSMASQ], o->dry_run);
	}
	free(files[0].text);
	free(files[1].text);
	return ret;
}

static int apply_nfs(struct ctl *c, const struct apply_opts *o, int svc)
{
	struct gen_file file = {.path = o->file[svc]};
	struct gen_opts go = {0};
	bool changed = false, restart = false;
	int ret;

	ret = generate(c, svc == SVC_EXPORTS ? gen_exports : gen_ganesha, &go, &file);
	if (ret == 0 && svc == SVC_GANESHA)
		restart = ganesha_needs_restart(&file);
	if (ret == 0)
		ret = update_files(&file, 1, o->dry_run, &changed);
	if (ret == 0 && restart)
		printf("ganesha: %s: NFS_CORE_PARAM or MDCACHE changed: Ganesha reads them only "
		       "when it starts: restart Ganesha\n",
		       file.path);
	if (ret == 0 && changed)
		ret = svc == SVC_EXPORTS
			      ? run_exportfs(o->dry_run)
			      : signal_pidfile("ganesha", o->pidfile[SVC_GANESHA], o->dry_run);
	free(file.text);
	return ret;
}

int cmd_apply(struct ctl *c, int argc, char **argv)
{
	struct apply_opts o = {0};
	int ret, failed = 0;

	ret = parse_opts(argc, argv, &o);
	if (ret >= 0)
		return ret;
	/* A config with errors changes nothing. */
	if (!ctl_load_config_server(c)) {
		ctl_err("%s: configuration has errors: nothing applied", c->config_path);
		return CTL_EXIT_FAIL;
	}
	if (!o.file[SVC_DNSMASQ] && !o.file[SVC_EXPORTS] && !o.file[SVC_GANESHA]) {
		ctl_err("apply: none of dnsmasq, exportfs, ganesha.nfsd is installed: nothing to "
			"do");
		return CTL_EXIT_FAIL;
	}
	if (o.file[SVC_DNSMASQ])
		failed |= apply_dnsmasq(c, &o) < 0;
	if (o.file[SVC_EXPORTS])
		failed |= apply_nfs(c, &o, SVC_EXPORTS) < 0;
	if (o.file[SVC_GANESHA])
		failed |= apply_nfs(c, &o, SVC_GANESHA) < 0;
	return failed ? CTL_EXIT_FAIL : CTL_EXIT_OK;
}
