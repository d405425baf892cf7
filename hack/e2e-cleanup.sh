#!/usr/bin/env bash
# Remove what crashed end-to-end runs of the local node (test/e2e/local-node) left behind:
# pod processes, network namespaces (hg<id>-p<n>), veth and bridge links (hgv<id><n>, hgbr<id>)
# and run directories ($TMPDIR/hg-e2e-<id>-*). A run whose owner process is still alive is left
# alone (another test may be using it) unless --force is given. Names without the run prefix are
# never touched.
#
#   hack/e2e-cleanup.sh            clean up dead runs
#   hack/e2e-cleanup.sh --dry-run  only print what would be removed
#   hack/e2e-cleanup.sh --force    also runs whose owner is alive
#   hack/e2e-cleanup.sh --run ID   only run ID (4 hex digits)
set -euo pipefail

DRY=0
FORCE=0
ONLY=''
while [[ $# -gt 0 ]]; do
  arg=$1; shift
  case "$arg" in
    --dry-run) DRY=1 ;;
    --force) FORCE=1 ;;
    --run) ONLY=${1:-}; shift || true
      [[ $ONLY =~ ^[0-9a-f]{4}$ ]] || { echo "e2e-cleanup: --run needs a 4-hex run id" >&2; exit 2; } ;;
    -h|--help) sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "e2e-cleanup: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done

TMP=${TMPDIR:-/tmp}
say() { echo "e2e-cleanup: $*" >&2; }
act() { # <description> <command...>
  local what=$1; shift
  say "$what"
  [[ $DRY == 1 ]] || "$@" || say "  (failed: $*)"
}

# A run id is live when its directory names an owner process that still exists.
live_ids=()
for dir in "$TMP"/hg-e2e-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-*; do
  [[ -d $dir ]] || continue
  id=$(basename "$dir" | cut -d- -f3)
  owner=$(cat "$dir/owner.pid" 2>/dev/null || true)
  if [[ $FORCE == 0 && -n $owner ]] && kill -0 "$owner" 2>/dev/null; then
    live_ids+=("$id")
  fi
done
# "Live" also covers runs outside --run, so that nothing of theirs is touched.
is_live() {
  local id=$1 l
  [[ -n $ONLY && $id != "$ONLY" ]] && return 0
  for l in "${live_ids[@]:-}"; do [[ $l == "$id" ]] && return 0; done
  return 1
}

# Pod processes: their working directory is inside a run directory.
for proc in /proc/[0-9]*; do
  cwd=$(readlink "$proc/cwd" 2>/dev/null || true)
  [[ $cwd =~ ^$TMP/hg-e2e-([0-9a-f]{4})-[^/]+/ ]] || continue
  id=${BASH_REMATCH[1]}
  is_live "$id" && continue
  act "kill pod process ${proc#/proc/} of run $id ($cwd)" kill -KILL "${proc#/proc/}"
done

for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
  [[ $ns =~ ^hg([0-9a-f]{4})-p[0-9]+$ ]] || continue
  is_live "${BASH_REMATCH[1]}" && continue
  act "delete netns $ns" ip netns del "$ns"
done

for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
  if [[ $link =~ ^hgbr([0-9a-f]{4})$ || $link =~ ^hgv([0-9a-f]{4})[0-9]+$ ]]; then
    is_live "${BASH_REMATCH[1]}" && continue
    act "delete link $link" ip link del "$link"
  fi
done

for dir in "$TMP"/hg-e2e-[0-9a-f][0-9a-f][0-9a-f][0-9a-f]-*; do
  [[ -d $dir ]] || continue
  id=$(basename "$dir" | cut -d- -f3)
  is_live "$id" && continue
  # Pods' mount namespaces die with their processes; a mount left on the host is lazily detached.
  { grep -F " $dir/" /proc/mounts || true; } | awk '{print $2}' | sort -r | while read -r m; do
    act "unmount $m" umount -l "$m"
  done
  act "remove $dir" rm -rf "$dir"
done

[[ -n $ONLY ]] && { say "done"; exit 0; }
for f in "$TMP"/hg-e2e-watchdog-*.json; do
  [[ -f $f ]] || continue
  pid=$(basename "$f" .json | sed 's/^hg-e2e-watchdog-//')
  kill -0 "$pid" 2>/dev/null && continue
  act "remove $f" rm -f "$f"
done
say "done"
