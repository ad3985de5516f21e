package scenario

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// HumanDuration renders an age as kubectl does
// (k8s.io/apimachinery/pkg/util/duration.HumanDuration): "45s", "2m30s", "10m", "3h5m".
func HumanDuration(d time.Duration) string {
	if d < -time.Second {
		return "<invalid>"
	}
	if d < 0 {
		return "0s"
	}
	s := int64(d / time.Second)
	if s < 120 {
		return fmt.Sprintf("%ds", s)
	}
	m := s / 60
	if m < 10 {
		if s%60 == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, s%60)
	}
	if m < 180 {
		return fmt.Sprintf("%dm", m)
	}
	h := m / 60
	if h < 8 {
		if m%60 == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m%60)
	}
	if h < 48 {
		return fmt.Sprintf("%dh", h)
	}
	if h < 24*8 {
		if h%24 == 0 {
			return fmt.Sprintf("%dd", h/24)
		}
		return fmt.Sprintf("%dd%dh", h/24, h%24)
	}
	if h < 24*365*2 {
		return fmt.Sprintf("%dd", h/24)
	}
	return fmt.Sprintf("%dy", h/24/365)
}

// NodeStatus is the STATUS column of kubectl get nodes: Ready, NotReady (a Ready
// condition that is False or Unknown) or Unknown (no Ready condition), with
// ",SchedulingDisabled" for a cordoned node.
func NodeStatus(n *apiserver.Node) string {
	var st string
	switch n.ReadyStatus() {
	case apiserver.ConditionTrue:
		st = "Ready"
	case apiserver.ConditionStatusNone:
		st = "Unknown"
	default:
		st = "NotReady"
	}
	if n.Unschedulable {
		st += ",SchedulingDisabled"
	}
	return st
}

// NodeRoles is the ROLES column: the node-role.kubernetes.io/ROLE labels, or <none>.
func NodeRoles(n *apiserver.Node) string {
	var roles []string
	for k := range n.Labels.All() {
		if r, ok := strings.CutPrefix(k, "node-role.kubernetes.io/"); ok && r != "" {
			roles = append(roles, r)
		}
	}
	if len(roles) == 0 {
		return "<none>"
	}
	sort.Strings(roles)
	return strings.Join(roles, ",")
}

// WriteNodes prints the nodes as `kubectl get nodes` does at virtual time now.
func WriteNodes(w io.Writer, s *apiserver.Server, now time.Duration, version string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tROLES\tAGE\tVERSION")
	s.Nodes.Each(func(n *apiserver.Node) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", n.Name, NodeStatus(n), NodeRoles(n), HumanDuration(now-n.CreationTimestamp), version)
	})
	return tw.Flush()
}

// PodStatus is the STATUS column of kubectl get pods: Terminating for a pod with a
// deletion timestamp, the status reason if any (e.g. Terminated, NodeShutdown), else
// the phase.
func PodStatus(p *apiserver.Pod) string {
	switch {
	case p.Deleting:
		return "Terminating"
	case p.Reason != "":
		return p.Reason
	}
	return string(p.Phase)
}

// WritePods prints the pods as `kubectl get pods -A -o wide` does at virtual time now.
func WritePods(w io.Writer, s *apiserver.Server, now time.Duration) error {
	tw := tabwriter.NewWriter(w, 0, 8, 3, ' ', 0)
	fmt.Fprintln(tw, "NAMESPACE\tNAME\tREADY\tSTATUS\tRESTARTS\tAGE\tIP\tNODE\tNOMINATED NODE\tREADINESS GATES")
	s.Pods.Each(func(p *apiserver.Pod) {
		ready := "0/1"
		if p.IsReady() {
			ready = "1/1"
		}
		node, ip := p.NodeName, "<none>"
		if node == "" {
			node = "<none>"
		} else if p.Phase == apiserver.PodRunning {
			ip = fmt.Sprintf("10.244.%d.%d", p.UID/250%250, p.UID%250+2)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t<none>\t<none>\n", p.Namespace, p.Name, ready, PodStatus(p), 0, HumanDuration(now-p.CreationTimestamp), ip, node)
	})
	return tw.Flush()
}
