#!/usr/bin/env bash
# dom0/rootfs/build.sh KERNELDIR OUT.cpio: dom0's initramfs (newc cpio,
# uncompressed: emulated decompression would cost more than the copy).
#   busybox (busybox-static) with a link per applet, dom0/rootfs/init as
#   /init, the kernel modules fetch-kernel.sh selected (KERNELDIR/modules),
#   Keel's dom0 tools as they appear (the files in $DOM0_TOOLS, built by make),
#   and the domU files kl's example configs use ($DOM0_KEEL -> /usr/lib/keel).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kdir=$(realpath "$1")
out=$(realpath -m "$2")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc,lib/modules,mnt}
cp /bin/busybox "$stage/bin/busybox"
for a in $(/bin/busybox --list-full); do
    [ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
cp -a "$kdir/modules/lib/modules/." "$stage/lib/modules/"
sed 's/#.*//' "$here/modules" | xargs -n1 > "$stage/etc/modules"
if [ -n "${DOM0_TOOLS:-}" ] && [ -d "$DOM0_TOOLS" ]; then
    cp -a "$DOM0_TOOLS/." "$stage/usr/bin/"
fi
# QEMU's block layer for keel-dm's qcow2 disks (qemu-storage-daemon) and qemu-img, and what
# the default network needs (iproute2's ip, nftables' nft, dnsmasq), with the shared libraries
# they link, from the Debian packages installed here (qemu-system-common, qemu-utils, iproute2,
# nftables, dnsmasq-base). They replace busybox's applets of the same name.
for b in /usr/bin/qemu-storage-daemon /usr/bin/qemu-img /usr/sbin/ip /usr/sbin/nft /usr/sbin/dnsmasq; do
    [ -x "$b" ] || { echo "rootfs: $b missing (scripts/deps.sh installs it)" >&2; exit 1; }
    rm -f "$stage/bin/$(basename "$b")" "$stage/sbin/$(basename "$b")" "$stage$b"
    cp "$b" "$stage$b"
    for lib in $(ldd "$b" | grep -oE '/[^ ]+\.so[^ ]*'); do
        mkdir -p "$stage$(dirname "$lib")"
        cp -L "$lib" "$stage$lib"
    done
done
# Keel's own module (keel.ko, built against this kernel's headers), where modprobe finds it.
if [ -n "${DOM0_KMOD:-}" ]; then
    ver=$(cat "$kdir/version")
    mkdir -p "$stage/lib/modules/$ver/extra"
    cp "$DOM0_KMOD" "$stage/lib/modules/$ver/extra/keel.ko"
    /bin/busybox depmod -b "$stage" "$ver"
fi
# What kl needs to run a domU out of the box: /etc/keel/*.cfg and the files
# they name (the demo kernel and initramfs, test kernels) in /usr/lib/keel.
mkdir -p "$stage/etc/keel"
cp "$here"/etc-keel/*.cfg "$stage/etc/keel/"
mkdir -p "$stage/usr/lib/keel"
cp "$here/test-lib.sh" "$stage/usr/lib/keel/test-lib.sh"   # what the scenario and bench scripts share
cp "$here/domu-test" "$stage/usr/lib/keel/domu-test"       # the boot test's kl scenarios
cp "$here/disk-test" "$stage/usr/lib/keel/disk-test"       # the storage scenarios
cp "$here/disk-bench" "$stage/usr/lib/keel/disk-bench"     # make bench's disk figures
cp "$here/keel-network" "$stage/usr/lib/keel/keel-network" # the default network (kl create runs it)
cp "$here/net-test" "$stage/usr/lib/keel/net-test"         # the network scenarios
cp "$here/net-bench" "$stage/usr/lib/keel/net-bench"       # make bench's network figures
if [ -n "${DOM0_KEEL:-}" ] && [ -d "$DOM0_KEEL" ]; then
    cp -a "$DOM0_KEEL/." "$stage/usr/lib/keel/"
fi
# The shipped demo's root disk: the demo initramfs's tree as an ext4 image
# (mke2fs -d), as compressed qcow2 (qemu-img), where xl keeps images.
if [ -f "$stage/usr/lib/keel/demo-initrd.cpio" ]; then
    tree=$(mktemp -d)
    (cd "$tree" && /bin/busybox cpio -i -d -m 2>/dev/null < "$stage/usr/lib/keel/demo-initrd.cpio")
    touch "$tree/etc/keel-on-disk"
    echo "demo-disk" > "$tree/etc/hostname"
    mke2fs -q -t ext4 -L demo-root -d "$tree" -F "$tree.img" 64M > /dev/null
    mkdir -p "$stage/var/lib/keel/images"
    qemu-img convert -c -f raw -O qcow2 "$tree.img" "$stage/var/lib/keel/images/demo.qcow2"
    rm -rf "$tree" "$tree.img"
fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$stage/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
echo "dom0" > "$stage/etc/hostname"
# No device nodes in the archive (no root needed to build it): /init mounts
# devtmpfs and opens /dev/console itself.
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) > "$out.tmp"
mv "$out.tmp" "$out"
echo "rootfs: $out ($(du -k "$out" | cut -f1) KiB)"
