//go:build tools

// Pins Helm, whose binary the runner has: the Helm-managed rollback tests run it (scripts/go-tools.sh builds it into .cache/tools/bin).
package tools

import _ "helm.sh/helm/v3/cmd/helm"
