#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Send the backend's AI command as a signed-in user does, and time it."""

from __future__ import annotations

DOCUMENTATION = r"""
module: backend_command
short_description: Send one authenticated AI command to the talent-api backend and time it in milliseconds
description:
  - Sends C(POST <url><path>) with a JSON body holding the command and an C(Authorization) bearer header, as a signed-in user of
    the backend does, and reports the HTTP status, which provider answered (the response's C(source)) and the time
    the whole request took, in milliseconds.
  - Read-only as far as the stack is concerned (one question to the backend), so it runs in check mode too and never
    reports a change.
  - The token is never logged. An HTTP error is a result, not a failure; only a request that gets no answer at all
    fails the task.
version_added: "1.0.0"
options:
  url:
    description: Base URL of the backend, as seen from the host the module runs on.
    type: str
    default: http://127.0.0.1:8000
  path:
    description: The AI command endpoint.
    type: str
    default: /api/ai/v3/command
  command:
    description: The text sent as the user's command.
    type: str
    required: true
  token:
    description: The user's bearer token (a Supabase JWT). Never logged.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the whole answer.
    type: float
    default: 60
  validate_certs:
    description: Verify the TLS certificate when O(url) is https.
    type: bool
    default: true
author: AI stack maintainers
"""

EXAMPLES = r"""
- name: Ask the backend as a user does
  backend_command:
    url: http://127.0.0.1:8000
    command: Answer in one short sentence, is the private AI server working?
    token: "{{ stack_verify_api_token }}"
    timeout: 60
  register: ask
"""

RETURN = r"""
status:
  description: HTTP status of the answer.
  type: int
  returned: always
  sample: 200
source:
  description: The provider the backend says answered (C(ollama), C(gemini)), or C(none) when the answer has none.
  type: str
  returned: always
  sample: ollama
elapsed_ms:
  description: Milliseconds from sending the request to having read the whole answer.
  type: float
  returned: always
  sample: 1834.2
detail:
  description: The backend's error text (FastAPI's C(detail)) for an HTTP error, else empty.
  type: str
  returned: always
  sample: ""
"""

import json
import time

from ansible.module_utils.basic import AnsibleModule
from urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url


def ask(url: str, path: str, command: str, token: str, timeout: float, validate_certs: bool,
        clock=time.monotonic) -> dict:
    """One request; returns status, source, elapsed_ms and detail. Raises URLError/OSError when nothing answers."""
    body = json.dumps({"command": command}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    started = clock()
    try:
        response = open_url(url.rstrip("/") + path, data=body, headers=headers, method="POST", timeout=timeout,
                            validate_certs=validate_certs)
        status, raw = response.getcode(), response.read()
    except HTTPError as exc:
        status, raw = exc.code, exc.read() if exc.fp else b""
    elapsed_ms = round((clock() - started) * 1000, 1)
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}
    detail = answer.get("detail", "") if status >= 400 else ""
    return {"status": status, "source": str(answer.get("source") or "none"), "elapsed_ms": elapsed_ms,
            "detail": detail if isinstance(detail, str) else json.dumps(detail)}


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", default="http://127.0.0.1:8000"),
            path=dict(type="str", default="/api/ai/v3/command"),
            command=dict(type="str", required=True),
            token=dict(type="str", required=True, no_log=True),
            timeout=dict(type="float", default=60),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["timeout"] <= 0:
        module.fail_json(msg=f"timeout is {params['timeout']}; give the seconds to wait for the answer, more than 0.")
    try:
        result = ask(params["url"], params["path"], params["command"], params["token"], params["timeout"],
                     params["validate_certs"])
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        module.fail_json(msg=f"The backend at {params['url']} did not answer {params['path']} ({reason}); "
                             "check that the talent-api container runs and publishes its port.",
                         status=-1, source="none", elapsed_ms=-1.0, detail="")
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
