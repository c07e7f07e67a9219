"""One reading of a model reference: module_utils, the filter and the roles give the same name for every form."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ansible.module_utils.ollama_api import normalize_model_name, parse_model_ref

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("ai_stack_filters_refs", ROOT / "filter_plugins" / "ai_stack.py")
filters = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(filters)

# reference -> (name as /api/tags lists it, registry host, repository, tag)
ACCEPTED = {
    "gemma3": ("gemma3:latest", "registry.ollama.ai", "library/gemma3", "latest"),
    "gemma3:4b": ("gemma3:4b", "registry.ollama.ai", "library/gemma3", "4b"),
    "Gemma3:4B": ("gemma3:4b", "registry.ollama.ai", "library/gemma3", "4b"),
    "library/gemma3:4b": ("gemma3:4b", "registry.ollama.ai", "library/gemma3", "4b"),
    "library/gemma3": ("gemma3:latest", "registry.ollama.ai", "library/gemma3", "latest"),
    "registry.ollama.ai/library/gemma3:4b": ("gemma3:4b", "registry.ollama.ai", "library/gemma3", "4b"),
    "myteam/brain:v1": ("myteam/brain:v1", "registry.ollama.ai", "myteam/brain", "v1"),
    "hf.co/user/model:q4": ("hf.co/user/model:q4", "hf.co", "user/model", "q4"),
    "gemma3-8k:4b": ("gemma3-8k:4b", "registry.ollama.ai", "library/gemma3-8k", "4b"),
}
REFUSED = ["", "bad name", "a/b/c/d", ":4b", "gemma3:", "../../etc/passwd", "gemma3:4b b", "/gemma3"]


@pytest.mark.parametrize("ref", ACCEPTED)
def test_module_utils_and_filter_agree(ref):
    name, host, repository, tag = ACCEPTED[ref]
    expected = {"name": name, "host": host, "repository": repository, "tag": tag,
                "manifest": f"manifests/{host}/{repository}/{tag}"}
    assert parse_model_ref(ref) == expected
    assert normalize_model_name(ref) == name
    assert filters.ollama_model_ref(ref) == expected
    assert filters.model_name_problem(ref) == ""


@pytest.mark.parametrize("ref", REFUSED)
def test_module_utils_and_filter_refuse_alike(ref):
    with pytest.raises(ValueError, match="not a valid Ollama model name"):
        parse_model_ref(ref)
    assert "not a valid Ollama model name" in filters.model_name_problem(ref)


def test_the_roles_read_names_through_the_same_filter(tmp_path):
    """talent_api's model comparison, evaluated by ansible-playbook from the role's own vars file."""
    playbook = tmp_path / "names.yml"
    playbook.write_text(f"""
- hosts: localhost
  gather_facts: false
  vars_files: [{ROOT}/roles/talent_api/vars/main.yml]
  tasks:
    - ansible.builtin.debug:
        msg: "NAME {{{{ item }}}} -> {{{{ _talent_api_model_ref }}}}"
      vars:
        talent_api_ai_model_name: "{{{{ item }}}}"
      loop: {json.dumps(list(ACCEPTED))}
""")
    env = {**os.environ, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.default", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"}
    result = subprocess.run([Path(sys.executable).with_name("ansible-playbook"), "-i", "localhost,", "-c", "local",
                             "-e", f"ansible_python_interpreter={sys.executable}", str(playbook)],
                            capture_output=True, text=True, env=env, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    for ref, (name, *_rest) in ACCEPTED.items():
        assert f'"NAME {ref} -> {name}"' in result.stdout, ref


def test_the_brain_url_is_built_once_for_body_and_verify():
    hostvars = {"brain-1": {"private_ip_address": "10.0.1.15"}, "brain-2": {}, "v6": {"private_ip_address": "fd00::5"}}
    assert filters.ai_stack_brain_url(["brain-2", "brain-1"], hostvars, 11434) == "http://10.0.1.15:11434"
    assert filters.ai_stack_brain_url(["v6"], hostvars, "8080") == "http://[fd00::5]:8080"
    assert filters.ai_stack_brain_url(["brain-1"], hostvars, 11434, "http://lb.internal:11434/") == "http://lb.internal:11434"
    assert filters.ai_stack_brain_url([], hostvars) == ""
