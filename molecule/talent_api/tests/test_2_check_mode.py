"""Check mode on the converged body reports nothing to change."""

from lab_helpers import recap, run_playbook, scenario_dir


def test_check_mode_on_converged_body_changes_nothing():
    result = run_playbook(scenario_dir() / "converge.yml", "--check", "--diff")
    assert result.returncode == 0, result.stdout[-3000:]
    assert recap(result.stdout)["tapi-body"]["changed"] == 0, result.stdout[-3000:]
