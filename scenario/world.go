package scenario

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/eviction"
	"github.com/nodesim/nodesim/node/kubelet"
	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
	"github.com/nodesim/nodesim/workload"
)

// RunOptions change how a scenario runs, not what it describes.
type RunOptions struct {
	// Verbose keeps the quiet trace kinds (lease renewals, status patches, kubelet
	// log lines, failed requests). It implies Exact: renewals must exist to be traced.
	Verbose bool
	// Exact materialises every lease renewal, status report and monitor pass instead
	// of the steady-state shortcut; the (non-verbose) trace is the same.
	Exact bool
	// Seed overrides spec.seed.
	Seed *uint64
	// Until stops the run early (0: the scenario's duration; see StopAtZero).
	Until time.Duration
	// StopAtZero stops the run at virtual time zero, once the events due then have
	// run (Until cannot say so: its zero means the whole duration); Until is ignored.
	StopAtZero bool
	// Sink, when set, receives every record as it is produced.
	Sink func(*sim.Record)
	// NoRetain drops records after the sink saw them (for very long runs); the
	// expectations are then judged on nothing and the Result has no Records.
	NoRetain bool
}

// Clients' request timeouts: the kubelet's heartbeat client uses 10 s
// (pkg/kubelet/kubelet.go); controllers and kubectl have no timeout by default, which
// a partition then turns into a long hang — modelled as 30 s.
const (
	kubeletTimeout    = 10 * time.Second
	controllerTimeout = 30 * time.Second
)

// World is one simulated cluster: the engine, the API server, a kubelet per node,
// the control plane, and the scenario's actions scheduled on the engine.
type World struct {
	Engine *sim.Engine
	Server *apiserver.Server
	Trace  *sim.Trace
	Spec   *spec.Spec

	opts      RunOptions
	version   int // minor version, 31..37
	nodes     map[string]*worldNode
	nodeOrder []string // names in creation order
	operator  *apiserver.Client
	cp        *controlPlane
	// initial is what expectations see before the first record of a cluster that
	// starts out running (see observeInitial); nil for a booting one.
	initial *observed
	// Faults that overlap end with the last of them: partitions holds, per node cut
	// off, the partitions in force (by id; a heal action clears them), outages counts
	// the API-server outages in force.
	partitions  map[string][]int
	partitionID int
	outages     int
}

// worldNode is one machine of the scenario.
type worldNode struct {
	spec    *spec.Node // the scenario's (read only)
	kubelet Kubelet    // nil until built (see World.kubelet)
	resume  kubelet.Resume
	boot    sim.Handle // the kubelet's start at boot, until it happens
}

// Minor returns the minor version of a "1.NN" Kubernetes version string.
func Minor(v string) (int, error) {
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil || major != 1 {
		return 0, fmt.Errorf("kubernetesVersion %q: want 1.31 … 1.37", v)
	}
	return minor, nil
}

// Build creates the world for a scenario at virtual time zero and schedules its
// events; nothing has run yet.
func Build(sc *Scenario, opts RunOptions) (*World, error) {
	sp := &sc.Spec
	minor, err := Minor(sp.KubernetesVersion)
	if err != nil {
		return nil, err
	}
	seed := sp.Seed
	if opts.Seed != nil {
		seed = *opts.Seed
	}
	if opts.Verbose {
		opts.Exact = true
	}
	e := sim.New(sim.WithSeed(seed))
	tr := sim.NewTrace(opts.Verbose)
	tr.Retain = !opts.NoRetain
	if opts.Sink != nil {
		tr.SetSink(opts.Sink)
	}
	cfg := apiserver.DefaultConfig()
	cfg.DefaultNotReadyTolerationSeconds = sp.APIServer.DefaultNotReadyTolerationSeconds
	cfg.DefaultUnreachableTolerationSeconds = sp.APIServer.DefaultUnreachableTolerationSeconds
	cfg.ComparisonOperators = sp.FeatureGates.TaintTolerationComparisonOperators // the scheduler and the DaemonSet controller read it here
	cfg.ClampPastDeletion = minor >= 32
	s := apiserver.New(e, tr, cfg)
	w := &World{Engine: e, Server: s, Trace: tr, Spec: sp, opts: opts, version: minor,
		nodes: map[string]*worldNode{}, operator: s.NewClient("kubectl", controllerTimeout), partitions: map[string][]int{}}
	if w.cp, err = newControlPlane(w); err != nil {
		return nil, err
	}
	if sp.Start == spec.StartRunning {
		if err := w.restore(); err != nil {
			return nil, err
		}
		w.initial = w.observeInitial()
	} else {
		// Objects are applied first (kubectl apply at t=0), then the machines boot.
		if err := w.applyObjects(sp.Objects); err != nil {
			return nil, err
		}
		for i := range sp.Nodes {
			if err := w.addNode(&sp.Nodes[i], true); err != nil {
				return nil, err
			}
		}
	}
	w.cp.start()
	for i := range sp.Events {
		ev := sp.Events[i]
		if _, err := e.At(ev.At, func() { w.do(&ev) }); err != nil {
			return nil, fmt.Errorf("event at %s: %w", ev.At, err)
		}
	}
	return w, nil
}

// addNode creates the node's kubelet. At boot the kubelets start at a random phase
// within the first status period (each node's own stream), so that heartbeats are
// spread as on a real cluster; nodes added later start at once.
func (w *World) addNode(n *spec.Node, boot bool) error {
	if _, dup := w.nodes[n.Name]; dup {
		return fmt.Errorf("node %q already exists", n.Name)
	}
	k, err := newKubelet(w, *n)
	if err != nil {
		return fmt.Errorf("node %q: %w", n.Name, err)
	}
	wn := &worldNode{spec: n, kubelet: k}
	w.nodes[n.Name] = wn
	w.nodeOrder = append(w.nodeOrder, n.Name)
	start := time.Duration(0)
	if boot {
		start = sim.NewRand(w.Engine.Seed(), "boot/"+n.Name).Uniform(0, n.Kubelet.NodeStatusUpdateFrequency)
	}
	wn.boot, err = w.Engine.At(w.Engine.Now()+start, k.Start)
	return err
}

// runningSince is when the objects of a cluster that starts out running were created.
const runningSince = -time.Hour

// adopter is a kubelet that can continue from a running start's Resume point.
type adopter interface {
	Adopt(r kubelet.Resume, nodeEv *apiserver.Event[*apiserver.Node], podEv *apiserver.Event[*apiserver.Pod])
}

// restore builds a cluster that has been running since runningSince: the kubelets'
// Nodes and Leases, the objects (workloads settled as their controllers and the
// scheduler leave them; bare pods bound to a node running there), then the kubelets
// continue. Pods that are not bound are applied at t=0, as in a booting cluster.
//
// In lazy mode a steady kubelet does nothing observable, so none is built: the node
// keeps its Resume point, and its kubelet is built and adopted when something first
// concerns it (World.kubelet) — an action on the node, or a change of its Node or of a
// pod bound to it, caught as the change is delivered (SelectMiss) so that the new
// kubelet receives it through its own watch, as one that had always been there.
// Exact mode builds them all at once; the trace is the same.
func (w *World) restore() error {
	s := w.Server
	lazy := !w.opts.Exact
	s.Nodes.Reserve(len(w.Spec.Nodes))
	s.Leases.Reserve(len(w.Spec.Nodes))
	for i := range w.Spec.Nodes {
		n := &w.Spec.Nodes[i]
		res, err := kubelet.RestoreNode(s, n.Name, kubeletConfig(w, *n), runningSince)
		if err != nil {
			return fmt.Errorf("node %q: %w", n.Name, err)
		}
		w.nodes[n.Name] = &worldNode{spec: n, resume: res}
		w.nodeOrder = append(w.nodeOrder, n.Name)
	}
	var later []spec.Object
	for _, o := range w.Spec.Objects {
		var err error
		switch {
		case o.Pod != nil && o.Pod.Spec.NodeName != "":
			p := convertPod(o.Pod)
			if admit := s.Pods.Hooks.Admit; admit != nil {
				err = admit(p)
			}
			if err == nil {
				p.CreationTimestamp = runningSince
				kubelet.SetRunning(p, true, runningSince)
				_, err = s.Pods.Restore(p)
			}
		case o.Pod != nil:
			later = append(later, o)
		case o.Deployment != nil:
			d := convertDeployment(o.Deployment)
			d.CreationTimestamp = runningSince
			_, err = s.Deployments.Restore(d)
		case o.ReplicaSet != nil:
			rs := convertReplicaSet(o.ReplicaSet)
			rs.CreationTimestamp = runningSince
			_, err = s.ReplicaSets.Restore(rs)
		case o.DaemonSet != nil:
			ds := convertDaemonSet(o.DaemonSet)
			ds.CreationTimestamp = runningSince
			_, err = s.DaemonSets.Restore(ds)
		case o.PDB != nil:
			var pdb *apiserver.PodDisruptionBudget
			if pdb, err = convertPDB(o.PDB); err == nil {
				pdb.CreationTimestamp = runningSince
				_, err = s.PDBs.Restore(pdb)
			}
		}
		if err != nil {
			return fmt.Errorf("%s %s (line %d): %w", o.Kind, o.Key(), o.Line, err)
		}
	}
	if err := workload.Settle(s, workload.SettleConfig{Since: runningSince, Rand: sim.NewRand(w.Engine.Seed(), "settle")}); err != nil {
		return err
	}
	for _, name := range w.nodeOrder {
		if n := w.nodes[name]; !lazy || !n.resume.Steady {
			if _, err := w.build(n, nil, nil); err != nil {
				return err
			}
		}
	}
	if lazy {
		s.Nodes.SelectMiss = func(index, value string, ev apiserver.Event[*apiserver.Node]) {
			if n := w.nodes[value]; index == apiserver.IndexName && n != nil && n.kubelet == nil {
				_, _ = w.build(n, &ev, nil)
			}
		}
		s.Pods.SelectMiss = func(index, value string, ev apiserver.Event[*apiserver.Pod]) {
			if n := w.nodes[value]; index == apiserver.IndexNodeName && n != nil && n.kubelet == nil {
				_, _ = w.build(n, nil, &ev)
			}
		}
	}
	return w.applyObjects(later)
}

// kubelet returns the node's kubelet, building it first if need be.
func (w *World) kubelet(n *worldNode) Kubelet {
	if n.kubelet == nil {
		if _, err := w.build(n, nil, nil); err != nil {
			// the configuration was valid when the node was restored: unreachable
			panic(fmt.Sprintf("node %q: %v", n.spec.Name, err))
		}
	}
	return n.kubelet
}

// build builds the kubelet of a restored node and adopts it at its Resume point; the
// events are the change being delivered, if that is what built it.
func (w *World) build(n *worldNode, nodeEv *apiserver.Event[*apiserver.Node], podEv *apiserver.Event[*apiserver.Pod]) (Kubelet, error) {
	k, err := newKubelet(w, *n.spec)
	if err != nil {
		return nil, fmt.Errorf("node %q: %w", n.spec.Name, err)
	}
	a, ok := k.(adopter)
	if !ok {
		return nil, fmt.Errorf("node %q: its kubelet cannot start out running", n.spec.Name)
	}
	n.kubelet = k
	a.Adopt(n.resume, nodeEv, podEv)
	return k, nil
}

func (w *World) applyObjects(objs []spec.Object) error {
	c := w.operator
	s := w.Server
	for _, o := range objs {
		var err error
		switch {
		case o.Pod != nil:
			_, err = s.Pods.Create(c, convertPod(o.Pod))
		case o.Deployment != nil:
			_, err = s.Deployments.Create(c, convertDeployment(o.Deployment))
		case o.ReplicaSet != nil:
			_, err = s.ReplicaSets.Create(c, convertReplicaSet(o.ReplicaSet))
		case o.DaemonSet != nil:
			_, err = s.DaemonSets.Create(c, convertDaemonSet(o.DaemonSet))
		case o.PDB != nil:
			var pdb *apiserver.PodDisruptionBudget
			if pdb, err = convertPDB(o.PDB); err == nil {
				_, err = s.PDBs.Create(c, pdb)
			}
		}
		if err != nil {
			return fmt.Errorf("%s %s (line %d): %w", o.Kind, o.Key(), o.Line, err)
		}
	}
	return nil
}

// targets resolves an action's target to node names, in name order (Count keeps the
// first N of that order).
func (w *World) targets(t spec.Target) []string {
	var names []string
	switch {
	case t.Node != "":
		names = []string{t.Node}
	case len(t.Nodes) > 0:
		names = append(names, t.Nodes...)
	default:
		for _, name := range w.nodeOrder {
			n := w.nodes[name].spec
			if t.Zone != "" && n.Zone == t.Zone {
				names = append(names, name)
			} else if t.Selector != nil && selects(t.Selector, n.Labels) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	if t.Count > 0 && t.Count < len(names) {
		names = names[:t.Count]
	}
	return names
}

func (w *World) traceAction(ev *spec.Event, names []string) {
	attrs := []sim.Attr{sim.S("action", string(ev.Action))}
	switch {
	case ev.Action.TakesTarget() && ev.Target.Node != "":
		attrs = append(attrs, sim.S("target", ev.Target.Node))
	case ev.Action.TakesTarget():
		attrs = append(attrs, sim.S("target", ev.Target.String()), sim.S("nodes", strings.Join(names, ",")))
	case ev.Action == spec.ActionScale:
		attrs = append(attrs, sim.S("target", ev.Scale.Kind+"/"+ev.Scale.Namespace+"/"+ev.Scale.Name), sim.I("replicas", int64(ev.Scale.Replicas)))
	case ev.Action == spec.ActionAddNodes:
		var added []string
		for _, n := range ev.AddNodes {
			added = append(added, n.Name)
		}
		attrs = append(attrs, sim.S("target", strings.Join(added, ",")))
	default:
		attrs = append(attrs, sim.S("target", ""))
	}
	if ev.For > 0 {
		attrs = append(attrs, sim.S("for", ev.For.String()))
	}
	w.Trace.Add(w.Engine.Now(), "Action", attrs...)
}

// do carries out one action.
func (w *World) do(ev *spec.Event) {
	var names []string
	if ev.Action.TakesTarget() {
		names = w.targets(ev.Target)
	}
	w.traceAction(ev, names)
	now := w.Engine.Now()
	// failed traces an action that could not be carried out (on node name, if any).
	failed := func(name string, err error) {
		if name == "" {
			w.Trace.Add(now, "ActionFailed", sim.S("action", string(ev.Action)), sim.S("error", err.Error()))
			return
		}
		w.Trace.Add(now, "ActionFailed", sim.S("action", string(ev.Action)), sim.S("node", name), sim.S("error", err.Error()))
	}
	// each runs fn on the kubelet of every target node, tracing its failures; a node
	// named before the addNodes event that adds its machine has nothing to act on.
	each := func(fn func(k Kubelet) error) {
		for _, name := range names {
			n, ok := w.nodes[name]
			if !ok {
				failed(name, errNoMachineYet)
				continue
			}
			if err := fn(w.kubelet(n)); err != nil {
				failed(name, err)
			}
		}
	}
	switch ev.Action {
	case spec.ActionStopKubelet, spec.ActionStartKubelet, spec.ActionRestartKubelet,
		spec.ActionPowerOff, spec.ActionPowerOn, spec.ActionShutdown:
		// An action on the kubelet process or the machine before the node's boot
		// instant decides its state: the boot does not start the kubelet afterwards.
		for _, name := range names {
			if n, ok := w.nodes[name]; ok {
				n.boot.Cancel()
			}
		}
	}
	switch ev.Action {
	case spec.ActionStopKubelet:
		each(func(k Kubelet) error { k.Unsteady(); k.Stop(); return nil })
	case spec.ActionStartKubelet, spec.ActionRestartKubelet:
		each(func(k Kubelet) error {
			if k.PoweredOff() { // systemctl needs a machine that is up
				return errPoweredOff
			}
			if ev.Action == spec.ActionStartKubelet {
				k.Start()
			} else {
				k.Unsteady()
				k.Restart()
			}
			return nil
		})
	case spec.ActionPowerOff:
		each(func(k Kubelet) error { k.Unsteady(); k.PowerOff(); return nil })
	case spec.ActionPowerOn:
		each(func(k Kubelet) error { k.PowerOn(); return nil })
	case spec.ActionPartition:
		w.partitionID++
		id := w.partitionID
		each(func(k Kubelet) error { k.Unsteady(); k.Client().SetPartitioned(true); return nil })
		for _, name := range names {
			if _, ok := w.nodes[name]; ok {
				w.partitions[name] = append(w.partitions[name], id)
			}
		}
		if ev.For > 0 {
			_, _ = w.Engine.At(now+ev.For, func() {
				// a node another partition still covers stays cut off until that one ends
				var healed []string
				for _, name := range names {
					ids := w.partitions[name]
					i := slices.Index(ids, id)
					if i < 0 {
						continue // healed already (a heal action)
					}
					if ids = slices.Delete(ids, i, i+1); len(ids) > 0 {
						w.partitions[name] = ids
						continue
					}
					delete(w.partitions, name)
					healed = append(healed, name)
				}
				// the target as the partition's own Action record gave it
				target := ev.Target.String()
				if ev.Target.Node != "" {
					target = ev.Target.Node
				}
				w.Trace.Add(w.Engine.Now(), "Action", sim.S("action", "heal"), sim.S("target", target), sim.S("nodes", strings.Join(healed, ",")))
				for _, name := range healed {
					w.kubelet(w.nodes[name]).Client().SetPartitioned(false)
				}
			})
		}
	case spec.ActionHeal:
		for _, name := range names {
			delete(w.partitions, name) // every partition of the node ends
		}
		each(func(k Kubelet) error { k.Client().SetPartitioned(false); return nil })
	case spec.ActionAPIServerOutage:
		for _, name := range w.nodeOrder {
			w.kubelet(w.nodes[name]).Unsteady()
		}
		w.outages++
		w.Server.SetOutage(true)
		_, _ = w.Engine.At(now+ev.For, func() {
			// overlapping outages: the server is back when the last one ends
			if w.outages--; w.outages > 0 {
				return
			}
			w.Trace.Add(w.Engine.Now(), "Action", sim.S("action", "apiServerRecovered"), sim.S("target", ""))
			w.Server.SetOutage(false)
		})
	case spec.ActionSetCondition:
		// the loader refuses what these cannot read; a spec built in Go fails here,
		// as the kubelet's own check would fail it (ActionFailed)
		c := ev.Condition
		status, serr := apiserver.ParseConditionStatus(c.Status)
		typ, terr := apiserver.ParseNodeConditionType(c.Type)
		each(func(k Kubelet) error {
			k.Unsteady()
			if serr != nil {
				return serr
			}
			if terr != nil {
				return terr
			}
			return k.SetCondition(typ, status, c.Reason, c.Message)
		})
	case spec.ActionDeleteNode:
		for _, name := range names {
			if n, ok := w.nodes[name]; ok {
				w.kubelet(n).Unsteady()
			}
			// kubectl delete node: NotFound for a node deleted already, or one an addNodes
			// event adds later
			if err := w.Server.Nodes.Delete(w.operator, name, apiserver.DeleteOptions{}); err != nil {
				failed(name, err)
			}
		}
	case spec.ActionCordon, spec.ActionUncordon:
		for _, name := range names {
			w.cordon(name, ev.Action == spec.ActionCordon)
		}
	case spec.ActionDrain:
		w.drainInTurn(names, ev.Drain)
	case spec.ActionShutdown:
		each(func(k Kubelet) error { k.Unsteady(); return k.Shutdown() })
	case spec.ActionTaint, spec.ActionUntaint:
		for _, name := range names {
			if err := w.taint(name, ev.Taint, ev.Action == spec.ActionTaint); err != nil {
				failed(name, err)
			}
		}
	case spec.ActionAddNodes:
		for i := range ev.AddNodes {
			if err := w.addNode(&ev.AddNodes[i], false); err != nil {
				failed("", err)
			}
		}
	case spec.ActionScale:
		if err := w.scale(ev.Scale); err != nil {
			failed("", err)
		}
	case spec.ActionFailoverControllerManager:
		w.cp.failover()
	}
}

// errPoweredOff fails a kubelet start on a machine that is off.
var errPoweredOff = errors.New("the machine is powered off (powerOn starts it)")

// errNoMachineYet fails an action on a node whose machine an addNodes event adds
// later (the loader accepts only names of the file's nodes and addNodes entries).
var errNoMachineYet = errors.New("the machine does not exist yet (an addNodes event adds it later)")

// unsteady brings the kubelet of name (if the scenario has its machine) out of steady
// mode before an operator's write to its Node that may put the Node's NoSchedule taints
// out of line with its spec (cordon, uncordon, a taint removed or added by hand). It was
// what kept lazy = exact when the node lifecycle controller's NoSchedule swap that
// follows failed (its worker does not retry; the kubelet's next status report does).
// The controller's failed-swap hook now covers every failure (worldKubelets,
// kubelet.Kubelet.SwapFailed), so this is belt and braces: it keeps the kubelet's
// reports real from the operator's write on, which no trace can tell from steady mode,
// and it costs one Unsteady per operator write. Removing it needs the lazy = exact
// properties run again at their high counts.
func (w *World) unsteady(name string) {
	if n, ok := w.nodes[name]; ok {
		w.kubelet(n).Unsteady()
	}
}

func (w *World) cordon(name string, on bool) {
	w.unsteady(name)
	var err error
	if on {
		err = eviction.Cordon(w.Server, w.operator, name)
	} else {
		err = eviction.Uncordon(w.Server, w.operator, name)
	}
	if err != nil {
		w.Trace.Add(w.Engine.Now(), "ActionFailed", sim.S("node", name), sim.S("error", err.Error()))
	}
}

// drainInTurn runs kubectl drain NODE... --ignore-daemonsets --delete-emptydir-data
// --force: as kubectl's RunDrain, it cordons every node first, then drains them one
// after the other, in name order, each with its own timeout, going on to the next
// when one fails (pkg/cmd/drain/drain.go: "continuing command...").
func (w *World) drainInTurn(names []string, d spec.Drain) {
	opts := eviction.DrainOptions{Timeout: d.Timeout}
	if d.GracePeriod != nil {
		g := int64(*d.GracePeriod / time.Second)
		opts.GracePeriodSeconds = &g
	}
	if len(names) > 1 {
		for _, name := range names {
			// a node that cannot be cordoned fails its own drain in its turn
			w.unsteady(name)
			_ = eviction.Cordon(w.Server, w.operator, name)
		}
	}
	var next func(i int)
	next = func(i int) {
		if i == len(names) {
			return
		}
		w.unsteady(names[i]) // Drain cordons it
		if _, err := eviction.Drain(w.Server, w.operator, names[i], opts, func(error) { next(i + 1) }); err != nil {
			w.Trace.Add(w.Engine.Now(), "ActionFailed", sim.S("action", "drain"), sim.S("node", names[i]), sim.S("error", err.Error()))
			next(i + 1)
		}
	}
	next(0)
}

// taint adds or removes a taint as `kubectl taint` does. An added NoExecute taint gets
// its timeAdded from the API server's clock.
// taint is kubectl taint NODE KEY[=VALUE]:EFFECT --overwrite, or KEY[:EFFECT]- to
// remove, which fails when the node has no such taint.
func (w *World) taint(name string, t spec.Taint, add bool) error {
	w.unsteady(name)
	now := w.Engine.Now()
	_, err := w.Server.Nodes.Patch(w.operator, name, func(n *apiserver.Node) error {
		if add {
			nt := taint.Taint{Key: t.Key, Value: t.Value, Effect: taint.Effect(t.Effect)}
			if nt.Effect == taint.NoExecute {
				nt.TimeAdded = now
			}
			for i, x := range n.Taints {
				if x.MatchTaint(nt) {
					n.Taints[i] = nt
					return nil
				}
			}
			n.Taints = append(n.Taints, nt)
			return nil
		}
		kept := n.Taints[:0]
		for _, x := range n.Taints {
			if x.Key == t.Key && (t.Effect == "" || string(x.Effect) == t.Effect) {
				continue
			}
			kept = append(kept, x)
		}
		if len(kept) == len(n.Taints) {
			return fmt.Errorf("taint %q not found", t.String())
		}
		n.Taints = kept
		return nil
	})
	return err
}

func (w *World) scale(sc spec.Scale) error {
	key := sc.Namespace + "/" + sc.Name
	var err error
	switch sc.Kind {
	case "Deployment":
		_, err = w.Server.Deployments.Patch(w.operator, key, func(d *apiserver.Deployment) error { d.Replicas = sc.Replicas; return nil })
	case "ReplicaSet":
		_, err = w.Server.ReplicaSets.Patch(w.operator, key, func(r *apiserver.ReplicaSet) error { r.Replicas = sc.Replicas; return nil })
	}
	return err
}

// Configz returns the node's effective KubeletConfiguration as JSON.
func (w *World) Configz(node string) ([]byte, error) {
	n, ok := w.nodes[node]
	if !ok {
		return nil, fmt.Errorf("no node %q in this scenario", node)
	}
	return w.kubelet(n).Configz(), nil
}

// Run builds the world and runs it to the end (or opts.Until, or time zero with
// opts.StopAtZero), then judges the expectations against the trace.
func Run(sc *Scenario, opts RunOptions) (*Result, error) {
	w, err := Build(sc, opts)
	if err != nil {
		return nil, err
	}
	end := sc.Spec.Duration
	switch {
	case opts.StopAtZero:
		end = 0
	case opts.Until > 0 && opts.Until < end:
		end = opts.Until
	}
	if err := w.Engine.RunUntil(end); err != nil {
		return nil, err
	}
	res := &Result{Scenario: sc, Seed: w.Engine.Seed(), End: end, Trace: w.Trace, World: w}
	res.Expectations = evaluate(w.initial, res.All(), sc.Spec.Expect)
	return res, nil
}

// selects reports whether a target's label selector matches a node spec's labels
// (every pair of sel, as apiserver.LabelSelector.Matches on a node's labels).
func selects(sel, labels map[string]string) bool {
	for k, v := range sel {
		if got, ok := labels[k]; !ok || got != v {
			return false
		}
	}
	return true
}
