#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: http_probe
short_description: Send several HTTP GET probes from a host in one round trip, and report each answer
description:
  - Asks each URL of O(probes) once, in order, from the managed host, and returns its status, its JSON body
    (when it is JSON) and the time it took, as M(ansible.builtin.uri) would for each.
  - Never fails for an answer. A refused connection or a timeout gives status V(-1) in RV(answers), with the
    reason in C(msg); any HTTP status is reported as it came, so that a report can say what it found.
  - Read-only (GET only); it runs in check mode too.
version_added: "1.1.0"
author:
  - AI stack maintainers
options:
  probes:
    description: What to ask, each under a name that keys RV(answers).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: Key of this probe in RV(answers)., type: str, required: true}
      url: {description: The http(s) URL to GET., type: str, required: true}
      timeout: {description: Seconds to wait for the answer., type: float, default: 5}
extends_documentation_fragment:
  - read_only
"""

EXAMPLES = r"""
- name: Ask the brain and the backend, from the body
  http_probe:
    probes:
      - {name: brain_tags, url: "http://10.0.1.20:11434/api/tags"}
      - {name: health, url: "http://127.0.0.1:8000/health", timeout: 2}
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
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import fetch_url


def probe(module, url, timeout):
    started = time.monotonic()
    response, info = fetch_url(module, url, method="GET", timeout=timeout)
    body = response.read() if response else info.get("body", b"")
    answer = {"status": int(info.get("status", -1)), "msg": info.get("msg", ""),
              "elapsed": round(time.monotonic() - started, 3)}
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = None
    if parsed is not None:
        answer["json"] = parsed
    return answer


def main():
    module = AnsibleModule(
        argument_spec={"probes": {"type": "list", "elements": "dict", "required": True, "options": {
            "name": {"type": "str", "required": True},
            "url": {"type": "str", "required": True},
            "timeout": {"type": "float", "default": 5},
        }}},
        supports_check_mode=True,
    )
    names = [p["name"] for p in module.params["probes"]]
    if len(set(names)) != len(names):
        module.fail_json(msg="probe names must be unique: " + ", ".join(names))
    answers = {p["name"]: probe(module, p["url"], p["timeout"]) for p in module.params["probes"]}
    module.exit_json(changed=False, answers=answers)


if __name__ == "__main__":
    main()
