#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: env_file
short_description: Set keys in a C(docker run --env-file) file in one atomic write, keeping or replacing the rest
description:
  - Writes every key of O(settings) and O(secrets) into a C(KEY=value) file at once, so a run that stops half-way never
    leaves a file with some keys new and some old.
  - In O(mode=merge) the other lines, comments and their order stay; a key already in the file is replaced where
    its last definition stands (the one C(docker run --env-file) uses), and a new key is appended.
  - In O(mode=replace) the file holds a header and the keys, sorted, and nothing else.
  - Values of O(secrets) are never returned or logged, and no diff is shown, because the file holds them.
  - With O(backup=true) a changed file is first copied aside, and RV(backup_file) names the copy, so that a role can
    put the old file back if the container that reads the new one fails.
version_added: "1.1.0"
author:
  - AI stack maintainers
options:
  path:
    description: The env file.
    type: path
    required: true
  directory_mode:
    description:
      - Mode of the file's directory when the module has to create it (owned by O(owner) and O(group)), octal.
      - Omitted, a missing directory is an error.
    type: str
  settings:
    description: Keys and values that are not secret.
    type: dict
    default: {}
  secrets:
    description: Keys and values that are secret.
    type: dict
    default: {}
  mode:
    description: Whether lines the module does not own stay (V(merge)) or the file is written whole (V(replace)).
    type: str
    choices: [merge, replace]
    default: merge
  header:
    description: Comment lines at the top of the file in O(mode=replace).
    type: list
    elements: str
    default: []
  owner:
    description: Owner of the file.
    type: str
  group:
    description: Group of the file.
    type: str
  file_mode:
    description: Mode of the file, octal.
    type: str
    default: "0600"
  backup:
    description: Copy a file that is about to change aside first, and return the copy's path.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
    details: The file holds secrets.
"""

EXAMPLES = r"""
- name: Point the backend at the brain, keeping the pipeline's other keys
  env_file:
    path: /home/ubuntu/app/.env
    settings:
      AI_PROVIDER: ollama
      AI_BASE_URL: http://10.0.1.20:11434
    secrets:
      JWT_SECRET: "{{ vault_jwt_secret }}"
    owner: ubuntu
    group: ubuntu
    backup: true
  register: env
"""

RETURN = r"""
keys_changed:
  description: The keys whose line was added or changed (names only, never values).
  returned: always
  type: list
  elements: str
  sample: [AI_BASE_URL]
backup_file:
  description: The copy of the file as it was before this change.
  returned: when O(backup=true) and an existing file changed
  type: str
"""

import os
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.env_lines import bad_keys, env_values, line_key, text, wanted_lines


def changed_keys(old_lines, new_lines, values):
    def definitions(lines):
        found = {}
        for line in lines:
            key = line_key(line)
            if key in values:
                found[key] = line
        return found
    before, after = definitions(old_lines), definitions(new_lines)
    return sorted(key for key in values if before.get(key) != after.get(key))


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "settings": {"type": "dict", "default": {}},
            "secrets": {"type": "dict", "default": {}, "no_log": True},
            "mode": {"type": "str", "choices": ["merge", "replace"], "default": "merge"},
            "header": {"type": "list", "elements": "str", "default": []},
            "owner": {"type": "str"},
            "group": {"type": "str"},
            "file_mode": {"type": "str", "default": "0600"},
            "backup": {"type": "bool", "default": False},
            "directory_mode": {"type": "str"},
        },
        supports_check_mode=True,
    )
    p = module.params
    values = env_values(p["settings"], p["secrets"])
    bad = bad_keys(values)
    if bad:
        module.fail_json(msg="keys must be shell names with one-line values; these are not: " + ", ".join(bad))
    path = p["path"]
    directory = os.path.dirname(path) or "."
    make_directory = not os.path.isdir(directory)
    if make_directory and not p["directory_mode"]:
        module.fail_json(msg=f"the directory of {path} does not exist")

    exists = os.path.exists(path)
    old = ""
    if exists:
        with open(path, encoding="utf-8") as handle:
            old = handle.read()
    old_lines = old.splitlines()
    new_lines = wanted_lines(old_lines, values, p["mode"], p["header"])
    new = text(new_lines)

    result = {"changed": False, "keys_changed": changed_keys(old_lines, new_lines, values)}
    if new != old or not exists:
        result["changed"] = True
        if not module.check_mode:
            if make_directory:
                os.makedirs(directory)
                dir_args = {"path": directory, "owner": p["owner"], "group": p["group"], "mode": p["directory_mode"]}
                module.set_fs_attributes_if_different(module.load_file_common_arguments(dir_args), True)
            if p["backup"] and exists:
                result["backup_file"] = module.backup_local(path)
            fd, tmp = tempfile.mkstemp(prefix=".env-", dir=directory)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(new)
            os.chmod(tmp, int(p["file_mode"], 8))
            module.atomic_move(tmp, path, unsafe_writes=False)

    file_args = {"path": path, "owner": p["owner"], "group": p["group"], "mode": p["file_mode"]}
    if exists or not module.check_mode:
        result["changed"] = module.set_fs_attributes_if_different(
            module.load_file_common_arguments(file_args), result["changed"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
