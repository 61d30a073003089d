/*
 * Fuzz target: TCP reassembly under an HTTP flow. The input is a list of
 * segments: [dir|flags:1][seq offset:2][len:1][data:len]...; sequence
 * numbers are offsets from a base near the 2^32 wrap.
 */
#include "fuzz-proto-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ta_flow f;
    fz_flow(&f, 6, 8080);
    size_t off = 0;
    while (size - off >= 4) {
        uint8_t h = data[off];
        uint32_t seq = 0xffffff00u + (uint32_t)(data[off + 1] << 8 | data[off + 2]);
        size_t len = data[off + 3];
        off += 4;
        if (len > size - off)
            len = size - off;
        enum ta_flow_dir d = (h & 0x80) ? TA_DIR_TOCLIENT : TA_DIR_TOSERVER;
        struct ta_packet pk;
        memset(&pk, 0, sizeof(pk));
        pk.ip_proto = 6;
        pk.tcp_seq = seq;
        pk.tcp_ack = 0xffffff00u + (uint32_t)(h & 0x1f) * 64;
        pk.tcp_flags = (uint8_t)((h & 0x60) == 0x60 ? 0x02 : (h & 0x40) ? 0x14 : 0x10);
        pk.payload = data + off;
        pk.payload_len = (uint32_t)len;
        ta_proto_hooks()->packet(fz_proto(), &f, &pk, d, &fz_sink);
        off += len;
    }
    ta_proto_hooks()->flow_end(fz_proto(), &f, &fz_sink);
    return 0;
}
