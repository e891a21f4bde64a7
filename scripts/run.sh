#!/usr/bin/env bash
# `make run`: boot Keel in an emulator with its console on this terminal.
# QEMU with KVM where this host offers nested VMX (Keel needs VT-x), else
# Bochs, which emulates VMX with EPT. Extra hypervisor options: KEEL_CMDLINE.
# Leave QEMU with Ctrl-A X; Bochs with Ctrl-C (then "q" at its prompt).
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/boot/lib.sh
out=$BUILD/run
mkdir -p "$out"
cmdline="console=com1 ${KEEL_CMDLINE:-}"
cpus=${KEEL_CPUS:-2}
make_iso i386-pc "$out/keel.iso" "$cmdline"

# Nested VMX: the host CPU has VT-x and KVM lets us use it.
if grep -qw vmx /proc/cpuinfo && [ -r /dev/kvm ] && [ -w /dev/kvm ] &&
   grep -qE '^(Y|1)' /sys/module/kvm_intel/parameters/nested 2>/dev/null; then
    echo "run: QEMU with KVM (nested VMX), $cpus CPUs"
    exec qemu-system-x86_64 -accel kvm -cpu host,+vmx -machine q35 -smp "$cpus" -m 2048 \
        -nographic -serial mon:stdio -cdrom "$out/keel.iso"
fi

echo "run: no nested VMX here: Bochs (corei7_skylake_x, VMX + EPT), $cpus CPUs"
if [ -t 0 ]; then
    com1="com1: enabled=1, mode=term, dev=$(tty)"
else
    com1="com1: enabled=1, mode=file, dev=/dev/stdout"
fi
bochs_config "$out/keel.iso" "$cpus" corei7_skylake_x 1024 "$com1" "$out/bochs.log" > "$out/bochsrc"
echo c > "$out/bochs.rc"
exec bochs -q -f "$out/bochsrc" -rc "$out/bochs.rc"
