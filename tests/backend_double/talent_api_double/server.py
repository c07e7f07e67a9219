"""HTTP contract of talent-api: /health and the AI command endpoint."""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import uuid
from http.server import ThreadingHTTPServer

from . import auth, providers
from .jsonhttp import JsonHandler
from .settings import ConfigError, Settings

COMMAND_PATHS = ("/api/ai/v3/command",)


class Handler(JsonHandler):
    settings: Settings
    server_version = "uvicorn"
    sys_version = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server names its hooks so
        if self.path == "/health":
            if self.settings.broken:
                self.send_json(503, {"status": "unhealthy", "detail": "broken build"})
            else:
                self.send_json(200, {"status": "healthy"})
            return
        self.send_json(404, {"detail": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802 - http.server names its hooks so
        if self.path not in COMMAND_PATHS:
            self.send_json(404, {"detail": "Not Found"})
            return
        try:
            user = auth.check(self.headers.get("Authorization"), self.settings.jwt_secret)
        except auth.AuthError as exc:
            self.send_json(exc.status, {"detail": exc.detail})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            request = json.loads(self.rfile.read(length) or b"{}")
            command = request["command"]
            if not isinstance(command, str) or not command.strip():
                raise ValueError
        except (ValueError, KeyError, TypeError):
            self.send_json(422, {"detail": "field 'command' is required"})
            return
        try:
            text, source, fallback_reason = providers.answer(self.settings, command)
        except providers.ProviderError as exc:
            self.send_json(500, {"detail": f"AI provider failed: {exc}"})
            return
        self.send_json(200, {
            "success": True,
            "message": text,
            "session_id": request.get("session_id") or str(uuid.uuid4()),
            "tool_calls": [],
            "source": source,
            "data": {"provider": source, "model": self.settings.model if source == "ollama" else self.settings.fallback_model,
                     "user": user.get("sub"), "fallback_reason": fallback_reason},
        })


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    host, port = "0.0.0.0", 8000
    if argv:
        host, _, port_text = argv[0].rpartition(":")
        port = int(port_text)
    try:
        settings = Settings.from_env()
    except ConfigError as exc:
        print(f"talent-api: configuration error: {exc}", file=sys.stderr, flush=True)
        return 1
    Handler.settings = settings
    server = ThreadingHTTPServer((host or "0.0.0.0", port), Handler)
    # PID 1 in a container gets no default SIGTERM handler: `docker stop` must not wait 10 s.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"talent-api: listening on {host}:{port}, provider {settings.provider}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
