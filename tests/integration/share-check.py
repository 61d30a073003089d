#!/usr/bin/env python3
"""Checks for events --format stix|misp (see share-export.sh).

    share-check.py SCHEMAS BUNDLE.json EVENT.json LISTS.json
        the STIX bundle validates against the OASIS STIX 2.1 JSON schemas
        (every object against its type's schema, and the bundle's), and the
        bundle and the MISP event hold exactly the indicators of the evidence
        lists with their first/last seen and counts, the TLP and the organisation
    share-check.py --roundtrip BUNDLE.json STIX-IMPORTED.json EVENT.json MISP-IMPORTED.json
        `intel list --json` after importing each export gives back its indicators
"""
import json
import pathlib
import re
import sys
from datetime import datetime, timezone

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
GREEN = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
NAMES = {"C2 server": "c2", "Phishing page": "phishing", "Backdoor attacker": "backdoor"}
TAGS = {'ecsirt:malicious-code="c2server"': "c2", 'ecsirt:fraud="phishing"': "phishing",
        'ecsirt:intrusions="backdoor"': "backdoor"}
IMPORTED_KIND = {"c2": "c2", "phishing": "phishing", "backdoor": "other"}


def ts(s):
    """List time "2014-03-19T00:05:03.170363+0000" -> datetime (UTC)."""
    return datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z")


def stix_ms(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (d.microsecond // 1000)


def expected(lists):
    want = {}
    for name, kind, vcol, ecol in (("c2-servers", "c2", "ip", "events"),
                                   ("phishing-pages", "phishing", "page", "events"),
                                   ("backdoor-sources", "backdoor", "ip", "backdoor_attacks")):
        for r in lists.get(name, []):
            k = (kind, r[vcol])
            f, l, n = ts(r["first_seen"]), ts(r["last_seen"]), r[ecol]
            if k in want:
                f0, l0, n0 = want[k]
                f, l, n = min(f, f0), max(l, l0), n + n0
            want[k] = (f, l, n)
    return want


def unpattern(p):
    m = re.fullmatch(r"\[(ipv4-addr|ipv6-addr|url|domain-name):value = '((?:[^'\\]|\\.)*)'\]", p)
    assert m, p
    return m.group(1), re.sub(r"\\(.)", r"\1", m.group(2))


def check_stix(schemas, bundle, want):
    from jsonschema import Draft202012Validator
    root = pathlib.Path(schemas) / "schemas"
    by = {}
    for p in root.rglob("*.json"):
        s = json.loads(p.read_text())
        by[p.stem] = s
    try:  # jsonschema >= 4.18 resolves references through referencing
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            (s["$id"], Resource.from_contents(s)) for s in by.values())
        make = lambda schema: Draft202012Validator(schema, registry=reg)
    except ImportError:  # Debian 12's python3-jsonschema (4.10)
        from jsonschema import RefResolver
        store = {s["$id"]: s for s in by.values()}
        make = lambda schema: Draft202012Validator(
            schema, resolver=RefResolver.from_schema(schema, store=store))
    vals = {}
    errs = []

    def validate(name, obj):
        if name not in vals:
            vals[name] = make(by[name])
        for e in vals[name].iter_errors(obj):
            errs.append("%s %s: %s at %s" % (name, obj.get("id", ""), e.message[:200], list(e.path)))

    validate("bundle", bundle)
    objs = bundle["objects"]
    for o in objs:
        validate(o["type"], o)
    ids = [o["id"] for o in objs]
    if len(ids) != len(set(ids)):
        errs.append("duplicate ids")
    ident = [o for o in objs if o["type"] == "identity"]
    if len(ident) != 1 or ident[0]["name"] != "Example CERT":
        errs.append("identity: %s" % ident)
    iid = ident[0]["id"] if ident else None
    for o in objs:
        if o["type"] == "marking-definition":
            if o["id"] != GREEN or o["definition"] != {"tlp": "green"}:
                errs.append("marking: %s" % o)
            continue
        if o.get("object_marking_refs") != [GREEN]:
            errs.append("%s not marked TLP:GREEN" % o["id"])
        if o["type"] != "identity" and o.get("created_by_ref") != iid:
            errs.append("%s not created by the identity" % o["id"])
    sightings = {o["sighting_of_ref"]: o for o in objs if o["type"] == "sighting"}
    got = {}
    for o in objs:
        if o["type"] != "indicator":
            continue
        path, value = unpattern(o["pattern"])
        kind = NAMES[o["name"]]
        s = sightings.get(o["id"])
        if s is None or s["where_sighted_refs"] != [iid]:
            errs.append("indicator %s without its sighting" % value)
            continue
        got[(kind, value)] = (s["first_seen"], s["last_seen"], s["count"], o["valid_from"], path)
    exp = {}
    for (kind, value), (f, l, n) in want.items():
        path = ("url" if "://" in value else "domain-name") if kind == "phishing" else (
            "ipv6-addr" if ":" in value else "ipv4-addr")
        exp[(kind, value)] = (stix_ms(f), stix_ms(l), n, stix_ms(f), path)
    if got != exp:
        d = [(k, exp.get(k), got.get(k)) for k in sorted(set(exp) | set(got)) if exp.get(k) != got.get(k)]
        errs.append("stix indicators differ from the lists (%d): %s" % (len(d), d[:3]))
    return errs


def check_misp(event, want):
    errs = []
    ev = event["Event"]
    if ev["Orgc"]["name"] != "Example CERT" or not UUID.match(ev["uuid"]):
        errs.append("event head: %s" % {k: ev[k] for k in ("uuid", "Orgc")})
    if {"name": "tlp:green"} not in ev["Tag"]:
        errs.append("no tlp:green tag: %s" % ev["Tag"])
    got = {}
    uuids = set()
    for a in ev["Attribute"]:
        kinds = [TAGS[t["name"]] for t in a.get("Tag", []) if t["name"] in TAGS]
        if len(kinds) != 1 or a["to_ids"] is not True or a["category"] != "Network activity":
            errs.append("attribute %s: tags %s to_ids %s" % (a["value"], a.get("Tag"), a["to_ids"]))
            continue
        if not UUID.match(a["uuid"]) or a["uuid"] in uuids:
            errs.append("attribute uuid %s" % a["uuid"])
        uuids.add(a["uuid"])
        kind = kinds[0]
        types = {"c2": {"ip-dst"}, "backdoor": {"ip-src"}, "phishing": {"url", "domain"}}[kind]
        if a["type"] not in types:
            errs.append("attribute %s has type %s" % (a["value"], a["type"]))
        n = int(re.search(r"; (\d+) events$", a["comment"]).group(1))
        sight = sorted(int(s["date_sighting"]) for s in a["Sighting"])
        got[(kind, a["value"])] = (a["first_seen"], a["last_seen"], n, sight)
    exp = {}
    for k, (f, l, n) in want.items():
        iso = lambda d: d.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"
        sec = sorted({int(f.timestamp()), int(l.timestamp())}) if f != l else [int(f.timestamp())]
        exp[k] = (iso(f), iso(l), n, sec)
    if got != exp:
        d = [(k, exp.get(k), got.get(k)) for k in sorted(set(exp) | set(got)) if exp.get(k) != got.get(k)]
        errs.append("misp attributes differ from the lists (%d): %s" % (len(d), d[:3]))
    return errs


def roundtrip(bundle, stix_imported, event, misp_imported):
    errs = []
    rows = lambda p: [json.loads(l) for l in open(p) if l.strip()]
    itype = {"ipv4-addr": "ip", "ipv6-addr": "ip", "url": "url", "domain-name": "domain"}
    want = set()
    for o in bundle["objects"]:
        if o["type"] == "indicator":
            path, value = unpattern(o["pattern"])
            want.add((itype[path], value, IMPORTED_KIND[NAMES[o["name"]]]))
    got = {(r["type"], r["value"], r["kind"]) for r in rows(stix_imported)}
    if got != want:
        errs.append("stix round trip: missing %s, extra %s" % (sorted(want - got)[:3], sorted(got - want)[:3]))
    # MISP: the importer takes each attribute's kind from its own tags; an
    # ip-src (the backdoor attacker: where traffic came from) is never C&C and
    # comes back as suspicious.
    ev = event["Event"]
    mtype = {"ip-dst": "ip", "ip-src": "ip", "url": "url", "domain": "domain"}
    mkind = {"c2": "c2", "phishing": "phishing", "backdoor": "suspicious"}
    want = set()
    for a in ev["Attribute"]:
        kinds = [TAGS[t["name"]] for t in a.get("Tag", []) if t["name"] in TAGS]
        want.add((mtype[a["type"]], a["value"], mkind[kinds[0]] if len(kinds) == 1 else "other"))
    got = {(r["type"], r["value"], r["kind"]) for r in rows(misp_imported)}
    if got != want:
        errs.append("misp round trip: missing %s, extra %s" % (sorted(want - got)[:3], sorted(got - want)[:3]))
    if not want:
        errs.append("round trip of nothing")
    return errs


def main():
    a = sys.argv[1:]
    if a[0] == "--roundtrip":
        errs = roundtrip(json.load(open(a[1])), a[2], json.load(open(a[3])), a[4])
    else:
        want = expected(json.load(open(a[3])))
        if not want:
            errs = ["the lists are empty: nothing checked"]
        else:
            errs = check_stix(a[0], json.load(open(a[1])), want)
            errs += check_misp(json.load(open(a[2])), want)
    for e in errs:
        print("FAIL:", e)
    if not errs:
        print("ok")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
