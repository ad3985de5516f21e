// Package flowcontrol is client-go's client-side flow control on the virtual clock: the
// token bucket every request of a client waits on (k8s.io/client-go/util/flowcontrol,
// golang.org/x/time/rate underneath), and the event recorder's writer, which sends a
// component's Kubernetes Events through that same client and so spends the same tokens.
//
// # Why it matters
//
// Each kube-controller-manager controller builds its own clientset (ClientBuilder.Client
// per controller name, a fresh rate limiter each), limited by --kube-api-qps (20) and
// --kube-api-burst (30) (pkg/controller/apis/config/v1alpha1/defaults.go, v1.31.0 and
// v1.37.2). A controller that writes more than its burst at one instant is slowed to
// 20 requests a second: the taint eviction controller, evicting 30 pods of one node at
// once, spends 4 tokens a pod (the Event, GET, status PATCH, DELETE), and its DELETEs go
// out from 1.7 s to 3.15 s after the pods fall due.
//
// # Limiter
//
// Limiter is rate.Limiter as client-go's tokenBucketRateLimiter uses it: a bucket of
// Burst tokens that starts full and refills at QPS tokens a second (QPS a float32,
// widened to float64 as rate.Limit does), and Wait, which takes a token at once or
// reserves the next one: reservations are granted in the order they are made, each
// token's instant computed when it is reserved (reserveN; the same arithmetic in
// x/time v0.3.0, pinned by v1.31.0, through v0.15.0, pinned by v1.37.2). A nil *Limiter
// is a client without a limiter (client-go installs none when QPS is negative).
//
// A request waits before it is sent, so a request to an API server that cannot be
// reached still spends its token; informers list and watch through the controller
// manager's shared-informer client, which this package does not limit.
//
// # Events
//
// EventWriter is the sink watcher of record.EventBroadcaster (StartRecordingToSink):
// Emit queues an event without blocking and one writer sends the queued events in
// order, each after its token, and takes the next once the API server has answered
// (by an engine event, after the requests made at that instant: a real answer takes a
// round trip), so beside goroutines that reserve tokens at once it takes one per
// round. The watcher's channel holds 1000 events
// (maxQueuedEvents); an event emitted while 1000 wait is dropped, as DropIfChannelFull
// drops it (the broadcaster's own incoming queue, also 1000 long, drains into that
// channel at once and is not modelled). A write that fails for want of an API server
// (the client is partitioned, or the server is down) is tried again after a sleep, up
// to 12 tries: the first sleep is uniform in [0, 10 s), the others 10 s
// (recordToSink, maxTriesPerEvent, defaultSleepDuration). Event content is not kept:
// nodesim's trace records an Event when the component emits it, and the writer only
// spends tokens and time. The correlator's spam filter is modelled for EmitAbout: when
// the writer takes an event it skips it, with no request, unless the bucket of its
// SpamKey (the object and the event's type) holds a token, 25 refilled one each 5
// minutes (EventSourceObjectSpamFilter). Its LRU cache of 4096 keys is modelled only
// in that buckets full again are forgotten once more than 8192 are kept. Emit
// bypasses the filter; every controller here uses EmitAbout. The correlator's aggregation turns some writes into PATCHes,
// still one request each (two when the first Event expired after the API server's
// --event-ttl of 1 h), and is not modelled.
//
// Waiting holds a component's requests that wait for their tokens and sends each at
// its token's instant, in order, behind one engine timer; the taint eviction,
// ReplicaSet and DaemonSet controllers share it, and the node lifecycle controller's
// pod writes for pods bound to nodes that are not ready.
//
// The node lifecycle controller's client is limited too (its monitor pass, NoSchedule
// worker and tainting tick are workers that each send one request at a time: a pass
// that waits for a token suspends and goes on at its instant, node by node; see the
// nodelifecycle package documentation).
//
// # Order within an instant
//
// Upstream's requests race between goroutines. Wait only hands out instants, in the
// order it is called; the component decides when each of its goroutines calls it. The
// convention (eviction's taint eviction controller, workload's ReplicaSet and DaemonSet
// controllers, whose goroutines started together are a slow-start batch of creations or
// a sync's deletions): a request whose token is there
// is sent at once, inline, when the component's work of that instant fits in the
// bucket, so a component that never exceeds its burst behaves as it did without a
// limiter and schedules nothing; otherwise every request is sent by an engine event at
// its token's instant (even when that is now), after which its caller makes the next,
// so the requests of goroutines started together reserve their tokens in rounds, as
// real ones do, whose requests take milliseconds while starting a goroutine takes
// microseconds.
package flowcontrol
