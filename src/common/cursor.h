/*
 * Bounded cursor over untrusted bytes (internal).
 *
 * Every parser of network input reads through one of these. Bounds are
 * checked against the remaining length, never by forming a pointer past the
 * end. Accessors return false on short input and leave the cursor unchanged.
 */
#ifndef TA_COMMON_CURSOR_H
#define TA_COMMON_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ta_cursor {
    const uint8_t *p;   /* next byte to read */
    const uint8_t *end; /* one past the last valid byte */
};

static inline void ta_cursor_init(struct ta_cursor *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->end = p + len;
}

static inline size_t ta_cursor_left(const struct ta_cursor *c)
{
    return (size_t)(c->end - c->p);
}

static inline bool ta_cursor_skip(struct ta_cursor *c, size_t n)
{
    if (ta_cursor_left(c) < n)
        return false;
    c->p += n;
    return true;
}

static inline bool ta_cursor_u8(struct ta_cursor *c, uint8_t *out)
{
    if (ta_cursor_left(c) < 1)
        return false;
    *out = c->p[0];
    c->p += 1;
    return true;
}

static inline bool ta_cursor_u16be(struct ta_cursor *c, uint16_t *out)
{
    if (ta_cursor_left(c) < 2)
        return false;
    *out = (uint16_t)((unsigned)c->p[0] << 8 | c->p[1]);
    c->p += 2;
    return true;
}

static inline bool ta_cursor_u24be(struct ta_cursor *c, uint32_t *out)
{
    if (ta_cursor_left(c) < 3)
        return false;
    *out = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
    c->p += 3;
    return true;
}

static inline bool ta_cursor_u32be(struct ta_cursor *c, uint32_t *out)
{
    if (ta_cursor_left(c) < 4)
        return false;
    *out = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 | c->p[3];
    c->p += 4;
    return true;
}

/* Borrow a view of n bytes; valid while the underlying buffer is. */
static inline bool ta_cursor_view(struct ta_cursor *c, size_t n, const uint8_t **out)
{
    if (ta_cursor_left(c) < n)
        return false;
    *out = c->p;
    c->p += n;
    return true;
}

/* A sub-cursor over the next n bytes; the parent advances past them. */
static inline bool ta_cursor_sub(struct ta_cursor *c, size_t n, struct ta_cursor *sub)
{
    const uint8_t *v;
    if (!ta_cursor_view(c, n, &v))
        return false;
    ta_cursor_init(sub, v, n);
    return true;
}

static inline uint16_t ta_rd16be(const uint8_t *p)
{
    return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t ta_rd32be(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
