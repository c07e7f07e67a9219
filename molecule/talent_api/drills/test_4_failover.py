"""playbooks/failover_drill.yml: the backend falls back when the brain stops, and the brain always comes back."""

import json
import sys
from pathlib import Path

from lab_helpers import PROJECT, address, json_get, lab_env, lab_host, run_playbook

sys.path.insert(0, str(PROJECT / "tests" / "backend_double"))
from talent_api_double import auth

LAB = Path(lab_env("LAB_SECRETS_DIR"))
DRILL = PROJECT / "playbooks" / "failover_drill.yml"


def drill(*args: str):
    token = auth.mint(LAB.joinpath("jwt-secret").read_text().strip())
    result = run_playbook(DRILL, "-e", json.dumps({"stack_verify_api_token": token}), *args)
    return token, result, " ".join((result.stdout + result.stderr).split())


def assert_brain_is_back():
    brain = lab_host("tapi-brain")
    assert brain.service("ollama").is_running
    loaded = json_get(brain, f"http://{address(brain)}:11434/api/ps")["models"]
    assert [m["name"] for m in loaded] == ["gemma3:4b"]


def test_drill_falls_back_and_returns_to_the_brain():
    token, result, output = drill("-v")
    assert result.returncode == 0, output[-3000:]
    assert token not in output
    assert "While the brain is down: answered by gemini" in output
    assert "After the restore: answered by ollama" in output
    assert_brain_is_back()


def test_failed_drill_still_restores_the_brain():
    # The fallback check cannot pass: the drill fails while the brain is down.
    _, result, output = drill("-e", "stack_verify_fallback_source=nobody")
    assert result.returncode != 0
    assert "While the brain is down, the AI request should be answered by nobody but got HTTP 200 from gemini" in output
    assert "Start Ollama on the brain again" in output
    assert_brain_is_back()


def test_drill_refuses_outside_the_lab_without_confirmation():
    _, result, output = drill("-e", "ai_stack_lab=false")
    assert result.returncode != 0
    assert "rerun with -e stack_verify_failover_confirm=true" in output
    assert "Stop Ollama on the brain" not in output
    assert lab_host("tapi-brain").service("ollama").is_running
