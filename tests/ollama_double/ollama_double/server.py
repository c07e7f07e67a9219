"""`ollama serve`: the REST API on OLLAMA_HOST, as documented in Ollama's docs/api.md."""

from __future__ import annotations

import hashlib
import json
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import VERSION
from .names import InvalidName, ModelName
from .runtime import Runtime
from .settings import DurationError, Settings, parse_duration
from .store import ModelStore, StoreError, tags_entry

_WORDS = (
    "the model answers from a private server inside the same network so no request leaves "
    "the account and rate limits no longer apply to the team"
).split()


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def count_tokens(text: str) -> int:
    return max(1, (len(text) + 3) // 4)


def answer_tokens(seed: str, fixed: int, num_predict: int) -> tuple[list[str], str]:
    """Deterministic answer words for a prompt; done_reason 'length' when num_predict cut it."""
    digest = hashlib.sha256(seed.encode()).digest()
    natural = fixed or 12 + digest[0] % 40
    count = natural if num_predict is None or num_predict < 0 else min(natural, num_predict)
    words = [_WORDS[(digest[i % 32] + i) % len(_WORDS)] for i in range(count)]
    return [w if i == 0 else " " + w for i, w in enumerate(words)], "length" if count < natural else "stop"


class OllamaHandler(BaseHTTPRequestHandler):
    server_version = "ollama-double"
    protocol_version = "HTTP/1.1"
    store: ModelStore
    runtime: Runtime
    settings: Settings

    def log_message(self, fmt: str, *args: Any) -> None:  # journald-style one-liners
        sys.stderr.write(f"[GIN] {self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    # ----- plumbing ------------------------------------------------------------
    def _send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_text(self, status: int, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _stream(self, items: Iterator[dict[str, Any]]) -> None:
        """NDJSON over chunked encoding; an exception mid-stream becomes an {"error"} line."""
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

        def chunk(obj: dict[str, Any]) -> None:
            data = json.dumps(obj).encode() + b"\n"
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

        try:
            try:
                for item in items:
                    chunk(item)
            except StoreError as exc:
                chunk({"error": str(exc)})
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _body(self) -> dict[str, Any] | None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw.strip():
            return {}
        try:
            data = json.loads(raw)
        except json.JSONDecodeError:
            self._error(400, "invalid character in request body")
            return None
        if not isinstance(data, dict):
            self._error(400, "json: cannot unmarshal into request")
            return None
        return data

    def _name(self, body: dict[str, Any], required: str = "model") -> ModelName | None:
        text = body.get("model") or body.get("name") or ""
        if not text:
            self._error(400, f"{required} is required")
            return None
        try:
            return ModelName.parse(text)
        except InvalidName:
            self._error(400, "invalid model name")
            return None

    def _take_tags_error(self) -> bool:
        with self.runtime.lock:
            if self.settings.tags_errors > 0:
                self.settings.tags_errors -= 1
                return True
        return False

    # ----- routes ----------------------------------------------------------------
    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == "/":
            self._send_text(200, "Ollama is running")
        elif path == "/api/version":
            self._send_json(200, {"version": VERSION})
        elif path == "/api/tags":
            if self._take_tags_error():
                self._error(500, "simulated failure listing models (OLLAMA_DOUBLE_TAGS_ERRORS)")
                return
            self._send_json(200, {"models": [tags_entry(m) for m in self.store.list()]})
        elif path == "/api/ps":
            self._send_json(200, {"models": self.runtime.ps()})
        elif path == "/api/status":
            # Since v0.16.2 (ollama#14221): whether cloud features are off, and what turned them off.
            no_cloud = self.settings.no_cloud
            self._send_json(200, {"cloud": {"disabled": no_cloud, "source": "env" if no_cloud else "none"}})
        elif path.startswith("/api/") and path[5:] in ("pull", "generate", "chat", "show", "create", "delete"):
            self._send_text(405, "405 method not allowed")
        else:
            self._send_text(404, "404 page not found")

    def do_DELETE(self) -> None:
        if self.path != "/api/delete":
            self._send_text(404, "404 page not found")
            return
        body = self._body()
        name = self._name(body) if body is not None else None
        if name is None:
            return
        try:
            self.store.delete(name)
        except StoreError as exc:
            self._error(exc.status, str(exc))
            return
        self.runtime.forget(name.display)
        self._send_json(200, {})

    def do_POST(self) -> None:
        routes = {
            "/api/pull": self._pull,
            "/api/show": self._show,
            "/api/create": self._create,
            "/api/generate": self._generate,
            "/api/chat": self._chat,
        }
        handler = routes.get(self.path)
        if handler is None:
            self._send_text(404, "404 page not found")
            return
        body = self._body()
        if body is not None and not self._refused_cloud(body):
            handler(body)

    # What the server answers for a cloud model (server/routes_cloud_test.go upstream): with
    # OLLAMA_NO_CLOUD, 403 and this error; without it, the request goes to ollama.com, which the
    # double cannot reach, so it answers as a server that never signed in does.
    _CLOUD_OPERATIONS = {"/api/chat": "remote model is unavailable", "/api/generate": "remote model is unavailable",
                         "/api/show": "remote model details are unavailable", "/api/pull": "remote model is unavailable"}

    def _refused_cloud(self, body: dict[str, Any]) -> bool:
        try:
            name = ModelName.parse(body.get("model") or body.get("name") or "")
        except InvalidName:
            return False
        if not name.is_cloud or self.path not in self._CLOUD_OPERATIONS:
            return False
        if self.settings.no_cloud:
            self._error(403, f"ollama cloud is disabled: {self._CLOUD_OPERATIONS[self.path]}")
        else:
            self._error(401, "unauthorized")
        return True

    def _pull(self, body: dict[str, Any]) -> None:
        name = self._name(body)
        if name is None:
            return
        progress = self.store.pull(name)
        if body.get("stream", True):
            self._stream(progress)
            return
        try:
            for _ in progress:
                pass
        except StoreError as exc:
            self._error(exc.status, str(exc))
            return
        self._send_json(200, {"status": "success"})

    def _show(self, body: dict[str, Any]) -> None:
        name = self._name(body)
        if name is None:
            return
        local = self.store.get(name)
        if local is None:
            self._error(404, f"model '{name.display}' not found")
            return
        params = "\n".join(
            f"{key:<30} {json.dumps(v) if isinstance(v, str) else v}"
            for key, value in sorted(local.params.items())
            for v in (value if isinstance(value, list) else [value])
        )
        modelfile = [f"# Modelfile generated by \"ollama show\"\nFROM {local.name.display}",
                     f'TEMPLATE """{local.template}"""']
        modelfile += [f"PARAMETER {line}" for line in params.splitlines()]
        if local.system:
            modelfile.append(f'SYSTEM """{local.system}"""')
        family = local.config["model_family"]
        capabilities = ["completion"] + (["vision"] if local.config.get("vision") else [])
        self._send_json(200, {
            "modelfile": "\n".join(modelfile) + "\n",
            "parameters": params,
            "template": local.template,
            "system": local.system,
            "details": local.details,
            "model_info": {
                "general.architecture": family,
                "general.parameter_count": local.weights_size * 2,
                f"{family}.context_length": local.config.get("context_length", 8192),
            },
            "capabilities": capabilities,
            "modified_at": local.modified_at.astimezone().isoformat(),
        })

    def _create(self, body: dict[str, Any]) -> None:
        name = self._name(body)
        if name is None:
            return
        source_text = body.get("from")
        if not source_text:
            self._error(400, "neither 'from' or 'files' was specified")
            return
        try:
            source_name = ModelName.parse(source_text)
        except InvalidName:
            self._error(400, "invalid model name")
            return
        source = self.store.get(source_name)
        if source is None:
            self._error(404, f"model '{source_name.display}' not found")
            return
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            self._error(400, "parameters must be an object")
            return
        progress = self.store.create(name, source, parameters, body.get("system"))
        self.runtime.forget(name.display)
        if body.get("stream", True):
            self._stream(progress)
            return
        for _ in progress:
            pass
        self._send_json(200, {"status": "success"})

    # ----- inference -------------------------------------------------------------
    def _generate(self, body: dict[str, Any]) -> None:
        self._infer(body, chat=False)

    def _chat(self, body: dict[str, Any]) -> None:
        self._infer(body, chat=True)

    def _infer(self, body: dict[str, Any], chat: bool) -> None:
        name = self._name(body)
        if name is None:
            return
        local = self.store.get(name)
        if local is None:
            self._error(404, f'model "{name.display}" not found, try pulling it first')
            return
        try:
            keep_alive = parse_duration(body["keep_alive"]) if body.get("keep_alive") is not None else self.settings.keep_alive
        except DurationError as exc:
            self._error(400, str(exc))
            return
        options = body.get("options") or {}
        if chat:
            messages = body.get("messages") or []
            prompt = "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        else:
            prompt = str(body.get("prompt") or "")
        stream = body.get("stream", True)
        started = time.monotonic()
        try:
            with self.runtime.queued():
                if not prompt and keep_alive == 0:
                    self.runtime.unload(name.display)
                    self._final(name, chat, stream, {"done_reason": "unload"})
                    return
                inst, load_seconds = self.runtime.acquire(local, options)
                released = threading.Event()

                def finish() -> None:
                    # The expiry is set as the request completes, before its last line goes out.
                    if not released.is_set():
                        released.set()
                        self.runtime.release(inst, keep_alive)

                try:
                    self._run(inst, name, chat, stream, prompt, options, started, load_seconds, finish)
                finally:
                    finish()
        except StoreError as exc:
            self._error(exc.status, str(exc))

    # A wedged runner never gives up on its own; the double does after an hour, so no test thread outlives its run.
    WEDGE_LIMIT_SECONDS = 3600

    def _wait_while_wedged(self) -> None:
        wedge = self.settings.wedge_file
        deadline = time.monotonic() + self.WEDGE_LIMIT_SECONDS
        while wedge is not None and wedge.exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    def _final(self, name: ModelName, chat: bool, stream: bool, extra: dict[str, Any],
               finish: Any = None) -> None:
        if finish:
            finish()
        payload: dict[str, Any] = {"model": name.display, "created_at": _now()}
        payload.update({"message": {"role": "assistant", "content": ""}} if chat else {"response": ""})
        payload.update({"done": True, **extra})
        if stream:
            self._stream(iter([payload]))
        else:
            self._send_json(200, payload)

    def _run(self, inst: Any, name: ModelName, chat: bool, stream: bool, prompt: str,
             options: dict[str, Any], started: float, load_seconds: float, finish: Any) -> None:
        ns = 1_000_000_000
        if not prompt:
            self._final(name, chat, stream, {"done_reason": "load", "load_duration": int(load_seconds * ns),
                                            "total_duration": int((time.monotonic() - started) * ns)}, finish)
            return
        prompt_tokens = count_tokens(prompt) + 8  # chat template around the prompt
        prompt_start = time.monotonic()
        time.sleep(self.runtime.prompt_seconds(inst.model, prompt_tokens))
        prompt_seconds = time.monotonic() - prompt_start
        tokens, reason = answer_tokens(prompt, self.settings.response_tokens, options.get("num_predict"))
        per_token = self.runtime.token_seconds(inst.model)
        self._wait_while_wedged()

        def pieces() -> Iterator[dict[str, Any]]:
            eval_start = time.monotonic()
            for token in tokens:
                time.sleep(per_token)
                item: dict[str, Any] = {"model": name.display, "created_at": _now()}
                item.update({"message": {"role": "assistant", "content": token}} if chat else {"response": token})
                item["done"] = False
                yield item
            eval_seconds = time.monotonic() - eval_start
            finish()
            final: dict[str, Any] = {"model": name.display, "created_at": _now()}
            final.update({"message": {"role": "assistant", "content": ""}} if chat else {"response": ""})
            final.update({
                "done": True, "done_reason": reason,
                "total_duration": int((time.monotonic() - started) * ns),
                "load_duration": int(load_seconds * ns),
                "prompt_eval_count": prompt_tokens,
                "prompt_eval_duration": int(prompt_seconds * ns),
                "eval_count": len(tokens),
                "eval_duration": int(eval_seconds * ns),
            })
            if not chat:
                final["context"] = list(range(1, prompt_tokens + len(tokens) + 1))[:64]
            yield final

        if stream:
            self._stream(pieces())
            return
        parts = list(pieces())
        final = parts[-1]
        text = "".join((p["message"]["content"] if chat else p["response"]) for p in parts[:-1])
        if chat:
            final["message"]["content"] = text
        else:
            final["response"] = text
        self._send_json(200, final)


def serve(settings: Settings) -> None:
    if settings.start_delay:
        time.sleep(settings.start_delay)
    # A wedge lives in the process, as a hung runner does: a restart clears it.
    if settings.wedge_file is not None:
        settings.wedge_file.unlink(missing_ok=True)
    store = ModelStore(settings)
    if not settings.noprune:
        store.prune()
    runtime = Runtime(settings)
    handler = type("Handler", (OllamaHandler,), {"store": store, "runtime": runtime, "settings": settings})
    server_class = type("Server", (ThreadingHTTPServer,),
                        {"address_family": socket.AF_INET6 if ":" in settings.host else socket.AF_INET})
    httpd = server_class((settings.host, settings.port), handler)
    httpd.daemon_threads = True
    sys.stderr.write(f"Listening on {settings.host}:{settings.port} (version {VERSION})\n")
    sys.stderr.flush()

    def stop(*_: Any) -> None:
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        httpd.serve_forever(poll_interval=0.2)
    finally:
        runtime.stop()
        httpd.server_close()

