#!/usr/bin/env bash
# make e2e-kind: the end-to-end scenarios (test/e2e/scenarios) on a kind cluster, for machines with a
# Docker engine. Creates a kind cluster, builds the image with docker, loads it into the nodes under
# the package version and the upgrade scenario's version (the same build), runs the scenarios with
# HG_E2E_CLUSTER=kind, and deletes the cluster (also on failure; HG_E2E_KEEP_CLUSTER=1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { echo "==> $*"; }
fail() { echo "e2e-kind: error: $*" >&2; exit 1; }

missing=()
for tool in docker kind kubectl helm node npx; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if ((${#missing[@]})); then
  fail "missing on PATH: ${missing[*]}. make e2e-kind needs a Docker engine, kind, kubectl and helm; without Docker, run the same scenarios on the local node with: make e2e"
fi
docker info >/dev/null 2>&1 || fail "docker is installed but the Docker engine does not answer (docker info failed); start it or check your permissions"

name="${HG_E2E_KIND_NAME:-hybridgate-e2e}"
version="$(node -p "require('./package.json').version")"
upgrade="${HG_E2E_UPGRADE_VERSION:-0.1.1}"
repo="hybridgate/hybridgate"
image="${repo}:${version}"

if kind get clusters 2>/dev/null | grep -qx "$name"; then
  fail "a kind cluster named $name already exists; delete it (kind delete cluster --name $name) or set HG_E2E_KIND_NAME"
fi

cleanup() {
  local code=$?
  if [[ -n "${HG_E2E_KEEP_CLUSTER:-}" ]]; then
    say "keeping kind cluster $name (HG_E2E_KEEP_CLUSTER is set); delete it with: kind delete cluster --name $name"
  else
    say "deleting kind cluster $name"
    kind delete cluster --name "$name" >/dev/null 2>&1 || echo "e2e-kind: could not delete kind cluster $name" >&2
  fi
  exit "$code"
}
trap cleanup EXIT

say "creating kind cluster $name"
kind create cluster --name "$name" --wait 180s

say "building the image $image (docker build)"
docker build --build-arg "VERSION=${version}" -t "$image" .
docker tag "$image" "${repo}:${upgrade}"

say "loading ${image} and ${repo}:${upgrade} (the upgrade scenario's tag, same build) into kind"
kind load docker-image --name "$name" "$image" "${repo}:${upgrade}"

say "running the end-to-end scenarios on kind (jest test/e2e/scenarios)"
HG_E2E_CLUSTER=kind \
HG_E2E_KIND_NAME="$name" \
HG_E2E_IMAGE="$image" \
HG_E2E_UPGRADE_VERSION="$upgrade" \
NODE_OPTIONS=--experimental-vm-modules \
  npx jest --ci --runInBand test/e2e/scenarios
