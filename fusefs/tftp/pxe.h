/* SPDX-License-Identifier: MIT */
/*
 * PXE clients (boot = pxe): the per-node iPXE script, the kernel and
 * initrd names it asks for, and the iPXE loaders served at <tftp_root>.
 * See docs/design.md, "PXE clients".
 */
#ifndef NETBOOTFS_PXE_H
#define NETBOOTFS_PXE_H

#include <stdbool.h>
#include <stddef.h>

#define PXE_SCRIPT    "boot.ipxe"
#define PXE_KERNEL    "vmlinuz"
#define PXE_INITRD    "initrd.img"
#define PXE_N_LOADERS 4

/*
 *   #!ipxe
 *   kernel vmlinuz initrd=initrd.img CMDLINE
 *   initrd initrd.img
 *   boot
 * The names are relative to the script's own URL (<mac>/). initrd= names
 * the initrd for a kernel started through its EFI stub (UEFI). @cmdline is
 * one line (a trailing newline is dropped). NULL with errno EINVAL when
 * @cmdline cannot be written in an iPXE script (mapper/escape.h).
 */
char *pxe_script_render(const char *cmdline);

/*
 * In a boot dir without @alias ("vmlinuz" or "initrd.img"), the file that
 * stands for it: the newest vmlinuz-VERSION (version order), and for the
 * initrd initrd.img-VERSION of that kernel. @names: the directory's
 * entries. Returns the chosen name (one of @names, or NULL).
 */
const char *pxe_pick(const char *alias, const char *const *names, size_t n);

/* Loader files served at <tftp_root> from [server] loaders: index by name
 * (-1 if @name is none of them), name by index. */
int pxe_loader_index(const char *name);
const char *pxe_loader_name(unsigned i);

#endif
