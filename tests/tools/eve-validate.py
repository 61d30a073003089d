#!/usr/bin/env python3
"""Validate EVE JSON lines against Suricata's EVE schema (etc/schema.json).

    eve-validate.py SCHEMA FILE... [--expect-types alert,flow] [--no-cache]

Every line of every FILE must be one JSON object that the schema accepts.
Prints one summary line per file and, for failures, each distinct problem
(event_type, JSON path, message) once with its count and a sample line
number. Exit 0 when every record validates, 1 when one does not (or a file
holds no record, or an --expect-types event type never appears), 2 on usage
errors, 77 when python3-jsonschema is missing outside CI (in CI it is 1).

Records of the same shape (see constraint_plan) are validated once: the
schema's verdict on a record depends only on its shape, so every record is
still judged, at a fraction of the cost. --no-cache validates each record.
"""
import json
import os
import re
import sys

VALUE_KEYWORDS = ("enum", "const", "pattern", "oneOf", "anyOf", "not", "minimum", "maximum",
                  "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
                  "format")
# Keywords the shape does not preserve (it keeps every key, so minProperties and
# maxProperties hold; it keeps arrays as sets of item shapes).
UNSUPPORTED = ("maxItems", "uniqueItems", "contains", "prefixItems", "patternProperties",
               "dependentRequired", "if", "propertyNames", "additionalItems")


def constraint_plan(schema):
    """How records may be reduced to a shape that validates exactly as they do.

    Most of Suricata's schema constrains only keys and types; a few members
    constrain values (timestamp and tls dates by pattern, some enums). The
    plan names them: string values under an enum/const key stay literal,
    strings under a pattern key become whether they match, numbers keep
    their sign. Returns None (validate every record as it is) when the
    schema uses a keyword this reduction does not account for.
    """
    literal, patterns = set(), {}
    min_items = []
    refs = {}

    def prop_name(path):
        for p in reversed(path):
            if p in ("items", "oneOf", "anyOf", "properties") or p.isdigit():
                continue
            return p
        return None

    def walk(o, path):
        if isinstance(o, dict) and path and path[-1] in ("properties", "$defs"):
            for k, v in o.items():  # names of members, not keywords
                walk(v, path + [k])
        elif isinstance(o, dict):
            for k in UNSUPPORTED:
                if k in o:
                    raise ValueError(k)
            if "minItems" in o:
                min_items.append(o["minItems"])
            if "$ref" in o:
                refs.setdefault(o["$ref"], []).append(prop_name(path))
            for k in VALUE_KEYWORDS:
                if k not in o:
                    continue
                if k in ("minimum", "maximum") and not isinstance(o[k], (int, float)):
                    continue  # a property that happens to be called "minimum"
                name = prop_name(path)
                target = [name]
                if len(path) == 2 and path[0] == "$defs" and k != "minimum":
                    target = None  # a definition: constrains the keys that refer to it
                    pending.append((path[1], k, o[k]))
                if target is not None:
                    if k == "pattern":
                        patterns.setdefault(name, []).append(re.compile(o[k]))
                    elif k in ("minimum", "maximum") and o[k] == 0:
                        pass  # numbers keep their sign
                    else:
                        literal.add(name)
            for k, v in o.items():
                walk(v, path + [k])
        elif isinstance(o, list):
            for i, v in enumerate(o):
                walk(v, path + [str(i)])

    pending = []
    try:
        walk(schema, [])
    except ValueError:
        return None
    for name, k, v in pending:
        for ref_name in refs.get("#/$defs/" + name, []):
            if k == "pattern":
                patterns.setdefault(ref_name, []).append(re.compile(v))
            else:
                literal.add(ref_name)
    if None in literal or None in patterns or any(m > 1 for m in min_items):
        return None
    return literal, patterns


def shape(v, plan, key=None):
    """The record reduced per constraint_plan: a hashable value."""
    literal, patterns = plan
    if isinstance(v, dict):
        return ("o", tuple(sorted((k, shape(x, plan, k)) for k, x in v.items())))
    if isinstance(v, list):
        # Without maxItems or uniqueItems, only which items and whether any: a set.
        return ("a", tuple(sorted(set(shape(x, plan, key) for x in v), key=repr)))
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return ("i", v < 0)
    if isinstance(v, float):
        return ("f", v < 0)
    if isinstance(v, str):
        if key in patterns:
            return ("p", all(r.search(v) for r in patterns[key]))
        return v if key in literal else "s"
    return v


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    expect = []
    for i, a in enumerate(argv):
        if a == "--expect-types" and i + 1 < len(argv):
            expect = [t for t in argv[i + 1].split(",") if t]
            args.remove(argv[i + 1])
    if len(args) < 2:
        print("usage: eve-validate.py SCHEMA FILE... [--expect-types t1,t2]", file=sys.stderr)
        return 2
    try:
        import jsonschema
    except ImportError:
        print("skip: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
        return 1 if os.environ.get("CI") == "true" else 77
    schema_path, files = args[0], args[1:]
    try:
        with open(schema_path, encoding="utf-8") as fh:
            schema = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"eve-validate: cannot read schema {schema_path}: {e}", file=sys.stderr)
        return 1
    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema)
    plan = None if "--no-cache" in argv else constraint_plan(schema)
    verdicts = {}  # shape -> errors of the first record of that shape
    bad = 0
    seen_types = set()
    for path in files:
        problems = {}
        records = 0
        failed = 0
        with open(path, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                records += 1
                try:
                    rec = json.loads(line)
                except ValueError as e:
                    key = ("?", "", f"not JSON: {e}")
                    problems.setdefault(key, [0, n])[0] += 1
                    failed += 1
                    continue
                et = rec.get("event_type", "?") if isinstance(rec, dict) else "?"
                seen_types.add(et)
                if plan is not None:
                    k = shape(rec, plan)
                    if k not in verdicts:
                        verdicts[k] = list(validator.iter_errors(rec))
                    errs = verdicts[k]
                else:
                    errs = list(validator.iter_errors(rec))
                if errs:
                    failed += 1
                for e in errs:
                    where = "/".join(str(p) for p in e.absolute_path)
                    key = (et, where, e.message[:200])
                    problems.setdefault(key, [0, n])[0] += 1
        status = "ok" if failed == 0 and records > 0 else "FAIL"
        print(f"{status} {path}: {records} records, {failed} invalid")
        if records == 0:
            bad += 1
        if failed:
            bad += 1
            for (et, where, msg), (count, first) in sorted(problems.items()):
                print(f"    {et} {where or '.'}: {msg} ({count}x, first at line {first})")
    missing = [t for t in expect if t not in seen_types]
    if missing:
        print(f"FAIL: no record of event_type {', '.join(missing)} in {' '.join(files)}")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
