/* kl help [COMMAND]: as `xl help`. */
#include "kl.h"

int cmd_help(int argc, char **argv)
{
    kl_help(argc > 1 ? argv[1] : NULL);
    return 0;
}
