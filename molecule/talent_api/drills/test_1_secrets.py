"""A verbose run with diffs that changes the env file and recreates the container shows no secret."""

import json
from pathlib import Path

import pytest
from lab_helpers import lab_env, lab_host, recap, run_playbook, scenario_dir

LAB = Path(lab_env("LAB_SECRETS_DIR"))


def secrets() -> dict[str, str]:
    jwt = LAB.joinpath("jwt-secret").read_text().strip()
    fallback = LAB.joinpath("fallback-api-key").read_text().strip()
    return {
        "jwt secret": jwt,
        "fallback key": fallback,
        "hand-written fallback key": fallback[::-1],
        "database password": jwt[::-1],
        "registry password": LAB.joinpath("registry-password").read_text().strip(),
    }


@pytest.mark.parametrize("temperature", ["0.5", "0.7"], ids=["change", "change-back"])
def test_verbose_diff_run_leaks_no_secret(temperature):
    result = run_playbook(scenario_dir() / "converge.yml", "-vvv", "--diff",
                          "-e", json.dumps({"talent_api_ai_temperature": temperature}))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert recap(result.stdout)["tapi-body"]["changed"] > 0
    leaked = [name for name, value in secrets().items() if value in output]
    assert leaked == []
    body = lab_host("tapi-body")
    assert f"AI_TEMPERATURE={temperature}" in body.file("/home/ubuntu/app/.env").content_string
