/*
 * keel.efi: the UEFI loader. Reads keel.cfg from its own directory, loads
 * keel.elf at its physical addresses and the modules below 4 GiB, collects
 * the command line, the ACPI RSDP and the memory map into a struct
 * boot_info, exits boot services and enters keel_entry64 (found in the ELF
 * note "Keel") exactly as the multiboot2 path does.
 */
#include <efi.h>
#include <efilib.h>
#include <elf.h>
#include <boot/boot_info.h>
#include <boot/efi_memtype.h>
#include <boot/keel_cfg.h>

#define BELOW_4G   0xffffffffull

static EFI_HANDLE image;
static EFI_FILE_HANDLE root_dir;
static CHAR16 dir_prefix[256];

static void die(const CHAR16 *what, EFI_STATUS st)
{
    Print(L"keel.efi: %s: %r\n", what, st);
    for (;;)
        uefi_call_wrapper(BS->Stall, 1, 1000000);
}

static UINTN pages_for(UINT64 bytes) { return (UINTN)((bytes + 4095) / 4096); }

static void *alloc_low(UINT64 bytes)
{
    EFI_PHYSICAL_ADDRESS pa = BELOW_4G;
    EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiLoaderData,
                                      pages_for(bytes), &pa);
    if (EFI_ERROR(st))
        die(L"out of memory below 4 GiB", st);
    return (void *)(UINTN)pa;
}

/* Read dir_prefix + @name (ASCII) into memory below 4 GiB. */
static void *read_file(const char *name, UINT64 *size_out)
{
    CHAR16 path[512];
    EFI_FILE_HANDLE f;
    EFI_FILE_INFO *info;
    EFI_STATUS st;
    UINTN n = 0, size;
    void *buf;

    for (UINTN i = 0; dir_prefix[i] && n < 400; i++)
        path[n++] = dir_prefix[i];
    for (UINTN i = 0; name[i] && n < 510; i++)
        path[n++] = name[i] == '/' ? L'\\' : (CHAR16)name[i];
    path[n] = 0;
    st = uefi_call_wrapper(root_dir->Open, 5, root_dir, &f, path, EFI_FILE_MODE_READ, 0);
    if (EFI_ERROR(st)) {
        Print(L"keel.efi: cannot open %s\n", path);
        die(L"open", st);
    }
    info = LibFileInfo(f);
    if (!info)
        die(L"file info", EFI_DEVICE_ERROR);
    size = (UINTN)info->FileSize;
    FreePool(info);
    buf = alloc_low(size + 1);
    st = uefi_call_wrapper(f->Read, 3, f, &size, buf);
    if (EFI_ERROR(st))
        die(L"read", st);
    ((char *)buf)[size] = 0;
    uefi_call_wrapper(f->Close, 1, f);
    *size_out = size;
    Print(L"keel.efi: loaded %s (%lu bytes)\n", path, (UINT64)size);
    return buf;
}

static void str_copy(char *dst, UINTN size, const char *src)
{
    UINTN i = 0;
    for (; src[i] && i + 1 < size; i++)
        dst[i] = src[i];
    dst[i] = 0;
}

/* Load the PT_LOAD segments at their physical addresses; return keel_entry64. */
static UINT64 load_elf(const UINT8 *img, UINT64 size)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)img;
    UINT64 entry64 = 0;

    if (size < sizeof(*eh) || eh->e_ident[EI_MAG0] != ELFMAG0 || eh->e_ident[EI_MAG1] != ELFMAG1 ||
        eh->e_ident[EI_MAG2] != ELFMAG2 || eh->e_ident[EI_MAG3] != ELFMAG3 ||
        eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
        eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff > size ||
        (UINT64)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
        die(L"keel.elf is not an x86-64 ELF image", EFI_LOAD_ERROR);
    for (UINTN i = 0; i < eh->e_phnum; i++) {
        const Elf64_Phdr *ph = (const Elf64_Phdr *)(img + eh->e_phoff) + i;

        if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset || ph->p_filesz > ph->p_memsz)
            die(L"keel.elf has a segment outside the file", EFI_LOAD_ERROR);
        if (ph->p_type == PT_LOAD) {
            EFI_PHYSICAL_ADDRESS pa = ph->p_paddr & ~4095ull;
            UINT64 lead = ph->p_paddr - pa;
            EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAddress, EfiLoaderData,
                                              pages_for(ph->p_memsz + lead), &pa);
            if (EFI_ERROR(st)) {
                Print(L"keel.efi: %lx-%lx is not free memory\n", ph->p_paddr, ph->p_paddr + ph->p_memsz);
                die(L"cannot place keel.elf", st);
            }
            CopyMem((void *)(UINTN)ph->p_paddr, (void *)(img + ph->p_offset), ph->p_filesz);
            ZeroMem((void *)(UINTN)(ph->p_paddr + ph->p_filesz), ph->p_memsz - ph->p_filesz);
        } else if (ph->p_type == PT_NOTE) {
            /* namesz, descsz, type, "Keel\0" padded to 8, then the address */
            const UINT32 *n = (const UINT32 *)(img + ph->p_offset);
            if (ph->p_filesz >= 28 && n[0] == 5 && n[1] == 8 && n[2] == KEEL_NOTE_ENTRY64 &&
                !CompareMem((void *)(n + 3), KEEL_NOTE_NAME, 5))
                CopyMem(&entry64, (void *)(n + 5), 8);
        }
    }
    if (!entry64)
        die(L"keel.elf has no Keel entry note", EFI_LOAD_ERROR);
    return entry64;
}

static void find_rsdp(struct boot_info *bi)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
    void *rsdp = NULL;

    if (EFI_ERROR(LibGetSystemConfigurationTable(&acpi20, &rsdp)) || !rsdp)
        LibGetSystemConfigurationTable(&acpi10, &rsdp);
    if (!rsdp) {
        Print(L"keel.efi: no ACPI tables\n");
        return;
    }
    bi->rsdp_len = ((UINT8 *)rsdp)[15] >= 2 ? 36 : 20;
    CopyMem(bi->rsdp, rsdp, bi->rsdp_len);
}

static void set_dir_prefix(EFI_LOADED_IMAGE *li)
{
    CHAR16 *p = DevicePathToStr(li->FilePath);
    UINTN n = 0, cut = 0;

    for (; p && p[n] && n + 1 < sizeof(dir_prefix) / sizeof(dir_prefix[0]); n++) {
        dir_prefix[n] = p[n] == L'/' ? L'\\' : p[n];
        if (dir_prefix[n] == L'\\')
            cut = n + 1;
    }
    dir_prefix[cut] = 0;        /* keep the trailing backslash */
    if (p)
        FreePool(p);
}

EFI_STATUS efi_main(EFI_HANDLE img, EFI_SYSTEM_TABLE *st_in)
{
    static struct keel_cfg cfg;
    EFI_LOADED_IMAGE *li;
    EFI_FILE_IO_INTERFACE *fs;
    struct boot_info *bi;
    EFI_MEMORY_DESCRIPTOR *map;
    UINTN map_size, map_key, desc_size, map_alloc;
    UINT32 desc_ver;
    EFI_STATUS st;
    char *text, err[96];
    UINT64 size, entry64;
    int line;

    InitializeLib(img, st_in);
    image = img;
    Print(L"keel.efi: Keel UEFI loader\n");
    st = uefi_call_wrapper(BS->HandleProtocol, 3, img, &LoadedImageProtocol, (void **)&li);
    if (EFI_ERROR(st))
        die(L"no loaded image protocol", st);
    st = uefi_call_wrapper(BS->HandleProtocol, 3, li->DeviceHandle, &FileSystemProtocol, (void **)&fs);
    if (EFI_ERROR(st))
        die(L"no file system on the boot device", st);
    st = uefi_call_wrapper(fs->OpenVolume, 2, fs, &root_dir);
    if (EFI_ERROR(st))
        die(L"cannot open the boot volume", st);
    set_dir_prefix(li);

    text = read_file("keel.cfg", &size);
    line = keel_cfg_parse(text, (size_t)size, &cfg, err, sizeof(err));
    if (line) {
        Print(L"keel.efi: keel.cfg:%d: %a\n", line, err);
        die(L"bad keel.cfg", EFI_LOAD_ERROR);
    }

    bi = alloc_low(sizeof(*bi));
    ZeroMem(bi, sizeof(*bi));
    bi->magic = BOOT_INFO_MAGIC;
    bi->version = BOOT_INFO_VERSION;
    bi->info_start = (UINT64)(UINTN)bi;
    bi->info_end = bi->info_start + sizeof(*bi);
    bi->efi_system_table = (UINT64)(UINTN)st_in;
    str_copy(bi->loader, sizeof(bi->loader), "Keel UEFI loader");
    str_copy(bi->cmdline, sizeof(bi->cmdline), cfg.hv_args);

    {
        UINT8 *elf = read_file(cfg.hypervisor.path, &size);
        entry64 = load_elf(elf, size);
    }
    for (unsigned i = 0; i < cfg.nr_modules; i++) {
        void *m = read_file(cfg.modules[i].path, &size);
        bi->modules[i].start = (UINT64)(UINTN)m;
        bi->modules[i].end = bi->modules[i].start + size;
        str_copy(bi->modules[i].cmdline, sizeof(bi->modules[i].cmdline), cfg.modules[i].args);
        bi->nr_modules++;
    }
    find_rsdp(bi);

    /* The map changes with every allocation: size it, allocate, then fetch for real. */
    map_size = 0;
    uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, NULL, &map_key, &desc_size, &desc_ver);
    map_alloc = map_size + 16 * sizeof(EFI_MEMORY_DESCRIPTOR) + 4096;
    map = alloc_low(map_alloc);
    Print(L"keel.efi: starting Keel at %lx\n", entry64);
    for (int tries = 0;; tries++) {
        map_size = map_alloc;
        st = uefi_call_wrapper(BS->GetMemoryMap, 5, &map_size, map, &map_key, &desc_size, &desc_ver);
        if (EFI_ERROR(st))
            die(L"GetMemoryMap", st);
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, map_key);
        if (!EFI_ERROR(st))
            break;
        if (tries == 2)
            die(L"ExitBootServices", st);
    }
    /* Boot services are gone: no Print, no allocation from here on. */
    efi_mmap_to_boot_info(bi, (const uint8_t *)map, map_size, desc_size);
    ((void (__attribute__((sysv_abi)) *)(UINT64, UINT64))(UINTN)entry64)(BOOT_ENTRY_BOOT_INFO,
                                                                         (UINT64)(UINTN)bi);
    return EFI_LOAD_ERROR;
}
