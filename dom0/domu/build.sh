#!/usr/bin/env bash
# dom0/domu/build.sh OUT.cpio: the demo domU's initramfs (newc cpio,
# uncompressed): busybox (busybox-static) and dom0/domu/init. Small on
# purpose: it rides inside dom0's own initramfs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "$1")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
cp /bin/busybox "$stage/bin/busybox"
for a in $(/bin/busybox --list-full); do
    [ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
cp "$here/init" "$stage/init"
chmod 755 "$stage/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "demo" > "$stage/etc/hostname"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) > "$out.tmp"
mv "$out.tmp" "$out"
