package scenariotest_test

import (
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/nodesim/nodesim/scenario/scenariotest"
)

// TestGeneratorDrawsUnchanged pins what the generator draws without the options
// added since PreferredPodAffinity: 100 fixed draws (Example seeds) of each option
// set below hash to the digest they had before PodAffinityLabelKeys existed, so
// that an option, off, leaves users' recorded seeds meaning the same files.
func TestGeneratorDrawsUnchanged(t *testing.T) {
	h := sha256.New()
	for _, o := range []scenariotest.GenOptions{
		{},
		{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAntiAffinity: true},
		{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PodAffinity: true, PodAntiAffinity: true},
		{MaxNodes: 12, MaxEvents: 6, MaxObjects: 4, PreferredPodAffinity: true, PodAffinity: true},
		{MaxNodes: 30, MaxEvents: 20, MaxObjects: 5, RateLimits: true, ShortGrace: true, SpreadConstraints: true, PodAntiAffinity: true},
	} {
		gen := scenariotest.ScenarioYAML(o)
		for i := range 100 {
			_, _ = h.Write([]byte(gen.Example(i)))
		}
	}
	const want = "9423df5d0aa9883cec8de4da969bbfa5599e0311b41436b7b2149b92a627b685"
	if got := fmt.Sprintf("%x", h.Sum(nil)); got != want {
		t.Fatalf("draws changed: digest %s, want %s", got, want)
	}
}
