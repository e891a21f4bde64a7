#!/usr/bin/env bash
# dom0/domu/build.sh OUT.cpio KERNELDIR: the demo domU's initramfs (newc
# cpio, uncompressed): busybox (busybox-static), dom0/domu/init, the kernel
# modules dom0/domu/modules lists (from scripts/fetch-kernel.sh's KERNELDIR)
# and acpid's power-button action. Small on purpose: it rides inside dom0's
# own initramfs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(realpath -m "$1")
kdir=$(realpath "$2")
ver=$(cat "$kdir/version")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,root,etc}
cp /bin/busybox "$stage/bin/busybox"
for a in $(/bin/busybox --list-full); do
    [ -e "$stage/$a" ] || ln -s /bin/busybox "$stage/$a"
done
cp "$here/init" "$stage/init"
# Static tools the demo carries (make bench's keel-bench-io), when make passes them.
for t in ${DOMU_TOOLS:-}; do cp "$t" "$stage/usr/bin/"; done
# The listed modules and what they depend on, with a modules.dep for modprobe.
bash "$here/../../scripts/copy-modules.sh" "$kdir/modules" "$stage" "$ver" $(sed 's/#.*//' "$here/modules")
/bin/busybox depmod -b "$stage" "$ver"
sed 's/#.*//' "$here/modules" | xargs -n1 > "$stage/etc/modules"
# busybox acpid runs /etc/acpi/PWRF/00000080 when the power button is pressed.
mkdir -p "$stage/etc/acpi/PWRF"
printf '#!/bin/sh\necho "KEEL-DOMU-POWER-BUTTON: powering off" > /dev/console\nsync\nsleep 1   # an attached console reads the line before the domain is gone\npoweroff -f\n' > "$stage/etc/acpi/PWRF/00000080"
chmod 755 "$stage/etc/acpi/PWRF/00000080"
# udhcpc's action when it gets a lease: the address, the default route, the DNS server.
cat > "$stage/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case $1 in
bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "${router:-}" ] && ip route add default via "${router%% *}" dev "$interface"
    [ -n "${dns:-}" ] && for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf
    ;;
esac
exit 0
EOF
chmod 755 "$stage/etc/udhcpc.script"
chmod 755 "$stage/init"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "demo" > "$stage/etc/hostname"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort | /bin/busybox cpio -o -H newc 2>/dev/null) > "$out.tmp"
mv "$out.tmp" "$out"
