package scenario

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/nodesim/nodesim/scenario/spec"
	"github.com/nodesim/nodesim/sim"
)

// AggregateThreshold is the node count above which the HTML report draws one
// aggregate row per zone (stacked Ready/NotReady/Unknown counts) instead of one row
// per node.
const AggregateThreshold = 60

// Layout of the timeline SVG, in pixels.
const (
	rpLeft     = 200.0 // width of the label column
	rpPlotW    = 1000.0
	rpRight    = 20.0
	rpAxisH    = 24.0
	rpNodeH    = 18.0
	rpZoneH    = 16.0
	rpAggH     = 60.0
	rpWorkH    = 120.0
	rpGap      = 10.0
	rpSvgWidth = rpLeft + rpPlotW + rpRight
)

// WriteHTML writes a self-contained HTML report of the run: a header with the
// scenario, version, seed, duration and expectation verdicts, then an inline SVG
// timeline with faults, zone states, per-node Ready/NotReady/Unknown bands with taint
// and eviction markers (or, above AggregateThreshold nodes, per-zone stacked counts
// and the list of nodes that ever left Ready), and each workload's ready replicas.
// The page fetches nothing; the same Result always gives the same bytes.
func (r *Result) WriteHTML(w io.Writer) error {
	m := buildReportModel(r)
	var svg bytes.Buffer
	m.writeSVG(&svg)
	data := reportPage{
		Title:    r.Scenario.Name,
		Version:  r.Scenario.Spec.KubernetesVersion,
		Seed:     r.Seed,
		Duration: HumanDuration(r.End),
		Digest:   r.Digest(),
		Nodes:    len(m.nodes),
		Agg:      m.aggregate,
		SVG:      template.HTML(svg.String()), //nolint:gosec // built with escaping below
		Left:     m.leftReady,
	}
	for _, x := range r.Expectations {
		data.Verdicts = append(data.Verdicts, reportVerdict{OK: x.OK, Text: describe(&x.Expectation), Detail: x.Detail, Line: x.Line})
	}
	return reportTmpl.Execute(w, data)
}

type reportVerdict struct {
	OK     bool
	Text   string
	Detail string
	Line   int
}

type reportPage struct {
	Title    string
	Version  string
	Seed     uint64
	Duration string
	Digest   string
	Nodes    int
	Agg      bool
	Verdicts []reportVerdict
	SVG      template.HTML
	Left     []leftReady
}

// leftReady is a node that left Ready at least once: when first, and how many times.
type leftReady struct {
	Node  string
	Zone  string
	First string
	Times int
}

var reportTmpl = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nodesim: {{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px;color:#222}
h1{font-size:20px;margin:0 0 6px}
.meta span{margin-right:18px}
.verdicts{list-style:none;padding:0}
.verdicts li{font-family:ui-monospace,monospace;font-size:13px;margin:2px 0}
.verdict.ok::before{content:"ok   ";color:#1a7f37;font-weight:bold}
.verdict.fail::before{content:"FAIL ";color:#cf222e;font-weight:bold}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
.timeline-wrap{overflow-x:auto}
svg text{font-family:ui-monospace,monospace;font-size:11px}
.band.ready,.area.ready,.sw.ready{fill:#2da44e;background:#2da44e}
.band.notready,.area.notready,.sw.notready{fill:#d4a72c;background:#d4a72c}
.band.unknown,.area.unknown,.sw.unknown{fill:#8c959f;background:#8c959f}
.zone-band.normal{fill:#a5d6a7}.zone-band.initial{fill:#e0e0e0}
.zone-band.partialdisruption{fill:#ffcc80}.zone-band.fulldisruption{fill:#ef9a9a}
.fault{stroke:#cf222e;stroke-width:1;stroke-dasharray:4 3}
.fault-label{fill:#cf222e}
.taint-marker.noexecute{fill:#8250df}.taint-marker.noschedule{fill:#0969da}
.taint-marker.removed{fill:#fff;stroke-width:1.2}
.taint-marker.removed.noexecute{stroke:#8250df}.taint-marker.removed.noschedule{stroke:#0969da}
.eviction-marker{stroke:#cf222e;stroke-width:2}
.workload-line{fill:none;stroke-width:1.5}
.axis line{stroke:#d0d7de}.grid{stroke:#eaeef2}
.left-ready{font-size:13px;border-collapse:collapse}.left-ready td,.left-ready th{padding:2px 10px;text-align:left}
</style></head>
<body>
<h1 id="scenario">{{.Title}}</h1>
<div class="meta"><span>kubernetes <b id="version">{{.Version}}</b></span><span>seed <b id="seed">{{.Seed}}</b></span><span>duration <b id="duration">{{.Duration}}</b></span><span>nodes <b id="node-count">{{.Nodes}}</b></span><span>trace sha256 <code>{{.Digest}}</code></span></div>
{{if .Verdicts}}<h2>Expectations</h2>
<ul class="verdicts" id="verdicts">{{range .Verdicts}}
<li class="verdict {{if .OK}}ok{{else}}fail{{end}}">{{.Text}}{{if .Line}} (line {{.Line}}){{end}}{{if not .OK}} — {{.Detail}}{{end}}</li>{{end}}
</ul>{{end}}
<h2>Timeline</h2>
<div class="legend"><span><i class="sw ready"></i>Ready</span><span><i class="sw notready"></i>NotReady</span><span><i class="sw unknown"></i>Unknown</span>{{if not .Agg}}<span>&#9650; NoExecute taint (hollow: removed)</span><span>&#9632; NoSchedule taint</span><span>| eviction</span>{{end}}<span>- - fault</span></div>
<div class="timeline-wrap">
{{.SVG}}
</div>
{{if .Agg}}<h2>Nodes that left Ready</h2>
{{if .Left}}<table class="left-ready" id="left-ready"><tr><th>node</th><th>zone</th><th>first left Ready</th><th>times</th></tr>{{range .Left}}
<tr class="left-ready-node"><td>{{.Node}}</td><td>{{.Zone}}</td><td>{{.First}}</td><td>{{.Times}}</td></tr>{{end}}
</table>{{else}}<p id="left-ready">none</p>{{end}}{{end}}
</body></html>
`))

// segment is a span of a state on a row: [from, to).
type segment struct {
	from, to time.Duration
	state    string
}

type taintMark struct {
	t       time.Duration
	taint   string
	added   bool
	execute bool
}

type evictMark struct {
	t      time.Duration
	pod    string
	reason string
}

type nodeRow struct {
	name     string
	zone     string
	segs     []segment
	taints   []taintMark
	evicts   []evictMark
	cur      string // current Ready status ("" before the first Ready condition)
	since    time.Duration
	live     bool // registered and not deleted
	leftAt   time.Duration
	leftN    int
	everLeft bool
}

type zoneRow struct {
	name  string
	segs  []segment
	cur   string
	since time.Duration
	// aggregate counts: a step per change
	steps []countStep
	max   int
}

type countStep struct {
	t                        time.Duration
	ready, notReady, unknown int
}

type faultMark struct {
	t      time.Duration
	action string
	target string
}

type workStep struct {
	t              time.Duration
	ready, desired int
}

type workRow struct {
	name  string
	steps []workStep
}

type reportModel struct {
	end       time.Duration
	nodes     []*nodeRow
	byName    map[string]*nodeRow
	zones     []*zoneRow
	zoneBy    map[string]*zoneRow
	faults    []faultMark
	works     []*workRow
	workBy    map[string]*workRow
	aggregate bool
	leftReady []leftReady
}

func buildReportModel(r *Result) *reportModel {
	m := &reportModel{end: r.End, byName: map[string]*nodeRow{}, zoneBy: map[string]*zoneRow{}, workBy: map[string]*workRow{}}
	if m.end <= 0 {
		m.end = time.Second
	}
	zoneOf := map[string]string{}
	var order []string
	addName := func(name, zone string) {
		if _, ok := zoneOf[name]; !ok {
			zoneOf[name] = zone
			order = append(order, name)
		}
	}
	for _, n := range r.Scenario.Spec.Nodes {
		addName(n.Name, n.Zone)
	}
	for _, ev := range r.Scenario.Spec.Events {
		for _, n := range ev.AddNodes {
			addName(n.Name, n.Zone)
		}
	}
	node := func(name string) *nodeRow {
		if n, ok := m.byName[name]; ok {
			return n
		}
		n := &nodeRow{name: name, zone: zoneOf[name]}
		m.byName[name] = n
		return n
	}
	for _, name := range order {
		m.nodes = append(m.nodes, node(name))
	}
	var extra []string
	zone := func(name string) *zoneRow {
		if z, ok := m.zoneBy[name]; ok {
			return z
		}
		z := &zoneRow{name: name}
		m.zoneBy[name] = z
		return z
	}
	// Zone rows for aggregation exist for every zone that has nodes.
	for _, name := range order {
		zone(zoneOf[name])
	}
	counts := map[string]*countStep{}
	bump := func(zn string, state string, d int) {
		c := counts[zn]
		if c == nil {
			c = &countStep{}
			counts[zn] = c
		}
		switch state {
		case "True":
			c.ready += d
		case "False":
			c.notReady += d
		case "Unknown":
			c.unknown += d
		}
	}
	closeNode := func(n *nodeRow, t time.Duration) {
		if n.cur != "" && t > n.since {
			n.segs = append(n.segs, segment{n.since, t, n.cur})
		}
	}
	setNode := func(n *nodeRow, t time.Duration, state string) {
		closeNode(n, t)
		bump(n.zone, n.cur, -1)
		if n.cur == "True" && state != "True" {
			n.leftN++
			if !n.everLeft {
				n.everLeft, n.leftAt = true, t
			}
		}
		n.cur, n.since = state, t
		bump(n.zone, n.cur, +1)
	}
	if r.Scenario.Spec.Start == spec.StartRunning {
		// a running start's nodes are registered and Ready at time zero, untraced
		for _, n := range r.Scenario.Spec.Nodes {
			if n.Kubelet.RegisterNode {
				row := node(n.Name)
				row.live = true
				setNode(row, 0, "True")
			}
		}
	}
	for rec := range r.All() {
		t := rec.T
		if t > m.end {
			t = m.end
		}
		changed := ""
		switch rec.Kind {
		case "NodeRegistered":
			name := rec.Str("node")
			if _, ok := m.byName[name]; !ok {
				extra = append(extra, name)
			}
			n := node(name)
			n.live = true
		case "NodeDeleted":
			name := rec.Str("node")
			if _, ok := m.byName[name]; !ok {
				extra = append(extra, name)
			}
			n := node(name)
			setNode(n, t, "")
			n.live = false
			changed = n.zone
		case "NodeCondition":
			if rec.Str("type") != "Ready" {
				continue
			}
			name := rec.Str("node")
			if _, ok := m.byName[name]; !ok {
				extra = append(extra, name)
			}
			n := node(name)
			setNode(n, t, rec.Str("to"))
			changed = n.zone
		case "TaintAdded", "TaintRemoved":
			tn := rec.Str("taint")
			exec := strings.HasSuffix(tn, ":NoExecute")
			if !exec && !strings.HasSuffix(tn, ":NoSchedule") {
				continue
			}
			n := node(rec.Str("node"))
			n.taints = append(n.taints, taintMark{t, tn, rec.Kind == "TaintAdded", exec})
		case "PodEvicted":
			name := rec.Str("node")
			if name == "" {
				continue
			}
			n := node(name)
			n.evicts = append(n.evicts, evictMark{t, rec.Str("pod"), rec.Str("reason")})
		case "Action":
			m.faults = append(m.faults, faultMark{t, rec.Str("action"), rec.Str("target")})
		case "ZoneState":
			z := zone(rec.Str("zone"))
			if z.cur != "" && t > z.since {
				z.segs = append(z.segs, segment{z.since, t, z.cur})
			}
			z.cur, z.since = rec.Str("to"), t
		case "WorkloadReady":
			name := rec.Str("workload")
			wr, ok := m.workBy[name]
			if !ok {
				wr = &workRow{name: name}
				m.workBy[name] = wr
				m.works = append(m.works, wr)
			}
			ready, _ := strconv.Atoi(rec.Str("ready"))
			desired, _ := strconv.Atoi(rec.Str("desired"))
			if k := len(wr.steps); k > 0 && wr.steps[k-1].t == t {
				wr.steps[k-1] = workStep{t, ready, desired}
			} else {
				wr.steps = append(wr.steps, workStep{t, ready, desired})
			}
		}
		if changed != "" || (rec.Kind == "NodeCondition" || rec.Kind == "NodeDeleted") {
			z := zone(changed)
			c := counts[changed]
			if c == nil {
				c = &countStep{}
			}
			s := countStep{t, c.ready, c.notReady, c.unknown}
			if k := len(z.steps); k > 0 && z.steps[k-1].t == t {
				z.steps[k-1] = s
			} else {
				z.steps = append(z.steps, s)
			}
			if tot := s.ready + s.notReady + s.unknown; tot > z.max {
				z.max = tot
			}
		}
	}
	// Nodes only the trace names (not in the file) come after the file's, sorted.
	sort.Strings(extra)
	seen := map[string]bool{}
	for _, name := range extra {
		if !seen[name] {
			seen[name] = true
			m.nodes = append(m.nodes, m.byName[name])
		}
	}
	for _, n := range m.nodes {
		closeNode(n, m.end)
		if n.everLeft {
			m.leftReady = append(m.leftReady, leftReady{Node: n.name, Zone: n.zone, First: sim.Seconds(n.leftAt) + "s", Times: n.leftN})
		}
	}
	for _, z := range m.zoneBy {
		if z.cur != "" && m.end > z.since {
			z.segs = append(z.segs, segment{z.since, m.end, z.cur})
		}
	}
	zn := make([]string, 0, len(m.zoneBy))
	for name := range m.zoneBy {
		zn = append(zn, name)
	}
	sort.Strings(zn)
	for _, name := range zn {
		m.zones = append(m.zones, m.zoneBy[name])
	}
	sort.Slice(m.works, func(i, j int) bool { return m.works[i].name < m.works[j].name })
	m.aggregate = len(m.nodes) > AggregateThreshold
	return m
}

// f formats a coordinate with fixed precision, so output is byte-stable.
func rpf(x float64) string { return strconv.FormatFloat(x, 'f', 2, 64) }

func rpEsc(s string) string { return html.EscapeString(s) }

func (m *reportModel) x(t time.Duration) float64 {
	if t < 0 {
		t = 0
	}
	if t > m.end {
		t = m.end
	}
	return rpLeft + float64(t)/float64(m.end)*rpPlotW
}

func stateClass(s string) string {
	switch s {
	case "True":
		return "ready"
	case "False":
		return "notready"
	default:
		return "unknown"
	}
}

func stateName(s string) string {
	switch s {
	case "True":
		return "Ready"
	case "False":
		return "NotReady"
	default:
		return "Unknown"
	}
}

func zoneLabel(z string) string {
	if z == "" {
		return "(no zone)"
	}
	return z
}

// workColors is the fixed palette of the workload lines.
var workColors = []string{"#0969da", "#cf222e", "#1a7f37", "#8250df", "#bc4c00", "#1b7c83", "#bf3989", "#6e7781"}

func (m *reportModel) writeSVG(b *bytes.Buffer) {
	// Heights.
	zonesWithState := 0
	for _, z := range m.zones {
		if len(z.segs) > 0 {
			zonesWithState++
		}
	}
	h := rpAxisH + rpGap + float64(zonesWithState)*rpZoneH + rpGap
	if m.aggregate {
		h += float64(len(m.zones)) * (rpAggH + rpGap)
	} else {
		h += float64(len(m.nodes)) * rpNodeH
	}
	if len(m.works) > 0 {
		h += rpGap*3 + rpWorkH + float64(len(m.works))*14
	}
	h += rpGap
	mode := "nodes"
	if m.aggregate {
		mode = "aggregate"
	}
	fmt.Fprintf(b, `<svg xmlns="http://www.w3.org/2000/svg" id="timeline" class="timeline %s" width="%s" height="%s" viewBox="0 0 %s %s">`+"\n",
		mode, rpf(rpSvgWidth), rpf(h), rpf(rpSvgWidth), rpf(h))

	// Axis with ticks.
	step := tickStep(m.end)
	b.WriteString(`<g class="axis">`)
	for t := time.Duration(0); t <= m.end; t += step {
		x := m.x(t)
		fmt.Fprintf(b, `<line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/><text x="%s" y="14" text-anchor="middle">%s</text>`,
			rpf(x), rpf(rpAxisH-4), rpf(x), rpf(h-rpGap), rpf(x), rpEsc(HumanDuration(t)))
	}
	b.WriteString("</g>\n")

	y := rpAxisH + rpGap
	// Zone state bands.
	for _, z := range m.zones {
		if len(z.segs) == 0 {
			continue
		}
		fmt.Fprintf(b, `<g class="zone-row" data-zone="%s"><text x="4" y="%s">zone %s</text>`, rpEsc(z.name), rpf(y+rpZoneH-5), rpEsc(zoneLabel(z.name)))
		for _, s := range z.segs {
			fmt.Fprintf(b, `<rect class="zone-band %s" x="%s" y="%s" width="%s" height="%s"><title>zone %s %s %ss–%ss</title></rect>`,
				rpEsc(strings.ToLower(s.state)), rpf(m.x(s.from)), rpf(y+1), rpf(m.x(s.to)-m.x(s.from)), rpf(rpZoneH-2),
				rpEsc(zoneLabel(z.name)), rpEsc(s.state), sim.Seconds(s.from), sim.Seconds(s.to))
		}
		b.WriteString("</g>\n")
		y += rpZoneH
	}
	y += rpGap
	if m.aggregate {
		y = m.writeAggregate(b, y)
	} else {
		y = m.writeNodeRows(b, y)
	}
	top := rpAxisH
	bottom := y
	if len(m.works) > 0 {
		y = m.writeWorkloads(b, y+rpGap*2)
	}
	// Faults over the whole timeline.
	b.WriteString(`<g class="faults">`)
	for i, fm := range m.faults {
		x := m.x(fm.t)
		label := fm.action
		if fm.target != "" {
			label += " " + fm.target
		}
		if len(label) > 40 {
			label = label[:37] + "..."
		}
		fmt.Fprintf(b, `<g class="fault-mark" data-action="%s"><line class="fault" x1="%s" y1="%s" x2="%s" y2="%s"/><text class="fault-label" x="%s" y="%s">%s</text><title>%ss %s %s</title></g>`,
			rpEsc(fm.action), rpf(x), rpf(top), rpf(x), rpf(bottom), rpf(x+3), rpf(top+10+float64(i%3)*11), rpEsc(label), sim.Seconds(fm.t), rpEsc(fm.action), rpEsc(fm.target))
	}
	b.WriteString("</g>\n")
	_ = y
	b.WriteString("</svg>")
}

func (m *reportModel) writeNodeRows(b *bytes.Buffer, y float64) float64 {
	for _, n := range m.nodes {
		fmt.Fprintf(b, `<g class="node-row" id="node-%s" data-node="%s" data-zone="%s"><text x="4" y="%s">%s</text>`,
			rpEsc(n.name), rpEsc(n.name), rpEsc(n.zone), rpf(y+rpNodeH-5), rpEsc(n.name))
		for _, s := range n.segs {
			fmt.Fprintf(b, `<rect class="band %s" x="%s" y="%s" width="%s" height="%s"><title>%s %s %ss–%ss</title></rect>`,
				stateClass(s.state), rpf(m.x(s.from)), rpf(y+2), rpf(m.x(s.to)-m.x(s.from)), rpf(rpNodeH-4),
				rpEsc(n.name), stateName(s.state), sim.Seconds(s.from), sim.Seconds(s.to))
		}
		for _, tm := range n.taints {
			x := m.x(tm.t)
			cls := "noschedule"
			if tm.execute {
				cls = "noexecute"
			}
			verb := "added"
			if !tm.added {
				verb, cls = "removed", cls+" removed"
			}
			var shape string
			if tm.execute {
				shape = fmt.Sprintf(`<path class="taint-marker %s" d="M%s %sL%s %sL%s %sZ">`, cls, rpf(x), rpf(y+2), rpf(x+4), rpf(y+9), rpf(x-4), rpf(y+9))
			} else {
				shape = fmt.Sprintf(`<rect class="taint-marker %s" x="%s" y="%s" width="6" height="6">`, cls, rpf(x-3), rpf(y+rpNodeH-9))
			}
			b.WriteString(shape)
			fmt.Fprintf(b, `<title>%ss taint %s %s</title>`, sim.Seconds(tm.t), verb, rpEsc(tm.taint))
			if tm.execute {
				b.WriteString("</path>")
			} else {
				b.WriteString("</rect>")
			}
		}
		for _, ev := range n.evicts {
			x := m.x(ev.t)
			fmt.Fprintf(b, `<line class="eviction-marker" x1="%s" y1="%s" x2="%s" y2="%s"><title>%ss evicted %s (%s)</title></line>`,
				rpf(x), rpf(y+1), rpf(x), rpf(y+rpNodeH-1), sim.Seconds(ev.t), rpEsc(ev.pod), rpEsc(ev.reason))
		}
		b.WriteString("</g>\n")
		y += rpNodeH
	}
	return y
}

func (m *reportModel) writeAggregate(b *bytes.Buffer, y float64) float64 {
	for _, z := range m.zones {
		if z.max == 0 {
			continue
		}
		fmt.Fprintf(b, `<g class="zone-agg" data-zone="%s"><text x="4" y="%s">%s</text><text x="4" y="%s">max %d nodes</text>`,
			rpEsc(z.name), rpf(y+14), rpEsc(zoneLabel(z.name)), rpf(y+28), z.max)
		base := y + rpAggH
		scale := rpAggH / float64(z.max)
		// Each layer: its lower and upper bound per step.
		layers := []struct {
			cls    string
			lo, hi func(c countStep) int
		}{
			{"ready", func(c countStep) int { return 0 }, func(c countStep) int { return c.ready }},
			{"notready", func(c countStep) int { return c.ready }, func(c countStep) int { return c.ready + c.notReady }},
			{"unknown", func(c countStep) int { return c.ready + c.notReady }, func(c countStep) int { return c.ready + c.notReady + c.unknown }},
		}
		for _, l := range layers {
			var up, down strings.Builder
			for i, s := range z.steps {
				x0 := m.x(s.t)
				x1 := m.x(m.end)
				if i+1 < len(z.steps) {
					x1 = m.x(z.steps[i+1].t)
				}
				yh := base - float64(l.hi(s))*scale
				yl := base - float64(l.lo(s))*scale
				if i == 0 {
					fmt.Fprintf(&up, "M%s %s", rpf(x0), rpf(yh))
				} else {
					fmt.Fprintf(&up, "L%s %s", rpf(x0), rpf(yh))
				}
				fmt.Fprintf(&up, "L%s %s", rpf(x1), rpf(yh))
				// The lower edge is walked back later; record it in reverse.
				seg := fmt.Sprintf("L%s %sL%s %s", rpf(x1), rpf(yl), rpf(x0), rpf(yl))
				down.WriteString(seg + "|")
			}
			if len(z.steps) == 0 {
				continue
			}
			parts := strings.Split(strings.TrimSuffix(down.String(), "|"), "|")
			for i := len(parts) - 1; i >= 0; i-- {
				up.WriteString(parts[i])
			}
			up.WriteString("Z")
			fmt.Fprintf(b, `<path class="area %s" d="%s"><title>%s: %s nodes</title></path>`, l.cls, up.String(), rpEsc(zoneLabel(z.name)), l.cls)
		}
		b.WriteString("</g>\n")
		y += rpAggH + rpGap
	}
	return y
}

func (m *reportModel) writeWorkloads(b *bytes.Buffer, y float64) float64 {
	maxv := 1
	for _, wr := range m.works {
		for _, s := range wr.steps {
			if s.desired > maxv {
				maxv = s.desired
			}
			if s.ready > maxv {
				maxv = s.ready
			}
		}
	}
	base := y + rpWorkH
	scale := (rpWorkH - 4) / float64(maxv)
	fmt.Fprintf(b, `<g class="workloads"><text x="4" y="%s">ready replicas</text><text x="%s" y="%s" text-anchor="end">%d</text><text x="%s" y="%s" text-anchor="end">0</text><line class="grid" x1="%s" y1="%s" x2="%s" y2="%s"/>`,
		rpf(y+12), rpf(rpLeft-4), rpf(base-float64(maxv)*scale+4), maxv, rpf(rpLeft-4), rpf(base), rpf(rpLeft), rpf(base), rpf(rpLeft+rpPlotW), rpf(base))
	for i, wr := range m.works {
		color := workColors[i%len(workColors)]
		var d strings.Builder
		for j, s := range wr.steps {
			yy := base - float64(s.ready)*scale
			x0 := m.x(s.t)
			if j == 0 {
				fmt.Fprintf(&d, "M%s %s", rpf(x0), rpf(yy))
			} else {
				fmt.Fprintf(&d, "L%s %s", rpf(x0), rpf(yy))
			}
			x1 := m.x(m.end)
			if j+1 < len(wr.steps) {
				x1 = m.x(wr.steps[j+1].t)
			}
			fmt.Fprintf(&d, "L%s %s", rpf(x1), rpf(yy))
		}
		last := wr.steps[len(wr.steps)-1]
		fmt.Fprintf(b, `<path class="workload-line" data-workload="%s" stroke="%s" d="%s"><title>%s ready %d/%d at end</title></path>`,
			rpEsc(wr.name), color, d.String(), rpEsc(wr.name), last.ready, last.desired)
		fmt.Fprintf(b, `<text x="%s" y="%s" fill="%s">%s</text>`, rpf(rpLeft+4), rpf(base+14+float64(i)*14), color, rpEsc(wr.name))
	}
	b.WriteString("</g>\n")
	return base + 14 + float64(len(m.works))*14
}

// tickStep picks an axis step giving 5–12 ticks.
func tickStep(end time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute,
		2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if end/s <= 12 {
			return s
		}
	}
	return end / 10
}
