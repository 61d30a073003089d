#!/usr/bin/env python3
"""Compare observe's EVE netflow records with a reference decoding of the same exports.

    flows-compare.py EVE nfdump CSV      nfdump -o csv of the exports (nfcapd over UDP)
    flows-compare.py EVE pmacct JSON     nfacctd's JSON lines of the exports

Each record is reduced to (src, dst, sport, dport, proto, pkts, bytes[, start, end]) and
the two multisets must be equal. What the references cannot say is left out of the key,
by rule, not by record:
  - nfdump prints ICMP type/code as no port: ICMP records compare without ports;
  - nfdump prints 1970-01-01 when it found no time in a record it understood (the
    ipfixprobe, NAT and Cisco sampling exports carry times in elements it does not map),
    and ts > te when it swapped them (the Huawei export): times are compared only when its
    row has ts <= te and a year after 1970;
  - nfdump writes a row of zeros for a record without addresses, which is no observation.
pmacct: its packets and bytes are renormalised (multiplied by the sampling rate the
exporter announced); ours are the exported counts with the rate beside them
(threatatlas.sampling, written with --eve-extension), so ours times the rate must match.
Exit 0 same, 1 different (the differences printed), 2 usage.
"""
import csv
import ipaddress
import json
import sys

PROTO = {"TCP": 6, "UDP": 17, "ICMP": 1, "ICMP6": 58, "IPv6-ICMP": 58, "VRRP": 112, "GRE": 47,
         "ESP": 50}


def proto_num(p):
    if p in PROTO:
        return PROTO[p]
    return int(p)


def addr(a):
    ip = ipaddress.ip_address(a.strip())
    if ip.version == 6 and ip.ipv4_mapped is None and int(ip) >> 32 == 0 and int(ip) != 0:
        return str(ipaddress.IPv4Address(int(ip)))  # nfdump's ::a.b.c.d
    return str(ip)


def ours(path, scale):
    out = []
    for line in open(path):
        r = json.loads(line)
        if r.get("event_type") != "netflow":
            continue
        n = r["netflow"]
        p = proto_num(r["proto"])
        ports = (0, 0) if p in (1, 58) else (r.get("src_port", 0), r.get("dest_port", 0))
        mult = r.get("threatatlas", {}).get("sampling", 1) or 1 if scale else 1
        out.append({"key": (addr(r["src_ip"]), addr(r["dest_ip"])) + ports +
                    (p, n["pkts"] * mult, n["bytes"] * mult),
                    "times": (n["start"][:19].replace("T", " "), n["end"][:19].replace("T", " "))})
    return out


def nfdump(path):
    rows = []
    lines = open(path).read().splitlines()
    for r in csv.DictReader(lines):
        if r["ts"] == "Summary" or r.get("te") is None:
            break
        if r["sa"] in ("0.0.0.0", "::") and r["da"] in ("0.0.0.0", "::"):
            continue
        p = proto_num(r["pr"])
        ports = (0, 0) if p in (1, 58) else (int(r["sp"]), int(r["dp"]))
        times = None
        if not r["ts"].startswith("1970") and r["ts"] <= r["te"]:
            times = (r["ts"], r["te"])
        rows.append({"key": (addr(r["sa"]), addr(r["da"])) + ports +
                     (p, int(r["ipkt"]), int(r["ibyt"])), "times": times})
    return rows


def pmacct(path):
    rows = []
    names = {"udp": 17, "tcp": 6, "icmp": 1, "ipv6-icmp": 58, "vrrp": 112}
    for line in open(path):
        r = json.loads(line)
        p = names.get(r["ip_proto"], None)
        if p is None:
            p = int(r["ip_proto"])
        ports = (0, 0) if p in (1, 58) else (r.get("port_src", 0), r.get("port_dst", 0))
        times = None
        if "timestamp_start" in r:
            import datetime
            f = lambda s: datetime.datetime.fromtimestamp(
                float(s), datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
            times = (f(r["timestamp_start"]), f(r["timestamp_end"]))
        rows.append({"key": (addr(r["ip_src"]), addr(r["ip_dst"])) + ports +
                     (p, r["packets"], r["bytes"]), "times": times})
    return rows


def main():
    if len(sys.argv) != 4 or sys.argv[2] not in ("nfdump", "pmacct"):
        print(__doc__)
        return 2
    ref = nfdump(sys.argv[3]) if sys.argv[2] == "nfdump" else pmacct(sys.argv[3])
    mine = ours(sys.argv[1], sys.argv[2] == "pmacct")
    left = list(mine)
    bad = []
    for r in ref:
        hit = None
        for i, m in enumerate(left):
            if m["key"] == r["key"] and (r["times"] is None or r["times"] == m["times"]):
                hit = i
                break
        if hit is None:
            bad.append(("missing", r))
        else:
            left.pop(hit)
    bad += [("extra", m) for m in left]
    if not ref and not mine:
        # Every reference row was one without addresses: neither made an observation.
        print("%s: no record with addresses, none made" % sys.argv[3].split("/")[-1])
        return 0
    for what, r in bad:
        print(what, r)
    print("%s: %d records, %d differences (%s)" % (sys.argv[3].split("/")[-1], len(ref), len(bad),
                                                   sys.argv[2]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
