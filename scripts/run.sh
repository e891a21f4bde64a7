#!/usr/bin/env bash
# `make run`: boot Keel and its dom0 (Debian's kernel, dom0/rootfs) in an
# emulator, console on this terminal: you land in dom0's shell. QEMU with KVM
# where this host offers nested VMX (Keel needs VT-x), else Bochs, which
# emulates VMX with EPT (about a minute to the shell). Extra hypervisor
# options: KEEL_CMDLINE; dom0's kernel options: DOM0_CMDLINE.
# Ctrl-A three times switches the console between dom0 and Keel ('h' there).
# "poweroff -f" in dom0 turns the machine off. Leave QEMU with Ctrl-A X
# (typed once, QEMU's own key); Bochs with Ctrl-C (then "q" at its prompt).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/boot/lib.sh
out=$BUILD/run
mkdir -p "$out"
cmdline="console=com1 dom0_mem=${DOM0_MEM:-512M} ${KEEL_CMDLINE:-}"
cpus=${KEEL_CPUS:-2}
dom0_args="console=ttyS0,115200 quiet cryptomgr.notests ${DOM0_CMDLINE:-}"

# Nested VMX: the host CPU has VT-x and KVM lets us use it.
if grep -qw vmx /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
   grep -qE '^(Y|1)' /sys/module/kvm_intel/parameters/nested 2>/dev/null; then
    make_iso i386-pc "$out/keel.iso" "$cmdline" "$BUILD/kernel/vmlinuz|$dom0_args" "$BUILD/dom0-rootfs.cpio"
    echo "run: QEMU with KVM (nested VMX), $cpus CPUs"
    exec qemu-system-x86_64 -accel kvm -cpu host,+vmx -machine q35 -smp "$cpus" -m 2048 \
        -nographic -serial mon:stdio -cdrom "$out/keel.iso"
fi

echo "run: no nested VMX here: Bochs (corei7_skylake_x, VMX + EPT), $cpus CPUs"
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
exec bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc"
