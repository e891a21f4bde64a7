/*
 * The hypervisor's own page tables: an identity map of the low 4 GiB (MMIO
 * holes uncached) and of all RAM, with page 0 left unmapped to catch NULL,
 * and the image mapped by section: .text RX, .rodata R, .data/.bss RW, all
 * data NX. Tables come from a static pool first (below 4 GiB, so APs can
 * load CR3 from 32-bit code) and from the buddy allocator after.
 */
#include <errno.h>
#include <asm/cpu_ops.h>
#include <asm/page.h>
#include <asm/processor.h>
#include <asm/x86.h>
#include <keel/arch.h>
#include <keel/log.h>
#include <keel/mm.h>

#define POOL_PAGES  64

extern uint8_t __image_start[], __text_end[], __rodata_end[], __image_end[];

static uint8_t pool[POOL_PAGES][4096] __attribute__((aligned(4096)));
static unsigned pool_used;
static uint64_t root;
static struct pt_ctx ctx;

static uint64_t alloc_table(void *opaque)
{
    (void)opaque;
    if (pool_used < POOL_PAGES)
        return virt_to_phys(pool[pool_used++]);
    return alloc_pages(0);
}

static int map(uint64_t base, uint64_t end, uint64_t attr, const char *what)
{
    int rc = pt_map(&ctx, root, base, base, end - base, attr);

    if (rc)
        pr_err("paging: cannot map %s %#lx-%#lx: %d\n", what, (unsigned long)base,
               (unsigned long)end, rc);
    return rc;
}

int arch_paging_init(const struct boot_info *bi)
{
    uint64_t img = virt_to_phys(__image_start), text_end = virt_to_phys(__text_end);
    uint64_t ro_end = virt_to_phys(__rodata_end), img_end = virt_to_phys(__image_end);
    const uint64_t data = PTE_RW | PTE_NX, mmio = PTE_RW | PTE_NX | PTE_PCD | PTE_PWT;
    int rc;

    ctx.alloc_table = alloc_table;
    ctx.virt_offset = 0;
    ctx.max_leaf_level = (cpuid(0x80000001).edx & CPUID_EXT1_EDX_PAGE1G) ? PT_LEVEL_1G : PT_LEVEL_2M;
    root = alloc_table(NULL);
    for (unsigned i = 0; i < 512; i++)
        ((uint64_t *)phys_to_virt(root))[i] = 0;

    /* Low 4 GiB uncached (MMIO holes), then RAM, ACPI and NVS write-back. */
    rc = map(0x1000, GiB(4), mmio, "low memory");
    for (uint32_t i = 0; !rc && i < bi->nr_mem; i++) {
        const struct boot_mem_range *e = &bi->mem[i];
        uint64_t base = ALIGN_DOWN(e->base, 4096), end = ALIGN_UP(e->base + e->len, 4096);

        if (e->type != BOOT_MEM_RAM && e->type != BOOT_MEM_ACPI && e->type != BOOT_MEM_NVS)
            continue;
        if (base == 0)
            base = 0x1000;
        if (end > base && end - base <= (1ull << 47) - base)
            rc = map(base, end, data, "RAM");
    }
    if (!rc)
        rc = map(img, text_end, 0, ".text");
    if (!rc)
        rc = map(text_end, ro_end, PTE_NX, ".rodata");
    if (!rc)
        rc = map(ro_end, img_end, data, ".data");
    if (rc)
        return rc;
    write_cr3(root);
    pr_info("paging: %s pages, %u tables, %lu writable+executable mappings\n",
            ctx.max_leaf_level == PT_LEVEL_1G ? "1 GiB" : "2 MiB", pool_used,
            (unsigned long)arch_paging_count_wx());
    return 0;
}

uint64_t arch_paging_count_wx(void)
{
    return pt_count_wx(&ctx, read_cr3() & PTE_ADDR_MASK);
}

int paging_remap_page(uint64_t pa, uint64_t attr)
{
    int rc = pt_map(&ctx, root, pa, pa, 4096, attr);

    invlpg((uintptr_t)pa);
    return rc;
}

int arch_is_mapped(uint64_t pa, uint64_t len)
{
    uint64_t end = pa + len, got, attr;
    unsigned level;

    if (end < pa)
        return 0;
    for (uint64_t p = ALIGN_DOWN(pa, 4096); p < end;) {
        if (pt_lookup(&ctx, read_cr3() & PTE_ADDR_MASK, p, &got, &attr, &level) || got != p)
            return 0;
        p = ALIGN_DOWN(p, pt_level_size(level)) + pt_level_size(level);
    }
    return 1;
}
