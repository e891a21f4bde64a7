#!/usr/bin/env bash
# tests/install/image.sh OUTDIR: an installed Debian 12 on a disk image, the
# way a user's server would have it, with Keel's packages installed as a
# user installs them. Writes OUTDIR/disk.img (raw, GPT: BIOS boot, EFI
# system partition, ext4 root) and prints the seconds each stage took.
#   1. mmdebstrap: Debian 12 with a kernel, its headers (DKMS), GRUB for BIOS
#      and EFI, systemd (cached in KEEL_TEST_CACHE, /var/cache/keel-tests,
#      keyed by the package list: Debian's mirror is not asked again).
#   2. In a chroot: `apt install ./*.deb` of build/deb, with the file list
#      before, after `dpkg -r` and after `dpkg --purge` compared (nothing may
#      be left behind) and every `dpkg -L` path present; then installed again.
#   3. The disk: sfdisk on a file, mkfs.fat and mke2fs -d at the partitions'
#      offsets (no loop devices or mounts are needed).
#   4. First boot, without Keel (QEMU, the image's own kernel): grub-install
#      for BIOS and for EFI, update-grub, grub-reboot to the Keel entry.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$1")
BUILD=${BUILD:-$here/build}
cache=${KEEL_TEST_CACHE:-/var/cache/keel-tests}
PKGS=(linux-image-amd64 linux-headers-amd64 systemd-sysv udev kmod grub-pc-bin grub-efi-amd64-bin grub2-common
      initramfs-tools e2fsprogs dosfstools iproute2 qemu-utils qemu-system-common dnsmasq-base nftables dkms gcc
      make libc6-dev zlib1g procps)
t0=$(date +%s)
stage() { echo "  image: $1 ($(( $(date +%s) - t0 )) s)"; }

key=$(printf '%s\n' "${PKGS[@]}" v1 | sha256sum | cut -c1-16)
base=$cache/debian12-$key.tar
mkdir -p "$cache" "$out"
if [ ! -s "$base" ]; then
    mmdebstrap --quiet --variant=minbase --include="$(IFS=,; echo "${PKGS[*]}")" bookworm "$base.tmp"
    mv "$base.tmp" "$base"
    stage "Debian 12 from the mirror, cached as $base"
fi

root=$out/root
cleanup() {
    for m in dev/pts dev sys proc; do mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"; done
    return 0
}
trap cleanup EXIT
cleanup
rm -rf "$root"
mkdir -p "$root"
tar -C "$root" -xpf "$base"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
stage "root tree unpacked"

# The packages, installed as a user would; the domU's kernel, initramfs and disk.
mkdir -p "$root/tmp/debs" "$root/var/lib/keel/images"
for p in keel-hypervisor keel-hypervisor-dbg keel-utils libkeel0 libkeel-dev keel-dkms; do
    cp "$BUILD"/deb/${p}_*.deb "$root/tmp/debs/"
done
cp "$BUILD/dom0-keel/vmlinux.gz" "$BUILD/dom0-keel/demo-initrd.cpio" "$root/var/lib/keel/images/"
tree=$(mktemp -d)
(cd "$tree" && busybox cpio -i -d -m 2>/dev/null < "$BUILD/dom0-keel/demo-initrd.cpio")
touch "$tree/etc/keel-on-disk"
echo "web-disk" > "$tree/etc/hostname"
mke2fs -q -t ext4 -L web-root -d "$tree" -F "$tree.img" 64M
qemu-img convert -f raw -O qcow2 "$tree.img" "$root/var/lib/keel/images/web.qcow2"
rm -rf "$tree" "$tree.img"
cp "$here/tests/install/in-chroot.sh" "$here/tests/install/firstboot" "$here/tests/install/check" "$root/tmp/"
chroot "$root" /bin/sh /tmp/in-chroot.sh
cleanup
stage "packages installed, removed, purged, installed again"

# The disk: 1 MiB BIOS boot partition, 64 MiB ESP, the rest root.
img=$out/disk.img
root_uuid=$(cat "$root/etc/keel-test-root-uuid")
esp_id=$(cat "$root/etc/keel-test-esp-id")
rm -f "$img"
truncate -s 4G "$img"
sfdisk -q "$img" <<EOP
label: gpt
start=2048, size=2048, type=21686148-6449-6E6F-744E-656564454649, name=bios
start=4096, size=131072, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=esp
start=135168, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name=root
EOP
root_sectors=$(sfdisk -d "$img" | sed -n 's/.*start= *135168, size= *\([0-9]*\).*/\1/p')
mkfs.fat -F 32 -s 1 -i "${esp_id//-/}" -n ESP --offset 4096 "$img" $((131072 / 2)) > /dev/null
mke2fs -q -t ext4 -U "$root_uuid" -L root -E offset=$((135168 * 512)),nodiscard -d "$root" "$img" $((root_sectors / 2))k
mkdir -p "$out/boot-kernel"
cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)" "$out/boot-kernel/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -1)" "$out/boot-kernel/initrd.img"
rm -rf "$root"
stage "disk image made"

# First boot: the image's own kernel, /tmp/firstboot as init (GRUB's installers need the disk as a disk).
rm -f "$out/firstboot.log"
timeout -k 5 600 qemu-system-x86_64 -accel tcg -machine pc -cpu max -m 1024 -nographic -no-reboot -monitor none \
    -serial "file:$out/firstboot.log" -drive "file=$img,format=raw,if=ide,index=0" \
    -kernel "$out/boot-kernel/vmlinuz" -initrd "$out/boot-kernel/initrd.img" \
    -append "root=UUID=$root_uuid rw console=ttyS0,115200 init=/usr/local/sbin/keel-firstboot" > /dev/null 2>&1 &
qpid=$!
# A system that cannot boot waits at a prompt: stop it there rather than at the time limit.
while kill -0 "$qpid" 2>/dev/null; do
    grep -aqE '^\(initramfs\)|Kernel panic' "$out/firstboot.log" 2>/dev/null && { sleep 1; kill "$qpid"; }
    sleep 1
done
wait "$qpid" || true
sed -i 's/\r//g' "$out/firstboot.log"
grep -q '^KEEL-FIRSTBOOT-DONE' "$out/firstboot.log" || {
    echo "  image: the first boot did not finish (GRUB not installed):"; tail -20 "$out/firstboot.log"; exit 1; }
stage "GRUB installed for BIOS and EFI, $(grep -o 'Keel entries: .*' "$out/firstboot.log")"
