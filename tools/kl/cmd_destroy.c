/* kl destroy DOMAIN: stop it now, free its memory (nothing of it is kept). */
#include "kl.h"

int cmd_destroy(int argc, char **argv)
{
    return kl_domain_op(argc, argv, keel_domain_destroy);
}
