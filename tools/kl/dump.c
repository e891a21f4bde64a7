/*
 * A domain's memory as an ELF core file (what `kl dump-core` and the
 * coredump-* actions write): one PT_LOAD per 2 MiB-aligned piece of guest
 * RAM, p_paddr its guest-physical address, read through foreign mappings
 * while the domain is paused.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kl.h"

#define WINDOW_PAGES 4096           /* 16 MiB mapped at a time */

static int dump(struct keel *k, const struct keel_domain_info *d, int fd)
{
    Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
                      .e_phoff = sizeof(Elf64_Ehdr), .e_ehsize = sizeof(Elf64_Ehdr),
                      .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = 1 };
    Elf64_Phdr ph = { .p_type = PT_LOAD, .p_flags = PF_R | PF_W | PF_X, .p_offset = 4096,
                      .p_paddr = 0, .p_filesz = d->mem_bytes, .p_memsz = d->mem_bytes, .p_align = 4096 };
    static const uint8_t pad[4096 - sizeof(Elf64_Ehdr) - sizeof(Elf64_Phdr)];
    int rc;

    memcpy(eh.e_ident, ELFMAG, SELFMAG);
    eh.e_ident[EI_CLASS] = ELFCLASS64;
    eh.e_ident[EI_DATA] = ELFDATA2LSB;
    eh.e_ident[EI_VERSION] = EV_CURRENT;
    rc = kl_write_all(fd, &eh, sizeof(eh));
    if (!rc)
        rc = kl_write_all(fd, &ph, sizeof(ph));
    if (!rc)
        rc = kl_write_all(fd, pad, sizeof(pad));
    for (uint64_t gfn = 0; !rc && gfn < d->mem_bytes >> 12; gfn += WINDOW_PAGES) {
        uint32_t n = (uint32_t)((d->mem_bytes >> 12) - gfn < WINDOW_PAGES ? (d->mem_bytes >> 12) - gfn : WINDOW_PAGES);
        void *p = keel_foreign_map(k, d->domid, gfn, n, &rc);
        if (!p)
            break;
        rc = kl_write_all(fd, p, (size_t)n << 12);
        keel_foreign_unmap(k, p, n);
    }
    return rc;
}

int kl_dump_core(struct keel *k, uint32_t domid, const char *path)
{
    struct keel_domain_info d;
    int64_t rc = keel_domain_info(k, domid, &d), prc;
    int fd;

    if (rc)
        return (int)rc;
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    prc = keel_domain_pause(k, domid);       /* one consistent moment (a paused domain stays paused) */
    rc = prc ? prc : dump(k, &d, fd);
    if (!prc)
        keel_domain_unpause(k, domid);
    if (close(fd) && !rc)
        rc = -errno;
    if (rc)
        unlink(path);
    return (int)rc;
}
