package scenario

import (
	"github.com/nodesim/nodesim/scenario/spec"
)

// Scenario is a loaded, validated and defaulted scenario (see package spec).
type Scenario = spec.Scenario

// Load reads and validates a scenario file. A file that does not validate returns an
// error naming file, line, field and what is allowed, and no scenario.
func Load(path string) (*Scenario, error) { return spec.Load(path) }

// Parse validates a scenario given as bytes; name is used in error messages.
func Parse(name string, data []byte) (*Scenario, error) { return spec.Parse(name, data) }
