/* Guest page walks in every paging mode, with the #PF error codes a CPU would give. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>
#include <asm/guest_walk.h>
#include "unit.h"

#define MEM (4u << 20)
static uint8_t mem[MEM];

static int rd(void *opaque, uint64_t gpa, void *buf, size_t len)
{
    (void)opaque;
    if (gpa > MEM || len > MEM - gpa)
        return -EFAULT;
    memcpy(buf, mem + gpa, len);
    return 0;
}

static void put32(uint64_t a, uint32_t v) { memcpy(mem + a, &v, 4); }
static void put64(uint64_t a, uint64_t v) { memcpy(mem + a, &v, 8); }

#define P 1u
#define RW 2u
#define US 4u
#define PS 0x80u
#define NX (1ull << 63)

static struct guest_walk w;

static int walk(uint64_t gla, unsigned acc, uint64_t *gpa, uint32_t *pf)
{
    return guest_walk(&w, gla, acc, gpa, pf);
}

static void test_paging_off(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    w = (struct guest_walk){ .cr0 = 1, .read = rd };
    assert_int_equal(walk(0x123456789ull, GW_WRITE, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x23456789);                  /* 32-bit linear addresses wrap */
}

static void test_32bit(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    memset(mem, 0, sizeof(mem));
    w = (struct guest_walk){ .cr0 = 0x80010001, .cr3 = 0x1000, .cr4 = 0x10 /* PSE */, .read = rd };
    put32(0x1000 + 0 * 4, 0x2000 | P | RW | US);       /* 0-4M: page table at 0x2000 */
    put32(0x2000 + 5 * 4, 0x345000 | P | US);           /* 0x5000 -> 0x345000, read-only, user */
    put32(0x1000 + 2 * 4, 0x00c00000 | P | RW | PS);    /* 8M: 4 MiB page at 12M, supervisor */
    assert_int_equal(walk(0x5abc, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x345abc);
    assert_int_equal(walk(0x5abc, GW_WRITE, &gpa, &pf), -EFAULT);          /* WP=1 */
    assert_int_equal(pf, GW_PRESENT | GW_WRITE);
    w.cr0 &= ~0x10000u;                                                     /* WP=0: supervisor may write */
    assert_int_equal(walk(0x5abc, GW_WRITE, &gpa, &pf), 0);
    assert_int_equal(walk(0x5abc, GW_WRITE | GW_USER, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_WRITE | GW_USER);
    assert_int_equal(walk(0x812345, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, 0xc12345);
    assert_int_equal(walk(0x812345, GW_USER, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_USER);
    assert_int_equal(walk(0x6000, GW_WRITE, &gpa, &pf), -EFAULT);          /* PTE not present */
    assert_int_equal(pf, GW_WRITE);
    assert_int_equal(walk(0x400000, 0, &gpa, &pf), -EFAULT);               /* PDE not present */
    assert_int_equal(pf, 0);
    put32(0x1000 + 3 * 4, 0x7ff000 | P);                /* page table outside guest RAM */
    assert_int_equal(walk(0xc00000, 0, &gpa, &pf), -EIO);
}

static void test_pae(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    memset(mem, 0, sizeof(mem));
    w = (struct guest_walk){ .cr0 = 0x80010001, .cr3 = 0x1020, .cr4 = 0x20, .efer = 1u << 11, .read = rd };
    put64(0x1020 + 3 * 8, 0x2000 | P);                  /* PDPTE 3: 3G-4G */
    put64(0x2000 + 1 * 8, 0x3000 | P | RW);             /* PDE 1 of that: 4K table */
    put64(0x3000 + 2 * 8, 0x3ff000 | P | RW | NX);      /* 0xc0202000 -> 0x3ff000, no-exec */
    put64(0x2000 + 2 * 8, 0x200000 | P | RW | PS);      /* 0xc0400000: 2 MiB page */
    assert_int_equal(walk(0xc0202010, GW_WRITE, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x3ff010);
    assert_int_equal(walk(0xc0202010, GW_FETCH, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_FETCH);
    w.efer = 0;                                          /* XD is a reserved bit without EFER.NXE */
    assert_int_equal(walk(0xc0202010, 0, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_RSVD);
    put64(0x3000 + 2 * 8, 0x3ff000 | P | RW);
    assert_int_equal(walk(0xc0202010, GW_FETCH, &gpa, &pf), 0);
    assert_int_equal(walk(0xc0512345, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x312345);
    assert_int_equal(walk(0x00001000, 0, &gpa, &pf), -EFAULT);             /* PDPTE 0 not present */
    put64(0x1020 + 0 * 8, 0x5000 | P | RW);             /* RW is reserved in a PAE PDPTE (4.4.1) */
    assert_int_equal(walk(0x00001000, GW_WRITE, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_RSVD | GW_WRITE);
}

static void test_long_mode(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    memset(mem, 0, sizeof(mem));
    w = (struct guest_walk){ .cr0 = 0x80010001, .cr3 = 0x1000, .cr4 = 0x20,
                             .efer = (1u << 8) | (1u << 10) | (1u << 11), .read = rd };
    put64(0x1000 + 511 * 8, 0x2000 | P | RW | US);      /* PML4[511]: the top 512 GiB */
    put64(0x2000 + 510 * 8, 0x40000000 | P | RW | PS);  /* 1 GiB page */
    put64(0x2000 + 0 * 8, 0x3000 | P | RW | US);
    put64(0x3000 + 0 * 8, 0x4000 | P | US);             /* read-only at the PD level */
    put64(0x4000 + 7 * 8, 0x123000 | P | RW | US);
    assert_int_equal(walk(0xffffffff80001234ull, GW_WRITE, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x40001234);
    assert_int_equal(walk(0xffffff8000007008ull, GW_USER, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x123008);
    assert_int_equal(walk(0xffffff8000007008ull, GW_USER | GW_WRITE, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_USER | GW_WRITE);               /* RW from every level */
    assert_int_equal(walk(0xffffffff80001234ull, GW_USER, &gpa, &pf), -EFAULT);
    assert_int_equal(walk(0x1000, 0, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, 0);
}

/* Reserved bits in 4-level paging (4.5.4): above MAXPHYADDR, PS in a PML4E, a large page's low bits. */
static void test_reserved_bits(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    memset(mem, 0, sizeof(mem));
    w = (struct guest_walk){ .cr0 = 0x80010001, .cr3 = 0x1000, .cr4 = 0x20,
                             .efer = (1u << 8) | (1u << 10) | (1u << 11), .maxphyaddr = 39, .read = rd };
    put64(0x1000, 0x2000 | P | RW);
    put64(0x2000, 0x3000 | P | RW);
    put64(0x3000 + 1 * 8, 0x200000 | P | RW | PS);              /* a 2 MiB page: fine */
    put64(0x3000 + 2 * 8, 0x400000 | (1ull << 13) | P | PS);    /* bit 13 in a 2 MiB page */
    put64(0x3000 + 3 * 8, (1ull << 40) | 0x600000 | P | PS);    /* above MAXPHYADDR 39 */
    assert_int_equal(walk(0x212345, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x212345);
    assert_int_equal(walk(0x412345, GW_WRITE, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_RSVD | GW_WRITE);
    assert_int_equal(walk(0x612345, GW_FETCH, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_RSVD | GW_FETCH);
    w.maxphyaddr = 0;                                            /* 52: bit 40 is an address bit */
    assert_int_equal(walk(0x612345, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, (1ull << 40) | 0x612345);
    put64(0x1000 + 1 * 8, 0x2000 | P | RW | PS);                /* PS in a PML4E */
    assert_int_equal(walk(1ull << 39, 0, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, GW_PRESENT | GW_RSVD);
}

/* 5-level paging (CR4.LA57, 4.5): bits 56:48 choose the PML5E, so a 4-level walk reads the wrong tables. */
static void test_la57(void **state)
{
    uint64_t gpa;
    uint32_t pf;

    (void)state;
    memset(mem, 0, sizeof(mem));
    w = (struct guest_walk){ .cr0 = 0x80010001, .cr3 = 0x1000, .cr4 = 0x20 | (1u << 12),
                             .efer = (1u << 8) | (1u << 10) | (1u << 11), .read = rd };
    put64(0x1000 + 3 * 8, 0x2000 | P | RW);             /* PML5[3]: bits 56:48 = 3 */
    put64(0x2000 + 0 * 8, 0x3000 | P | RW);             /* PML4[0] */
    put64(0x3000 + 0 * 8, 0x4000 | P | RW);             /* PDPT[0] */
    put64(0x4000 + 5 * 8, 0x200000 | P | RW | PS);      /* PD[5]: 2 MiB at 0x200000 */
    put64(0x1000 + 0 * 8, 0x5000 | P | RW);             /* PML5[0]: an empty table */
    assert_int_equal(walk((3ull << 48) | 0xa01234, 0, &gpa, &pf), 0);
    assert_int_equal(gpa, 0x201234);
    assert_int_equal(walk(0xa01234, 0, &gpa, &pf), -EFAULT);
    assert_int_equal(pf, 0);
    w.cr4 &= ~(1ull << 12);                             /* a 4-level walk takes CR3 as the PML4: wrong */
    assert_int_equal(walk((3ull << 48) | 0xa01234, 0, &gpa, &pf), -EFAULT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paging_off),
        cmocka_unit_test(test_32bit),
        cmocka_unit_test(test_pae),
        cmocka_unit_test(test_long_mode),
        cmocka_unit_test(test_reserved_bits),
        cmocka_unit_test(test_la57),
    };
    return cmocka_run_group_tests_name("guest_walk", tests, NULL, NULL);
}
