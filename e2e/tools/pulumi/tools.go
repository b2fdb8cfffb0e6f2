//go:build tools

// Package tools pins the pulumi command that e2e/build-tools.sh builds.
package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
