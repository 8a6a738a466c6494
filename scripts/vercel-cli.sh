#!/usr/bin/env bash
# The real Vercel CLI, pinned, installed once into an ignored cache folder: the referee the Vercel
# emulator is held to (test/e2e/vercel-cli.test.ts). Prints the path of the `vercel` binary last.
set -euo pipefail
VERSION=58.10.0
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PREFIX="$ROOT/.cache/vercel-cli/$VERSION"
BIN="$PREFIX/node_modules/.bin/vercel"
if [ ! -x "$BIN" ]; then
  echo "installing the Vercel CLI $VERSION into $PREFIX (once; about a minute)" >&2
  mkdir -p "$PREFIX"
  started=$(date +%s)
  npm install --prefix "$PREFIX" --no-save --no-audit --no-fund --loglevel=error "vercel@$VERSION" >&2
  echo "installed in $(( $(date +%s) - started ))s" >&2
fi
echo "$BIN"
