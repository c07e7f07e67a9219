#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: Read what a role needs to know about a host, and where it differs from a wanted state, in one round trip
description:
  - Compares the host with the state a role would write (file contents and modes, links, directories,
    absent paths, files no longer wanted, unpacked trees, systemd units, packages, users and groups, env files,
    registry logins) and lists every difference.
  - Reads the small files, paths, free space and memory limit the role's checks need.
  - A role asks this once per run. When nothing differs it can skip the tasks that would each have found
    nothing to do; when anything differs it runs them all, with their own check and diff output.
  - A role whose tasks fall into parts (install, configure, ...) gives each part's state in O(parts), and skips
    the parts that RV(parts_differing) does not name.
  - Anything the module cannot read (a missing C(dpkg-query), an unknown user) counts as a difference, so
    the role never skips work it could not prove unnecessary.
  - Read-only; it runs in check mode too.
version_added: "1.1.0"
author:
  - AI stack maintainers
options:
  files:
    description:
      - Files that must exist with this content and these attributes.
      - O(files[].checksum) is the SHA-1 of the wanted content, as C(hash('sha1')) computes it on the controller.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      checksum: {description: SHA-1 of the wanted content; omitted means any content., type: str}
      mode: {description: Wanted mode in octal, for example V(0644)., type: str}
      owner: {description: Wanted owner name., type: str}
      group: {description: Wanted group name., type: str}
  links:
    description: Symbolic links that must point at O(links[].src).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path of the link., type: path, required: true}
      src: {description: What the link must point at., type: str, required: true}
  directories:
    description: Directories that must exist with these attributes.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: Absolute path., type: path, required: true}
      mode: {description: Wanted mode in octal; omitted means any., type: str}
      owner: {description: Wanted owner name; omitted means any., type: str}
      group: {description: Wanted group name; omitted means any., type: str}
  absent:
    description: Paths that must not exist.
    type: list
    elements: path
    default: []
  extra:
    description: Directories where every entry matching O(extra[].pattern) must be one of O(extra[].allowed).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory., type: path, required: true}
      pattern: {description: Shell pattern of the entries to look at., type: str, required: true}
      allowed: {description: Absolute paths of the entries that may stay., type: list, elements: path, default: []}
      allowed_named_in:
        description:
          - A file on the host whose first line names one more entry of O(extra[].path) that may stay (the release
            kept for a rollback, say). A missing file names none.
        type: path
  trees:
    description:
      - Unpacked trees (a release) whose regular files must still have the size and modification time recorded when
        they were unpacked; a file changed or removed since then is a difference keyed by O(trees[].path).
      - A tree with no record is a difference keyed by O(trees[].record), so the role can record it without unpacking
        again. A tree that does not exist is not compared (ask O(exists) for it).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory of the tree., type: path, required: true}
      record:
        description: 'JSON file C({"relative/path": [size, mtime]}), as C(ansible.builtin.find) reports them.'
        type: path
        required: true
  services:
    description: systemd units and whether they must be enabled and active; an omitted state is not compared.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Unit name., type: str, required: true}
      enabled: {description: Whether the unit must be enabled., type: bool}
      active: {description: Whether the unit must be active., type: bool}
      nft_table:
        description:
          - C(family name) of the nftables table the unit loads, such as C(inet ollama_brain); the unit counts as
            inactive while that table is not loaded (a oneshot unit stays active after C(nft delete table)).
        type: str
  packages:
    description: Debian packages that must be installed (read with C(dpkg-query)).
    type: list
    elements: str
    default: []
  groups:
    description: Groups that must exist.
    type: list
    elements: str
    default: []
  users:
    description: Accounts that must exist with this primary group, home and shell.
    type: list
    elements: dict
    default: []
    suboptions:
      name: {description: Account name., type: str, required: true}
      group: {description: Primary group name., type: str}
      home: {description: Home directory., type: path}
      shell: {description: Login shell., type: path}
  env_files:
    description:
      - C(KEY=value) files that must hold these keys as M(env_file) writes them, with these attributes.
      - The wanted content is computed on the host from the file's current lines, with the same rules as M(env_file)
        (O(env_files[].mode=merge) keeps the other lines), so only the keys travel; values of
        O(env_files[].secrets) are never logged or returned.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: "The file; C(~user/...) is that user's home.", type: path, required: true}
      settings: {description: Keys and values that may be shown., type: dict, default: {}}
      secrets: {description: Keys and values that are never shown., type: dict, default: {}}
      mode: {description: As M(env_file)'s O(env_file#module:mode)., type: str, choices: [merge, replace], default: merge}
      header: {description: As M(env_file)'s O(env_file#module:header)., type: list, elements: str, default: []}
      owner: {description: Wanted owner name; omitted means any., type: str}
      group: {description: Wanted group name; omitted means any., type: str}
      group_of_owner:
        description: The group must be the O(env_files[].owner)'s primary group (what a role that writes the file with
          the owner's group wants); used when O(env_files[].group) is omitted.
        type: bool
        default: false
      file_mode: {description: Wanted mode in octal., type: str, default: "0600"}
  registry_logins:
    description:
      - Registries where the Docker client must be logged in as this user with this password, as
        M(community.docker.docker_login) stores it in O(registry_logins[].config_path).
      - Compared on the host, as that module compares before it decides to log in again; the password never leaves
        the task's arguments, which are not logged. A registry whose credentials a helper (C(credsStore),
        C(credHelpers)) keeps counts as a difference, since only the helper could say.
      - A difference is keyed C(login REGISTRY) in RV(differing).
    type: list
    elements: dict
    default: []
    suboptions:
      registry: {description: The registry as the login names it (host and port)., type: str, required: true}
      username: {description: The user that must be stored., type: str, required: true}
      password: {description: The password that must be stored; never logged or returned., type: str, required: true}
      config_path:
        description: The Docker client's configuration file of the user the module runs as.
        type: path
        default: ~/.docker/config.json
  parts:
    description:
      - Named parts of the wanted state, each a dictionary of the options above from O(files) to O(users) (not
        O(env_files) or O(registry_logins), whose secrets would be logged there). Each part is compared as the
        top-level options are, its differences are added to RV(differences), and its name to RV(parts_differing).
    type: dict
    default: {}
  read:
    description: Small text files (up to 1 MiB) whose content to return in RV(contents); a missing file gives V(null).
    type: list
    elements: path
    default: []
  exists:
    description: Paths whose existence to return in RV(exists).
    type: list
    elements: path
    default: []
  accounts:
    description: Accounts whose passwd entry to return in RV(accounts).
    type: list
    elements: str
    default: []
  free_space:
    description: A path whose file system's free space to return (the nearest existing parent when it does not exist yet).
    type: path
  memory_limit:
    description:
      - Whether to return the memory limit of the module's own cgroup (v1 or v2) in RV(memory_limit_bytes), and the
        host's total memory from C(/proc/meminfo) in RV(memory_total_bytes).
    type: bool
    default: false
extends_documentation_fragment:
  - read_only
"""

EXAMPLES = r"""
- name: Compare the host with what the role would write, and read what its checks need
  host_state:
    files:
      - path: /etc/systemd/system/ollama.service
        checksum: "{{ lookup('ansible.builtin.template', 'ollama.service.j2') | hash('sha1') }}"
        mode: "0644"
    links:
      - {path: /usr/local/bin/ollama, src: /opt/ollama/0.34.2/bin/ollama}
    services:
      - {name: ollama.service, enabled: true, active: true}
    packages: [zstd]
    free_space: /usr/share/ollama/.ollama/models
    memory_limit: true
  register: state
"""

RETURN = r"""
differences:
  description: One sentence per difference between the host and the wanted state; empty when the host is in place.
  returned: always
  type: list
  elements: str
  sample: ["/etc/systemd/system/ollama.service: content differs", "ollama.service: not active"]
missing_packages:
  description: The packages of O(packages) that are not installed (all of them where C(dpkg-query) is missing).
  returned: always
  type: list
  elements: str
differing:
  description:
    - Each item that differs, once, so that a role can skip one task at a time; a path, a unit name,
      or C(package NAME), C(user NAME), C(group NAME).
  returned: always
  type: list
  elements: str
  sample: [/etc/systemd/system/ollama.service, ollama.service]
parts_differing:
  description: The names of the O(parts) where anything differs, in the order given.
  returned: always
  type: list
  elements: str
  sample: [configure]
accounts:
  description: For each account in O(accounts), its C(uid), C(gid), primary C(group) and C(home); V(null) when it does not exist.
  returned: always
  type: dict
  sample: {ubuntu: {uid: 1000, gid: 1000, group: ubuntu, home: /home/ubuntu}}
contents:
  description: Content of each file in O(read), or V(null) when it does not exist.
  returned: always
  type: dict
exists:
  description: Whether each path in O(exists) exists.
  returned: always
  type: dict
free_space:
  description:
    - The file system holding O(free_space) (C(mount)) and the bytes an unprivileged user may still write
      there (C(available_bytes)).
  returned: when O(free_space) is given
  type: dict
  sample: {mount: /, available_bytes: 21474836480}
memory_limit_bytes:
  description: The cgroup's memory limit in bytes, or V(null) when there is none.
  returned: when O(memory_limit) is true
  type: int
memory_total_bytes:
  description: MemTotal from C(/proc/meminfo) in bytes (a container sees its host's).
  returned: when O(memory_limit) is true
  type: int
"""

import base64
import fnmatch
import grp
import hashlib
import hmac
import json
import os
import pwd
import re
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.env_lines import env_values, text, wanted_lines

_MAX_READ = 1 << 20


def _name(lookup, ident):
    try:
        return lookup(ident)[0]
    except KeyError:
        return str(ident)


def _attributes(path, st, want, found):
    """Differences in mode, owner and group of an existing path, as (path, sentence) pairs like every check here."""
    if want.get("mode") and stat.S_IMODE(st.st_mode) != int(want["mode"], 8):
        found.append((path, f"{path}: mode is {stat.S_IMODE(st.st_mode):04o}, not {want['mode']}"))
    if want.get("owner") and _name(pwd.getpwuid, st.st_uid) != want["owner"]:
        found.append((path, f"{path}: owner is {_name(pwd.getpwuid, st.st_uid)}, not {want['owner']}"))
    if want.get("group") and _name(grp.getgrgid, st.st_gid) != want["group"]:
        found.append((path, f"{path}: group is {_name(grp.getgrgid, st.st_gid)}, not {want['group']}"))


def _stat_as(path, is_kind, kind, found):
    """The path's lstat when it exists and is a `kind`; otherwise None, with the difference recorded."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        found.append((path, f"{path}: missing"))
        return None
    if not is_kind(st.st_mode):
        found.append((path, f"{path}: not a {kind}"))
        return None
    return st


def _regular_files(wanted, found):
    """Each wanted file that exists as a regular file, with its path and lstat; the others recorded in found."""
    for want in wanted:
        st = _stat_as(want["path"], stat.S_ISREG, "regular file", found)
        if st is not None:
            yield want, want["path"], st


def file_differences(wanted):
    found = []
    for want, path, st in _regular_files(wanted, found):
        if want.get("checksum"):
            # SHA-1 because that is what Ansible's hash('sha1') and stat report; not for security.
            digest = hashlib.sha1(usedforsecurity=False)
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 16), b""):
                    digest.update(block)
            if digest.hexdigest() != want["checksum"].lower():
                found.append((path, f"{path}: content differs"))
        _attributes(path, st, want, found)
    return found


def link_differences(wanted):
    found = []
    for want in wanted:
        try:
            target = os.readlink(want["path"])
        except FileNotFoundError:
            found.append((want["path"], f"{want['path']}: missing"))
            continue
        except OSError:
            found.append((want["path"], f"{want['path']}: not a link"))
            continue
        if target != want["src"]:
            found.append((want["path"], f"{want['path']}: points at {target}, not {want['src']}"))
    return found


def directory_differences(wanted):
    found = []
    for want in wanted:
        st = _stat_as(want["path"], stat.S_ISDIR, "directory", found)
        if st is not None:
            _attributes(want["path"], st, want, found)
    return found


def extra_differences(wanted):
    found = []
    for want in wanted:
        try:
            names = sorted(os.listdir(want["path"]))
        except FileNotFoundError:
            continue
        allowed = set(want.get("allowed") or [])
        kept = (read_small(want["allowed_named_in"]) or "").strip() if want.get("allowed_named_in") else ""
        if kept:
            allowed.add(os.path.join(want["path"], kept.splitlines()[0]))
        for name in fnmatch.filter(names, want["pattern"]):
            path = os.path.join(want["path"], name)
            if path not in allowed:
                found.append((path, f"{path}: no longer wanted"))
    return found


def service_differences(module, wanted):
    found = []
    systemctl = module.get_bin_path("systemctl")
    for want in wanted:
        name = want["name"]
        if systemctl is None:
            found.append((name, f"{name}: systemctl not found"))
            continue
        for key, verb, good in (("enabled", "is-enabled", ("enabled", "enabled-runtime", "static", "alias")),
                                ("active", "is-active", ("active",))):
            if want.get(key) is None:
                continue
            _rc, out, err = module.run_command([systemctl, verb, name])
            state = out.strip() or err.strip()
            if (state in good) != want[key]:
                found.append((name, f"{name}: {state or 'unknown'}, not {'' if want[key] else 'in'}{key}"))
            elif key == "active" and want[key] and want.get("nft_table") and not nft_table_loaded(module, want["nft_table"]):
                found.append((name, f"{name}: active, but table {want['nft_table']} is not loaded"))
    return found


def nft_table_loaded(module, table):
    nft = module.get_bin_path("nft")
    return nft is not None and module.run_command([nft, "list", "table", *table.split()])[0] == 0


def missing_packages(module, names):
    """The packages of `names` that dpkg does not list as installed (all of them without dpkg-query)."""
    if not names:
        return []
    dpkg_query = module.get_bin_path("dpkg-query")
    if dpkg_query is None:
        return list(names)
    # Unknown packages make dpkg-query exit 1 but still print the known ones.
    _rc, out, _err = module.run_command([dpkg_query, "-W", "-f", "${Package}\t${db:Status-Status}\n", *names])
    installed = {line.split("\t")[0].split(":")[0] for line in out.splitlines() if line.endswith("\tinstalled")}
    return [name for name in names if name not in installed]


def tree_differences(wanted):
    """Files of an unpacked tree changed (size or modification time) or removed since its record was made."""
    found = []
    for want in wanted:
        root = want["path"]
        if not os.path.isdir(root):
            continue
        try:
            record = json.loads(read_small(want["record"]) or "null")
        except (OSError, ValueError):
            record = None
        if not isinstance(record, dict) or not all(isinstance(v, list) and len(v) == 2 for v in record.values()):
            found.append((want["record"], f"{want['record']}: missing, so the files of {root} cannot be compared"))
            continue
        for relative, (size, mtime) in sorted(record.items()):
            path = os.path.join(root, relative)
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                found.append((root, f"{path}: missing since the release was unpacked"))
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_size != size or st.st_mtime != mtime:
                found.append((root, f"{path}: changed since the release was unpacked"))
    return found


def account_differences(groups, users):
    found = []
    for name in groups:
        try:
            grp.getgrnam(name)
        except KeyError:
            found.append((f"group {name}", f"group {name}: missing"))
    for want in users:
        try:
            entry = pwd.getpwnam(want["name"])
        except KeyError:
            found.append((f"user {want['name']}", f"user {want['name']}: missing"))
            continue
        if want.get("group") and _name(grp.getgrgid, entry.pw_gid) != want["group"]:
            group = _name(grp.getgrgid, entry.pw_gid)
            found.append((f"user {want['name']}", f"user {want['name']}: primary group is {group}, not {want['group']}"))
        if want.get("home") and entry.pw_dir != want["home"]:
            found.append((f"user {want['name']}", f"user {want['name']}: home is {entry.pw_dir}, not {want['home']}"))
        if want.get("shell") and entry.pw_shell != want["shell"]:
            found.append((f"user {want['name']}", f"user {want['name']}: shell is {entry.pw_shell}, not {want['shell']}"))
    return found


def env_file_differences(wanted):
    """The env files env_file would write: missing, other content (keys only named by path), other attributes."""
    found = []
    for want, path, st in _regular_files(wanted, found):
        values = env_values(want["settings"], want["secrets"])
        try:
            with open(path, encoding="utf-8") as handle:
                old = handle.read(_MAX_READ)
        except (OSError, UnicodeDecodeError):
            old = None
        if old is None or text(wanted_lines(old.splitlines(), values, want["mode"], want["header"])) != old:
            found.append((path, f"{path}: keys differ from the wanted ones"))
        group = want.get("group") or (_primary_group(want.get("owner")) if want.get("group_of_owner") else None)
        _attributes(path, st, {"mode": want["file_mode"], "owner": want.get("owner"), "group": group}, found)
    return found


def _primary_group(user):
    """The name of a user's primary group; None when the user does not exist (the owner then differs anyway)."""
    try:
        return _name(grp.getgrgid, pwd.getpwnam(user).pw_gid) if user else None
    except KeyError:
        return None


def login_differences(wanted):
    """The logins docker_login would (re)write: none stored, another user, another password, or a helper's."""
    found = []
    for want in wanted:
        registry, key = want["registry"], f"login {want['registry']}"
        path = want["config_path"]  # type path: ~ is already expanded
        try:
            with open(path, "rb") as handle:
                config = json.loads(handle.read(_MAX_READ))
        except (OSError, ValueError):
            found.append((key, f"{registry}: no login stored ({path} missing or unreadable)"))
            continue
        if config.get("credsStore") or registry in (config.get("credHelpers") or {}):
            found.append((key, f"{registry}: credentials kept by a helper, not compared"))
            continue
        stored = ((config.get("auths") or {}).get(registry) or {}).get("auth") or ""
        try:
            user, _sep, secret = base64.b64decode(stored, validate=True).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            user, secret = "", ""
        if user != want["username"] or not hmac.compare_digest(secret.encode(), want["password"].encode()):
            found.append((key, f"{registry}: not logged in as {want['username']} with the wanted password"))
    return found


def account(name):
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return {"uid": entry.pw_uid, "gid": entry.pw_gid, "group": _name(grp.getgrgid, entry.pw_gid), "home": entry.pw_dir}


def read_small(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_READ + 1)
    except FileNotFoundError:
        return None
    if len(data) > _MAX_READ:
        raise ValueError(f"{path} is larger than 1 MiB")
    return data.decode("utf-8", errors="replace")


def free_space(path):
    while not os.path.exists(path) and path != os.path.dirname(path):
        path = os.path.dirname(path)
    mount = os.path.realpath(path)
    while not os.path.ismount(mount):
        mount = os.path.dirname(mount)
    st = os.statvfs(path)
    return {"mount": mount, "available_bytes": st.f_bavail * st.f_frsize}


def memory_limit(proc_self_cgroup="/proc/self/cgroup", root="/sys/fs/cgroup"):
    """The memory limit of this process's cgroup, or None when unlimited or unknown."""
    try:
        with open(proc_self_cgroup) as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    for line in lines:
        ident, controllers, path = line.split(":", 2)
        if os.path.exists(os.path.join(root, "cgroup.controllers")) and ident == "0":
            candidate = os.path.join(root + path, "memory.max")
        elif "memory" in controllers.split(","):
            candidate = os.path.join(root, "memory" + path, "memory.limit_in_bytes")
        else:
            continue
        value = read_small(candidate)
        if value is None or not value.strip().isdigit():
            return None
        limit = int(value.strip())
        # cgroup v1 writes "no limit" as a page-rounded LONG_MAX.
        return None if limit >= 1 << 62 else limit
    return None


def memory_total(meminfo="/proc/meminfo"):
    text = read_small(meminfo) or ""
    match = re.search(r"^MemTotal:\s+(\d+) kB$", text, re.M)
    return int(match.group(1)) * 1024 if match else None


# The wanted state's kinds, at the top level and in each of O(parts).
_ENTRY = {"type": "list", "elements": "dict", "default": []}
STATE_SPEC = {
    "files": dict(_ENTRY, options={"path": {"type": "path", "required": True}, "checksum": {"type": "str"},
                                   "mode": {"type": "str"}, "owner": {"type": "str"}, "group": {"type": "str"}}),
    "links": dict(_ENTRY, options={"path": {"type": "path", "required": True}, "src": {"type": "str", "required": True}}),
    "directories": dict(_ENTRY, options={"path": {"type": "path", "required": True}, "mode": {"type": "str"},
                                         "owner": {"type": "str"}, "group": {"type": "str"}}),
    "absent": {"type": "list", "elements": "path", "default": []},
    "extra": dict(_ENTRY, options={"path": {"type": "path", "required": True}, "pattern": {"type": "str", "required": True},
                                   "allowed": {"type": "list", "elements": "path", "default": []},
                                   "allowed_named_in": {"type": "path"}}),
    "trees": dict(_ENTRY, options={"path": {"type": "path", "required": True}, "record": {"type": "path", "required": True}}),
    "services": dict(_ENTRY, options={"name": {"type": "str", "required": True}, "enabled": {"type": "bool"},
                                      "active": {"type": "bool"}, "nft_table": {"type": "str"}}),
    "packages": {"type": "list", "elements": "str", "default": []},
    "groups": {"type": "list", "elements": "str", "default": []},
    "users": dict(_ENTRY, options={"name": {"type": "str", "required": True}, "group": {"type": "str"},
                                   "home": {"type": "path"}, "shell": {"type": "path"}}),
}
SECRET_SPEC = {
    "env_files": dict(_ENTRY, options={
        "path": {"type": "path", "required": True}, "settings": {"type": "dict", "default": {}},
        "secrets": {"type": "dict", "default": {}, "no_log": True},
        "mode": {"type": "str", "choices": ["merge", "replace"], "default": "merge"},
        "header": {"type": "list", "elements": "str", "default": []},
        "owner": {"type": "str"}, "group": {"type": "str"}, "group_of_owner": {"type": "bool", "default": False},
        "file_mode": {"type": "str", "default": "0600"}}),
    "registry_logins": dict(_ENTRY, options={
        "registry": {"type": "str", "required": True}, "username": {"type": "str", "required": True},
        "password": {"type": "str", "required": True, "no_log": True},
        "config_path": {"type": "path", "default": "~/.docker/config.json"}}),
}


def check_modes(module, state):
    modes = [w["mode"] for w in state["files"] + state["directories"] if w.get("mode")]
    modes += [w["file_mode"] for w in state.get("env_files", [])]
    for mode in modes:
        if not all(c in "01234567" for c in mode):
            module.fail_json(msg=f"mode {mode!r} is not an octal number such as 0644")


def compare(module, state):
    """(key, sentence) for each difference between the host and one wanted state, and the packages it misses."""
    missing = missing_packages(module, state["packages"])
    pairs = (file_differences(state["files"]) + link_differences(state["links"])
             + directory_differences(state["directories"])
             + [(path, f"{path}: still present") for path in state["absent"] if os.path.lexists(path)]
             + extra_differences(state["extra"]) + tree_differences(state["trees"])
             + service_differences(module, state["services"])
             + [(f"package {name}", f"package {name}: not installed") for name in missing]
             + account_differences(state["groups"], state["users"])
             + env_file_differences(state.get("env_files", [])) + login_differences(state.get("registry_logins", [])))
    return pairs, missing


def main():
    module = AnsibleModule(
        argument_spec={
            **STATE_SPEC,
            **SECRET_SPEC,
            "parts": {"type": "dict", "default": {}},
            "read": {"type": "list", "elements": "path", "default": []},
            "exists": {"type": "list", "elements": "path", "default": []},
            "accounts": {"type": "list", "elements": "str", "default": []},
            "free_space": {"type": "path"},
            "memory_limit": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    p = module.params
    parts = {}
    for name, part in p["parts"].items():
        if not isinstance(part, dict):
            module.fail_json(msg=f"parts.{name} is not a dictionary of the wanted state's kinds (files, links, ...)")
        checked = ArgumentSpecValidator(STATE_SPEC).validate(part)
        if checked.error_messages:
            module.fail_json(msg=f"parts.{name}: " + "; ".join(checked.error_messages))
        parts[name] = checked.validated_parameters
    for state in (p, *parts.values()):
        check_modes(module, state)

    # A file this module must read but cannot (a directory, unreadable, over 1 MiB) is not drift it can name.
    try:
        pairs, missing = compare(module, p)
        parts_differing = []
        for name, state in parts.items():
            part_pairs, part_missing = compare(module, state)
            pairs += part_pairs
            missing += [package for package in part_missing if package not in missing]
            if part_pairs:
                parts_differing.append(name)
        contents = {path: read_small(path) for path in p["read"]}
    except (OSError, ValueError) as exc:
        module.fail_json(msg=f"could not read a file on the host ({exc}); repair or remove it, then run again")
    result = {
        "changed": False,
        "differences": [text for _key, text in pairs],
        "differing": list(dict.fromkeys(key for key, _text in pairs)),
        "parts_differing": parts_differing,
        "accounts": {name: account(name) for name in p["accounts"]},
        "missing_packages": missing,
        "contents": contents,
        "exists": {path: os.path.lexists(path) for path in p["exists"]},
    }
    if p["free_space"]:
        result["free_space"] = free_space(p["free_space"])
    if p["memory_limit"]:
        result["memory_limit_bytes"] = memory_limit()
        result["memory_total_bytes"] = memory_total()
    module.exit_json(**result)


if __name__ == "__main__":
    main()
