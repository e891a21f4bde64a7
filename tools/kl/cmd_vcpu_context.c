/*
 * kl vcpu-context DOMAIN [VCPU]: a vCPU's registers, as Xen's xenctx prints
 * them. The domain is paused while they are read (a paused domain stays
 * paused), so what is shown is one consistent moment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kl.h"

static void print(const struct keel_vcpu_context *c)
{
    static const char *const names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
                                           "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15" };
    int mode64 = (c->efer >> 10) & 1;

    printf("rip: %016llx  flags: %08llx  %s\n", (unsigned long long)c->rip, (unsigned long long)c->rflags,
           mode64 ? "long mode" : (c->cr0 & 1) ? "protected mode" : "real mode");
    for (int i = 0; i < 16; i++)
        printf("%3s: %016llx%s", names[i], (unsigned long long)c->gpr[i], i % 3 == 2 ? "\n" : "  ");
    printf("\ncr0: %016llx  cr3: %016llx  cr4: %016llx  efer: %016llx\n", (unsigned long long)c->cr0,
           (unsigned long long)c->cr3, (unsigned long long)c->cr4, (unsigned long long)c->efer);
    printf("fs base: %016llx  gs base: %016llx\n", (unsigned long long)c->fs_base, (unsigned long long)c->gs_base);
    printf(" cs: %04x  ss: %04x  ds: %04x  es: %04x  fs: %04x  gs: %04x\n", c->cs, c->ss, c->ds, c->es, c->fs, c->gs);
}

int cmd_vcpu_context(int argc, char **argv)
{
    struct keel_vcpu_context c;
    unsigned long vcpu = 0;
    int64_t id, rc, prc;
    struct keel k;
    char *end;

    int bad = kl_operands(&argc, &argv, "vcpu-context", 1, 2);

    if (bad)
        return bad;
    if (argc == 3) {
        vcpu = strtoul(argv[2], &end, 10);
        if (!*argv[2] || *end || vcpu >= KEEL_MAX_VCPUS)
            return kl_error("vcpu-context", "'%s' is not a vCPU number", argv[2]);
    }
    id = kl_open_domain(&k, "vcpu-context", argv[1]);
    if (id < 0)
        return 1;
    prc = keel_domain_pause(&k, (uint32_t)id);
    rc = prc ? prc : keel_vcpu_context(&k, (uint32_t)id, (uint32_t)vcpu, KEEL_VCPU_CONTEXT_GET, &c);
    if (!prc)
        keel_domain_unpause(&k, (uint32_t)id);
    keel_close(&k);
    if (rc == -KEEL_EPERM)
        return kl_error("vcpu-context", "domain %lld is dom0: its registers are not Keel's to show", (long long)id);
    if (rc == -KEEL_EINVAL)
        return kl_error("vcpu-context", "domain %lld has no vCPU %lu", (long long)id, vcpu);
    if (rc < 0)
        return kl_error("vcpu-context", "domain %lld: %s", (long long)id, strerror((int)-rc));
    printf("domain %lld vcpu %lu\n", (long long)id, vcpu);
    print(&c);
    return 0;
}
