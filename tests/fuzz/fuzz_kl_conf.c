/* libFuzzer: keel.conf parsing (every kl command reads it) on arbitrary files. */
#include <stdint.h>
#include <string.h>
#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct kl_conf c;
    char err[256];

    kl_conf_defaults(&c);
    if (kl_conf_parse(&c, (const char *)data, size, "keel.conf", err, sizeof(err)) &&
        !strstr(err, "keel.conf:"))
        __builtin_trap();                   /* an error names the place */
    /* What reaches keel-dm and mkdir: an interface name, an absolute path. */
    if (memchr(c.default_bridge, '\0', sizeof(c.default_bridge)) == NULL ||
        strpbrk(c.default_bridge, " /:\n\t") || c.dump_dir[0] != '/' ||
        memchr(c.dump_dir, '\0', sizeof(c.dump_dir)) == NULL)
        __builtin_trap();
    return 0;
}
