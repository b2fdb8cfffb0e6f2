//go:build tools

// Package tools pins the CoreDNS command that e2e/build-tools.sh builds: the cluster DNS
// of the real-pods e2e (its kubernetes plugin answers the Services' names).
package tools

import _ "github.com/coredns/coredns"
