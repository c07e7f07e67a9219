#!/usr/bin/env bash
# Molecule's dependency step: what `molecule test -s <scenario>` needs before it
# creates hosts. A caller that brought the lab up already (make test exports
# LAB_NETWORK and the rest) is left alone; otherwise a Docker engine is started
# if none answers, and the images and lab services are built or reused (they
# are keyed by a hash of their inputs). `tests/lib/lab-services.sh down` removes
# the services; `make clean` removes the images too.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [[ -n "${LAB_NETWORK:-}" ]]; then
  exit 0
fi
"$root/tests/lib/host-deps.sh"
"$root/tests/lib/lab-services.sh" up >/dev/null
echo "lab services are up (environment in .cache/lab/env.sh; remove them with tests/lib/lab-services.sh down)"
