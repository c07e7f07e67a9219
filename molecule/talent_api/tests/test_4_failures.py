"""Bad inputs fail before the container is touched; a broken image is rolled back."""

import json
import os

import pytest
from lab_helpers import address, lab_host, run_playbook, scenario_dir

testinfra_hosts = ["ansible://tapi-body?sudo=true"]
ENV_FILE = "/home/ubuntu/app/.env"
IMAGE = os.environ["LAB_BACKEND_IMAGE"]


def state(host) -> dict:
    info = json.loads(host.check_output("docker inspect talent-api"))[0]
    return {"id": info["Id"], "running": info["State"]["Running"], "image": info["Config"]["Image"],
            "env": host.file(ENV_FILE).md5sum, "mode": host.file(ENV_FILE).mode}


def converge(extra: dict):
    result = run_playbook(scenario_dir() / "converge.yml", "-e", json.dumps(extra))
    return result, " ".join((result.stdout + result.stderr).split())


@pytest.mark.parametrize(("extra", "message"), [
    ({"talent_api_image": IMAGE + ":no-such-tag"},
     f"Cannot pull {IMAGE}:no-such-tag"),
    ({"talent_api_registry_password": "wrong-password"},
     "Logging in to registry.lab:5000 as lab-deployer failed"),
    ({"talent_api_image": "registry.lab:5000/amiqt/prototype backend"},
     "talent_api inputs are invalid"),
    ({"talent_api_ai_base_url": "http://{brain}:11999"},
     "The brain at http://{brain}:11999 did not answer from tapi-body"),
    ({"talent_api_ai_model_name": "gemma3:1b"},
     "answers but does not have gemma3:1b (it has: gemma3:4b)"),
], ids=["bad-tag", "wrong-registry-password", "malformed-image", "brain-unreachable", "model-missing"])
def test_refused_before_touching_the_container(host, extra, message):
    brain = address(lab_host("tapi-brain"))
    extra = {k: v.format(brain=brain) for k, v in extra.items()}
    before = state(host)
    result, output = converge(extra)
    assert result.returncode != 0, output[-2000:]
    assert message.format(brain=brain) in output, output[-2000:]
    assert state(host) == before


def test_broken_image_is_rolled_back(host):
    before = state(host)
    result, output = converge({"talent_api_image": IMAGE + ":broken", "talent_api_health_timeout": 10})
    assert result.returncode != 0, output[-2000:]
    assert f"The new talent-api container from {IMAGE}:broken did not report healthy" in output, output[-2000:]
    assert "the previous container is running again (healthy: True)" in output, output[-2000:]
    after = state(host)
    assert after == before
    assert json.loads(host.check_output("curl -fsS http://127.0.0.1:8000/health")) == {"status": "healthy"}
    failed = json.loads(host.check_output("docker inspect talent-api-failed"))[0]
    assert failed["State"]["Running"] is False
    assert failed["Config"]["Image"] == IMAGE + ":broken"


def test_next_good_run_changes_nothing_and_keeps_serving(host):
    result, output = converge({})
    assert result.returncode == 0, output[-2000:]
    assert "tapi-body : ok=" in output and "changed=0" in output.split("tapi-body : ok=")[1][:40], output[-2000:]
