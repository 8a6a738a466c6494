//go:build tools

// Pins nektos/act, the workflow engine the workflow tests run (scripts/go-tools.sh builds it into .cache/tools/bin).
package tools

import _ "github.com/nektos/act"
