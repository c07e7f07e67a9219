#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: ollama_model
short_description: Pull, derive or delete models on an Ollama server
description:
  - With O(state=present) and no O(from), pulls O(name) through C(/api/pull) only when
    C(/api/tags) does not list it. An interrupted pull is retried and resumes where it stopped.
  - With O(from), creates a derived model through C(/api/create) (for example with a larger
    C(num_ctx)), and re-creates it only when its parent, parameters or system prompt differ.
  - With O(state=absent), deletes the model when it is listed.
  - In check mode nothing is pulled, created or deleted; the result says what would change.
version_added: "1.0.0"
extends_documentation_fragment:
  - ollama_connection
options:
  name:
    description: Model name, for example V(gemma3:4b). A name without a tag means V(:latest).
    type: str
    required: true
  state:
    description: Whether the model should be on the server.
    type: str
    choices: [present, absent]
    default: present
  from:
    description: Parent model of a derived model. The parent must already be present.
    type: str
  parameters:
    description: Model parameters of a derived model, for example C(num_ctx) or C(num_thread).
    type: dict
    default: {}
  system:
    description: System prompt of a derived model.
    type: str
  timeout:
    description: Seconds a pull may take in total, resumes included.
    type: int
    default: 3600
  retries:
    description: How many times an interrupted pull is resumed before the module fails.
    type: int
    default: 3
"""

EXAMPLES = r"""
- name: Pull the brain's model
  ollama_model:
    name: gemma3:4b
    url: http://10.0.1.5:11434

- name: A variant with a larger context window
  ollama_model:
    name: gemma3-8k:4b
    from: gemma3:4b
    parameters:
      num_ctx: 8192

- name: Remove a model no longer served
  ollama_model:
    name: gemma2:9b
    state: absent
"""

RETURN = r"""
name:
  description: The model name as Ollama lists it.
  returned: always
  type: str
  sample: gemma3:4b
action:
  description: What was done (or would be, in check mode).
  returned: always
  type: str
  sample: pulled
  choices: [none, pulled, created, deleted]
bytes:
  description: Size in bytes of the layers a pull reported.
  returned: when a model was pulled
  type: int
  sample: 3338801984
seconds:
  description: Seconds the pull or create took.
  returned: when a model was pulled or created
  type: float
  sample: 95.2
resumed:
  description: How many times an interrupted pull was resumed.
  returned: when a model was pulled
  type: int
  sample: 0
"""

import time

from ansible.module_utils.ollama_api import (
    client_for,
    normalize_model_name,
    ollama_module,
    OllamaError,
    OllamaHTTPError,
)

_UNKNOWN_MODEL = "file does not exist"


def parse_parameters(text):
    """`/api/show` parameters ('key   value' lines, repeated keys for lists) as a dict of strings."""
    found = {}
    for line in (text or "").splitlines():
        key, _, value = line.strip().partition(" ")
        if not key:
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found.setdefault(key, []).append(value)
    return {k: v[0] if len(v) == 1 else v for k, v in found.items()}


def _as_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return [_as_text(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def derived_differs(shown, parent, parameters, system):
    """True when the model on the server does not match the wanted definition."""
    if shown is None:
        return True
    current_parent = (shown.get("details") or {}).get("parent_model") or ""
    if current_parent and normalize_model_name(current_parent) != parent:
        return True
    current = parse_parameters(shown.get("parameters"))
    for key, value in parameters.items():
        if current.get(key) != _as_text(value):
            return True
    return system is not None and (shown.get("system") or "") != system


def pull(client, name, timeout, retries):
    started = time.monotonic()
    reported = {}
    resumed = 0
    while True:
        try:
            client.pull(name, on_progress=lambda item: item.get("digest") and reported.update(
                {item["digest"]: item.get("total", 0)}), timeout=max(30, timeout))
            return sum(reported.values()), round(time.monotonic() - started, 2), resumed
        except OllamaHTTPError as exc:
            if _UNKNOWN_MODEL in exc.error:
                raise OllamaError("Model %s does not exist in the registry Ollama pulls from; "
                                  "check the name and tag (for example gemma3:4b)." % name) from None
            if resumed >= retries or time.monotonic() - started > timeout:
                raise OllamaError("Pulling %s failed after %d resumed attempt(s): %s. Check the brain's network "
                                  "access to the registry and its free disk space." % (name, resumed, exc.error)) from None
            resumed += 1
            time.sleep(min(2 ** resumed, 10))


def main():
    module = ollama_module(dict(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        parameters=dict(type="dict", default={}),
        system=dict(type="str"),
        timeout=dict(type="int", default=3600),
        retries=dict(type="int", default=3),
        **{"from": dict(type="str")}
    ))
    p = module.params
    try:
        name = normalize_model_name(p["name"])
        parent = normalize_model_name(p["from"]) if p["from"] else None
        client = client_for(p, 60)
        listed = [normalize_model_name(n) for n in client.model_names() if n]
    except (ValueError, OllamaError) as exc:
        module.fail_json(msg=str(exc))

    result = dict(changed=False, name=name, action="none")
    try:
        if p["state"] == "absent":
            if name in listed:
                result.update(changed=True, action="deleted")
                if not module.check_mode:
                    client.delete(name)
        elif parent:
            if parent not in listed:
                module.fail_json(msg="Cannot create %s: its parent %s is not on the server; pull it first." % (name, parent),
                                 **result)
            shown = client.show(name) if name in listed else None
            if derived_differs(shown, parent, p["parameters"], p["system"]):
                result.update(changed=True, action="created")
                if not module.check_mode:
                    started = time.monotonic()
                    client.create(name, parent, p["parameters"], p["system"])
                    result["seconds"] = round(time.monotonic() - started, 2)
        elif name not in listed:
            result.update(changed=True, action="pulled")
            if not module.check_mode:
                result["bytes"], result["seconds"], result["resumed"] = pull(client, name, p["timeout"], p["retries"])
    except OllamaError as exc:
        module.fail_json(msg=str(exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
