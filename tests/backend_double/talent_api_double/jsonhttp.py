"""The HTTP plumbing both stand-ins share: JSON replies and a short access log."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler


class JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, fmt: str, *args) -> None:  # access log without query strings or headers
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))

    def send_json(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)
