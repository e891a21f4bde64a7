/* kl help [COMMAND]: as `xl help`. */
#include <getopt.h>
#include "kl.h"

int cmd_help(int argc, char **argv)
{
    while (kl_getopt(argc, argv, "", NULL, "help", 0) != -1)
        ;
    kl_help(optind < argc ? argv[optind] : NULL);
    return 0;
}
