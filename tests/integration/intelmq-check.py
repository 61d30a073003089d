#!/usr/bin/env python3
"""Validate IntelMQ events (one JSON object per line) against IntelMQ's
harmonization.conf: every key is a harmonization key (or extra.*), every value
valid for its type, and classification.taxonomy/type a pair IntelMQ defines.

usage: intelmq-check.py HARMONIZATION.conf EVENTS.json [...]
Prints the number of events checked; exits 1 with one line per problem."""
import datetime
import ipaddress
import json
import re
import sys
import urllib.parse

import jsonschema

# IntelMQ 3's classification: taxonomy -> the types it contains
# (intelmq/lib/harmonization.py, ClassificationTaxonomy / ClassificationType).
TAXONOMY = {
    "abusive-content": {"harmful-speech", "spam", "violence"},
    "availability": {"ddos", "dos", "outage", "sabotage"},
    "fraud": {"copyright", "masquerade", "phishing", "unauthorized-use-of-resources"},
    "information-content-security": {"data-leak", "data-loss", "unauthorised-information-access",
                                     "unauthorised-information-modification"},
    "information-gathering": {"scanner", "sniffing", "social-engineering"},
    "intrusion-attempts": {"brute-force", "exploit", "ids-alert"},
    "intrusions": {"application-compromise", "burglary", "privileged-account-compromise",
                   "system-compromise", "unprivileged-account-compromise"},
    "malicious-code": {"c2-server", "infected-system", "malware-configuration",
                       "malware-distribution"},
    "other": {"blacklist", "dga-domain", "other", "proxy", "tor", "undetermined", "unknown"},
    "test": {"test"},
    "vulnerable": {"ddos-amplifier", "information-disclosure", "potentially-unwanted-accessible",
                   "vulnerable-system", "weak-crypto"},
}
TYPES = set().union(*TAXONOMY.values())

checker = jsonschema.FormatChecker()


@checker.checks("intelmq-datetime")
def _datetime(v):
    # IntelMQ's DateTime is valid when it equals its own UTC isoformat().
    try:
        d = datetime.datetime.fromisoformat(v)
    except ValueError:
        return False
    return d.tzinfo is not None and d.astimezone(datetime.timezone.utc).isoformat() == v


def _ip(v):
    try:
        return ipaddress.ip_address(v) != ipaddress.ip_address("0.0.0.0")
    except ValueError:
        return False


@checker.checks("intelmq-ip")
def _ipaddress(v):
    return _ip(v)


@checker.checks("intelmq-fqdn")
def _fqdn(v):
    if _ip(v) or urllib.parse.urlsplit(v).netloc != "" or v.endswith(".") or v != v.lower():
        return False
    try:
        return v.encode("idna").decode() == v
    except UnicodeError:
        return False


@checker.checks("intelmq-url")
def _url(v):
    return urllib.parse.urlsplit(v).netloc != ""


@checker.checks("intelmq-network")
def _net(v):
    try:
        ipaddress.ip_network(v)
        return True
    except ValueError:
        return False


def field_schema(spec):
    t = spec["type"]
    s = {}
    if t in ("String", "LowercaseString", "UppercaseString", "FQDN", "URL", "DateTime",
             "IPAddress", "IPNetwork", "ClassificationType", "ClassificationTaxonomy",
             "Registry", "Base64", "TLP"):
        s = {"type": "string", "minLength": 1}
    elif t in ("Integer",):
        s = {"type": "integer"}
    elif t == "ASN":
        s = {"type": "integer", "minimum": 1, "maximum": 4294967295}
    elif t in ("Float",):
        s = {"type": "number"}
    elif t == "Accuracy":
        s = {"type": "number", "minimum": 0, "maximum": 100}
    elif t == "Boolean":
        s = {"type": "boolean"}
    elif t in ("JSON", "JSONDict"):
        s = {}
    else:
        raise SystemExit("intelmq-check: unknown harmonization type %s" % t)
    fmt = {"DateTime": "intelmq-datetime", "IPAddress": "intelmq-ip", "FQDN": "intelmq-fqdn",
           "URL": "intelmq-url", "IPNetwork": "intelmq-network"}.get(t)
    if fmt:
        s["format"] = fmt
    pats = []
    if t == "LowercaseString":
        pats.append("^[^A-Z]*$")
    if t == "UppercaseString":
        pats.append("^[^a-z]*$")
    if "regex" in spec:
        pats.append(spec["regex"])
    if "iregex" in spec:
        pats.append("(?i)" + spec["iregex"])
    if t == "ClassificationType":
        s["enum"] = sorted(TYPES)
    if t == "ClassificationTaxonomy":
        s["enum"] = sorted(TAXONOMY)
    if "length" in spec and s.get("type") == "string":
        s["maxLength"] = spec["length"]
    if pats:
        s["allOf"] = [{"pattern": p} for p in pats]
    return s


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    h = json.load(open(sys.argv[1]))["event"]
    props = {k: field_schema(v) for k, v in h.items() if k != "extra"}
    schema = {
        "type": "object",
        "properties": props,
        # IntelMQ keeps what the harmonization lacks in extra, flattened as extra.*.
        "patternProperties": {r"^extra\.[a-z0-9_.]+$": {}},
        "additionalProperties": False,
        "required": ["classification.taxonomy", "classification.type", "time.source"],
    }
    jsonschema.Draft7Validator.check_schema(schema)
    v = jsonschema.Draft7Validator(schema, format_checker=checker)
    n = 0
    bad = 0
    for path in sys.argv[2:]:
        for i, line in enumerate(open(path), 1):
            if not line.strip():
                continue
            n += 1
            ev = json.loads(line)
            for e in v.iter_errors(ev):
                where = "/".join(str(p) for p in e.absolute_path)
                print("%s:%d: %s: %s" % (path, i, where or "event", e.message[:200]))
                bad += 1
            tax, typ = ev.get("classification.taxonomy"), ev.get("classification.type")
            if tax in TAXONOMY and typ not in TAXONOMY[tax]:
                print("%s:%d: classification %s/%s is not an IntelMQ pair" % (path, i, tax, typ))
                bad += 1
    print("intelmq-check: %d events, %d problems" % (n, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
