// Command etcd is etcd's own server entry point (etcdmain.Main, as in etcd's main.go),
// built from the published go.etcd.io/etcd/server/v3 module for e2e/run.sh.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
