/* kl unpause DOMAIN: undo one `kl pause` (or start a domain created with -p). */
#include "kl.h"

int cmd_unpause(int argc, char **argv)
{
    return kl_domain_op(argc, argv, keel_domain_unpause);
}
