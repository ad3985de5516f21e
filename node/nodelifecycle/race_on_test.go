//go:build race

package nodelifecycle

// raceEnabled shrinks the property test under the race detector, which slows it ~10×.
const raceEnabled = true
