package apiserver

// Tests from a review of graceful deletion against apiserver rest.BeforeDelete
// (v0.31.0, v0.33.0, v0.37.2; session 15); each failed before its fix.

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func reviewPod(t *testing.T, s *Server, c *Client) {
	t.Helper()
	_, err := s.Pods.Create(c, &Pod{ObjectMeta: ObjectMeta{Namespace: "default", Name: "web"}, NodeName: "a",
		PodSpec: &PodSpec{TerminationGracePeriodSeconds: 30}})
	require.NoError(t, err)
}

// rest.BeforeDelete (apiserver/pkg/registry/rest/delete.go): a shorter grace period on a
// pod already terminating moves deletionTimestamp to (first request + new grace), i.e.
// oldTS - oldGrace + newGrace, not now + newGrace.
func TestSecondDeleteShorterGraceFromFirstRequest(t *testing.T) {
	s, e, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	reviewPod(t, s, c)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{})) // t=0: DT 30s, grace 30
	require.NoError(t, e.RunUntil(5*time.Second))
	g := int64(10)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{GracePeriodSeconds: &g}))
	p, _ := s.Pods.Peek("default/web")
	require.Equal(t, int32(10), p.DeletionGracePeriodSeconds)
	require.Equal(t, 10*time.Second, p.DeletionTimestamp, "upstream: 30s - 30s + 10s = 10s")
}

// Same code path: the new deadline would be in the past. From 1.32 (ClampPastDeletion)
// it becomes now with 1 s, still graceful; v0.31.0 keeps the past deadline and the new
// period. nodesim ignored the request.
func TestSecondDeleteShorterGraceAlreadyElapsed(t *testing.T) {
	for _, clamp := range []bool{true, false} {
		s, e, _ := newTestServer(t)
		s.Config.ClampPastDeletion = clamp
		c := s.NewClient("test", 30*time.Second)
		reviewPod(t, s, c)
		require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{})) // t=0: DT 30s, grace 30
		require.NoError(t, e.RunUntil(20*time.Second))
		g := int64(15)
		require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{GracePeriodSeconds: &g}))
		p, ok := s.Pods.Peek("default/web")
		require.True(t, ok)
		if clamp {
			require.Equal(t, 20*time.Second, p.DeletionTimestamp, "clamped to now")
			require.Equal(t, int32(1), p.DeletionGracePeriodSeconds)
		} else {
			require.Equal(t, 15*time.Second, p.DeletionTimestamp, "1.31: 30 s − 30 s + 15 s, in the past")
			require.Equal(t, int32(15), p.DeletionGracePeriodSeconds)
		}
	}
}

// rest.BeforeDelete: once deletionTimestamp is set, CheckGracefulDelete is not called
// again; a DELETE without a shorter grace period is "pending graceful" and changes
// nothing, even if the pod has meanwhile become terminal (e.g. Failed by a node
// shutdown). The taint eviction controller sends exactly such a DELETE (empty options).
func TestDeleteOfTerminatingPodThatTurnedTerminalIsPending(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	reviewPod(t, s, c)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{})) // DT 30s
	_, err := s.Pods.Patch(c, "default/web", func(p *Pod) error { p.Phase = PodFailed; return nil })
	require.NoError(t, err)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{}))
	_, ok := s.Pods.Peek("default/web")
	require.True(t, ok, "upstream: graceful deletion pending, the pod stays until a grace-0 DELETE")
}

// rest.BeforeDelete: "Negative values will be treated as the value `1s` on the delete
// path" — a graceful delete with 1 s, not a force delete.
func TestNegativeGraceIsOneSecond(t *testing.T) {
	s, _, _ := newTestServer(t)
	c := s.NewClient("test", 30*time.Second)
	reviewPod(t, s, c)
	g := int64(-1)
	require.NoError(t, s.Pods.Delete(c, "default/web", DeleteOptions{GracePeriodSeconds: &g}))
	p, ok := s.Pods.Peek("default/web")
	require.True(t, ok, "upstream: -1 becomes 1 s")
	require.Equal(t, time.Second, p.DeletionTimestamp)
}
