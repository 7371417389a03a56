/* SPDX-License-Identifier: MIT */
#include "fusefs/tftp/pxe.h"
#include "mapper/escape.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Debian's ipxe package: BIOS (over a vendor PXE ROM), UEFI x86_64 with its
 * own drivers or the firmware's SNP, and the arm64 UEFI build. */
static const char *const loaders[PXE_N_LOADERS] = {
	"undionly.kpxe",
	"ipxe.efi",
	"snponly.efi",
	"ipxe-arm64.efi",
};

char *pxe_script_render(const char *cmdline)
{
	size_t len = strlen(cmdline);
	char *line, *out = NULL;

	while (len && cmdline[len - 1] == '\n')
		len--;
	line = strndup(cmdline, len);
	if (!line)
		return NULL;
	if (esc_why(ESC_IPXE, line)) {
		free(line);
		errno = EINVAL;
		return NULL;
	}
	if (asprintf(&out, "#!ipxe\nkernel %s initrd=%s %s\ninitrd %s\nboot\n", PXE_KERNEL,
		     PXE_INITRD, line, PXE_INITRD) < 0)
		out = NULL;
	free(line);
	return out;
}

static const char *newest_with_prefix(const char *prefix, const char *const *names, size_t n)
{
	size_t pl = strlen(prefix), i;
	const char *best = NULL;

	for (i = 0; i < n; i++) {
		if (strncmp(names[i], prefix, pl) != 0 || !names[i][pl])
			continue;
		if (!best || strverscmp(names[i] + pl, best + pl) > 0)
			best = names[i];
	}
	return best;
}

const char *pxe_pick(const char *alias, const char *const *names, size_t n)
{
	const char *kernel = newest_with_prefix(PXE_KERNEL "-", names, n);
	size_t i;

	if (strcmp(alias, PXE_KERNEL) == 0)
		return kernel;
	if (strcmp(alias, PXE_INITRD) != 0 || !kernel)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(names[i], PXE_INITRD "-", sizeof(PXE_INITRD)) == 0 &&
		    strcmp(names[i] + sizeof(PXE_INITRD), kernel + sizeof(PXE_KERNEL)) == 0)
			return names[i];
	return NULL;
}

int pxe_loader_index(const char *name)
{
	int i;

	for (i = 0; i < PXE_N_LOADERS; i++)
		if (strcmp(name, loaders[i]) == 0)
			return i;
	return -1;
}

const char *pxe_loader_name(unsigned i)
{
	return i < PXE_N_LOADERS ? loaders[i] : NULL;
}
