/*
 * VMX instructions (SDM Vol. 3C ch. 31) as checked inline helpers: the
 * second of the two headers that hold inline assembly. Every instruction
 * reports VMfailInvalid/VMfailValid (CF/ZF, 31.2) to its caller; VMCS
 * accessors check the field's width at compile time (B.1.2: bits 14:13).
 */
#ifndef ASM_VMX_OPS_H
#define ASM_VMX_OPS_H
#include <stdint.h>
#include <asm/vmx.h>

/* 0 on success; -1 VMfailInvalid, -2 VMfailValid (error in VM_INSTRUCTION_ERROR). */

static inline int vmx_result(uint8_t cf, uint8_t zf) { return cf ? -1 : zf ? -2 : 0; }

static inline int vmxon(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmxon %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline void vmxoff(void) { __asm__ volatile("vmxoff" ::: "cc", "memory"); }

static inline int vmclear(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmclear %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int vmptrld(uint64_t pa)
{
    uint8_t cf, zf;
    __asm__ volatile("vmptrld %2; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(pa) : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int __vmread(uint64_t field, uint64_t *v)
{
    uint8_t cf, zf;
    __asm__ volatile("vmread %3, %0; setc %1; setz %2" : "=rm"(*v), "=r"(cf), "=r"(zf)
                     : "r"(field) : "cc");
    return vmx_result(cf, zf);
}

static inline int __vmwrite(uint64_t field, uint64_t v)
{
    uint8_t cf, zf;
    __asm__ volatile("vmwrite %3, %2; setc %0; setz %1" : "=r"(cf), "=r"(zf)
                     : "r"(field), "rm"(v) : "cc", "memory");
    return vmx_result(cf, zf);
}

/* INVEPT/INVVPID types (31.3). */
#define INVEPT_SINGLE_CONTEXT   1
#define INVEPT_ALL_CONTEXT      2
#define INVVPID_ADDRESS         0
#define INVVPID_SINGLE_CONTEXT  1
#define INVVPID_ALL_CONTEXT     2

static inline int invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } d = { eptp, 0 };
    uint8_t cf, zf;
    __asm__ volatile("invept %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type)
                     : "cc", "memory");
    return vmx_result(cf, zf);
}

static inline int invvpid(uint64_t type, uint16_t vpid, uint64_t gva)
{
    struct { uint64_t vpid, gva; } d = { vpid, gva };
    uint8_t cf, zf;
    __asm__ volatile("invvpid %2, %3; setc %0; setz %1" : "=r"(cf), "=r"(zf) : "m"(d), "r"(type)
                     : "cc", "memory");
    return vmx_result(cf, zf);
}

/* Failure of a VMREAD/VMWRITE is a hypervisor bug: reported with the field (vmcs.c). */
void vmcs_access_failed(const char *op, uint32_t field, int rc) __attribute__((noreturn, cold));

/*
 * The hot-path accessors branch on the VMfail flags directly (asm goto, 31.2:
 * CF or ZF set means failure): no flag materialization on the success path.
 */
static inline uint64_t vmcs_read_checked(uint32_t field)
{
    uint64_t v;
    __asm__ goto("vmread %1, %0\n\tjbe %l[fail]" : "=r"(v) : "r"((uint64_t)field) : "cc" : fail);
    return v;
fail:
    vmcs_access_failed("vmread", field, -2);
    return 0;
}

static inline void vmcs_write_checked(uint32_t field, uint64_t v)
{
    __asm__ goto("vmwrite %1, %0\n\tjbe %l[fail]" :: "r"((uint64_t)field), "rm"(v) : "cc", "memory" : fail);
    return;
fail:
    vmcs_access_failed("vmwrite", field, -2);
}

/* Width-checked accessors: a 32-bit accessor on a 64-bit field does not compile. */
#define VMCS_CHECK(f, w) _Static_assert(VMCS_FIELD_WIDTH(f) == (w), "VMCS field width: " #f)
#define vmcs_read16(f)  ({ VMCS_CHECK(f, VMCS_WIDTH_16); (uint16_t)vmcs_read_checked(f); })
#define vmcs_read32(f)  ({ VMCS_CHECK(f, VMCS_WIDTH_32); (uint32_t)vmcs_read_checked(f); })
#define vmcs_read64(f)  ({ VMCS_CHECK(f, VMCS_WIDTH_64); vmcs_read_checked(f); })
#define vmcs_readl(f)   ({ VMCS_CHECK(f, VMCS_WIDTH_NATURAL); vmcs_read_checked(f); })
#define vmcs_write16(f, v) do { VMCS_CHECK(f, VMCS_WIDTH_16); vmcs_write_checked(f, (uint16_t)(v)); } while (0)
#define vmcs_write32(f, v) do { VMCS_CHECK(f, VMCS_WIDTH_32); vmcs_write_checked(f, (uint32_t)(v)); } while (0)
#define vmcs_write64(f, v) do { VMCS_CHECK(f, VMCS_WIDTH_64); vmcs_write_checked(f, (uint64_t)(v)); } while (0)
#define vmcs_writel(f, v)  do { VMCS_CHECK(f, VMCS_WIDTH_NATURAL); vmcs_write_checked(f, (uint64_t)(v)); } while (0)
#endif
