#!/usr/bin/env bash
# Installs Debian's PostgreSQL server for the tests (test/postgres/pg-server.ts starts throwaway
# instances from /usr/lib/postgresql/<major>/bin). Does nothing when a server binary is already there,
# so `make test` can call it every time. Needs root (or sudo) only when it has to install.
set -euo pipefail

have_server() {
  compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null &&
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null &&
    compgen -G '/usr/lib/postgresql/*/bin/pg_ctl' >/dev/null
}

if have_server; then
  if [[ "${1:-}" != "--quiet" ]]; then
    echo "postgresql server present: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)" >&2
  fi
  exit 0
fi

# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install postgresql

if ! have_server; then
  echo "error: postgresql was installed but no server binaries were found under /usr/lib/postgresql" >&2
  exit 1
fi
# The Debian package starts a cluster on the default port; the tests never use it (they run their own
# instances on free loopback ports), so it may keep running or be stopped by the operator.
echo "postgresql server installed: $(ls -d /usr/lib/postgresql/*/bin | tail -n 1)" >&2
