#!/usr/bin/env bash
# `make bench`: figures taken in one run, printed, never asserted.
# 1. VM exit cost under Bochs, where the guest TSC counts emulated
#    instructions: CPUID and VMCALL round trips minus the same empty loop.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/boot/lib.sh
out=$BUILD/bench
mkdir -p "$out"
make_iso i386-pc "$out/bench.iso" "console=com1 keel.test=guest" "$BUILD/guests/bench.elf|bench" || exit 1
start=$(date +%s)
run_bochs "$out/bench.log" 600 "$out/bench.iso" 1
line=$(grep -a 'BENCH exit cost' "$out/bench.log" | sed 's/^(KEEL) (d[0-9]*) //')
raw=$(grep -a 'BENCH loop' "$out/bench.log" | sed 's/^(KEEL) (d[0-9]*) //')
if [ -z "$line" ]; then
    echo "bench: no result (log: $out/bench.log)"
    exit 1
fi
echo "bench: exit path under Bochs (corei7_skylake_x), 1,000,000 round trips each, $(( $(date +%s) - start ))s"
echo "  raw: $raw"
cpuid=$(grep -oE 'cpuid [0-9]+' <<<"$line" | grep -oE '[0-9]+')
vmcall=$(grep -oE 'vmcall [0-9]+' <<<"$line" | grep -oE '[0-9]+')
echo "  hypervisor instructions per exit: CPUID $cpuid, VMCALL $vmcall (target for CPUID: <= 150)"
