"""tests/lib/input_guards.py reads each variable's guards from the rules themselves."""

from __future__ import annotations

import input_guards


def table() -> dict[str, str]:
    return {name: guard for _, name, _, guard, _ in input_guards.rows()}


def test_a_refusal_is_found_through_the_role_internal_variables_it_reads():
    guards = table()
    # `_talent_api_model_ref in ...`: the normalised copy of talent_api_ai_model_name.
    assert "a brain this body cannot reach or that does not serve the model" in guards["talent_api_ai_model_name"]
    # `item.status == 200`, where item loops over a result registered for _ollama_brain_refs.
    assert "refuse a model the registry does not have" in guards["ollama_brain_models"]
    # Input-check list entries come first, with their bounds.
    assert guards["ollama_brain_port"].startswith("port")


def test_a_result_of_host_state_does_not_name_every_variable():
    # The deploy-user check reads host_state's answer, which carries all of the role's wanted state.
    assert "refuse a deploy user" not in table()["talent_api_image"]


def test_the_check_passes_only_when_every_variable_is_guarded(capsys):
    assert input_guards.main(["--check"]) == 0
    assert "no guard beyond the type" not in capsys.readouterr().err
