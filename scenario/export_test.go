package scenario

import "github.com/nodesim/nodesim/apiserver"

// ControllerManagerClient is the API client of kube-controller-manager's instance i,
// for tests that partition the node lifecycle controller's own client (a fault no
// scenario file can express).
func ControllerManagerClient(w *World, i int) *apiserver.Client { return w.cp.kcm.Client(i) }
