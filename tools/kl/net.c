/*
 * A domain's vifs on dom0's side, before keel-dm plugs them (kl create,
 * kl network-attach): the default network and the fixed leases of ip=.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "kl.h"
#include "kl_devspec.h"

#define NET_SCRIPT      KL_LIBEXEC "/keel-network"     /* makes the default network (KEEL_NETWORK overrides) */
#define DHCP_HOSTS_DIR  "/run/keel/dhcp-hosts"  /* ip= of default-network vifs, for its dnsmasq */

/*
 * What the domain's vifs need before keel-dm plugs them: the default
 * network (keelbr0 with NAT and DHCP, made by NET_SCRIPT the first time
 * one asks for it, as libvirt's "default" network) and the fixed
 * addresses their ip= ask its DHCP server for. 0, or -1 after saying why.
 */
int kl_net_setup(const char *cmd, const char *name, const struct kl_vif *vifs, unsigned nr, unsigned first_devid)
{
    const char *script = getenv("KEEL_NETWORK") ? getenv("KEEL_NETWORK") : NET_SCRIPT;
    int want_default = 0, status;
    struct stat st;

    for (unsigned i = 0; i < nr; i++) {
        const struct kl_vif *v = &vifs[i];
        unsigned devid = first_devid + i;
        char path[160];
        uint8_t mac[6];
        FILE *f;

        if (v->model[0] && strncmp(v->model, "virtio", 6))
            fprintf(stderr, "kl: vif %u: model=%s is not emulated: the domain gets virtio-net\n", devid, v->model);
        if (v->bridge[0])
            continue;
        want_default = 1;
        if (!v->ip[0])
            continue;
        memcpy(mac, v->mac, 6);
        if (!v->has_mac)
            kl_vif_default_mac(name, devid, mac);
        mkdir("/run", 0755);
        mkdir("/run/keel", 0755);
        mkdir(DHCP_HOSTS_DIR, 0755);
        snprintf(path, sizeof(path), "%s/%s.%u", DHCP_HOSTS_DIR, name, devid);
        f = fopen(path, "w");
        if (!f)
            return kl_error(cmd, "vif %u: cannot record ip=%s in %s: %s", devid, v->ip, path, strerror(errno)), -1;
        fprintf(f, "%02x:%02x:%02x:%02x:%02x:%02x,%s\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], v->ip);
        fclose(f);
    }
    if (!want_default || !stat("/sys/class/net/" KL_DEFAULT_BRIDGE, &st))
        return 0;
    pid_t pid = fork();
    if (pid == 0) {
        execl(script, script, "up", (char *)NULL);
        fprintf(stderr, "kl: %s: %s: %s\n", cmd, script, strerror(errno));
        _exit(127);
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        kl_error(cmd, "the default network (%s) could not be made: %s up failed", KL_DEFAULT_BRIDGE, script);
        return -1;
    }
    return 0;
}
