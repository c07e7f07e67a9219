#!/usr/bin/env bash
# Runs a command with the lab's environment (LAB_NETWORK, images, SSH key...):
# the caller's when it has one (make test exports it), else the one
# tests/lib/lab-services.sh up saved in .cache/lab/env.sh (molecule run alone).
#   lab-env.sh COMMAND [ARGS...]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -z "${LAB_SSH_KEY:-}" && -f "$root/.cache/lab/env.sh" ]]; then
  # shellcheck source=/dev/null
  source "$root/.cache/lab/env.sh"
fi
exec "$@"
