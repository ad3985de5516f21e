//go:build !race

package nodelifecycle

const raceEnabled = false
