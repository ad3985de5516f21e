package spec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// FieldError is one thing wrong with a scenario file: where it is (file, line and
// field path), what is wrong, and what would be allowed instead. Its Error method
// renders it as
//
//	FILE:LINE: FIELD.PATH: what is wrong; allowed: …
//
// Line is 0 when the value did not come from the file (a value given to
// [Scenario.With]); the line is then left out.
type FieldError struct {
	File    string // the file name given to Load or Parse
	Line    int    // 1-based line of the offending value (0: not from the file)
	Path    string // field path from the document root, e.g. spec.events[2].stopKubelet.node
	Problem string // what is wrong
	Allowed string // what is allowed instead
}

// Error renders the error as "FILE:LINE: PATH: PROBLEM; allowed: ALLOWED".
func (e *FieldError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	if e.Allowed != "" {
		b.WriteString("; allowed: ")
		b.WriteString(e.Allowed)
	}
	return b.String()
}

// ErrorList is every problem found in one file, sorted by line. [Load], [Parse] and
// [Scenario.With] return one (as an error) when a file does not validate; use
// errors.As to get at the individual [FieldError] values.
type ErrorList []*FieldError

// Error renders one error per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the individual errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}

// sorted returns the list sorted by line (then path, problem), without duplicates.
// Duplicates arise when one bad default is inherited by many nodes.
func (l ErrorList) sorted() ErrorList {
	out := slices.Clone(l)
	slices.SortStableFunc(out, func(a, b *FieldError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Problem, b.Problem))
	})
	return slices.CompactFunc(out, func(a, b *FieldError) bool { return *a == *b })
}
