# Host unit tests: cmocka, AddressSanitizer and UBSan, the real sources
# linked against tests/unit/fakes. `make unit` runs them all.
BUILD   ?= build
UDIR    := $(BUILD)/unit
UCFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -Wno-unused-parameter \
           -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
           -Itests/unit/fakes -Itests/unit -Iboot/include -Iarch/x86/include -Ihv/include \
           -Idrivers/include -Itools/libkeel -Itools/kl -isystem /usr/include/multiboot -DFIXTURE_DIR='"tests/unit/fixtures"'
COMMON  := tests/unit/fakes/fake_log.c tests/unit/fixture.c

# test name -> the real sources it links
SRC_mb2       := boot/mb2.c
SRC_acpi      := drivers/acpi/acpi.c
SRC_buddy     := hv/mm/buddy.c
SRC_memmap    := hv/mm/memmap.c
SRC_cmdline   := hv/cmdline.c
SRC_pagetable := arch/x86/mm/pagetable.c
SRC_keel_cfg  := boot/efi/cfg.c
SRC_vmx       := arch/x86/vmx/vmx_caps.c arch/x86/virt/cpu_policy.c
SRC_ept       := arch/x86/vmx/ept.c arch/x86/mm/pagetable.c
SRC_cpuid     := arch/x86/virt/cpuid_policy.c arch/x86/virt/cpu_policy.c
SRC_guest_walk := arch/x86/virt/guest_walk.c
SRC_mb1       := hv/mb1.c
SRC_emulate   := arch/x86/virt/emulate.c
SRC_vlapic    := arch/x86/virt/vlapic.c
SRC_linux     := arch/x86/guest/linux_boot.c
SRC_vioapic   := arch/x86/virt/vioapic.c
SRC_e820      := arch/x86/guest/e820.c
SRC_vuart     := hv/vuart.c
SRC_acpi_guest := arch/x86/guest/acpi_guest.c drivers/acpi/acpi.c $(BUILD)/gen/dsdt_domu.c
SRC_conswitch := hv/conswitch.c
SRC_kl_config := tools/libkeel/kl_config.c tools/libkeel/kl_devspec.c
SRC_domctl    := hv/domctl.c
SRC_evtchn    := hv/evtchn.c
SRC_foreign   := hv/foreign.c
SRC_domain    := hv/domain.c
SRC_sched     := hv/sched.c
SRC_policy    := arch/x86/virt/cpu_policy.c arch/x86/virt/cpuid_policy.c arch/x86/vmx/vmx_caps.c
SRC_svm       := arch/x86/svm/svm_caps.c arch/x86/virt/cpu_policy.c arch/x86/mm/npt.c arch/x86/mm/pagetable.c
SRC_vpit      := arch/x86/virt/vpit.c
SRC_devspec   := tools/libkeel/kl_devspec.c
SRC_dm        := hv/dm.c
SRC_virtq     := tools/keel-dm/virtq.c
DM_STUBS      := tests/unit/dm_stubs.c
SRC_virtio_pci := $(DM_STUBS) tools/keel-dm/pci.c tools/keel-dm/virtio_pci.c tools/keel-dm/blk.c tools/keel-dm/rng.c tools/keel-dm/virtq.c \
                  tools/libkeel/kl_devspec.c
SRC_virtio_net := $(DM_STUBS) tools/keel-dm/pci.c tools/keel-dm/virtio_pci.c tools/keel-dm/net.c tools/keel-dm/vhost_net.c tools/keel-dm/virtq.c
SRC_virtio_console := $(DM_STUBS) tools/keel-dm/pci.c tools/keel-dm/virtio_pci.c tools/keel-dm/console.c tools/keel-dm/virtq.c
SRC_hotplug   := $(DM_STUBS) tools/keel-dm/control.c tools/keel-dm/pci.c tools/keel-dm/virtio_pci.c tools/keel-dm/blk.c \
                  tools/keel-dm/net.c tools/keel-dm/vhost_net.c tools/keel-dm/vublk.c tools/keel-dm/vhost_user.c tools/keel-dm/virtq.c \
                  tools/libkeel/kl_devspec.c
SRC_kl_image  := tools/kl/image.c
SRC_kl_conf   := tools/kl/conf.c tools/kl/image.c tools/libkeel/kl_devspec.c
LIBS_kl_conf  := -lz
KL_CLI_SRCS   := $(filter-out tools/kl/kl.c,$(wildcard tools/kl/*.c)) tools/libkeel/libkeel.c tools/libkeel/build.c \
                 tools/libkeel/kl_config.c tools/libkeel/kl_devspec.c arch/x86/guest/linux_boot.c hv/mb1.c
# kl itself, its main() renamed so the test can call it in a child.
$(UDIR)/kl_main.o: tools/kl/kl.c tools/kl/kl.h
	@mkdir -p $(UDIR)
	gcc $(UCFLAGS) -Dmain=kl_main -c -o $@ $<
# (its own rule: build.c has the printk the fakes would define again)
$(UDIR)/test_kl_cli: tests/unit/test_kl_cli.c $(KL_CLI_SRCS) $(UDIR)/kl_main.o $(wildcard tools/kl/*.h) tests/unit/fixture.c
	gcc $(UCFLAGS) -o $@ $< $(KL_CLI_SRCS) $(UDIR)/kl_main.o tests/unit/fixture.c -lcmocka -lz
SRC_kl_format := tools/kl/format.c tools/libkeel/kl_config.c tools/libkeel/kl_devspec.c
LIBS_kl_image := -lz
SRC_vublk     := $(DM_STUBS) tools/keel-dm/pci.c tools/keel-dm/virtio_pci.c tools/keel-dm/vublk.c tools/keel-dm/vhost_user.c \
                  tools/keel-dm/virtq.c tools/libkeel/kl_devspec.c

TESTS := mb2 acpi buddy memmap cmdline pagetable keel_cfg vmx ept cpuid guest_walk mb1 emulate vlapic linux vioapic e820 vuart acpi_guest conswitch kl_config abi domctl evtchn foreign domain sched ratelimit policy svm vpit devspec virtq virtio_pci virtio_net virtio_console hotplug vublk dm kl_image kl_format kl_conf kl_cli
BINS  := $(TESTS:%=$(UDIR)/test_%)

.PHONY: run build
build: $(BINS)

$(UDIR)/test_%: tests/unit/test_%.c $(COMMON) tests/unit/unit.h
	@mkdir -p $(UDIR)
	gcc $(UCFLAGS) -o $@ $< $(SRC_$*) $(COMMON) -lcmocka $(LIBS_$*)

.SECONDEXPANSION:
$(BINS): $$(SRC_$$(patsubst test_%,%,$$(notdir $$@)))

run: build
	@bash tests/unit/run.sh $(BINS)
