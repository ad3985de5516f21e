//go:build race

package scenario_test

// raceEnabled: the race detector slows runs ~10×, and rapid's shrinking has a time
// budget, so under -race a shrink may stop before the minimal case.
const raceEnabled = true
