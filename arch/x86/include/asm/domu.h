/* A domU's virtual platform (arch/x86/domu.c). */
#ifndef ASM_DOMU_H
#define ASM_DOMU_H
#include <stdint.h>

struct domain;

/* An I/O APIC interrupt message (a redirection entry) to the vCPUs it names. */
void domain_ioapic_deliver(struct domain *d, uint64_t rte);
#endif
