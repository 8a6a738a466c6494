#!/usr/bin/env bash
# Builds the Go tools the workflow tests use as referees, pinned in test/tools/*/go.mod, into .cache/tools/bin:
#   actionlint  (github.com/rhysd/actionlint)  lints every workflow
#   act         (github.com/nektos/act)        runs the reusable workflows end to end against the sandbox
#   helm        (helm.sh/helm/v3)              the binary the runner has: rollback-service `on-managed: helm` runs it
# Usage: scripts/go-tools.sh [actionlint|act|helm]...   (no argument: all). Prints the path of the bin folder last.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.cache/tools/bin
mkdir -p "$BIN"
command -v go >/dev/null 2>&1 || { echo "error: Go is not installed: install Go 1.26 to build the workflow tools" >&2; exit 1; }
build() {
  local name=$1 pkg=$2 version
  version=$(cd "test/tools/$name" && go list -m -f '{{.Version}}' "${pkg%%/cmd/*}")
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/$name.version" 2>/dev/null)" = "$version" ]; then return; fi
  echo "go-tools: building $name $version (first time only)" >&2
  local started=$SECONDS
  (cd "test/tools/$name" && GOFLAGS=-mod=mod go build -trimpath -o "$BIN/$name" -ldflags "-X main.version=$version" "$pkg")
  echo "$version" > "$BIN/$name.version"
  echo "go-tools: $name built in $((SECONDS - started))s" >&2
}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(actionlint act helm)
for target in "${targets[@]}"; do
  case $target in
    actionlint) build actionlint github.com/rhysd/actionlint/cmd/actionlint ;;
    act) build act github.com/nektos/act ;;
    helm) build helm helm.sh/helm/v3/cmd/helm ;;
    *) echo "error: unknown tool $target (actionlint, act or helm)" >&2; exit 2 ;;
  esac
done
echo "$BIN"
