#!/usr/bin/env python3
"""Run one integration case folder (format: tests/integration/README.md).

    run-case.py CASE_DIR

Exit 0 when every check passes, 77 when a requirement is missing (shared data
or a tool; tests/run-all.sh counts that as a failure in CI), 1 otherwise.
Uses $TA_BIN, $TA_GEN and $TA_SHARED_DATA like the integration scripts.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import yaml

MISSING = object()


def get(ev, path):
    """Value at a dotted path ("threatatlas.evidence.url"), or MISSING. A key
    that itself holds dots (IntelMQ's "source.ip") is found whole first."""
    if not isinstance(ev, dict):
        return MISSING
    if path in ev:
        return ev[path]
    head, dot, rest = path.partition(".")
    if not dot or head not in ev:
        return MISSING
    return get(ev[head], rest)


def same(a, b):
    """Equality that keeps JSON true apart from 1 (Python's True == 1); a
    wanted null (YAML ~ or null) means no value: absent, null or empty."""
    if b is None:
        return a is MISSING or a in (None, "", [], {})
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def load_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_one(work, c, errors):
    """One entry of `checks`: appends what failed to errors."""
    name = c["file"]
    evs = load_lines(os.path.join(work, name))
    flt = c.get("filter", {})
    sel = [e for e in evs if all(same(get(e, k), v) for k, v in flt.items())]
    what = "%s%s" % (name, " " + json.dumps(flt, sort_keys=True) if flt else "")
    if "count" in c and len(sel) != c["count"]:
        errors.append("%s: %d records, want %d%s" % (
            what, len(sel), c["count"],
            "".join("\n    " + json.dumps(e, sort_keys=True)[:300] for e in sel[:5])))
    for i, e in enumerate(sel):
        where = "%s record %d" % (what, i + 1)
        for k, v in c.get("match", {}).items():
            if not same(get(e, k), v):
                errors.append("%s: %s is %r, want %r" % (where, k, get(e, k), v))
        for k, vs in c.get("one-of", {}).items():
            if get(e, k) not in vs:
                errors.append("%s: %s is %r, want one of %r" % (where, k, get(e, k), vs))
        for k in c.get("nonempty", []):
            if get(e, k) in (MISSING, None, "", [], {}):
                errors.append("%s: %s is empty" % (where, k))
        for k in c.get("absent", []):
            if get(e, k) is not MISSING:
                errors.append("%s: %s is present (%r)" % (where, k, get(e, k)))
        for a, b in c.get("ordered", []):
            va, vb = get(e, a), get(e, b)
            if va is MISSING or vb is MISSING or not va <= vb:
                errors.append("%s: %s %r is not <= %s %r" % (where, a, va, b, vb))
    g = c.get("groups")
    if g:
        groups = {}
        for e in sel:
            key = tuple(json.dumps(get(e, k)) for k in g["by"])
            groups.setdefault(key, []).append(get(e, g["numbered"]) if "numbered" in g else 0)
        sizes = sorted(len(v) for v in groups.values())
        if "sizes" in g and sizes != sorted(g["sizes"]):
            errors.append("%s grouped by %s: sizes %r, want %r" % (what, g["by"], sizes,
                                                                   sorted(g["sizes"])))
        if "numbered" in g:
            for key, v in groups.items():
                if sorted(v) != list(range(len(v))):
                    errors.append("%s group %s: %s %r, want 0..%d" % (
                        what, key, g["numbered"], sorted(v), len(v) - 1))


def run_script(script, work, env, what):
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout[-4000:])
        print("FAIL: %s exited %d" % (what, p.returncode))
        return False, p.stdout
    return True, p.stdout


def main():
    case = os.path.abspath(sys.argv[1])
    with open(os.path.join(case, "test.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    shared = os.environ.get("TA_SHARED_DATA", "../shared/data")
    req = spec.get("requires", {}) or {}
    for p in req.get("shared", []):
        if not os.path.exists(os.path.join(shared, p)):
            print("shared data absent: %s" % os.path.join(shared, p))
            return 77
    for t in req.get("tools", []):
        if shutil.which(t) is None:
            print("%s is not installed" % t)
            return 77
    env = dict(os.environ, CASE=case, TA_SHARED_DATA=os.path.abspath(shared))
    work = tempfile.mkdtemp(prefix="ta-case-")
    try:
        if spec.get("input"):
            ok, _ = run_script(spec["input"], work, env, "input")
            if not ok:
                return 1
        ok, out = run_script(spec["command"], work, env, "command")
        if not ok:
            return 1
        errors = []
        for c in spec.get("checks", []):
            check_one(work, c, errors)
        exp = os.path.join(case, "expected")
        if os.path.isdir(exp):
            for name in sorted(os.listdir(exp)):
                got = os.path.join(work, name)
                if not os.path.exists(got):
                    errors.append("%s: not written" % name)
                    continue
                d = subprocess.run(["diff", "-u", os.path.join(exp, name), got],
                                   stdout=subprocess.PIPE, text=True)
                if d.returncode != 0:
                    errors.append("%s differs from expected/%s:\n%s" % (name, name,
                                                                         d.stdout[:4000]))
        for line in out.splitlines():
            if line.startswith(("note:", "info:")):
                print(line)
        for e in errors[:40]:
            print("FAIL: " + e)
        if len(errors) > 40:
            print("FAIL: ... %d more" % (len(errors) - 40))
        nchecks = len(spec.get("checks", [])) + (len(os.listdir(exp)) if os.path.isdir(exp) else 0)
        if not errors and nchecks == 0:
            print("FAIL: the case checks nothing")
            return 1
        return 1 if errors else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
