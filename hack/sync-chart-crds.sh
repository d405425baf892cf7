#!/usr/bin/env bash
# Keep the Helm chart's CRDs identical to the top-level crds/ (the source of truth).
#
#   hack/sync-chart-crds.sh          copy crds/*.yaml into charts/hybridgate/crds/ (and drop stale ones)
#   hack/sync-chart-crds.sh --check  change nothing; exit 1 and name the files that differ
#
# Only the top-level crds/*.yaml whose kind is CustomResourceDefinition are copied: helm installs
# every file in a chart's crds/ as a CRD, so crds/kustomization.yaml (for kustomize) and
# crds/third-party/ (schemas for the code) must stay out.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SRC=$ROOT/crds
DEST=$ROOT/charts/hybridgate/crds

CHECK=0
for arg in "$@"; do
  case "$arg" in
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sync-chart-crds: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

shopt -s nullglob
sources=()
for f in "$SRC"/*.yaml; do
  grep -q '^kind: CustomResourceDefinition$' "$f" && sources+=("$f")
done
[[ ${#sources[@]} -gt 0 ]] || { echo "sync-chart-crds: no CRDs in $SRC" >&2; exit 1; }

drift=()
for src in "${sources[@]}"; do
  name=$(basename "$src")
  if ! cmp -s "$src" "$DEST/$name"; then
    drift+=("$name (differs from crds/$name or is missing)")
    [[ $CHECK == 1 ]] || { mkdir -p "$DEST"; cp "$src" "$DEST/$name"; }
  fi
done
for dest in "$DEST"/*; do
  name=$(basename "$dest")
  if [[ ! -f $SRC/$name ]] || ! grep -q '^kind: CustomResourceDefinition$' "$SRC/$name"; then
    drift+=("$name (not in crds/)")
    [[ $CHECK == 1 ]] || rm -f "$dest"
  fi
done

if [[ ${#drift[@]} -eq 0 ]]; then
  echo "sync-chart-crds: charts/hybridgate/crds matches crds/" >&2
  exit 0
fi
if [[ $CHECK == 1 ]]; then
  echo "sync-chart-crds: charts/hybridgate/crds has drifted from crds/ (run hack/sync-chart-crds.sh):" >&2
  printf '  %s\n' "${drift[@]}" >&2
  exit 1
fi
printf 'sync-chart-crds: updated %s\n' "${drift[@]}" >&2
