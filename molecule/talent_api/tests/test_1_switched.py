"""The hand-built body, switched to the brain by one converge: container, env file, answers."""

import json
import sys
from pathlib import Path

from lab_helpers import PROJECT, address, lab_env, lab_host

sys.path.insert(0, str(PROJECT / "tests" / "backend_double"))
from talent_api_double import auth

testinfra_hosts = ["ansible://tapi-body?sudo=true"]
ENV_FILE = "/home/ubuntu/app/.env"
LAB = Path(lab_env("LAB_SECRETS_DIR"))


def inspect(host, name="talent-api") -> dict:
    result = host.run(f"docker inspect {name}")
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)[0]


def env_lines(host) -> list[str]:
    return host.file(ENV_FILE).content_string.splitlines()


def ask(host, command: str) -> dict:
    token = auth.mint(LAB.joinpath("jwt-secret").read_text().strip())
    body = json.dumps({"command": command})
    result = host.run(f"curl -sS --max-time 90 -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' "
                      f"-d '{body}' http://127.0.0.1:8000/api/ai/v3/command")
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def test_container_keeps_the_pipelines_contract(host):
    info = inspect(host)
    assert info["State"]["Running"] is True
    assert info["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert info["HostConfig"]["PortBindings"]["8000/tcp"][0]["HostPort"] == "8000"
    assert info["Config"]["Image"] == lab_env("LAB_BACKEND_IMAGE") + ":latest"


def test_env_file_is_private_to_the_deploy_user(host):
    f = host.file(ENV_FILE)
    assert (f.user, f.group, f.mode) == ("ubuntu", "ubuntu", 0o600)


def test_env_file_has_the_ai_keys_for_the_brain(host):
    brain = address(lab_host("tapi-brain"))
    lines = env_lines(host)
    for expected in ("AI_PROVIDER=ollama", f"AI_BASE_URL=http://{brain}:11434", "AI_MODEL_NAME=gemma3:4b",
                     "AI_TEMPERATURE=0.7", "AI_TIMEOUT=30", f"GEMINI_BASE_URL=http://{brain}:8090"):
        assert lines.count(expected) == 1, (expected, lines)
    assert sum(line.startswith("AI_PROVIDER=") for line in lines) == 1


def test_other_lines_comments_and_order_survive(host):
    lines = env_lines(host)
    kept = ["# talent-api production settings", "SUPABASE_URL=https://example.supabase.co", "",
            "# AI provider (Gemini until the brain is ready)"]
    assert lines[:2] == kept[:2]
    assert lines[3:5] == kept[2:]
    assert lines[2] == "SUPABASE_JWT_SECRET=" + LAB.joinpath("jwt-secret").read_text().strip()
    # AI_PROVIDER was changed where it stood, not appended.
    assert lines[5] == "AI_PROVIDER=ollama"
    assert any(line.startswith("DATABASE_PASSWORD=db-") for line in lines)
    assert "LOG_LEVEL=info" in lines


def test_container_runs_with_the_env_file(host):
    env = inspect(host)["Config"]["Env"]
    assert "AI_PROVIDER=ollama" in env
    assert any(e.startswith("SUPABASE_JWT_SECRET=") for e in env)


def test_health_is_healthy(host):
    assert json.loads(host.check_output("curl -fsS http://127.0.0.1:8000/health")) == {"status": "healthy"}


def test_ai_endpoint_is_answered_by_the_brain(host):
    answer = ask(host, "Say hello in five words.")
    assert answer["success"] is True, answer
    assert answer["source"] == "ollama", answer
    assert answer["message"]
