package flowcontrol

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/nodesim/nodesim/sim"
)

// Requests go at their instants, in order, each after what was due at that instant
// when it was added; one a send adds for now goes in the same round; Drop stops the
// round and forgets the rest.
func TestWaiting(t *testing.T) {
	e := sim.New()
	var sent []string
	var w *Waiting[string]
	w, err := NewWaiting(e, func(r string) {
		sent = append(sent, r+"@"+sim.Seconds(e.Now()))
		switch r {
		case "b":
			w.Add("b2", e.Now()+time.Second)
		case "drop":
			w.Drop()
		}
	})
	require.NoError(t, err)
	_, _ = e.At(0, func() { sent = append(sent, "first@0") })
	w.Add("a", 0)
	w.Add("b", 0)
	w.Add("c", time.Second)
	assert.Equal(t, 3, w.Len())
	e.Run()
	assert.Equal(t, []string{"first@0", "a@0", "b@0", "c@1", "b2@1"}, sent)

	sent = nil
	w.Add("drop", 2*time.Second)
	w.Add("lost", 2*time.Second)
	w.Add("lost too", 3*time.Second)
	e.Run()
	assert.Equal(t, []string{"drop@2"}, sent)
	assert.Zero(t, w.Len())
}
