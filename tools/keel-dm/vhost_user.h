/*
 * The front end of the vhost-user protocol (QEMU's docs/interop/vhost-user.rst):
 * keel-dm keeps the virtio transport, a back end in another process
 * (qemu-storage-daemon's vhost-user-blk export) runs the virtqueues in the
 * domain's RAM, which it maps from the file descriptor it is given.
 * Kicks and calls are eventfds.
 */
#ifndef KEEL_DM_VHOST_USER_H
#define KEEL_DM_VHOST_USER_H
#include <stddef.h>
#include <stdint.h>

#define VHOST_USER_GET_FEATURES         1
#define VHOST_USER_SET_FEATURES         2
#define VHOST_USER_SET_OWNER            3
#define VHOST_USER_SET_MEM_TABLE        5
#define VHOST_USER_SET_VRING_NUM        8
#define VHOST_USER_SET_VRING_ADDR       9
#define VHOST_USER_SET_VRING_BASE       10
#define VHOST_USER_GET_VRING_BASE       11
#define VHOST_USER_SET_VRING_KICK       12
#define VHOST_USER_SET_VRING_CALL       13
#define VHOST_USER_GET_PROTOCOL_FEATURES 15
#define VHOST_USER_SET_PROTOCOL_FEATURES 16
#define VHOST_USER_SET_VRING_ENABLE     18
#define VHOST_USER_GET_CONFIG           24
#define VHOST_USER_F_PROTOCOL_FEATURES  30
#define VHOST_USER_PROTOCOL_F_REPLY_ACK 3
#define VHOST_USER_PROTOCOL_F_CONFIG    9
#define VHOST_USER_VERSION              1u
#define VHOST_USER_REPLY                (1u << 2)
#define VHOST_USER_NEED_REPLY           (1u << 3)
#define VHOST_USER_MAX_PAYLOAD          280     /* the memory table: 8 + 8 regions of 32 bytes */

struct vhost_user_msg {
    uint32_t request, flags, size;
    union {
        uint64_t u64;
        struct { uint32_t index, num; } state;
        struct { uint32_t index, flags; uint64_t desc, used, avail, log; } addr;
        struct { uint32_t nregions, padding; struct { uint64_t gpa, size, uaddr, mmap_offset; } r[8]; } mem;
        struct { uint32_t offset, size, flags; uint8_t data[256]; } config;
        uint8_t raw[VHOST_USER_MAX_PAYLOAD];
    } u;
} __attribute__((packed));

/* Pure: a reply checked against the request it answers (0 or -1), host-tested. */
int vhost_user_check_reply(const struct vhost_user_msg *req, const struct vhost_user_msg *rep, size_t got);

struct vhost_user {
    int sock;
    uint64_t features;                  /* the back end's */
    uint64_t protocol;                  /* negotiated protocol features */
};

/* Connect to @path (retrying while the back end starts, up to @wait_ms) and read its features: 0 or -errno. */
int vhost_user_connect(struct vhost_user *vu, const char *path, int wait_ms);
/* One request; with @reply, its answer into @m. @fd: one descriptor to pass (-1: none). 0 or -errno. */
int vhost_user_call(struct vhost_user *vu, struct vhost_user_msg *m, int fd, int reply);
#endif
