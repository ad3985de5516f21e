package sim_test

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nodesim/nodesim/sim"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func TestZZCPU(t *testing.T) {
	if os.Getenv("ZZCPU") == "" {
		t.Skip()
	}
	runtime.LockOSThread()
	for _, n := range []int{10_000, 1_000_000} {
		for _, kind := range []string{"timer", "at"} {
			var e *sim.Engine
			if kind == "timer" {
				e = newTimerKernel(t, n).e
			} else {
				e = newAtKernel(t, n).e
			}
			warm(e, n)
			best := time.Hour
			steps := 100_000
			for range 60 {
				c0 := time.Now()
				for range steps {
					e.Step()
				}
				if d := time.Since(c0); d < best {
					best = d
				}
			}
			t.Logf("%s n=%d: %.1f ns/event cpu (%.1fM events/s)", kind, n, float64(best)/float64(steps), float64(steps)/best.Seconds()/1e6)
		}
	}
}

func TestZZGrind(t *testing.T) {
	kind := os.Getenv("ZZKIND")
	if kind == "" {
		t.Skip()
	}
	n, _ := strconv.Atoi(os.Getenv("ZZN"))
	steps, _ := strconv.Atoi(os.Getenv("ZZSTEPS"))
	var e *sim.Engine
	if kind == "timer" {
		e = newTimerKernel(t, n).e
	} else {
		e = newAtKernel(t, n).e
	}
	warm(e, n)
	for range steps {
		e.Step()
	}
}
