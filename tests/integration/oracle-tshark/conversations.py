#!/usr/bin/env python3
"""tshark's frames and threatatlas's flows as per-5-tuple totals, for the
oracle-tshark case to compare; it asserts nothing itself.

    conversations.py DIR

For every folder under DIR holding tshark.tsv (tshark -T fields, the columns
below) and eve.json (threatatlas observe), writes there:
  tshark.jsonl    {tuple, pkts, bytes}: the frames tshark puts in each TCP/UDP
                  conversation (bytes: frame lengths), what its conv tap adds up;
  flows.jsonl     {tuple, pkts, bytes}: threatatlas's flow records, summed
                  over the flows of a 5-tuple, both directions;
  excluded.jsonl  {tuple, why}: the 5-tuples the two count differently by
                  design (see WHY), left out of the comparison by the case.
A tuple is "PROTO a:port b:port", its ends in sorted order.
"""
import collections
import json
import os
import sys

COLUMNS = ["frame.len", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst", "tcp.srcport",
           "tcp.dstport", "udp.srcport", "udp.dstport", "ip.flags.mf", "ip.frag_offset",
           "ipv6.fraghdr.ident", "_ws.malformed"]
WHY = {
    # tshark counts a reassembled datagram as its last fragment's frame,
    # threatatlas as one packet of all the fragments' bytes.
    "fragments": "IP fragments",
    # Frames with more than one IP header (GRE, IP-in-IP, Teredo, ICMP errors
    # quoting a TCP/UDP header): tshark counts them in the inner
    # conversation, threatatlas (no tunnel decapsulation) in the outer one.
    "tunnel": "a frame with more than one IP header",
    # tshark still counts a frame it marks malformed in a conversation (a TCP
    # header cut to 6 bytes shows as ports 0 -> 0); threatatlas counts it by
    # reason and skips it.
    "malformed": "a frame tshark marks malformed",
}


def tuple_key(proto, a, pa, b, pb):
    x, y = "%s:%s" % (a, pa), "%s:%s" % (b, pb)
    return "%s %s %s" % (proto, x, y) if x < y else "%s %s %s" % (proto, y, x)


def tshark_side(path):
    pkts, size = collections.Counter(), collections.Counter()
    excluded = {}
    counts = collections.Counter()
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            c = dict(zip(COLUMNS, line.rstrip("\n").split("\t")))
            c = {k: c.get(k, "") for k in COLUMNS}
            if c["tcp.srcport"] == "" and c["udp.srcport"] == "":
                continue  # no transport ports: not a TCP/UDP conversation's frame
            v4, v6 = c["ip.src"].split(","), c["ipv6.src"].split(",")
            n4, n6 = len(v4) if c["ip.src"] else 0, len(v6) if c["ipv6.src"] else 0
            tcp = c["tcp.srcport"] != ""
            sp = (c["tcp.srcport"] if tcp else c["udp.srcport"]).split(",")
            dp = (c["tcp.dstport"] if tcp else c["udp.dstport"]).split(",")
            if n4 + n6 > 1:
                # The outer tuple, as threatatlas sees it, is left out too.
                a = v4[0] if n4 else v6[0]
                b = (c["ip.dst"] if n4 else c["ipv6.dst"]).split(",")[0]
                for proto, s, d in (("TCP", "tcp.srcport", "tcp.dstport"),
                                    ("UDP", "udp.srcport", "udp.dstport")):
                    if c[s]:
                        k = tuple_key(proto, a, c[s].split(",")[0], b, c[d].split(",")[0])
                        excluded.setdefault(k, "tunnel")
                counts["tunnel"] += 1
                continue
            if len(sp) > 1 or len(dp) > 1:
                counts["tunnel"] += 1  # a transport header inside another
                continue
            a, b = (c["ip.src"], c["ip.dst"]) if n4 else (c["ipv6.src"], c["ipv6.dst"])
            k = tuple_key("TCP" if tcp else "UDP", a, sp[0], b, dp[0])
            if c["_ws.malformed"]:
                excluded.setdefault(k, "malformed")
                counts["malformed"] += 1
                continue
            if (c["ip.flags.mf"].startswith(("1", "True")) or
                    c["ip.frag_offset"] not in ("", "0") or c["ipv6.fraghdr.ident"]):
                excluded[k] = "fragments"
            pkts[k] += 1
            size[k] += int(c["frame.len"])
    return pkts, size, excluded, counts


def eve_side(path):
    pkts, size = collections.Counter(), collections.Counter()
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            if r.get("event_type") != "flow" or r.get("proto") not in ("TCP", "UDP"):
                continue
            k = tuple_key(r["proto"], r["src_ip"], r.get("src_port"), r["dest_ip"],
                          r.get("dest_port"))
            fl = r["flow"]
            pkts[k] += fl["pkts_toserver"] + fl["pkts_toclient"]
            size[k] += fl["bytes_toserver"] + fl["bytes_toclient"]
    return pkts, size


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(r, sort_keys=True) + "\n" for r in rows)


def main():
    total = collections.Counter()
    folders = 0
    for d, _dirs, files in os.walk(sys.argv[1]):
        if "tshark.tsv" not in files:
            continue
        folders += 1
        tp, tb, excluded, counts = tshark_side(os.path.join(d, "tshark.tsv"))
        op, ob = eve_side(os.path.join(d, "eve.json"))
        write(os.path.join(d, "tshark.jsonl"),
              ({"tuple": k, "pkts": tp[k], "bytes": tb[k]} for k in sorted(tp)))
        write(os.path.join(d, "flows.jsonl"),
              ({"tuple": k, "pkts": op[k], "bytes": ob[k]} for k in sorted(op)))
        write(os.path.join(d, "excluded.jsonl"),
              ({"tuple": k, "why": WHY[w]} for k, w in sorted(excluded.items())))
        total.update(counts)
        total.update("tuples " + w for w in excluded.values())
    print("info: %d captures; frames left out: %d with more than one IP header or transport "
          "header, %d tshark marks malformed; 5-tuples left out: %d with IP fragments, %d with "
          "tunneled frames, %d with malformed frames" % (
              folders, total["tunnel"], total["malformed"], total["tuples fragments"],
              total["tuples tunnel"], total["tuples malformed"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
