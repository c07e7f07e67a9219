#!/usr/bin/env bash
# tools/venv.sh LINK PYTHON REQUIREMENTS
#
# A virtual environment with exactly REQUIREMENTS installed by PYTHON, built
# once per machine and shared by every checkout: it lives in the user's cache
# (AI_STACK_VENV_CACHE, default ~/.cache/ai-stack-ansible/venvs), named by a
# hash of the Python version and of the requirement files (REQUIREMENTS and
# those it includes with -r), and LINK points at it. A fresh clone then starts
# in a second instead of a minute of pip, and a changed pin builds a new one.
# Concurrent builds of the same one wait for each other (flock).
set -euo pipefail
link=$1 python=$2 requirements=$3
cache=${AI_STACK_VENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ai-stack-ansible/venvs}

files=("$requirements")
while read -r included; do
  files+=("$(dirname "$requirements")/$included")
done < <(sed -n 's/^-r[[:space:]]*//p' "$requirements")
key=$({ "$python" -c 'import sys; print(sys.version)'; cat "${files[@]}"; } | sha256sum | cut -c1-16)
name=$(basename "$link")
target=$cache/${name#.}-$key

mkdir -p "$cache"
exec 9>"$target.lock"
flock 9
if [[ ! -f $target/.installed ]]; then
  echo "building $target from $requirements (once per machine and set of pins)"
  rm -rf "$target"
  "$python" -m venv "$target"
  # This machine's pip.conf may name index folders that do not exist; pip warns per package.
  "$target/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" 2>&1 |
    { grep -v "^WARNING: Location '.*' is ignored" || true; }
  touch "$target/.installed"
  # Environments of other pins built over a week ago, with their lock files (a checkout that still needs
  # one builds it again); one that another build holds right now is left alone.
  while read -r old; do
    (flock -n 8 && rm -rf "$old" "$old.lock") 8>>"$old.lock" || true
  done < <(find "$cache" -mindepth 1 -maxdepth 1 -type d -name "${name#.}-*" -not -path "$target" -mtime +7)
fi
exec 9>&-

# A directory left by an earlier layout is replaced by the link.
[[ -L $link || ! -e $link ]] || rm -rf "$link"
mkdir -p "$(dirname "$link")"
ln -sfn "$target" "$link"
