package workload

import "github.com/nodesim/nodesim/apiserver"

// addHandler registers fn on inf: as is on a private informer, and on a shared one
// (which outlives the controller) guarded by live.
func addHandler[T apiserver.Obj[T]](inf *apiserver.Informer[T], shared bool, live func() bool, fn func(apiserver.Event[T])) {
	if shared {
		inf.AddHandlerWhile(live, fn)
		return
	}
	inf.AddHandler(fn)
}
