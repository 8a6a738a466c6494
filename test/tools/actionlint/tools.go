//go:build tools

// Pins actionlint for the workflow checks (scripts/go-tools.sh builds it into .cache/tools/bin).
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
