// Command etcd is the upstream etcd server (go.etcd.io/etcd/server/v3/etcdmain),
// built from a pinned module version for Hybridgate's integration tests.
// Upstream's own server/main.go is exactly this one call.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
