#!/usr/bin/env bash
# Installs the Debian packages whose commands the tests run, when a command is missing: ip (the local
# node's network namespaces, veth and bridge), unshare/nsenter (its mount and UTS namespaces), getent,
# openssl (certificate tests). Does nothing when all are present, so `make test` calls it every time.
# PostgreSQL has its own script (install-postgres.sh). Needs root (or sudo) only when it installs.
set -euo pipefail

declare -A PACKAGE_OF=([ip]=iproute2 [unshare]=util-linux [nsenter]=util-linux [getent]=libc-bin [openssl]=openssl)
missing=()
for cmd in "${!PACKAGE_OF[@]}"; do
  command -v "$cmd" >/dev/null || missing+=("${PACKAGE_OF[$cmd]}")
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "test commands present: ${!PACKAGE_OF[*]}" >&2
  exit 0
fi
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)

if ! command -v apt-get >/dev/null; then
  echo "error: missing packages ${packages[*]} and no apt-get to install them; install them by hand" >&2
  exit 1
fi
SUDO=""
if [[ "$(id -u)" != "0" ]]; then
  if command -v sudo >/dev/null; then
    SUDO="sudo"
  else
    echo "error: installing ${packages[*]} needs root (run as root or install sudo)" >&2
    exit 1
  fi
fi
echo "==> installing ${packages[*]} (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${packages[@]}"
