#!/usr/bin/env bash
# `make test`: build, then the unit suite (host, sanitizers) and the boot
# suite (emulators). Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
start=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== build"
if ! make -s -j"$(nproc)" all check >"$log" 2>&1; then
    tail -40 "$log"
    echo "build failed"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "== unit tests (cmocka, ASan + UBSan)"
make -s -f tests/unit/unit.mk BUILD="$BUILD" run | tee "$log.unit"
urc=${PIPESTATUS[0]}
echo "== fuzzing (libFuzzer, ${FUZZ_RUNS:-400000} runs per target from a fixed seed)"
FUZZ_RUNS=${FUZZ_RUNS:-400000} bash tests/fuzz/run.sh | tee "$log.fuzz"
frc=${PIPESTATUS[0]}
echo "== boot tests (QEMU TCG, OVMF, Bochs)"
bash tests/boot/run.sh | tee "$log.boot"
brc=${PIPESTATUS[0]}

sum() { grep -oE "^$1: [0-9]+ passed, [0-9]+ failed" "$2" | grep -oE "[0-9]+ $3" | grep -oE '[0-9]+' || echo 0; }
up=$(sum unit "$log.unit" passed); uf=$(sum unit "$log.unit" failed)
bp=$(sum boot "$log.boot" passed); bf=$(sum boot "$log.boot" failed)
fp=$(sum fuzz "$log.fuzz" passed); ff=$(sum fuzz "$log.fuzz" failed)
rm -f "$log.unit" "$log.boot" "$log.fuzz"
# A suite that died before its summary counts as one failure.
[ $urc -ne 0 ] && [ "$uf" -eq 0 ] && uf=1
[ $brc -ne 0 ] && [ "$bf" -eq 0 ] && bf=1
[ $frc -ne 0 ] && [ "$ff" -eq 0 ] && ff=1
echo "== total after $(( $(date +%s) - start ))s"
echo "$((up + bp + fp)) passed, $((uf + bf + ff)) failed"
[ $((uf + bf + ff)) -eq 0 ]
