#!/usr/bin/env python3
"""Package the double like an Ollama Linux release, into a mirror tree.

    build_release.py OUT_DIR VERSION [VERSION ...]

For each version writes OUT_DIR/ollama/ollama/releases/download/v<VERSION>/
  ollama-linux-amd64.tar.zst   (0.14.0 and later; .tgz before, as upstream)
  sha256sum.txt                (`<sha256>  ./<asset>` lines)
Each archive unpacks to bin/ollama and lib/ollama/. Archives are byte-for-byte
reproducible, so the mirror's checksums only change when the double does.

It also writes OUT_DIR/registry/v2/<namespace>/<model>/manifests/<tag> for the
catalog, as the model registry serves them, so preflight checks can ask a
"registry" whether a model exists and how large it is.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RELEASE_PATH = "ollama/ollama/releases/download"

from ollama_double import catalog  # noqa: E402
from ollama_double.settings import Settings  # noqa: E402
from ollama_double.store import registry_manifest  # noqa: E402


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("."))


def asset_name(version: str, arch: str = "amd64") -> str:
    suffix = "tar.zst" if _version_tuple(version) >= (0, 14, 0) else "tgz"
    return f"ollama-linux-{arch}.{suffix}"


def _add(tar: tarfile.TarFile, name: str, data: bytes, mode: int) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 0
    info.uname = info.gname = "root"
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
    info.uname = info.gname = "root"
    tar.addfile(info)


def tar_bytes(version: str) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for d in ("bin", "lib", "lib/ollama", "lib/ollama/ollama_double"):
            _add_dir(tar, d)
        _add(tar, "bin/ollama", (HERE / "bin" / "ollama").read_bytes(), 0o755)
        for src in sorted((HERE / "ollama_double").glob("*.py")):
            if src.name != "_version.py":
                _add(tar, f"lib/ollama/ollama_double/{src.name}", src.read_bytes(), 0o644)
        _add(tar, "lib/ollama/ollama_double/_version.py", f'VERSION = "{version}"\n'.encode(), 0o644)
    return buf.getvalue()


def compress(data: bytes, asset: str) -> bytes:
    if asset.endswith(".tgz"):
        out = io.BytesIO()
        with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
            gz.write(data)
        return out.getvalue()
    return subprocess.run(["zstd", "-q", "-c", "-10"], input=data, check=True, capture_output=True).stdout


def build(out_dir: Path, version: str) -> Path:
    asset = asset_name(version)
    target = out_dir / RELEASE_PATH / f"v{version}"
    target.mkdir(parents=True, exist_ok=True)
    payload = compress(tar_bytes(version), asset)
    (target / asset).write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    (target / "sha256sum.txt").write_text(f"{digest}  ./{asset}\n")
    return target / asset


def build_registry(out_dir: Path) -> None:
    scale = Settings().blob_scale
    for name in catalog.names():
        namespace_model, tag = name.split(":")
        entry = catalog.lookup(name)
        target = out_dir / "registry" / "v2" / namespace_model / "manifests" / tag
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(registry_manifest(entry, scale)))


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    out_dir = Path(argv[0])
    for version in argv[1:]:
        print(build(out_dir, version))
    build_registry(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
