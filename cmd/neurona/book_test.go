package main

import (
	"bytes"
	"github.com/neurona/neurona/layers"
	"strings"
	"testing"

	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/internal/book"
)

// TestSpecsMatchBook checks that each embedded spec describes the same
// network as the Go definition the benchmarks use.
func TestSpecsMatchBook(t *testing.T) {
	for _, name := range examples.Names() {
		ex, ok := book.Lookup(name)
		if !ok {
			t.Errorf("spec %s has no Go definition in internal/book", name)
			continue
		}
		src, _ := examples.Spec(name)
		s, err := parseSpec(src, name, "")
		if err != nil {
			t.Fatal(err)
		}
		layers.ResetNames()
		fromSpec, err := s.buildModel(1)
		if err != nil {
			t.Fatal(err)
		}
		layers.ResetNames()
		fromGo, err := ex.Model(1)
		if err != nil {
			t.Fatal(err)
		}
		var a, b bytes.Buffer
		if err := fromSpec.Summary(&a); err != nil {
			t.Fatal(err)
		}
		if err := fromGo.Summary(&b); err != nil {
			t.Fatal(err)
		}
		body := func(s string) string { return s[strings.Index(s, "\n"):] }
		if body(a.String()) != body(b.String()) {
			t.Errorf("%s: the spec and the Go definition differ:\n%s\n%s", name, a.String(), b.String())
		}
		if s.fit.epochs != ex.Epochs || s.fit.batchSize != ex.BatchSize {
			t.Errorf("%s: spec trains %d epochs of batch %d, Go %d of %d", name, s.fit.epochs, s.fit.batchSize, ex.Epochs, ex.BatchSize)
		}
		if got, want := strings.Join(fromSpec.MetricNames(), ","), strings.Join(fromGo.MetricNames(), ","); got != want {
			t.Errorf("%s: metrics %s vs %s", name, got, want)
		}
	}
}
