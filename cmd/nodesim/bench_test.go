package main

import (
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

// zone60 is issue #9's performance scenario, run as `nodesim run FILE -o jsonl` runs it.
var zone60 = []string{"run", "../../scenario/testdata/zone60.yaml", "-o", "jsonl"}

// BenchmarkZone60 is issue #9's performance scenario run the way the CLI runs it —
// `nodesim run scenario/testdata/zone60.yaml -o jsonl`: load and validate the file, run 60
// nodes in 3 zones for 20 virtual minutes with zone b's kubelets stopped at 60 s, and write
// the JSONL trace. Process start is not included: the target (issue #9, BENCHMARKS.md
// "Against the real controllers on a fake clock") is ≤ 40 ms wall-clock for the whole
// process, of which start-up and package init take about 6 ms on the 2-vCPU VM.
//
// gc=default runs under the test binary's collector (GOGC=100, 4 MB minimum goal), as a
// library user would. gc=cli runs as the CLI does (see deferFirstGC): no collection
// during the run; the garbage of one run is collected between runs, untimed.
func BenchmarkZone60(b *testing.B) {
	if err := run(zone60, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	b.Run("gc=default", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := run(zone60, io.Discard, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gc=cli", func(b *testing.B) {
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			runtime.GC()
			b.StartTimer()
			if err := run(zone60, io.Discard, io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDeferFirstGC: the CLI's first collection waits for firstGCAt bytes, and after it
// the default collector is back (GOGC=100, no memory limit).
func TestDeferFirstGC(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: deferFirstGC leaves the collector alone")
	}
	percent, limit := debug.SetGCPercent(-1), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) })

	deferFirstGC()
	if got := debug.SetMemoryLimit(-1); got != firstGCAt {
		t.Fatalf("memory limit before the first collection = %d, want %d", got, firstGCAt)
	}
	runtime.GC()
	// The finalizer runs on the finalizer goroutine shortly after the collection.
	for i := 0; debug.SetMemoryLimit(-1) != math.MaxInt64; i++ {
		if i == 1000 {
			t.Fatal("the memory limit is still set 10 s after the first collection")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := debug.SetGCPercent(percent); got != 100 {
		t.Fatalf("GOGC after the first collection = %d, want 100", got)
	}
}
