# Sourced by the hack/install-*.sh scripts: apt_install PACKAGE... installs Debian packages with
# apt-get, as root or through sudo, and exits with a message saying what to do when it cannot.

apt_install() {
  if ! command -v apt-get >/dev/null; then
    echo "error: $* missing and no apt-get to install them; install them by hand" >&2
    exit 1
  fi
  local sudo=""
  if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null; then
      sudo="sudo"
    else
      echo "error: installing $* needs root (run as root or install sudo)" >&2
      exit 1
    fi
  fi
  echo "==> installing $* (apt-get)" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "$@"
}
