#!/usr/bin/env python3
"""Field-by-field agreement of threatatlas's dns/http/tls EVE records with
tshark on every capture under a directory.

Compared: DNS query name, query type, A/AAAA/CNAME answer data (per
message, keyed by addresses, ports, DNS id and QR); HTTP method, URI, host,
user agent (per request, in order within a connection) and status (per
response, in order); TLS SNI and JA3 hash (per connection). A record that
only one side produced is a disagreement too. Every disagreement is
printed with its key and both values; the known causes are explained in
docs/observe.md ("Compatibility") and classified here where they can be
recognised.

Known differences, each labelled "[known: ...]" where it is printed:
- a URI with a space ("GET /a b HTTP/1.1", seen in attack traffic): tshark
  ends the URI at the first space, we (like libhtp) at the last " HTTP/";
- an absolute URI ("GET http://host/ HTTP/1.1", proxies): we name the URI's
  host as hostname (libhtp does too), tshark the Host header;
- an HTTP response cut by RST, a gap or the end of the capture: tshark shows
  it only once its body is complete, we emit the transaction at flow end;
- traffic inside GRE/ERSPAN: the decoder does not decapsulate it.
Not counted as disagreement: a DNS message both sides reject (tshark marks it
malformed, we count dns_malformed). Out of scope: DNS inside HTTP/2 (DoH).

Usage: tshark-compare.py [--jsonl FILE] DIR OBSERVE_CMD...   (the pcap path is appended)
Prints "tshark-compare: A/T agree (P%)" last; exit 1 if P < 99.5. With
--jsonl, also writes each comparison to FILE as a record (capture, what, key,
tshark, threatatlas, agree, known: the known cause of a disagreement) and
exits 0: the reader (tests/integration/proto-compat) states the floor.
"""
import collections
import ipaddress
import json
import re
import multiprocessing
import os
import subprocess
import sys

FIELDS = ["frame.number", "ip.src", "ipv6.src", "tcp.srcport", "udp.srcport", "ip.dst",
          "ipv6.dst", "tcp.dstport", "udp.dstport", "dns.id", "dns.flags.response",
          "dns.qry.name", "dns.qry.type", "dns.a", "dns.aaaa", "dns.cname",
          "http.request.method", "http.request.uri", "http.host", "http.user_agent",
          "http.response.code", "tls.handshake.extensions_server_name", "tls.handshake.ja3",
          "icmp.type", "icmpv6.type", "tcp.stream", "dns.count.answers", "dns.resp.type",
          "_ws.malformed", "gre.proto"]
AGG = "\x1e"  # aggregator: a byte that never occurs in the compared fields
RRTYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "NULL": 10, "PTR": 12, "HINFO": 13, "MX": 15,
           "TXT": 16, "AAAA": 28, "SRV": 33, "NAPTR": 35, "OPT": 41, "DS": 43, "RRSIG": 46,
           "DNSKEY": 48, "SVCB": 64, "HTTPS": 65, "SPF": 99, "ANY": 255, "AXFR": 252,
           "CAA": 257, "NSEC": 47, "NSEC3": 50, "TLSA": 52, "DNAME": 39, "AFSDB": 18,
           "LOC": 29, "URI": 256, "SSHFP": 44, "IPSECKEY": 45, "CDS": 59, "CDNSKEY": 60}


def is_pcap(path):
    try:
        with open(path, "rb") as f:
            m = f.read(4)
    except OSError:
        return False
    return m in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                 b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a")


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def split(v):
    return [x for x in v.split(AGG) if x != ""] if v else []


def unescape(s):
    """threatatlas (like Suricata) writes each byte that is not valid UTF-8 as
    the text \\xNN; tshark writes U+FFFD for each such byte. Map ours to
    tshark's rendering so that equal bytes compare equal."""
    if s is None:
        return s
    # Runs are collapsed: tshark uses one U+FFFD per maximal invalid
    # subsequence, we one escape per byte.
    return re.sub("\ufffd+", "\ufffd", re.sub(r"\\x[0-9a-f]{2}", "\ufffd", s))


def tshark(path, decode_as=()):
    cmd = ["tshark", "-n", "-r", path]
    # Tell tshark about HTTP/TLS on ports it does not associate with them
    # (found by our content detection), so both sides look at the same flows.
    for d in decode_as:
        cmd += ["-d", d]
    cmd += ["-T", "fields", "-E", "separator=\t", "-E",
           "occurrence=a", "-E", "aggregator=" + AGG, "-Y",
           # DNS carried in HTTP/HTTP2 (DoH) is out of scope: DNS over UDP and TCP only.
           "((dns || mdns || llmnr) && !icmp && !icmpv6 && !http && !http2) || "
           "http.request || http.response || "
           "tls.handshake.type == 1"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, check=False).stdout.decode("utf-8", "replace")
    rows = []
    # Not splitlines(): it also splits at \x1e, our aggregator.
    for line in out.split("\n"):
        if not line:
            continue
        v = line.split("\t")
        v += [""] * (len(FIELDS) - len(v))
        rows.append(dict(zip(FIELDS, v)))
    return rows


def ends(r):
    if not (r["ip.src"] or r["ipv6.src"]) or not (r["ip.dst"] or r["ipv6.dst"]):
        return ("", 0, "", 0)
    src = norm_ip(split(r["ip.src"])[-1] if r["ip.src"] else split(r["ipv6.src"])[-1])
    dst = norm_ip(split(r["ip.dst"])[-1] if r["ip.dst"] else split(r["ipv6.dst"])[-1])
    sp = (split(r["tcp.srcport"]) or split(r["udp.srcport"]) or ["0"])[-1]
    dp = (split(r["tcp.dstport"]) or split(r["udp.dstport"]) or ["0"])[-1]
    return src, int(sp), dst, int(dp)


def compare(path, cmd):
    """Returns (agree, total, list of disagreement strings)."""
    out = subprocess.run(cmd + [path], capture_output=True, text=True, check=False).stdout
    eve = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    das = set()
    for e in eve:
        et = e.get("event_type")
        if e.get("proto") == "TCP" and et in ("http", "tls"):
            port = e["dest_port"]
            if (et, port) not in (("http", 80), ("http", 8080), ("tls", 443)):
                das.add(f"tcp.port=={port},{et}")
    rows = tshark(path, sorted(das))
    agree = total = 0
    bad = []
    notes = []
    recs = []
    name = "/".join(path.split("/")[-2:])

    def result(what, k, i, x, y, ok, known=None):
        """One comparison, as a record for --jsonl."""
        recs.append({"what": what, "key": [*k, i], "tshark": x, "threatatlas": y, "agree": ok,
                     "known": known})

    # ---- DNS: one record per message
    ts_dns = collections.defaultdict(list)
    for r in rows:
        if r["dns.id"] and (r["dns.qry.name"] or r["dns.flags.response"]):
            k = ends(r) + (int(split(r["dns.id"])[0], 16 if "x" in r["dns.id"] else 10),
                           split(r["dns.flags.response"])[0] in ("1", "True"))
            types = split(r["dns.qry.type"])
            # tshark lists A/AAAA/CNAME data of every section in order; the
            # answer section is the first dns.count.answers RRs.
            nan = int((split(r["dns.count.answers"]) or ["0"])[0])
            rtypes = split(r["dns.resp.type"])[:nan]
            na, n6, nc = rtypes.count("1"), rtypes.count("28"), rtypes.count("5")
            ts_dns[k].append({
                "qname": unescape((split(r["dns.qry.name"]) or [""])[0]),
                "qtype": int(types[0]) if types else None,
                "a": sorted(split(r["dns.a"])[:na]),
                "aaaa": sorted(norm_ip(x) for x in split(r["dns.aaaa"])[:n6]),
                "cname": sorted(split(r["dns.cname"])[:nc]), "frame": r["frame.number"],
                "malformed": bool(r["_ws.malformed"])})
    ta_dns = collections.defaultdict(list)
    for e in eve:
        if e.get("event_type") != "dns":
            continue
        d = e["dns"]
        k = (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"], d["id"],
             d["type"] == "response")
        q = (d.get("queries") or [{}])[0]
        ans = d.get("answers") or []
        ta_dns[k].append({
            "qname": unescape(q.get("rrname", "")),
            "qtype": RRTYPES.get(q.get("rrtype"), int(q["rrtype"]) if str(
                q.get("rrtype", "")).isdigit() else q.get("rrtype")),
            "a": sorted(a["rdata"] for a in ans if a["rrtype"] == "A"),
            "aaaa": sorted(norm_ip(a["rdata"]) for a in ans if a["rrtype"] == "AAAA"),
            "cname": sorted(unescape(a["rdata"]) for a in ans if a["rrtype"] == "CNAME")})
    for k in set(ts_dns) | set(ta_dns):
        a, b = ts_dns.get(k, []), ta_dns.get(k, [])
        for i in range(max(len(a), len(b))):
            total += 1
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x is not None and y is None and x["malformed"]:
                # Both reject it: tshark flags the message as malformed and we
                # count it as dns_malformed without a record.
                agree += 1
                notes.append(f"{name}: dns {k}: both malformed (tshark frame {x['frame']})")
                result("dns", k, i, x, y, True, "both malformed")
                continue
            if x is not None and y is not None:
                x2 = dict(x)
                x2.pop("frame")
                x2.pop("malformed")
                if x2["qname"] == "<Root>":
                    x2["qname"] = "<root>"
                if x2 == y:
                    agree += 1
                    result("dns", k, i, x, y, True)
                    continue
            why = ""
            if y is None and x is not None and k[1] in (80, 443, 8080) or k[3] in (80, 443, 8080):
                why = " [known: DNS over HTTPS/HTTP, not parsed]"
            elif y is None and x is not None and (x["qname"] in ("", "<Name too long>")):
                why = " [known: malformed message, counted as dns_malformed, not emitted]"
            elif x and y and "\ufffd" in x["qname"] and {**x, "qname": ""} == {
                    **y, "qname": "", "frame": x["frame"]}:
                why = " [known: binary label bytes; tshark and EVE render them differently]"
            bad.append(f"{name}: dns {k}: tshark={x} threatatlas={y}{why}")
            result("dns", k, i, x, y, False, why[9:-1] or None)

    # ---- HTTP: requests and responses in order per connection
    def conn(s, sp, d, dp):
        return (s, sp, d, dp)

    ts_req = collections.defaultdict(list)
    ts_resp = collections.defaultdict(list)
    for r in rows:
        s, sp, d, dp = ends(r)
        for i, m in enumerate(split(r["http.request.method"])):
            host = (split(r["http.host"]) or [""])
            ts_req[conn(s, sp, d, dp)].append({
                "method": m, "uri": (split(r["http.request.uri"]) or [""])[min(
                    i, len(split(r["http.request.uri"])) - 1)] if r["http.request.uri"] else "",
                "host": host[min(i, len(host) - 1)].lower().rsplit(":", 1)[0]
                if host[0] and not host[0].startswith("[") else host[0].lower(),
                "frame": r["frame.number"], "gre": bool(r["gre.proto"])})
        for c in split(r["http.response.code"]):
            ts_resp[conn(d, dp, s, sp)].append(int(c))
    ta_req = collections.defaultdict(list)
    ta_resp = collections.defaultdict(list)
    for e in sorted((e for e in eve if e.get("event_type") == "http"),
                    key=lambda e: (e["flow_id"], e.get("tx_id", 0))):
        k = conn(norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
        h = e["http"]
        if "http_method" in h:
            ta_req[k].append({"method": h["http_method"], "uri": h.get("url", ""),
                              "host": h.get("hostname", "")})
        if "status" in h:
            ta_resp[k].append(h["status"])
    for k in set(ts_req) | set(ta_req):
        a, b = ts_req.get(k, []), ta_req.get(k, [])
        for i in range(max(len(a), len(b))):
            total += 1
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x is not None and y is not None:
                x2 = {kk: vv for kk, vv in x.items() if kk not in ("frame", "gre")}
                # tshark shows no host when the header is absent; neither do we.
                if x2 == y:
                    agree += 1
                    result("http-request", k, i, x, y, True)
                    continue
            why = ""
            if x and y is None and x.get("gre"):
                why = " [known: inside GRE/ERSPAN, which the decoder does not decapsulate]"
            elif x and y and " " in y["uri"] and y["uri"].startswith(x["uri"]):
                why = " [known: URI with a space; tshark cuts at it, we keep up to ' HTTP/']"
            elif x and y and x["uri"].lower().startswith("http") and x["uri"] == y["uri"]:
                why = " [known: absolute URI; we name the URI's host, tshark the Host header]"
            bad.append(f"{name}: http-request {k} #{i}: tshark={x} threatatlas={y}{why}")
            result("http-request", k, i, x, y, False, why[9:-1] or None)
    for k in set(ts_resp) | set(ta_resp):
        a, b = ts_resp.get(k, []), ta_resp.get(k, [])
        for i in range(max(len(a), len(b))):
            total += 1
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x is not None and x == y:
                agree += 1
                result("http-response", k, i, x, y, True)
                continue
            why = ""
            if x is None and y is not None:
                why = " [known: tshark shows a response only once its body is complete (cut by RST, gap or capture end)]"
            bad.append(f"{name}: http-response {k} #{i}: tshark={x} threatatlas={y}{why}")
            result("http-response", k, i, x, y, False, why[9:-1] or None)

    # ---- TLS: one ClientHello per connection
    ts_tls = collections.defaultdict(list)
    for r in rows:
        if r["tls.handshake.ja3"]:
            ts_tls[ends(r)].append({"sni": (split(r["tls.handshake.extensions_server_name"])
                                            or [None])[0],
                                    "ja3": split(r["tls.handshake.ja3"])[0]})
    ta_tls = collections.defaultdict(list)
    for e in eve:
        if e.get("event_type") == "tls" and "ja3" in e["tls"]:
            k = (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
            ta_tls[k].append({"sni": e["tls"].get("sni"), "ja3": e["tls"]["ja3"]["hash"]})
    for k in set(ts_tls) | set(ta_tls):
        a, b = ts_tls.get(k, []), ta_tls.get(k, [])
        # A retransmitted ClientHello shows twice in tshark, once in a flow.
        if len(a) > 1 and len(b) == 1 and all(x == a[0] for x in a):
            a = a[:1]
        for i in range(max(len(a), len(b))):
            total += 1
            x = a[i] if i < len(a) else None
            y = b[i] if i < len(b) else None
            if x is not None and x == y:
                agree += 1
                result("tls", k, i, x, y, True)
                continue
            bad.append(f"{name}: tls {k} #{i}: tshark={x} threatatlas={y}")
            result("tls", k, i, x, y, False)
    return agree, total, bad + notes, recs


def main():
    args = sys.argv[1:]
    jsonl = None
    if args[:1] == ["--jsonl"]:
        jsonl, args = args[1], args[2:]
    root, cmd = args[0], args[1:]
    files = []
    for d, _dirs, fs in os.walk(root):
        if "/oracle" in d:
            continue
        for f in fs:
            p = os.path.join(d, f)
            if is_pcap(p):
                files.append(p)
    files.sort()
    # NetFlow/IPFIX/sFlow export captures carry no DNS, HTTP or TLS (tshark's
    # oracle outputs for them hold only cflow and conversation files).
    skipped = [p for p in files if "/netflow-" in p]
    files = [p for p in files if "/netflow-" not in p]
    A = T = 0
    allbad = []
    with multiprocessing.Pool(int(os.environ.get("TA_JOBS", "2"))) as pool:
        results = pool.starmap(compare, [(p, cmd) for p in files])
    for p, (a, t, bad, _recs) in zip(files, results):
        A += a
        T += t
        allbad += [os.path.relpath(p, root).split("/")[0] + "/" + b for b in bad]
    if jsonl:
        with open(jsonl, "w", encoding="utf-8") as f:
            for p, (_a, _t, _bad, recs) in zip(files, results):
                for r in recs:
                    f.write(json.dumps(dict(r, capture=os.path.relpath(p, root)),
                                       sort_keys=True) + "\n")
    nd = sum(1 for b in allbad if "both malformed" not in b)
    for b in allbad:
        print("agree" if "both malformed" in b else "disagree", b[:400])
    pct = 100.0 * A / T if T else 100.0
    print(f"note: skipped {len(skipped)} NetFlow/IPFIX export captures (no dns/http/tls)")
    print(f"tshark-compare: {A}/{T} agree ({pct:.2f}%) over {len(files)} captures")
    return 0 if pct >= 99.5 or jsonl else 1


if __name__ == "__main__":
    sys.exit(main())
