#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ollama_latency
short_description: Measure an Ollama model's time to first token and generation speed
description:
  - Sends O(requests) streamed C(/api/chat) requests with the clients' own O(options) (and, like
    them, no C(keep_alive) unless O(keep_alive) is set), one after another, and measures for each
    the time to the first content token, the total time, the tokens per second Ollama reports
    (C(eval_count) / C(eval_duration)) and the C(load_duration), which shows whether the model had
    to be loaded.
  - Reports figures only; comparing them with objectives is left to the playbook. Never changes anything.
version_added: "1.0.0"
extends_documentation_fragment:
  - ollama_connection
options:
  model:
    description: Model to ask.
    type: str
    required: true
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
    description: How many requests are measured, one after another.
    type: int
    default: 3
  timeout:
    description: Seconds one request may take in total.
    type: int
    default: 120
attributes:
  check_mode:
    support: full
    details: Measures in check mode too; it only reads.
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Measure the brain as the backend calls it
  ollama_latency:
    url: http://10.0.1.5:11434
    model: gemma3:4b
    requests: 5
    options:
      temperature: 0.7
      num_predict: 128
  register: latency
"""

RETURN = r"""
samples:
  description: One entry per request, in seconds and tokens per second.
  returned: always
  type: list
  elements: dict
  sample: [{"ttft": 0.9, "total": 21.3, "eval_count": 96, "tokens_per_second": 4.7, "load": 0.01, "prompt_tokens": 18}]
summary:
  description: Median and worst of each figure over the samples.
  returned: always
  type: dict
  sample: {"ttft_median": 0.9, "ttft_max": 1.2, "tokens_per_second_median": 4.7, "total_median": 21.3, "load_max": 0.01}
"""

import time

from ansible.module_utils.ollama_api import client_for, normalize_model_name, ollama_module, OllamaError


def _median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2.0


def measure(client, body, timeout, clock=time.monotonic):
    started = clock()
    first = None
    final = {}
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


def summarize(samples):
    summary = {}
    for key in ("ttft", "total", "tokens_per_second", "load"):
        values = [s[key] for s in samples]
        summary[key + "_median"] = round(_median(values), 3)
        summary[key + "_max"] = round(max(values), 3)
        summary[key + "_min"] = round(min(values), 3)
    return summary


def main():
    module = ollama_module(dict(
        model=dict(type="str", required=True),
        prompt=dict(type="str", default="Answer in one sentence: what is a private LLM server?"),
        options=dict(type="dict", default={}),
        keep_alive=dict(type="str"),
        requests=dict(type="int", default=3),
        timeout=dict(type="int", default=120),
    ))
    p = module.params
    if p["requests"] < 1:
        module.fail_json(msg="requests must be at least 1.")
    samples = []
    try:
        model = normalize_model_name(p["model"])
        client = client_for(p, p["timeout"])
        body = {"model": model, "messages": [{"role": "user", "content": p["prompt"]}], "stream": True}
        if p["options"]:
            body["options"] = p["options"]
        if p["keep_alive"] is not None:
            body["keep_alive"] = p["keep_alive"]
        for _ in range(p["requests"]):
            samples.append(measure(client, body, p["timeout"]))
    except (ValueError, OllamaError) as exc:
        module.fail_json(msg="Measuring %s at %s failed after %d request(s): %s" % (p["model"], p["url"], len(samples), exc),
                         samples=samples)
    module.exit_json(changed=False, samples=samples, summary=summarize(samples))


if __name__ == "__main__":
    main()
