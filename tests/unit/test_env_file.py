"""env_file on real files in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import env_file
from conftest import run_module

PIPELINE_FILE = """# talent-api production settings
SUPABASE_URL=https://db.example
export AI_PROVIDER=gemini
GEMINI_API_KEY=old-key

LOG_LEVEL=info
AI_PROVIDER=gemini
"""


def test_merge_replaces_the_last_definition_keeps_the_rest_and_appends_new_keys(tmp_path):
    path = tmp_path / ".env"
    path.write_text(PIPELINE_FILE)
    result = run_module(env_file, {"path": str(path), "settings": {"AI_PROVIDER": "ollama", "AI_TIMEOUT": 30},
                                   "secrets": {"GEMINI_API_KEY": "new-key"}})
    assert result["changed"] is True
    assert result["keys_changed"] == ["AI_PROVIDER", "AI_TIMEOUT", "GEMINI_API_KEY"]
    assert path.read_text() == PIPELINE_FILE.replace("GEMINI_API_KEY=old-key", "GEMINI_API_KEY=new-key").replace(
        "LOG_LEVEL=info\nAI_PROVIDER=gemini\n", "LOG_LEVEL=info\nAI_PROVIDER=ollama\nAI_TIMEOUT=30\n")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again = run_module(env_file, {"path": str(path), "settings": {"AI_PROVIDER": "ollama", "AI_TIMEOUT": 30},
                                  "secrets": {"GEMINI_API_KEY": "new-key"}})
    assert again["changed"] is False
    assert again["keys_changed"] == []


def test_secret_values_never_come_back(tmp_path):
    path = tmp_path / ".env"
    result = run_module(env_file, {"path": str(path), "secrets": {"DB_PASSWORD": "s3cr3t-value"}})
    assert "s3cr3t-value" not in json.dumps(result)
    assert path.read_text() == "DB_PASSWORD=s3cr3t-value\n"


def test_replace_writes_header_and_sorted_keys_only(tmp_path):
    path = tmp_path / ".env"
    path.write_text(PIPELINE_FILE)
    run_module(env_file, {"path": str(path), "mode": "replace", "header": ["Ansible managed"],
                          "settings": {"B": "2", "A": "1"}})
    assert path.read_text() == "# Ansible managed\nA=1\nB=2\n"


def test_backup_keeps_the_old_file_aside(tmp_path):
    path = tmp_path / ".env"
    path.write_text(PIPELINE_FILE)
    result = run_module(env_file, {"path": str(path), "settings": {"AI_PROVIDER": "ollama"}, "backup": True})
    assert Path(result["backup_file"]).read_text() == PIPELINE_FILE
    unchanged = run_module(env_file, {"path": str(path), "settings": {"AI_PROVIDER": "ollama"}, "backup": True})
    assert "backup_file" not in unchanged


def test_check_mode_changes_nothing(tmp_path):
    path = tmp_path / ".env"
    path.write_text(PIPELINE_FILE)
    result = run_module(env_file, {"path": str(path), "settings": {"AI_PROVIDER": "ollama"}}, check_mode=True)
    assert result["changed"] is True
    assert path.read_text() == PIPELINE_FILE
    missing = run_module(env_file, {"path": str(tmp_path / "app" / ".env"), "settings": {"A": "1"},
                                    "directory_mode": "0750"}, check_mode=True)
    assert missing["changed"] is True
    assert not (tmp_path / "app").exists()


def test_a_missing_directory_is_created_only_when_asked(tmp_path):
    path = tmp_path / "app" / ".env"
    refused = run_module(env_file, {"path": str(path), "settings": {"A": "1"}})
    assert refused.failed
    assert "does not exist" in refused["msg"]
    run_module(env_file, {"path": str(path), "settings": {"A": "1"}, "directory_mode": "0750"})
    assert oct((tmp_path / "app").stat().st_mode & 0o777) == "0o750"
    assert path.read_text() == "A=1\n"


def test_keys_and_values_that_would_break_the_file_are_refused(tmp_path):
    result = run_module(env_file, {"path": str(tmp_path / ".env"), "settings": {"BAD KEY": "x"},
                                   "secrets": {"TOKEN": "line1\nline2"}})
    assert result.failed
    assert "BAD KEY, TOKEN" in result["msg"]
    assert "line1" not in json.dumps(result)
