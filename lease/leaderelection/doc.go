// Package leaderelection is client-go's leader election over a Lease
// (k8s.io/client-go/tools/leaderelection) and a model of kube-controller-manager's
// high-availability processes built on it.
//
// # Model
//
// A LeaderElector campaigns for a Lease (kube-controller-manager uses
// kube-system/kube-controller-manager). Until it leads it tries every
// RetryPeriod·(1 + U[0,1)·1.2) (wait.JitterUntil, sliding). An attempt
// (tryAcquireOrRenew) reads the Lease; when the record differs from the one it last read
// (compared as client-go compares the JSON it reads: times in whole seconds), it notes
// the instant on its own clock (observedTime). Another holder's lock is free once
// observedTime + leaseDurationSeconds is not after now: the timestamps in the record are
// never compared with the candidate's clock. leaseDurationSeconds is the record's, which
// each candidate writes as int(LeaseDuration / time.Second) (tryAcquireOrRenew): a
// LeaseDuration of 15.5 s runs exactly as 15 s, for the leader's own fast path too (only
// client-go's healthz Check, not modelled, uses the unrounded value); under 1 s it would
// be 0, which the API server rejects (coordination validation: must be greater than 0),
// so Config.Validate refuses it. Then it writes itself as holder (an update
// with the resourceVersion precondition, so only one candidate wins), counting a
// transition when the holder changes. The winner records a Leader trace record and calls
// OnStartedLeading.
//
// A leader renews every RetryPeriod, by client-go's fast path: while its lease is valid
// on its own clock it updates the Lease it last wrote without reading it, and reads it
// only when that fails (an UPDATE, then a GET, per failing attempt). The leader a
// Process starts with (ProcessConfig.RandomRenewPhase, which scenarios set) has renewed
// since before time zero: its renewals fall at a phase drawn per seed, not on even
// seconds, since upstream's sliding loop has no fixed phase against any instant (a
// review found a 9 s outage restarting kube-controller-manager in every seed when it
// started on an even second, and in none on an odd one). Not modelled: the next round
// starts RetryPeriod after the last one's request returned, not RetryPeriod after it
// was sent (shows only with client latency). A renewal round retries every RetryPeriod; if no
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
// ("leaderelection lost"), and its container runs again after the kubelet's restart
// delay (see below). Failover crashes the leader without releasing the lock.
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
//   - The restart of an exited process is the kubelet's restart of its static pod's
//     container (kuberuntime doBackOff with the kubelet's crash-loop back-off,
//     flowcontrol.Backoff, v1.31.0–v1.37.2): with no back-off in force (the first exit,
//     or one more than 600 s after the last restart) it runs again at the kubelet's next
//     PLEG relist, RestartDelay (1 s) later; the restart starts a back-off of
//     RestartBackOff (10 s) that each later restart doubles up to MaxRestartBackOff
//     (300 s), and an exit within it waits for it to pass. Until session 12 every
//     restart waited 10 s, a reading of the back-off that missed its first, free,
//     restart. docs/upstream-semantics.md §0a only fixes that the restarted process
//     became leader 16.2 s after it first saw the old lease, which this model reproduces
//     (leaseDuration + up to one jittered retry). The kubelet's relist granularity (the
//     exit seen 0–1 s after it) and the pod worker's own retry period are not modelled.
//   - The election's requests use the instance's one client, whose timeout is
//     ClientTimeout (30 s in scenarios). Upstream's resource lock has a client of its
//     own with a timeout of RenewDeadline/2 (resourcelock.NewFromKubeconfig), so a
//     leader partitioned for a few seconds can renew within its round where nodesim's
//     first request outlasts the round and the leader exits. Scenarios cannot partition
//     kube-controller-manager (their faults are API-server outages, refused at once), so
//     this shows only through the Go API (Process.Client).
//   - Garbage collection of a deleted Node's Lease is the API server's (apiserver
//     package), not a controller of the leader's: it happens while no instance leads.
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
