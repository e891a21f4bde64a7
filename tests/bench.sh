#!/usr/bin/env bash
# `make bench`: figures taken in one run, printed, never asserted.
# 1. VM exit cost under Bochs (VMX), where the guest TSC counts emulated
#    instructions: the round trips of tests/guests/bench.c minus an empty loop;
#    the same guest on Bochs's AMD model (SVM), counted the same way; and
#    under QEMU TCG with SVM and -icount shift=0, where the TSC counts one
#    tick per emulated instruction too.
set -uo pipefail
cd "$(dirname "$0")/.."
. tests/boot/lib.sh
out=$BUILD/bench
mkdir -p "$out"
make_iso i386-pc "$out/bench.iso" "console=com1 keel.test=guest" "$BUILD/guests/bench.elf|bench" || exit 1
start=$(date +%s)
run_bochs "$out/bench.log" 600 "$out/bench.iso" 1
if ! grep -aq 'BENCH cpuid0' "$out/bench.log"; then
    echo "bench: no result (log: $out/bench.log)"
    exit 1
fi
echo "bench: exit path under Bochs (corei7_skylake_x), 100,000 round trips each, $(( $(date +%s) - start ))s"
echo "  instructions per exit round trip (limit in tests/exit-cost-limits):"
grep -aoE 'BENCH [a-z0-9]+ [0-9]+' "$out/bench.log" | while read -r _ name n; do
    printf '    %-8s %5d  (limit %s)\n' "$name" "$n" "$(awk -v n="$name" '$1 == n { print $2 }' tests/exit-cost-limits)"
done

# The same guest on SVM, two ways. Bochs's AMD model (ryzen: next-RIP save)
# counts exactly as it does for VMX: the like-for-like comparison. QEMU TCG
# with -icount shift=0 (the guest's TSC follows the instruction count) has
# no next-RIP save, so every exit there also decodes its instruction.
svm_figures() {     # svm_figures LOG TITLE
    if ! grep -aq 'BENCH cpuid0' "$1"; then
        echo "bench: $2: no result (log: $1)"
        return
    fi
    echo "bench: $2, $(( $(date +%s) - start ))s"
    echo "  instructions per exit round trip, SVM beside VMX (target: within 10%):"
    grep -aoE 'BENCH [a-z0-9]+ [0-9]+' "$1" | while read -r _ name n; do
        vmx=$(grep -aoE "BENCH $name [0-9]+" "$out/bench.log" | grep -oE '[0-9]+$')
        awk -v name="$name" -v s="$n" -v x="$vmx" 'BEGIN { printf "    %-8s SVM %5d  VMX %5d  ratio %.2f\n", name, s, x, s / x }'
    done
}
start=$(date +%s)
BOCHS_TRIPLE_RESET=1 run_bochs "$out/bench-bochs-amd.log" 600 "$out/bench.iso" 1 "$BOCHS_AMD"
svm_figures "$out/bench-bochs-amd.log" "exit path under Bochs ($BOCHS_AMD, SVM with next-RIP save; limits in tests/exit-cost-limits-svm)"
start=$(date +%s)
run_qemu "$out/bench-svm.log" 600 -machine q35 -cpu "$SVM_CPU" -smp 1 -icount shift=0 -cdrom "$out/bench.iso"
svm_figures "$out/bench-svm.log" "exit path under QEMU TCG with SVM ($SVM_CPU, no next-RIP save: instructions decoded), -icount shift=0"

# 2. dom0 boot: the same bzImage and initramfs, bare under Bochs (GRUB boots
#    Linux) and as dom0 under Keel, in this one run. dom0's /init executes a
#    Bochs magic breakpoint right after its ready marker (keel.bench on the
#    kernel command line): Bochs stops there and prints its tick count, the
#    emulated instructions from power-on, Keel's own boot included. The
#    wall time to the marker is printed too.
ticks_to_marker() {     # ticks_to_marker ISO NAME -> "TICKS WALL_MS"
    local iso=$1 name=$2 dir t0 t1
    dir=$(mktemp -d)
    BOCHS_EXTRA="magic_break: enabled=1" bochs_config "$iso" 1 corei7_skylake_x 512 \
        "com1: enabled=1, mode=file, dev=$out/$name.log" "$dir/bochs.log" > "$dir/bochsrc"
    echo c > "$dir/rc"
    t0=$(date +%s%N)
    # At the breakpoint the debugger reads the rest of the rc file: none, so it quits.
    timeout -k 10 -s INT 600 bochs -q -f "$dir/bochsrc" -rc "$dir/rc" </dev/null >"$dir/out" 2>&1
    t1=$(date +%s%N)
    cp "$dir/out" "$out/$name.bochs.out"
    if grep -aq 'KEEL-DOM0-READY' "$out/$name.log" && grep -aq '^Next at t=' "$dir/out"; then
        echo "$(grep -aoE '^Next at t=[0-9]+' "$dir/out" | tail -1 | grep -oE '[0-9]+') $(( (t1 - t0) / 1000000 ))"
    fi
    rm -rf "$dir"
}
make -s BUILD="$BUILD" dom0 >/dev/null || exit 1
args="console=ttyS0,115200 quiet cryptomgr.notests keel.bench"
# The bare kernel gets the memory dom0 gets (mem=), so both set up as much.
make_linux_iso "$out/bare.iso" "$BUILD/kernel/vmlinuz" "$BUILD/dom0-rootfs.cpio" "$args mem=448M" || exit 1
make_iso i386-pc "$out/dom0.iso" "console=com1 dom0_mem=448M cpuid=no-avx512" "$BUILD/kernel/vmlinuz|$args" \
    "$BUILD/dom0-rootfs.cpio" || exit 1
read -r bare_ticks bare_wall < <(ticks_to_marker "$out/bare.iso" bare)
read -r dom0_ticks dom0_wall < <(ticks_to_marker "$out/dom0.iso" dom0)
if [ -z "$bare_ticks" ] || [ -z "$dom0_ticks" ]; then
    echo "bench: dom0 boot: no marker or tick count (see $out/bare.* and $out/dom0.*)"
    exit 1
fi
echo "bench: Debian bzImage + dom0 initramfs to the shell marker under Bochs, bare vs as Keel's dom0"
awk -v bt="$bare_ticks" -v dt="$dom0_ticks" -v bw="$bare_wall" -v dw="$dom0_wall" 'BEGIN {
    printf "  emulated instructions power-on to marker: bare %.3f G, dom0 %.3f G, ratio %.3f (target <= 1.05)\n", bt / 1e9, dt / 1e9, dt / bt
    printf "  wall time power-on to marker: bare %.1f s, dom0 %.1f s, ratio %.3f\n", bw / 1000, dw / 1000, dw / bw
}'

# 3. The same on SVM: QEMU TCG with -icount shift=0, bare (GRUB boots Linux) vs
#    dom0 under Keel; the marker prints the TSC, virtual nanoseconds from
#    power-on: one per instruction executed, plus the time a halted CPU skips.
tsc_to_marker() {       # tsc_to_marker ISO NAME -> "TSC WALL_MS"
    local iso=$1 name=$2 t0 t1
    t0=$(date +%s%N)
    QEMU_UNTIL='KEEL-BENCH-TSC: [0-9]+' run_qemu "$out/$name.log" 600 -machine pc -cpu "$SVM_CPU" -smp 1 \
        -icount shift=0 -cdrom "$iso"
    t1=$(date +%s%N)
    grep -aoE 'KEEL-BENCH-TSC: [0-9]+' "$out/$name.log" | head -1 | grep -oE '[0-9]+' | tr '\n' ' '
    echo "$(( (t1 - t0) / 1000000 ))"
}
make_iso i386-pc "$out/dom0-svm.iso" "console=com1 dom0_mem=448M" "$BUILD/kernel/vmlinuz|$args" \
    "$BUILD/dom0-rootfs.cpio" || exit 1
read -r bare_tsc bare_wall < <(tsc_to_marker "$out/bare.iso" bare-svm)
read -r dom0_tsc dom0_wall < <(tsc_to_marker "$out/dom0-svm.iso" dom0-svm)
if [ -z "$bare_tsc" ] || [ -z "$dom0_tsc" ] || [ -z "$dom0_wall" ]; then
    echo "bench: SVM dom0 boot: no marker (see $out/bare-svm.log and $out/dom0-svm.log)"
    exit 1
fi
echo "bench: the same under QEMU TCG with SVM, -icount shift=0, bare vs as Keel's dom0"
awk -v bt="$bare_tsc" -v dt="$dom0_tsc" -v bw="$bare_wall" -v dw="$dom0_wall" 'BEGIN {
    printf "  virtual time (icount) power-on to marker: bare %.3f G, dom0 %.3f G, ratio %.3f (target <= 1.05)\n", bt / 1e9, dt / 1e9, dt / bt
    printf "  wall time to marker: bare %.1f s, dom0 %.1f s, ratio %.3f\n", bw / 1000, dw / 1000, dw / bw
}'

# 4. Disks: the same image file read and written by dom0 and by a domU through
#    its virtio disk (keel-dm itself, and qemu-storage-daemon's vhost-user-blk),
#    under QEMU TCG with SVM, each from a cold page cache (dom0/rootfs/disk-bench).
#    Wall-clock rates in the guest's own clock: ratios, not absolute speeds.
d=$(mktemp -d)
mkdir -p "$d/st"
head -c $((64 << 20)) /dev/urandom > "$d/st/bench.img"
mke2fs -q -t ext4 -d "$d/st" -F "$out/bench-storage.img" 320M || exit 1
rm -rf "$d"
make_iso i386-pc "$out/disk-bench.iso" "console=com1 dom0_mem=256M dom0_vcpus=1 keel.test=dom0" \
    "$BUILD/kernel/vmlinux|console=ttyS0,115200 quiet cryptomgr.notests keel.diskbench" \
    "$BUILD/dom0-rootfs.cpio" || exit 1
start=$(date +%s)
run_qemu "$out/disk-bench.log" 1200 -machine pc -cpu "$SVM_CPU" -smp 2 -cdrom "$out/disk-bench.iso" \
    -drive "file=$out/bench-storage.img,format=raw,if=ide,index=0"
if ! grep -aq 'KEEL-BENCH-QDISK' "$out/disk-bench.log"; then
    echo "bench: disks: no result (log: $out/disk-bench.log)"
    exit 1
fi
echo "bench: disks under QEMU TCG with SVM, domU (virtio) / dom0 (the file), $(( $(date +%s) - start ))s"
grep -aE '^KEEL-BENCH-(DOM0|PHY|QDISK):' "$out/disk-bench.log" | awk '
    { k = $1; sub(/^KEEL-BENCH-/, "", k); sub(/:$/, "", k); r[k] = $3; w[k] = $6; q[k] = $9 }
    END {
        printf "  dom0 on the file: read %.1f MB/s, write %.1f MB/s, 4 KiB random read %d IOPS\n", r["DOM0"], w["DOM0"], q["DOM0"]
        split("PHY QDISK", b, " ")
        for (i = 1; i <= 2; i++) {
            k = b[i]
            printf "  %-5s (%s): read %.2f, write %.2f, random read %.2f (targets 0.90, 0.90, 0.70)\n", tolower(k),
                   k == "PHY" ? "keel-dm" : "qemu-storage-daemon", r[k] / r["DOM0"], w[k] / w["DOM0"], q[k] / q["DOM0"]
        }
    }'

# 5. Network: TCP throughput over dom0's loopback, then domU -> dom0 and
#    dom0 -> domU over the default network (virtio-net on a tap in keelbr0),
#    the same tool at both ends (dom0/rootfs/net-bench), under QEMU TCG with SVM;
#    and ping's average round trip each way and over the loopback. The domU
#    runs twice: its rings in dom0's vhost-net, then in keel-dm's data path.
make_iso i386-pc "$out/net-bench.iso" "console=com1 dom0_mem=256M dom0_vcpus=1 keel.test=dom0" \
    "$BUILD/kernel/vmlinux|console=ttyS0,115200 quiet cryptomgr.notests keel.netbench" \
    "$BUILD/dom0-rootfs.cpio" || exit 1
start=$(date +%s)
run_qemu "$out/net-bench.log" 1200 -machine pc -cpu "$SVM_CPU" -smp 2 -cdrom "$out/net-bench.iso"
if ! grep -aq '^KEEL-BENCH-KEELDM: .*MB/s' "$out/net-bench.log"; then
    echo "bench: network: no result (log: $out/net-bench.log)"
    exit 1
fi
echo "bench: network under QEMU TCG with SVM, domU / dom0's loopback, $(( $(date +%s) - start ))s"
grep -aE '^KEEL-BENCH-LO:' "$out/net-bench.log" | awk '{
    printf "  dom0 loopback: ping round trip %.2f ms, TCP %.1f MB/s\n", $3, $5 }'
lo=$(grep -aE '^KEEL-BENCH-LO:' "$out/net-bench.log" | awk '{ print $5 }')
for path in VHOST:vhost-net KEELDM:keel-dm; do
    grep -aE "^KEEL-BENCH-${path%%:*}:" "$out/net-bench.log" | awk -v lo="$lo" -v name="${path#*:}" '{
        printf "  %-9s ping domU -> dom0 %.2f ms, dom0 -> domU %.2f ms; TCP domU -> dom0 %.1f MB/s, ratio %.2f; dom0 -> domU %.1f MB/s, ratio %.2f (target 0.50)%s\n",
               name, $3, $4, $6, $6 / lo, $8, $8 / lo, (name == "vhost-net" && $10 != "vhost=1") ? " [vhost-net did not run]" : "" }'
done
