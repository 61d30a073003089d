#!/usr/bin/env python3
"""Check threatatlas's dns/http/tls EVE output against suricata-verify.

For every tests/**/test.yaml under the suricata-verify folder that has an
input.pcap, run OBSERVE (a command that prints EVE lines for one pcap) and
evaluate each `checks: - filter:` whose match selects a dns, http or tls
record (event_type, or dns./http./tls. keys with no other event_type).
Keys threatatlas does not emit (pcap_cnt, pkt_src, community_id, app_proto,
direction, in_iface, ...) are dropped from the match before comparing.
Checks gated by `requires: lt-version: 8` describe Suricata 7 output and are
skipped (we emit the version 8 shapes). A check passes when the number of
records matching all remaining keys equals `count`.

Prints one line per failing check and "sv-checks: P/T passed (X%)".
Usage: sv-checks.py [--jsonl FILE] SV_DIR OBSERVE_CMD...   (pcap appended to the command)
With --jsonl, also writes each check to FILE as a record: test, kind (app:
a dns/http/tls check; flow: a flow's app_proto), match, want (the count
suricata-verify expects), got, pass.
"""
import ipaddress
import json
import os
import re
import subprocess
import sys

import yaml

APP = ("dns", "http", "tls")
NOT_EMITTED = {"pcap_cnt", "pkt_src", "community_id", "app_proto", "direction", "in_iface",
               "host", "capture_file", "flow", "metadata"}
# Fields inside dns/http/tls that threatatlas does not produce.
NOT_EMITTED_APP = re.compile(r"^(http\.version|http\.xff|tls\.(client|server)_alpns|"
                             r"tls\.chain|tls\.certificate|tls\.subjectaltname)")


def lookup(rec, path):
    cur = rec
    for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        if part.startswith("["):
            i = int(part[1:-1])
            if not isinstance(cur, list) or i >= len(cur):
                return (False, None)
            cur = cur[i]
        elif part == "__len":
            if not isinstance(cur, (list, dict)):
                return (False, None)
            cur = len(cur)
        else:
            if not isinstance(cur, dict) or part not in cur:
                return (False, None)
            cur = cur[part]
    return (True, cur)


def same(want, got, key=""):
    # Addresses compare by value: Suricata writes IPv6 uncompressed
    # (2001:4860:0000:...), threatatlas in RFC 5952 form; same address.
    if key in ("src_ip", "dest_ip") and isinstance(want, str) and isinstance(got, str):
        try:
            return ipaddress.ip_address(want) == ipaddress.ip_address(got)
        except ValueError:
            return want == got
    if isinstance(want, bool) or isinstance(got, bool):
        return want == got
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return want == got
    return str(want) == str(got)


# Tests whose suricata.yaml changes the logging configuration in ways that
# threatatlas does not model; each is listed with the reason.
NOT_APPLICABLE = {
    "cond-log-dns-dig": "conditional logging config (dns logged only on alert)",
    "dns/v2": "DNS log format version 2 configured (threatatlas writes version 3)",
}


def version_ok(req):
    if not isinstance(req, dict):
        return True
    lt = req.get("lt-version")
    if lt is not None and int(str(lt).split(".")[0]) <= 8:
        return False
    return True


def main():
    args = sys.argv[1:]
    jsonl = None
    if args[:1] == ["--jsonl"]:
        jsonl, args = args[1], args[2:]
    sv, cmd = args[0], args[1:]
    total = passed = ftotal = fpassed = 0
    fails = []
    results = []
    skipped = []
    for root, _dirs, files in sorted(os.walk(os.path.join(sv, "tests"))):
        if "test.yaml" not in files or "input.pcap" not in files:
            continue
        name = os.path.relpath(root, os.path.join(sv, "tests"))
        na = [v for k, v in NOT_APPLICABLE.items() if name == k or name.startswith(k + "/")]
        if na:
            skipped.append(f"skip {name}: {na[0]}")
            continue
        with open(os.path.join(root, "test.yaml")) as f:
            spec = yaml.safe_load(f) or {}
        if not version_ok(spec.get("requires")):
            continue
        checks = []
        for c in spec.get("checks") or []:
            flt = c.get("filter") if isinstance(c, dict) else None
            if not flt or not version_ok(flt.get("requires")):
                continue
            match = {k.strip(): v for k, v in (flt.get("match") or {}).items()}
            et = match.get("event_type")
            appkeys = [k for k in match if k.split(".")[0] in APP]
            if et == "flow" and "app_proto" in match:
                # The flow's app_proto is ours; its other fields are the flow
                # module's, checked by its own tests: keep the flow's identity.
                keep = ("event_type", "app_proto", "src_ip", "src_port", "dest_ip", "dest_port",
                        "proto")
                checks.append((flt.get("count", 1), {k: v for k, v in match.items() if k in keep},
                               True))
                continue
            if et not in APP and not (et is None and appkeys):
                continue
            match = {k: v for k, v in match.items()
                     if k.split(".")[0] not in NOT_EMITTED and not NOT_EMITTED_APP.match(k)}
            checks.append((flt.get("count", 1), match, False))
        if not checks:
            continue
        out = subprocess.run(cmd + [os.path.join(root, "input.pcap")], capture_output=True,
                             text=True, check=False).stdout
        recs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        for count, match, is_flow in checks:
            if is_flow:
                ftotal += 1
            else:
                total += 1
            n = 0
            for r in recs:
                if all((lambda fv: fv[0] and same(v, fv[1], k))(lookup(r, k))
                       for k, v in match.items()):
                    n += 1
            results.append({"test": name, "kind": "flow" if is_flow else "app",
                            "match": match, "want": count, "got": n, "pass": n == count})
            if n == count:
                if is_flow:
                    fpassed += 1
                else:
                    passed += 1
            else:
                fails.append(f"FAIL {name}: want {count} got {n}: {json.dumps(match)[:300]}")
    for f in skipped + fails:
        print(f)
    if jsonl:
        with open(jsonl, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, sort_keys=True) + "\n" for r in results)
    pct = 100.0 * passed / total if total else 0.0
    print(f"note: flow app_proto checks: {fpassed}/{ftotal} passed")
    print(f"sv-checks: {passed}/{total} passed ({pct:.1f}%)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
