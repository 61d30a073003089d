#!/usr/bin/env python3
"""A feed provider for the intel fetch test, on 127.0.0.1 (random port).

usage: feed-server.py DIR PORTFILE
  /feed/NAME     DIR/NAME with an ETag (its content's hash) and Last-Modified
                 (its mtime); If-None-Match / If-Modified-Since give 304
  /missing       404
  /truncated     announces 1000 bytes, sends a line and closes
  /stall         accepts and never answers
  /empty         200 with an empty body
Each request's conditional headers are appended to DIR/requests.log.
"""
import email.utils
import hashlib
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

root, portfile = sys.argv[1], sys.argv[2]


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with open(os.path.join(root, "requests.log"), "a") as f:
            f.write("%s inm=%s ims=%s key=%s\n" % (self.path, self.headers.get("If-None-Match", "-"),
                    self.headers.get("If-Modified-Since", "-"), self.headers.get("Auth-Key", "-")))
        if self.path.startswith("/feed/"):
            p = os.path.join(root, os.path.basename(self.path))
            body = open(p, "rb").read()
            etag = '"%s"' % hashlib.sha256(body).hexdigest()[:16]
            lm = email.utils.formatdate(int(os.stat(p).st_mtime), usegmt=True)
            if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == lm):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", lm)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/truncated":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b"198.51.100.7\n")
            self.wfile.flush()
            self.close_connection = True
        elif self.path == "/stall":
            time.sleep(60)
        elif self.path == "/empty":
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()


s = ThreadingHTTPServer(("127.0.0.1", 0), H)
s.daemon_threads = True
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
