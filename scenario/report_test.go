package scenario_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/scenario"
	"github.com/nodesim/nodesim/sim"
)

// reportSmallYAML is a small run with zones, a Deployment, a stopped kubelet (Unknown,
// NoExecute taints, evictions) and a partition.
const reportSmallYAML = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata:
  name: report-small
spec:
  duration: 8m
  nodes:
    - name: cp
      labels: {node-role.kubernetes.io/control-plane: ""}
    - name: w1
      zone: zone-a
    - name: w2
      zone: zone-b
  objects:
    - apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default}
      spec:
        replicas: 2
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers: [{name: web, image: nginx}]
            tolerations:
              - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 30}
    - apiVersion: v1
      kind: Pod
      metadata: {name: pinned, namespace: default}
      spec:
        nodeName: w1
        containers: [{name: app, image: nginx}]
        tolerations:
          - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 20}
  events:
    - at: 60s
      stopKubelet: {node: w1}
  expect:
    - by: 2m
      node: w1
      ready: Unknown
`

// reportLargeYAML has more nodes than scenario.AggregateThreshold.
const reportLargeYAML = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata:
  name: report-large
spec:
  duration: 3m
  nodes:
    - namePrefix: a-
      count: 40
      zone: zone-a
    - namePrefix: b-
      count: 30
      zone: zone-b
  events:
    - at: 30s
      stopKubelet: {zone: zone-a, count: 3}
`

func reportRun(t testing.TB, name, yaml string) *scenario.Result {
	t.Helper()
	sc, err := scenario.Parse(name, []byte(yaml))
	require.NoError(t, err)
	res, err := scenario.Run(sc, scenario.RunOptions{})
	require.NoError(t, err)
	return res
}

func reportHTML(t testing.TB, res *scenario.Result) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, res.WriteHTML(&b))
	return b.String()
}

func TestReportNodeRows(t *testing.T) {
	res := reportRun(t, "small.yaml", reportSmallYAML)
	page := reportHTML(t, res)

	require.True(t, strings.HasPrefix(page, "<!doctype html>"))
	require.Contains(t, page, `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" class="timeline nodes"`)
	rows := regexp.MustCompile(`<g class="node-row" id="node-([^"]+)"`).FindAllStringSubmatch(page, -1)
	var names []string
	for _, r := range rows {
		names = append(names, r[1])
	}
	require.Equal(t, []string{"cp", "w1", "w2"}, names, "one row per node, in file order")

	row := nodeRowText(t, page, "w1")
	require.Contains(t, row, `data-zone="zone-a"`)
	require.Contains(t, row, `class="band ready"`)
	require.Contains(t, row, `class="band unknown"`)
	require.Contains(t, row, `class="band notready"`, "registered NotReady before KubeletReady")
	require.Contains(t, row, `class="taint-marker noexecute"`)
	require.Contains(t, row, "node.kubernetes.io/unreachable:NoExecute")
	require.Contains(t, row, `class="eviction-marker"`)
	require.Contains(t, row, "default/pinned")

	w2 := nodeRowText(t, page, "w2")
	require.NotContains(t, w2, `class="band unknown"`)
	require.NotContains(t, w2, `class="eviction-marker"`)

	// Faults, zones, workloads, header.
	require.Contains(t, page, `<g class="fault-mark" data-action="stopKubelet">`)
	require.Contains(t, page, `<g class="zone-row" data-zone="zone-a">`)
	require.Contains(t, page, `class="zone-band normal"`)
	require.Regexp(t, `<path class="workload-line" data-workload="[^"]*web"`, page)
	require.Contains(t, page, `<h1 id="scenario">report-small</h1>`)
	require.Contains(t, page, `<b id="seed">1</b>`)
	require.Contains(t, page, `<b id="duration">8m</b>`)
	require.Contains(t, page, `<li class="verdict ok">by 120s: node w1 ready: Unknown`)
	require.NotContains(t, page, `id="left-ready"`, "no aggregate list at 3 nodes")

	// Self-contained: nothing fetched.
	for _, bad := range []string{"<script src", "<link", "@import", "url(", "http://", "https://"} {
		cleaned := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
		require.NotContains(t, cleaned, bad)
	}
}

// nodeRowText returns the <g> element of a node row.
func nodeRowText(t *testing.T, page, node string) string {
	t.Helper()
	i := strings.Index(page, `<g class="node-row" id="node-`+node+`"`)
	require.GreaterOrEqual(t, i, 0, "row of %s", node)
	j := strings.Index(page[i:], "</g>")
	require.Greater(t, j, 0)
	return page[i : i+j]
}

func TestReportNoBandBeforeRegistrationOrAfterDeletion(t *testing.T) {
	sc, err := scenario.Parse("hand.yaml", []byte(reportSmallYAML))
	require.NoError(t, err)
	s := time.Second
	recs := []sim.Record{
		sim.NewRecord(100*s, "NodeRegistered", false, sim.S("node", "w1")),
		sim.NewRecord(100*s, "NodeCondition", false, sim.S("node", "w1"), sim.S("type", "Ready"), sim.S("from", ""), sim.S("to", "True"), sim.S("reason", "KubeletReady")),
		sim.NewRecord(200*s, "NodeDeleted", false, sim.S("node", "w1")),
	}
	res := &scenario.Result{Scenario: sc, Seed: 1, End: 480 * s, Trace: sim.TraceOf(recs)}
	row := nodeRowText(t, reportHTML(t, res), "w1")
	bands := regexp.MustCompile(`<rect class="band (\w+)" x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)"`).FindAllStringSubmatch(row, -1)
	require.Len(t, bands, 1)
	require.Equal(t, "ready", bands[0][1])
	// x = 200 + t/480s * 1000: from 100 s to 200 s.
	require.Equal(t, "408.33", bands[0][2])
	require.Equal(t, "208.33", bands[0][3])
	// Other nodes of the file have rows but no bands: they never registered here.
	require.NotContains(t, nodeRowText(t, reportHTML(t, res), "w2"), "band")
}

func TestReportAggregatesAboveThreshold(t *testing.T) {
	res := reportRun(t, "large.yaml", reportLargeYAML)
	page := reportHTML(t, res)
	require.Contains(t, page, `class="timeline aggregate"`)
	require.NotContains(t, page, `class="node-row"`)
	require.Contains(t, page, `<g class="zone-agg" data-zone="zone-a">`)
	require.Contains(t, page, `<g class="zone-agg" data-zone="zone-b">`)
	require.Equal(t, 2, strings.Count(page, `<g class="zone-agg"`))
	require.Contains(t, page, `<path class="area ready"`)
	require.Contains(t, page, `<path class="area unknown"`)
	require.Contains(t, page, "max 40 nodes")
	require.Contains(t, page, "max 30 nodes")
	require.Contains(t, page, `<b id="node-count">70</b>`)

	// The nodes that left Ready: the three stopped ones in zone-a, in name order.
	left := regexp.MustCompile(`<tr class="left-ready-node"><td>([^<]+)</td><td>([^<]*)</td>`).FindAllStringSubmatch(page, -1)
	require.Len(t, left, 3)
	for i, want := range []string{"a-0", "a-1", "a-10"} {
		require.Equal(t, want, left[i][1])
		require.Equal(t, "zone-a", left[i][2])
	}
}

func TestReportAtThresholdKeepsNodeRows(t *testing.T) {
	yaml := strings.Replace(strings.Replace(reportLargeYAML, "count: 40", "count: 30", 1), "stopKubelet: {zone: zone-a, count: 3}", "stopKubelet: {node: a-1}", 1)
	res := reportRun(t, "sixty.yaml", yaml)
	page := reportHTML(t, res)
	require.Equal(t, scenario.AggregateThreshold, strings.Count(page, `<g class="node-row"`))
	require.NotContains(t, page, `class="zone-agg"`)
}

func TestReportEscapes(t *testing.T) {
	sc, err := scenario.Parse("esc.yaml", []byte(reportSmallYAML))
	require.NoError(t, err)
	evil := `<script>alert("x")</script>&`
	recs := []sim.Record{
		sim.NewRecord(time.Second, "Action", false, sim.S("action", "stopKubelet"), sim.S("target", evil)),
		sim.NewRecord(2*time.Second, "PodEvicted", false, sim.S("pod", evil), sim.S("node", "w1"), sim.S("reason", evil)),
		sim.NewRecord(3*time.Second, "ZoneState", false, sim.S("zone", evil), sim.S("from", "Initial"), sim.S("to", `Normal"onload="x`)),
		sim.NewRecord(4*time.Second, "WorkloadReady", false, sim.S("workload", evil), sim.I("ready", 1), sim.I("desired", 2)),
	}
	res := &scenario.Result{Scenario: sc, Seed: 1, End: time.Minute, Trace: sim.TraceOf(recs)}
	res.Expectations = []scenario.ExpectationResult{{Expectation: sc.Spec.Expect[0], OK: false, Detail: evil}}
	page := reportHTML(t, res)
	require.NotContains(t, page, "<script")
	require.NotContains(t, page, `"onload=`)
	require.Contains(t, page, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;")
	require.Contains(t, page, `<li class="verdict fail">`)
}

func TestReportDeterministic(t *testing.T) {
	a := reportHTML(t, reportRun(t, "small.yaml", reportSmallYAML))
	b := reportHTML(t, reportRun(t, "small.yaml", reportSmallYAML))
	require.Equal(t, a, b)
	res := reportRun(t, "large.yaml", reportLargeYAML)
	require.Equal(t, reportHTML(t, res), reportHTML(t, res))
}

// A cluster that starts out running has its nodes Ready at time zero, untraced: the
// report's node rows start Ready (an audit, session 15, found no Ready band for a node
// that never changed, and "none" in fleet-day's list of nodes that left Ready).
func TestReportRunningStartNodesStartReady(t *testing.T) {
	res := reportRun(t, "running.yaml", `
apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: running}
spec:
  duration: 5m
  start: running
  nodes:
    - {name: a, zone: z}
    - {name: b, zone: z}
  events:
    - at: 60s
      stopKubelet: {node: a}
`)
	page := reportHTML(t, res)
	require.Contains(t, nodeRowText(t, page, "a"), `class="band ready"`, "Ready from time zero until it went Unknown")
	require.Contains(t, nodeRowText(t, page, "a"), `class="band unknown"`)
	require.Contains(t, nodeRowText(t, page, "b"), `class="band ready"`, "Ready throughout, with no record")
}
