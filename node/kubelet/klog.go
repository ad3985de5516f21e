package kubelet

import (
	"strconv"

	"github.com/nodesim/nodesim/lease"
	"github.com/nodesim/nodesim/sim"
)

// Source positions of the kubelet's log calls (see the package doc for the release).
type srcPos struct {
	file string
	line int
}

var (
	posAttemptRegister  = srcPos{"kubelet_node_status.go", 72}
	posRegistered       = srcPos{"kubelet_node_status.go", 75}
	posPreviouslyReg    = srcPos{"kubelet_node_status.go", 147}
	posUnableRegister   = srcPos{"kubelet_node_status.go", 108}
	posErrorUpdating    = srcPos{"kubelet_node_status.go", 594}
	posUnableUpdate     = srcPos{"kubelet_node_status.go", 581}
	posFastUpdate       = srcPos{"kubelet_node_status.go", 667}
	posFastUpdateErr    = srcPos{"kubelet_node_status.go", 672}
	posNotReadyInTime   = srcPos{"kubelet_node_status.go", 629}
	posShutdownDetected = srcPos{"nodeshutdown_manager_linux.go", 279}
	posShutdownPod      = srcPos{"nodeshutdown_manager.go", 297}
	posShutdownDone     = srcPos{"nodeshutdown_manager_linux.go", 304}
	posPodAdmitRejected = srcPos{"kubelet.go", 2463}
)

// logLine writes one klog-format line as a quiet KubeletLog record:
//
//	I1102 09:04:12.877102     214 kubelet_node_status.go:72] "Attempting to register node" node="test-worker"
func (k *Kubelet) logLine(sev byte, pos srcPos, msg, err string, kv ...string) {
	tr := k.s.Trace
	if !tr.Wants(true) {
		return
	}
	now := k.s.Now()
	w := k.s.Engine.Wall(now)
	b := make([]byte, 0, 160)
	b = append(b, sev)
	b = appendInt(b, int(w.Month()), 2)
	b = appendInt(b, w.Day(), 2)
	b = append(b, ' ')
	b = appendInt(b, w.Hour(), 2)
	b = append(b, ':')
	b = appendInt(b, w.Minute(), 2)
	b = append(b, ':')
	b = appendInt(b, w.Second(), 2)
	b = append(b, '.')
	b = appendInt(b, w.Nanosecond()/1000, 6)
	b = append(b, ' ')
	pid := strconv.Itoa(k.pid)
	for i := len(pid); i < 7; i++ {
		b = append(b, ' ')
	}
	b = append(b, pid...)
	b = append(b, ' ')
	b = append(b, pos.file...)
	b = append(b, ':')
	b = strconv.AppendInt(b, int64(pos.line), 10)
	b = append(b, "] "...)
	b = strconv.AppendQuote(b, msg)
	if err != "" {
		b = append(b, " err="...)
		b = strconv.AppendQuote(b, err)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		b = append(b, ' ')
		b = append(b, kv[i]...)
		b = append(b, '=')
		b = append(b, kv[i+1]...)
	}
	tr.AddQuiet(now, "KubeletLog", sim.S("node", k.name), sim.S("line", string(b)))
}

// nodeKV is klog's node="name" pair.
func (k *Kubelet) nodeKV() []string { return []string{"node", strconv.Quote(k.name)} }

// leaseLog renders the lease controller's log lines.
func (k *Kubelet) leaseLog(e lease.LogEntry) {
	k.logLine(e.Severity, srcPos{e.File, e.Line}, e.Msg, e.Err, e.KV...)
}

func appendInt(b []byte, v, width int) []byte {
	s := strconv.Itoa(v)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}
