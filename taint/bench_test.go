package taint

import "testing"

var (
	benchTaints = []Taint{
		{Key: "dedicated", Value: "gpu", Effect: NoSchedule},
		{Key: "example.com/sla", Value: "950", Effect: NoSchedule},
		UnreachableNoExecute,
		NotReadyNoExecute,
	}
	benchTols = []Toleration{
		{Key: "dedicated", Operator: OpEqual, Value: "gpu", Effect: NoSchedule},
		{Key: "example.com/sla", Operator: OpGt, Value: "900"},
		{Key: NotReady, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)},
		{Key: Unreachable, Operator: OpExists, Effect: NoExecute, TolerationSeconds: Seconds(300)},
	}
	benchSink bool
)

func BenchmarkToleratesTaint(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		for i := range benchTols {
			for j := range benchTaints {
				benchSink = benchTols[i].ToleratesTaint(benchTaints[j], true)
			}
		}
	}
}

func BenchmarkFindUntoleratedTaint(b *testing.B) {
	b.ReportAllocs()
	filter := func(t Taint) bool { return t.Effect == NoSchedule || t.Effect == NoExecute }
	for b.Loop() {
		_, benchSink = FindUntoleratedTaint(benchTaints, benchTols, filter, true)
	}
}

func BenchmarkAppendMatchingTolerations(b *testing.B) {
	b.ReportAllocs()
	buf := make([]Toleration, 0, len(benchTaints))
	for b.Loop() {
		benchSink, buf = AppendMatchingTolerations(buf[:0], benchTaints, benchTols, true)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_, err := Parse("example.com/dedicated=gpu:NoSchedule")
		benchSink = err == nil
	}
}
