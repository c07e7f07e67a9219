"""tools/pins.py lists every pin with its source, read from where each is set."""

import re
import subprocess
import sys
from pathlib import Path

from pins import OLLAMA_DEFAULT

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "pins.py"


def test_every_pin_has_a_source_written_next_to_it():
    result = subprocess.run([sys.executable, str(TOOL), "--check"], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_table_shows_the_ollama_pin_with_where_and_when_it_was_seen():
    table = subprocess.run([sys.executable, str(TOOL)], capture_output=True, text=True, timeout=60, check=True).stdout
    [row] = [line for line in table.splitlines() if line.startswith("| Ollama (default release) |")]
    assert f"`{OLLAMA_DEFAULT}`" in row and "`roles/ollama_brain/defaults/main.yml`" in row
    assert re.search(r"\d{4}-\d{2}-\d{2}", row), row  # the date it was seen
    for what in ("collection amazon.aws", "Amazon CloudWatch agent", "Python ansible", "Ollama advisory"):
        assert f"| {what}" in table, what
