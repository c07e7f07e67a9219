#!/usr/bin/env bash
# Starts one lab host as a systemd container, unless it already runs.
#   host-up.sh NAME brain|body|outsider [docker run options: network, --ip, labels]
# Needs LAB_BASE_IMAGE and LAB_BODY_IMAGE (from tests/lib/lab-services.sh up).
set -euo pipefail
name=$1 kind=$2
shift 2
# Capabilities this engine knows, but SYS_RESOURCE (missing from the bounding set
# here): the body runs its own Docker engine and the brain runs nftables.
caps=(--cap-add ALL --cap-drop SYS_RESOURCE)
case "$kind" in
  brain) kind_args=("${caps[@]}" -v /sys/fs/cgroup:/sys/fs/cgroup:ro "$LAB_BASE_IMAGE") ;;
  # The inner engine's storage on a real filesystem (overlay on overlay does not mount).
  body) kind_args=("${caps[@]}" --memory 2g -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v /var/lib/docker "$LAB_BODY_IMAGE") ;;
  outsider) kind_args=(-v /sys/fs/cgroup:/sys/fs/cgroup:ro "$LAB_BASE_IMAGE") ;;
  *) echo "host-up.sh: unknown kind $kind (brain, body, outsider)" >&2; exit 2 ;;
esac
if [[ "$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null)" == true ]]; then
  exit 0
fi
docker rm -f -v "$name" >/dev/null 2>&1 || true
echo "starting $name ($kind)"
docker run -d --name "$name" --hostname "$name" \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
  --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
  "$@" "${kind_args[@]}" /lib/systemd/systemd >/dev/null
