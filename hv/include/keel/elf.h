/*
 * The ELF definitions Keel's loaders use (System V gABI; x86-64 psABI),
 * spelled as <elf.h> spells them. The hypervisor has no system headers.
 */
#ifndef KEEL_ELF_H
#define KEEL_ELF_H
#include <stdint.h>

#define EI_CLASS    4
#define ELFMAG      "\177ELF"
#define SELFMAG     4
#define ELFCLASS32  1
#define ELFCLASS64  2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PT_NOTE     4
#define EI_NIDENT   16

typedef struct {
    unsigned char e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version, e_entry, e_phoff, e_shoff, e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf32_Ehdr;

typedef struct {
    unsigned char e_ident[EI_NIDENT];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} Elf64_Ehdr;

typedef struct {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
} Elf32_Phdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} Elf64_Phdr;

_Static_assert(sizeof(Elf32_Ehdr) == 52 && sizeof(Elf64_Ehdr) == 64, "ELF header layout");
_Static_assert(sizeof(Elf32_Phdr) == 32 && sizeof(Elf64_Phdr) == 56, "ELF program header layout");
#endif
