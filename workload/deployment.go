package workload

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"time"

	"github.com/nodesim/nodesim/apiserver"
)

// LabelPodTemplateHash is the label the Deployment controller adds to the
// ReplicaSets it owns and to their pods (apps/v1 DefaultDeploymentUniqueLabelKey).
const LabelPodTemplateHash = "pod-template-hash"

// DeploymentConfig configures the Deployment controller.
type DeploymentConfig struct {
	// WatchLatency is how long after a change its informers see it.
	WatchLatency time.Duration
	// Informers, when set and serving the controller's client and WatchLatency, is the
	// shared informer factory of the controller's process: the controller takes its
	// informers from it and does not stop them (nil: informers of its own).
	Informers *apiserver.Informers
}

// DeploymentController gives each Deployment one ReplicaSet "<deployment>-<hash>"
// with the Deployment's replicas and minReadySeconds, and reports the ready and
// available replicas of its ReplicaSets back (replica control of
// pkg/controller/deployment; rollouts are not modelled).
type DeploymentController struct {
	s     *apiserver.Server
	c     *apiserver.Client
	cfg   DeploymentConfig
	dInf  *apiserver.Informer[*apiserver.Deployment]
	rsInf *apiserver.Informer[*apiserver.ReplicaSet]
	// shared: the informers are the factory's (see the config's Informers); run numbers
	// the Starts, so that handlers left on a shared informer by an earlier run do nothing
	shared bool
	run    uint64
	q      *workQueue
	// created remembers ReplicaSets this controller created that its informer has
	// not shown yet, so that a second sync does not create them again.
	created map[string]bool
	started bool
	uids    uidStrings
	// hashes remembers, per Deployment key, the template its current ReplicaSet's
	// name was computed for: a Deployment is synced on every change of its
	// ReplicaSets' readiness (once per node as a healed zone's kubelets put their
	// pods right), and its stored versions share the template (a status write copies
	// the struct alone), so the hash is computed once per template.
	hashes map[string]templateHash
	older  []*apiserver.ReplicaSet // scratch: a sync's ReplicaSets of older templates
}

// templateHash is the names PodTemplateHash gives for a template.
type templateHash struct {
	templateID
	hash  string
	name  string // the current ReplicaSet's name
	rsKey string // and key
}

// templateID is a stored template's identity: its labels set and pod spec (held, so
// that their addresses are not reused) and the node name, a field of the template's
// pod itself. Stored objects are never changed in place, and a workload's status
// write shares the template (ReplicaSet.StatusCopy), so the versions of one object
// with the same identity have the same template; a template written anew (new
// labels or spec) is compared as a new one.
type templateID struct {
	labels   apiserver.Labels
	spec     *apiserver.PodSpec
	nodeName string
}

func idOf(t *apiserver.PodTemplate) templateID {
	return templateID{labels: t.Labels, spec: t.Spec.PodSpec, nodeName: t.Spec.NodeName}
}

// same reports whether t is the template id was taken from.
func (id *templateID) same(t *apiserver.PodTemplate) bool {
	return id.spec == t.Spec.PodSpec && id.nodeName == t.Spec.NodeName &&
		id.labels.Same(t.Labels)
}

// currentName returns the hash of d's template and the name and key of its
// ReplicaSet.
func (dc *DeploymentController) currentName(key string, d *apiserver.Deployment) (hash, name, rsKey string) {
	if h, ok := dc.hashes[key]; ok && h.same(&d.Template) {
		return h.hash, h.name, h.rsKey
	}
	hash = PodTemplateHash(&d.Template)
	name = d.Name + "-" + hash
	rsKey = nsKey(d.Namespace, name)
	dc.hashes[key] = templateHash{templateID: idOf(&d.Template), hash: hash, name: name, rsKey: rsKey}
	return hash, name, rsKey
}

// NewDeploymentController builds a stopped Deployment controller.
func NewDeploymentController(s *apiserver.Server, c *apiserver.Client, cfg DeploymentConfig) (*DeploymentController, error) {
	if s == nil || c == nil {
		return nil, fmt.Errorf("workload: NewDeploymentController needs a server and a client")
	}
	if cfg.WatchLatency < 0 {
		return nil, fmt.Errorf("workload: DeploymentConfig.WatchLatency %v is negative; it must be zero or positive", cfg.WatchLatency)
	}
	return &DeploymentController{s: s, c: c, cfg: cfg, created: map[string]bool{}, hashes: map[string]templateHash{}}, nil
}

// Start lists and watches Deployments and ReplicaSets and syncs every Deployment.
func (dc *DeploymentController) Start() {
	if dc.started {
		return
	}
	dc.started = true
	dc.q = newWorkQueue(dc.s.Engine, dc.sync)
	f, lat := dc.cfg.Informers, dc.cfg.WatchLatency
	dc.dInf, dc.shared = apiserver.InformerFor(f, dc.s.Deployments, dc.c, lat)
	dc.rsInf, _ = apiserver.InformerFor(f, dc.s.ReplicaSets, dc.c, lat)
	dc.rsInf.AddIndex(indexOwner, func(r *apiserver.ReplicaSet) string { return dc.uids.ownerIndexValue(&r.ObjectMeta) })
	dc.run++
	run := dc.run
	live := func() bool { return dc.started && dc.run == run }
	dc.dInf.AddComponentHandler(dc.shared, live, func(ev apiserver.Event[*apiserver.Deployment]) { dc.q.add(ev.New.Key()) })
	dc.rsInf.AddComponentHandler(dc.shared, live, func(ev apiserver.Event[*apiserver.ReplicaSet]) {
		rs := ev.New
		delete(dc.created, rs.Key())
		if ref, ok := rs.ControllerRef(); ok && ref.Kind == KindDeployment {
			dc.q.add(nsKey(rs.Namespace, ref.Name))
		}
	})
	for _, k := range dc.dInf.Keys() {
		dc.q.add(k)
	}
}

// Stop ends the watches and cancels every timer.
func (dc *DeploymentController) Stop() {
	if !dc.started {
		return
	}
	dc.started = false
	dc.q.stop()
	if !dc.shared {
		dc.dInf.Stop()
		dc.rsInf.Stop()
	}
}

func nsKey(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// PodTemplateHash is the value of the pod-template-hash label for a template: an
// FNV-32a hash of the template, rendered as upstream renders it (the decimal hash
// with every digit mapped into the safe alphabet, rand.SafeEncodeString). The input
// serialisation is nodesim's own, so values differ from a real cluster's.
func PodTemplateHash(t *apiserver.PodTemplate) string {
	h := fnv.New32a()
	w := func(s string) { _, _ = h.Write([]byte(s)); _, _ = h.Write([]byte{0}) }
	for k, v := range t.Labels.All() { // in key order
		w(k)
		w(v)
	}
	var keys []string
	sp := &t.Spec
	w(sp.NodeName)
	for _, tol := range sp.Tolerations {
		w(tol.String())
	}
	keys = keys[:0]
	for k := range sp.NodeSelector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		w(k)
		w(sp.NodeSelector[k])
	}
	for _, term := range sp.RequiredNodeAffinity {
		w("term")
		for _, r := range term.MatchExpressions {
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
		for _, r := range term.MatchFields { // written only when present: hashes of other templates stay
			w("field")
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
	}
	for _, pt := range sp.PreferredNodeAffinity { // written only when present: hashes of other templates stay
		w("preferred")
		w(strconv.Itoa(int(pt.Weight)))
		for _, r := range pt.Preference.MatchExpressions {
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
		for _, r := range pt.Preference.MatchFields {
			w("field")
			w(r.Key)
			w(r.Operator)
			for _, v := range r.Values {
				w(v)
			}
		}
	}
	w(sp.PriorityClassName)
	w(strconv.FormatInt(sp.TerminationGracePeriodSeconds, 10))
	w(fmt.Sprint(sp.Requests.MilliCPU, sp.Requests.Memory, sp.Requests.Pods, sp.HostNetwork, int64(sp.ReadinessDelay)))
	dec := strconv.FormatUint(uint64(h.Sum32()), 10)
	b := []byte(dec)
	for i, c := range b {
		b[i] = nameAlphabet[int(c)%len(nameAlphabet)]
	}
	return string(b)
}

// newReplicaSet is the ReplicaSet the Deployment controller creates for d's current
// template (hash = PodTemplateHash(&d.Template)): "<deployment>-<hash>", the
// pod-template-hash label on it, its selector and its template, owned by d.
func newReplicaSet(d *apiserver.Deployment, hash string) *apiserver.ReplicaSet {
	labels := d.Template.Labels.With(LabelPodTemplateHash, hash)
	sel := apiserver.LabelSelector(copyLabels(d.Selector))
	if sel == nil {
		sel = apiserver.LabelSelector{}
	}
	sel[LabelPodTemplateHash] = hash
	tmpl := apiserver.PodTemplate{Labels: labels, Spec: *d.Template.Spec.DeepCopy()}
	return &apiserver.ReplicaSet{
		ObjectMeta: apiserver.ObjectMeta{Namespace: d.Namespace, Name: d.Name + "-" + hash, Labels: labels,
			OwnerReferences: []apiserver.OwnerReference{controllerRef(KindDeployment, &d.ObjectMeta)}},
		Replicas: d.Replicas, Selector: sel, Template: tmpl, MinReadySeconds: d.MinReadySeconds,
	}
}

// scaleDown scales the ReplicaSets of older templates to zero: without rollouts,
// that is all the controller does with them.
func (dc *DeploymentController) scaleDown(older []*apiserver.ReplicaSet) error {
	for _, rs := range older {
		if _, err := dc.s.ReplicaSets.Patch(dc.c, rs.Key(), func(x *apiserver.ReplicaSet) error { x.Replicas = 0; return nil }); err != nil && !apiserver.IsNotFound(err) {
			dc.c.TraceError("patch", "replicasets", err)
			return err
		}
	}
	return nil
}

func (dc *DeploymentController) sync(key string) error {
	d, ok := dc.dInf.Get(key)
	if !ok || d.Deleting {
		delete(dc.hashes, key) // (it keeps the template alive)
		return nil
	}
	hash, name, rsKey := dc.currentName(key, d)
	var cur *apiserver.ReplicaSet
	var ready, avail int32
	older := dc.older[:0]
	dc.rsInf.EachByIndex(indexOwner, dc.uids.of(d.UID), func(rs *apiserver.ReplicaSet) {
		if rs.Name == name {
			cur = rs
		} else if rs.Replicas != 0 {
			older = append(older, rs)
		}
		ready += rs.ReadyReplicas
		avail += rs.AvailableReplicas
	})
	err := dc.scaleDown(older)
	clear(older)
	dc.older = older[:0]
	if err != nil {
		return err
	}
	switch {
	case cur == nil && !dc.created[rsKey]:
		rs := newReplicaSet(d, hash)
		if _, err := dc.s.ReplicaSets.Create(dc.c, rs); err != nil {
			if apiserver.IsAlreadyExists(err) {
				return nil // someone else's; upstream bumps collisionCount, not modelled
			}
			dc.c.TraceError("create", "replicasets", err)
			return err
		}
		dc.created[rsKey] = true
	case cur != nil:
		// getNewReplicaSet: the current ReplicaSet gets the Deployment's
		// minReadySeconds (an update of its own), before any scaling.
		if cur.MinReadySeconds != d.MinReadySeconds {
			mr := d.MinReadySeconds
			if _, err := dc.s.ReplicaSets.Patch(dc.c, cur.Key(), func(x *apiserver.ReplicaSet) error { x.MinReadySeconds = mr; return nil }); err != nil && !apiserver.IsNotFound(err) {
				dc.c.TraceError("patch", "replicasets", err)
				return err
			}
		}
		if cur.Replicas != d.Replicas {
			if _, err := dc.s.ReplicaSets.Patch(dc.c, cur.Key(), func(x *apiserver.ReplicaSet) error { x.Replicas = d.Replicas; return nil }); err != nil && !apiserver.IsNotFound(err) {
				dc.c.TraceError("patch", "replicasets", err)
				return err
			}
		}
	}
	if d.ReadyReplicas != ready || d.AvailableReplicas != avail {
		if _, err := dc.s.Deployments.Patch(dc.c, key, func(x *apiserver.Deployment) error {
			x.ReadyReplicas, x.AvailableReplicas = ready, avail
			return nil
		}); err != nil && !apiserver.IsNotFound(err) {
			dc.c.TraceError("patch", "deployments", err)
			return err
		}
	}
	return nil
}
