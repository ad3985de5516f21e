package taint

import (
	"testing"
)

// FuzzParse checks that Parse never panics, that what it accepts is valid,
// and that accepted input survives String and Parse again unchanged. Seeds
// live in testdata/fuzz/FuzzParse; run with
//
//	go test -fuzz=FuzzParse ./taint/
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"dedicated=gpu:NoSchedule",
		"node.kubernetes.io/unreachable:NoExecute",
		"k=:PreferNoSchedule",
		"k",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tn, err := Parse(s)
		if err != nil {
			if tn != (Taint{}) {
				t.Fatalf("Parse(%q) failed with %v but returned %#v", s, err, tn)
			}
			if err.Error() == "" {
				t.Fatalf("Parse(%q): empty error message", s)
			}
			return
		}
		if err := tn.Validate(); err != nil {
			t.Fatalf("Parse(%q) accepted an invalid taint: %v", s, err)
		}
		out := tn.String()
		again, err := Parse(out)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v, but Parse(String() = %q) fails: %v", s, tn, out, err)
		}
		if again != tn {
			t.Fatalf("round trip of %q: %#v then %#v", s, tn, again)
		}
		if again.String() != out {
			t.Fatalf("String not stable for %q: %q then %q", s, out, again.String())
		}
	})
}
