/* Multiboot2 information -> struct boot_info (boot/mb2.c). */
#ifndef BOOT_MB2_H
#define BOOT_MB2_H
#include <stddef.h>
#include <boot/boot_info.h>

/* Largest information structure accepted; GRUB's are a few KiB. */
#define MB2_INFO_MAX   (1u << 20)

/*
 * Parse the multiboot2 information at @mbi, of which at most @avail bytes
 * may be read, into @bi (zeroed first). Returns 0, or -EINVAL when the
 * structure is malformed (logged; @bi then holds what was parsed before it).
 */
int mb2_parse(const void *mbi, size_t avail, struct boot_info *bi);
#endif
