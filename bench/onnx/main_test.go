package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
)

// classesOf collects the layer classes of m, nested models' layers
// included (a nested model counts as its own layers, not as a class).
func classesOf(m *models.Model, seen map[string]bool) {
	for _, l := range m.Layers() {
		if g, ok := l.(*models.Model); ok {
			classesOf(g, seen)
			continue
		}
		seen[l.ClassName()] = true
	}
}

// TestEveryLayerClassCovered checks that the cases between them use every
// registered layer class, so a class added to neurona without a case here
// fails this test.
func TestEveryLayerClassCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range allCases(1) {
		layers.ResetNames()
		m, err := c.build()
		if err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		if _, err := m.GetWeights(); err != nil {
			t.Fatalf("case %s: %v", c.name, err)
		}
		classesOf(m, seen)
	}
	var missing []string
	for _, name := range layers.ClassNames() {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no case uses the layer classes %v: add them to a case in main.go", missing)
	}
}

// TestManifest writes two cases and checks the manifest against the files:
// every file exists with rows × shape float32 values, batches 1, 7 and 92,
// and an export that fails is recorded with its error and no model file.
func TestManifest(t *testing.T) {
	dir := t.TempDir()
	var sel []testCase
	for _, c := range allCases(1) {
		if c.name == "shared_concat" || c.name == "regression" {
			sel = append(sel, c)
		}
	}
	if len(sel) != 2 {
		t.Fatalf("found %d of the 2 cases", len(sel))
	}
	for i, c := range sel {
		mc, err := writeCase(dir, c, uint64(i), 0)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(mc)
		var back Case
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if (back.Model == "") == (back.ExportError == "") {
			t.Errorf("case %s: want exactly one of model %q and export_error %q", c.name, back.Model, back.ExportError)
		}
		if back.Model != "" {
			if _, err := os.Stat(filepath.Join(dir, back.Model)); err != nil {
				t.Error(err)
			}
		} else if _, err := os.Stat(filepath.Join(dir, c.name+".onnx")); err == nil {
			t.Errorf("case %s: a failed export left %s.onnx", c.name, c.name)
		}
		if len(back.Batches) != len(batchRows) {
			t.Fatalf("case %s: %d batches", c.name, len(back.Batches))
		}
		for j, bt := range back.Batches {
			if bt.Rows != batchRows[j] {
				t.Errorf("batch %d has %d rows, want %d", j, bt.Rows, batchRows[j])
			}
			check := func(files []string, ts []Tensor) {
				if len(files) != len(ts) {
					t.Fatalf("case %s: %d files for %d tensors", c.name, len(files), len(ts))
				}
				for k, f := range files {
					n := bt.Rows * 4
					for _, d := range ts[k].Shape {
						n *= d
					}
					st, err := os.Stat(filepath.Join(dir, f))
					if err != nil {
						t.Fatal(err)
					}
					if st.Size() != int64(n) {
						t.Errorf("%s: %d bytes, want %d", f, st.Size(), n)
					}
				}
			}
			check(bt.Inputs, back.Inputs)
			check(bt.Outputs, back.Outputs)
		}
	}
}
