#!/usr/bin/env bash
# The test command (npm test). It makes sure every real part the tests talk to is here —
# installing or starting it when it can (as root, with Debian's packages), or stopping at once
# with the exact command to run. It never skips a test silently.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { [ "$(id -u)" = 0 ]; }
need() { echo "error: $1 is not available. Run: $2" >&2; exit 1; }

missing_pkgs=()
command -v alembic >/dev/null 2>&1 || missing_pkgs+=(alembic)
/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || missing_pkgs+=(python3-psycopg2)
# the official Kubernetes Python client, a second real client of the emulator's watch
/usr/bin/python3 -c 'import kubernetes' >/dev/null 2>&1 || missing_pkgs+=(python3-kubernetes)
command -v prometheus >/dev/null 2>&1 || missing_pkgs+=(prometheus)
for tool in pg_dump pg_restore psql pg_isready redis-cli; do
  command -v "$tool" >/dev/null 2>&1 || missing_pkgs+=("$( [ "$tool" = redis-cli ] && echo redis-tools || echo postgresql-client )")
done
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  cmd="apt-get update && apt-get install -y ${missing_pkgs[*]}"
  if as_root; then
    echo "installing ${missing_pkgs[*]} (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null
  else
    need "${missing_pkgs[*]}" "sudo $cmd"
  fi
fi
command -v kubectl >/dev/null 2>&1 || need kubectl "install kubectl v1.32 (https://kubernetes.io/docs/tasks/tools/)"

if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  start_pg="pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql 2>/dev/null | head -n1) main start"
  as_root || need "PostgreSQL on 127.0.0.1:5432" "sudo $start_pg"
  echo "starting PostgreSQL: $start_pg"
  $start_pg
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || need "PostgreSQL on 127.0.0.1:5432" "sudo $start_pg"
fi
if [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null || true)" != PONG ]; then
  start_redis=(redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log)
  as_root || need "Redis on 127.0.0.1:6379" "sudo ${start_redis[*]}"
  echo "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis
  "${start_redis[@]}"
  for _ in $(seq 1 30); do [ "$(redis-cli -h 127.0.0.1 ping 2>/dev/null || true)" = PONG ] && break; sleep 0.5; done
fi

# the tests run the built bundles the way the runner does: never against a dist/ older than src/
built="$(cat dist/source-hash.txt 2>/dev/null || true)"
# npm run build:dev marks its hash dev: — fine for the inner loop, never for CI (only a production build is committed)
if [ "${CI:-}" != true ]; then built="${built#dev:}"; fi
if [ ! -f dist/main/index.js ] || [ "$built" != "$(node scripts/source-hash.mjs)" ]; then
  if [ "${CI:-}" = true ]; then need "a dist/ built from this source (dist/source-hash.txt differs)" "npm run build, and commit dist/"; fi
  echo "dist/ is older than the source (or missing): running npm run build first"
  npm run build
fi
# lint and format (Biome, biome.jsonc): the layers of the layout are import rules there too
npx biome check --reporter=summary >/dev/null || { npx biome check; need "lint-clean sources" "npm run format (formatting), then fix what npm run lint still names"; }

# the Go-built referees of the workflow tests (actionlint, nektos/act), pinned in test/tools; cached in .cache/tools
command -v go >/dev/null 2>&1 || need Go "install Go 1.26 (https://go.dev/dl/): actionlint and act are built from Go modules"
KEIKO_TOOLS_BIN=$(bash scripts/go-tools.sh actionlint act | tail -n 1)
export KEIKO_TOOLS_BIN
exec vitest run "$@"
