#!/usr/bin/env python3
"""Second oracle: Zeek's baseline logs beside the traces in zeek-traces.

http.log rows (per connection, in order of trans_depth) are compared with
threatatlas's http records on method, host, uri, referrer, user_agent and
status_code; ssl.log rows with tls records on server_name and version, and
x509.log (the first certificate of each ssl.log chain) on subject and
issuer as sets of attribute=value pairs (Zeek writes RFC 2253 order, EVE
writes certificate order). Baselines do not name their trace, so each log
is matched to the trace whose connections it shares.

Usage: zeek-compare.py [--jsonl FILE] ZEEK_DIR OBSERVE_CMD...
Prints "zeek-compare: A/T agree (P%)"; with --jsonl, also writes each
comparison to FILE as a record: log, trace, key, zeek, threatatlas, agree.
"""
import collections
import ipaddress
import json
import os
import re
import subprocess
import sys


def norm_ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return s


def read_log(path):
    fields, rows = None, []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#") and fields:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def val(v):
    return None if v in ("-", "(empty)", "") else v


ZEEK_TLS = {"TLSv10": "TLSv1", "TLSv11": "TLS 1.1", "TLSv12": "TLS 1.2", "TLSv13": "TLS 1.3",
            "SSLv3": "SSLv3"}


def dn_set(s):
    if s is None:
        return None
    # Split at commas not escaped; both sides then compare as sets.
    parts = re.split(r"(?<!\\),\s*", s)
    return sorted(p.replace("\\,", ",").strip() for p in parts if p)


def main():
    args = sys.argv[1:]
    jsonl = None
    if args[:1] == ["--jsonl"]:
        jsonl, args = args[1], args[2:]
    root, cmd = args[0], args[1:]
    recs = []

    def result(log, trace, k, w, g, ok):
        recs.append({"log": os.path.relpath(log, root), "trace": os.path.relpath(trace, root),
                     "key": list(k), "zeek": w, "threatatlas": g, "agree": ok})
    traces = []
    for d, _ds, fs in os.walk(root):
        for f in fs:
            if f.endswith(".pcap") or f.endswith(".pcapng"):
                traces.append(os.path.join(d, f))
    traces.sort()
    eve = {}
    for t in traces:
        out = subprocess.run(cmd + [t], capture_output=True, text=True, check=False).stdout
        eve[t] = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    A = T = 0
    bad = []
    for d, _ds, fs in os.walk(root):
        for f in fs:
            p = os.path.join(d, f)
            if f == "http.log":
                rows = read_log(p)
                want = collections.defaultdict(list)
                for r in rows:
                    k = (norm_ip(r["id.orig_h"]), int(r["id.orig_p"]), norm_ip(r["id.resp_h"]),
                         int(r["id.resp_p"]))
                    want[k].append({"method": val(r["method"]),
                                    "host": (val(r["host"]) or "").lower().rsplit(":", 1)[0]
                                    or None, "uri": val(r["uri"]),
                                    "referrer": val(r["referrer"]),
                                    "ua": val(r["user_agent"]),
                                    "status": int(r["status_code"]) if val(r["status_code"])
                                    else None})
                best = max(traces, key=lambda t: sum(
                    1 for e in eve[t] if e.get("event_type") == "http" and
                    (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
                    in want))
                got = collections.defaultdict(list)
                for e in sorted((e for e in eve[best] if e.get("event_type") == "http"),
                                key=lambda e: (e["flow_id"], e["tx_id"])):
                    h = e["http"]
                    k = (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
                    got[k].append({"method": h.get("http_method"), "host": h.get("hostname"),
                                   "uri": h.get("url"), "referrer": h.get("http_refer"),
                                   "ua": h.get("http_user_agent"), "status": h.get("status")})
                for k in want:
                    for i, w in enumerate(want[k]):
                        T += 1
                        g = got[k][i] if i < len(got[k]) else None
                        result(p, best, k + (i,), w, g, g == w)
                        if g == w:
                            A += 1
                        else:
                            bad.append(f"{os.path.relpath(p, root)} ~ {os.path.basename(best)}"
                                       f" {k} #{i}: zeek={w} threatatlas={g}")
            elif f == "ssl.log":
                rows = read_log(p)
                x509 = {}
                xp = os.path.join(d, "x509.log")
                if os.path.exists(xp):
                    for r in read_log(xp):
                        x509[r.get("fingerprint")] = r
                want = {}
                for r in rows:
                    k = (norm_ip(r["id.orig_h"]), int(r["id.orig_p"]), norm_ip(r["id.resp_h"]),
                         int(r["id.resp_p"]))
                    w = {"sni": val(r["server_name"]),
                         "version": ZEEK_TLS.get(r["version"], r["version"])}
                    fps = (val(r.get("cert_chain_fps")) or "").split(",")
                    cert = x509.get(fps[0]) if fps and fps[0] else None
                    if cert is not None and r["version"] != "TLSv13":
                        w["subject"] = dn_set(val(cert.get("certificate.subject")))
                        w["issuer"] = dn_set(val(cert.get("certificate.issuer")))
                    want[k] = w
                best = max(traces, key=lambda t: sum(
                    1 for e in eve[t] if e.get("event_type") == "tls" and
                    (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
                    in want))
                got = {}
                for e in eve[best]:
                    if e.get("event_type") != "tls":
                        continue
                    k = (norm_ip(e["src_ip"]), e["src_port"], norm_ip(e["dest_ip"]), e["dest_port"])
                    t = e["tls"]
                    got[k] = {"sni": t.get("sni"), "version": t.get("version"),
                              "subject": dn_set(t.get("subject")),
                              "issuer": dn_set(t.get("issuerdn"))}
                for k, w in want.items():
                    T += 1
                    g = got.get(k)
                    result(p, best, k, w, g,
                           g is not None and all(g.get(kk) == vv for kk, vv in w.items()))
                    if g is not None and all(g.get(kk) == vv for kk, vv in w.items()):
                        A += 1
                    else:
                        bad.append(f"{os.path.relpath(p, root)} ~ {os.path.basename(best)} {k}:"
                                   f" zeek={w} threatatlas={g}")
    for b in bad:
        print("disagree", b[:500])
    if jsonl:
        with open(jsonl, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, sort_keys=True) + "\n" for r in recs)
    pct = 100.0 * A / T if T else 100.0
    print(f"zeek-compare: {A}/{T} agree ({pct:.2f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
