#!/usr/bin/env python3
"""Check a national scenario's truth.json against its captures and feeds.

Reads the captures back with tshark, finds C&C connections, phishing visits
and webshell requests from the feeds' indicators alone, counts them with the
report's definitions (docs/design/counting.md) per country pair and per day, and
compares with truth.json. Countries come from the pinned database when given
(read by tests/integration/mmdb.py, cross-checked with mmdblookup), else from
truth-extra.json's roles.

usage: gen-national-truth.py DIR [MMDB]
Exit 0 when everything matches; prints the differences otherwise. Run by the
gen-national case (tests/integration/gen-national/test.yaml).
"""
import csv
import glob
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict

d = sys.argv[1]
mmdb = sys.argv[2] if len(sys.argv) > 2 else None
truth = json.load(open(os.path.join(d, "truth.json")))
extra = json.load(open(os.path.join(d, "truth-extra.json")))
fail = []


def feed_lines(name):
    with open(os.path.join(d, name)) as f:
        return [l.strip() for l in f if l.strip() and not l.startswith("#")]


# --- indicators from the feeds ---------------------------------------------
c2_ipport = set()
for row in csv.reader(feed_lines("feodo-ipblocklist.csv")):
    c2_ipport.add((row[1], int(row[2])))
c2_ip = set(feed_lines("feodo-ipblocklist.txt"))
c2_dom = set()
for row in csv.reader(feed_lines("threatfox-domains.csv"), skipinitialspace=True):
    if row[3] == "domain" and row[4] == "botnet_cc":
        c2_dom.add(row[2].lower())
urls = set(feed_lines("openphish-feed.txt"))
urls |= {e["url"] for e in json.load(open(os.path.join(d, "phishtank-online-valid.json")))}
urls_by_host = defaultdict(set)
for u in urls:
    urls_by_host[u.split("/")[2].lower()].add(u)
shells = set(feed_lines("webshell-paths.txt"))
if not (c2_ipport and c2_ip and c2_dom and urls and shells):
    fail.append("a feed is empty")

# --- read the captures -----------------------------------------------------
fields = ["frame.time_epoch", "ip.src", "ip.dst", "tcp.stream", "tcp.dstport", "tcp.flags.syn",
          "tcp.flags.ack", "dns.flags.response", "dns.qry.name", "dns.a",
          "tls.handshake.extensions_server_name", "http.request.method", "http.host",
          "http.request.uri"]
filt = ("(dns.flags.response==1 && dns.a) || (tcp.flags.syn==1 && tcp.flags.ack==0) || "
        "tls.handshake.type==1 || http.request")
resolved = {}  # ip -> domain, from DNS answers seen
syns, snis, reqs = [], [], []
for pcap in sorted(glob.glob(os.path.join(d, "pcap", "*.pcap"))):
    day = os.path.basename(pcap)[:10]
    cmd = ["tshark", "-n", "-r", pcap, "-Y", filt, "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        v = dict(zip(fields, line.split("\t")))
        key = (day, v["tcp.stream"])
        if v["dns.flags.response"] in ("1", "True") and v["dns.a"]:
            resolved[v["dns.a"].split(",")[0]] = v["dns.qry.name"].lower()
        if v["tcp.flags.syn"] in ("1", "True") and v["tcp.flags.ack"] in ("0", "False"):
            syns.append((day, key, v["ip.src"], v["ip.dst"], int(v["tcp.dstport"])))
        if v["tls.handshake.extensions_server_name"]:
            snis.append((day, key, v["ip.src"], v["ip.dst"],
                         v["tls.handshake.extensions_server_name"].lower()))
        if v["http.request.method"]:
            reqs.append((day, key, v["ip.src"], v["ip.dst"], v["http.host"].lower(),
                         v["http.request.uri"]))

# --- countries -------------------------------------------------------------
role_cc = {}
for role, rows in extra["roles"].items():
    for r in rows:
        role_cc[r[0]] = r[1]
reader = None
if mmdb is not None:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import mmdb as mmdbreader
    reader = mmdbreader.Reader(mmdb)
cc_cache = {}


def cc(ip):
    if ip not in cc_cache:
        if reader is None:
            cc_cache[ip] = role_cc.get(ip, "??")
        else:
            rec = reader.lookup(ip)
            cc_cache[ip] = rec.get("country_code", "??") if rec else "??"
    return cc_cache[ip]


# Every placed address geolocates to its intended country.
if reader is not None:
    bad = [(ip, want, cc(ip)) for ip, want in role_cc.items() if cc(ip) != want]
    if bad:
        fail.append("addresses geolocating elsewhere: %s" % bad[:5])
    # The test's reader agrees with libmaxminddb's mmdblookup on a sample.
    if shutil.which("mmdblookup"):
        for ip in sorted(role_cc)[:25]:
            out = subprocess.run(["mmdblookup", "--file", mmdb, "--ip", ip, "country_code"],
                                 capture_output=True, text=True).stdout
            ref = out.split('"')[1] if '"' in out else "??"
            if ref != cc(ip):
                fail.append("mmdblookup says %s for %s, reader %s" % (ref, ip, cc(ip)))
    print("info: %d addresses geolocated with %s" % (len(role_cc), os.path.basename(mmdb)))

# --- derive events -----------------------------------------------------------
c2_domain_ips = {ip for ip, name in resolved.items() if name in c2_dom}
c2 = []  # (day, server, host)
for day, key, src, dst, port in syns:
    if (dst, port) in c2_ipport or dst in c2_ip or dst in c2_domain_ips:
        c2.append((day, dst, src))

phish_flows = {}  # key -> (day, server, client, page)
for day, key, src, dst, host, uri in reqs:
    url = "http://%s%s" % (host, uri)
    if url in urls and key not in phish_flows:
        phish_flows[key] = (day, dst, src, url)
for day, key, src, dst, sni in snis:
    if sni in urls_by_host and key not in phish_flows:
        us = urls_by_host[sni]
        page = next(iter(us)) if len(us) == 1 else sni
        phish_flows[key] = (day, dst, src, page)

backdoor = [(day, src, host or dst) for day, key, src, dst, host, uri in reqs
            if uri.split("?")[0] in shells]
bd_dst = {(day, src, host or dst): dst for day, key, src, dst, host, uri in reqs}


def report(days):
    bot = defaultdict(lambda: [set(), set()])
    for day, s, h in c2:
        if day in days:
            p = bot[(cc(s), cc(h))]
            p[0].add(s)
            p[1].add(h)
    ph = defaultdict(lambda: [set(), set(), 0])
    for day, s, c, page in phish_flows.values():
        if day in days:
            p = ph[(cc(s), cc(c))]
            p[0].add(s)
            p[1].add(page)
            p[2] += 1
    bd = defaultdict(lambda: [set(), set(), 0])
    for day, a, site in backdoor:
        if day in days:
            p = bd[(cc(a), cc(bd_dst[(day, a, site)]))]
            p[0].add(a)
            p[1].add(site)
            p[2] += 1
    return {
        "botnet": sorted((s, t, len(v[0]), len(v[1])) for (s, t), v in bot.items()),
        "phishing": sorted((s, t, len(v[0]), len(v[1]), v[2]) for (s, t), v in ph.items()),
        "backdoor": sorted((s, t, len(v[0]), v[2], len(v[1])) for (s, t), v in bd.items()),
    }


def from_truth(t):
    return {
        "botnet": sorted((r["src_cc"], r["dst_cc"], r["c2_servers"], r["controlled_hosts"])
                         for r in t["botnet"]),
        "phishing": sorted((r["src_cc"], r["dst_cc"], r["phishing_hosts"], r["phishing_pages"],
                            r["phishing_attacks"]) for r in t["phishing"]),
        "backdoor": sorted((r["src_cc"], r["dst_cc"], r["attacker_ips"], r["backdoor_attacks"],
                            r["compromised_websites"]) for r in t["backdoor"]),
    }


all_days = set(truth["days"].keys())
checks = [("period", all_days, truth)] + [(k, {k}, v) for k, v in sorted(truth["days"].items())]
for name, days, t in checks:
    got, want = report(days), from_truth(t)
    for kind in ("botnet", "phishing", "backdoor"):
        if got[kind] != want[kind]:
            fail.append("%s %s: tshark %s != truth %s" % (name, kind, got[kind], want[kind]))
if len(c2) != extra["c2_connections"]:
    fail.append("C&C connections: tshark %d != truth-extra %d" % (len(c2), extra["c2_connections"]))
if len(phish_flows) != extra["phishing_visits"]:
    fail.append("phishing visits: %d != %d" % (len(phish_flows), extra["phishing_visits"]))
if len(backdoor) != extra["backdoor_requests"]:
    fail.append("backdoor requests: %d != %d" % (len(backdoor), extra["backdoor_requests"]))
# The shape must be exactly the report's.
if set(truth.keys()) != {"period", "home", "botnet", "phishing", "backdoor", "days"}:
    fail.append("truth.json keys: %s" % sorted(truth.keys()))

print("info: %d C&C connections, %d phishing visits, %d backdoor requests, %d days" %
      (len(c2), len(phish_flows), len(backdoor), len(all_days)))
for f in fail:
    print("FAIL:", f)
sys.exit(1 if fail else 0)
