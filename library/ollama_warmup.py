#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ollama_warmup
short_description: Keep models loaded in an Ollama server's memory
description:
  - Loads each model in O(models) through C(/api/generate) with an empty prompt, the given
    O(keep_alive) and the same O(options) the clients send, so their first request does not
    reload it. Then checks C(/api/ps) that the model is loaded.
  - Reports changed only when a model had to be loaded, loaded with another context length,
    or its keep-alive had to be set to forever again.
  - A warm-up's keep-alive only lasts until the next request that sends none; keep models warm
    server-wide with C(OLLAMA_KEEP_ALIVE) and use this module to load them now.
version_added: "1.0.0"
extends_documentation_fragment:
  - ollama_connection
options:
  models:
    description: Models to keep loaded.
    type: list
    elements: str
    required: true
  keep_alive:
    description: Keep-alive sent with the load; V(-1) keeps the model loaded until the server stops.
    type: str
    default: "-1"
  options:
    description:
      - Model options sent with the load, the same the clients send. Load-time options such as
        C(num_ctx) must match the clients' or their first request reloads the model.
    type: dict
    default: {}
  context_length:
    description:
      - Context length the clients' requests will run with (the server's C(OLLAMA_CONTEXT_LENGTH)
        when they send no C(num_ctx)). A loaded model with another context length is reloaded.
    type: int
  timeout:
    description: Seconds one load may take (reading a 3.3 GB model from gp3 takes about 30 s).
    type: int
    default: 600
"""

EXAMPLES = r"""
- name: Keep the brain's model loaded, as the backend will call it
  ollama_warmup:
    url: http://10.0.1.5:11434
    models: [gemma3:4b]
    keep_alive: "-1"
    context_length: 4096
    options:
      temperature: 0.7
      num_predict: 2048
      top_k: 40
      top_p: 0.9
      repeat_penalty: 1.1
"""

RETURN = r"""
loaded:
  description: Models this run loaded (or would load, in check mode), with the seconds the load took.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "gemma3:4b", "load_seconds": 27.4, "reason": "not loaded"}]
running:
  description: What C(/api/ps) listed at the end.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "gemma3:4b", "expires_at": "2318-01-01T00:00:00Z", "context_length": 4096, "size": 4180000000}]
"""

from ansible.module_utils.ollama_api import (
    client_for,
    normalize_model_name,
    ollama_module,
    OllamaError,
    running_by_name,
    running_summary,
    warm_context_length,
    warm_reason,
    warmup_request,
)


def main():
    module = ollama_module(dict(
        models=dict(type="list", elements="str", required=True),
        keep_alive=dict(type="str", default="-1"),
        options=dict(type="dict", default={}),
        context_length=dict(type="int"),
        timeout=dict(type="int", default=600),
    ))
    p = module.params
    context_length = warm_context_length(p["context_length"], p["options"])
    loaded = []
    try:
        models = [normalize_model_name(m) for m in p["models"]]
        client = client_for(p, 60)
        running = running_by_name(client.running())
        for name in models:
            reason = warm_reason(running.get(name), p["keep_alive"], context_length)
            if reason is None:
                continue
            item = {"name": name, "reason": reason}
            if not module.check_mode:
                answer = client.generate(warmup_request(name, p["keep_alive"], p["options"]), timeout=p["timeout"])
                item["load_seconds"] = round(answer.get("load_duration", 0) / 1e9, 2)
            loaded.append(item)
        running = running_by_name(client.running())
    except (ValueError, OllamaError) as exc:
        module.fail_json(msg=str(exc), loaded=loaded)

    summary = running_summary(list(running.values()))
    if not module.check_mode:
        for name in models:
            left = warm_reason(running.get(name), p["keep_alive"], context_length)
            if left:
                module.fail_json(msg="%s was loaded but /api/ps shows it %s; check OLLAMA_MAX_LOADED_MODELS, the host's "
                                     "free memory and journalctl -u ollama." % (name, left), loaded=loaded, running=summary)
    module.exit_json(changed=bool(loaded), loaded=loaded, running=summary)


if __name__ == "__main__":
    main()
