"""The `ollama` command line: serve, --version, list, ps, pull, rm, show, run."""

from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from . import VERSION
from .settings import DEFAULT_PORT, Settings, parse_host


def _base_url() -> str:
    host, port = parse_host(os.environ.get("OLLAMA_HOST"))
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port or DEFAULT_PORT}"


class ApiError(Exception):
    pass


def _request(method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 600) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(_base_url() + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        return urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise ApiError(message) from None
    except urllib.error.URLError:
        raise ApiError("could not connect to ollama app, is it running?") from None


def _lines(resp: Any) -> Iterator[dict[str, Any]]:
    for raw in resp:
        if raw.strip():
            item = json.loads(raw)
            if "error" in item:
                raise ApiError(item["error"])
            yield item


def _human(size: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return str(size)


def _ago(stamp: str) -> str:
    then = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    seconds = (datetime.now(UTC) - then).total_seconds()
    if seconds < 60:
        return "Less than a minute ago"
    if seconds < 3600:
        return f"{int(seconds // 60)} minutes ago"
    return f"{int(seconds // 3600)} hours ago"


def cmd_version(_: argparse.Namespace) -> int:
    try:
        server = json.load(_request("GET", "/api/version", timeout=5))["version"]
    except ApiError:
        print("Warning: could not connect to a running Ollama instance")
        print(f"Warning: client version is {VERSION}")
        return 0
    print(f"ollama version is {server}")
    if server != VERSION:
        print(f"Warning: client version is {VERSION}")
    return 0


def cmd_list(_: argparse.Namespace) -> int:
    models = json.load(_request("GET", "/api/tags"))["models"]
    print(f"{'NAME':<30}{'ID':<16}{'SIZE':<10}MODIFIED")
    for m in models:
        print(f"{m['name']:<30}{m['digest'][:12]:<16}{_human(m['size']):<10}{_ago(m['modified_at'])}")
    return 0


def cmd_ps(_: argparse.Namespace) -> int:
    models = json.load(_request("GET", "/api/ps"))["models"]
    print(f"{'NAME':<30}{'ID':<16}{'SIZE':<10}{'PROCESSOR':<12}{'CONTEXT':<9}UNTIL")
    for m in models:
        until = "Forever" if m["expires_at"].startswith("2318") else m["expires_at"]
        print(f"{m['name']:<30}{m['digest'][:12]:<16}{_human(m['size']):<10}{'100% CPU':<12}"
              f"{m['context_length']:<9}{until}")
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    for item in _lines(_request("POST", "/api/pull", {"model": args.model})):
        if "total" in item and "completed" in item:
            print(f"{item['status']}: {100 * item['completed'] // max(1, item['total'])}%")
        elif "total" not in item:
            print(item["status"])
    return 0


def cmd_rm(args: argparse.Namespace) -> int:
    for name in args.model:
        _request("DELETE", "/api/delete", {"model": name})
        print(f"deleted '{name}'")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    info = json.load(_request("POST", "/api/show", {"model": args.model}))
    if args.modelfile:
        print(info["modelfile"])
        return 0
    details = info["details"]
    print("  Model")
    print(f"    architecture        {details['family']}")
    print(f"    parameters          {details['parameter_size']}")
    print(f"    quantization        {details['quantization_level']}")
    if info.get("parameters"):
        print("\n  Parameters")
        for line in info["parameters"].splitlines():
            print(f"    {line}")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    body: dict[str, Any] = {"model": args.model, "prompt": " ".join(args.prompt)}
    if args.keepalive is not None:
        body["keep_alive"] = args.keepalive
    for item in _lines(_request("POST", "/api/generate", body)):
        sys.stdout.write(item.get("response", ""))
        sys.stdout.flush()
    if body["prompt"]:
        sys.stdout.write("\n")
    return 0


def cmd_serve(_: argparse.Namespace) -> int:
    from .server import serve

    serve(Settings.from_env())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ollama", description="Large language model runner (API double)")
    parser.add_argument("-v", "--version", action="store_true", help="Show version information")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="Start ollama").set_defaults(func=cmd_serve)
    sub.add_parser("list", aliases=["ls"], help="List models").set_defaults(func=cmd_list)
    sub.add_parser("ps", help="List running models").set_defaults(func=cmd_ps)
    p = sub.add_parser("pull", help="Pull a model from a registry")
    p.add_argument("model")
    p.set_defaults(func=cmd_pull)
    p = sub.add_parser("rm", help="Remove a model")
    p.add_argument("model", nargs="+")
    p.set_defaults(func=cmd_rm)
    p = sub.add_parser("show", help="Show information for a model")
    p.add_argument("model")
    p.add_argument("--modelfile", action="store_true")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("run", help="Run a model")
    p.add_argument("model")
    p.add_argument("prompt", nargs="*")
    p.add_argument("--keepalive", default=None)
    p.set_defaults(func=cmd_run)
    args = parser.parse_args(argv)
    if args.version:
        return cmd_version(args)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except ApiError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
