package scenario

import (
	"fmt"
	"html"
	"io"
)

// WriteHTML writes a self-contained HTML report of the run (placeholder: the trace as
// a table; the timeline drawing is being built).
func (r *Result) WriteHTML(w io.Writer) error {
	fmt.Fprintf(w, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title></head><body><h1>%s</h1><pre>\n",
		html.EscapeString(r.Scenario.Name), html.EscapeString(r.Scenario.Name))
	for i := range r.Records {
		fmt.Fprintln(w, html.EscapeString(string(r.Records[i].AppendText(nil))))
	}
	_, err := fmt.Fprintln(w, "</pre></body></html>")
	return err
}
