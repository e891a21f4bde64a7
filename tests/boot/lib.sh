# Boot-test helpers: build boot media and run the emulators, bounded in time.
# Sourced by tests/boot/run.sh and tests/unit/fixtures/capture.sh.
# Each run_* writes the guest's serial output to $LOG and returns when the
# emulator exits (or is killed at its time limit).

BUILD=${BUILD:-build}
OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd

# make_linux_iso OUT.iso KERNEL INITRD CMDLINE: a BIOS GRUB ISO booting Linux
# itself, without Keel (the bare baseline of the dom0 benchmark).
make_linux_iso() {
    local out=$1 dir
    dir=$(mktemp -d)
    mkdir -p "$dir/boot/grub"
    cp "$2" "$dir/boot/vmlinuz"
    cp "$3" "$dir/boot/initrd"
    printf 'set timeout=0\nset default=0\nmenuentry "Linux" {\n    linux /boot/vmlinuz %s\n    initrd /boot/initrd\n    boot\n}\n' \
        "$4" > "$dir/boot/grub/grub.cfg"
    grub-mkrescue -d /usr/lib/grub/i386-pc -o "$out" "$dir" >/dev/null 2>&1
    local rc=$?
    rm -rf "$dir"
    return $rc
}

# dom0_disk FILE: a disk image (8 cylinders, 16 heads, 63 sectors) of
# fixed content, fresh for each run (a killed Bochs leaves FILE.lock behind);
# BOCHS_DISK is the line that attaches it to Bochs.
dom0_disk() {
    rm -f "$1" "$1.lock"
    head -c $((8 * 16 * 63 * 512)) < <(yes "keel dom0 disk" | cat -n) > "$1"
    dom0_disk_line "$1"
}
dom0_disk_line() {      # FILE [CYLINDERS]
    BOCHS_DISK="ata0-slave: type=disk, path=$1, mode=flat, cylinders=${2:-8}, heads=16, spt=63"
}

# make_iso PLATFORM(i386-pc|x86_64-efi) OUT.iso CMDLINE [MODULE...]
# Each MODULE is "FILE" or "FILE|COMMAND LINE", loaded with module2 in order.
make_iso() {
    local plat=$1 out=$2 cmdline=$3 dir m i=0 mods=""
    shift 3
    dir=$(mktemp -d)
    mkdir -p "$dir/boot/grub"
    cp "$BUILD/keel.elf" "$dir/boot/keel.elf"
    for m in "$@"; do
        cp "${m%%|*}" "$dir/boot/mod$i"
        [[ $m == *"|"* ]] && mods+="    module2 /boot/mod$i ${m#*|}"$'\n' || mods+="    module2 /boot/mod$i"$'\n'
        i=$((i + 1))
    done
    cat > "$dir/boot/grub/grub.cfg" <<EOC
set timeout=0
set default=0
menuentry "Keel" {
    multiboot2 /boot/keel.elf $cmdline
$mods    boot
}
EOC
    grub-mkrescue -d "/usr/lib/grub/$plat" -o "$out" "$dir" >/dev/null 2>&1
    rm -rf "$dir"
    [ -s "$out" ]
}

# make_esp OUT.img CMDLINE: a FAT image with keel.efi as the default loader.
make_esp() {
    local out=$1 cmdline=$2 cfg
    rm -f "$out"
    dd if=/dev/zero of="$out" bs=1M count=8 status=none
    mformat -i "$out" ::
    mmd -i "$out" ::/EFI ::/EFI/BOOT
    mcopy -i "$out" "$BUILD/keel.efi" ::/EFI/BOOT/BOOTX64.EFI
    mcopy -i "$out" "$BUILD/keel.elf" ::/EFI/BOOT/keel.elf
    cfg=$(mktemp)
    printf '# written by tests/boot/lib.sh\nhypervisor=keel.elf %s\n' "$cmdline" > "$cfg"
    mcopy -i "$out" "$cfg" ::/EFI/BOOT/keel.cfg
    rm -f "$cfg"
}

# run_qemu LOG TIMEOUT ARGS...: TCG, serial to LOG, isa-debug-exit on 0xf4
# (unless NO_DEBUG_EXIT=1). Returns QEMU's exit status (124: timed out).
# With QEMU_UNTIL (an extended regex) the run also ends once the log matches it.
run_qemu() {
    local log=$1 t=$2 rc pid exitdev="-device isa-debug-exit,iobase=0xf4,iosize=4"
    shift 2
    [ "${NO_DEBUG_EXIT:-0}" = 1 ] && exitdev=
    : > "$log"
    timeout -k 5 "$t" qemu-system-x86_64 -accel tcg -m "${QEMU_MEM:-512}" -nographic -no-reboot \
        -monitor none -display none -serial "file:$log" $exitdev "$@" >/dev/null 2>&1 &
    pid=$!
    if [ -n "${QEMU_UNTIL:-}" ]; then
        while kill -0 "$pid" 2>/dev/null; do
            if grep -aqE -- "$QEMU_UNTIL" "$log"; then
                sleep 1
                pkill -P "$pid" qemu-system 2>/dev/null
                break
            fi
            sleep 0.5
        done
    fi
    wait "$pid"
    rc=$?
    strip_cr "$log"
    return $rc
}

# QEMU's TCG SVM CPU. 7.2 does not honour the XSETBV intercept (the guest's
# XSETBV runs against QEMU's own feature set), so MPX, which Keel's policy
# never offers, is switched off: XCR0 then stays within the policy.
SVM_CPU=max,-mpx
# Bochs's AMD model with SVM: NPT, next-RIP save, flush by ASID, pause filter (CPUID 8000_000AH EDX 0x44f).
BOCHS_AMD=ryzen

# run_emu LOG TIMEOUT ISO CPUS [UNTIL]: Keel on the backend in $EMU:
#   bochs      Bochs, Intel VMX with EPT (corei7_skylake_x)
#   bochs_amd  Bochs, AMD SVM with NPT and next-RIP save ($BOCHS_AMD): instruction-exact like bochs
#   svm        QEMU TCG, AMD SVM with NPT ($SVM_CPU), machine $QEMU_MACHINE (q35)
# $EMU_DISK: a raw disk image for the first ATA/IDE slot ($EMU_DISK_CYL cylinders of 16 x 63 sectors
# for Bochs, default 8); $EMU_NIC=1: an e1000 with no host network behind it.
run_emu() {
    local log=$1 t=$2 iso=$3 cpus=$4 until=${5:-} extra=()
    case ${EMU:-bochs} in
    bochs|bochs_amd)
        local lines="" model=corei7_skylake_x
        # Bochs checks SVM's SHUTDOWN intercept only on its reset path: without it a guest's triple fault
        # stops Bochs (VMX's exit is checked first). A host triple fault still shows: Keel never returns.
        local BOCHS_TRIPLE_RESET=${BOCHS_TRIPLE_RESET:-0}
        [ "$EMU" = bochs_amd ] && model=$BOCHS_AMD && BOCHS_TRIPLE_RESET=1
        [ -n "${EMU_DISK:-}" ] && dom0_disk_line "$EMU_DISK" "${EMU_DISK_CYL:-8}" && lines=$BOCHS_DISK$'\n'
        [ -n "${EMU_NIC:-}" ] && lines+="e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=null"
        BOCHS_EXTRA=$lines run_bochs "$log" "$t" "$iso" "$cpus" "$model" "$until"
        ;;
    svm)
        [ -n "${EMU_DISK:-}" ] && extra+=(-drive "file=$EMU_DISK,format=raw,if=ide,index=0")
        # The NIC's only peer is an empty hub: no test traffic leaves the emulated machine.
        [ -n "${EMU_NIC:-}" ] && extra+=(-netdev hubport,id=n0,hubid=0 -device e1000,netdev=n0,mac=52:54:00:12:34:56)
        QEMU_UNTIL=$until run_qemu "$log" "$t" -machine "${QEMU_MACHINE:-q35}" -cpu "$SVM_CPU" -smp "$cpus" \
            -cdrom "$iso" "${extra[@]}"
        ;;
    esac
}

# Serial consoles end lines with CR LF and firmware adds CRs of its own.
strip_cr() {
    [ -f "$1" ] && sed -i 's/\r//g' "$1"
    return 0
}

# ovmf_args VARSCOPY: the pflash pair for OVMF with a fresh variable store.
ovmf_args() {
    cp "$OVMF_VARS" "$1"
    echo "-drive if=pflash,format=raw,readonly=on,file=$OVMF_CODE -drive if=pflash,format=raw,file=$1"
}

# bochs_config ISO CPUS MODEL MEGS "COM1 LINE" BOCHSLOG: a headless configuration
# (rfb display that never waits, panics fatal, triple faults end the run).
bochs_config() {
    cat <<EOC
megs: $4
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
pci: enabled=1, chipset=i440fx
ata0-master: type=cdrom, path=$1, status=inserted
${BOCHS_EXTRA:-}
boot: cdrom
cpu: model=$3, count=$2, ips=10000000, reset_on_triple_fault=${BOCHS_TRIPLE_RESET:-0}
clock: sync=none, time0=local
$5
port_e9_hack: enabled=1
display_library: rfb, options="timeout=0"
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
panic: action=fatal
log: $6
EOC
}

# run_bochs LOG TIMEOUT ISO CPUS [MODEL [UNTIL]]: headless Bochs booting ISO;
# with UNTIL (an extended regex), the run also ends once the log matches it.
run_bochs() {
    local log=$1 t=$2 iso=$3 cpus=$4 model=${5:-corei7_skylake_x} until=${6:-} dir pid
    dir=$(mktemp -d)
    bochs_config "$iso" "$cpus" "$model" 512 "com1: enabled=1, mode=file, dev=$log" \
        "$dir/bochs.log" > "$dir/bochsrc"
    echo c > "$dir/rc"
    : > "$log"
    # SIGINT drops Bochs into its debugger, which exits at end of input.
    timeout -k 10 -s INT "$t" bochs -q -f "$dir/bochsrc" -rc "$dir/rc" </dev/null >"$dir/out" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ -n "$until" ] && grep -aqE -- "$until" "$log"; then
            sleep 1
            pkill -INT -P "$pid" bochs 2>/dev/null
        fi
        sleep 1
    done
    wait "$pid" 2>/dev/null
    strip_cr "$log"
    # What Bochs itself said (its panics, errors), kept for a failed case.
    tail -n 60 "$dir/out" "$dir/bochs.log" > "$log.bochs" 2>/dev/null
    rm -rf "$dir"
}
