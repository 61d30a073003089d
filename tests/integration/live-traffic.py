#!/usr/bin/env python3
"""Traffic for the live-capture tests (only to 127.0.0.1, or inside a network
namespace the test made).

  live-traffic.py http PORT HOST COUNT [ALERTS WITHIN]
      COUNT HTTP transactions to 127.0.0.1:PORT (a server of its own there),
      each on a new connection, with Host: HOST. With ALERTS (a file) and
      WITHIN (seconds): after each response, wait for one more line naming
      HOST in ALERTS and fail (exit 1) if it takes longer than WITHIN.
      Prints the slowest wait.
  live-traffic.py craft PCAP
      Write a capture of HTTP sessions between public addresses (C&C requests
      by Host, a phishing URL, a benign one), stamped with the current time.
  live-traffic.py craft6 PCAP
      Write a capture of IPv6 HTTP sessions whose two directions carry different
      flow labels (as two Linux hosts choose them), stamped with the current time.
  live-traffic.py replay PCAP IFACE
      Send every frame of PCAP on IFACE (an AF_PACKET socket), in order.
"""
import os
import socket
import struct
import sys
import threading
import time


def count_lines(path, needle):
    try:
        with open(path, "rb") as f:
            return sum(1 for line in f if needle in line)
    except FileNotFoundError:
        return 0


def http(port, host, count, alerts=None, within=None):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(16)
    held = []

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            c.recv(4096)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok")
            held.append(c)

    threading.Thread(target=serve, daemon=True).start()
    needle = ('"hostname":"%s"' % host).encode()
    before = count_lines(alerts, needle) if alerts else 0
    worst = 0.0
    gap = float(os.environ.get("LIVE_GAP", "0"))  # seconds between transactions
    for i in range(count):
        c = socket.create_connection(("127.0.0.1", port))
        c.sendall(("GET /gate.php?n=%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: live-test\r\n\r\n"
                   % (i, host)).encode())
        got = b""
        while b"\r\n\r\nok" not in got:
            d = c.recv(4096)
            if not d:
                break
            got += d
        # The response completes the transaction: the clock starts here.
        t0 = time.monotonic()
        if alerts:
            while count_lines(alerts, needle) < before + i + 1:
                if time.monotonic() - t0 > within:
                    print("FAIL: no alert for %s request %d within %.1f s" % (host, i, within))
                    return 1
                time.sleep(0.005)
            worst = max(worst, time.monotonic() - t0)
        c.close()
        if gap:
            time.sleep(gap)
    srv.close()
    print("%d transactions to %s; slowest alert %.3f s" % (count, host, worst))
    return 0


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return (~s) & 0xFFFF


def frame(src, dst, sp, dp, seq, ack, flags, payload=b""):
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    return eth + ip + tcp


def session(cli, srv, sport, host, path):
    req = ("GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
           % (path, host)).encode()
    resp = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
    c, s = 1000, 5000
    return [
        frame(cli, srv, sport, 80, c, 0, 0x02),
        frame(srv, cli, 80, sport, s, c + 1, 0x12),
        frame(cli, srv, sport, 80, c + 1, s + 1, 0x10),
        frame(cli, srv, sport, 80, c + 1, s + 1, 0x18, req),
        frame(srv, cli, 80, sport, s + 1, c + 1 + len(req), 0x18, resp),
        frame(cli, srv, sport, 80, c + 1 + len(req), s + 1 + len(resp), 0x11),
        frame(srv, cli, 80, sport, s + 1 + len(resp), c + 2 + len(req), 0x11),
        frame(cli, srv, sport, 80, c + 2 + len(req), s + 2 + len(resp), 0x10),
    ]


def craft(path):
    frames = []
    # Hosts of the constituency contacting two C&C servers by name, a phishing page, a clean site.
    plan = [
        ("203.0.113.10", "198.51.100.7", 40001, "evil.live.example", "/gate.php"),
        ("203.0.113.11", "198.51.100.7", 40002, "evil.live.example", "/gate.php"),
        ("203.0.113.12", "198.51.100.9", 40003, "evil.live.example", "/gate.php"),
        ("203.0.113.10", "192.0.2.44", 40004, "bank-login.live.example", "/secure/login.html"),
        ("203.0.113.13", "192.0.2.45", 40005, "clean.live.example", "/index.html"),
    ]
    for cli, srv, sp, host, p in plan:
        frames += session(cli, srv, sp, host, p)
    write_pcap(path, frames)
    return 0


def frame6(src, dst, sp, dp, seq, ack, flags, label, payload=b""):
    s6, d6 = socket.inet_pton(socket.AF_INET6, src), socket.inet_pton(socket.AF_INET6, dst)
    tcp = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + payload
    pseudo = s6 + d6 + struct.pack("!IxxxB", len(tcp), 6)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!IHBB", (6 << 28) | label, len(tcp), 6, 64) + s6 + d6
    return b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x86\xdd" + ip + tcp


def craft6(path):
    frames = []
    req = b"GET /v6 HTTP/1.1\r\nHost: v6.live.example\r\nUser-Agent: live-test\r\n\r\n"
    resp = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    for i in range(40):
        cli, srv, sp = "2001:db8::%x" % (i + 1), "2001:db8:1::%x" % (i % 5 + 1), 41000 + i
        lc, ls = 0x10000 + i * 7919 % 0xFFFFF, 0x80000 + i * 104729 % 0x7FFFF
        c, s = 1000, 5000
        frames += [
            frame6(cli, srv, sp, 80, c, 0, 0x02, lc),
            frame6(srv, cli, 80, sp, s, c + 1, 0x12, ls),
            frame6(cli, srv, sp, 80, c + 1, s + 1, 0x10, lc),
            frame6(cli, srv, sp, 80, c + 1, s + 1, 0x18, lc, req),
            frame6(srv, cli, 80, sp, s + 1, c + 1 + len(req), 0x18, ls, resp),
            frame6(cli, srv, sp, 80, c + 1 + len(req), s + 1 + len(resp), 0x11, lc),
            frame6(srv, cli, 80, sp, s + 1 + len(resp), c + 2 + len(req), 0x11, ls),
            frame6(cli, srv, sp, 80, c + 2 + len(req), s + 2 + len(resp), 0x10, lc),
        ]
    write_pcap(path, frames)
    return 0


def write_pcap(path, frames):
    now = time.time()
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            t = now + i * 0.001
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(fr), len(fr)))
            f.write(fr)


def replay(path, iface):
    data = open(path, "rb").read()
    off = 24
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    n = 0
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack("<IIII", data[off:off + 16])
        s.send(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
        n += 1
        # Gentle: one frame a millisecond keeps the capture ring far from full.
        time.sleep(0.001)
    print("replayed %d frames on %s" % (n, iface))
    return 0


def main(a):
    if len(a) >= 4 and a[0] == "http":
        alerts = a[4] if len(a) > 4 else None
        within = float(a[5]) if len(a) > 5 else None
        return http(int(a[1]), a[2], int(a[3]), alerts, within)
    if len(a) == 2 and a[0] == "craft":
        return craft(a[1])
    if len(a) == 2 and a[0] == "craft6":
        return craft6(a[1])
    if len(a) == 3 and a[0] == "replay":
        return replay(a[1], a[2])
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
