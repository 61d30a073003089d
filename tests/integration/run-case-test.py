#!/usr/bin/env python3
"""The case runner's checks (tests/integration/run-case.py) on small files
written here: each passes on right data and fails on wrong data, so a case
that passes proves what its test.yaml says. Run by tests/run-all.sh."""
import contextlib
import importlib.util
import io
import json
import os
import sys
import tempfile
import unittest
import unittest.mock

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("run_case", os.path.join(HERE, "run-case.py"))
rc = importlib.util.module_from_spec(spec)
spec.loader.exec_module(rc)

EVENTS = [
    {"src_ip": "10.0.0.1", "dest_port": 80, "ok": True, "n": 3, "sig": "40 requests",
     "md": {"kind": ["c2"]}, "t": {"a": 1, "b": 2}},
    {"src_ip": "10.0.0.2", "dest_port": 443, "ok": False, "n": 7, "sig": "12 requests",
     "md": {"kind": ["c2-suspected"]}, "t": {"a": 2, "b": 2}},
    {"src_ip": "10.0.0.3", "dest_port": 443, "ok": True, "n": 1, "sig": "3 requests",
     "md": {"kind": ["c2-suspected"]}, "t": {"a": 3, "b": 3}},
]
TRUTH = {"packets": 500, "expected": {"events": 3, "by": "top-sites"},
         "beacon": [{"host": "10.0.0.2", "port": 443}, {"host": "10.0.0.3", "port": 443},
                    {"host": "10.0.0.9", "port": 8080}]}


class Checks(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        w = self.tmp.name
        for d in ("s1", "s2"):
            os.mkdir(os.path.join(w, d))
            with open(os.path.join(w, d, "ev.json"), "w") as f:
                f.writelines(json.dumps(e) + "\n" for e in EVENTS)
            with open(os.path.join(w, d, "truth.json"), "w") as f:
                json.dump(TRUTH, f)
        with open(os.path.join(w, "ev.json"), "w") as f:
            f.writelines(json.dumps(e) + "\n" for e in EVENTS)
        with open(os.path.join(w, "truth.json"), "w") as f:
            json.dump(TRUTH, f)
        with open(os.path.join(w, "feed.csv"), "w") as f:
            f.write("# a comment\nip,port\n10.0.0.2, 443\n10.0.0.3,443\n")
        with open(os.path.join(w, "lookup.tsv"), "w") as f:
            f.write("google.com\tallowlisted\tmaltrail\n"
                    "foo.xyz\tmatch\txyz\tdomain\tsuspicious\n")
        with open(os.path.join(w, "out.txt"), "w") as f:
            f.write("a: 3 accepted\nb: 4 accepted\ntotal: 7 accepted, 0 rejected\n")
        self.w = w

    def tearDown(self):
        self.tmp.cleanup()

    def errors(self, check):
        case = rc.Case(self.w)
        with contextlib.redirect_stdout(io.StringIO()):  # the joins' unmatched keys
            case.check(check)
        self.notes = case.notes
        return case.errors

    def passes(self, check):
        self.assertEqual(self.errors(check), [], check)

    def fails(self, check, text=""):
        errs = self.errors(check)
        self.assertTrue(errs, "passed on wrong data: %r" % check)
        self.assertIn(text, "\n".join(errs))

    def both(self, good, bad, text=""):
        self.passes(good)
        self.fails(bad, text)

    def test_count_and_filter(self):
        self.both({"file": "ev.json", "count": 3}, {"file": "ev.json", "count": 2}, "3 records")
        self.both({"file": "ev.json", "filter": {"dest_port": 443}, "count": 2},
                  {"file": "ev.json", "filter": {"dest_port": 443}, "count": 1})
        # JSON true is not 1.
        self.both({"file": "ev.json", "filter": {"ok": True}, "count": 2},
                  {"file": "ev.json", "filter": {"ok": 1}, "count": 2})

    def test_count_bounds_and_reference(self):
        self.both({"file": "ev.json", "count": {"min": 3, "max": 3}},
                  {"file": "ev.json", "count": {"min": 4}}, 'want {"min": 4}')
        self.fails({"file": "ev.json", "count": {"max": 2}})
        self.both({"file": "ev.json", "count": {"file": "truth.json", "path": "expected.events"}},
                  {"file": "ev.json", "filter": {"ok": True},
                   "count": {"file": "truth.json", "path": "expected.events"}}, "want 3")
        self.both({"file": "ev.json",
                   "count": {"max": {"file": "truth.json", "path": "expected.events"}}},
                  {"file": "ev.json",
                   "count": {"min": {"file": "truth.json", "path": "packets"}}}, "want {")
        self.fails({"file": "ev.json", "count": {"file": "truth.json", "path": "no.such"}},
                   "has no no.such")

    def test_missing_or_bad_file(self):
        self.fails({"file": "nothing.json", "count": 0}, "not written")
        self.fails({"file": "ev.json", "format": "json", "count": 0}, "Extra data")
        self.fails({"file": "ev.json", "format": "xml", "count": 0}, "unknown format")

    def test_list_index_and_whole_record(self):
        self.both({"file": "ev.json", "filter": {"md.kind.0": "c2"}, "count": 1},
                  {"file": "ev.json", "filter": {"md.kind.1": "c2"}, "count": 1})
        self.both({"file": "ev.json", "filter": {"n": 3}, "match": {"t": {"a": 1, "b": 2}}},
                  {"file": "ev.json", "filter": {"n": 3}, "match": {"t.b": 3}})
        self.both({"file": "truth.json", "format": "json", "path": "beacon.0",
                   "match": {".": {"host": "10.0.0.2", "port": 443}}},
                  {"file": "truth.json", "format": "json", "path": "beacon.0",
                   "match": {".": {"host": "10.0.0.2"}}})

    def test_match_matchers(self):
        self.both({"file": "ev.json", "match": {"n": {"min": 1, "max": 7}}},
                  {"file": "ev.json", "match": {"n": {"min": 2}}}, "n is 1")
        self.fails({"file": "ev.json", "match": {"sig": {"min": 0}}}, "sig is")  # not a number
        self.both({"file": "ev.json", "match": {"sig": {"re": r"^\d+ requests$"}}},
                  {"file": "ev.json", "match": {"sig": {"re": "^40 "}}})
        self.both({"file": "ev.json", "match": {"src_ip": {"has": "10.0.0."}}},
                  {"file": "ev.json", "match": {"src_ip": {"has": "10.0.0.1"}}})
        self.both({"file": "ev.json", "filter": {"n": 3}, "match": {"md.kind": {"has": "c2"}}},
                  {"file": "ev.json", "filter": {"n": 7}, "match": {"md.kind": {"has": "c2"}}})
        self.both({"file": "truth.json", "format": "json",
                   "match": {"expected": {"keys": ["by", "events"]}}},
                  {"file": "truth.json", "format": "json", "match": {"expected": {"keys": ["by"]}}})
        self.fails({"file": "ev.json", "match": {"src_ip": {"keys": []}}})
        # Objects compare member by member, matchers inside.
        self.both({"file": "ev.json", "filter": {"n": 3}, "match": {"t": {"a": 1, "b": {"min": 2}}}},
                  {"file": "ev.json", "filter": {"n": 3}, "match": {"t": {"a": 1}}})
        self.both({"file": "truth.json", "format": "json",
                   "match": {"expected": {"by": "top-sites", "events": 3}}},
                  {"file": "truth.json", "format": "json",
                   "match": {"expected": {"by": "top-sites", "events": 4}}})
        self.both({"file": "ev.json", "one-of": {"dest_port": [80, 443]}},
                  {"file": "ev.json", "one-of": {"dest_port": [80]}})

    def test_formats(self):
        self.both({"file": "truth.json", "format": "json", "count": 1,
                   "match": {"packets": {"min": 100}}},
                  {"file": "truth.json", "format": "json", "match": {"packets": {"max": 100}}})
        self.both({"file": "truth.json", "format": "json", "path": "beacon", "count": 3},
                  {"file": "truth.json", "format": "json", "path": "beacon", "count": 2})
        self.fails({"file": "truth.json", "format": "json", "path": "nope", "count": 0}, "has no")
        # YAML, as a table written by hand (JSON is YAML too).
        self.both({"file": "truth.json", "format": "yaml", "path": "beacon", "count": 3,
                   "match": {"port": {"min": 443}}},
                  {"file": "truth.json", "format": "yaml", "path": "beacon", "count": 3,
                   "match": {"port": 443}}, "port is 8080")
        self.fails({"file": "ev.json", "format": "yaml", "count": 1}, "expected '<document start>'")
        self.both({"file": "feed.csv", "format": "csv", "filter": {"ip": "10.0.0.2"},
                   "match": {"port": "443"}, "count": 1},
                  {"file": "feed.csv", "format": "csv", "match": {"port": 443}})
        self.both({"file": "lookup.tsv", "format": "tsv",
                   "columns": ["value", "verdict", "entry", "type", "kind"],
                   "filter": {"value": "foo.xyz"}, "count": 1,
                   "match": {"verdict": "match", "kind": "suspicious"}},
                  {"file": "lookup.tsv", "format": "tsv", "columns": ["value", "verdict"],
                   "filter": {"value": "google.com"}, "match": {"verdict": "match"}})
        self.both({"file": "out.txt", "format": "lines", "filter": {"line": {"re": "accepted"}},
                   "count": 3},
                  {"file": "out.txt", "format": "lines", "filter": {"line": {"re": "accepted$"}},
                   "count": 3})
        self.both({"file": "out.txt", "format": "lines", "filter": {"line": "b: 4 accepted"},
                   "count": 1},
                  {"file": "out.txt", "format": "lines", "filter": {"line": "b: 5 accepted"},
                   "count": 1})

    def test_string_bounds_and_strict(self):
        self.both({"file": "feed.csv", "format": "csv", "match": {"ip": {"gt": "10.0.0.1",
                                                                      "lt": "10.0.0.4"}}},
                  {"file": "feed.csv", "format": "csv", "match": {"ip": {"gt": "10.0.0.2"}}})
        self.both({"file": "ev.json", "match": {"n": {"lt": 8, "gt": 0}}},
                  {"file": "ev.json", "match": {"n": {"lt": 7}}}, "n is 7")
        # A string is not within numeric bounds, nor a number within string ones.
        self.fails({"file": "feed.csv", "format": "csv", "match": {"port": {"min": 0}}})
        self.fails({"file": "ev.json", "match": {"n": {"min": "0"}}})

    def test_sorted(self):
        self.both({"file": "ev.json", "sorted": {"by": "src_ip"}},
                  {"file": "ev.json", "sorted": {"by": "src_ip", "descending": True}},
                  "not in descending order")
        self.both({"file": "ev.json", "filter": {"dest_port": 443},
                   "sorted": {"by": "n", "descending": True}},
                  {"file": "ev.json", "sorted": {"by": "n", "descending": True}}, "records 1 and 2")
        self.fails({"file": "ev.json", "sorted": {"by": "nothing"}}, "absent")

    def test_unique(self):
        self.both({"file": "ev.json", "unique": ["src_ip", "dest_port"]},
                  {"file": "ev.json", "unique": ["dest_port"]}, "2 records with")

    def test_groups_count(self):
        self.both({"file": "ev.json", "groups": {"by": ["dest_port"], "count": 2, "sizes": [1, 2]}},
                  {"file": "ev.json", "groups": {"by": ["dest_port"], "count": {"min": 3}}},
                  "2 groups")

    def test_glob_and_dir(self):
        self.both({"file": "s*/ev.json", "count": 6, "unique": ["_dir", "src_ip"]},
                  {"file": "s*/ev.json", "unique": ["src_ip"]})
        self.both({"file": "s*/ev.json", "filter": {"_n": 1}, "count": 2,
                   "match": {"src_ip": "10.0.0.1"}},
                  {"file": "out.txt", "format": "lines", "filter": {"_n": 1},
                   "match": {"line": {"re": "^total"}}})
        self.both({"file": "s*/ev.json", "filter": {"_dir": "s2"}, "count": 3},
                  {"file": "s*/ev.json", "filter": {"_file": "s2/ev.json"}, "count": 6})

    def join(self, **j):
        return {"file": "ev.json", "filter": {"dest_port": 443},
                "join": dict({"key": ["src_ip", "dest_port"],
                              "truth": {"file": "truth.json", "format": "json", "path": "beacon",
                                        "key": ["host", "port"]}}, **j)}

    def test_join_exact(self):
        self.fails(self.join(), "missing")  # 10.0.0.9 is not found
        good = self.join()
        good["join"]["truth"]["filter"] = {"port": 443}
        self.passes(good)
        self.assertEqual(self.notes, ["note: ev.json {\"dest_port\": 443}: 2 keys found in truth.json"])
        extra = self.join()
        extra["filter"] = {}
        extra["join"]["truth"]["filter"] = {"port": 443}
        self.fails(extra, "not in truth.json")  # 10.0.0.1:80 is not in the truth

    def test_join_modes(self):
        # ev.json on 443: 10.0.0.2, 10.0.0.3; the truth: those and 10.0.0.9:8080.
        self.both(self.join(expect="subset"), self.join(expect="superset"), "10.0.0.9")
        self.both(self.join(expect="subset", multiset=True), self.join(expect="disjoint"),
                  "is in truth.json")
        apart = self.join(expect="disjoint")
        apart["filter"] = {"dest_port": 80}
        self.passes(apart)
        self.fails(self.join(expect="sideways"), "unknown expect")
        # Multisets: the truth's keys twice need two records each.
        with open(os.path.join(self.w, "t2.json"), "w") as f:
            f.writelines(json.dumps(b) + "\n" for b in TRUTH["beacon"] * 2)
        twice = self.join(expect="superset", multiset=True)
        twice["join"]["truth"] = {"file": "t2.json", "key": ["host", "port"], "filter": {"port": 443}}
        self.fails(twice, "of t2.json missing")
        twice["join"]["multiset"] = False
        self.passes(twice)
        twice["file"] = "s*/ev.json"
        twice["join"]["multiset"] = True
        self.passes(twice)

    def test_equal_fields(self):
        self.both({"file": "truth.json", "format": "json", "path": "beacon", "filter": {"port": 443},
                   "equal": [["port", "port"]]},
                  {"file": "ev.json", "equal": [["t.a", "t.b"]]}, "t.a 1 is not t.b 2")
        self.fails({"file": "ev.json", "equal": [["none", "nothing"]]})

    def test_join_precision_recall(self):
        # 2 of 2 found are true (precision 1), 2 of 3 true ones found (recall 0.667).
        self.passes(self.join(name="b", precision=1, recall=0.6))
        self.assertEqual(self.notes, ["note: b: precision 1.000 recall 0.667 (2/0/1)"])
        self.fails(self.join(recall=0.7), "recall 0.667 (2 of 3) below 0.7")
        wide = self.join(precision=0.7)
        wide["filter"] = {}
        self.fails(wide, "precision 0.667 (2 of 3) below 0.7")
        # Keys compare as JSON: the CSV's "443" is not 443.
        csvj = self.join(recall=0.5)
        csvj["join"]["truth"] = {"file": "feed.csv", "format": "csv", "key": ["ip", "port"]}
        self.fails(csvj, "recall 0.000 (0 of 2)")

    def test_same_as(self):
        with open(os.path.join(self.w, "ev2.json"), "w") as f:
            f.writelines(json.dumps(dict(e, flow_id=i)) + "\n"
                         for i, e in enumerate(reversed(EVENTS)))
        self.both({"file": "ev.json", "same-as": {"file": "ev2.json", "ignore": ["flow_id"]}},
                  {"file": "ev.json", "same-as": {"file": "ev2.json"}}, "only there")
        self.both({"file": "ev.json", "same-as": {"file": "ev2.json", "ignore": ["flow_id", "t.a"],
                                                  "filter": {}}},
                  {"file": "ev.json", "same-as": {"file": "ev2.json", "ignore": ["flow_id"],
                                                  "filter": {"dest_port": 443}}})
        # In order: the same records in another order differ.
        self.both({"file": "ev.json", "same-as": {"file": "s1/ev.json", "in-order": True}},
                  {"file": "ev.json", "same-as": {"file": "ev2.json", "ignore": ["flow_id"],
                                                  "in-order": True}}, "record 1:")
        self.fails({"file": "ev.json", "same-as": {"file": "s*/ev.json", "in-order": True}},
                   "record 4:")
        # Multisets: a record twice is not the same as once.
        self.fails({"file": "s*/ev.json", "same-as": {"file": "ev.json"}}, "(6 and 3)")
        # Fields compared: a record's other fields may differ.
        self.both({"file": "ev.json", "filter": {"dest_port": 443},
                   "same-as": {"file": "s1/ev.json", "filter": {"dest_port": 443},
                               "fields": ["src_ip"]}},
                  {"file": "ev.json", "filter": {"dest_port": 443},
                   "same-as": {"file": "s1/ev.json", "fields": ["src_ip"]}})
        self.both({"file": "ev.json", "same-as": {"file": "s1/ev.json", "fields": ["src_ip", "n"]}},
                  {"file": "ev.json", "filter": {"n": 3},
                   "same-as": {"file": "s1/ev.json", "fields": ["src_ip", "n"]}})

    def test_join_alternatives(self):
        # Each truth record is found by any one of its listed ports.
        with open(os.path.join(self.w, "alt.json"), "w") as f:
            json.dump([{"host": "10.0.0.2", "ports": [8443, 443]},
                       {"host": "10.0.0.3", "ports": [443]}], f)
        j = self.join(expect="equal")
        j["join"]["truth"] = {"file": "alt.json", "format": "json", "key": ["host", "ports"],
                              "alternatives": ["ports"]}
        self.passes(j)
        self.assertEqual(self.notes,
                         ["note: ev.json {\"dest_port\": 443}: 2 of the 2 records of alt.json "
                          "found (2 keys)"])
        # 10.0.0.1:80 is none of the alternatives; 10.0.0.2 on 8443 only is not found.
        wide = json.loads(json.dumps(j))
        wide["filter"] = {}
        self.fails(wide, "\"10.0.0.1\"', '80'] not in alt.json")
        with open(os.path.join(self.w, "alt.json"), "w") as f:
            json.dump([{"host": "10.0.0.2", "ports": [8443]},
                       {"host": "10.0.0.3", "ports": [443]}], f)
        self.fails(j, "missing")
        j["join"]["expect"] = "disjoint"
        self.fails(j, "10.0.0.3")
        pr = self.join(recall=0.5)
        pr["join"]["truth"] = j["join"]["truth"]
        self.passes(pr)
        self.assertIn("precision 0.500 recall 0.500 (1/1/1)", self.notes[0])
        pr["join"]["multiset"] = True
        self.fails(pr, "not a multiset")

    def test_exclude(self):
        # The records whose key another source holds are left out, and counted.
        good = {"file": "ev.json", "exclude": {"file": "truth.json", "format": "json",
                                               "path": "beacon", "key": ["port"],
                                               "as": ["dest_port"], "why": "port in the truth"},
                "count": 1, "match": {"dest_port": 80}}
        self.passes(good)
        self.assertEqual(self.notes, ["note: ev.json: 2 of 3 records excluded (port in the truth)"])
        bad = json.loads(json.dumps(good))
        bad["exclude"]["filter"] = {"port": 8080}
        self.fails(bad, "3 records")
        # In a comparison's other source too.
        self.both({"file": "ev.json", "filter": {"dest_port": 80},
                   "same-as": {"file": "s1/ev.json", "exclude": good["exclude"]}},
                  {"file": "ev.json",
                   "same-as": {"file": "s1/ev.json", "exclude": good["exclude"]}},
                  "only here")

    def test_share(self):
        self.both({"file": "ev.json", "share": {"where": {"ok": True}, "min": 0.6, "name": "ok"}},
                  {"file": "ev.json", "share": {"where": {"ok": True}, "min": 0.7}},
                  "2 of 3 records match")
        self.assertEqual(self.notes, ["note: ev.json: 2/3 (66.67%)"])
        self.errors({"file": "ev.json", "share": {"where": {"ok": True}, "min": 0.6, "name": "ok"}})
        self.assertEqual(self.notes, ["note: ok: 2/3 (66.67%)"])
        # Without min, every record; no record at all is no agreement.
        self.both({"file": "ev.json", "share": {"where": {"sig": {"re": "requests$"}}}},
                  {"file": "ev.json", "share": {"where": {"ok": True}}}, '"n": 7')
        self.fails({"file": "ev.json", "filter": {"n": 99}, "share": {"where": {"ok": True}}},
                   "0 of 0")

    def test_recursive_glob(self):
        os.makedirs(os.path.join(self.w, "each", "a", "b"))
        with open(os.path.join(self.w, "each", "a", "b", "ev.json"), "w") as f:
            f.write(json.dumps(EVENTS[0]) + "\n")
        self.both({"file": "each/**/ev.json", "count": 1, "match": {"_dir": "each/a/b"}},
                  {"file": "each/*/ev.json", "count": 1}, "not written")


class WholeCase(unittest.TestCase):
    """main(): a case folder's command, its checks and expected/ files."""

    def run_case(self, yaml_text, expected=None, args=()):
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "test.yaml"), "w") as f:
                f.write(yaml_text)
            if expected:
                os.mkdir(os.path.join(d, "expected"))
                for n, t in expected.items():
                    with open(os.path.join(d, "expected", n), "w") as f:
                        f.write(t)
            # In this process: a Python start per case would cost more than the case.
            out, argv = io.StringIO(), sys.argv
            sys.argv = ["run-case.py", d, *args]
            try:
                with contextlib.redirect_stdout(out):
                    code = rc.main()
            finally:
                sys.argv = argv
            return code, out.getvalue()

    def test_pass_and_fail(self):
        body = ("command: |\n  printf '{\"a\":1}\\n' >o.json; printf 'x\\n' >t.txt\n"
                "  echo 'note: shown'\nchecks:\n  - {file: o.json, count: 1, match: {a: %s}}\n")
        code, out = self.run_case(body % 1, {"t.txt": "x\n"})
        self.assertEqual((code, out), (0, "note: shown\n"))
        code, out = self.run_case(body % 2, {"t.txt": "x\n"})
        self.assertEqual(code, 1)
        self.assertIn("FAIL: o.json record 1: a is 1, want 2", out)
        code, out = self.run_case(body % 1, {"t.txt": "y\n"})
        self.assertEqual(code, 1)
        self.assertIn("differs from expected/t.txt", out)

    def test_keep_and_checks_only(self):
        with tempfile.TemporaryDirectory() as w:
            body = "command: |\n  echo x >>o.txt\nchecks: [{file: o.txt, format: lines, count: %d}]\n"
            self.assertEqual(self.run_case(body % 1, args=("--keep", w))[0], 0)
            self.assertTrue(os.path.exists(os.path.join(w, "o.txt")))
            # The command does not run again: still one line.
            self.assertEqual(self.run_case(body % 1, args=("--checks-only", w))[0], 0)
            self.assertEqual(self.run_case(body % 2, args=("--checks-only", w))[0], 1)
        self.assertEqual(self.run_case("command: 'true'\n", args=("--bogus", "x"))[0], 2)

    def test_outcomes(self):
        cmd = ("command: |\n"
               "  outcome ok sh -c 'echo fine; echo warn >&2'\n"
               "  outcome bad sh -c 'echo \"x: bad value\" >&2; exit 2'\n"
               "  outcome chatty sh -c 'echo out; echo \"x: bad value\" >&2; exit 1'\n"
               "  outcome two sh -c 'printf \"a\\nb\\n\" >&2; exit 1'\n"
               "outcomes:\n")
        good = cmd + ("  ok: {exit: 0, stdout: '^fine$'}\n"
                      "  bad: {exit: 2, stderr: 'bad value$'}\n"
                      "  chatty: {exit: 1, stdout: '^out$'}\n")
        self.assertEqual(self.run_case(good)[0], 0)
        for wrong, text in (("  ok: {exit: 1}\n", "exit 0, want 1"),
                            ("  ok: {exit: 0, stdout: '^warn'}\n", "no stdout line"),
                            ("  bad: {exit: 2, stderr: 'good value'}\n", "lacks"),
                            ("  chatty: {exit: 1, stderr: 'bad value'}\n", "wrote to stdout"),
                            ("  two: {exit: 1, stderr: 'a'}\n", "2 stderr lines"),
                            ("  never: {exit: 0}\n", "not recorded")):
            code, out = self.run_case(cmd + wrong)
            self.assertEqual(code, 1, wrong)
            self.assertIn(text, out)

    def test_each(self):
        with tempfile.TemporaryDirectory() as shared, unittest.mock.patch.dict(
                os.environ, {"TA_SHARED_DATA": shared}):
            for rel in ("a/x.pcap", "a/holdout/y.pcap", "b/z.pcap", "b/z.txt"):
                os.makedirs(os.path.join(shared, os.path.dirname(rel)), exist_ok=True)
                with open(os.path.join(shared, rel), "w") as f:
                    f.write(rel + "\n")
            body = ("each:\n  files: ['**/*.pcap']\n  exclude: ['*/holdout/*']\n  min: %d\n"
                    "  command: |\n    echo \"each/$REL\" >dir.txt; echo \"$REL\" >rel.txt\n"
                    "    outcome cat cat \"$IN\"\n    %s\n"
                    "command: cat each/*/*/rel.txt >all.txt\n"
                    "checks:\n  - {file: each/**/dir.txt, format: lines, count: 2,\n"
                    "     equal: [[line, _dir]]}\n"
                    "  - {file: each.txt, format: lines, count: 2}\n"
                    "outcomes:\n  'each/**/cat': {exit: 0, stdout: '^[ab]/[xz].pcap$'}\n")
            code, out = self.run_case(body % (2, "true"), {"all.txt": "a/x.pcap\nb/z.pcap\n"})
            self.assertEqual((code, out), (0, ""))
            # Too few inputs, a run failing, an outcome not as stated.
            code, out = self.run_case(body % (3, "true"))
            self.assertEqual(code, 1)
            self.assertIn("each: 2 files match ['**/*.pcap'], want at least 3", out)
            code, out = self.run_case(body % (2, "[[ $REL != b/* ]]"))
            self.assertEqual(code, 1)
            self.assertIn("FAIL: each: b/z.pcap: command exited 1", out)
            code, out = self.run_case(body.replace("^[ab]", "^a") % (2, "true"))
            self.assertEqual(code, 1)
            self.assertIn("outcome each/b/z.pcap/cat: no stdout line", out)
            code, out = self.run_case(body.replace("each/**/cat", "each/**/dog") % (2, "true"))
            self.assertIn("outcome each/**/dog: not recorded", out)
        # The files the input wrote, and outcomes recorded by the input.
        body = ("input: |\n  mkdir g; echo 1 >g/a.txt; echo 22 >g/b.txt\n  outcome mk true\n"
                "each: {under: work, files: [g/*.txt], min: 2, command: 'wc -c <\"$IN\" >n'}\n"
                "outcomes: {mk: {exit: 0}}\n"
                "checks: [{file: each/g/*/n, format: lines, count: 2, "
                "match: {line: {re: '^%s$'}}}]\n")
        self.assertEqual(self.run_case(body % "[23]")[0], 0)
        code, out = self.run_case(body % "2")
        self.assertEqual(code, 1)
        self.assertIn('each/g/*/n record 2: line is "3"', out)

    def test_nothing_checked_command_failing_requirement_missing(self):
        self.assertEqual(self.run_case("command: 'true'\n")[0], 1)
        self.assertEqual(self.run_case("command: 'false'\nchecks: [{file: x, count: 0}]\n")[0], 1)
        self.assertEqual(self.run_case("requires: {tools: [no-such-tool-here]}\ncommand: 'true'\n"
                                       "checks: [{file: x, count: 0}]\n")[0], 77)
        self.assertEqual(self.run_case("requires: {build: [no/such/program]}\n"
                                       "command: 'true'\nchecks: [{file: x, count: 0}]\n")[0], 77)
        self.assertEqual(self.run_case("requires: {modules: [no_such_module_here]}\n"
                                       "command: 'true'\nchecks: [{file: x, count: 0}]\n")[0], 77)
        self.assertEqual(self.run_case("requires: {data: [no/such/file]}\ncommand: 'true'\n"
                                       "checks: [{file: x, count: 0}]\n")[0], 77)
        # Present installed data is no reason to skip.
        with tempfile.TemporaryDirectory() as d, unittest.mock.patch.dict(
                os.environ, {"THREATATLAS_DATA_DIR": d}):
            open(os.path.join(d, "f"), "w").close()
            self.assertEqual(self.run_case("requires: {data: [f]}\ncommand: 'true'\n"
                                           "checks: [{file: x, count: 0}]\n")[0], 1)


if __name__ == "__main__":
    unittest.main(verbosity=1)
