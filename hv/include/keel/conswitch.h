/*
 * Console input switching, as Xen does it: three Ctrl-As in a row move the
 * input between the hypervisor and a guest; fewer are the guest's after all,
 * delivered before the character that followed them. Pure; host-tested.
 */
#ifndef KEEL_CONSWITCH_H
#define KEEL_CONSWITCH_H

#define CONSWITCH_CHAR  0x01            /* Ctrl-A */

struct conswitch {
    int count;                          /* Ctrl-As seen in a row */
    int to_keel;                        /* input goes to the hypervisor */
};

/*
 * Feed one received byte. Writes the bytes to deliver (to whoever has the
 * input now) into @out and returns how many (0-3); *switched is set when
 * this byte completed a switch.
 */
int conswitch_feed(struct conswitch *s, char c, char out[3], int *switched);
#endif
