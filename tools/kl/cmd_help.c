/* kl help [COMMAND] */
#include <stdio.h>
#include <string.h>
#include "kl.h"

int cmd_help(int argc, char **argv)
{
    if (argc > 1) {
        for (const struct kl_command *c = kl_commands; c->name; c++)
            if (!strcmp(c->name, argv[1])) {
                printf("Usage: kl %s %s\n\n%s.\n", c->name, c->usage, c->summary);
                return 0;
            }
        return kl_error("help", "'%s' is not a command", argv[1]);
    }
    printf("Usage: kl COMMAND [ARGS]\n\nCommands:\n");
    for (const struct kl_command *c = kl_commands; c->name; c++)
        printf("  %-10s %s\n", c->name, c->summary);
    return 0;
}
