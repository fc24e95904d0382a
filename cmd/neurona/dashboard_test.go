package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/dashboard"
)

// The dashboard's forward pass of the seed's worked example gives
// explain's numbers: z = 1.6 for the first neuron, 0.1192 at the output.
func TestDashboardForwardPropagation(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../examples/specs/forward-propagation.yaml")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "forward-propagation.yaml"), src, 0o644)
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	runs, _, err := dashboard.ReadDir(root, "fp")
	if err != nil || len(runs) != 1 {
		t.Fatalf("%d runs, %v", len(runs), err)
	}
	addForward(runs[0])
	s := dashboard.NewServer(root)
	s.AddRun(runs[0].Run)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/api/forward?run=fp", strings.NewReader(`{"row":0}`)))
	var ex struct {
		Layers []struct {
			Neurons []struct{ Z *float64 }
		}
		Output struct{ Values []float64 }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &ex); err != nil {
		t.Fatalf("%v: %s", err, rec.Body.String())
	}
	if z := ex.Layers[0].Neurons[0].Z; z == nil || *z != 1.6 {
		t.Errorf("first neuron's z = %v, want 1.6", z)
	}
	if out := ex.Output.Values[0]; out < 0.11915 || out >= 0.11925 {
		t.Errorf("output %v, want 0.1192", out)
	}
}

func TestDashboardCommandNoRuns(t *testing.T) {
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"dashboard", t.TempDir()}, &out, &errb); code != exitError {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
