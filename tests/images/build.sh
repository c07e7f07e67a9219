#!/usr/bin/env bash
# Builds the systemd test-host images (no registry is reachable here, so they
# are made from Debian packages with debootstrap and `docker import`).
#
#   tests/images/build.sh base|body     prints the image reference it built or reused
#   LAB_DEBIAN_SUITE=trixie tests/images/build.sh base    the same on Debian 13 (default: bookworm, Debian 12)
#
# An image is tagged with a hash of its inputs (this script, the suite and the
# variant's package list, plus the base hash for `body`), so a rebuild happens
# only when an input changes.
set -euo pipefail
shopt -s inherit_errexit

here=$(cd "$(dirname "$0")" && pwd)
variant=${1:?usage: build.sh base|body}
case "$variant" in  # service images are layered on base by their own script
  backend | backend-broken | registry) exec "$here/build-service.sh" "$variant" ;;
esac
repo=${LAB_IMAGE_REPO:-ai-stack-lab}
suite=${LAB_DEBIAN_SUITE:-bookworm}
case "$suite" in
  bookworm) release=12 ;;
  trixie) release=13 ;;
  *) echo "build.sh: LAB_DEBIAN_SUITE is '$suite'; the lab builds bookworm (Debian 12) or trixie (Debian 13)" >&2; exit 2 ;;
esac

# The mirror comes from this machine's own apt configuration so the build uses
# whatever Debian mirror (or proxy) the machine is set up for.
debian_mirror() {
  if [[ -n "${LAB_DEBIAN_MIRROR:-}" ]]; then echo "$LAB_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [[ -z "$uri" ]] && uri=$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep -v -- '-security' | head -n1 || true)
  [[ -n "$uri" ]] || { echo "no Debian mirror found in /etc/apt; set LAB_DEBIAN_MIRROR" >&2; exit 1; }
  echo "$uri"
}

input_hash() {
  local v=$1
  {
    echo "$suite"
    package_lists "$v" | xargs cat "$here/build.sh"
    if [[ "$v" == body ]]; then input_hash base; fi
  } | sha256sum | cut -c1-12
}

# A variant's packages: packages.txt, plus packages.<suite>.txt where a release differs.
package_lists() {
  echo "$here/$1/packages.txt"
  if [[ -f "$here/$1/packages.$suite.txt" ]]; then echo "$here/$1/packages.$suite.txt"; fi
}
packages() { package_lists "$1" | xargs cat | grep -vE '^\s*(#|$)' | paste -sd, -; }

# Make the rootfs boot systemd in an unprivileged container and be reached as
# an EC2 host is: no getty on a console that does not exist, a machine-id and
# SSH host keys made per container at first boot (as cloud-init does), and the
# deploy user `ubuntu` with passwordless sudo (what cloud-init's
# 90-cloud-init-users grants on Ubuntu's AMIs). Its authorized key is the lab's
# own, installed when a host starts (tests/lab/host-up.sh).
prepare_rootfs() {
  local root=$1
  chroot "$root" id ubuntu >/dev/null 2>&1 || chroot "$root" useradd --create-home --shell /bin/bash ubuntu
  echo 'ubuntu ALL=(ALL) NOPASSWD:ALL' > "$root/etc/sudoers.d/90-cloud-init-users"
  chmod 0440 "$root/etc/sudoers.d/90-cloud-init-users"
  rm -f "$root"/etc/ssh/ssh_host_*
  cat > "$root/etc/systemd/system/ssh-host-keys.service" <<'UNIT'
[Unit]
Description=SSH host keys of this host, made at its first boot
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -A

[Install]
WantedBy=ssh.service
UNIT
  mkdir -p "$root/etc/systemd/system/ssh.service.wants"
  ln -sf /etc/systemd/system/ssh-host-keys.service "$root/etc/systemd/system/ssh.service.wants/ssh-host-keys.service"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  : > "$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"
  for unit in getty@tty1.service serial-getty@.service console-getty.service \
              systemd-timesyncd.service apt-daily.timer apt-daily-upgrade.timer \
              e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  echo "lab" > "$root/etc/hostname"
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/usr/share/doc/* "$root"/usr/share/man/*
}

import_rootfs() {
  local root=$1 ref=$2
  tar -C "$root" -c . | docker import \
    --change 'CMD ["/lib/systemd/systemd"]' \
    --change 'ENV container=docker' \
    - "$ref" >/dev/null
}

build() {
  local v=$1 ref work
  ref="$repo/debian$release-$v:$(input_hash "$v")"
  if docker image inspect "$ref" >/dev/null 2>&1; then
    echo "$ref"; return
  fi
  command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
  work=$(mktemp -d /var/tmp/lab-image.XXXXXX)
  trap 'rm -rf "$work"' RETURN
  echo "building $ref (several minutes, once)" >&2
  if [[ "$v" == base ]]; then
    debootstrap --variant=minbase --include="$(packages base)" \
      "$suite" "$work/root" "$(debian_mirror)" >"$work/log" 2>&1 \
      || { tail -n 30 "$work/log" >&2; exit 1; }
  else
    local base_ref
    base_ref=$(build base)
    mkdir "$work/root"
    local cid
    cid=$(docker create "$base_ref")
    docker export "$cid" | tar -C "$work/root" -x
    docker rm "$cid" >/dev/null
    cp /etc/resolv.conf "$work/root/etc/resolv.conf"
    echo "deb $(debian_mirror) $suite main" > "$work/root/etc/apt/sources.list"
    mount -t proc proc "$work/root/proc"
    trap 'umount "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' RETURN
    { chroot "$work/root" apt-get update &&
      DEBIAN_FRONTEND=noninteractive chroot "$work/root" apt-get install -y --no-install-recommends $(packages body | tr , ' '); } \
      >"$work/log" 2>&1 || { tail -n 30 "$work/log" >&2; exit 1; }
    umount "$work/root/proc"
    # The pipeline deploys as ubuntu, which runs docker without sudo.
    chroot "$work/root" usermod -aG docker ubuntu
    # Nested in an unprivileged container, /proc/sys is read-only: Docker 26
    # (Debian 13) then refuses to start containers because it cannot disable
    # IPv6 on their interfaces, unless told to go on (an EC2 body has no such limit).
    mkdir -p "$work/root/etc/systemd/system/docker.service.d"
    printf '[Service]\nEnvironment=DOCKER_ALLOW_IPV6_ON_IPV4_INTERFACE=1\n' \
      >"$work/root/etc/systemd/system/docker.service.d/lab-nested.conf"
  fi
  prepare_rootfs "$work/root"
  import_rootfs "$work/root" "$ref"
  echo "$ref"
}

build "$variant"
