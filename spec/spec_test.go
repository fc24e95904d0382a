package spec

import (
	"errors"
	"github.com/neurona/neurona/layers"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/examples"
)

func FuzzParseSpec(f *testing.F) {
	for _, name := range []string{"regression", "deep", "learning-speed"} {
		b, err := examples.Spec(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("model: {layers: [Dense]}"))
	f.Add([]byte(sharedGraph))
	f.Add([]byte("model:\n  outputs: [\"d[1]\"]\n  layers:\n    - Input: {shape: [2]}\n    - Dense: {name: d, units: 2}\n    - apply: d\n"))
	f.Add([]byte("model:\n  layers:\n    - Dense: {units: 3, weights: {kernel: [[1, 2]]}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		s, err := Parse(src, "fuzz.yaml", "")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if len(s.layers) > 0 && len(s.layers) < 50 {
			_, _ = s.Build(1) // must not panic
		}
	})
}

// TestREADMESpecsParse keeps the README's spec examples valid.
func TestREADMESpecsParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```yaml\n")
	n := 0
	for _, blk := range blocks[1:] {
		src := blk[:strings.Index(blk, "```")]
		if !strings.Contains(src, "model:") {
			continue
		}
		n++
		s, err := Parse([]byte(src), "README.md", "")
		if err != nil {
			t.Errorf("README spec %d: %v", n, err)
			continue
		}
		if _, err := s.Build(1); err != nil {
			t.Errorf("README spec %d: %v", n, err)
		}
	}
	if n < 2 {
		t.Errorf("found %d complete specs in README.md", n)
	}
}

// TestParseErrors checks that errors are *Error values with the file and
// line, and that Build's errors point at the layer they are about.
func TestParseErrors(t *testing.T) {
	good := "model:\n  input_shape: [3]\n  layers:\n    - Dense: {units: 4, activation: relu}\n    - Dense: {units: 1}\n"
	for _, c := range []struct{ src, want string }{
		{strings.Replace(good, "Dense: {units: 4", "Dens: {units: 4", 1), `spec.yaml:4: unknown layer class "Dens"`},
		{good + "outputs: {}\n", `spec.yaml:6: unknown key "outputs" in the spec`},
		{"", "spec.yaml: the spec is empty (it needs model, compile, data and fit)"},
		{good + "fit: {epochs: -1}\n", "spec.yaml:6: fit.epochs must not be negative and fit.batch_size must be positive"},
	} {
		_, err := Parse([]byte(c.src), "spec.yaml", "")
		var se *Error
		if !errors.As(err, &se) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want an *Error starting %q", c.src, err, c.want)
		}
	}
	s, err := Parse([]byte(strings.Replace(good, "{units: 1}", "{units: 1, input_shape: [5]}", 1)), "spec.yaml", "")
	if err != nil {
		t.Fatal(err)
	}
	layers.ResetNames()
	_, err = s.Build(1)
	want := `spec.yaml:5: layer "dense_2" (Dense) declares input shape (None, 5) but receives (None, 4) from layer "dense_1"`
	if err == nil || err.Error() != want {
		t.Errorf("Build: %v, want %s", err, want)
	}
}

// TestBuildTwice checks that each Build makes a model of its own: the same
// weights from the same seed, and training one leaves the other as it was.
func TestBuildTwice(t *testing.T) {
	s, err := Book("regression")
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Build(3)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Build(3)
	if err != nil {
		t.Fatal(err)
	}
	wa, wb := a.Weights(), b.Weights()
	if len(wa) != len(wb) || len(wa) == 0 {
		t.Fatalf("%d and %d weights", len(wa), len(wb))
	}
	for i := range wa {
		if wa[i].Var == wb[i].Var {
			t.Fatalf("weight %s is shared by both models", wa[i].Name)
		}
		for j, v := range wa[i].Var.Value.Data {
			if wb[i].Var.Value.Data[j] != v {
				t.Fatalf("weight %s differs between two builds with seed 3", wa[i].Name)
			}
		}
	}
}

// TestPaths checks that paths in a spec are relative to its directory.
func TestPaths(t *testing.T) {
	src := `model:
  input_shape: [2]
  layers: [Dense]
data: {csv: d.csv, targets: [y], validation_csv: /abs/v.csv}
fit:
  callbacks:
    - CSVLogger: {filename: log.csv}
output: {model: m.nrn, plot: out/c.png}
`
	s, err := Parse([]byte(src), "dir/s.yaml", "dir")
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.CSV != filepath.Join("dir", "d.csv") || s.Data.ValidationCSV != "/abs/v.csv" {
		t.Errorf("data paths %q, %q", s.Data.CSV, s.Data.ValidationCSV)
	}
	if s.Output.Model != filepath.Join("dir", "m.nrn") || s.Output.Plot != filepath.Join("dir", "out", "c.png") {
		t.Errorf("output paths %+v", s.Output)
	}
	if len(s.Fit.Callbacks) != 1 {
		t.Fatalf("%d callbacks", len(s.Fit.Callbacks))
	}
	if cfg := s.FitConfig(); cfg.Epochs != 1 || cfg.BatchSize != 32 || cfg.Verbose != 1 {
		t.Errorf("FitConfig() = %+v, want fit's defaults", cfg)
	}
}
