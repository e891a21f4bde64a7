#!/usr/bin/env bash
# fetch-kernel.sh OUTDIR: Debian's stock kernel (linux-image-amd64's current
# image package), unpacked without installing it:
#   OUTDIR/vmlinuz   the bzImage
#   OUTDIR/vmlinux   the uncompressed ELF inside it (skips the emulated XZ)
#   OUTDIR/config    its configuration
#   OUTDIR/modules/  lib/modules/VERSION with the modules dom0/rootfs/modules
#                    and dom0/domu/modules list and everything they depend
#                    on, and modules.dep
set -euo pipefail
export LC_ALL=C
out=$(realpath -m "$1")
top=$(realpath "$(dirname "$0")/..")
lists="$top/dom0/rootfs/modules $top/dom0/domu/modules"
stamp="$out/.modules-$(cat $lists | md5sum | cut -c1-8)"
[ -s "$out/vmlinuz" ] && [ -s "$out/vmlinux" ] && [ -e "$stamp" ] && exit 0
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

# The vmlinux: the XZ stream that follows its magic in the bzImage's payload.
off=$(grep -obUaP -m1 '\xfd7zXZ\x00' "$out/vmlinuz" | cut -d: -f1 | head -1)
xz -dc --single-stream < <(tail -c +$((off + 1)) "$out/vmlinuz") > "$out/vmlinux.tmp"
cmp -s -n 4 <(printf '\177ELF') "$out/vmlinux.tmp"
mv "$out/vmlinux.tmp" "$out/vmlinux"

# The listed modules and their dependencies (busybox's depmod reads the tree).
ver=$(ls "$work/x/lib/modules")
busybox depmod -b "$work/x" "$ver"
rm -rf "$out/modules"
mkdir -p "$out/modules/lib/modules/$ver"
want=$(cat $lists | sed 's/#.*//' | xargs)
bash "$top/scripts/copy-modules.sh" "$work/x" "$out/modules" "$ver" $want
cp "$work/x/lib/modules/$ver"/modules.{order,builtin} "$out/modules/lib/modules/$ver/"
busybox depmod -b "$out/modules" "$ver"
echo "$ver" > "$out/version"
rm -f "$out"/.modules-*
touch "$stamp"
echo "kernel: $pkg -> $out (vmlinuz, vmlinux, $(echo $want | wc -w) modules + dependencies)"
