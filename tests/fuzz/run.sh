#!/usr/bin/env bash
# `make fuzz`: build each libFuzzer target (clang, ASan + UBSan) and run it
# for FUZZ_SECONDS (default 20) from a seed corpus of real inputs. A crash
# leaves its input in build/fuzz/ and fails the run. With FUZZ_RUNS=N (as
# `make test` does) each target makes N runs from a fixed seed instead:
# bounded and repeatable, so CI fails on a bug, not on a lucky draw.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
out=$BUILD/fuzz
secs=${FUZZ_SECONDS:-20}
mkdir -p "$out"
CFLAGS=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -Itests/unit/fakes -Itests/unit -Iboot/include -Iarch/x86/include -Ihv/include -Idrivers/include -Itools/libkeel
        -isystem /usr/include/multiboot)
declare -A SRC=(
    [emulate]="arch/x86/virt/emulate.c"
    [mb2]="boot/mb2.c"
    [acpi]="drivers/acpi/acpi.c"
    [mb1]="hv/mb1.c"
    [linux]="arch/x86/guest/linux_boot.c"
    [kl_config]="tools/libkeel/kl_config.c tools/libkeel/kl_devspec.c"
    [svm_decode]="arch/x86/svm/svm_caps.c arch/x86/virt/cpu_policy.c arch/x86/virt/vpit.c"
    [virtq]="tools/keel-dm/virtq.c"
    [kl_conf]="tools/kl/conf.c tools/kl/image.c tools/libkeel/kl_devspec.c -Itools/kl -lz"
)
# Seeds: fixtures and the real test guests, so fuzzing starts from valid inputs.
seed() {
    local t=$1 dir=$out/corpus-$1
    mkdir -p "$dir"
    cp tests/fuzz/regressions/$t-* "$dir/" 2>/dev/null    # inputs that once found a bug
    case $t in
    mb1) cp $BUILD/guests/*.elf "$dir/" 2>/dev/null ;;
    linux)
        grep -oE '[0-9a-f]{2,}$' tests/unit/fixtures/bzimage-debian-6.1-setup.txt | tr -d '\n' |
            xxd -r -p > "$dir/bzimage-setup"
        cp $BUILD/guests/cpuid.elf "$dir/" 2>/dev/null ;;
    mb2|acpi)
        for f in tests/unit/fixtures/$t-*.txt; do
            [ -f "$f" ] || continue
            grep -oE '[0-9a-f]{2,}$' "$f" | tr -d '\n' | xxd -r -p > "$dir/$(basename "$f" .txt)" 2>/dev/null || true
        done ;;
    kl_config) cp tools/kl/examples/*.cfg "$dir/" 2>/dev/null
        printf 'name="a"\nkernel="k"\ndisk=["x", "y",]\non_crash="restart"; memory=0x40\n' > "$dir/small.cfg"
        printf 'name="d"\nkernel="k"\ndisk=["/a,raw,xvda,rw", "format=qcow2, vdev=xvdb, target=/b,c"]\nvif=["mac=00:16:3e:00:00:01,bridge=br0"]\n' > "$dir/disks.cfg"
        printf 'name="n"\nkernel="k"\nvif=["", "ip=192.168.123.9,vifname=web0", "bridge=xenbr0,model=e1000"]\n' > "$dir/vifs.cfg" ;;
    kl_conf) cp dist/etc/keel.conf "$dir/"
        printf 'vif.default.bridge = "br0"  # lan\ndump_dir=/srv/d\nautoballoon=on\noutput_format=sxp\nx.y=1\n' > "$dir/all.conf" ;;
    virtq)
        # Queue of 8 at 0x1000/0x2000/0x3000 (offsets in RAM, after the 8 parameter bytes), one chain.
        { printf '\x03\x00\x00\x10\x00\x20\x00\x30'; head -c 4096 /dev/zero
          printf '\x00\x10\x00\x00\x00\x00\x00\x00\x10\x00\x00\x00\x01\x00\x01\x00'
          printf '\x00\x20\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00'
          head -c 4064 /dev/zero; printf '\x00\x00\x01\x00\x00\x00'; } > "$dir/one-chain" ;;
    svm_decode)
        printf '\x0f\xa2' > "$dir/cpuid"; printf '\x41\x0f\x22\xe7' > "$dir/movcr4"
        printf '\xf3\x26\x6e' > "$dir/outs"; printf '\x66\x0f\x01\xc1' > "$dir/vmcall" ;;
    emulate)
        printf '\x01\x00\x89\x18' > "$dir/mov"; printf '\x03\x00\xf3\xab' > "$dir/stos"
        printf '\x02\x00\x0f\xb6\x00' > "$dir/movzx"; printf '\x01\x00\x48\x83\x20\xf0' > "$dir/and" ;;
    esac
}
pass=0 fail=0
for t in emulate mb2 acpi mb1 linux kl_config kl_conf svm_decode virtq; do
    if ! clang "${CFLAGS[@]}" -o "$out/fuzz_$t" tests/fuzz/fuzz_$t.c ${SRC[$t]} tests/unit/fakes/fake_log.c \
            tests/unit/fixture.c 2>"$out/fuzz_$t.build.log"; then
        echo "  FAIL fuzz/$t (build: $out/fuzz_$t.build.log)"
        fail=$((fail + 1))
        continue
    fi
    seed "$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        bound=(-runs="$FUZZ_RUNS" -seed=1)
    else
        bound=(-max_total_time="$secs")
    fi
    if (cd "$out" && ./fuzz_$t "${bound[@]}" -max_len=65536 -rss_limit_mb=2048 \
            -artifact_prefix="$PWD/crash-$t-" "corpus-$t" >"fuzz_$t.log" 2>&1); then
        echo "  PASS fuzz/$t ($(grep -oE '#[0-9]+' "$out/fuzz_$t.log" | tail -1 | tr -d '#') runs)"
        pass=$((pass + 1))
    else
        echo "  FAIL fuzz/$t (see $out/fuzz_$t.log)"
        fail=$((fail + 1))
    fi
done
# The guest-side fuzzer (tests/guests/hostile/fuzz.c) against the real
# hypervisor under Bochs, beside a victim: unbounded (ops=0) for
# FUZZ_GUEST_SECONDS from seed FUZZ_SEED (default: the time). `make test`
# runs a bounded, fixed-seed pass of it in boot/bochs_hostile instead.
if [ -z "${FUZZ_RUNS:-}" ]; then
    . tests/boot/lib.sh
    gseed=${FUZZ_SEED:-$(date +%s)}
    glog=$out/guest-fuzz-$gseed.log
    make_iso i386-pc "$out/guest-fuzz.iso" "console=com1 keel.test=guest" \
        "$BUILD/guests/hostile/victim.elf|victim" "$BUILD/guests/hostile/fuzz.elf|fuzz seed=$gseed ops=0" &&
    run_bochs "$glog" "${FUZZ_GUEST_SECONDS:-120}" "$out/guest-fuzz.iso" 2
    last=$(grep -aoE 'FUZZ op [0-9]+' "$glog" | tail -1)
    if grep -aqE 'PANIC|EXCEPTION|crashed|stalled|KEEL-TEST: FAIL' "$glog" || [ -z "$last" ]; then
        echo "  FAIL fuzz/guest seed=$gseed, last '$last' (see $glog; FUZZ_SEED=$gseed repeats it)"
        fail=$((fail + 1))
    else
        echo "  PASS fuzz/guest seed=$gseed: ${last#FUZZ op } operations in ${FUZZ_GUEST_SECONDS:-120} s, Keel and the victim fine"
        pass=$((pass + 1))
    fi
fi
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
