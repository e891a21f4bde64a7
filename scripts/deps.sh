#!/usr/bin/env bash
# Installs the Debian packages Keel's build, tests and emulators need.
# Quiet and quick when everything is there; uses sudo when not root.
set -euo pipefail
PKGS=(build-essential bochs bochsbios vgabios bochs-term qemu-system-x86 ovmf gnu-efi
      grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools busybox-static
      libcmocka-dev newlib-source clang libclang-rt-14-dev xxd multiboot xz-utils acpica-tools zlib1g-dev e2fsprogs qemu-utils
      dnsmasq-base nftables iproute2 debhelper dh-dkms dkms lintian mmdebstrap fdisk dosfstools)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]}"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
