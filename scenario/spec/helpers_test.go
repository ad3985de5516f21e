package spec

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// header is the start of most test files: two nodes in two zones, 10 minutes.
// Test bodies are appended at spec level (two spaces of indentation); the first body
// line is line 10.
const header = `apiVersion: nodesim.dev/v1alpha1
kind: Scenario
metadata: {name: t}
spec:
  duration: 10m
  nodes:
    - {name: a, zone: z1}
    - {name: b, zone: z2}
    - {name: c, zone: z2, labels: {role: db}}
`

func scenario(body string) string { return header + body }

// want is one expected error: the line is the line of the file ending in "#mark".
type want struct {
	mark    string
	path    string
	problem string // a substring of the problem
	allowed string // the exact allowed text
}

// lineOf returns the 1-based line of src that ends with "#mark".
func lineOf(t *testing.T, src, mark string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.HasSuffix(strings.TrimRight(l, " "), "#"+mark) {
			return i + 1
		}
	}
	t.Fatalf("no line marked #%s", mark)
	return 0
}

// requireErrors parses src and checks that it fails with exactly the wanted errors,
// in order, each at its marked line with its path and allowed text.
func requireErrors(t *testing.T, src string, wants ...want) {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	require.Nil(t, s, "a file with errors returns no scenario")
	require.Error(t, err)
	var list ErrorList
	require.ErrorAs(t, err, &list)
	require.Len(t, list, len(wants), "errors:\n%v", err)
	for i, w := range wants {
		e := list[i]
		require.Equal(t, "t.yaml", e.File, e.Error())
		require.Equal(t, lineOf(t, src, w.mark), e.Line, e.Error())
		require.Equal(t, w.path, e.Path, e.Error())
		require.Contains(t, e.Problem, w.problem, e.Error())
		require.Equal(t, w.allowed, e.Allowed, e.Error())
	}
}

// mustParse parses src and requires it to be valid.
func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("t.yaml", []byte(src))
	require.NoError(t, err)
	require.NotNil(t, s)
	return s
}

type errCase struct {
	name  string
	src   string
	wants []want
}

func runErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { requireErrors(t, c.src, c.wants...) })
	}
}
