package kubelet

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/apiserver"
	"github.com/nodesim/nodesim/sim"
	"github.com/nodesim/nodesim/taint"
)

func TestDefaultsNameUpstreamValues(t *testing.T) {
	w := newWorld(t, false, Config{}, "n")
	k := w.k["n"]
	c := k.Config()
	require.True(t, *c.RegisterNode)                               // registerNode: true
	require.True(t, *c.RegisterSchedulable)                        // registerSchedulable: true
	require.Equal(t, 10*time.Second, c.NodeStatusUpdateFrequency)  // nodeStatusUpdateFrequency: 10s
	require.Equal(t, 5*time.Minute, c.NodeStatusReportFrequency)   // nodeStatusReportFrequency: 5m
	require.Equal(t, int32(40), c.NodeLeaseDurationSeconds)        // nodeLeaseDurationSeconds: 40
	require.Equal(t, 10*time.Second, k.Lease().RenewInterval())    // 0.25 × 40 s
	require.Equal(t, int32(110), c.MaxPods)                        // maxPods: 110
	require.Equal(t, 5, NodeStatusUpdateRetry)                     // nodeStatusUpdateRetry = 5
	require.Equal(t, 0.04, StatusJitterFactor)                     // JitterUntil(..., 0.04, true)
	require.Equal(t, 100*time.Millisecond, RegisterInitialStep)    // registerWithAPIServer step
	require.Equal(t, 7*time.Second, RegisterMaxStep)               // capped at 7 s
	require.Equal(t, 120*time.Second, NodeReadyGracePeriod)        // nodeReadyGracePeriod
	require.Equal(t, 100*time.Millisecond, FastStatusUpdatePeriod) // fastStatusUpdateOnce poll
	require.Equal(t, 10*time.Second, k.Client().Timeout)           // min(10 s, 40 s)
	require.Equal(t, time.Duration(0), c.ShutdownGracePeriod)      // shutdownGracePeriod: 0s
	require.Equal(t, time.Duration(0), c.ShutdownGracePeriodCriticalPods)

	// an explicit nodeStatusUpdateFrequency alone also sets the report frequency
	k2, err := New(w.s, "m", Config{NodeStatusUpdateFrequency: 20 * time.Second})
	require.NoError(t, err)
	require.Equal(t, 20*time.Second, k2.Config().NodeStatusReportFrequency)
}

func TestConfigErrors(t *testing.T) {
	s := apiserver.New(sim.New(), nil, apiserver.DefaultConfig())
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"update frequency", Config{NodeStatusUpdateFrequency: -1}, "nodeStatusUpdateFrequency"},
		{"report frequency", Config{NodeStatusReportFrequency: -1}, "nodeStatusReportFrequency"},
		{"lease duration", Config{NodeLeaseDurationSeconds: -1}, "nodeLeaseDurationSeconds"},
		{"critical > total", Config{ShutdownGracePeriod: time.Second, ShutdownGracePeriodCriticalPods: 2 * time.Second}, "shutdownGracePeriodCriticalPods"},
		{"both shutdown styles", Config{ShutdownGracePeriod: time.Second, ShutdownGracePeriodByPodPriority: []ShutdownGracePeriodByPodPriority{{}}}, "shutdownGracePeriodByPodPriority"},
		{"negative group", Config{ShutdownGracePeriodByPodPriority: []ShutdownGracePeriodByPodPriority{{ShutdownGracePeriodSeconds: -1}}}, "shutdownGracePeriodSeconds"},
		{"max pods", Config{MaxPods: -1}, "maxPods"},
		{"version", Config{Version: -1}, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(s, "n", tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
	_, err := New(s, "", Config{})
	require.ErrorContains(t, err, "nodeName")
	_, err = New(nil, "n", Config{})
	require.Error(t, err)
}

func TestConfigz(t *testing.T) {
	w := newWorld(t, false, Config{RegisterWithTaints: []taint.Taint{{Key: "a", Value: "b", Effect: taint.NoSchedule}}}, "n")
	var got map[string]map[string]any
	require.NoError(t, json.Unmarshal(w.k["n"].Configz(), &got))
	kc := got["kubeletconfig"]
	require.Equal(t, "10s", kc["nodeStatusUpdateFrequency"])
	require.Equal(t, "5m0s", kc["nodeStatusReportFrequency"])
	require.Equal(t, float64(40), kc["nodeLeaseDurationSeconds"])
	require.Equal(t, true, kc["registerNode"])
	require.Equal(t, float64(110), kc["maxPods"])
	require.Equal(t, "0s", kc["shutdownGracePeriod"])
	require.Len(t, kc["registerWithTaints"], 1)
}

// logTimes returns the times of the node's KubeletLog lines containing msg.
func (w *world) logTimes(node, msg string) []time.Duration {
	var out []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "KubeletLog" && r.Str("node") == node && strings.Contains(r.Str("line"), msg) {
			out = append(out, r.T)
		}
	}
	return out
}

func ms(v ...int) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestRegistrationBackoff(t *testing.T) {
	// registerWithAPIServer: sleep 100 ms, 200 ms, 400 ms, … capped at 7 s before each attempt.
	w := newWorld(t, true, Config{}, "n")
	w.s.SetOutage(true)
	w.startAll("n")
	w.run(30 * time.Second)
	require.Equal(t, ms(100, 300, 700, 1500, 3100, 6300, 12700, 19700, 26700), w.logTimes("n", "Attempting to register node"))
	w.s.SetOutage(false)
	w.run(40 * time.Second)
	require.Equal(t, ms(33700), w.logTimes("n", "Successfully registered node"))
	// the status loop was blocked in registration: the sync goes on right after it
	n, _ := w.s.Nodes.Peek("n")
	require.Equal(t, apiserver.ConditionTrue, n.ReadyStatus())
}

func TestRegistrationTaintsAndLabels(t *testing.T) {
	f := false
	w := newWorld(t, false, Config{
		RegisterSchedulable: &f, Zone: "z1", Region: "r1", Labels: map[string]string{"role": "db"},
		RegisterWithTaints: []taint.Taint{{Key: "dedicated", Value: "db", Effect: taint.NoExecute}},
	}, "n")
	w.startAll("n")
	w.run(2 * time.Second)
	n, ok := w.s.Nodes.Peek("n")
	require.True(t, ok)
	require.True(t, n.Unschedulable)
	require.True(t, n.HasTaint(taint.Taint{Key: taint.Unschedulable, Effect: taint.NoSchedule}))
	require.True(t, n.HasTaint(taint.Taint{Key: "dedicated", Effect: taint.NoExecute}))
	require.True(t, n.HasTaint(taint.NotReadyNoSchedule)) // TaintNodesByCondition admission
	require.Equal(t, "z1", n.Labels.Get(apiserver.LabelZone))
	require.Equal(t, "z1", n.Labels.Get(apiserver.LabelZoneBeta))
	require.Equal(t, "r1", n.Labels.Get(apiserver.LabelRegion))
	require.Equal(t, "db", n.Labels.Get("role"))
	require.Equal(t, "n", n.Labels.Get(apiserver.LabelHostname))
	require.Equal(t, int64(110), n.Capacity.Pods)

	// re-registration reconciles default labels only: taints and custom labels stay as they are.
	_, err := w.s.Nodes.Patch(w.kc, "n", func(n *apiserver.Node) error {
		n.Labels = n.Labels.With(apiserver.LabelZone, "wrong").With("role", "edited")
		n.Taints = nil
		return nil
	})
	require.NoError(t, err)
	w.k["n"].Restart()
	w.run(4 * time.Second)
	n, _ = w.s.Nodes.Peek("n")
	require.Equal(t, "z1", n.Labels.Get(apiserver.LabelZone))
	require.Equal(t, "edited", n.Labels.Get("role"))
	require.Empty(t, n.Taints)
}

func TestReadyAfterRuntimeCheck(t *testing.T) {
	// A fresh kubelet registers with Ready=False "container runtime status check may not
	// have completed yet"; fastStatusUpdateOnce posts Ready=True as soon as the first
	// runtime check passes (1 s after start by default).
	w := newWorld(t, false, Config{}, "n")
	var seen []string
	w.s.Nodes.Watch(w.kc, 0, func(ev apiserver.Event[*apiserver.Node]) {
		if c := ev.New.Condition(apiserver.NodeReady); c != nil {
			seen = append(seen, sim.Seconds(w.e.Now())+" "+c.Status.String()+" "+c.Message)
		}
	})
	w.startAll("n")
	w.run(3 * time.Second)
	require.Equal(t, []string{
		"0.1 False [container runtime status check may not have completed yet, network state unknown]",
		"0.1 False [container runtime status check may not have completed yet, network state unknown]",
		"1 True kubelet is posting ready status",
	}, seen)
}

func TestStatusReportFrequency(t *testing.T) {
	// v1.33: an unchanged status is posted every nodeStatusReportFrequency (5 m), at the
	// first 10 s sync at or after lastReport + 5 m.
	w := newWorld(t, true, Config{Version: 33, NoJitter: true}, "n")
	w.startAll("n")
	w.run(11 * time.Minute)
	var patches []time.Duration
	for _, r := range w.tr.Records() {
		if r.Kind == "NodeStatusPatched" {
			patches = append(patches, r.T)
		}
	}
	// 0.1 (first sync), 1.0 (fast update: Ready), then syncs at 0.1 + 10k: 310.1, 610.1
	require.Equal(t, ms(100, 1000, 310100, 610100), patches)
}

func TestStatusReportOffset134(t *testing.T) {
	// 1.34+: after a change the next no-change report is offset by U[-0.5, 0.5) × 5 m
	// (delayAfterNodeStatusChange); later ones are plain 5 m apart.
	for seed := uint64(1); seed <= 30; seed++ {
		e := sim.New(sim.WithSeed(seed))
		tr := sim.NewTrace(true)
		s := apiserver.New(e, tr, apiserver.DefaultConfig())
		k, err := New(s, "n", Config{NoJitter: true})
		require.NoError(t, err)
		k.Start()
		require.NoError(t, e.RunUntil(20*time.Minute))
		var patches []time.Duration
		for _, r := range tr.Records() {
			if r.Kind == "NodeStatusPatched" {
				patches = append(patches, r.T)
			}
		}
		require.GreaterOrEqual(t, len(patches), 4)
		first := patches[2] - patches[1] // after the Ready change at 1 s
		require.GreaterOrEqual(t, first, 150*time.Second)
		require.Less(t, first, 450*time.Second+10*time.Second)
		second := patches[3] - patches[2]
		require.GreaterOrEqual(t, second, 300*time.Second)
		require.Less(t, second, 310*time.Second)
	}
	// the draw itself stays in [-0.5, 0.5) × nodeStatusReportFrequency
	w := newWorld(t, false, Config{}, "n")
	for range 10000 {
		d := w.k["n"].drawDelay()
		require.GreaterOrEqual(t, d, -150*time.Second)
		require.Less(t, d, 150*time.Second)
	}
}

func TestStatusLoopJitter(t *testing.T) {
	// the status loop is JitterUntil(syncNodeStatus, 10 s, 0.04, sliding): each wait in [10 s, 10.4 s).
	w := newWorld(t, false, Config{}, "n")
	w.startAll("n")
	k := w.k["n"]
	var last time.Duration
	for i := range 200 {
		require.NoError(t, w.e.RunUntil(k.statusTimer.When()))
		if i > 1 {
			d := w.e.Now() - last
			require.GreaterOrEqual(t, d, 10*time.Second)
			require.Less(t, d, 10400*time.Millisecond)
		}
		last = w.e.Now()
		k.Unsteady()
		k.exact = true
	}
}

func TestNodeDeletedFiveTriesPerSync(t *testing.T) {
	// node deleted ⇒ each sync: five NotFound tries, then "Unable to update node status".
	w := newWorld(t, true, Config{NoJitter: true}, "n")
	w.startAll("n")
	w.run(5 * time.Second)
	require.NoError(t, w.s.Nodes.Delete(w.kc, "n", apiserver.DeleteOptions{}))
	w.run(35 * time.Second)
	require.Len(t, w.logTimes("n", "Error updating node status, will retry"), 1+3*5)
	require.Equal(t, ms(10100, 20100, 30100), w.logTimes("n", "Unable to update node status"))
	_, ok := w.s.Nodes.Peek("n")
	require.False(t, ok, "the kubelet does not re-register until restarted")
}

func TestSetCondition(t *testing.T) {
	w := newWorld(t, false, Config{NoJitter: true}, "n")
	k := w.k["n"]
	w.startAll("n")
	w.run(5 * time.Second)
	require.NoError(t, k.SetCondition(apiserver.NodeReady, apiserver.ConditionFalse, "", MsgRuntimeDown))
	require.NoError(t, k.SetCondition(apiserver.NodeMemoryPressure, apiserver.ConditionTrue, "", ""))
	w.run(11 * time.Second)
	n, _ := w.s.Nodes.Peek("n")
	r := n.Condition(apiserver.NodeReady)
	require.Equal(t, apiserver.ConditionFalse, r.Status)
	require.Equal(t, "KubeletNotReady", r.Reason)
	require.Equal(t, "container runtime is down", r.Message)
	require.Equal(t, 10100*time.Millisecond, r.LastTransitionTime) // posted at the next sync
	m := n.Condition(apiserver.NodeMemoryPressure)
	require.Equal(t, apiserver.ConditionTrue, m.Status)
	require.Equal(t, "KubeletHasInsufficientMemory", m.Reason)

	require.NoError(t, k.SetCondition(apiserver.NodeReady, apiserver.ConditionFalse, "", MsgNetworkNotReady))
	require.NoError(t, k.SetCondition(apiserver.NodeReady, apiserver.ConditionTrue, "", ""))
	w.run(21 * time.Second)
	n, _ = w.s.Nodes.Peek("n")
	require.Equal(t, apiserver.ConditionTrue, n.ReadyStatus())
	require.Nil(t, n.Condition(apiserver.NodeNetworkUnavailable))

	require.Error(t, k.SetCondition(apiserver.NodeReady, apiserver.ConditionUnknown, "", ""))
	require.Error(t, k.SetCondition(0, apiserver.ConditionTrue, "", ""), "no type")
	require.Error(t, k.SetCondition(apiserver.NodeConditionType(99), apiserver.ConditionTrue, "", ""), "a type with no name")
}

// fastStatusUpdateOnce stops as soon as the Node the kubelet sees is Ready, even while
// its own runtime check is pending: a poll after the informer delivers a Ready node
// ends it. (Polls between deliveries are skipped while the runtime is unchecked; a
// delivery must wake them, or the loop would run on to "not becoming ready in time".)
func TestFastUpdateStopsOnANodeMadeReadyElsewhere(t *testing.T) {
	w := newWorld(t, true, Config{RuntimeCheckDelay: 10 * time.Minute}, "n")
	w.startAll("n")
	w.at(500*time.Millisecond, func() {
		_, err := w.s.Nodes.PatchStatus(w.kc, "n", func(n *apiserver.Node) error {
			n.Condition(apiserver.NodeReady).Status = apiserver.ConditionTrue
			return nil
		})
		require.NoError(t, err)
	})
	w.run(600 * time.Millisecond)
	require.True(t, w.k["n"].fastDone, "the poll at 0.6 s sees the Ready node")
	w.run(3 * time.Minute)
	require.NotContains(t, w.textFor("n"), "Node not becoming ready in time")
}
