/*
 * Fuzz target: the AF_PACKET ring walker (ta_afpacket_walk_block) on a
 * block of any bytes, as a kernel bug or a corrupted ring could leave it.
 * Every frame delivered lies inside the block, no more frames come out
 * than the block announces, and each is read whole (ASan sees a read past
 * the input). The walk is the same with the block at an odd address.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "threatatlas/source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct span {
    const uint8_t *lo, *hi;
    uint32_t n;
    uint64_t sum;
};

static void on_frame(void *ud, const struct ta_afpacket_frame *f)
{
    struct span *s = ud;
    if (f->data < s->lo || f->data > s->hi || f->caplen > (size_t)(s->hi - f->data))
        abort();
    if (f->wirelen < f->caplen)
        abort();
    for (uint32_t i = 0; i < f->caplen; i++)
        s->sum += f->data[i];
    s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size + 1);
    if (copy == NULL)
        return 0;
    memcpy(copy + 1, data, size);
    struct span a = {data, data + size, 0, 0}, b = {copy + 1, copy + 1 + size, 0, 0};
    uint64_t bad_a = 0, bad_b = 0;
    bool skip = size > 0 && (data[size - 1] & 1);
    uint32_t na = ta_afpacket_walk_block(data, size, skip, on_frame, &a, &bad_a);
    uint32_t nb = ta_afpacket_walk_block(copy + 1, size, skip, on_frame, &b, &bad_b);
    if (na != a.n || na != nb || a.sum != b.sum || bad_a != bad_b || bad_a > 1)
        abort();
    if (size >= 16) {
        uint32_t announced;
        memcpy(&announced, data + 12, 4);
        if (na > announced)
            abort();
    }
    free(copy);
    return 0;
}
