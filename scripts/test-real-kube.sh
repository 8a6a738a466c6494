#!/usr/bin/env bash
# npm run test:real-kube: start the real control plane (building it the first time), run the shared
# scenarios against it, stop it. Where Go is missing, real-kube.sh stops at once saying what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
# Helm (the binary a runner has), built from its Go module: the Helm-managed rollback runs it against this control plane
KEIKO_TOOLS_BIN=$(bash scripts/go-tools.sh helm | tail -n 1)
export KEIKO_TOOLS_BIN
kubeconfig=$(bash scripts/real-kube.sh start | tail -n 1)
trap 'bash scripts/real-kube.sh stop' EXIT
KEIKO_REAL_KUBECONFIG=$kubeconfig vitest run --config vitest.real-kube.config.ts "$@"
