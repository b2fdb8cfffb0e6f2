//go:build tools

// Package tools pins the kwok command that e2e/build-tools.sh builds.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
