"""A minimal MaxMind DB reader for tests (stdlib only): lookup(ip) -> record.

Implements the MaxMind DB format 2.0 (search tree + data section) far enough
to read country databases; used to check generated addresses independently of
the generator's own libmaxminddb lookups, without one process per address.
"""
import ipaddress
import struct

_META = b"\xab\xcd\xefMaxMind.com"


class Reader:
    def __init__(self, path):
        with open(path, "rb") as f:
            self.buf = f.read()
        m = self.buf.rfind(_META)
        if m < 0:
            raise ValueError("not a MaxMind DB")
        self.meta, _ = self._decode(m + len(_META), m + len(_META))
        self.nodes = self.meta["node_count"]
        self.rs = self.meta["record_size"]
        self.tree_size = (self.rs * 2 // 8) * self.nodes
        self.data = self.tree_size + 16
        self.v4start = 0
        if self.meta["ip_version"] == 6:
            node = 0
            for _ in range(96):
                if node >= self.nodes:
                    break
                node = self._record(node, 0)
            self.v4start = node

    def _record(self, node, bit):
        b, rs = self.buf, self.rs
        off = node * rs * 2 // 8
        if rs == 24:
            o = off + bit * 3
            return int.from_bytes(b[o:o + 3], "big")
        if rs == 28:
            if bit == 0:
                return ((b[off + 3] & 0xF0) << 20) | int.from_bytes(b[off:off + 3], "big")
            return ((b[off + 3] & 0x0F) << 24) | int.from_bytes(b[off + 4:off + 7], "big")
        o = off + bit * 4
        return int.from_bytes(b[o:o + 4], "big")

    def lookup(self, ip):
        a = ipaddress.ip_address(ip)
        bits = a.packed
        node = self.v4start if a.version == 4 else 0
        for i in range(len(bits) * 8):
            if node >= self.nodes:
                break
            node = self._record(node, (bits[i >> 3] >> (7 - (i & 7))) & 1)
        if node == self.nodes:
            return None
        off = node - self.nodes - 16 + self.data
        return self._decode(off, self.data)[0]

    def _decode(self, off, base):
        b = self.buf
        ctrl = b[off]
        off += 1
        t = ctrl >> 5
        if t == 1:  # pointer
            ss = (ctrl >> 3) & 3
            v = ctrl & 7
            if ss == 0:
                p = (v << 8) | b[off]
                off += 1
            elif ss == 1:
                p = ((v << 16) | int.from_bytes(b[off:off + 2], "big")) + 2048
                off += 2
            elif ss == 2:
                p = ((v << 24) | int.from_bytes(b[off:off + 3], "big")) + 526336
                off += 3
            else:
                p = int.from_bytes(b[off:off + 4], "big")
                off += 4
            return self._decode(base + p, base)[0], off
        if t == 0:  # extended
            t = 7 + b[off]
            off += 1
        size = ctrl & 0x1F
        if size >= 29:
            n = size - 28
            extra = int.from_bytes(b[off:off + n], "big")
            off += n
            size = {1: 29, 2: 285, 3: 65821}[n] + extra
        if t == 2:
            return b[off:off + size].decode("utf-8"), off + size
        if t == 3:
            return struct.unpack(">d", b[off:off + 8])[0], off + 8
        if t == 4:
            return b[off:off + size], off + size
        if t in (5, 6, 9, 10):
            return int.from_bytes(b[off:off + size], "big"), off + size
        if t == 8:
            return int.from_bytes(b[off:off + size], "big", signed=True), off + size
        if t == 7:
            d = {}
            for _ in range(size):
                k, off = self._decode(off, base)
                d[k], off = self._decode(off, base)
            return d, off
        if t == 11:
            a = []
            for _ in range(size):
                v, off = self._decode(off, base)
                a.append(v)
            return a, off
        if t == 14:
            return bool(size), off
        if t == 15:
            return struct.unpack(">f", b[off:off + 4])[0], off + 4
        raise ValueError("unsupported MMDB type %d" % t)
