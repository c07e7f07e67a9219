#!/usr/bin/env bash
# Starts one lab host as a systemd container, unless it already runs, and makes
# it reachable as an EC2 host is: sshd, the user ubuntu with passwordless sudo
# (from the image), the lab's key authorized for ubuntu (what cloud-init does
# with the instance's key pair), and its host key recorded in the lab's
# known_hosts under each of its addresses.
#   host-up.sh NAME brain|body|lb|outsider|plain [docker run options: network, --ip, labels, --memory, --tmpfs]
# The one definition of the lab's host kinds (image, capabilities, mounts):
# the demo lab and every molecule scenario (molecule/resources/playbooks/create.yml)
# start their hosts with it. Options given after the kind override its defaults.
# Needs LAB_BASE_IMAGE, LAB_BODY_IMAGE, LAB_SSH_KEY and LAB_KNOWN_HOSTS (from tests/lib/lab-services.sh up).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
name=$1 kind=$2
shift 2
# Capabilities this engine knows, but SYS_RESOURCE (missing from the bounding set
# here): the body runs its own Docker engine and the brain runs nftables.
caps=(--cap-add ALL --cap-drop SYS_RESOURCE)
case "$kind" in
  # An m7i-flex.large shows ~7.6 GiB to the OS; the brain's preflight reads this limit.
  brain) kind_args=("${caps[@]}" --memory 7800m -v /sys/fs/cgroup:/sys/fs/cgroup:ro) image=$LAB_BASE_IMAGE ;;
  # The inner engine's storage on a real filesystem (overlay on overlay does not mount).
  body) kind_args=("${caps[@]}" --memory 2g -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v /var/lib/docker) image=$LAB_BODY_IMAGE ;;
  # HAProxy in front of the brains (roles/brain_lb installs it from Debian's
  # packages); its unit's sandboxing needs the capabilities a real host has.
  lb) kind_args=("${caps[@]}" --memory 512m -v /sys/fs/cgroup:/sys/fs/cgroup:ro) image=$LAB_BASE_IMAGE ;;
  outsider|plain) kind_args=(--memory 512m -v /sys/fs/cgroup:/sys/fs/cgroup:ro) image=$LAB_BASE_IMAGE ;;
  *) echo "host-up.sh: unknown kind $kind (brain, body, lb, outsider, plain)" >&2; exit 2 ;;
esac
# A running host is reused only when it runs the image wanted now (images change with their inputs).
if [[ "$(docker inspect -f '{{.State.Running}} {{.Config.Image}}' "$name" 2>/dev/null)" != "true $image" ]]; then
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  echo "starting $name ($kind)"
  docker run -d --name "$name" --hostname "$name" \
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
    --label "ai-stack-lab.owner=$root" --label "ai-stack-lab.kind=$kind" "${kind_args[@]}" "$@" "$image" /lib/systemd/systemd >/dev/null
fi

# The host key is made at first boot (ssh-host-keys.service): wait for sshd, bounded.
for _ in $(seq 1 120); do
  docker exec "$name" systemctl is-active -q ssh.service 2>/dev/null && break
  sleep 0.5
done
docker exec "$name" systemctl is-active -q ssh.service ||
  { echo "host-up.sh: sshd did not start on $name within 60 s" >&2; exit 1; }
docker exec -i "$name" bash -c 'install -d -m 0700 -o ubuntu -g ubuntu ~ubuntu/.ssh &&
  install -m 0600 -o ubuntu -g ubuntu /dev/stdin ~ubuntu/.ssh/authorized_keys' <"$LAB_SSH_KEY.pub"
host_key=$(docker exec "$name" cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d' ' -f1,2)
# One writer at a time: the demo and a scenario start hosts beside each other, and
# ssh-keygen -R rewrites the whole file (an append made meanwhile would be lost).
(
  flock 8
  for ip in $(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}' "$name"); do
    ssh-keygen -R "$ip" -f "$LAB_KNOWN_HOSTS" >/dev/null 2>&1 || true
    echo "$ip $host_key" >>"$LAB_KNOWN_HOSTS"
  done
  rm -f "$LAB_KNOWN_HOSTS.old"
) 8>>"$LAB_KNOWN_HOSTS.lock"
