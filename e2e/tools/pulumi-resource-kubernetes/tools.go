//go:build tools

// Package tools pins the provider packages that pulumi-resource-kubernetes's main uses;
// build.sh builds the main package itself from a copy with its embed files generated.
package tools

import (
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	_ "github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)
