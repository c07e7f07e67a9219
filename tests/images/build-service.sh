#!/usr/bin/env bash
# Builds the lab's service images, layered on the base image with `docker build`
# (FROM is the local base image, so no registry is needed):
#
#   tests/images/build-service.sh backend|backend-broken|registry
#
# backend (and its broken twin, which fails /health) is the stand-in talent-api
# image from tests/backend_double; registry is Debian's docker-registry (the
# CNCF distribution server) for the lab's private registry. Each is tagged with
# a hash of its inputs and rebuilt only when one changes. Prints the image reference.
#
# They stay on Debian 12 whatever suite the hosts use: the backend's Python
# dependencies are installed with this controller's Python 3.11, bookworm's.
set -euo pipefail
shopt -s inherit_errexit
export LAB_DEBIAN_SUITE=bookworm

here=$(cd "$(dirname "$0")" && pwd)
variant=${1:?usage: build-service.sh backend|backend-broken|registry}
repo=${LAB_IMAGE_REPO:-ai-stack-lab}
# The project's venv has pip; the system Python may not.
pip_python=$here/../../.venv/bin/python
[[ -x "$pip_python" ]] || pip_python=python3

input_hash() {
  {
    cat "$here/build-service.sh"
    "$here/build.sh" base
    case "$1" in
      backend | backend-broken)
        (cd "$here/../backend_double" && find . \( -name '*.py' -o -name requirements.txt \) -print0 | LC_ALL=C sort -z | xargs -0 cat) ;;
      registry) cat "$here/registry/config.yml" ;;
    esac
  } | sha256sum | cut -c1-12
}

# A service image layered on base with `docker build`; the context is staged
# here so the build needs no network.
build_service() {
  local v=$1 ref=$2 work=$3 base_ref
  base_ref=$("$here/build.sh" base)
  mkdir -p "$work/ctx"
  case "$v" in
    backend | backend-broken)
      # The backend's own Python dependencies, for the base image's Python (3.11, like this host's).
      "$pip_python" -m pip install --quiet --disable-pip-version-check --no-compile --target "$work/ctx/lib" \
        -r "$here/../backend_double/requirements.txt" >"$work/log" 2>&1 || { grep -v 'WARNING: Location' "$work/log" | tail -n 20 >&2; exit 1; }
      cp -r "$here/../backend_double/talent_api_double" "$work/ctx/talent_api_double"
      find "$work/ctx" -name __pycache__ -prune -exec rm -rf {} +
      cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM $base_ref
COPY lib /opt/talent-api/lib
COPY talent_api_double /opt/talent-api/app/talent_api_double
ENV PYTHONPATH=/opt/talent-api/app:/opt/talent-api/lib PYTHONUNBUFFERED=1$([[ $v == backend-broken ]] && echo " TALENT_API_DOUBLE_BROKEN=1")
EXPOSE 8000
CMD ["python3", "-m", "talent_api_double", "0.0.0.0:8000"]
DOCKERFILE
      ;;
    registry)
      (cd "$work" && apt-get download docker-registry >"$work/log" 2>&1) || { tail -n 20 "$work/log" >&2; exit 1; }
      dpkg-deb -x "$work"/docker-registry_*.deb "$work/pkg"
      cp "$work/pkg/usr/bin/docker-registry" "$work/ctx/registry"
      cp "$here/registry/config.yml" "$work/ctx/config.yml"
      cat >"$work/ctx/Dockerfile" <<DOCKERFILE
FROM $base_ref
COPY registry /usr/local/bin/registry
COPY config.yml /etc/registry/config.yml
EXPOSE 5000
CMD ["/usr/local/bin/registry", "serve", "/etc/registry/config.yml"]
DOCKERFILE
      ;;
  esac
  DOCKER_BUILDKIT=0 docker build -q -t "$ref" "$work/ctx" >"$work/log" 2>&1 || { tail -n 20 "$work/log" >&2; exit 1; }
}

ref="$repo/debian12-$variant:$(input_hash "$variant")"
if ! docker image inspect "$ref" >/dev/null 2>&1; then
  work=$(mktemp -d /var/tmp/lab-image.XXXXXX)
  trap 'rm -rf "$work"' EXIT
  echo "building $ref" >&2
  build_service "$variant" "$ref" "$work"
fi
echo "$ref"
