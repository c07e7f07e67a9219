# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small client for Ollama's REST API, shared by this project's modules.

It uses ansible.module_utils.urls so managed hosts need no extra Python
package, and turns every failure into an OllamaError whose text a person can
act on.
"""

from __future__ import annotations

import json
import re
import socket
import statistics
import time
from typing import Any, Callable, Dict, Iterator, List, Optional
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from ansible.module_utils.urls import open_url

_NAME_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$")


class OllamaError(Exception):
    """Any failure talking to Ollama; str() is a sentence for the operator."""


class OllamaUnreachable(OllamaError):
    """The server did not answer at all (refused, timed out, name not resolved)."""


class OllamaHTTPError(OllamaError):
    """The server answered with an HTTP error status."""

    def __init__(self, message: str, status: int, error: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error


def ollama_module(options: dict):
    """The AnsibleModule of one of our Ollama modules: its own options plus the shared connection ones, check mode."""
    from ansible.module_utils.basic import AnsibleModule

    return AnsibleModule(argument_spec=dict(connection_argument_spec(), **options), supports_check_mode=True)


def client_for(params: dict, timeout: float) -> "OllamaClient":
    """A client for the server a module's connection options name."""
    return OllamaClient(params["url"], timeout=timeout, validate_certs=params["validate_certs"], headers=params["headers"])


def connection_argument_spec() -> dict:
    """The options every module that talks to Ollama takes (documented by doc fragment ollama_connection)."""
    return dict(
        url=dict(type="str", default="http://127.0.0.1:11434"),
        validate_certs=dict(type="bool", default=True),
        headers=dict(type="dict", default={}, no_log=True),
    )


DEFAULT_REGISTRY = "registry.ollama.ai"


def parse_model_ref(name: str) -> Dict[str, str]:
    """The one reading of a model reference that every module, filter and role uses.

    'gemma3' -> name 'gemma3:latest' (as /api/tags lists it), host 'registry.ollama.ai',
    repository 'library/gemma3', tag 'latest', manifest
    'manifests/registry.ollama.ai/library/gemma3/latest' (under OLLAMA_MODELS). Parts are read from the right as
    Ollama reads them: model, namespace, registry host ('hf.co/user/model:q4'); the
    default host and the 'library' namespace are dropped from the name as Ollama
    drops them. Raises ValueError for a reference Ollama would reject.
    """
    text = str(name if name is not None else "").strip()
    rest, tag = text, "latest"
    if ":" in text.rsplit("/", 1)[-1]:
        rest, tag = text.rsplit(":", 1)
    parts = rest.split("/")
    host = DEFAULT_REGISTRY
    if len(parts) == 3:
        host, parts = parts[0].lower(), parts[1:]
    if len(parts) == 1:
        parts = ["library", *parts]
    if len(parts) != 2 or not all(_NAME_PART.match(p) for p in [*parts, tag]):
        raise ValueError("%r is not a valid Ollama model name (expected model[:tag], namespace/model[:tag] "
                         "or host/namespace/model[:tag])" % name)
    namespace, model = (p.lower() for p in parts)
    short = model if namespace == "library" else "%s/%s" % (namespace, model)
    if host != DEFAULT_REGISTRY:
        short = "%s/%s" % (host, short if namespace != "library" else "library/" + model)
    repository, tag = "%s/%s" % (namespace, model), tag.lower()
    # Where Ollama keeps the pulled manifest, relative to OLLAMA_MODELS.
    manifest = "manifests/%s/%s/%s" % (host, repository, tag)
    return {"name": "%s:%s" % (short, tag), "host": host, "repository": repository, "tag": tag, "manifest": manifest}


def normalize_model_name(name: str) -> str:
    """Return the name as /api/tags lists it: 'gemma3' -> 'gemma3:latest', default registry stripped."""
    return parse_model_ref(name)["name"]


def is_cloud_model(name: Any) -> bool:
    """Whether Ollama serves the model from ollama.com (tag 'cloud' or '<size>-cloud', e.g. gpt-oss:120b-cloud).

    Such a model answers through the local API while the prompt goes to ollama.com;
    OLLAMA_NO_CLOUD=1 makes the server refuse it.
    """
    try:
        tag = parse_model_ref(name)["tag"]
    except ValueError:
        return False
    return tag == "cloud" or tag.endswith("-cloud")


def warmup_request(model: str, keep_alive: Any, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """The /api/generate body that loads a model without generating: the role's warm-up files and ollama_warmup send it."""
    return {"model": model, "prompt": "", "keep_alive": keep_alive, "options": dict(options or {})}


# Ollama reports a model kept forever (keep_alive < 0) as expiring centuries from now.
_FOREVER_YEAR = 2200


def keeps_forever(keep_alive: Any) -> bool:
    """A negative keep-alive ("-1", "-1m", -1) keeps a model loaded until the server stops."""
    return str(keep_alive).strip().startswith("-")


def running_by_name(running: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """/api/ps entries keyed by the name /api/tags would list."""
    return {normalize_model_name(m.get("name") or m.get("model")): m for m in running or []}


def running_summary(running: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """What our modules return of /api/ps: each loaded model's name, model, expiry, context length and size."""
    return [{k: m.get(k) for k in ("name", "model", "expires_at", "context_length", "size")} for m in running]


def warm_reason(entry: Optional[Dict[str, Any]], keep_alive: Any, context_length: Optional[int]) -> Optional[str]:
    """Why a model must be loaded again (None when /api/ps shows it as the clients will use it)."""
    if entry is None:
        return "not loaded"
    if context_length and entry.get("context_length") and int(entry["context_length"]) != int(context_length):
        return "loaded with context length %s, clients use %s" % (entry["context_length"], context_length)
    if keeps_forever(keep_alive) and int(str(entry.get("expires_at", "0000"))[:4] or 0) < _FOREVER_YEAR:
        return "loaded with expiry %s instead of forever" % entry.get("expires_at")
    return None


def warm_context_length(context_length: Optional[int], options: Optional[Dict[str, Any]] = None) -> Optional[int]:
    """The context length the clients load with: the explicit one, else the options' num_ctx, else unknown."""
    value = context_length or (options or {}).get("num_ctx")
    return int(value) if value else None


def models_to_warm(running: List[Dict[str, Any]], models: List[str], keep_alive: Any,
                   context_length: Optional[int]) -> Dict[str, str]:
    """Each wanted model that is not loaded as wanted, with the reason."""
    by_name = running_by_name(running)
    reasons = {}
    for name in (normalize_model_name(m) for m in models):
        reason = warm_reason(by_name.get(name), keep_alive, context_length)
        if reason:
            reasons[name] = reason
    return reasons


def measure_chat(client: "OllamaClient", body: Dict[str, Any], timeout: float,
                 clock: Callable[[], float] = time.monotonic) -> Dict[str, Any]:
    """One streamed /api/chat: time to the first content token, total time, and Ollama's own counts."""
    started = clock()
    first = None
    final: Dict[str, Any] = {}
    for item in client.stream("POST", "/api/chat", body, timeout=timeout):
        if first is None and (item.get("message") or {}).get("content"):
            first = clock()
        if item.get("done"):
            final = item
    ended = clock()
    eval_count = int(final.get("eval_count") or 0)
    eval_seconds = (final.get("eval_duration") or 0) / 1e9
    return {
        "ttft": round((first if first is not None else ended) - started, 3),
        "total": round(ended - started, 3),
        "eval_count": eval_count,
        "tokens_per_second": round(eval_count / eval_seconds, 2) if eval_seconds > 0 else 0.0,
        "load": round((final.get("load_duration") or 0) / 1e9, 3),
        "prompt_tokens": int(final.get("prompt_eval_count") or 0),
        "done_reason": final.get("done_reason"),
    }


def summarize_latency(samples: List[Dict[str, Any]]) -> Dict[str, float]:
    """Median, best and worst of each timing over measure_chat's samples; empty without samples."""
    summary: Dict[str, float] = {}
    if not samples:
        return summary
    for key in ("ttft", "total", "tokens_per_second", "load"):
        values = [s[key] for s in samples]
        summary[key + "_median"] = round(statistics.median(values), 3)
        summary[key + "_max"] = round(max(values), 3)
        summary[key + "_min"] = round(min(values), 3)
    return summary


def validate_base_url(url: str) -> str:
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise OllamaError("url must be an http(s) URL such as http://10.0.1.5:11434, got %r." % url)
    return url.rstrip("/")


class OllamaClient:
    """Blocking JSON calls to one Ollama server."""

    def __init__(self, base_url: str, timeout: float = 30, validate_certs: bool = True,
                 headers: Optional[Dict[str, str]] = None) -> None:
        self.base_url = validate_base_url(base_url)
        self.timeout = timeout
        self.validate_certs = validate_certs
        self.headers = dict(headers or {})

    # ----- transport ---------------------------------------------------------
    def _open(self, method: str, path: str, body: Optional[Dict[str, Any]], timeout: Optional[float]) -> Any:
        url = self.base_url + path
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            return open_url(url, data=data, method=method, headers=headers,
                            timeout=timeout or self.timeout, validate_certs=self.validate_certs,
                            follow_redirects="safe")
        except HTTPError as exc:
            error = _error_text(exc)
            raise OllamaHTTPError(
                "Ollama at %s answered HTTP %s to %s %s: %s" % (self.base_url, exc.code, method, path, error),
                exc.code, error) from None
        except (URLError, socket.timeout, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise OllamaUnreachable("Ollama at %s did not answer (%s)" % (self.base_url, reason)) from None

    def request(self, method: str, path: str, body: Optional[Dict[str, Any]] = None,
                timeout: Optional[float] = None) -> Any:
        resp = self._open(method, path, body, timeout)
        raw = resp.read()
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            raise OllamaError("Ollama at %s answered %s with something that is not JSON; "
                              "check that the URL points at Ollama, not a proxy page." % (self.base_url, path)) from None

    def stream(self, method: str, path: str, body: Dict[str, Any],
               timeout: Optional[float] = None) -> Iterator[Dict[str, Any]]:
        """Yield each NDJSON object; an {"error": ...} line raises OllamaHTTPError."""
        resp = self._open(method, path, body, timeout)
        for line in resp:
            line = line.strip()
            if not line:
                continue
            item = json.loads(line)
            if "error" in item:
                raise OllamaHTTPError("Ollama at %s failed %s: %s" % (self.base_url, path, item["error"]),
                                      200, item["error"])
            yield item

    # ----- API -------------------------------------------------------------------
    def tags(self) -> List[Dict[str, Any]]:
        return self.request("GET", "/api/tags").get("models") or []

    def model_names(self) -> List[str]:
        return [m.get("name") or m.get("model") for m in self.tags()]

    def running(self) -> List[Dict[str, Any]]:
        return self.request("GET", "/api/ps").get("models") or []

    def show(self, name: str) -> Optional[Dict[str, Any]]:
        try:
            return self.request("POST", "/api/show", {"model": name})
        except OllamaHTTPError as exc:
            if exc.status == 404:
                return None
            raise

    def pull(self, name: str, on_progress: Optional[Callable[[Dict[str, Any]], None]] = None,
             timeout: Optional[float] = None) -> Dict[str, Any]:
        """Pull through the streamed API; returns the last status line."""
        last: Dict[str, Any] = {}
        for item in self.stream("POST", "/api/pull", {"model": name, "stream": True}, timeout):
            last = item
            if on_progress:
                on_progress(item)
        if last.get("status") != "success":
            raise OllamaError("Ollama at %s ended the pull of %s without success (last status: %s)."
                              % (self.base_url, name, last.get("status")))
        return last

    def delete(self, name: str) -> bool:
        """Delete a model; False when it was not there."""
        try:
            self.request("DELETE", "/api/delete", {"model": name})
        except OllamaHTTPError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def create(self, name: str, source: str, parameters: Optional[Dict[str, Any]] = None,
               system: Optional[str] = None) -> None:
        body: Dict[str, Any] = {"model": name, "from": source, "stream": False}
        if parameters:
            body["parameters"] = parameters
        if system is not None:
            body["system"] = system
        self.request("POST", "/api/create", body)

    def generate(self, body: Dict[str, Any], timeout: Optional[float] = None) -> Dict[str, Any]:
        return self.request("POST", "/api/generate", dict(body, stream=False), timeout)


def _error_text(exc: HTTPError) -> str:
    try:
        raw = exc.read()
    except Exception:  # the body of an error response is best effort
        raw = b""
    try:
        return json.loads(raw).get("error") or exc.reason
    except (ValueError, AttributeError):
        text = raw.decode("utf-8", "replace").strip() if raw else ""
        return text or str(exc.reason)
