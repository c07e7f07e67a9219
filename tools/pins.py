#!/usr/bin/env python3
"""Every external version the project pins, where it is set and where it was seen, so the next update is one look.

    tools/pins.py            a Markdown table: what, pinned, set in, source
    tools/pins.py --check    exit 1 when a pin has no source next to it

The source is the comment written above the pin in its file (a release, a
tag, an advisory, a date); for Python packages, the requirements file's
header and the index they come from.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def comment_above(path: Path, pattern: str) -> str:
    """The comment block right above the first line matching `pattern`, as one line."""
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(pattern, line):
            block = []
            for above in reversed(lines[:index]):
                if not above.lstrip().startswith("#"):
                    break
                text = above.lstrip().lstrip("#").strip()
                if not text.startswith("---"):  # a section rule, not a source
                    block.insert(0, text)
            return " ".join(block)
    raise SystemExit(f"{path.relative_to(ROOT)}: nothing matches {pattern!r}")


def pins() -> list[dict[str, str]]:
    rows = []
    defaults = ROOT / "roles/ollama_brain/defaults/main.yml"
    version = yaml.safe_load(defaults.read_text())["ollama_brain_version"]
    rows.append({"what": "Ollama (default release)", "pinned": version, "file": defaults,
                 "source": comment_above(defaults, r"ollama_brain_version:")})
    vars_file = ROOT / "roles/ollama_brain/vars/main.yml"
    for advisory in yaml.safe_load(vars_file.read_text())["_ollama_brain_advisories"]:
        rows.append({"what": f"Ollama advisory {advisory['id']} (refusal floor)", "pinned": f">= {advisory['fixed_in']}",
                     "file": vars_file, "source": str(advisory.get("source") or advisory.get("what") or "")})
    cloudwatch = ROOT / "roles/cloudwatch_agent/defaults/main.yml"
    url = yaml.safe_load(cloudwatch.read_text())["cloudwatch_agent_package_url"]
    match = re.search(r"/(\d+\.\d+\.[0-9a-z]+)/", url)
    rows.append({"what": "Amazon CloudWatch agent", "pinned": match[1] if match else url, "file": cloudwatch,
                 "source": comment_above(cloudwatch, r"cloudwatch_agent_package_url:") + f" ({url})"})
    requirements_yml = ROOT / "requirements.yml"
    header = comment_above(requirements_yml, r"collections:")
    for collection in yaml.safe_load(requirements_yml.read_text())["collections"]:
        rows.append({"what": f"collection {collection['name']}", "pinned": collection["version"],
                     "file": requirements_yml, "source": header})
    for name in ("requirements.txt", "requirements-dev.txt", "requirements-current.txt"):
        path = ROOT / name
        header = " ".join(line.lstrip("#").strip() for line in path.read_text().splitlines()
                          if line.startswith("#") and not line.startswith("# moto"))
        for line in path.read_text().splitlines():
            match = re.match(r"([A-Za-z0-9_.\[\]-]+)==(\S+)", line)
            if match:
                rows.append({"what": f"Python {match[1]}", "pinned": match[2], "file": path,
                             "source": f"PyPI; {header}"})
    return rows


def main(argv: list[str]) -> int:
    rows = pins()
    if "--check" in argv:
        bare = [row["what"] for row in rows if not row["source"].strip()]
        for what in bare:
            print(f"no source written next to the pin of {what}")
        return 1 if bare else 0
    print("| what | pinned | set in | source |")
    print("| --- | --- | --- | --- |")
    for row in rows:
        source = row["source"].replace("|", "\\|")
        print(f"| {row['what']} | `{row['pinned']}` | `{row['file'].relative_to(ROOT)}` | {source} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
