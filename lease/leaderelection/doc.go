// Package leaderelection is client-go's leader election over a Lease
// (k8s.io/client-go/tools/leaderelection) and a model of kube-controller-manager's
// high-availability processes built on it.
//
// # Model
//
// A LeaderElector campaigns for a Lease (kube-controller-manager uses
// kube-system/kube-controller-manager). Until it leads it tries every
// RetryPeriod·(1 + U[0,1)·1.2) (wait.JitterUntil, sliding). An attempt
// (tryAcquireOrRenew) reads the Lease; when the record differs from the one it last saw,
// it notes the instant on its own clock (observedTime). Another holder's lock is free once
// observedTime + leaseDurationSeconds is not after now: the timestamps in the record are
// never compared with the candidate's clock. Then it writes itself as holder (an update
// with the resourceVersion precondition, so only one candidate wins), counting a
// transition when the holder changes. The winner records a Leader trace record and calls
// OnStartedLeading.
//
// A leader renews every RetryPeriod. A renewal round retries every RetryPeriod; if no
// attempt succeeds within RenewDeadline of the round's start, the elector stops leading and
// calls OnStoppedLeading. It does not release the lock, so others wait leaseDuration:
// kube-controller-manager sets ReleaseOnCancel only with the feature gate
// ControllerManagerReleaseLeaderElectionLockOnExit, which appears in 1.36 as alpha, off
// by default (cmd/kube-controller-manager/app/controllermanager.go leaderElectAndRun,
// v1.37.2; docs/upstream-semantics.md §11 Q5).
//
// Process models N kube-controller-manager instances with their own clients. A new leader
// builds and starts its controllers through the Controllers factory (fresh memory); a
// leader that loses the lock stops them and exits, as kube-controller-manager does
// ("leaderelection lost"), and its container runs again after RestartDelay. Failover
// crashes the leader without releasing the lock.
//
// # Lazy mode
//
// Unless ProcessConfig.Exact is set (or the trace is verbose), a Process follows the
// steady-state contract of docs/ARCHITECTURE.md: a healthy leader writes one renewal with
// apiserver.Lease.Steady set and then renews virtually, every RetryPeriod, and its
// standbys, which would only see those renewals, poll virtually on their jittered
// schedules. Nothing is scheduled while that lasts. Before anything that could make the
// outcome differ — an API-server outage or the partition of an instance's client (the
// server's BeforeFault hook), Failover, Stop — Process.Unsteady replays the virtual
// renewals and polls in exact mode's order, with the jitter draws exact mode would make,
// writes the Lease with the last renewal's renewTime, and resumes the real loops where
// exact mode's would be. Lazy mode assumes that nobody else writes the lock and that the
// instances' client latencies do not change while the leader is steady; it is off when
// an instance could miss the lock's renewals for leaseDuration between two polls, and
// when Callbacks.OnNewLeader is set.
//
// Defaults: LeaseDuration 15 s, RenewDeadline 10 s, RetryPeriod 2 s (component-base
// leader election defaults), JitterFactor 1.2.
//
// # Decisions where upstream leaves room
//
//   - RestartDelay defaults to 10 s, the kubelet's initial container restart back-off for
//     the static pod; docs/upstream-semantics.md §0a only fixes that the restarted process
//     became leader 16.2 s after it first saw the old lease, which this model reproduces
//     (leaseDuration + up to one jittered retry).
//   - Each process run campaigns with a fresh identity (upstream appends a UUID to the host
//     name), so a restarted instance waits out its predecessor's lease.
//   - A renewal that fails because the request timed out (a partitioned client) waits for
//     the request; a round ends RenewDeadline after it started, whatever is in flight
//     (upstream cancels the request's context).
//   - The leader's optimistic fast-path update (client-go ≥ 1.30) is not modelled
//     separately: a renewal reads, then updates; the outcome is the same.
//   - Coordinated Leader Election (KEP-4355) is not modelled: its feature gate is alpha
//     in 1.31 and beta from 1.33, off by default in every supported version.
//
// # Upstream files followed
//
//   - staging/src/k8s.io/client-go/tools/leaderelection/leaderelection.go
//     (acquire, renew, tryAcquireOrRenew, isLeaseValid, maybeReportTransition)
//   - staging/src/k8s.io/component-base/config/v1alpha1/defaults.go (15 s / 10 s / 2 s)
//   - cmd/kube-controller-manager/app/controllermanager.go (Lease lock, identity,
//     OnStoppedLeading exits)
package leaderelection
