// pause is the pod sandbox's process for the real-pods e2e (containerd's sandbox_image):
// it holds the pod's namespaces and waits for a signal (pods here do not share a PID
// namespace, so it has no children to reap). The usual pause image comes from
// a registry, which this project never pulls from.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
