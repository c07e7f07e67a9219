#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: haproxy_servers
short_description: Read the servers of one HAProxy backend from its runtime API
description:
  - Sends C(show stat) to HAProxy's runtime API (its C(stats socket)) and returns each server of O(backend)
    with its status, the requests it is serving now and the requests it has served since HAProxy started.
  - M(community.general.haproxy) changes a server's state; this module only reads, for reports and for
    refusing to drain the last healthy server.
  - Read-only; it runs in check mode too. Fails when the socket does not answer or the backend does not exist.
version_added: "1.2.0"
author:
  - AI stack maintainers
options:
  socket:
    description: Path of the runtime API's UNIX socket.
    type: path
    default: /run/haproxy/admin.sock
  backend:
    description: Name of the backend whose servers are read.
    type: str
    required: true
  timeout:
    description: Seconds to wait for the socket's answer.
    type: float
    default: 5
extends_documentation_fragment:
  - read_only
"""

EXAMPLES = r"""
- name: Read the brains behind the load balancer
  haproxy_servers:
    backend: ollama_brains
  register: lb
  delegate_to: "{{ groups['lb'][0] }}"
  become: true
"""

RETURN = r"""
servers:
  description:
    - One entry per server of the backend, in configuration order. C(status) is HAProxy's (C(UP), C(DOWN),
      C(MAINT), C(DRAIN), C(UP 1/2) while going down, ...); C(healthy) is true for C(UP) and C(UP x/y);
      C(in_flight) is C(scur), C(requests) is C(stot) (both counted since HAProxy started); C(check) is the
      last health check's status and description.
  returned: always
  type: list
  elements: dict
  sample: [{"name": "brain-1", "status": "UP", "healthy": true, "in_flight": 0, "requests": 12, "check": "L7OK 200"}]
healthy:
  description: Names of the servers HAProxy sends new requests to (status C(UP)).
  returned: always
  type: list
  elements: str
  sample: [brain-1, brain-2]
"""

import csv
import socket

from ansible.module_utils.basic import AnsibleModule


def runtime_command(path: str, command: str, timeout: float) -> str:
    """One command on the runtime API; HAProxy closes the connection after answering it."""
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(path)
        client.sendall(command.encode() + b"\n")
        chunks = []
        while True:
            chunk = client.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        client.close()
    return b"".join(chunks).decode("utf-8", "replace")


def parse_show_stat(text: str, backend: str) -> list[dict]:
    """The servers of one backend in `show stat` CSV (the header line starts with '# ')."""
    lines = text.lstrip("# ").splitlines()
    servers = []
    for row in csv.DictReader(lines):
        if row.get("pxname") != backend or row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        status = row.get("status", "")
        servers.append({
            "name": row["svname"],
            "status": status,
            "healthy": status == "UP" or status.startswith("UP "),
            "in_flight": int(row.get("scur") or 0),
            "requests": int(row.get("stot") or 0),
            "check": " ".join(part for part in (row.get("check_status", ""), row.get("check_code", "")) if part),
            "check_desc": row.get("check_desc", ""),
        })
    return servers


def main():
    module = AnsibleModule(
        argument_spec={
            "socket": {"type": "path", "default": "/run/haproxy/admin.sock"},
            "backend": {"type": "str", "required": True},
            "timeout": {"type": "float", "default": 5},
        },
        supports_check_mode=True,
    )
    p = module.params
    try:
        text = runtime_command(p["socket"], "show stat", p["timeout"])
    except OSError as exc:
        module.fail_json(msg="HAProxy's runtime API at %s did not answer (%s); check that haproxy runs and that its "
                             "configuration has `stats socket %s level admin`." % (p["socket"], exc, p["socket"]))
    servers = parse_show_stat(text, p["backend"])
    if not servers and ("\n%s," % p["backend"]) not in "\n" + text.lstrip("# "):
        module.fail_json(msg="HAProxy has no backend named %s; check the load balancer's configuration." % p["backend"])
    module.exit_json(changed=False, servers=servers, healthy=[s["name"] for s in servers if s["healthy"]])


if __name__ == "__main__":
    main()
