package workload

import (
	"slices"
	"sort"
	"strings"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/flowcontrol"
)

// DaemonSetBurstReplicas is the most pods one sync of a DaemonSet creates, and the
// most it deletes (daemon_controller.go BurstReplicas). It applies to a sync that
// waits for its client's tokens (syncAll); one the bucket covers makes all of its
// requests at once, as nodesim did before it had client rate limits.
const DaemonSetBurstReplicas = 250

// ConcurrentDaemonSetSyncs is kube-controller-manager's --concurrent-daemonset-syncs
// default: how many DaemonSets its workers sync at once
// (pkg/controller/daemon/config/v1alpha1/defaults.go).
const ConcurrentDaemonSetSyncs = 2

// dsClient is the DaemonSet controller's clientset: its token bucket, the event
// writer that shares it, and the requests waiting for a token.
type dsClient struct {
	limiter *flowcontrol.Limiter
	events  *flowcontrol.EventWriter
	waiting *flowcontrol.Waiting[dsRequest]
	// gen is bumped by Stop: requests of an older generation are not sent.
	gen uint64
	// inflight: the sync of each DaemonSet that waits for tokens, by DaemonSet key
	inflight map[string]*dsSync
	// decided: how the keys of each DaemonSet in the queue's batch round are synced
	decided  map[string]dsDecision
	decRound uint64
	// overdrawn counts inline requests that found no token (see take)
	overdrawn int
}

// dsDecision is how the keys of one DaemonSet in one batch of the queue are synced.
type dsDecision uint8

const (
	// dsInline: the bucket covers every request they may make: each key is synced
	// at once, as without a limit.
	dsInline dsDecision = iota
	// dsInlinePaid: dsInline, and the status write of the batch has had its token
	// (upstream writes the status once per sync; nodesim's keys of one DaemonSet
	// each write it, and take one token between them).
	dsInlinePaid
	// dsPhased: the first key runs syncAll over all of them.
	dsPhased
	// dsTaken: syncAll has run; the other keys of the batch are done.
	dsTaken
)

// dsSync is one syncDaemonSet of syncAll, kept across engine events while it waits
// for its client's tokens: upstream's worker goroutine blocked in the rate limiter's
// Wait, and the goroutines it starts for a batch of creations or for the deletions.
type dsSync struct {
	item, dsKey string // the queue key it holds, and its DaemonSet's
	round       uint64 // the queue batch it started in (workQueue.round)
	ds          *apiserver.DaemonSet
	st          *dsState
	// creates: the nodes that need a pod, in node order; deletes: the pods to
	// delete (expected at once)
	creates []string
	deletes []*apiserver.Pod
	// next: creations started; batch: the next batch's size; running: requests of
	// the current batch (or of the deletions) not answered yet
	next, batch, running int
	err                  error    // syncNodes' error: the first one
	status               dsStatus // the status it writes
	retried              bool     // its UpdateStatus met a conflict and was retried after a GET
	statusErr            error
	// async: a request waited for its token, so the sync ends by workQueue.done;
	// inSync: syncAll has not returned yet, and an end inline leaves its result in
	// result
	async, inSync, ended bool
	result               error
	// held: keys of the DaemonSet queued while the sync was in flight, queued again
	// at its end (the workqueue's dirty set)
	held    []string
	heldSet map[string]struct{}
}

func (s *dsSync) hold(item string) {
	if _, ok := s.heldSet[item]; ok {
		return
	}
	if s.heldSet == nil {
		s.heldSet = map[string]struct{}{}
	}
	s.heldSet[item] = struct{}{}
	s.held = append(s.held, item)
}

type dsOp uint8

const (
	dsOpCreatePod    dsOp = iota // POST pods, then a SuccessfulCreate or FailedCreate Event
	dsOpDeletePod                // DELETE pods/name, then a SuccessfulDelete or FailedDelete Event
	dsOpUpdateStatus             // PUT daemonsets/name/status
	dsOpGetDS                    // GET daemonsets/name after a conflict
)

// dsRequest is a request of a sync waiting for its token.
type dsRequest struct {
	s    *dsSync
	op   dsOp
	node string         // the node of a creation
	pod  *apiserver.Pod // the pod to delete
}

// dsEventKey is what the event correlator's spam filter counts the controller's
// Events by: every Event is about the DaemonSet (SuccessfulCreate, FailedCreate,
// SuccessfulDelete, FailedDelete from its pod control, FailedDaemonPod and
// SucceededDaemonPod from podsShouldBeOnNode), 25 per type.
func dsEventKey(ds *apiserver.DaemonSet, warning bool) flowcontrol.SpamKey {
	return flowcontrol.SpamKey{UID: ds.UID, Warning: warning}
}

// take spends a token of a request made inline (decide has found it there). A token
// that is not there (decide underestimated the POSTs, DELETEs and status write) is
// counted in overdrawn, which the tests require to stay zero. The Events' share of
// the estimate is not checked here: they wait for their tokens in the EventWriter.
func (dc *DaemonSetController) take() {
	if dc.limiter != nil {
		if now := dc.s.Now(); dc.limiter.Wait(now) > now {
			dc.overdrawn++
		}
	}
}

// takeStatus spends the token of an inline status write, once per DaemonSet and
// batch (see dsInlinePaid).
func (dc *DaemonSetController) takeStatus(dsKey string) {
	if dc.limiter == nil {
		return
	}
	if dc.decRound == dc.q.round {
		if d, ok := dc.decided[dsKey]; ok {
			if d == dsInlinePaid {
				return
			}
			dc.decided[dsKey] = dsInlinePaid
		}
	}
	dc.take()
}

// itemsOf returns the keys of the DaemonSet dsKey in the queue's current batch from
// item (the key being synced) on: whether the whole DaemonSet is among them, and
// the nodes of its node keys, in order. Outside a batch, item alone.
func (dc *DaemonSetController) itemsOf(dsKey, item string) (whole bool, nodes []string) {
	q := dc.q
	if q.pos >= len(q.current) || q.current[q.pos] != item {
		if item == dsKey {
			return true, nil
		}
		return false, append(nodes, item[len(dsKey)+1:])
	}
	rest := q.current[q.pos:]
	whole = rest[0] == dsKey
	prefix := dsKey + pairSep
	for i := sort.SearchStrings(rest, prefix); i < len(rest) && strings.HasPrefix(rest[i], prefix); i++ {
		nodes = append(nodes, rest[i][len(prefix):])
	}
	return whole, nodes
}

// decide tells how the keys of a DaemonSet in this batch are synced: at once, one by
// one as without a limit, when the bucket holds a token for every request they may
// make (an upper bound: estimateNode for each node they visit, and one status
// write); else all together by syncAll, which paces them.
func (dc *DaemonSetController) decide(st *dsState, dsKey, item string) dsDecision {
	if dc.decRound != dc.q.round {
		clear(dc.decided)
		dc.decRound = dc.q.round
	}
	if d, ok := dc.decided[dsKey]; ok {
		return d
	}
	avail := dc.limiter.Available(dc.s.Now())
	need := 1 // the status write
	fits := func(node string) bool {
		need += dc.estimateNode(st, dsKey, node)
		return float64(need) <= avail
	}
	ok := float64(need) <= avail
	whole, nodes := dc.itemsOf(dsKey, item)
	if ok && whole {
		if st.allDirty || dc.fullSync {
			for _, n := range dc.nodeInf.Keys() {
				if ok = fits(n); !ok {
					break
				}
			}
		} else {
			for n := range st.dirty { // a sum: the order cannot show
				if ok = fits(n); !ok {
					break
				}
			}
		}
	}
	for _, n := range nodes {
		if !ok {
			break
		}
		ok = fits(n)
	}
	if !whole {
		// node keys visit the stale nodes too (syncPair); a whole key's dirty nodes
		// hold them
		for n := range st.stale {
			if !ok {
				break
			}
			ok = fits(n)
		}
	}
	d := dsInline
	if !ok {
		d = dsPhased
	}
	dc.decided[dsKey] = d
	return d
}

// estimateNode bounds the requests syncNodeOnce makes for one node, Events
// included, without changing anything: a creation is a POST and its Event; a
// deletion a DELETE and its Event, and one more Event for a failed pod (at most one
// a visit gets past the backoff) or a succeeded one.
func (dc *DaemonSetController) estimateNode(st *dsState, dsKey, node string) int {
	n, ok := dc.nodeInf.Get(node)
	if !ok {
		return 0
	}
	pb := append(append(append(dc.pairBuf[:0], dsKey...), pairSep[0]), node...)
	dc.pairBuf = pb
	if _, waiting := dc.expCreate[string(pb)]; waiting {
		return 0
	}
	shouldRun, shouldContinue := NodeShouldRunDaemonPod(st.tmpl, n, st.cmpOps)
	pods, failed, succeeded, running := 0, 0, 0, 0
	dc.podInf.EachByIndex(indexDaemonPodNode, node, func(p *apiserver.Pod) {
		if ref, ok := p.ControllerRef(); !ok || ref.UID != st.uid {
			return
		}
		if p.Deleting && p.Terminal() {
			return
		}
		pods++
		if p.Deleting || dc.expDelete[p.Key()] {
			return
		}
		switch p.Phase {
		case apiserver.PodFailed:
			failed++
		case apiserver.PodSucceeded:
			succeeded++
		default:
			running++
		}
	})
	switch {
	case shouldRun && pods == 0:
		return 2
	case shouldContinue:
		need := 3*succeeded + 2*max(running-1, 0)
		if failed > 0 {
			b := dc.failedBackoff[string(pb)]
			now := dc.s.Now()
			if b.delay == 0 || now-b.last > 2*failedPodsBackoffMax || now-b.last >= b.delay {
				need += 3
			}
		}
		return need
	default:
		return 3*succeeded + 2*(failed+running)
	}
}

// syncAll is syncDaemonSet over the keys of the DaemonSet in this batch (item and
// those after it): it visits their nodes once each, in name order (a whole-DaemonSet
// key's dirty nodes, or all of them), deciding as syncNode does, then makes the
// requests as upstream's syncNodes does: at most DaemonSetBurstReplicas creations in
// slowStartBatch's batches (none after a batch with an error), then at most as many
// deletions all at once, then the status write. It runs to its end at once when
// every request finds a token; otherwise it holds its key (errSyncInFlight) and the
// DaemonSet's other keys, and goes on at its tokens' instants.
func (dc *DaemonSetController) syncAll(ds *apiserver.DaemonSet, st *dsState, dsKey, item string) error {
	dc.decided[dsKey] = dsTaken
	s := &dsSync{item: item, dsKey: dsKey, ds: ds, st: st, batch: SlowStartInitialBatchSize, inSync: true, round: dc.q.round}
	whole, nodes := dc.itemsOf(dsKey, item)
	if q := dc.q; q.pos < len(q.current) && q.current[q.pos] == item {
		q.taken = q.pos + len(nodes)
		if whole {
			q.taken++
		}
	}
	allNodes := false
	if whole {
		if st.allDirty || dc.fullSync {
			allNodes = true
			nodes = append(nodes, dc.nodeInf.Keys()...)
		} else {
			for n := range st.dirty {
				nodes = append(nodes, n)
			}
		}
		st.allDirty = false
		clear(st.dirty)
		clear(st.stale)
	} else {
		for n := range st.stale { // visited by every sync: see syncPair
			nodes = append(nodes, n)
		}
	}
	sort.Strings(nodes)
	nodes = slices.Compact(nodes)
	for _, n := range nodes {
		if e := dc.syncNodeFor(ds, st, dsKey, n, s); e != nil && s.err == nil {
			s.err = e
		}
	}
	if allNodes {
		var gone []string
		for n := range st.nodes {
			if _, ok := dc.nodeInf.Get(n); !ok {
				gone = append(gone, n)
			}
		}
		sort.Strings(gone)
		for _, n := range gone {
			dc.setNodeState(st, n, 0)
		}
	}
	// burstReplicas: the rest wait for a later sync (their nodes stay dirty)
	if len(s.creates) > DaemonSetBurstReplicas {
		s.creates = s.creates[:DaemonSetBurstReplicas]
	}
	if len(s.deletes) > DaemonSetBurstReplicas {
		for _, p := range s.deletes[DaemonSetBurstReplicas:] {
			delete(dc.expDelete, p.Key())
		}
		s.deletes = s.deletes[:DaemonSetBurstReplicas]
	}
	dc.inflight[dsKey] = s
	dc.nextBatch(s)
	s.inSync = false
	if !s.ended {
		return errSyncInFlight
	}
	return s.result
}

// nextBatch starts slowStartBatch's next batch of creations, each of whose
// goroutines makes a POST and then writes an Event; the batch after it starts when
// all of them have returned. After a batch with an error, or the last batch, the
// sync goes on to its deletions.
func (dc *DaemonSetController) nextBatch(s *dsSync) {
	if s.err != nil && s.next > 0 || s.next == len(s.creates) {
		dc.deletePods(s)
		return
	}
	b := min(s.batch, len(s.creates)-s.next)
	batch := s.creates[s.next : s.next+b]
	s.next += b
	s.batch = 2 * b
	s.running = b
	phased := dc.phased(b + dc.events.Admits(dsEventKey(s.ds, false), b))
	for _, n := range batch {
		dc.request(s, dsOpCreatePod, n, nil, phased)
	}
}

// deletePods deletes the chosen pods, each in a goroutine of its own, all started at
// once: a DELETE and then an Event each.
func (dc *DaemonSetController) deletePods(s *dsSync) {
	if len(s.deletes) == 0 {
		dc.writeStatus(s)
		return
	}
	s.running = len(s.deletes)
	phased := dc.phased(len(s.deletes) + dc.events.Admits(dsEventKey(s.ds, false), len(s.deletes)))
	for _, p := range s.deletes {
		dc.request(s, dsOpDeletePod, "", p, phased)
	}
}

// phased reports whether goroutines started together must reserve their tokens in
// rounds (see ReplicaSetController.phased).
func (dc *DaemonSetController) phased(tokens int) bool {
	return dc.limiter.Available(dc.s.Now()) < float64(tokens)
}

// request makes one of the sync's requests: now if the client has a token, else at
// the token's instant; a phased one by an engine event (see
// ReplicaSetController.request).
func (dc *DaemonSetController) request(s *dsSync, op dsOp, node string, pod *apiserver.Pod, phased bool) {
	now := dc.s.Now()
	if at := dc.limiter.Wait(now); at > now || phased {
		s.async = true
		dc.waiting.Add(dsRequest{s, op, node, pod}, at)
		return
	}
	dc.send(s, op, node, pod)
}

// send makes the request now and carries the sync on.
func (dc *DaemonSetController) send(s *dsSync, op dsOp, node string, pod *apiserver.Pod) {
	switch op {
	case dsOpCreatePod:
		pb := append(append(append(dc.pairBuf[:0], s.dsKey...), pairSep[0]), node...)
		dc.pairBuf = pb
		err := dc.createPod(s.ds, s.st, node, string(pb))
		dc.events.EmitAbout(dsEventKey(s.ds, err != nil)) // SuccessfulCreate, or FailedCreate
		if err != nil && s.err == nil {
			s.err = err
		}
		if s.running--; s.running == 0 {
			dc.nextBatch(s)
		}
	case dsOpDeletePod:
		if err := dc.deletePod(s.ds, pod); err != nil && s.err == nil {
			s.err = err
		}
		if s.running--; s.running == 0 {
			dc.writeStatus(s)
		}
	case dsOpUpdateStatus:
		dc.sendStatus(s)
	case dsOpGetDS:
		ds, err := dc.s.DaemonSets.Get(dc.c, s.dsKey)
		if err != nil {
			// upstream returns the GET's error: the key is retried after its backoff
			dc.c.TraceError("get", "daemonsets", err)
			s.statusErr = err
			dc.end(s)
			return
		}
		s.ds = ds
		dc.request(s, dsOpUpdateStatus, "", nil, false)
	}
}

// writeStatus is updateDaemonSetStatus at the end of the sync, from the nodes' kept
// results as they are then: an UpdateStatus if the status changed.
func (dc *DaemonSetController) writeStatus(s *dsSync) {
	st, ds := s.st, s.ds
	c := st.count
	if statusOf(ds) == c || (st.wrote && st.wCount == c) {
		dc.end(s)
		return
	}
	st.wrote, st.wCount = true, c
	s.status = c
	dc.request(s, dsOpUpdateStatus, "", nil, false)
}

// sendStatus is storeDaemonSetStatus's UpdateStatus, with the resourceVersion the
// sync read: after a conflict it GETs the DaemonSet and tries once more
// (StatusUpdateRetries), each a request of its own.
func (dc *DaemonSetController) sendStatus(s *dsSync) {
	_, err := dc.s.DaemonSets.UpdateStatusFrom(dc.c, s.ds, func(x *apiserver.DaemonSet) error {
		s.status.setOn(x)
		return nil
	})
	switch {
	case err == nil || apiserver.IsNotFound(err):
	case apiserver.IsConflict(err) && !s.retried:
		dc.c.TraceError("update", "daemonsets", err)
		s.retried = true
		dc.request(s, dsOpGetDS, "", nil, false)
		return
	default:
		dc.c.TraceError("update", "daemonsets", err)
		s.statusErr = err
		s.st.wrote = false // not written: a later sync writes it again
	}
	dc.end(s)
}

// end ends the sync: its error is the status write's, else syncNodes'. A sync that
// waited tells its queue (the workqueue's Done) and queues again the DaemonSet's
// keys added meanwhile.
func (dc *DaemonSetController) end(s *dsSync) {
	err := s.statusErr
	if err == nil {
		err = s.err
	}
	delete(dc.inflight, s.dsKey)
	if s.inSync {
		s.ended, s.result = true, err
		return
	}
	dc.q.done(s.item, err)
	if err != nil && s.item != s.dsKey {
		// upstream retries the whole DaemonSet: the nodes this sync took and could not
		// finish stay dirty, and only a sync of the DaemonSet visits them
		dc.q.forgetOrRetry(s.dsKey, err)
	}
	for _, k := range s.held {
		dc.q.add(k)
	}
}
