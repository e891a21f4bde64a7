/* libFuzzer: SVM's decoder of intercepted instructions (guest bytes) and the guest's PIT. */
#include <stdint.h>
#include <string.h>
#include <asm/svm.h>
#include <asm/vpit.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct svm_insn in;
    struct vpit p;
    unsigned n = size < 15 ? (unsigned)size : 15, len;

    for (int mode64 = 0; mode64 < 2; mode64++) {
        memset(&in, 0xa5, sizeof(in));
        len = svm_decode(data, n, mode64, &in);
        /* A length is within what was read and covers the prefixes and the opcode. */
        if (len > n || (len && len <= in.prefixes))
            __builtin_trap();
    }
    /* The PIT: each three bytes are a port, a value and a time step. */
    vpit_reset(&p);
    for (size_t i = 0; i + 3 <= size; i += 3) {
        static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
        uint16_t port = ports[data[i] % 5];
        uint64_t now = (uint64_t)data[i + 2] << (data[i] & 63);
        if (data[i] & 0x80)
            vpit_write(&p, port, data[i + 1], now, data[i + 1] & 1 ? 2000000 : 0);
        else
            (void)vpit_read(&p, port, now, 2000000);
    }
    return 0;
}
