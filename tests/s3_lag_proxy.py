#!/usr/bin/env python3
"""A proxy in front of a real S3 server (s3rver) that lags like an S3-compatible
server whose reads may not yet show a write: the first HEAD of an object after
a PUT of it through this proxy is answered 404, as if the upload were not yet
visible; every other request is passed through unchanged (headers as sent,
so that SigV4 signatures still match).

    s3_lag_proxy.py UPSTREAM_URL PORT_FILE LOG_FILE

Listens on 127.0.0.1 on a port the kernel picks, written to PORT_FILE once it
listens; LOG_FILE gets one line per request ("PUT /bucket/key 200", "HEAD
/bucket/key 404 lagged"). Used by tests/cli/test_teamstore_faults.sh.
"""
import http.client
import http.server
import os
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
port_file, log_file = sys.argv[2], sys.argv[3]
put_keys = set()  # objects PUT through here whose first HEAD has not lagged
lock = threading.Lock()
log = open(log_file, "a", buffering=1)

HOP = {"connection", "keep-alive", "transfer-encoding", "expect",
       "proxy-connection", "te", "upgrade"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        key = urllib.parse.urlsplit(self.path).path
        if self.command == "HEAD":
            with lock:
                lag = key in put_keys
                put_keys.discard(key)
            if lag:
                log.write("HEAD %s 404 lagged\n" % key)
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        conn = http.client.HTTPConnection(upstream.hostname, upstream.port,
                                          timeout=60)
        conn.putrequest(self.command, self.path, skip_host=True,
                        skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in HOP:
                conn.putheader(name, value)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if self.command == "PUT" and resp.status == 200 and \
                "uploadId=" not in self.path:
            with lock:
                put_keys.add(key)
        log.write("%s %s %d\n" % (self.command, key, resp.status))
        self.send_response(resp.status)
        for name, value in resp.getheaders():
            if name.lower() not in HOP and name.lower() != "content-length":
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("Content-Length",
                             resp.getheader("Content-Length", "0"))
        else:
            self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = relay


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
