"""Stand-in for the fallback provider (Gemini's generateContent), keyed by an API key."""

from __future__ import annotations

import json
import re
import signal
import sys
from http.server import ThreadingHTTPServer

from .jsonhttp import JsonHandler

PATH = re.compile(r"^/v1beta/models/(?P<model>[\w.\-]+):generateContent$")


class Handler(JsonHandler):
    api_key = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server names its hooks so
        self.send_json(200, {"status": "ok"} if self.path == "/" else {"error": {"code": 404, "message": "not found"}})

    def do_POST(self) -> None:  # noqa: N802 - http.server names its hooks so
        match = PATH.match(self.path)
        if not match:
            self.send_json(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
            return
        if self.headers.get("x-goog-api-key") != self.api_key:
            self.send_json(403, {"error": {"code": 403, "message": "API key not valid.", "status": "PERMISSION_DENIED"}})
            return
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        prompt = request["contents"][-1]["parts"][0]["text"]
        text = f"(fallback {match['model']}) You asked: {prompt[:200]}"
        self.send_json(200, {"candidates": [{"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}],
                         "modelVersion": match["model"]})


def main(argv: list[str] | None = None) -> int:
    import os

    argv = sys.argv[2:] if argv is None else argv
    host, _, port = (argv[0] if argv else "0.0.0.0:8090").rpartition(":")
    Handler.api_key = os.environ.get("FALLBACK_API_KEY", "")
    if not Handler.api_key:
        print("fallback: FALLBACK_API_KEY is required", file=sys.stderr)
        return 1
    server = ThreadingHTTPServer((host or "0.0.0.0", int(port)), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"fallback provider on {host}:{port}", file=sys.stderr, flush=True)
    server.serve_forever()
    return 0
