/* Console input switching (see keel/conswitch.h). */
#include <keel/conswitch.h>

int conswitch_feed(struct conswitch *s, char c, char out[3], int *switched)
{
    int n = 0;

    *switched = 0;
    if (c == CONSWITCH_CHAR) {
        if (++s->count == 3) {
            s->count = 0;
            s->to_keel = !s->to_keel;
            *switched = 1;
        }
        return 0;
    }
    while (s->count) {                  /* one or two: they were meant for the guest */
        out[n++] = CONSWITCH_CHAR;
        s->count--;
    }
    out[n++] = c;
    return n;
}
