#!/usr/bin/env bash
# `make run`: boot Keel and its dom0 (Debian's kernel, dom0/rootfs) in an
# emulator, console on this terminal: you land in dom0's shell. The backend
# is KEEL_EMU (default: auto):
#   kvm    QEMU with KVM, -cpu host: the host has nested VMX or SVM
#   svm    QEMU TCG with an AMD SVM CPU (NPT): the default where there is no
#          nested virtualization; dom0's shell in about 15 s
#   bochs  Bochs, Intel VMX with EPT (corei7_skylake_x): a minute or two
# Extra hypervisor options: KEEL_CMDLINE; dom0's kernel options: DOM0_CMDLINE.
# Ctrl-A three times switches the console between dom0 and Keel ('h' there).
# "poweroff -f" in dom0 turns the machine off and ends `make run` with
# status 0. Leave QEMU at any time with Ctrl-A X (typed once, QEMU's own
# key); Bochs with Ctrl-C (then "q" at its prompt).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/boot/lib.sh
out=$BUILD/run
mkdir -p "$out"
cmdline="console=com1 dom0_mem=${DOM0_MEM:-512M} ${KEEL_CMDLINE:-}"
cpus=${KEEL_CPUS:-2}
dom0_args="console=ttyS0,115200 quiet cryptomgr.notests ${DOM0_CMDLINE:-}"
emu=${KEEL_EMU:-auto}

# Nested virtualization: the host CPU's VT-x or AMD-V, and KVM lets a guest use it.
nested_kvm() {
    [ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
    { grep -qw vmx /proc/cpuinfo && grep -qE '^(Y|1)' /sys/module/kvm_intel/parameters/nested; } 2>/dev/null ||
    { grep -qw svm /proc/cpuinfo && grep -qE '^(Y|1)' /sys/module/kvm_amd/parameters/nested; } 2>/dev/null
}
if [ "$emu" = auto ]; then
    if nested_kvm; then emu=kvm; else emu=svm; fi
fi

# QEMU's "pc" machine: dom0 drives its PIIX IDE and e1000 with INTx through the
# I/O APIC (q35's AHCI would want MSIs, which Keel does not remap yet).
qemu() {
    make_iso i386-pc "$out/keel.iso" "$cmdline" "$BUILD/kernel/vmlinuz|$dom0_args" "$BUILD/dom0-rootfs.cpio"
    qemu-system-x86_64 "$@" -machine pc -smp "$cpus" -m 2048 -nographic -serial mon:stdio \
        -nic user,model=e1000 -cdrom "$out/keel.iso"
}

case $emu in
kvm)
    echo "run: QEMU with KVM (nested $(grep -qw vmx /proc/cpuinfo && echo VMX || echo SVM)), $cpus CPUs"
    qemu -accel kvm -cpu host
    ;;
svm)
    echo "run: QEMU TCG, AMD SVM with nested paging ($SVM_CPU), $cpus CPUs"
    qemu -accel tcg -cpu "$SVM_CPU"
    ;;
bochs)
    echo "run: Bochs (corei7_skylake_x, VMX + EPT), $cpus CPUs"
    # Under Bochs 2.7, user processes using AVX-512 crash (see README): hide it from dom0.
    make_iso i386-pc "$out/keel.iso" "$cmdline cpuid=no-avx512" "$BUILD/kernel/vmlinuz|$dom0_args" \
        "$BUILD/dom0-rootfs.cpio"
    if [ -t 0 ]; then
        com1="com1: enabled=1, mode=term, dev=$(tty)"
    else
        com1="com1: enabled=1, mode=file, dev=/dev/stdout"
    fi
    bochs_config "$out/keel.iso" "$cpus" corei7_skylake_x 1024 "$com1" "$out/bochs.log" > "$out/bochsrc"
    echo c > "$out/bochs.rc"
    rc=0
    bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc" || rc=$?
    # Bochs ends with status 1 when the machine powers off (ACPI S5): that is a clean end.
    if [ $rc -eq 1 ] && grep -q 'ACPI S5\|power.*off' "$out/bochs.log" 2>/dev/null; then rc=0; fi
    exit $rc
    ;;
*)
    echo "run: KEEL_EMU=$emu: kvm, svm or bochs" >&2
    exit 2
    ;;
esac
