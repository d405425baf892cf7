#!/usr/bin/env bash
# Build the pinned test binaries (Kubernetes control plane, kubectl, etcd, helm)
# from the Go module proxy and cache them outside the repository.
#
#   hack/install-test-binaries.sh              build what is missing, print the directory
#   hack/install-test-binaries.sh --print-dir  same, but stdout is ONLY the directory:
#                                               BIN=$(hack/install-test-binaries.sh --print-dir)
#   hack/install-test-binaries.sh --force      rebuild everything
#
# Versions are pinned below AND in hack/{k8s,etcd,helm}/go.mod (+ go.sum); the
# script refuses to run if the two disagree. To bump: edit the version here, run
# `go get` / `go mod edit -replace` + `go mod tidy` in the module dir (see
# hack/README.md), commit go.mod and go.sum.
#
# Cache: ${HYBRIDGATE_CACHE:-$HOME/.cache/hybridgate}/bin/<versions>/
# Go's own module/build caches stay at their defaults (go env GOMODCACHE GOCACHE).
set -euo pipefail

K8S_VERSION=v1.34.10   # k8s.io/kubernetes (staging modules k8s.io/* at v0.34.10)
ETCD_VERSION=v3.6.16   # go.etcd.io/etcd/server/v3
HELM_VERSION=v3.22.0   # helm.sh/helm/v3

HACK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE_ROOT=${HYBRIDGATE_CACHE:-${HOME}/.cache/hybridgate}
BIN_DIR=${CACHE_ROOT}/bin/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-helm-${HELM_VERSION}

PRINT_DIR=0
FORCE=0
for arg in "$@"; do
  case "$arg" in
    --print-dir) PRINT_DIR=1 ;;
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-test-binaries: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

# All progress goes to stderr so that stdout stays machine-readable.
# With --print-dir, "using cached" lines are suppressed; build progress is not.
log() { echo "install-test-binaries: $*" >&2; }
info() { [[ $PRINT_DIR == 1 ]] || log "$@"; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null 2>&1 || die "go not found in PATH (need Go >= 1.26)"

# The pins above must match the committed go.mod files.
require_pin() { # <go.mod> <module> <version>
  grep -Eq "^[[:space:]]*(require[[:space:]]+)?$2[[:space:]]+$3([[:space:]]|$)" "$1" \
    || die "$1 does not require $2 $3; update the pin in $0 or the go.mod"
}
require_pin "$HACK_DIR/k8s/go.mod" k8s.io/kubernetes "$K8S_VERSION"
require_pin "$HACK_DIR/etcd/go.mod" go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
require_pin "$HACK_DIR/helm/go.mod" helm.sh/helm/v3 "$HELM_VERSION"

export CGO_ENABLED=0
# -mod=readonly: fail instead of silently changing go.mod/go.sum.
# -buildvcs=false: do not stamp the Hybridgate repo's git state into the binaries.
GO_BUILD_FLAGS=(-mod=readonly -trimpath -buildvcs=false)

fmt_secs() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Does the binary at $1 run and report version $2? (remaining args: version command)
binary_ok() {
  local bin=$1 want=$2 out
  shift 2
  [[ -x $bin ]] || return 1
  out=$("$bin" "$@" 2>&1) || return 1
  [[ $out == *"$want"* ]]
}

# build_binary <name> <module dir> <package> <version> <expected version output> <ldflags> \
#   -- <args that print the version...>
build_binary() {
  local name=$1 moddir=$2 pkg=$3 version=$4 want=$5 ldflags=$6
  shift 7
  local dest=$BIN_DIR/$name
  if [[ $FORCE == 0 ]] && binary_ok "$dest" "$want" "$@"; then
    info "using cached $name $version ($dest)"
    return 0
  fi
  if [[ $FORCE == 0 && -e $dest ]]; then
    log "cached $name does not run or is not $version; rebuilding"
  fi
  local hint=""
  [[ $name == kube-apiserver || $name == helm ]] && hint=" (first run takes several minutes)"
  log "building $name $version${hint}..."
  local tmp start=$SECONDS
  tmp=$(mktemp "$BIN_DIR/.${name}.tmp.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -f '$tmp'" EXIT
  if ! go build -C "$moddir" "${GO_BUILD_FLAGS[@]}" -ldflags "$ldflags" -o "$tmp" "$pkg" >&2; then
    rm -f "$tmp"
    die "go build of $pkg failed"
  fi
  chmod 0755 "$tmp"
  binary_ok "$tmp" "$want" "$@" || { rm -f "$tmp"; die "freshly built $name does not report \"$want\" for: $name $*"; }
  mv -f "$tmp" "$dest"  # atomic: same directory
  trap - EXIT
  log "built $name $version in $(fmt_secs $((SECONDS - start)))"
}

module_time() { # <module dir> <module>: RFC3339 commit time of the pinned version
  go list -C "$1" -mod=readonly -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "$2" 2>/dev/null \
    || echo 1970-01-01T00:00:00Z
}

mkdir -p "$BIN_DIR"

# Serialize concurrent runs (e.g. parallel test workers calling --print-dir).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$CACHE_ROOT/bin/.lock"
  if ! flock -n 9; then
    log "waiting for another install-test-binaries.sh run to finish..."
    flock 9
  fi
fi

start_all=$SECONDS

# --- etcd ---------------------------------------------------------------------
build_binary etcd "$HACK_DIR/etcd" hybridgate.local/hack/etcd "$ETCD_VERSION" \
  "etcd Version: ${ETCD_VERSION#v}" "-s -w" \
  -- --version

# --- Kubernetes ---------------------------------------------------------------
k8s_minor=${K8S_VERSION#v1.}
k8s_minor=${k8s_minor%%.*}
k8s_date=$(module_time "$HACK_DIR/k8s" k8s.io/kubernetes)
K8S_LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor"
  K8S_LDFLAGS+=" -X $p.gitCommit= -X $p.gitTreeState=clean -X $p.buildDate=$k8s_date"
done
for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
  build_binary "$cmd" "$HACK_DIR/k8s" "k8s.io/kubernetes/cmd/$cmd" "$K8S_VERSION" \
    "Kubernetes $K8S_VERSION" \
    "$K8S_LDFLAGS" -- --version
done
build_binary kubectl "$HACK_DIR/k8s" k8s.io/kubernetes/cmd/kubectl "$K8S_VERSION" \
  "Client Version: $K8S_VERSION" \
  "$K8S_LDFLAGS" -- version --client

# --- helm ---------------------------------------------------------------------
# Same ldflags as helm's Makefile: version + the k8s version helm's client-go
# corresponds to (client-go v0.X.Y -> Kubernetes 1.X), used for
# .Capabilities.KubeVersion in `helm template` and by `helm lint`.
helm_cg=$(go list -C "$HACK_DIR/helm" -mod=readonly -m -f '{{.Version}}' k8s.io/client-go)
helm_k8s_minor=${helm_cg#v0.}
helm_k8s_minor=${helm_k8s_minor%%.*}
HELM_LDFLAGS="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
HELM_LDFLAGS+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  HELM_LDFLAGS+=" -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$helm_k8s_minor"
done
build_binary helm "$HACK_DIR/helm" helm.sh/helm/v3/cmd/helm "$HELM_VERSION" "$HELM_VERSION" \
  "$HELM_LDFLAGS" \
  -- version --short

if [[ $PRINT_DIR == 1 ]]; then
  echo "$BIN_DIR"
else
  (( SECONDS - start_all > 5 )) && log "total time $(fmt_secs $((SECONDS - start_all)))"
  log "all test binaries are in:"
  echo "$BIN_DIR"
  log "e.g.  export PATH=\"$BIN_DIR:\$PATH\""
fi
