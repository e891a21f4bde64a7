#!/usr/bin/env bash
# build-kmod.sh KERNELDIR OUTDIR: keel.ko for the dom0 kernel fetch-kernel.sh
# unpacked (KERNELDIR/version), with Debian's linux-headers of that exact
# version (installed here if missing: apt works as root).
set -euo pipefail
kdir=$(realpath "$1")
out=$(realpath -m "$2")
here=$(realpath "$(dirname "$0")/..")
ver=$(cat "$kdir/version")
hdr=/usr/src/linux-headers-$ver
if [ ! -e "$hdr/Makefile" ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "linux-headers-$ver" >/dev/null ||
        { $SUDO apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "linux-headers-$ver" >/dev/null; }
fi
mkdir -p "$out"
cp "$here/dom0/kmod/keel.c" "$here/dom0/kmod/Kbuild" "$out/"
make -s -C "$hdr" M="$out" KEEL_PUBLIC="$here/hv/include" modules 2>&1 | grep -v 'Skipping BTF generation' || true
[ -s "$out/keel.ko" ] || { echo "build-kmod: keel.ko was not built" >&2; exit 1; }
