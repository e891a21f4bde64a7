/* libFuzzer: xl.cfg parsing (kl create) on arbitrary files, strict and lax, then the checks. */
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include "kl_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kl_config c;
    char err[128], line[KL_CMDLINE_MAX];

    for (int lax = 0; lax < 2; lax++) {
        kl_config_init(&c);
        if (kl_config_parse(&c, (const char *)data, size, "fuzz.cfg", lax, err, sizeof(err))) {
            if (strncmp(err, "fuzz.cfg:", 9))
                __builtin_trap();           /* every error names the place */
            continue;
        }
        if (c.nr_disks > KL_LIST_MAX || c.nr_vifs > KL_LIST_MAX || strlen(c.name) >= KL_NAME_MAX)
            __builtin_trap();
        /* What kl hands on (dnsmasq's hosts files, interface names) is what the parser promised. */
        for (unsigned i = 0; i < c.nr_vifs; i++) {
            struct in_addr a;
            if (c.vif[i].ip[0] && inet_pton(AF_INET, c.vif[i].ip, &a) != 1)
                __builtin_trap();
            if (strpbrk(c.vif[i].bridge, " \n,;/") || strpbrk(c.vif[i].vifname, " \n,;/") ||
                (c.vif[i].has_mac && (c.vif[i].mac[0] & 1)))
                __builtin_trap();
        }
        if (!kl_config_finish(&c, err, sizeof(err)) &&
            (!c.name[0] || !c.kernel[0] || c.vcpus > c.maxvcpus || c.memory_mb > c.maxmem_mb))
            __builtin_trap();
        kl_config_cmdline(&c, line, sizeof(line));
    }
    return 0;
}
