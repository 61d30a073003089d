#!/usr/bin/env python3
"""Run one integration case folder (format: tests/integration/README.md).

    run-case.py CASE_DIR

Exit 0 when every check passes, 77 when a requirement is missing (shared data
or a tool; tests/run-all.sh counts that as a failure in CI), 1 otherwise.
Uses $TA_BIN, $TA_GEN and $TA_SHARED_DATA like the integration scripts.
The checks are tested by tests/integration/run-case-test.py.
"""
import collections
import concurrent.futures
import copy
import csv
import fnmatch
import glob
import importlib.util
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

MISSING = object()
# A wanted value that is a mapping with exactly one of these key sets, or
# with bounds only, is a matcher, not a literal object.
MATCHERS = ({"re"}, {"has"}, {"keys"}, {"file", "path"})
BOUNDS = {"min", "max", "lt", "gt"}


class CaseError(Exception):
    """A check that cannot even be evaluated (a file not written, a bad path)."""


class Record(dict):
    """A record, the file it came from and its place there (pseudo-fields
    _file, _dir and _n)."""

    file = ""
    n = 0


def get(ev, path):
    """Value at a dotted path ("threatatlas.evidence.url"), or MISSING. A key
    that itself holds dots (IntelMQ's "source.ip") is found whole first; a
    number indexes a list ("alert.metadata.confirmed.0"); "." is the record;
    _file and _dir are the file a record came from and its folder, _n its
    place there (1 for the first)."""
    if isinstance(ev, dict) and path in ev:
        return ev[path]
    if isinstance(ev, Record) and path in ("_file", "_dir", "_n"):
        return {"_file": ev.file, "_dir": os.path.dirname(ev.file), "_n": ev.n}[path]
    if path == ".":
        return ev
    head, dot, rest = path.partition(".")
    if isinstance(ev, list):
        if not head.isdigit() or int(head) >= len(ev):
            return MISSING
        return ev[int(head)] if not dot else get(ev[int(head)], rest)
    if not isinstance(ev, dict):
        return MISSING
    if not dot or head not in ev:
        return MISSING
    return get(ev[head], rest)


def is_matcher(w):
    return isinstance(w, dict) and w != {} and (set(w) in MATCHERS or set(w) <= BOUNDS)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


class Case:
    """The work folder a case's command wrote, and what its checks found."""

    def __init__(self, work):
        self.work = work
        self.errors = []
        self.notes = []
        self.docs = {}

    def doc(self, name):
        """A JSON document the command wrote, read once."""
        if name not in self.docs:
            try:
                with open(os.path.join(self.work, name), encoding="utf-8") as f:
                    self.docs[name] = json.load(f)
            except (OSError, ValueError) as e:
                raise CaseError("%s: %s" % (name, e))
        return self.docs[name]

    def ref(self, w):
        v = get(self.doc(w["file"]), w["path"])
        if v is MISSING:
            raise CaseError("%s has no %s" % (w["file"], w["path"]))
        return v

    def want(self, w):
        """A wanted value to show: references replaced by what they name."""
        if is_matcher(w) and "file" in w:
            try:
                return self.ref(w)
            except CaseError:
                return w
        if isinstance(w, dict):
            return {k: self.want(v) for k, v in w.items()}
        if isinstance(w, list):
            return [self.want(v) for v in w]
        return w

    def same(self, a, b):
        """Equality that keeps JSON true apart from 1 (Python's True == 1); a
        wanted null (YAML ~ or null) means no value: absent, null or empty.
        Objects and lists compare member by member, so matchers nest."""
        if is_matcher(b):
            if "file" in b:
                return self.same(a, self.ref(b))
            if "re" in b:
                return isinstance(a, str) and re.search(b["re"], a) is not None
            if "has" in b:
                return isinstance(a, (str, list)) and b["has"] in a
            if "keys" in b:
                return isinstance(a, dict) and sorted(a) == sorted(b["keys"])
            return all(self.bound(a, op, v) for op, v in b.items())
        if b is None:
            return a is MISSING or a in (None, "", [], {})
        if isinstance(a, bool) or isinstance(b, bool):
            return type(a) is type(b) and a == b
        if isinstance(b, dict):
            return (isinstance(a, dict) and set(a) == set(b) and
                    all(self.same(a[k], v) for k, v in b.items()))
        if isinstance(b, list):
            return (isinstance(a, list) and len(a) == len(b) and
                    all(self.same(x, y) for x, y in zip(a, b)))
        return a == b

    def bound(self, a, op, v):
        """a >= v (min), a <= v (max), a < v (lt) or a > v (gt): numbers with
        numbers, strings (ISO dates) with strings."""
        v = self.ref(v) if is_matcher(v) and "file" in v else v
        if not (is_number(a) and is_number(v) or isinstance(a, str) and isinstance(v, str)):
            return False
        return {"min": a >= v, "max": a <= v, "lt": a < v, "gt": a > v}[op]

    def load(self, src):
        """The records of a source: `file` (a glob, matched in sorted order),
        `format`, `path`, `columns`, then `filter`."""
        fmt = src.get("format", "jsonl")
        names = sorted(glob.glob(os.path.join(self.work, src["file"]), recursive=True))
        if not names:
            raise CaseError("%s: not written" % src["file"])
        flt = [(k, self.predicate(v)) for k, v in src.get("filter", {}).items()]
        recs = []
        for name in names:
            rel = os.path.relpath(name, self.work)
            try:
                for n, it in enumerate(self.read(name, rel, fmt, src), 1):
                    r = Record(it) if isinstance(it, dict) else Record(value=it)
                    r.file, r.n = rel, n
                    for k, p in flt:
                        if not p(get(r, k)):
                            break
                    else:
                        recs.append(r)
            except (ValueError, yaml.YAMLError) as e:
                raise CaseError("%s: %s" % (rel, e))
        if "exclude" in src:
            # Stated exclusions: the records whose key another source holds
            # (a tunnel's flows, a fragmented 5-tuple) are left out, and counted.
            x = src["exclude"]
            drop_keys = {key(r, x["key"]) for r in self.load(x)}
            kept = [r for r in recs if key(r, x.get("as", x["key"])) not in drop_keys]
            self.notes.append("note: %s: %d of %d records excluded (%s)" % (
                src["file"], len(recs) - len(kept), len(recs), x.get("why", x["file"])))
            recs = kept
        return recs

    def predicate(self, b):
        """same(a, b) as a function of a, a regular expression compiled once
        (a filter may read a million lines)."""
        if is_matcher(b) and "re" in b:
            rx = re.compile(b["re"])
            return lambda a: isinstance(a, str) and rx.search(a) is not None
        return lambda a: self.same(a, b)

    @staticmethod
    def read(name, rel, fmt, src):
        """The items of one file, one at a time (a file may hold millions)."""
        with open(name, encoding="utf-8") as f:
            if fmt == "jsonl":
                yield from (json.loads(line) for line in f if line.strip())
            elif fmt in ("json", "yaml"):
                doc = json.load(f) if fmt == "json" else yaml.safe_load(f)
                if "path" in src:
                    doc = get(doc, src["path"])
                    if doc is MISSING:
                        raise CaseError("%s has no %s" % (rel, src["path"]))
                yield from doc if isinstance(doc, list) else [doc]
            elif fmt in ("csv", "tsv"):
                rows = csv.reader((line for line in f if line.strip() and not line.startswith("#")),
                                  delimiter="," if fmt == "csv" else "\t",
                                  skipinitialspace=fmt == "csv")
                cols = src.get("columns") or next(rows, [])
                for row in rows:
                    # Cells beyond the named columns are named by their position.
                    yield dict(zip(cols + [str(i) for i in range(len(cols), len(row))], row))
            elif fmt == "lines":
                yield from ({"line": line.rstrip("\n")} for line in f)
            else:
                raise CaseError("%s: unknown format %r" % (rel, fmt))

    def check(self, c):
        """One entry of `checks`: what fails goes to self.errors."""
        flt = c.get("filter", {})
        what = "%s%s" % (c["file"], " " + json.dumps(flt, sort_keys=True) if flt else "")
        try:
            self.check_records(c, what, self.load(c))
        except CaseError as e:
            self.errors.append("%s: %s" % (what, e))

    def check_records(self, c, what, sel):
        err = self.errors.append
        if "count" in c and not self.same(len(sel), c["count"]):
            err("%s: %d records, want %s%s" % (
                what, len(sel), json.dumps(self.want(c["count"])),
                "".join("\n    " + json.dumps(e, sort_keys=True)[:300] for e in sel[:5])))
        for i, e in enumerate(sel):
            where = "%s record %d" % (what, i + 1)
            for k, v in c.get("match", {}).items():
                if not self.same(get(e, k), v):
                    err("%s: %s is %s, want %s" % (where, k, show(get(e, k)),
                                                   json.dumps(self.want(v))))
            for k, vs in c.get("one-of", {}).items():
                if not any(self.same(get(e, k), v) for v in vs):
                    err("%s: %s is %s, want one of %r" % (where, k, show(get(e, k)), vs))
            for k in c.get("nonempty", []):
                if get(e, k) in (MISSING, None, "", [], {}):
                    err("%s: %s is empty" % (where, k))
            for k in c.get("absent", []):
                if get(e, k) is not MISSING:
                    err("%s: %s is present (%r)" % (where, k, get(e, k)))
            for a, b in c.get("equal", []):
                if get(e, a) is MISSING or not self.same(get(e, a), get(e, b)):
                    err("%s: %s %s is not %s %s" % (where, a, show(get(e, a)), b, show(get(e, b))))
            for a, b in c.get("ordered", []):
                va, vb = get(e, a), get(e, b)
                if va is MISSING or vb is MISSING or not va <= vb:
                    err("%s: %s %s is not <= %s %s" % (where, a, show(va), b, show(vb)))
        if "sorted" in c:
            f, desc = c["sorted"]["by"], c["sorted"].get("descending", False)
            vals = [get(e, f) for e in sel]
            for i in range(1, len(vals)):
                x, y = (vals[i], vals[i - 1]) if desc else (vals[i - 1], vals[i])
                if MISSING in (x, y) or not self.bound(x, "max", y):
                    err("%s: %s of records %d and %d (%s, %s) not in %s order" % (
                        what, f, i, i + 1, show(vals[i - 1]), show(vals[i]),
                        "descending" if desc else "ascending"))
        if "unique" in c:
            seen = collections.Counter(key(e, c["unique"]) for e in sel)
            for k, n in sorted(seen.items()):
                if n > 1:
                    err("%s: %d records with %s = %s" % (what, n, c["unique"], list(k)))
        if "share" in c:
            self.check_share(c["share"], what, sel)
        if "groups" in c:
            self.check_groups(c["groups"], what, sel)
        if "join" in c:
            self.check_join(c["join"], what, sel)
        if "same-as" in c:
            self.check_same_as(c["same-as"], what, sel)

    def outcome(self, name, o):
        """What `outcome NAME ...` recorded: the exit status; with `stderr`,
        exactly one stderr line, which the regular expression finds; with
        `stdout`, a stdout line it finds; without, on a failure, nothing on
        stdout. A NAME with a folder (each/**/observe) is every outcome the
        `each` commands recorded under that glob."""
        folder, _, base = name.rpartition("/")
        if folder:
            rcs = sorted(glob.glob(os.path.join(self.work, folder, "outcomes", base + ".rc"),
                                   recursive=True))
            if not rcs:
                self.errors.append("outcome %s: not recorded (outcome %s ARGS...)" % (name, base))
            for rc in rcs:
                d = os.path.dirname(os.path.dirname(rc))
                self.outcome_in(d, base, o, os.path.relpath(d, self.work) + "/" + base)
            return
        self.outcome_in(self.work, name, o, name)

    def outcome_in(self, folder, name, o, label):
        files = {}
        for ext in ("rc", "out", "err"):
            try:
                with open(os.path.join(folder, "outcomes", "%s.%s" % (name, ext)),
                          encoding="utf-8", errors="replace") as f:
                    files[ext] = f.read()
            except OSError:
                self.errors.append("outcome %s: not recorded (outcome %s ARGS...)" % (label, name))
                return
        rc, out, err = int(files["rc"]), files["out"], files["err"].splitlines()
        what = "outcome %s" % label
        if rc != o["exit"]:
            self.errors.append("%s: exit %d, want %d; stderr: %s" % (what, rc, o["exit"],
                                                                   " | ".join(err)[:300]))
        if "stderr" in o:
            if len(err) != 1:
                self.errors.append("%s: %d stderr lines, want 1: %s" % (what, len(err),
                                                                       " | ".join(err)[:300]))
            elif not re.search(o["stderr"], err[0]):
                self.errors.append("%s: stderr %r lacks %r" % (what, err[0], o["stderr"]))
        if "stdout" in o and not any(re.search(o["stdout"], x) for x in out.splitlines()):
            self.errors.append("%s: no stdout line has %r: %s" % (what, o["stdout"], out[:300]))
        if o["exit"] != 0 and "stdout" not in o and out:
            self.errors.append("%s: wrote to stdout on error: %s" % (what, out[:300]))

    def check_share(self, s, what, sel):
        """At least `min` (a fraction, 1 when absent) of the selected records
        match `where`, as an agreement rate with an oracle: printed as
        note: NAME: A/T (P%); the records that do not match are shown."""
        where = [(k, self.predicate(v)) for k, v in s["where"].items()]
        off = [e for e in sel if not all(p(get(e, k)) for k, p in where)]
        n, t = len(sel) - len(off), len(sel)
        self.notes.append("note: %s: %d/%d (%.2f%%)" % (s.get("name", what), n, t,
                                                       100.0 * n / t if t else 0.0))
        if not t or n < s.get("min", 1) * t:
            self.errors.append("%s: %d of %d records match %s, want at least %s%s" % (
                what, n, t, json.dumps(s["where"]), s.get("min", 1),
                "".join("\n    " + json.dumps(e, sort_keys=True)[:300] for e in off[:5])))

    def check_groups(self, g, what, sel):
        groups = {}
        for e in sel:
            k = tuple(json.dumps(get(e, f)) for f in g["by"])
            groups.setdefault(k, []).append(get(e, g["numbered"]) if "numbered" in g else 0)
        sizes = sorted(len(v) for v in groups.values())
        if "count" in g and not self.same(len(groups), g["count"]):
            self.errors.append("%s grouped by %s: %d groups, want %s" % (
                what, g["by"], len(groups), json.dumps(self.want(g["count"]))))
        if "sizes" in g and sizes != sorted(g["sizes"]):
            self.errors.append("%s grouped by %s: sizes %r, want %r" % (what, g["by"], sizes,
                                                                        sorted(g["sizes"])))
        if "numbered" in g:
            for k, v in groups.items():
                if sorted(v) != list(range(len(v))):
                    self.errors.append("%s group %s: %s %r, want 0..%d" % (
                        what, k, g["numbered"], sorted(v), len(v) - 1))

    def check_join(self, j, what, sel):
        """The selected records' keys against a truth file's: `expect` equal
        (the default), subset (every key is in the truth), superset (every
        truth key is here) or disjoint; or precision and recall above floors,
        printed as a note. Keys are a set, or with multiset a key n times in
        the truth needs n records."""
        truth = self.load(j["truth"])
        tkey, alts = j["truth"].get("key", j["key"]), j["truth"].get("alternatives", [])
        got = collections.Counter(key(e, j["key"]) for e in sel)
        if alts:
            if j.get("multiset"):
                raise CaseError("join: alternatives are keys of a set, not a multiset")
            # A truth record whose `alternatives` fields hold lists is found by
            # any one of its keys (an expectation met by any of its indicators).
            cands = [alternatives(t, tkey, alts) for t in truth]
            found = set(got)
            every = set().union(*cands)
            tp, tp_truth = len(found & every), sum(1 for c in cands if c & found)
            fp = sorted(found - every)
            fn = sorted(key(t, tkey) for t, c in zip(truth, cands) if not c & found)
            matched = sorted(found & every)
        else:
            want = collections.Counter(key(t, tkey) for t in truth)
            if not j.get("multiset"):
                got, want = collections.Counter(set(got)), collections.Counter(set(want))
            tp = tp_truth = sum((got & want).values())
            fp, fn = sorted((got - want).elements()), sorted((want - got).elements())
            matched = sorted((got & want).elements())
        name, tname = j.get("name", what), j["truth"]["file"]
        if "precision" in j or "recall" in j:
            p = tp / (tp + len(fp)) if tp + len(fp) else 0.0
            r = tp_truth / (tp_truth + len(fn)) if tp_truth + len(fn) else 0.0
            self.notes.append("note: %s: precision %.3f recall %.3f (%d/%d/%d)" % (
                name, p, r, tp, len(fp), len(fn)))
            for k in fp:
                print("false positive: %s" % list(k))
            for k in fn:
                print("false negative: %s" % list(k))
            if p < j.get("precision", 0):
                self.errors.append("%s: precision %.3f (%d of %d) below %s" % (
                    name, p, tp, tp + len(fp), j["precision"]))
            if r < j.get("recall", 0):
                self.errors.append("%s: recall %.3f (%d of %d) below %s" % (
                    name, r, tp_truth, tp_truth + len(fn), j["recall"]))
            return
        expect = j.get("expect", "equal")
        if expect not in ("equal", "subset", "superset", "disjoint"):
            raise CaseError("join: unknown expect %r" % expect)
        if expect == "disjoint":
            for k in matched:
                self.errors.append("%s: %s is in %s" % (name, list(k), tname))
            return
        if expect in ("equal", "subset"):
            for k in fp:
                self.errors.append("%s: %s not in %s" % (name, list(k), tname))
        if expect in ("equal", "superset"):
            for k in fn:
                self.errors.append("%s: %s of %s missing" % (name, list(k), tname))
        if alts:
            self.notes.append("note: %s: %d of the %d records of %s found (%d keys)" % (
                name, tp_truth, len(truth), tname, tp))
        else:
            self.notes.append("note: %s: %d keys found in %s" % (name, tp, tname))

    def check_same_as(self, o, what, sel):
        """The selected records and another source's as multisets (as
        sequences with in-order), compared on `fields` only or on everything
        but `ignore`."""
        def proj(r):
            if "fields" in o:
                r = {f: get(r, f) for f in o["fields"]}
                return json.dumps({f: v for f, v in r.items() if v is not MISSING},
                                  sort_keys=True)
            if len(r) == 1 and isinstance(r.get("line"), str):
                return r["line"]  # a line as it is: no JSON to escape, for long EVE lines
            if o.get("ignore"):  # a copy only to drop from (a million lines may be compared)
                r = copy.deepcopy(dict(r))
                for f in o["ignore"]:
                    drop(r, f)
            return json.dumps(r, sort_keys=True)
        mine, theirs = [proj(r) for r in sel], [proj(r) for r in self.load(o)]
        if o.get("in-order"):
            if mine == theirs:
                return
            i = next((i for i, (x, y) in enumerate(zip(mine, theirs)) if x != y),
                     min(len(mine), len(theirs)))
            self.errors.append("%s: not the records of %s in order (%d and %d); record %d:"
                               "\n    here: %s\n    there: %s" % (
                                   what, o["file"], len(mine), len(theirs), i + 1,
                                   (mine[i:] or ["(none)"])[0][:300],
                                   (theirs[i:] or ["(none)"])[0][:300]))
            return
        a, b = collections.Counter(mine), collections.Counter(theirs)
        if a == b:
            return
        self.errors.append("%s: not the records of %s (%d and %d)%s%s" % (
            what, o["file"], sum(a.values()), sum(b.values()),
            "".join("\n    only here: " + r[:300] for r in list((a - b).elements())[:5]),
            "".join("\n    only there: " + r[:300] for r in list((b - a).elements())[:5])))


def key(rec, fields):
    return tuple(json.dumps(get(rec, f), sort_keys=True) if get(rec, f) is not MISSING
                 else "(absent)" for f in fields)


def alternatives(rec, fields, alts):
    """The keys a record stands for: one per combination of the items of its
    list-valued `alts` fields (a value that is not a list is one item)."""
    parts = []
    for f in fields:
        v = get(rec, f)
        items = v if f in alts and isinstance(v, list) else [v]
        parts.append([json.dumps(x, sort_keys=True) if x is not MISSING else "(absent)"
                      for x in items])
    return set(itertools.product(*parts))


def drop(rec, path):
    """Remove a dotted path from nested objects (nothing when absent)."""
    if not isinstance(rec, dict):
        return
    if path in rec:
        del rec[path]
        return
    head, dot, rest = path.partition(".")
    if dot and head in rec:
        drop(rec[head], rest)


def show(v):
    return "absent" if v is MISSING else json.dumps(v)


# Defined for the command: `outcome NAME ARGS...` runs ARGS and records its
# exit status, stdout and stderr in outcomes/NAME.{rc,out,err} for `outcomes`.
OUTCOME_FN = """outcome() {
    local n=$1 rc=0
    shift
    mkdir -p outcomes
    "$@" >"outcomes/$n.out" 2>"outcomes/$n.err" || rc=$?
    echo $rc >"outcomes/$n.rc"
}
"""


def run_script(script, work, env, what):
    p = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=work, env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        sys.stdout.write(p.stdout[-4000:])
        print("FAIL: %s exited %d" % (what, p.returncode))
        return False, p.stdout
    return True, p.stdout


def run_each(each, work, env):
    """`each`: the command once per input file, in its own folder
    each/<the file's path>/ (so its records' _dir names the input), with $IN
    the file and $REL its path under the root; `jobs` at a time. The inputs
    are listed in each.txt. Returns whether every run exited 0."""
    root = env["TA_SHARED_DATA"] if each.get("under", "shared") == "shared" else work
    found = set()
    for g in each["files"]:
        found.update(f for f in glob.glob(os.path.join(root, g), recursive=True)
                     if os.path.isfile(f))
    rels = sorted(os.path.relpath(f, root) for f in found)
    rels = [r for r in rels if not any(fnmatch.fnmatch(r, x) for x in each.get("exclude", []))]
    with open(os.path.join(work, "each.txt"), "w", encoding="utf-8") as f:
        f.writelines(r + "\n" for r in rels)
    if len(rels) < each.get("min", 1):
        print("FAIL: each: %d files match %s, want at least %d" % (
            len(rels), each["files"], each.get("min", 1)))
        return False

    def one(rel):
        d = os.path.join(work, "each", rel)
        os.makedirs(d, exist_ok=True)
        p = subprocess.run(["bash", "-euo", "pipefail", "-c", OUTCOME_FN + each["command"]],
                           cwd=d, env=dict(env, IN=os.path.join(root, rel), REL=rel),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        return rel, p.returncode, p.stdout

    jobs = int(each.get("jobs", os.environ.get("TA_JOBS", "2")))
    ok = True
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for rel, code, out in pool.map(one, rels):
            for line in out.splitlines():
                if line.startswith(("note:", "info:")):
                    print("%s (%s)" % (line, rel))
            if code != 0:
                sys.stdout.write(out[-2000:])
                print("FAIL: each: %s: command exited %d" % (rel, code))
                ok = False
    return ok


def main():
    args = sys.argv[1:]
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] not in ("--keep", "--checks-only")):
        print("usage: run-case.py CASE_DIR [--keep DIR | --checks-only DIR]")
        return 2
    case = os.path.abspath(args[0])
    with open(os.path.join(case, "test.yaml"), encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    shared = os.environ.get("TA_SHARED_DATA", "../shared/data")
    req = spec.get("requires", {}) or {}
    for p in req.get("shared", []):
        if not os.path.exists(os.path.join(shared, p)):
            print("shared data absent: %s" % os.path.join(shared, p))
            return 77
    # Installed data (threatatlas geo install) under $THREATATLAS_DATA_DIR.
    data = os.environ.get("THREATATLAS_DATA_DIR", "")
    for p in req.get("data", []):
        if not data or not os.path.exists(os.path.join(data, p)):
            print("installed data absent: %s (threatatlas geo install)" % os.path.join(data, p))
            return 77
    # Programs of the build under test beyond threatatlas (bench/bench-report).
    for p in req.get("build", []):
        if not os.access(os.path.join(os.environ.get("TA_BUILD", ""), p), os.X_OK):
            print("%s is not built in %s" % (p, os.environ.get("TA_BUILD", "")))
            return 77
    for m in req.get("modules", []):
        if importlib.util.find_spec(m) is None:
            print("python3 module %s is not installed" % m)
            return 77
    for t in req.get("tools", []):
        if shutil.which(t) is None:
            print("%s is not installed" % t)
            return 77
    env = dict(os.environ, CASE=case, TA_SHARED_DATA=os.path.abspath(shared))
    # --keep runs in DIR and leaves it; --checks-only checks what a kept run
    # wrote, without running anything (to work on a slow case's checks).
    keep = len(args) == 3
    if keep:
        work = os.path.abspath(args[2])
        os.makedirs(work, exist_ok=True)
    else:
        work = tempfile.mkdtemp(prefix="ta-case-")
    env["WORK"] = work  # for the `each` commands, which run in folders below it
    try:
        out = ""
        if not keep or args[1] == "--keep":
            if spec.get("input"):
                ok, _ = run_script(OUTCOME_FN + spec["input"], work, env, "input")
                if not ok:
                    return 1
            if "each" in spec and not run_each(spec["each"], work, env):
                return 1
            if spec.get("command"):
                ok, out = run_script(OUTCOME_FN + spec["command"], work, env, "command")
                if not ok:
                    return 1
        run = Case(work)
        for c in spec.get("checks", []):
            run.check(c)
        for name, o in (spec.get("outcomes") or {}).items():
            run.outcome(name, o)
        errors = run.errors
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
        for line in run.notes:
            print(line)
        for e in errors[:40]:
            print("FAIL: " + e)
        if len(errors) > 40:
            print("FAIL: ... %d more" % (len(errors) - 40))
        nchecks = (len(spec.get("checks", [])) + len(spec.get("outcomes") or {}) +
                   (len(os.listdir(exp)) if os.path.isdir(exp) else 0))
        if not errors and nchecks == 0:
            print("FAIL: the case checks nothing")
            return 1
        return 1 if errors else 0
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
