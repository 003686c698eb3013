"""A webhook receiver for the integration tests: a real HTTP server on loopback that
checks each delivery's X-Endring-Signature with Python's own hmac (an implementation
independent of Endring's), and behaves as the first segment of the path says:

  /ok/...        answers 200
  /flaky/...     answers 500 to the first two attempts of each delivery, then 200
  /down/...      always answers 503
  /redirect/...  answers 302 to /ok/... (which must not be followed)
  /slow/...      answers 200 after two seconds

POST /_secret {"path": "/ok/a", "secret": "..."} tells it the secret of a path;
GET /_received answers every request it got, in order. It prints {"port": N} once
listening and stops when its standard input closes.
"""

import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

secrets = {}
received = []
attempts = {}
lock = threading.Lock()


def verify(secret: bytes, header: str, body: bytes) -> bool:
    """The check the README shows a receiver: t=<time>,v1=<hex HMAC-SHA256 of "t.body">."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    expected = hmac.new(secret, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts.get("v1", ""))


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/_received":
            with lock:
                body = json.dumps(received).encode()
            self.answer(200, body, [("Content-Type", "application/json")])
        else:
            self.answer(404)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/_secret":
            given = json.loads(body)
            with lock:
                secrets[given["path"]] = given["secret"].encode()
            self.answer(204)
            return
        kind = self.path.split("/")[1]
        delivery = self.headers.get("X-Endring-Delivery", "")
        signature = self.headers.get("X-Endring-Signature", "")
        with lock:
            secret = secrets.get(self.path)
            attempts[delivery] = attempts.get(delivery, 0) + 1
            attempt = attempts[delivery]
        if kind == "ok":
            status = 200
        elif kind == "flaky":
            status = 500 if attempt <= 2 else 200
        elif kind == "redirect":
            status = 302
        elif kind == "slow":
            status = 200
        else:
            status = 503
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        with lock:
            received.append({
                "path": self.path,
                "delivery": delivery,
                "event": self.headers.get("X-Endring-Event", ""),
                "content_type": self.headers.get("Content-Type", ""),
                "signature": signature,
                "signature_ok": secret is not None and verify(secret, signature, body),
                "attempt": attempt,
                "status": status,
                "raw": body.decode("utf-8"),
                "body": parsed,
            })
        if kind == "slow":
            time.sleep(2)
        headers = [("Location", "/ok" + self.path[len("/redirect"):])] if status == 302 else []
        self.answer(status, b"", headers)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
