SHELL := /bin/bash
# Keel build. `make` builds build/keel.elf and build/keel.efi; `make test`
# runs the unit and boot suites; `make run` boots Keel in an emulator.
# Everything the build needs comes from Debian packages: scripts/deps.sh.

BUILD      ?= build
CC         := gcc
LD         := ld
OBJCOPY    := objcopy
HOSTCC     := gcc

NEWLIB     ?= $(BUILD)/newlib
GCC_INC    := $(shell $(CC) -print-file-name=include)
LIBGCC     := $(shell $(CC) -print-libgcc-file-name)

INCLUDES   := -Iboot/include -Iarch/x86/include -Ihv/include -Idrivers/include
WARN       := -Wall -Wextra -Werror -Wno-unused-parameter
# Freestanding x86-64: no red zone (interrupts use the stack), no SSE/x87
# (guest FPU state belongs to guests), identity-mapped below 2 GiB.
# LOCKCHECK=0 builds without the run-time lock-order check (keel/spinlock.h).
LOCKCHECK  ?= 1
HV_CFLAGS  := -std=gnu11 -O2 -g $(WARN) $(if $(filter 1,$(LOCKCHECK)),-DLOCK_CHECK) -ffreestanding -fno-pie -fno-pic \
              -fno-stack-protector -fno-omit-frame-pointer -fno-tree-vectorize -fno-tree-loop-distribute-patterns \
              -mno-red-zone -mno-sse -mno-sse2 -mno-mmx -mno-80387 -mcmodel=kernel \
              -nostdinc -isystem $(NEWLIB)/include -isystem $(GCC_INC) \
              -isystem /usr/include/multiboot $(INCLUDES) \
              -MMD -MP
HV_ASFLAGS := -D__ASSEMBLER__ $(INCLUDES) -MMD -MP

HV_SRCS := \
	arch/x86/boot/head.S arch/x86/boot/trampoline.S boot/mb2.c \
	arch/x86/cpu/entry.S arch/x86/cpu/cpu.c arch/x86/cpu/lapic.c arch/x86/cpu/ioapic.c arch/x86/cpu/tsc.c \
	arch/x86/cpu/smp.c arch/x86/cpu/power.c arch/x86/cpu/setup.c arch/x86/cpu/symbols.c arch/x86/cpu/physinfo.c \
	arch/x86/mm/pagetable.c arch/x86/mm/paging.c arch/x86/mm/npt.c \
	arch/x86/virt/hvm.c arch/x86/virt/exits.c arch/x86/virt/cpuid.c arch/x86/virt/msr.c arch/x86/virt/io.c \
	arch/x86/virt/mmio.c arch/x86/virt/p2m.c arch/x86/virt/lapic.c arch/x86/virt/state.c \
	arch/x86/virt/platform.c arch/x86/virt/cpu_policy.c arch/x86/virt/cpuid_policy.c \
	arch/x86/virt/guest_walk.c arch/x86/virt/emulate.c arch/x86/virt/vlapic.c arch/x86/virt/vioapic.c \
	arch/x86/virt/vpit.c \
	arch/x86/guest/dom0.c arch/x86/guest/domu.c arch/x86/guest/acpi_guest.c $(BUILD)/gen/dsdt_domu.c \
	arch/x86/guest/e820.c arch/x86/guest/linux_boot.c arch/x86/guest/guest_linux.c \
	arch/x86/vmx/vmx.c arch/x86/vmx/vmx_cpu.c arch/x86/vmx/vmx_run.c arch/x86/vmx/vmx_caps.c arch/x86/vmx/vmcs.c arch/x86/vmx/vmentry.S \
	arch/x86/vmx/ept.c arch/x86/vmx/vmexit.c \
	arch/x86/svm/svm.c arch/x86/svm/svm_caps.c arch/x86/svm/svm_exit.c arch/x86/svm/vmrun.S \
	drivers/uart/uart.c drivers/acpi/acpi.c drivers/acpi/acpi_host.c \
	hv/main.c hv/console.c hv/cmdline.c hv/panic.c hv/lockcheck.c hv/test.c hv/libc_glue.c \
	hv/domain.c hv/domctl.c hv/dm.c hv/evtchn.c hv/foreign.c hv/sched.c hv/hypercall.c hv/mb1.c hv/vdev.c \
	hv/guest_test.c hv/conswitch.c hv/vuart.c hv/mm/buddy.c hv/mm/memmap.c hv/mm/mm.c

HV_OBJS := $(patsubst %,$(BUILD)/hv-obj/%.o,$(HV_SRCS))

.PHONY: all deps newlib test unit boot-test run check clean install guests bench fuzz dom0 tools deb
all: $(BUILD)/keel.elf $(BUILD)/keel.efi guests

deps:
	@bash scripts/deps.sh

$(NEWLIB)/lib/libc.a: scripts/build-newlib.sh
	bash scripts/build-newlib.sh $(NEWLIB)

newlib: $(NEWLIB)/lib/libc.a

$(BUILD)/hv-obj/%.c.o: %.c $(NEWLIB)/lib/libc.a
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(HV_CFLAGS) -c $< -o $@

# A domU's DSDT: ASL compiled by iasl (acpica-tools), embedded as bytes.
$(BUILD)/gen/dsdt_domu.c: arch/x86/guest/dsdt_domu.asl
	@mkdir -p $(dir $@)
	@echo "  IASL    $<"
	@iasl -p $(BUILD)/gen/dsdt_domu $< >/dev/null
	@{ echo '#include <stddef.h>'; echo '#include <stdint.h>'; \
	   echo 'const uint8_t dsdt_domu_aml[] = {'; xxd -i < $(BUILD)/gen/dsdt_domu.aml; echo '};'; \
	   echo 'const size_t dsdt_domu_aml_len = sizeof(dsdt_domu_aml);'; } > $@

$(BUILD)/hv-obj/%.S.o: %.S
	@mkdir -p $(dir $@)
	@echo "  AS      $<"
	@$(CC) $(HV_ASFLAGS) -c $< -o $@

HV_LINK = $(LD) -nostdlib -static -z max-page-size=4096 -z noexecstack -T linker.ld \
	--no-warn-rwx-segments

# Two passes: the second embeds the first's text symbols for exception dumps.
# .keel_syms follows .text, so text addresses are the same in both.
$(BUILD)/keel.syms0.S: scripts/gen-syms.sh
	@mkdir -p $(BUILD)
	bash scripts/gen-syms.sh - $@
$(BUILD)/keel.pass1.elf: $(HV_OBJS) $(BUILD)/keel.syms0.o linker.ld
	$(HV_LINK) -o $@ $(HV_OBJS) $(BUILD)/keel.syms0.o $(NEWLIB)/lib/libc.a $(LIBGCC)
$(BUILD)/keel.syms.S: $(BUILD)/keel.pass1.elf
	bash scripts/gen-syms.sh $< $@
$(BUILD)/%.o: $(BUILD)/%.S
	$(CC) -c $< -o $@
$(BUILD)/keel.full.elf: $(BUILD)/keel.syms.o $(BUILD)/keel.pass1.elf
	$(HV_LINK) -o $@ $(HV_OBJS) $(BUILD)/keel.syms.o $(NEWLIB)/lib/libc.a $(LIBGCC)
	@cmp -s <(nm $(BUILD)/keel.pass1.elf | grep ' [tT] ') <(nm $@ | grep ' [tT] ') || \
		{ echo "keel: text moved between link passes" >&2; rm -f $@; exit 1; }
	@! objdump -d $@ | grep -qE '%[xy]mm|%st\(' || \
		{ echo "keel: SSE/x87 instructions in the hypervisor" >&2; rm -f $@; exit 1; }
# Debug information in a separate file, linked by .gnu_debuglink.
$(BUILD)/keel.elf: $(BUILD)/keel.full.elf
	$(OBJCOPY) --only-keep-debug $< $(BUILD)/keel.elf.debug
	$(OBJCOPY) --strip-debug --add-gnu-debuglink=$(BUILD)/keel.elf.debug $< $@

# ---- UEFI loader (gnu-efi) --------------------------------------------------
EFI_INC    := -I/usr/include/efi -I/usr/include/efi/x86_64 -Iboot/include
EFI_CFLAGS := -std=gnu11 -O2 $(WARN) -fpic -fshort-wchar -ffreestanding -fno-stack-protector \
              -fno-strict-aliasing -mno-red-zone -maccumulate-outgoing-args \
              -DGNU_EFI_USE_MS_ABI $(EFI_INC) -MMD -MP
EFI_OBJS   := $(BUILD)/efi/loader.o $(BUILD)/efi/cfg.o

$(BUILD)/efi/%.o: boot/efi/%.c
	@mkdir -p $(dir $@)
	$(CC) $(EFI_CFLAGS) -c $< -o $@
$(BUILD)/efi/keel-loader.so: $(EFI_OBJS)
	$(LD) -nostdlib -znocombreloc -shared -Bsymbolic -T /usr/lib/elf_x86_64_efi.lds \
		/usr/lib/crt0-efi-x86_64.o $(EFI_OBJS) -o $@ -L/usr/lib -lefi -lgnuefi
$(BUILD)/keel.efi: $(BUILD)/efi/keel-loader.so
	$(OBJCOPY) -j .text -j .sdata -j .data -j .dynamic -j .dynsym -j .rel -j .rela \
		-j .rel.* -j .rela.* -j .reloc --target efi-app-x86_64 --subsystem=10 $< $@

# ---- test guests: tiny multiboot kernels (tests/guests) ---------------------
GUESTS      := cpuid msr io exc ept mmio timer smp spin tf step bench
# tests/guests/hostile: attacking guests, each run beside a victim (tests/boot/run.sh).
HOSTILE     := victim cr8 dr flood strio fuzz policy virtio hog
GUEST_ELFS  := $(GUESTS:%=$(BUILD)/guests/%.elf) $(HOSTILE:%=$(BUILD)/guests/hostile/%.elf)
GUEST_CFLAGS := -m32 -march=i686 -O2 -g $(WARN) -ffreestanding -fno-pie -fno-pic \
                -fno-stack-protector -fno-builtin -isystem /usr/include/multiboot -Ihv/include -MMD -MP
$(BUILD)/guests/%.o: tests/guests/%.c
	@mkdir -p $(dir $@)
	@echo "  CC32    $<"
	@$(CC) $(GUEST_CFLAGS) -c $< -o $@
$(BUILD)/guests/head.o: tests/guests/head.S
	@mkdir -p $(dir $@)
	@$(CC) -m32 -c $< -o $@
$(BUILD)/guests/lm.o: tests/guests/lm.S
	@mkdir -p $(dir $@)
	@$(CC) -m32 -c $< -o $@
GUEST_RT := $(BUILD)/guests/head.o $(BUILD)/guests/lib.o $(BUILD)/guests/lm.o
$(BUILD)/guests/%.elf: $(BUILD)/guests/%.o $(GUEST_RT) tests/guests/guest.ld
	@mkdir -p $(dir $@)
	@$(LD) -m elf_i386 -nostdlib -z noexecstack --no-warn-rwx-segments -T tests/guests/guest.ld \
		-o $@ $(GUEST_RT) $<
guests: $(GUEST_ELFS)

# ---- dom0: Debian's kernel (linux-image-amd64, unpacked) and dom0/rootfs ----
dom0: $(BUILD)/dom0-rootfs.cpio
$(BUILD)/kernel/vmlinuz: scripts/fetch-kernel.sh scripts/copy-modules.sh dom0/rootfs/modules dom0/domu/modules
	bash scripts/fetch-kernel.sh $(BUILD)/kernel
DOM0_KEEL := $(BUILD)/dom0-keel
DOM0_KEEL_FILES := $(DOM0_KEEL)/vmlinux.gz $(DOM0_KEEL)/demo-initrd.cpio $(DOM0_KEEL)/tests/cpuid.elf \
                   $(DOM0_KEEL)/tests/tf.elf $(DOM0_KEEL)/tests/virtio.elf
$(BUILD)/dom0-rootfs.cpio: $(BUILD)/kernel/vmlinuz dom0/rootfs/build.sh dom0/rootfs/init dom0/rootfs/modules \
                           $(wildcard dom0/rootfs/*-test dom0/rootfs/*-bench dom0/rootfs/etc-keel/*) dom0/rootfs/keel-network dom0/rootfs/test-lib.sh \
                           $(BUILD)/dom0-tools/keel-bench-mark $(BUILD)/dom0-tools/kl $(BUILD)/dom0-tools/keel-dm \
                           $(BUILD)/dom0-tools/keel-bench-io \
                           $(BUILD)/kmod/keel.ko \
                           $(DOM0_KEEL_FILES) $(wildcard dom0/rootfs/etc-keel/*.cfg)
	DOM0_TOOLS=$(BUILD)/dom0-tools DOM0_KMOD=$(BUILD)/kmod/keel.ko DOM0_KEEL=$(DOM0_KEEL) \
		bash dom0/rootfs/build.sh $(BUILD)/kernel $@
# The demo domU: the same kernel, uncompressed and gzip'd (kl inflates it: no
# emulated XZ in the guest), and its busybox initramfs; test kernels for domUs.
$(DOM0_KEEL)/vmlinux.gz: $(BUILD)/kernel/vmlinuz
	@mkdir -p $(dir $@)
	gzip -c $(BUILD)/kernel/vmlinux > $@.tmp && mv $@.tmp $@
$(DOM0_KEEL)/demo-initrd.cpio: dom0/domu/build.sh scripts/copy-modules.sh dom0/domu/init dom0/domu/modules $(BUILD)/kernel/vmlinuz \
                                $(BUILD)/dom0-tools/keel-bench-io
	@mkdir -p $(dir $@)
	DOMU_TOOLS=$(BUILD)/dom0-tools/keel-bench-io bash dom0/domu/build.sh $@ $(BUILD)/kernel
$(DOM0_KEEL)/tests/virtio.elf: $(BUILD)/guests/hostile/virtio.elf
	@mkdir -p $(dir $@)
	cp $< $@
$(DOM0_KEEL)/tests/%.elf: $(BUILD)/guests/%.elf
	@mkdir -p $(dir $@)
	cp $< $@
# keel.ko, against the headers of the dom0 kernel's exact version (Debian's linux-headers).
$(BUILD)/kmod/keel.ko: $(BUILD)/kernel/vmlinuz dom0/kmod/keel.c dom0/kmod/Kbuild hv/include/public/keel.h \
                      hv/include/public/keel_hcbuf.h
	bash scripts/build-kmod.sh $(BUILD)/kernel $(BUILD)/kmod
# The tools: static, so the busybox initramfs needs no C library.
KL_SRCS := $(wildcard tools/kl/*.c) tools/libkeel/libkeel.c tools/libkeel/build.c tools/libkeel/kl_config.c \
           tools/libkeel/kl_devspec.c arch/x86/guest/linux_boot.c hv/mb1.c
DM_SRCS := $(wildcard tools/keel-dm/*.c) tools/libkeel/libkeel.c tools/libkeel/kl_devspec.c
$(BUILD)/dom0-tools/kl: $(KL_SRCS) $(wildcard tools/kl/*.h tools/libkeel/*.h) hv/include/public/keel.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) -static -Ihv/include -Iarch/x86/include -Itools/libkeel \
		-isystem /usr/include/multiboot -o $@ $(KL_SRCS) -lz
$(BUILD)/dom0-tools/keel-dm: $(DM_SRCS) $(wildcard tools/keel-dm/*.h tools/libkeel/*.h) hv/include/public/keel.h
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) -static -Ihv/include -Itools/libkeel -o $@ $(DM_SRCS)
$(BUILD)/dom0-tools/keel-bench-io: tests/bench/io.c
	@mkdir -p $(dir $@)
	$(HOSTCC) -std=gnu11 -O2 $(WARN) -static -o $@ $<
$(BUILD)/dom0-tools/keel-bench-mark: tests/bench/mark.c
	@mkdir -p $(dir $@)
	$(CC) -static -nostdlib -O2 -mgeneral-regs-only -fno-pie -no-pie -o $@ $<

# ---- tests ------------------------------------------------------------------
test:
	@bash scripts/deps.sh
	@bash tests/run-all.sh

unit: guests $(BUILD)/gen/dsdt_domu.c
	@$(MAKE) -s -f tests/unit/unit.mk BUILD=$(BUILD) run

boot-test: all
	@bash tests/boot/run.sh

run: all dom0
	@bash scripts/run.sh

# The house rules of docs/architecture.md: hv/ reaches the architecture through keel/arch.h
# (and the embedded per-CPU/vCPU structs and cpu_ops.h); no vendor name in hv/ or
# arch/x86/virt; the vendor backends only behind asm/hvm.h.
check:
	@! grep -rnE '#include <asm/' hv/ | grep -vE 'asm/(cpu_ops|vcpu_arch|cpu_arch)\.h' || \
		{ echo "hv/ must include keel/arch.h, not asm/ headers" >&2; exit 1; }
	@! grep -rnwE '(vmx|svm)_[a-z0-9_]+|vmcs[a-z0-9_]*|vmcb[a-z0-9_]*' hv/ || \
		{ echo "hv/ must not name VMX or SVM internals" >&2; exit 1; }
	@! grep -rnE '#include (<asm/(vmx|svm|ept\.h|vmx_|svm_)|"(vmx|svm)_internal)' arch/x86/virt/ || \
		{ echo "arch/x86/virt must reach the vendor through asm/hvm.h only" >&2; exit 1; }

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -path $(BUILD)/install -prune -o -name '*.d' -type f -print 2>/dev/null)

# ---- an installed dom0: the tools against libkeel.so, and `make install` ---
# The same files, in the same places, as the Debian packages (`make deb`).
# DESTDIR stages them; PREFIX moves the tools, library and manuals (/usr).
PREFIX     ?= /usr
SYSCONFDIR ?= /etc
MULTIARCH  := $(shell $(HOSTCC) -print-multiarch 2>/dev/null)
LIBDIR     ?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
LIBEXECDIR ?= $(PREFIX)/lib/keel
UNITDIR    ?= /lib/systemd/system
VERSION    := $(shell sed -n 's/^\#define KEEL_VERSION *"\(.*\)"/\1/p' hv/include/keel/lib.h)
# Debian's hardening flags come in through these (dpkg-buildflags).
TOOLS_CFLAGS ?= -O2 -g
TOOLS_CC   := $(HOSTCC) -std=gnu11 $(WARN) $(CPPFLAGS) $(TOOLS_CFLAGS) $(CFLAGS) -DKL_LIBEXEC='"$(LIBEXECDIR)"'
LIBKEEL_SRCS := tools/libkeel/libkeel.c tools/libkeel/build.c tools/libkeel/kl_config.c tools/libkeel/kl_devspec.c \
                arch/x86/guest/linux_boot.c hv/mb1.c
TOOLS      := $(BUILD)/tools
$(TOOLS)/libkeel.so.$(VERSION): $(LIBKEEL_SRCS) tools/libkeel/libkeel.map $(wildcard tools/libkeel/*.h) hv/include/public/keel.h
	@mkdir -p $(dir $@)
	$(TOOLS_CC) -fPIC -shared -Ihv/include -Iarch/x86/include -Itools/libkeel -isystem /usr/include/multiboot \
		-Wl,-soname,libkeel.so.0 -Wl,--version-script=tools/libkeel/libkeel.map $(LDFLAGS) -o $@ $(LIBKEEL_SRCS)
	ln -sf libkeel.so.$(VERSION) $(TOOLS)/libkeel.so.0
	ln -sf libkeel.so.0 $(TOOLS)/libkeel.so
$(TOOLS)/kl: $(filter-out $(LIBKEEL_SRCS),$(KL_SRCS)) $(wildcard tools/kl/*.h) $(TOOLS)/libkeel.so.$(VERSION)
	$(TOOLS_CC) -Ihv/include -Itools/libkeel $(LDFLAGS) -o $@ $(filter %.c,$^) -L$(TOOLS) -lkeel -lz
$(TOOLS)/keel-dm: $(filter-out $(LIBKEEL_SRCS),$(DM_SRCS)) $(wildcard tools/keel-dm/*.h) $(TOOLS)/libkeel.so.$(VERSION)
	$(TOOLS_CC) -Ihv/include -Itools/libkeel $(LDFLAGS) -o $@ $(filter %.c,$^) -L$(TOOLS) -lkeel
$(TOOLS)/keel.pc: tools/libkeel/keel.pc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@VERSION@|$(VERSION)|' $< > $@
tools: $(TOOLS)/kl $(TOOLS)/keel-dm $(TOOLS)/keel.pc

INSTALL_DKMS := $(DESTDIR)/usr/src/keel-$(VERSION)
install: all tools
	@mkdir -p $(DESTDIR)/boot
	objcopy --strip-all --keep-section=.gnu_debuglink $(BUILD)/keel.elf $(DESTDIR)/boot/keel.elf    # symbols: the .debug
	chmod 0644 $(DESTDIR)/boot/keel.elf
	install -D -m 0644 $(BUILD)/keel.elf.debug $(DESTDIR)/usr/lib/debug/boot/keel.elf.debug
	install -D -m 0644 $(BUILD)/keel.efi $(DESTDIR)$(LIBEXECDIR)/boot/keel.efi
	install -D -m 0755 scripts/grub.d/20_linux_keel $(DESTDIR)$(SYSCONFDIR)/grub.d/20_linux_keel
	install -D -m 0644 dist/etc/default-keel $(DESTDIR)$(SYSCONFDIR)/default/keel
	install -D -m 0644 dist/etc/keel.conf $(DESTDIR)$(SYSCONFDIR)/keel/keel.conf
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/keel/auto
	install -D -m 0755 $(TOOLS)/kl $(DESTDIR)$(PREFIX)/sbin/kl
	install -D -m 0755 $(TOOLS)/keel-dm $(DESTDIR)$(LIBEXECDIR)/keel-dm
	install -D -m 0755 dom0/rootfs/keel-network $(DESTDIR)$(LIBEXECDIR)/keel-network
	install -D -m 0755 dist/keel-ctl $(DESTDIR)$(LIBEXECDIR)/keel-ctl
	install -D -m 0755 dist/keel-domains $(DESTDIR)$(LIBEXECDIR)/keel-domains
	install -D -m 0644 $(TOOLS)/libkeel.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkeel.so.$(VERSION)
	ln -sf libkeel.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkeel.so.0
	ln -sf libkeel.so.0 $(DESTDIR)$(LIBDIR)/libkeel.so
	install -D -m 0644 $(TOOLS)/keel.pc $(DESTDIR)$(LIBDIR)/pkgconfig/keel.pc
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/include/keel tools/libkeel/libkeel.h tools/libkeel/kl_config.h \
		tools/libkeel/kl_devspec.h
	install -D -m 0644 -t $(DESTDIR)$(PREFIX)/include/keel/public hv/include/public/keel.h \
		hv/include/public/keel_hcbuf.h
	install -D -m 0644 dist/systemd/keel.service $(DESTDIR)$(UNITDIR)/keel.service
	install -D -m 0644 dist/systemd/keel-domains.service $(DESTDIR)$(UNITDIR)/keel-domains.service
	install -D -m 0644 dist/man/kl.1 $(DESTDIR)$(PREFIX)/share/man/man1/kl.1
	install -D -m 0644 dist/man/kl.cfg.5 $(DESTDIR)$(PREFIX)/share/man/man5/kl.cfg.5
	install -D -m 0644 dist/man/keel.8 $(DESTDIR)$(PREFIX)/share/man/man8/keel.8
	install -D -m 0644 dist/bash-completion/kl $(DESTDIR)$(PREFIX)/share/bash-completion/completions/kl
	install -D -m 0644 -t $(INSTALL_DKMS) dom0/kmod/keel.c dom0/kmod/Kbuild
	install -D -m 0644 -t $(INSTALL_DKMS)/include/public hv/include/public/keel.h hv/include/public/keel_hcbuf.h
	sed 's/#MODULE_VERSION#/$(VERSION)/' dom0/kmod/dkms.conf > $(INSTALL_DKMS)/dkms.conf
	@echo "Installed. Then: dkms install keel/$(VERSION) (keel.ko), systemctl enable keel keel-domains, update-grub."

# Debian packages (debian/): built in their own tree (debian/build), with this tree's newlib;
# the .debs land in $(BUILD)/deb, checked by lintian (the tags left are explained in debian/).
deb: newlib
	@bash scripts/deps.sh
	KEEL_NEWLIB=$(abspath $(NEWLIB)) dpkg-buildpackage -b -us -uc --no-sign
	@mkdir -p $(BUILD)/deb
	mv ../keel-hypervisor_$(VERSION)_*.deb ../keel-hypervisor-dbg_$(VERSION)_*.deb ../keel-utils_$(VERSION)_*.deb ../libkeel0_$(VERSION)_*.deb \
		../libkeel-dev_$(VERSION)_*.deb ../keel-dkms_$(VERSION)_all.deb ../*-dbgsym_$(VERSION)_*.deb \
		../keel_$(VERSION)_*.buildinfo \
		../keel_$(VERSION)_*.changes $(BUILD)/deb/
	debian/rules clean
	lintian --fail-on error,warning --suppress-tags-from-file debian/lintian-suppressed $(BUILD)/deb/*.changes

bench: all dom0
	@bash tests/bench.sh

fuzz: all
	@bash tests/fuzz/run.sh
