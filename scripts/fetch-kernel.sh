#!/usr/bin/env bash
# fetch-kernel.sh OUTDIR: Debian's stock kernel (linux-image-amd64's current
# image package), unpacked without installing it: OUTDIR/vmlinuz and
# OUTDIR/config. Used by the Linux guest tests (and dom0 later).
set -euo pipefail
out=$(realpath -m "$1")
[ -s "$out/vmlinuz" ] && exit 0
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -q >/dev/null
    pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
fi
work=$(mktemp -d)
chmod 777 "$work"                       # apt downloads as its _apt user when it can
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$pkg" >/dev/null)
dpkg -x "$work"/*.deb "$work/x"
mkdir -p "$out"
cp "$work"/x/boot/vmlinuz-* "$out/vmlinuz"
cp "$work"/x/boot/config-* "$out/config"
echo "kernel: $pkg -> $out/vmlinuz"
