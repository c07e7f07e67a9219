"""host_state against real files, links and accounts in a temporary directory.

The services and packages it reads need systemd and dpkg; the molecule drift
drill (molecule/ollama_brain/drills/test_drift.py) covers them on real hosts.
"""

from __future__ import annotations

import base64
import grp
import hashlib
import json
import os
import pwd

import env_file
import host_state
import pytest
from conftest import run_module

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@pytest.fixture
def tree(tmp_path):
    (tmp_path / "etc").mkdir(mode=0o755)
    (tmp_path / "etc").chmod(0o755)
    unit = tmp_path / "etc" / "unit.service"
    unit.write_text("[Service]\n")
    unit.chmod(0o644)
    (tmp_path / "v1").mkdir()
    (tmp_path / "bin").symlink_to(tmp_path / "v1")
    return tmp_path


def wanted(tree) -> dict:
    return {
        "files": [{"path": str(tree / "etc" / "unit.service"), "checksum": sha1("[Service]\n"), "mode": "0644",
                   "owner": ME, "group": MY_GROUP}],
        "links": [{"path": str(tree / "bin"), "src": str(tree / "v1")}],
        "directories": [{"path": str(tree / "etc"), "mode": "0755", "owner": ME}],
        "absent": [str(tree / "old.conf")],
        "extra": [{"path": str(tree / "etc"), "pattern": "*.service", "allowed": [str(tree / "etc" / "unit.service")]}],
        "groups": [MY_GROUP],
        "users": [{"name": ME, "home": pwd.getpwnam(ME).pw_dir}],
    }


def test_a_host_in_place_has_no_differences(tree):
    result = run_module(host_state, wanted(tree))
    assert not result.failed, result
    assert result["differences"] == []
    assert result["changed"] is False


@pytest.mark.parametrize(("tamper", "expected"), [
    (lambda t: (t / "etc" / "unit.service").write_text("[Service]\nUser=x\n"), "unit.service: content differs"),
    (lambda t: (t / "etc" / "unit.service").chmod(0o600), "unit.service: mode is 0600, not 0644"),
    (lambda t: (t / "etc" / "unit.service").unlink(), "unit.service: missing"),
    (lambda t: ((t / "bin").unlink(), (t / "bin").symlink_to(t / "etc")), "bin: points at"),
    (lambda t: (t / "etc").chmod(0o700), "etc: mode is 0700, not 0755"),
    (lambda t: (t / "old.conf").write_text(""), "old.conf: still present"),
    (lambda t: (t / "etc" / "stale.service").write_text(""), "stale.service: no longer wanted"),
], ids=["content", "file-mode", "file-missing", "link-target", "dir-mode", "absent", "extra"])
def test_each_kind_of_drift_is_named(tree, tamper, expected):
    tamper(tree)
    result = run_module(host_state, wanted(tree))
    assert len(result["differences"]) == 1, result["differences"]
    assert expected in result["differences"][0]


def test_an_entry_named_in_a_file_may_stay_and_a_third_may_not(tmp_path):
    """The release kept for a rollback is named in a file; any other old release is no longer wanted."""
    for version in ("0.1.0", "0.2.0", "0.3.0"):
        (tmp_path / version).mkdir()
    extra = {"path": str(tmp_path), "pattern": "[0-9]*", "allowed": [str(tmp_path / "0.3.0")],
             "allowed_named_in": str(tmp_path / "previous-version")}
    result = run_module(host_state, {"extra": [extra]})
    assert [d for d in result["differences"] if "no longer wanted" in d] == [
        f"{tmp_path / '0.1.0'}: no longer wanted", f"{tmp_path / '0.2.0'}: no longer wanted"]
    (tmp_path / "previous-version").write_text("0.2.0\n")
    result = run_module(host_state, {"extra": [extra]})
    assert result["differences"] == [f"{tmp_path / '0.1.0'}: no longer wanted"]


@pytest.mark.parametrize("spoil", ["too-large", "a-directory"])
def test_a_file_naming_the_kept_entry_that_cannot_be_read_fails_naming_it(tmp_path, spoil):
    (tmp_path / "0.1.0").mkdir()
    named_in = tmp_path / "previous-version"
    if spoil == "too-large":
        named_in.write_text("0.1.0\n" + "x" * (1 << 20))
    else:
        named_in.mkdir()
    extra = {"path": str(tmp_path), "pattern": "[0-9]*", "allowed_named_in": str(named_in)}
    result = run_module(host_state, {"extra": [extra]})
    assert result.failed
    assert result["msg"].startswith("could not read a file on the host (")
    assert str(named_in) in result["msg"] and result["msg"].endswith("repair or remove it, then run again")


def test_differing_names_each_item_once(tree):
    (tree / "etc" / "unit.service").write_text("changed")
    (tree / "etc" / "unit.service").chmod(0o600)
    result = run_module(host_state, wanted(tree))
    assert len(result["differences"]) == 2
    assert result["differing"] == [str(tree / "etc" / "unit.service")]


def test_each_part_that_differs_is_named_and_its_differences_listed(tree):
    """A role skips the parts host_state does not name; a part in place must not be named."""
    state = wanted(tree)
    parts = {"install": {"links": state["links"], "groups": state["groups"]},
             "configure": {"files": state["files"], "directories": state["directories"]}}
    result = run_module(host_state, {"parts": parts})
    assert not result.failed, result
    assert (result["parts_differing"], result["differences"]) == ([], [])
    (tree / "etc" / "unit.service").chmod(0o600)
    result = run_module(host_state, {"parts": parts, "absent": state["absent"]})
    assert result["parts_differing"] == ["configure"]
    assert result["differing"] == [str(tree / "etc" / "unit.service")]
    (tree / "old.conf").write_text("")
    result = run_module(host_state, {"parts": parts, "absent": state["absent"]})
    # The top-level state belongs to no part.
    assert result["parts_differing"] == ["configure"]
    assert result["differing"] == [str(tree / "old.conf"), str(tree / "etc" / "unit.service")]


@pytest.mark.parametrize(("part", "message"), [
    # Kinds with secrets stay top-level, where their values are masked in the task's arguments.
    ({"env_files": [{"path": "/tmp/x.env", "settings": {"K": "v"}}]}, "parts.app: "),
    ({"files": [{"mode": "0644"}]}, "parts.app: "),
    ("files", "parts.app is not a dictionary"),
], ids=["secret-kind", "entry-without-path", "not-a-dict"])
def test_a_part_that_is_not_a_wanted_state_fails_naming_it(part, message):
    result = run_module(host_state, {"parts": {"app": part}})
    assert result.failed
    assert result["msg"].startswith(message), result["msg"]


def test_accounts_are_read(tree):
    result = run_module(host_state, {"accounts": [ME, "no-such-user-xyz"]})
    assert result["accounts"][ME]["home"] == pwd.getpwnam(ME).pw_dir
    assert result["accounts"][ME]["group"] == grp.getgrgid(pwd.getpwnam(ME).pw_gid).gr_name
    assert result["accounts"]["no-such-user-xyz"] is None


def test_unknown_accounts_count_as_differences(tree):
    args = dict(wanted(tree), groups=["no-such-group-xyz"], users=[{"name": "no-such-user-xyz"}])
    assert run_module(host_state, args)["differences"] == ["group no-such-group-xyz: missing",
                                                           "user no-such-user-xyz: missing"]


def test_reads_files_paths_and_free_space(tree):
    result = run_module(host_state, {"read": [str(tree / "etc" / "unit.service"), str(tree / "nope")],
                                     "exists": [str(tree / "bin"), str(tree / "nope")],
                                     "free_space": str(tree / "not" / "yet"), "memory_limit": True})
    assert result["contents"] == {str(tree / "etc" / "unit.service"): "[Service]\n", str(tree / "nope"): None}
    assert result["exists"] == {str(tree / "bin"): True, str(tree / "nope"): False}
    assert result["free_space"]["available_bytes"] > 0
    assert os.path.ismount(result["free_space"]["mount"])
    assert result["memory_limit_bytes"] is None or result["memory_limit_bytes"] > 0
    assert result["memory_total_bytes"] > 256 * 1024 * 1024


def test_a_mode_that_is_not_octal_is_refused(tree):
    args = {"files": [{"path": str(tree / "etc" / "unit.service"), "mode": "rw-r--r--"}]}
    result = run_module(host_state, args)
    assert result.failed
    assert "not an octal number" in result["msg"]


def test_runs_in_check_mode(tree):
    assert run_module(host_state, wanted(tree), check_mode=True)["differences"] == []


@pytest.mark.skipif(not os.path.exists("/usr/bin/dpkg-query"), reason="needs dpkg-query (a Debian-family host)")
def test_packages_are_read_from_dpkg():
    result = run_module(host_state, {"packages": ["dpkg", "no-such-package-xyz"]})
    assert result["missing_packages"] == ["no-such-package-xyz"]
    assert result["differences"] == ["package no-such-package-xyz: not installed"]


def docker_config(path, auths: dict, **extra) -> str:
    """A Docker client config as community.docker.docker_login writes it (base64 of user:password per registry)."""
    encoded = {registry: {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}
               for registry, (user, password) in auths.items()}
    path.write_text(json.dumps({"auths": encoded, **extra}, indent=4))
    return str(path)


WANTED_PASSWORD = "s3cret-pass"


def logins(config: str, password: str = WANTED_PASSWORD, user: str = "deploy") -> dict:
    result = run_module(host_state, {"registry_logins": [{"registry": "registry.lab:5000", "username": user,
                                                          "password": password, "config_path": config}]})
    assert password not in json.dumps(result)
    return result


def test_a_stored_login_for_the_same_user_and_password_is_in_place(tmp_path):
    config = docker_config(tmp_path / "config.json", {"registry.lab:5000": ("deploy", "s3cret-pass"),
                                                      "other:5000": ("x", "y")})
    assert logins(config)["differing"] == []


@pytest.mark.parametrize(("stored", "extra", "why"), [
    ({"registry.lab:5000": ("deploy", "old-pass")}, {}, "not logged in as deploy"),
    ({"registry.lab:5000": ("someone", "s3cret-pass")}, {}, "not logged in as deploy"),
    ({"other:5000": ("deploy", "s3cret-pass")}, {}, "not logged in as deploy"),
    ({"registry.lab:5000": ("deploy", "s3cret-pass")}, {"credsStore": "pass"}, "kept by a helper"),
    ({}, {"credHelpers": {"registry.lab:5000": "ecr-login"}}, "kept by a helper"),
])
def test_a_login_docker_login_would_write_is_a_difference(tmp_path, stored, extra, why):
    result = logins(docker_config(tmp_path / "config.json", stored, **extra))
    assert result["differing"] == ["login registry.lab:5000"]
    assert why in result["differences"][0]


def test_no_config_file_or_a_broken_one_is_a_difference(tmp_path):
    assert logins(str(tmp_path / "missing.json"))["differing"] == ["login registry.lab:5000"]
    (tmp_path / "broken.json").write_text('{"auths": {"registry.lab:5000": {"auth": "%%%"}}}')
    assert logins(str(tmp_path / "broken.json"))["differing"] == ["login registry.lab:5000"]


ENV = {"settings": {"AI_PROVIDER": "ollama", "AI_TIMEOUT": 30}, "secrets": {"DB_PASSWORD": "s3cr3t-value"}}


def env_state(path, **extra) -> dict:
    result = run_module(host_state, {"env_files": [{"path": str(path), **ENV, "owner": ME, "group": MY_GROUP, **extra}]})
    assert "s3cr3t-value" not in json.dumps(result)
    return result


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_an_env_file_as_env_file_wrote_it_is_in_place_and_any_drift_is_named(tmp_path, mode):
    path = tmp_path / ".env"
    path.write_text("# the pipeline's\nPORT=8000\nAI_PROVIDER=gemini\n")
    assert env_state(path, mode=mode)["differing"] == [str(path)]
    written = run_module(env_file, {"path": str(path), **ENV, "mode": mode, "owner": ME, "group": MY_GROUP})
    assert written["changed"] is True
    assert env_state(path, mode=mode)["differing"] == []
    assert ("PORT=8000" in path.read_text()) == (mode == "merge")

    path.write_text(path.read_text().replace("DB_PASSWORD=s3cr3t-value", "DB_PASSWORD=old"))
    assert "keys differ" in env_state(path, mode=mode)["differences"][0]
    run_module(env_file, {"path": str(path), **ENV, "mode": mode})
    path.chmod(0o644)
    assert env_state(path, mode=mode)["differences"] == [f"{path}: mode is 0644, not 0600"]
    path.unlink()
    assert env_state(path, mode=mode)["differences"] == [f"{path}: missing"]


def test_an_env_file_s_group_must_be_its_owner_s_primary_group_when_asked(tmp_path):
    """talent_api writes the env file with the deploy user's group: another group is drift, named and repaired."""
    path = tmp_path / ".env"
    written = run_module(env_file, {"path": str(path), **ENV, "owner": ME, "group": MY_GROUP})
    assert written["changed"] is True
    entry = {"path": str(path), **ENV, "owner": ME, "group_of_owner": True}
    assert run_module(host_state, {"env_files": [entry]})["differing"] == []
    other = next(g for g in grp.getgrall() if g.gr_gid != os.getgid())
    os.chown(path, -1, other.gr_gid)
    result = run_module(host_state, {"env_files": [entry]})
    assert result["differences"] == [f"{path}: group is {other.gr_name}, not {MY_GROUP}"]
    # Without the option any group passes, as before.
    assert run_module(host_state, {"env_files": [{"path": str(path), **ENV, "owner": ME}]})["differing"] == []


def release(tmp_path):
    """An unpacked tree and its record, made the way the role makes it (find's size and mtime)."""
    root = tmp_path / "0.34.2"
    (root / "bin").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "bin" / "ollama").write_text("the binary")
    (root / "lib" / "libggml.so").write_text("a library")
    (root / "lib" / "libggml.so.1").symlink_to("libggml.so")
    record = {str(p.relative_to(root)): [p.stat().st_size, p.stat().st_mtime]
              for p in root.rglob("*") if p.is_file() and not p.is_symlink()}
    (tmp_path / "record.json").write_text(json.dumps(record))
    return {"trees": [{"path": str(root), "record": str(tmp_path / "record.json")}]}, root


def test_an_unpacked_tree_as_recorded_has_no_differences(tmp_path):
    wanted_tree, _root = release(tmp_path)
    assert run_module(host_state, wanted_tree)["differences"] == []


@pytest.mark.parametrize(("tamper", "expected"), [
    (lambda r: (r / "bin" / "ollama").write_text("another binary"), "bin/ollama: changed since the release was unpacked"),
    # Same size, written later: a replaced file keeps no mtime of the release's.
    (lambda r: ((r / "bin" / "ollama").unlink(), (r / "bin" / "ollama").write_text("the binarY"),
                os.utime(r / "bin" / "ollama", (1, 1))), "bin/ollama: changed since the release was unpacked"),
    (lambda r: (r / "lib" / "libggml.so").unlink(), "lib/libggml.so: missing since the release was unpacked"),
], ids=["content", "same-size-replaced", "removed"])
def test_a_changed_release_file_is_named_under_its_tree(tmp_path, tamper, expected):
    wanted_tree, root = release(tmp_path)
    tamper(root)
    result = run_module(host_state, wanted_tree)
    assert len(result["differences"]) == 1 and expected in result["differences"][0], result["differences"]
    assert result["differing"] == [str(root)]


def test_a_tree_without_its_record_is_keyed_by_the_record(tmp_path):
    wanted_tree, _root = release(tmp_path)
    (tmp_path / "record.json").unlink()
    result = run_module(host_state, wanted_tree)
    assert result["differing"] == [str(tmp_path / "record.json")]
    (tmp_path / "record.json").write_text('{"bin/ollama": 3}')
    assert run_module(host_state, wanted_tree)["differing"] == [str(tmp_path / "record.json")]


def test_a_tree_not_unpacked_yet_is_not_compared(tmp_path):
    assert run_module(host_state, {"trees": [{"path": str(tmp_path / "none"), "record": str(tmp_path / "r")}]})[
        "differences"] == []
