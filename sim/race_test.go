//go:build race

package sim_test

// raceEnabled reports whether the race detector is on; its instrumentation makes
// the allocation checks slow and says nothing about them.
const raceEnabled = true
