#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# The work is done on the controller by action_plugins/stack_verify_report.py; this file documents it.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: stack_verify_report
short_description: Write the verification report as JSON on the controller
description:
  - Writes O(report) as indented JSON to O(path) on the controller, creating its directory, in one atomic rename.
  - Runs in the controller's own process (an action plugin), so no module is started on the host or on localhost.
  - Never reports a change, also in check mode, where it writes the report too; it describes the stack and does not change it.
version_added: "1.1.0"
author:
  - AI stack maintainers
options:
  path:
    description: Where to write the report on the controller.
    type: path
    required: true
  report:
    description: The report.
    type: dict
    required: true
attributes:
  check_mode:
    support: full
    description: The report is written in check mode too; it describes the stack and changes nothing in it.
  diff_mode:
    support: none
    description: The report is a new file every run; no diff is shown.
"""

EXAMPLES = r"""
- name: Write reports/verify-<body>.json
  stack_verify_report:
    path: "{{ playbook_dir }}/../reports/verify-{{ inventory_hostname }}.json"
    report: {host: "{{ inventory_hostname }}", checks: "{{ checks }}"}
"""

RETURN = r"""
path:
  description: The absolute path written.
  returned: always
  type: str
"""
