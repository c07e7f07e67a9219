"""Bad inputs fail before the container is touched; a broken image is rolled back."""

import json

import pytest
from lab_helpers import address, lab_env, lab_host, recap, run_playbook, scenario_dir

testinfra_hosts = ["ansible://tapi-body?sudo=true"]
ENV_FILE = "/home/ubuntu/app/.env"
IMAGE = lab_env("LAB_BACKEND_IMAGE")


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
     "talent_api_image is 'registry.lab:5000/amiqt/prototype backend', which is not an image reference with a tag or "
     "digest; write registry/name:tag"),
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


def test_every_bad_input_is_named_in_one_refusal(host):
    before = state(host)
    result, output = converge({
        "talent_api_env_file": "app/.env", "talent_api_ai_timeout": -1, "talent_api_ai_temperature": -0.5,
        # 70000 read from the right is a host port out of range, not an address.
        "talent_api_published_ports": ["70000:8000"], "talent_api_health_timeout": 0,
        "talent_api_ai_model_name": "../../etc/passwd", "talent_api_env": {"BAD-NAME": "x"},
        # A key the role derives: the backend would switch provider silently.
        "talent_api_secret_env": {"AI_PROVIDER": "gemini"},
    })
    assert result.returncode != 0, output[-2000:]
    for sentence in [
        "talent_api_env_file is 'app/.env', which is not an absolute path; write one that starts with /, "
        "such as /home/ubuntu/app/.env.",
        "talent_api_ai_timeout is -1, which is not a number above 0; write 30, the backend's default.",
        "talent_api_ai_temperature is -0.5, which is not a number at least 0; write 0.7, the backend's default.",
        "talent_api_published_ports holds '70000:8000', which is not a port mapping;",
        "talent_api_health_timeout is 0, which is not a whole number of at least 1; write 60.",
        "talent_api_ai_model_name holds '../../etc/passwd', which is not a model reference;",
        "talent_api_env has 'BAD-NAME', which is not an environment name;",
        "talent_api_secret_env sets AI_PROVIDER, which this role sets itself; use talent_api_ai_provider instead.",
    ]:
        assert sentence in output, sentence
    assert state(host) == before
    assert not host.file("/app/.env").exists


def test_a_temperature_above_two_is_allowed_with_a_warning(host):
    before = state(host)
    result = run_playbook(scenario_dir() / "converge.yml", "--check", "-e", json.dumps({"talent_api_ai_temperature": 3}))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 0, output[-2000:]
    assert ("WARNING: talent_api_ai_temperature is 3, above 2: Gemma answers become erratic above 2, "
            "and the backend defaults to 0.7.") in output, output[-2000:]
    assert state(host) == before


def test_an_env_line_docker_cannot_read_is_named_and_nothing_is_touched(host):
    # `docker run --env-file` passes a bare name through from its own environment;
    # community.docker refuses it. The refusal must say so, with no value shown.
    host.check_output(f"printf 'FEATURE_FLAG\\nLOG_TOKEN=s3cr3t-value\\n' >> {ENV_FILE}")
    try:
        before = state(host)
        result, output = converge({})
        assert result.returncode != 0, output[-2000:]
        assert "Docker on tapi-body could not compare talent-api with what it should be" in output, output[-2000:]
        assert f"Invalid line in environment file {ENV_FILE}: FEATURE_FLAG" in output, output[-2000:]
        assert "The running container was not touched." in output, output[-2000:]
        assert "s3cr3t-value" not in output
        assert state(host) == before
    finally:
        host.check_output(f"sed -i '/^FEATURE_FLAG$/d; /^LOG_TOKEN=/d' {ENV_FILE}")


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
    assert recap(result.stdout)["tapi-body"]["changed"] == 0, output[-2000:]
