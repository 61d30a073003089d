#!/usr/bin/env python3
"""Send the UDP payloads of classic pcap files to 127.0.0.1:PORT from a given source address.

    udp-replay.py PORT SRC_ADDR FILE.pcap...

Each file's UDP payloads (Ethernet/IPv4, as the export captures hold them) are sent in
order from SRC_ADDR (a 127.x.y.z address: every one of them is local on Linux), as one
exporter would send them. Exit 0 when every payload was sent.
"""
import socket
import struct
import sys


def payloads(path):
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xa1b2c3d4, 0xa1b23c4d) else ">"
    link = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = 14 if link == 1 else 0
        if link == 1 and frame[12:14] == b"\x81\x00":
            l2 = 18
        ip = frame[l2:]
        if not ip or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:]
        ln = struct.unpack(">H", udp[4:6])[0]
        yield udp[8:ln]


def main():
    port, src = int(sys.argv[1]), sys.argv[2]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    for f in sys.argv[3:]:
        for p in payloads(f):
            s.sendto(p, ("127.0.0.1", port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
