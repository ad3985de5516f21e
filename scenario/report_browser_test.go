package scenario_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

const chromiumPath = "/usr/bin/chromium"

// browserProblems collects console calls of type error/warning/assert, uncaught
// exceptions and browser log entries of level error while a page is loaded.
type browserProblems struct {
	mu   sync.Mutex
	msgs []string
}

func (p *browserProblems) add(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, s)
}

func (p *browserProblems) list() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.msgs...)
}

// openInChromium loads the file in headless Chromium and returns a context to drive
// it, and the problems seen so far.
func openInChromium(t *testing.T, file string) (context.Context, *browserProblems) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("Chromium is not installed at %s (apt-get install -y chromium; CI installs it when .ci/browser-deps exists): %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })

	probs := &browserProblems{}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			probs.add(fmt.Sprintf("console.%s(%s)", ev.Type, strings.Join(args, ", ")))
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			probs.add("exception: " + msg)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				probs.add(fmt.Sprintf("log %s %s: %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		}
	}))
	abs, err := filepath.Abs(file)
	require.NoError(t, err)
	require.NoError(t, chromedp.Do(ctx, chromedp.Navigate("file://"+abs), chromedp.WaitReady(chromedp.CSS("#timeline"))))
	return ctx, probs
}

func writeReport(t *testing.T, yaml, name string) string {
	t.Helper()
	res := reportRun(t, name, yaml)
	file := filepath.Join(t.TempDir(), "report.html")
	f, err := os.Create(file)
	require.NoError(t, err)
	require.NoError(t, res.WriteHTML(f))
	require.NoError(t, f.Close())
	return file
}

func TestReportInChromium(t *testing.T) {
	file := writeReport(t, reportSmallYAML, "small.yaml")
	ctx, probs := openInChromium(t, file)

	rows := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll('#timeline g.node-row')).map(g => g.id)`)
	svgW := evalJS[float64](t, ctx, `document.getElementById('timeline').getBoundingClientRect().width`)
	svgH := evalJS[float64](t, ctx, `document.getElementById('timeline').getBoundingClientRect().height`)
	bands := evalJS[int](t, ctx, `document.querySelectorAll('#node-w1 rect.band').length`)
	evictions := evalJS[int](t, ctx, `document.querySelectorAll('#node-w1 line.eviction-marker').length`)
	title, err := chromedp.Run(ctx, chromedp.Title())
	require.NoError(t, err)
	require.Equal(t, []string{"node-cp", "node-w1", "node-w2"}, rows)
	require.Greater(t, svgW, 1000.0)
	require.Greater(t, svgH, 100.0)
	require.GreaterOrEqual(t, bands, 3, "NotReady, Ready, Unknown")
	require.GreaterOrEqual(t, evictions, 1)
	require.Equal(t, "nodesim: report-small", title)

	// The listeners work: a console error made on purpose is seen.
	evalJS[any](t, ctx, `console.error("probe")`)
	require.Eventually(t, func() bool {
		for _, p := range probs.list() {
			if strings.Contains(p, "probe") {
				return true
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond)
	var real []string
	for _, p := range probs.list() {
		if !strings.Contains(p, "probe") {
			real = append(real, p)
		}
	}
	require.Empty(t, real, "the page loads without console errors or exceptions")
}

func TestReportAggregateInChromium(t *testing.T) {
	file := writeReport(t, reportLargeYAML, "large.yaml")
	ctx, probs := openInChromium(t, file)

	zones := evalJS[[]string](t, ctx, `Array.from(document.querySelectorAll('#timeline g.zone-agg')).map(g => g.dataset.zone)`)
	nodeRows := evalJS[int](t, ctx, `document.querySelectorAll('#timeline g.node-row').length`)
	left := evalJS[int](t, ctx, `document.querySelectorAll('#left-ready tr.left-ready-node').length`)
	areas := evalJS[int](t, ctx, `Array.from(document.querySelectorAll('#timeline path.area')).filter(p => p.getBBox().width > 0).length`)
	require.Equal(t, []string{"zone-a", "zone-b"}, zones)
	require.Zero(t, nodeRows)
	require.Equal(t, 3, left)
	require.GreaterOrEqual(t, areas, 2)
	require.Empty(t, probs.list())
}

// evalJS evaluates a JavaScript expression in the page and returns its value.
func evalJS[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(t, err, expr)
	return v
}
