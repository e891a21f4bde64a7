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

# 2. dom0 boot: the same bzImage and initramfs to the shell marker, bare under
#    Bochs (GRUB boots Linux) and as dom0 under Keel, in this one run. Two
#    figures: the kernel's own uptime at the marker (emulated time: the TSC
#    counts instructions) and the wall time from power-on to the marker.
timed_boot() {     # timed_boot LOG ISO -> "UPTIME WALL"
    local log=$1 iso=$2 t0 t1 pid
    t0=$(date +%s%N)
    run_bochs "$log" 600 "$iso" 1 corei7_skylake_x 'KEEL-DOM0-READY|Kernel panic|EXCEPTION' &
    pid=$!
    until grep -aq 'KEEL-DOM0-READY' "$log" 2>/dev/null || ! kill -0 $pid 2>/dev/null; do sleep 0.2; done
    t1=$(date +%s%N)
    wait $pid
    echo "$(grep -aoE 'KEEL-DOM0-READY: .* up [0-9.]+' "$log" | grep -oE '[0-9.]+$') $(( (t1 - t0) / 1000000 ))"
}
bash scripts/fetch-kernel.sh "$BUILD/kernel" >/dev/null && \
    bash dom0/rootfs/build.sh "$BUILD/kernel" "$BUILD/dom0-rootfs.cpio" >/dev/null || exit 1
args="console=ttyS0,115200 quiet cryptomgr.notests"
make_linux_iso "$out/bare.iso" "$BUILD/kernel/vmlinuz" "$BUILD/dom0-rootfs.cpio" "$args" || exit 1
make_iso i386-pc "$out/dom0.iso" "console=com1 dom0_mem=448M cpuid=no-avx512" "$BUILD/kernel/vmlinuz|$args" \
    "$BUILD/dom0-rootfs.cpio" || exit 1
read -r bare_up bare_wall < <(timed_boot "$out/bare.log" "$out/bare.iso")
read -r dom0_up dom0_wall < <(timed_boot "$out/dom0.log" "$out/dom0.iso")
if [ -z "$bare_up" ] || [ -z "$dom0_up" ]; then
    echo "bench: dom0 boot: no marker (logs: $out/bare.log, $out/dom0.log)"
    exit 1
fi
echo "bench: Debian bzImage + dom0 initramfs to the shell marker under Bochs, bare vs as Keel's dom0"
awk -v bu="$bare_up" -v du="$dom0_up" -v bw="$bare_wall" -v dw="$dom0_wall" 'BEGIN {
    printf "  kernel uptime at the marker: bare %.2f s, dom0 %.2f s, ratio %.3f (target <= 1.05)\n", bu, du, du / bu
    printf "  wall time power-on to marker: bare %.1f s, dom0 %.1f s, ratio %.3f\n", bw / 1000, dw / 1000, dw / bw
}'
