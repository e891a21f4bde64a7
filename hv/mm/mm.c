/*
 * Host memory bring-up: reserve what is in use (low 1 MiB, the hypervisor
 * image, boot modules), build the final page tables, then hand every other
 * RAM frame to the buddy allocator and print the one-line summary.
 */
#include <errno.h>
#include <keel/arch.h>
#include <keel/buddy.h>
#include <keel/lib.h>
#include <keel/log.h>
#include <keel/mm.h>
#include <keel/spinlock.h>

extern uint8_t __image_start[], __image_end[];

static struct buddy host_buddy;
static spinlock_t mm_lock = SPINLOCK_INIT_LEVEL(LOCK_MM);     /* the buddy allocator; only the log inside */
static struct mem_range free_ranges[MEMMAP_MAX_RANGES];

uint64_t alloc_pages(unsigned order)
{
    uint64_t pa;

    spin_lock(&mm_lock);
    pa = buddy_alloc(&host_buddy, order);
    spin_unlock(&mm_lock);
    return pa;
}

uint64_t alloc_pages_at(uint64_t pa, unsigned order)
{
    spin_lock(&mm_lock);
    pa = buddy_alloc_at(&host_buddy, pa, order);
    spin_unlock(&mm_lock);
    return pa;
}

void free_pages(uint64_t pa, unsigned order)
{
    int rc;

    spin_lock(&mm_lock);
    rc = buddy_free(&host_buddy, pa, order);
    spin_unlock(&mm_lock);
    if (rc)
        panic("free_pages(%#lx, %u): the hypervisor freed what it does not own",
              (unsigned long)pa, order);
}

uint64_t mm_free_bytes(void)
{
    return host_buddy.free_frames << PAGE_SHIFT;
}

static uint64_t total_ram;

uint64_t mm_total_bytes(void)
{
    return total_ram;
}

int memory_init(const struct boot_info *bi)
{
    struct mem_range resv[2 + BOOT_MODULES_MAX];
    size_t nr_resv = 0, n;
    uint64_t ram = 0, mods = 0, lo, hi, frames, meta_bytes, meta = 0;
    int rc;

    resv[nr_resv++] = (struct mem_range){ 0, MiB(1) };   /* BIOS data, trampoline */
    resv[nr_resv++] = (struct mem_range){ virt_to_phys(__image_start), virt_to_phys(__image_end) };
    for (uint32_t i = 0; i < bi->nr_modules; i++) {
        resv[nr_resv++] = (struct mem_range){ bi->modules[i].start, bi->modules[i].end };
        mods += bi->modules[i].end - bi->modules[i].start;
    }
    for (uint32_t i = 0; i < bi->nr_mem; i++)
        if (bi->mem[i].type == BOOT_MEM_RAM)
            ram += bi->mem[i].len;
    n = memmap_free_ranges(bi, resv, nr_resv, free_ranges, MEMMAP_MAX_RANGES);
    if (!n) {
        pr_err("mm: no usable RAM in the memory map\n");
        return -ENOMEM;
    }

    rc = arch_paging_init(bi);
    if (rc)
        return rc;

    /* One metadata byte per frame of the zone, placed in the first range that fits. */
    lo = free_ranges[0].base;
    hi = free_ranges[n - 1].end;
    frames = (hi - lo) >> PAGE_SHIFT;
    meta_bytes = ALIGN_UP(buddy_meta_size(frames), PAGE_SIZE);
    for (size_t i = 0; i < n && !meta; i++)
        if (free_ranges[i].end - free_ranges[i].base >= meta_bytes)
            meta = free_ranges[i].base;
    if (!meta) {
        pr_err("mm: no room for %lu bytes of allocator metadata\n", (unsigned long)meta_bytes);
        return -ENOMEM;
    }
    n = memmap_subtract(free_ranges, n, MEMMAP_MAX_RANGES, meta, meta + meta_bytes);
    buddy_init(&host_buddy, lo, frames, phys_to_virt(meta), 0);
    for (size_t i = 0; i < n; i++) {
        pr_debug("mm: free %#lx-%#lx\n", (unsigned long)free_ranges[i].base,
                 (unsigned long)free_ranges[i].end);
        buddy_add_range(&host_buddy, free_ranges[i].base, free_ranges[i].end - free_ranges[i].base);
    }
    total_ram = ram;
    pr_info("Memory: %lu MiB RAM, %lu MiB free, hypervisor %lu KiB, modules %lu KiB, %lu free ranges\n",
            (unsigned long)(ram >> 20), (unsigned long)(mm_free_bytes() >> 20),
            (unsigned long)((virt_to_phys(__image_end) - virt_to_phys(__image_start)) >> 10),
            (unsigned long)(mods >> 10), n);
    return 0;
}

void mm_release_boot_modules(struct boot_info *bi)
{
    uint64_t bytes = 0;

    for (uint32_t i = 0; i < bi->nr_modules; i++) {
        spin_lock(&mm_lock);
        buddy_add_range(&host_buddy, bi->modules[i].start, bi->modules[i].end - bi->modules[i].start);
        spin_unlock(&mm_lock);
        bytes += bi->modules[i].end - bi->modules[i].start;
    }
    bi->nr_modules = 0;
    pr_info("mm: %lu KiB of boot modules freed\n", (unsigned long)(bytes >> 10));
}
