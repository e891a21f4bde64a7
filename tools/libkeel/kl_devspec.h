/*
 * xl's device specifications: a disk= entry (xl-disk-configuration(5)) and
 * a vif= entry (xl-network-configuration(5)). Pure parsers, host-tested and
 * fuzzed: the strings come from config files.
 */
#ifndef KL_DEVSPEC_H
#define KL_DEVSPEC_H
#include <stddef.h>
#include <stdint.h>

#define KL_DEV_PATH_MAX 256

struct kl_disk {
    char target[KL_DEV_PATH_MAX];   /* image file or block device */
    char format[8];                 /* "raw" or "qcow2" */
    char vdev[16];                  /* xvda, hda, sda, vda... */
    unsigned index;                 /* the vdev's disk number (a = 0): the guest's vdX order */
    int readonly;
    int cdrom;
    char backendtype[8];            /* "phy": keel-dm itself (raw only); "qdisk": qemu-storage-daemon */
};

/* The default network: a bridge with NAT and DHCP, made when a domain first needs it (keel-network). */
#define KL_DEFAULT_BRIDGE "keelbr0"
/* Default MACs: a locally administered prefix (02:6b:6c, "kl"), then 24 bits from the domain's name and the vif's index. */
#define KL_MAC_PREFIX0 0x02
#define KL_MAC_PREFIX1 0x6b
#define KL_MAC_PREFIX2 0x6c

struct kl_vif {
    uint8_t mac[6];
    int has_mac;
    char bridge[16];                /* empty: the default network */
    char vifname[16];
    char ip[16];                    /* an IPv4 address (dotted quad), checked */
    char model[16];
};

/*
 * Parse one entry into @d / @v: 0, or -1 with a message in @err and in
 * *@where the offset in @spec the message is about.
 */
int kl_disk_parse(const char *spec, struct kl_disk *d, char *err, size_t errlen, size_t *where);
int kl_vif_parse(const char *spec, struct kl_vif *v, char *err, size_t errlen, size_t *where);
/* Disk number @index (a struct kl_disk's) as the guest's virtio name, "vda".."vdzz": 0, or -1 if out of range. */
int kl_vdev_name(unsigned index, char *buf, size_t len);
/*
 * The MAC of vif @index of the domain named @name when its entry gives
 * none: the same across restarts (xl derives it at random; a stable one
 * keeps DHCP leases and firewall rules valid).
 */
void kl_vif_default_mac(const char *name, unsigned index, uint8_t mac[6]);
#endif
