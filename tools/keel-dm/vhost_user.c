/* vhost-user front end: messages over a UNIX socket, descriptors as SCM_RIGHTS (see vhost_user.h). */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "vhost_user.h"

#define HDR_SIZE 12u

int vhost_user_check_reply(const struct vhost_user_msg *req, const struct vhost_user_msg *rep, size_t got)
{
    if (got < HDR_SIZE || rep->request != req->request || (rep->flags & 3) != VHOST_USER_VERSION ||
        !(rep->flags & VHOST_USER_REPLY) || rep->size > VHOST_USER_MAX_PAYLOAD || got != HDR_SIZE + rep->size)
        return -1;
    return 0;
}

static int send_msg(int sock, const struct vhost_user_msg *m, int fd)
{
    struct iovec iov = { (void *)m, HDR_SIZE + m->size };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } c;
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    ssize_t n;

    if (fd >= 0) {
        memset(&c, 0, sizeof(c));
        mh.msg_control = c.buf;
        mh.msg_controllen = sizeof(c.buf);
        c.h.cmsg_level = SOL_SOCKET;
        c.h.cmsg_type = SCM_RIGHTS;
        c.h.cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(&c.h), &fd, sizeof(int));
    }
    do
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)iov.iov_len ? 0 : -EIO;
}

static int recv_msg(int sock, struct vhost_user_msg *m, size_t *got)
{
    ssize_t n;
    size_t have = 0;

    /* The header, then as much payload as it says (a stream: reads may come short). */
    while (have < HDR_SIZE) {
        n = read(sock, (char *)m + have, HDR_SIZE - have);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            return -EIO;
        have += n > 0 ? (size_t)n : 0;
    }
    if (m->size > VHOST_USER_MAX_PAYLOAD)
        return -EPROTO;
    while (have < HDR_SIZE + m->size) {
        n = read(sock, (char *)m + have, HDR_SIZE + m->size - have);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            return -EIO;
        have += n > 0 ? (size_t)n : 0;
    }
    *got = have;
    return 0;
}

int vhost_user_call(struct vhost_user *vu, struct vhost_user_msg *m, int fd, int reply)
{
    struct vhost_user_msg req = *m;
    int ack = !reply && (vu->protocol >> VHOST_USER_PROTOCOL_F_REPLY_ACK & 1);
    size_t got;
    int rc;

    req.flags = VHOST_USER_VERSION | (ack ? VHOST_USER_NEED_REPLY : 0);
    rc = send_msg(vu->sock, &req, fd);
    if (rc || (!reply && !ack))
        return rc;
    rc = recv_msg(vu->sock, m, &got);
    if (rc)
        return rc;
    if (vhost_user_check_reply(&req, m, got))
        return -EPROTO;
    if (ack)
        return m->size == 8 && m->u.u64 == 0 ? 0 : -EIO;     /* REPLY_ACK: 0 is success */
    return 0;
}

int vhost_user_connect(struct vhost_user *vu, const char *path, int wait_ms)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct vhost_user_msg m;
    int rc = -ENOENT;

    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    vu->protocol = 0;
    for (int t = 0; t <= wait_ms; t += 50) {
        vu->sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (vu->sock < 0)
            return -errno;
        if (!connect(vu->sock, (struct sockaddr *)&sa, sizeof(sa))) {
            rc = 0;
            break;
        }
        rc = -errno;
        close(vu->sock);
        vu->sock = -1;
        nanosleep(&(struct timespec){ 0, 50 * 1000000L }, NULL);
    }
    if (rc)
        return rc;
    m = (struct vhost_user_msg){ .request = VHOST_USER_GET_FEATURES };
    if ((rc = vhost_user_call(vu, &m, -1, 1)) || m.size != 8)
        return rc ? rc : -EPROTO;
    vu->features = m.u.u64;
    if (vu->features >> VHOST_USER_F_PROTOCOL_FEATURES & 1) {
        m = (struct vhost_user_msg){ .request = VHOST_USER_GET_PROTOCOL_FEATURES };
        if ((rc = vhost_user_call(vu, &m, -1, 1)) || m.size != 8)
            return rc ? rc : -EPROTO;
        uint64_t want = m.u.u64 & (1ull << VHOST_USER_PROTOCOL_F_CONFIG | 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
        m = (struct vhost_user_msg){ .request = VHOST_USER_SET_PROTOCOL_FEATURES, .size = 8, .u.u64 = want };
        if ((rc = vhost_user_call(vu, &m, -1, 0)))
            return rc;
        vu->protocol = want;
    }
    m = (struct vhost_user_msg){ .request = VHOST_USER_SET_OWNER };
    return vhost_user_call(vu, &m, -1, 0);
}
