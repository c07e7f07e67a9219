"""The input checks every role's preflight runs (filter_plugins/ai_stack.py): one case per input class."""

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "ai_stack_filters", Path(__file__).resolve().parents[2] / "filter_plugins" / "ai_stack.py")
ai_stack = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ai_stack)


def problems(**spec):
    return ai_stack.ai_stack_input_problems([{"var": "v", **spec}])


@pytest.mark.parametrize(("value", "seconds"), [
    ("-1", -1), (-1, -1), ("0", 0), (0, 0), ("5m", 300), ("24h", 86400), ("300", 300), ("1h30m", 5400),
    ("1.5h", 5400), ("-1s", -1), ("500ms", 0.5),
])
def test_durations_ollama_reads(value, seconds):
    assert ai_stack.ollama_duration_seconds(value) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["forever", "", "5 m", "1.5", "24hours", "m5", True, "1d"])
def test_durations_ollama_cannot_read(value):
    assert ai_stack.ollama_duration_seconds(value) is None
    [sentence] = problems(value=value, kind="ollama_duration")
    assert sentence.startswith(f"v is {value!r}") and "write -1" in sentence


@pytest.mark.parametrize(("value", "ok"), [(1, True), (65535, True), ("11434", True), (0, False), (70000, False),
                                           ("http", False), (True, False), (-1, False),
                                           # Accepted as 11434 by a type check, but written into the drop-in as given.
                                           ("11434 ", False), (" 11434", False), ("+11434", False), ("011434", False)])
def test_ports(value, ok):
    assert (problems(value=value, kind="port") == []) is ok


@pytest.mark.parametrize(("value", "ok"), [
    ("/opt/app/.env", True), ("/", False), ("app/.env", False), ("../x", False), ("/opt/../etc", True), ("", False)])
def test_absolute_paths(value, ok):
    assert (problems(value=value, kind="abs_path") == []) is ok


def test_optional_path_may_be_empty():
    assert problems(value="", kind="optional_abs_path") == []
    assert problems(value="app/.env", kind="optional_abs_path") != []


@pytest.mark.parametrize(("value", "ok"), [
    ("10.0.1.5", True), ("127.0.0.1", True), ("0.0.0.0", True), ("::1", True), ("[::]", True),
    ("10.0.9.9", False), ("brain.internal", False), ("", False), ("10.0.1.5:11434", False)])
def test_listen_addresses_must_be_ip_literals_of_this_host(value, ok):
    assert (problems(value=value, kind="ip_on_host", addresses=["10.0.1.5", "fe80::1"]) == []) is ok


def test_a_host_name_is_refused_naming_the_variable_and_the_fix():
    [sentence] = ai_stack.ai_stack_input_problems(
        [{"var": "ollama_brain_listen_address", "value": "brain.internal", "kind": "ip_on_host", "addresses": ["10.0.1.5"]}])
    assert sentence == ("ollama_brain_listen_address is 'brain.internal', which is not an IP address; write one of this "
                        "host's addresses (10.0.1.5) or 127.0.0.1, not a host name.")


@pytest.mark.parametrize(("value", "ok"), [(30, True), (0.5, True), ("30", True), (0, False), (-1, False), ("x", False),
                                           (float("inf"), False)])
def test_timeouts_must_be_above_zero(value, ok):
    assert (problems(value=value, kind="number", above=0) == []) is ok


def test_temperature_above_two_warns_and_negative_is_refused():
    spec = {"var": "ai_temperature", "kind": "number", "min": 0, "warn_above": 2}
    assert ai_stack.ai_stack_input_problems([{**spec, "value": 3}]) == []
    assert ai_stack.ai_stack_input_warnings([{**spec, "value": 3}]) != []
    assert ai_stack.ai_stack_input_warnings([{**spec, "value": 0.7}]) == []
    assert ai_stack.ai_stack_input_problems([{**spec, "value": -0.1}]) != []


@pytest.mark.parametrize("cidrs", [
    ["0.0.0.0/0"], ["0.0.0.0/1", "128.0.0.0/1"], ["::/0"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"],
    ["::/1", "8000::/1"], ["10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1"],
])
def test_cidrs_that_add_up_to_the_world(cidrs):
    assert ai_stack.cidr_union(cidrs)["world"]
    assert problems(value=cidrs, kind="addresses") != []
    assert problems(value=cidrs, kind="addresses", allow_world=True) == []


def test_cidr_union_counts_overlaps_once():
    union = ai_stack.cidr_union(["10.0.0.0/16", "10.0.1.0/24", "10.0.1.7"])
    assert union == {"invalid": [], "v4": 65536, "v6": 0, "world": []}
    assert ai_stack.cidr_union(["10.0.0.0/33", "x"])["invalid"] == ["10.0.0.0/33", "x"]


@pytest.mark.parametrize(("names", "ok"), [
    (["gemma3:4b"], True), (["gemma3"], True), (["library/gemma3:4b"], True), (["hf.co/user/model:q4"], True),
    (["registry.ollama.ai/library/gemma3:4b"], True), (["../../etc/passwd"], False), ([""], False),
    (["gemma3:4b b"], False), (["a/b/c/d:1"], False),
])
def test_model_references(names, ok):
    assert (problems(value=names, kind="models") == []) is ok


def test_an_empty_model_list_is_refused_when_models_are_required():
    [sentence] = problems(value=[], kind="models", non_empty=True)
    assert sentence == "v is empty; list at least one model, such as gemma3:4b."


@pytest.mark.parametrize(("value", "ok"), [
    ("registry.example.com:5000/team/app:1.2.3", True), ("ghcr.io/amiqt/prototype-backend:latest", True),
    ("app@sha256:" + "a" * 64, True), ("app", False), ("Team/App:1", False), ("app:", False), ("app:bad tag", False)])
def test_image_references(value, ok):
    assert (problems(value=value, kind="image") == []) is ok


def test_environment_names_values_and_the_role_s_own_settings():
    reserved = {"OLLAMA_HOST": "ollama_brain_listen_address"}
    assert problems(value={"OLLAMA_ORIGINS": "x"}, kind="env", reserved=reserved) == []
    assert "use ollama_brain_listen_address instead" in problems(value={"OLLAMA_HOST": "x"}, kind="env", reserved=reserved)[0]
    assert problems(value={"BAD-NAME": "x"}, kind="env") != []
    assert problems(value={"A": "two\nlines"}, kind="env") != []


@pytest.mark.parametrize(("value", "ok"), [
    ("https://registry.ollama.ai", True), ("http://10.0.1.5:11434", True), ("http://[::1]:8080/x", True),
    ("registry.ollama.ai", False), ("ftp://x", False), ("http://x:99999", False), ("http://a b", False),
    # The port rule every port input follows.
    ("http://x:0", False), ("http://x:011434", False), ("http://x:65535", True)])
def test_urls(value, ok):
    assert (problems(value=value, kind="url") == []) is ok


def test_integer_ranges_name_the_span():
    assert problems(value=0, kind="int", min=1, hint="write 300") == [
        "v is 0, which is not a whole number of at least 1; write 300."]
    assert problems(value=5, kind="int", min=1, max=4) != []
    assert problems(value="3", kind="int", min=1, max=4) == []


def test_an_unknown_kind_is_a_bug_not_a_pass():
    with pytest.raises(ValueError):
        problems(value=1, kind="nonsense")


@pytest.mark.parametrize(("kind", "value", "ok"), [
    ("registry", "ghcr.io", True), ("registry", "10.0.1.9:5000", True), ("registry", "http://x", False),
    ("registry", "x:70000", False), ("registry", "x:0", False), ("registry", "x:05000", False),
    ("host_port", "127.0.0.1:8125", True), ("host_port", "[::1]:8125", True), ("host_port", "statsd.lab:8125", True),
    ("host_port", "127.0.0.1:99999", False), ("host_port", "127.0.0.1:0", False), ("host_port", "127.0.0.1", False),
    ("host_port", ":8125", False), ("host_port", "a b:8125", False), ("host_port", "", False),
    ("container_name", "talent-api", True), ("container_name", "-x", False), ("container_name", "a b", False),
    ("published_ports", ["8000:8000"], True), ("published_ports", ["127.0.0.1:8000:8000/tcp", "9000"], True),
    ("published_ports", ["8000:80000"], False), ("published_ports", ["eighty"], False),
    # Read from the right: 70000 is a host port out of range, not an address.
    ("published_ports", ["70000:8000"], False), ("published_ports", ["[::1]:8000:8000"], True),
    ("published_ports", ["10.0.0.300:8000:8000"], False), ("published_ports", ["8000:8000/sctp"], False),
    ("published_ports", ["1:2:3:4"], False), ("published_ports", ["08000:8000"], False),
])
def test_docker_inputs(kind, value, ok):
    assert (problems(value=value, kind=kind) == []) is ok


def test_an_optional_host_port_may_be_empty():
    assert problems(value="", kind="host_port", optional=True) == []


def test_patterns_may_be_optional():
    spec = {"kind": "pattern", "regex": r"i-[0-9a-f]{8,17}", "what": "an instance id", "example": "i-0abc12345"}
    assert problems(value="i-0123abcd", **spec) == []
    assert problems(value="", **spec) == ["v is '', which is not an instance id; write one such as i-0abc12345."]
    assert problems(value="", optional=True, **spec) == []


def test_lists_of_absolute_paths():
    assert problems(value=["/", "/var/lib"], kind="abs_paths") == []
    assert problems(value=["/", "var"], kind="abs_paths") == [
        "v holds 'var', which is not an absolute path; write paths that start with /, such as /."]


def test_text_inputs_and_secrets_stay_hidden():
    assert problems(value="", kind="text") == ["v is empty; write a value."]
    assert problems(value="", kind="text", optional=True) == []
    [sentence] = problems(value="pass\nword", kind="text", secret=True)
    assert "pass" not in sentence and sentence.startswith("v (value hidden), which spans several lines")
    assert problems(value="-----BEGIN\nX", kind="text", one_line=False) == []
    assert problems(value=["ollama serve"], kind="texts", non_empty=True) == []
    assert problems(value=[], kind="texts", non_empty=True) != []
    assert problems(value={"a": 1}, kind="mapping") == []
    assert problems(value="a=1", kind="mapping") != []


def test_numbers_with_spaces_around_are_refused_not_trimmed():
    assert problems(value=" 0.7", kind="number", min=0) != []
    assert problems(value="0.7", kind="number", min=0) == []
    assert ai_stack.ollama_duration_seconds("24h ") is None


@pytest.mark.parametrize("flag", [False, "false", "no", "False", 0])
def test_a_world_cidr_is_refused_when_the_opt_in_is_false_in_any_spelling(flag):
    # -e aws_stack_allow_world_ollama=false gives the string "false".
    assert problems(value=["0.0.0.0/0"], kind="addresses", allow_world=flag) != []


@pytest.mark.parametrize("flag", [True, "true", "yes"])
def test_a_world_cidr_is_allowed_when_opted_in(flag):
    assert problems(value=["0.0.0.0/0"], kind="addresses", allow_world=flag) == []


def test_the_published_port_is_parsed_as_docker_reads_it():
    assert ai_stack.published_port("127.0.0.1:8080:8000/udp") == {"ip": "127.0.0.1", "host": 8080, "container": 8000,
                                                                   "proto": "udp"}
    assert ai_stack.published_port("8000") == {"ip": "", "host": None, "container": 8000, "proto": "tcp"}


@pytest.mark.parametrize("name", ["gpt-oss:120b-cloud", "minimax-m2.7:cloud", "library/deepseek-v3.1:671b-cloud"])
def test_cloud_models_are_refused_unless_allowed(name):
    [sentence] = problems(value=[name], kind="models", allow_cloud="false", allow_var="ollama_brain_allow_cloud_models")
    assert sentence == (f"v holds {name!r}, which runs on ollama.com, so prompts would leave the brain; list models "
                        "that run on the brain, or set ollama_brain_allow_cloud_models: true to accept that.")
    assert problems(value=[name], kind="models", allow_cloud=True) == []
    assert problems(value=["gemma3:4b", "cloudy:latest", "x:cloudless"], kind="models") == []


def test_warm_models_must_be_among_those_pulled_or_derived():
    spec = {"kind": "models", "within": ["gemma3:4b", "gemma3-short"], "within_var": "ollama_brain_models"}
    assert problems(value=["gemma3:4b", "gemma3-short:latest"], **spec) == []
    [sentence] = problems(value=["llama3:70b", "gemma3:4b"], **spec)
    assert sentence == ("v holds 'llama3:70b', which ollama_brain_models does not list, so it would never be pulled; "
                        "add it to ollama_brain_models or remove it from v.")


def test_the_body_s_own_keys_cannot_be_set_through_its_free_form_env():
    reserved = {"AI_PROVIDER": "talent_api_ai_provider"}
    [sentence] = problems(value={"AI_PROVIDER": "gemini", "LOG_LEVEL": "info"}, kind="env", reserved=reserved)
    assert sentence == "v sets AI_PROVIDER, which this role sets itself; use talent_api_ai_provider instead."


def test_a_value_two_roles_must_share_names_each_host_that_differs():
    spec = {"kind": "same_as", "as_int": True, "hint": "set ai_ollama_port"}
    assert problems(value="11434", others={"ollama_brain_port": {"brain-1": 11434, "brain-2": "11434"}}, **spec) == []
    [sentence] = problems(value=11434, others={"ollama_brain_port": {"brain-1": 11434, "brain-2": 8080}}, **spec)
    assert sentence == "v is 11434, but ollama_brain_port is 8080 on brain-2; set ai_ollama_port."


@pytest.mark.parametrize(("spec", "ok"), [
    ({"value": 11435, "others": {"ollama_brain_port": 11434, "ollama_brain_health_port": "11436"}}, True),
    ({"value": "11434", "others": {"ollama_brain_port": 11434}}, False),
])
def test_ports_that_must_differ_on_one_host(spec, ok):
    found = problems(kind="distinct", hint="give each its own port", **spec)
    assert (found == []) is ok
    if not ok:
        assert found == ["v is '11434', as ollama_brain_port is; give each its own port."]


@pytest.mark.parametrize(("value", "ok"), [
    (["/api/chat", "/v1/chat/completions"], True), ({"GET": ["/", "/api/tags"], "POST": ["/api/show"]}, True),
    (["/api/chat x"], False), (["api/chat"], False), (["/api/chat?x=1"], False), ({"PATCH": ["/api/tags"]}, False),
])
def test_front_door_paths_are_plain_paths_and_known_methods(value, ok):
    assert (problems(value=value, kind="url_paths", methods=["GET", "HEAD", "POST"]) == []) is ok
