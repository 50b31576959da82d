#!/usr/bin/env python3
"""A proxy in front of a real S3 server (s3rver) that lags like an S3-compatible
server whose reads may not yet show a write: the first HEAD of an object after
a PUT of it through this proxy is answered 404, as if the upload were not yet
visible; every other request is passed through unchanged (headers as sent,
so that SigV4 signatures still match).

    s3_lag_proxy.py UPSTREAM_URL PORT_FILE LOG_FILE

With $AERO_PROXY_LIST_LOOP set, each listing (GET ?list-type=2) is
answered as truncated with the continuation token "loop", the one it was
asked with after the first (s3rver is asked for the first page again): a
server that would keep a client asking for the same page. After 20 of them it answers 400 ListedInCircles, so that
a client that never notices still stops.

With $AERO_PROXY_LIST_PAD set, each listing gets 70,000 bytes of XML
comment before its first <Contents>: a reply longer than the client keeps.

It also checks each request's SigV4 signature with $AWS_SECRET_ACCESS_KEY,
which s3rver does not: a request signed over other bytes than it carries (a
header cut short) is answered 403 SignatureDoesNotMatch.

Listens on 127.0.0.1 on a port the kernel picks, written to PORT_FILE once it
listens; LOG_FILE gets one line per request ("PUT /bucket/key 200", "HEAD
/bucket/key 404 lagged", "GET /bucket/key 403 bad signature"). Used by
tests/cli/test_teamstore_faults.sh.
"""
import hashlib
import hmac
import http.client
import http.server
import os
import re
import sys
import threading
import urllib.parse

upstream = urllib.parse.urlsplit(sys.argv[1])
port_file, log_file = sys.argv[2], sys.argv[3]
put_keys = set()  # objects PUT through here whose first HEAD has not lagged
listed = 0  # listings answered (AERO_PROXY_LIST_LOOP)
lock = threading.Lock()
log = open(log_file, "a", buffering=1)

HOP = {"connection", "keep-alive", "transfer-encoding", "expect",
       "proxy-connection", "te", "upgrade"}


secret = os.environ["AWS_SECRET_ACCESS_KEY"]
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^,]+),\s*"
                  r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$")


def _hmac(key, text):
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signature_ok(handler):
    """The request's SigV4 signature, computed here from what it carries."""
    m = AUTH.match(handler.headers.get("Authorization", ""))
    if m is None:
        return False
    credential, signed, signature = m.groups()
    scope = credential.split("/")[1:]
    if len(scope) != 4:
        return False
    path, _, query = handler.path.partition("?")
    query = "&".join(sorted(q if "=" in q else q + "="
                            for q in query.split("&") if q))
    names = signed.split(";")
    canonical = "\n".join(
        [handler.command, path, query] +
        ["%s:%s" % (n, (handler.headers.get(n) or "").strip()) for n in names] +
        ["", signed, handler.headers.get("x-amz-content-sha256", "")])
    to_sign = "\n".join(["AWS4-HMAC-SHA256",
                         handler.headers.get("x-amz-date", ""), "/".join(scope),
                         hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + secret).encode()
    for part in scope:
        key = _hmac(key, part)
    want = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, signature)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def relay(self):
        key = urllib.parse.urlsplit(self.path).path
        if not signature_ok(self):
            log.write("%s %s 403 bad signature\n" % (self.command, key))
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            body = b"<Error><Code>SignatureDoesNotMatch</Code></Error>"
            self.send_response(403)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
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
        path = self.path
        if os.environ.get("AERO_PROXY_LIST_LOOP"):
            # s3rver refuses the made-up token: it is asked for page one.
            path = re.sub(r"continuation-token=[^&]*&?", "", path)
        conn.putrequest(self.command, path, skip_host=True,
                        skip_accept_encoding=True)
        for name, value in self.headers.items():
            if name.lower() not in HOP:
                conn.putheader(name, value)
        conn.endheaders(body)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if os.environ.get("AERO_PROXY_LIST_LOOP") and \
                self.command == "GET" and "list-type=2" in self.path and \
                resp.status == 200:
            global listed
            with lock:
                listed += 1
                looped = listed
            if looped > 20:
                log.write("GET %s 400 listed in circles\n" % key)
                data = b"<Error><Code>ListedInCircles</Code></Error>"
                self.send_response(400)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                return
            data = re.sub(rb"<IsTruncated>[^<]*</IsTruncated>",
                          b"<IsTruncated>true</IsTruncated>"
                          b"<NextContinuationToken>loop"
                          b"</NextContinuationToken>", data)
        if os.environ.get("AERO_PROXY_LIST_PAD") and \
                self.command == "GET" and "list-type=2" in self.path:
            data = data.replace(b"<Contents>", b"<!--" + b"x" * 70000 +
                                b"--><Contents>", 1)
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
