#!/usr/bin/env python3
"""Open threatatlas's HTML report in headless Chromium and check it.

    html-check.py CHROMIUM REPORT.html REPORT.json LISTS.json REPORT.txt [--control CONTROL.html]
                  [--screenshot OUT.png]

- the DOM Chromium built (--dump-dom) holds the JSON report's numbers: every
  pair row of botnet, phishing and backdoor, field by field, and no other row;
- the statement is the text report (REPORT.txt, "-" for another language), line by line;
- the daily series table equals the per-day list sizes (LISTS.json "days");
- the map has a shape (path or dot) for every country with events, and its
  per-country counts equal those of the evidence lists (LISTS.json: {"c2-servers":
  [...rows of report --list --format json...], ...});
- the browser logged no console message, exception or refusal (Content-Security-Policy);
- the page made no network request: none in the DevTools protocol's Network
  events, none at the proxy on 127.0.0.1 that Chromium is given (other than
  Chromium's own background services), and its links are anchors only.
Chromium is driven over --remote-debugging-pipe (no extra Python packages).
With --control, a page that does fetch and log is opened first with the same
harness, which must see both: the checks can fail.
Exit 0 when everything holds, 1 with the reasons otherwise.
"""
import html.parser
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time


class Proxy:
    """A listener that counts connections and answers nothing useful."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.seen = []
        self.stop = False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            c.settimeout(1)
            try:
                first = c.recv(200).split(b"\r\n")[0].decode("latin-1")
            except OSError:
                first = "?"
            self.seen.append(first or "(connection)")
            try:
                c.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            except OSError:
                pass
            c.close()

    def close(self):
        self.stop = True
        self.t.join()
        self.sock.close()


# Chromium's own background services (component updates, network time,
# sign-in) talk to these through the proxy whatever the page does; requests
# the page makes are taken from the DevTools protocol instead.
BROWSER_HOSTS = re.compile(r"(^|[ /.])(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(:|/|$)")


class Browser:
    """Headless Chromium driven over --remote-debugging-pipe (fds 3 and 4)."""

    def __init__(self, binary, proxy):
        self.profile = tempfile.mkdtemp(prefix="ta-chromium-")
        r_cmd, self.w_cmd = os.pipe()
        self.r_ev, w_ev = os.pipe()
        args = [
            binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps",
            "--disable-extensions", "--mute-audio", "--remote-debugging-pipe",
            "--user-data-dir=" + self.profile, "--window-size=1200,1800", "--hide-scrollbars",
            "--proxy-server=http://127.0.0.1:%d" % proxy.port, "--proxy-bypass-list=<-loopback>",
            "about:blank",
        ]

        def fds():
            os.dup2(r_cmd, 3)
            os.dup2(w_ev, 4)

        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, preexec_fn=fds, pass_fds=(3, 4))
        os.close(r_cmd)
        os.close(w_ev)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def _read(self, timeout):
        import select
        end = time.time() + timeout
        while b"\0" not in self.buf:
            left = end - time.time()
            if left <= 0 or not select.select([self.r_ev], [], [], left)[0]:
                return None
            chunk = os.read(self.r_ev, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=None, timeout=60):
        self.next_id += 1
        m = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            m["sessionId"] = session
        os.write(self.w_cmd, json.dumps(m).encode() + b"\0")
        end = time.time() + timeout
        while time.time() < end:
            r = self._read(end - time.time())
            if r is None:
                break
            if r.get("id") == self.next_id:
                if "error" in r:
                    raise RuntimeError("%s: %s" % (method, r["error"]))
                return r.get("result", {})
            self.events.append(r)
        raise RuntimeError("%s: no answer" % method)

    def wait_for(self, method, timeout=60):
        end = time.time() + timeout
        while time.time() < end:
            for e in self.events:
                if e.get("method") == method:
                    return True
            r = self._read(end - time.time())
            if r is not None:
                self.events.append(r)
        return False

    def drain(self, seconds):
        end = time.time() + seconds
        while time.time() < end:
            r = self._read(end - time.time())
            if r is not None:
                self.events.append(r)

    def close(self):
        try:
            self.call("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        os.close(self.w_cmd)
        os.close(self.r_ev)
        subprocess.run(["rm", "-rf", self.profile])


def open_page(binary, page, proxy, screenshot=None):
    """Load page; return (dom, requests, console messages)."""
    b = Browser(binary, proxy)
    try:
        t = b.call("Target.createTarget", {"url": "about:blank"})
        s = b.call("Target.attachToTarget", {"targetId": t["targetId"], "flatten": True})["sessionId"]
        for m in ("Network.enable", "Runtime.enable", "Log.enable", "Page.enable"):
            b.call(m, session=s)
        b.events = []
        b.call("Page.navigate", {"url": "file://" + os.path.abspath(page)}, session=s)
        if not b.wait_for("Page.loadEventFired"):
            raise RuntimeError("page did not load")
        b.drain(1.0)
        dom = b.call("Runtime.evaluate", {"expression": "document.documentElement.outerHTML",
                                          "returnByValue": True}, session=s)["result"]["value"]
        if screenshot:
            import base64
            shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport":
                                                     False}, session=s)
            open(screenshot, "wb").write(base64.b64decode(shot["data"]))
        reqs, console = [], []
        for e in b.events:
            m, p = e.get("method"), e.get("params", {})
            if m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if not url.startswith("file://" + os.path.abspath(page)):
                    reqs.append(url)
            elif m == "Runtime.consoleAPICalled":
                console.append("%s: %s" % (p.get("type"), [a.get("value") for a in p.get("args", [])]))
            elif m == "Runtime.exceptionThrown":
                console.append("exception: %s" % p.get("exceptionDetails", {}).get("text"))
            elif m == "Log.entryAdded":
                console.append("%s: %s" % (p["entry"].get("level"), p["entry"].get("text")))
        return "<!DOCTYPE html>" + dom, reqs, console
    finally:
        b.close()


class Dom(html.parser.HTMLParser):
    """Tables' rows (by table id) with their data-k cells, and map shapes."""

    def __init__(self):
        super().__init__()
        self.table = None
        self.rows = {}
        self.row = None
        self.cell = None
        self.shapes = {}
        self.hrefs = []
        self.srcs = []
        self.stmt = None
        self.stmts = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "href" in a:
            self.hrefs.append(a["href"])
        if "src" in a:
            self.srcs.append(a["src"])
        if tag == "p" and "stmt" in a.get("class", "").split():
            self.stmt = ""
        if tag == "table":
            self.table = a.get("id")
        elif tag == "tr" and self.table:
            self.row = {"attrs": a, "cells": {}}
            self.rows.setdefault(self.table, []).append(self.row)
        elif tag == "td" and self.row is not None and "data-k" in a:
            self.cell = a["data-k"]
            self.row["cells"][self.cell] = ""
        elif tag in ("path", "circle") and "data-cc" in a:
            self.shapes[a["data-cc"]] = a

    def handle_endtag(self, tag):
        if tag == "p" and self.stmt is not None:
            self.stmts.append(self.stmt)
            self.stmt = None
        if tag == "table":
            self.table = None
        elif tag == "tr":
            self.row = None
        elif tag == "td":
            self.cell = None

    def handle_data(self, data):
        if self.stmt is not None:
            self.stmt += data
        if self.cell is not None and self.row is not None:
            self.row["cells"][self.cell] += data


def num(s):
    return int(s.replace(",", "").strip())


def page_proxy_hits(proxy):
    return [x for x in proxy.seen if not BROWSER_HOSTS.search(x)]


def check_control(binary, control):
    proxy = Proxy()
    try:
        _, reqs, console = open_page(binary, control, proxy)
    finally:
        proxy.close()
    errs = []
    if not reqs:
        errs.append("control page: its request was not seen by the DevTools protocol")
    if not page_proxy_hits(proxy):
        errs.append("control page: its request did not reach the proxy")
    if not console:
        errs.append("control page: its console.error was not seen")
    return errs


def main():
    argv = sys.argv[1:]
    control = shot = None
    if "--control" in argv:
        i = argv.index("--control")
        control = argv[i + 1]
        del argv[i:i + 2]
    if "--screenshot" in argv:
        i = argv.index("--screenshot")
        shot = argv[i + 1]
        del argv[i:i + 2]
    binary, page, report_json, lists_json, report_txt = argv
    errs = []
    if control:
        errs += check_control(binary, control)

    proxy = Proxy()
    try:
        text, reqs, console = open_page(binary, page, proxy, shot)
    except (RuntimeError, OSError) as e:
        print("chromium failed: %s" % e)
        return 1
    finally:
        proxy.close()
    if reqs or page_proxy_hits(proxy):
        errs.append("network requests: %s %s" % (reqs[:5], page_proxy_hits(proxy)[:5]))
    if console:
        errs.append("console: %s" % console[:5])

    dom = Dom()
    dom.feed(text)
    bad_links = [h for h in dom.hrefs if not h.startswith("#")]
    if bad_links or dom.srcs:
        errs.append("links or sources leaving the page: %s %s" % (bad_links[:3], dom.srcs[:3]))

    rep = json.load(open(report_json))
    fields = {
        "botnet": ["c2_servers", "controlled_hosts", "controlled_hosts_established",
                   "c2_servers_undated"],
        "phishing": ["phishing_hosts", "phishing_pages", "phishing_attacks"],
        "backdoor": ["attacker_ips", "backdoor_attacks", "compromised_websites"],
    }
    checked = 0
    for sec, keys in fields.items():
        want = {(r["src_cc"], r["dst_cc"]): {k: r[k] for k in keys} for r in rep[sec]}
        got = {}
        for row in dom.rows.get(sec, []):
            if "data-src" not in row["attrs"]:
                continue
            pair = (row["attrs"]["data-src"], row["attrs"]["data-dst"])
            got[pair] = {k: num(v) for k, v in row["cells"].items()}
        if got != want:
            diff = [(k, want.get(k), got.get(k)) for k in sorted(set(want) | set(got))
                    if want.get(k) != got.get(k)]
            errs.append("%s rows differ from the JSON report: %s" % (sec, diff[:3]))
        checked += len(want)

    lists = json.load(open(lists_json))
    layers = {"c2-servers": "data-c2-servers", "controlled-hosts": "data-controlled-hosts",
              "phishing-hosts": "data-phishing-hosts", "backdoor-sources": "data-backdoor-sources"}
    countries = set()
    for name, attr in layers.items():
        per = {}
        for row in lists[name]:
            if row["cc"]:
                per[row["cc"]] = per.get(row["cc"], 0) + 1
        countries |= set(per)
        for cc, n in per.items():
            shape = dom.shapes.get(cc)
            if shape is None:
                continue
            if int(shape.get(attr, "-1")) != n:
                errs.append("map %s %s: %s, list says %d" % (cc, name, shape.get(attr), n))
    for sec in fields:
        for r in rep[sec]:
            countries |= {c for c in (r["src_cc"], r["dst_cc"]) if c}
    for day, per in lists.get("days", {}).items():
        rows = [r for r in dom.rows.get("series-table", []) if r["attrs"].get("data-day") == day]
        got = {k: num(v) for k, v in rows[0]["cells"].items()} if rows else None
        if got != per:
            errs.append("daily series %s: %s, lists say %s" % (day, got, per))
    if report_txt != "-":
        want = [l for l in open(report_txt).read().splitlines() if l.strip()]
        if dom.stmts != want:
            errs.append("statement differs from the text report: %s" % [
                (a, b) for a, b in zip(dom.stmts + [""] * len(want), want) if a != b][:2])
    missing = sorted(c for c in countries if c not in dom.shapes)
    if missing:
        errs.append("no map shape for countries with events: %s" % missing)

    for e in errs:
        print("FAIL:", e)
    if not errs:
        print("ok: %d pair rows equal the JSON report; %d countries on the map; no console "
              "message, no request" % (checked, len(countries)))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
