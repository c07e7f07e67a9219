"""playbooks/verify.yml on the converged pair: a green report, no token in the output, a red one when the brain is cold."""

import contextlib
import json
import shlex
import sys
from pathlib import Path

from lab_helpers import PROJECT, address, json_post, lab_env, lab_host, run_playbook, wait_admitted

sys.path.insert(0, str(PROJECT / "tests" / "backend_double"))
from talent_api_double import auth

LAB = Path(lab_env("LAB_SECRETS_DIR"))
REPORT = PROJECT / "reports" / "verify-tapi-body.json"
HEALTH_CONFIG = "/etc/ollama/health.json"


def verify(*args: str):
    token = auth.mint(LAB.joinpath("jwt-secret").read_text().strip())
    result = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e", json.dumps({"stack_verify_api_token": token}), *args)
    return token, result, " ".join((result.stdout + result.stderr).split())


def test_verify_report_is_green_and_never_prints_the_token():
    token, result, output = verify("-v")
    assert result.returncode == 0, output[-3000:]
    assert token not in output
    checks = json.loads(REPORT.read_text())["checks"]
    status = {check["name"]: check["status"] for check in checks}
    assert "FAIL" not in status.values(), checks
    assert status["AI endpoint answered by ollama"] == "OK"
    assert status["backend container runs with the brain settings"] == "OK"
    # Asked for a cloud model as a client would, the brain refuses it (OLLAMA_NO_CLOUD).
    assert status["brain refuses cloud models (prompts stay on the brain)"] == "OK", checks
    # This scenario has no outsider and no tunnel: those checks say so instead of passing.
    skipped = {check["name"]: check["value"] for check in checks if check["status"] == "SKIP"}
    assert set(skipped) == {"brain unreachable from outsiders", "tunnel process runs", "tunnel answers /health"}, checks
    assert all(reason.startswith("not checked: ") for reason in skipped.values()), skipped
    assert "OK backend /health is healthy" in output


@contextlib.contextmanager
def no_canary_meanwhile(brain, url: str):
    """The brain's health agent sends a canary every 30 s, and a canary loads the model it finds unloaded: restarted
    with an interval of an hour, the agent sends one canary at its start and none while the brain has to stay cold.
    Its configuration is put back as it was (the role's file, byte for byte) and the agent restarted."""
    original = brain.file(HEALTH_CONFIG).content_string
    config = json.loads(original)

    def agent_with(content: str):
        assert brain.run(f"printf %s {shlex.quote(content)} > {HEALTH_CONFIG}").rc == 0
        assert brain.run("systemctl restart ollama-health.service").rc == 0
        assert wait_admitted(brain, url, 30) is not None, "the front door did not admit the brain within 30 s"

    agent_with(json.dumps({**config, "interval": 3600}))
    try:
        yield
    finally:
        agent_with(original)


def test_verify_fails_when_the_brain_went_cold():
    brain = lab_host("tapi-brain")
    url = f"http://{address(brain)}:11434"
    # Unload the model behind the service's back: the next request pays a load.
    with no_canary_meanwhile(brain, url):
        # A refusal here (once in CI) is named by json_post: which of the front door's answers it was.
        json_post(brain, f"{url}/api/generate", {"model": "gemma3:4b", "keep_alive": 0})
        try:
            # The lab's double loads gemma3:4b in ~17 ms (its fast profile); a warm request reports 0.
            _, result, output = verify("-e", "stack_verify_requests=1", "-e", "stack_verify_slo_load_seconds=0.005")
            assert result.returncode != 0, output[-3000:]
            assert "Verification failed: no cold load" in output, output[-3000:]
        finally:
            brain.run("systemctl restart ollama-warmup.service")
