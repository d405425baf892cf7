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

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install "${packages[@]}"
