#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: http_probe
short_description: Ask a stack over HTTP from a host, as its clients do, in one round trip
description:
  - Runs, from the managed host and in this order, what is asked of it; each part is optional.
  - O(probes) GETs each URL once (or POSTs its C(body) as JSON) and reports its status, its JSON body (when it is
    JSON) and the time it took, as M(ansible.builtin.uri) would for each.
  - O(chat_latency) sends streamed C(/api/chat) requests to an Ollama server with the clients' own options (and,
    like them, no C(keep_alive) unless one is set), one after another, and measures for each the time to the first
    content token, the total time, the tokens per second Ollama reports (C(eval_count) / C(eval_duration)) and the
    C(load_duration), which shows whether the model had to be loaded.
  - O(backend_command) sends one C(POST) with a JSON command and a bearer token, as a signed-in user of the
    talent-api backend does, and reports the status, which provider answered (the response's C(source)) and the
    time in milliseconds.
  - One module call instead of one per question, since each module call is a round trip to the host.
  - Never fails for an answer. A refused connection, a timeout or an HTTP error is reported in the result, so that
    a report can say what it found; only malformed options fail the task.
  - Read-only as far as the stack is concerned; it runs in check mode too and never reports a change.
version_added: "1.1.0"
author:
  - AI stack maintainers
options:
  probes:
    description: URLs to GET (or POST to), each under a name that keys RV(answers).
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Key of this probe in RV(answers)., type: str, required: true}
      url: {description: The http(s) URL to GET., type: str, required: true}
      timeout: {description: Seconds to wait for the answer., type: float, default: 5}
      body: {description: A JSON body to POST instead of a GET (a request a client would send)., type: dict}
  chat_latency:
    description: An Ollama model to time, as its clients call it; results in RV(latency).
    type: dict
    suboptions:
      url: {description: Base URL of the Ollama server., type: str, required: true}
      model: {description: Model to ask., type: str, required: true}
      prompt:
        description: The user message sent.
        type: str
        default: "Answer in one sentence: what is a private LLM server?"
      options:
        description:
          - Model options, the clients' own (for talent-api C(temperature), C(num_predict), C(top_k),
            C(top_p), C(repeat_penalty)).
        type: dict
        default: {}
      keep_alive:
        description: Keep-alive sent with each request; unset sends none, as the backend does.
        type: str
      requests:
        description: How many requests are measured, one after another; at least 1.
        type: int
        default: 3
      timeout: {description: Seconds one request may take in total., type: int, default: 120}
      validate_certs: {description: Verify the TLS certificate when the URL is https., type: bool, default: true}
      headers:
        description: Extra HTTP headers, for an authenticating proxy in front of Ollama; never logged.
        type: dict
        default: {}
  backend_command:
    description: One authenticated AI command to the backend; result in RV(backend).
    type: dict
    suboptions:
      url: {description: Base URL of the backend as seen from the host., type: str, default: "http://127.0.0.1:8000"}
      path: {description: The AI command endpoint., type: str, default: /api/ai/v3/command}
      command: {description: The text sent as the user's command., type: str, required: true}
      token: {description: The user's bearer token (a Supabase JWT); never logged., type: str, required: true}
      timeout: {description: Seconds to wait for the whole answer; more than 0., type: float, default: 60}
      validate_certs: {description: Verify the TLS certificate when the URL is https., type: bool, default: true}
notes:
  - Uses only C(ansible.module_utils.urls); the managed host needs no extra Python package.
extends_documentation_fragment:
  - read_only
"""

EXAMPLES = r"""
- name: Ask the brain and the backend, from the body, as the backend's users do
  http_probe:
    probes:
      - {name: brain_tags, url: "http://10.0.1.20:11434/api/tags"}
      - {name: health, url: "http://127.0.0.1:8000/health", timeout: 2}
    chat_latency:
      url: http://10.0.1.20:11434
      model: gemma3:4b
      requests: 3
      options: {temperature: 0.7, num_predict: 128}
    backend_command:
      command: Answer in one short sentence, is the private AI server working?
      token: "{{ stack_verify_api_token }}"
  register: probes
"""

RETURN = r"""
answers:
  description:
    - For each probe name, C(status) (V(-1) when nothing answered), C(json) (when the body is JSON),
      C(msg) and C(elapsed) in seconds.
  returned: always
  type: dict
  sample: {health: {status: 200, json: {status: healthy}, msg: "OK (17 bytes)", elapsed: 0.004}}
latency:
  description:
    - C(samples), one per request in seconds and tokens per second; C(summary), the median, best and worst of each
      figure; C(msg), why the measurement stopped, only when it did.
  returned: when O(chat_latency) is given
  type: dict
  sample:
    samples: [{ttft: 0.9, total: 21.3, eval_count: 96, tokens_per_second: 4.7, load: 0.01, prompt_tokens: 18}]
    summary: {ttft_median: 0.9, ttft_max: 1.2, tokens_per_second_median: 4.7, total_median: 21.3, load_max: 0.01}
backend:
  description:
    - C(status) (V(-1) when nothing answered), C(source) (the provider the backend says answered, C(none) without
      one), C(elapsed_ms), C(detail) (the backend's error text for an HTTP error) and C(msg) (why nothing answered).
  returned: when O(backend_command) is given
  type: dict
  sample: {status: 200, source: ollama, elapsed_ms: 1834.2, detail: "", msg: ""}
"""

import json
import time
from urllib.error import HTTPError, URLError

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.ollama_api import (OllamaClient, OllamaError, measure_chat, normalize_model_name,
                                             summarize_latency)
from ansible.module_utils.urls import fetch_url, open_url


def probe(module, url, timeout, body=None):
    started = time.monotonic()
    if body is None:
        response, info = fetch_url(module, url, method="GET", timeout=timeout)
    else:
        response, info = fetch_url(module, url, method="POST", timeout=timeout, data=json.dumps(body),
                                   headers={"Content-Type": "application/json"})
    # An HTTP error's body was already read into info (the response object is then spent).
    body = info.get("body") or (response.read() if response else b"")
    answer = {"status": int(info.get("status", -1)), "msg": info.get("msg", ""),
              "elapsed": round(time.monotonic() - started, 3)}
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if parsed is not None:
        answer["json"] = parsed
    return answer


def chat_latency(spec):
    """Samples until the first failure; the failure's reason in msg."""
    samples = []
    try:
        client = OllamaClient(spec["url"], timeout=spec["timeout"], validate_certs=spec["validate_certs"],
                              headers=spec["headers"])
        body = {"model": normalize_model_name(spec["model"]),
                "messages": [{"role": "user", "content": spec["prompt"]}], "stream": True}
        if spec["options"]:
            body["options"] = spec["options"]
        if spec["keep_alive"] is not None:
            body["keep_alive"] = spec["keep_alive"]
        for _ in range(spec["requests"]):
            samples.append(measure_chat(client, body, spec["timeout"]))
    except (ValueError, OllamaError) as exc:
        return {"samples": samples, "summary": summarize_latency(samples),
                "msg": "Measuring %s at %s failed after %d request(s): %s" % (spec["model"], spec["url"],
                                                                               len(samples), exc)}
    return {"samples": samples, "summary": summarize_latency(samples)}


def backend_command(spec, clock=time.monotonic):
    """The user's request: status, source, elapsed_ms, detail; status -1 with msg when nothing answered."""
    body = json.dumps({"command": spec["command"]}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + spec["token"]}
    started = clock()
    try:
        response = open_url(spec["url"].rstrip("/") + spec["path"], data=body, headers=headers, method="POST",
                            timeout=spec["timeout"], validate_certs=spec["validate_certs"])
        status, raw = response.getcode(), response.read()
    except HTTPError as exc:
        status, raw = exc.code, exc.read() if exc.fp else b""
    except (URLError, OSError) as exc:
        return {"status": -1, "source": "none", "elapsed_ms": -1.0, "detail": "",
                "msg": "The backend at %s did not answer %s (%s); check that the talent-api container runs and "
                       "publishes its port." % (spec["url"], spec["path"], getattr(exc, "reason", exc))}
    elapsed_ms = round((clock() - started) * 1000, 1)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    detail = answer.get("detail", "") if status >= 400 else ""
    return {"status": status, "source": str(answer.get("source") or "none"), "elapsed_ms": elapsed_ms,
            "detail": detail if isinstance(detail, str) else json.dumps(detail), "msg": ""}


def main():
    module = AnsibleModule(
        argument_spec={
            "probes": {"type": "list", "elements": "dict", "default": [], "options": {
                "name": {"type": "str", "required": True},
                "url": {"type": "str", "required": True},
                "timeout": {"type": "float", "default": 5},
                "body": {"type": "dict"},
            }},
            "chat_latency": {"type": "dict", "options": {
                "url": {"type": "str", "required": True},
                "model": {"type": "str", "required": True},
                "prompt": {"type": "str", "default": "Answer in one sentence: what is a private LLM server?"},
                "options": {"type": "dict", "default": {}},
                "keep_alive": {"type": "str"},
                "requests": {"type": "int", "default": 3},
                "timeout": {"type": "int", "default": 120},
                "validate_certs": {"type": "bool", "default": True},
                "headers": {"type": "dict", "default": {}, "no_log": True},
            }},
            "backend_command": {"type": "dict", "options": {
                "url": {"type": "str", "default": "http://127.0.0.1:8000"},
                "path": {"type": "str", "default": "/api/ai/v3/command"},
                "command": {"type": "str", "required": True},
                "token": {"type": "str", "required": True, "no_log": True},
                "timeout": {"type": "float", "default": 60},
                "validate_certs": {"type": "bool", "default": True},
            }},
        },
        supports_check_mode=True,
    )
    params = module.params
    names = [p["name"] for p in params["probes"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="probe names must be unique: " + ", ".join(names))
    if params["chat_latency"] and params["chat_latency"]["requests"] < 1:
        module.fail_json(msg="chat_latency.requests is %d; measure at least 1 request."
                             % params["chat_latency"]["requests"])
    if params["backend_command"] and params["backend_command"]["timeout"] <= 0:
        module.fail_json(msg="backend_command.timeout is %s; give the seconds to wait for the answer, more than 0."
                             % params["backend_command"]["timeout"])
    answers = {p["name"]: probe(module, p["url"], p["timeout"], p["body"]) for p in params["probes"]}
    result = {"changed": False, "answers": answers}
    if params["chat_latency"]:
        result["latency"] = chat_latency(params["chat_latency"])
    if params["backend_command"]:
        result["backend"] = backend_command(params["backend_command"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
