#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ollama_model_wait
short_description: Wait until models are listed by an Ollama server
description:
  - Polls Ollama's C(/api/tags) until every model in O(models) is listed, or O(timeout) passes.
  - Names are compared the way Ollama lists them, so V(gemma3) matches V(gemma3:latest).
  - A server that refuses connections or answers with an error is retried until the timeout,
    so the module can gate a play right after Ollama (re)starts.
  - Read-only; it runs in check mode too.
version_added: "1.0.0"
extends_documentation_fragment:
  - ollama_connection
options:
  models:
    description:
      - Model names that must all be listed, for example V(gemma3:4b).
      - An empty list waits only until the server answers C(/api/tags), as after a restart.
    type: list
    elements: str
    required: true
  timeout:
    description: Seconds to wait in total before failing.
    type: int
    default: 120
  interval:
    description:
      - Seconds between the first polls; each wait grows by O(backoff) up to O(max_interval).
      - With the defaults the module polls C(/api/tags) (one small GET the server answers from memory)
        every 0.25 s at first and every 0.5 s from the third poll on, and returns a median 0.3 s after the model appears.
    type: float
    default: 0.25
  backoff:
    description: Factor applied to the interval after each poll that did not succeed.
    type: float
    default: 1.5
  max_interval:
    description: Longest wait between two polls, in seconds; it bounds how late the module notices the model.
    type: float
    default: 0.5
  health_url:
    description:
      - A URL asked once with C(GET) after the server answered, for example the C(/healthz) of a front door
        in front of this server; its HTTP status is returned as RV(health_status), and never fails the module.
      - So that a role can tell, from this one call, whether it still has to wait for that front door.
      - O(headers) are not sent to it.
    type: str
"""

EXAMPLES = r"""
- name: Wait for the brain's model after a restart
  ollama_model_wait:
    url: "http://{{ ollama_brain_listen_address }}:11434"
    models:
      - gemma3:4b
    timeout: 300

- name: Wait through an authenticating proxy
  ollama_model_wait:
    url: https://ollama.internal.example.com
    models: [gemma3:4b, gemma3:1b]
    headers:
      Authorization: "Bearer {{ ollama_proxy_token }}"
"""

RETURN = r"""
models_seen:
  description: Every model name /api/tags listed on the last successful poll.
  returned: always
  type: list
  elements: str
  sample: [gemma3:4b, gemma3:1b]
models_found:
  description: The requested models (normalised) that were listed.
  returned: always
  type: list
  elements: str
  sample: [gemma3:4b]
models_missing:
  description: The requested models (normalised) that were not listed when the module returned.
  returned: always
  type: list
  elements: str
  sample: []
elapsed:
  description: Seconds spent waiting.
  returned: always
  type: float
  sample: 3.52
attempts:
  description: How many times /api/tags was polled.
  returned: always
  type: int
  sample: 3
answered:
  description: Whether the server answered /api/tags at least once.
  returned: always
  type: bool
  sample: true
version:
  description: The server's version from C(/api/version), asked once it answered.
  returned: when the server answered
  type: str
  sample: 0.34.2
running:
  description:
    - The models C(/api/ps) shows loaded, asked once the server answered (in the same call, so a role can
      tell from this result whether its warm models are loaded as it wants them without another round trip).
    - Empty when the server answered C(/api/tags) but not C(/api/ps).
  returned: when the server answered
  type: list
  elements: dict
  sample: [{"name": "gemma3:4b", "expires_at": "2318-01-01T00:00:00Z", "context_length": 4096}]
health_status:
  description: The HTTP status O(health_url) answered with, or V(0) when it did not answer within 5 s.
  returned: when O(health_url) was given and the server answered
  type: int
  sample: 200
"""

import time
from urllib.error import HTTPError

from ansible.module_utils.urls import open_url
from ansible.module_utils.ollama_api import (
    client_for,
    normalize_model_name,
    ollama_module,
    running_summary,
    OllamaError,
    OllamaHTTPError,
    OllamaUnreachable,
)


def _wait(client, wanted, timeout, interval, backoff, max_interval, clock=time.monotonic, sleep=time.sleep):
    """Poll until all wanted names are listed; returns (seen, missing, attempts, last_error, answered)."""
    deadline = clock() + timeout
    seen, missing = [], list(wanted)
    attempts, last_error, answered = 0, None, False
    while True:
        attempts += 1
        try:
            seen = sorted(set(normalize_model_name(n) for n in client.model_names() if n))
            answered, last_error = True, None
            missing = [name for name in wanted if name not in seen]
            if not missing:
                break
        except OllamaError as exc:
            last_error = exc
        remaining = deadline - clock()
        if remaining <= 0:
            break
        sleep(min(interval, remaining))
        interval = min(interval * backoff, max_interval)
    return seen, missing, attempts, last_error, answered


def _status_of(url, validate_certs):
    """The HTTP status url answers a GET with, or 0 when it does not answer."""
    try:
        with open_url(url, method="GET", timeout=5, validate_certs=validate_certs, follow_redirects="safe") as answer:
            return answer.status
    except HTTPError as exc:
        return exc.code
    except Exception:  # refused, timed out, not HTTP: not answering, which the caller waits out
        return 0


def _failure_message(url, wanted, missing, seen, timeout, last_error, answered):
    if isinstance(last_error, OllamaUnreachable):
        return ("Ollama at %s did not answer within %s s (%s). Check that the service is running "
                "(journalctl -u ollama) and that its listen address and firewall admit this host."
                % (url, timeout, str(last_error).split("(", 1)[-1].rstrip(")")))
    if isinstance(last_error, OllamaHTTPError):
        return ("Ollama at %s kept failing /api/tags for %s s (HTTP %s: %s). Check journalctl -u ollama on the server."
                % (url, timeout, last_error.status, last_error.error))
    if last_error is not None:
        return "%s (waited %s s)." % (str(last_error).rstrip("."), timeout)
    verb = "is" if len(missing) == 1 else "are"
    return ("Ollama at %s answered, but %s %s not in /api/tags after %s s (seen: %s). Pull it or check the model name."
            % (url, ", ".join(missing), verb, timeout, ", ".join(seen) or "no models"))


def main():
    module = ollama_module(dict(
        models=dict(type="list", elements="str", required=True),
        timeout=dict(type="int", default=120),
        interval=dict(type="float", default=0.25),
        backoff=dict(type="float", default=1.5),
        max_interval=dict(type="float", default=0.5),
        health_url=dict(type="str"),
    ))
    p = module.params
    if p["timeout"] < 0 or p["interval"] <= 0 or p["backoff"] < 1 or p["max_interval"] <= 0:
        module.fail_json(msg="timeout must be >= 0, interval and max_interval > 0, and backoff >= 1.")
    try:
        wanted = [normalize_model_name(name) for name in p["models"]]
        client = client_for(p, min(10, max(1, p["timeout"])))
    except (ValueError, OllamaError) as exc:
        module.fail_json(msg=str(exc))

    started = time.monotonic()
    seen, missing, attempts, last_error, answered = _wait(
        client, wanted, p["timeout"], p["interval"], p["backoff"], p["max_interval"])
    result = dict(
        changed=False,
        models_seen=seen,
        models_found=[n for n in wanted if n not in missing],
        models_missing=missing,
        elapsed=round(time.monotonic() - started, 2),
        attempts=attempts,
        answered=answered,
    )
    if answered:
        try:
            result["version"] = client.request("GET", "/api/version").get("version", "")
        except OllamaError:
            result["version"] = ""
        try:
            result["running"] = running_summary(client.running())
        except OllamaError:
            result["running"] = []
        if p["health_url"]:
            result["health_status"] = _status_of(p["health_url"], p["validate_certs"])
    if missing or not answered:
        module.fail_json(msg=_failure_message(client.base_url, wanted, missing, seen, p["timeout"],
                                              last_error, answered), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
