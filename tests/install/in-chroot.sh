#!/bin/sh
# Run by image.sh inside the new system's root: Keel's packages installed,
# removed and purged (nothing may stay behind), installed again; then the
# system configured as the test boots it.
set -eu
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
kver=$(ls /lib/modules | sort -V | tail -1)
debs=$(ls /tmp/debs/*.deb)
pkgs="keel-hypervisor keel-hypervisor-dbg keel-utils libkeel0 libkeel-dev keel-dkms"

# What the file system holds, less what changes by itself (caches, logs, dpkg's and apt's own records).
files() {
    find / -xdev \( -path /proc -o -path /sys -o -path /dev -o -path /tmp -o -path /run -o -path /var/cache \
        -o -path /var/log -o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /root \) -prune -o -print | sort
}
files > /tmp/files.before
apt-get install -y -q $debs > /tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
# DKMS built keel.ko for the installed kernel (not only for the builder's running one).
dkms status keel 2>&1 | grep -q "$kver.*installed" || dkms install -q keel/"$(dpkg-query -W -f='${Version}' keel-dkms)" -k "$kver"
dkms status keel | grep "$kver" | grep -q installed || { echo "KEEL-CHROOT-FAIL: keel.ko not built for $kver"; dkms status; exit 1; }
missing=0
for p in $pkgs; do
    for f in $(dpkg -L "$p"); do
        [ -e "$f" ] || { echo "KEEL-CHROOT-FAIL: dpkg -L $p lists $f, which is missing"; missing=1; }
    done
done
[ $missing = 0 ]
systemctl is-enabled keel.service keel-domains.service > /tmp/enabled || true
echo "KEEL-CHROOT: installed; units $(tr '\n' ' ' < /tmp/enabled); keel.ko for $kver: $(find /lib/modules/$kver -name 'keel.ko*' | wc -l)"
dpkg -r $pkgs > /tmp/remove.log 2>&1 || { cat /tmp/remove.log; exit 1; }
files > /tmp/files.removed
dpkg --purge $pkgs > /tmp/purge.log 2>&1 || { cat /tmp/purge.log; exit 1; }
files > /tmp/files.purged
# Removed: only conffiles (and the directories holding them) may stay; purged: nothing.
# (and the units' enablement, which deb-systemd-helper keeps until the purge, as for every package)
left=$(comm -13 /tmp/files.before /tmp/files.removed |
       grep -vE '^/etc/(keel|default/keel|grub.d/20_linux_keel)|keel(-domains)?\.service(\.dsh-also)?$' || true)
[ -z "$left" ] || { echo "KEEL-CHROOT-FAIL: dpkg -r left: $(echo $left)"; exit 1; }
left=$(comm -3 /tmp/files.before /tmp/files.purged || true)
[ -z "$left" ] || { echo "KEEL-CHROOT-FAIL: dpkg --purge left or took: $(echo $left)"; exit 1; }
echo "KEEL-CHROOT: removed and purged: nothing left behind ($(wc -l < /tmp/files.before) paths compared)"
apt-get install -y -q $debs > /tmp/apt.log 2>&1 || { cat /tmp/apt.log; exit 1; }
dkms status keel | grep "$kver" | grep -q installed || dkms install -q keel/"$(dpkg-query -W -f='${Version}' keel-dkms)" -k "$kver"

# The system as the test boots it: root and ESP by UUID, GRUB and every console on the serial line.
cat /proc/sys/kernel/random/uuid > /etc/keel-test-root-uuid
printf '%04X-%04X\n' $(( $(od -An -N2 -tu2 /dev/urandom) )) $(( $(od -An -N2 -tu2 /dev/urandom) )) > /etc/keel-test-esp-id
cat > /etc/fstab <<EOT
UUID=$(cat /etc/keel-test-root-uuid) / ext4 errors=remount-ro 0 1
UUID=$(cat /etc/keel-test-esp-id) /boot/efi vfat umask=0077 0 1
EOT
mkdir -p /boot/efi
echo keelhost > /etc/hostname
passwd -d root > /dev/null
cat >> /etc/default/grub <<'EOT'
GRUB_DEFAULT=saved
GRUB_TIMEOUT=2
GRUB_TERMINAL="serial console"
GRUB_SERIAL_COMMAND="serial --unit=0 --speed=115200"
GRUB_CMDLINE_LINUX="console=ttyS0,115200"
GRUB_CMDLINE_LINUX_DEFAULT=""
GRUB_DISABLE_OS_PROBER=true
EOT
# Keel's options, where a user puts them.
sed -i 's|^#KEEL_CMDLINE=.*|KEEL_CMDLINE="console=com1 com1=115200 loglvl=info dom0_mem=1024M"|' /etc/default/keel
# A domain started at boot, its disk a qcow2 image on dom0's file system.
cat > /etc/keel/auto/web.cfg <<'EOT'
name = "web"
memory = 128
kernel = "/var/lib/keel/images/vmlinux.gz"
ramdisk = "/var/lib/keel/images/demo-initrd.cpio"
extra = "console=ttyS0 keel.root=/dev/vda"
disk = [ "format=qcow2, vdev=xvda, access=rw, target=/var/lib/keel/images/web.qcow2" ]
EOT
# The test's own checks (tests/install/check), after keel-domains.
install -m 0755 /tmp/firstboot /usr/local/sbin/keel-firstboot
install -m 0755 /tmp/check /usr/local/sbin/keel-install-check
cat > /etc/systemd/system/keel-install-check.service <<'EOT'
[Unit]
Description=Keel installed-system test: check, then power off
After=keel-domains.service multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/keel-install-check
StandardOutput=journal+console
[Install]
WantedBy=multi-user.target
EOT
systemctl enable keel-install-check.service > /dev/null 2>&1
rm -rf /tmp/debs
