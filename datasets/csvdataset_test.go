package datasets_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

func writeCSV(t *testing.T, rows int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("a,b,c,y\n")
	rng := tensor.NewRNG(11)
	for i := 0; i < rows; i++ {
		a, bb, c := rng.Float64(), rng.Float64(), rng.Float64()
		fmt.Fprintf(&b, "%.6f,%.6f,%.6f,%.6f\n", a, bb, c, 2*a-bb+0.5*c)
	}
	p := filepath.Join(t.TempDir(), "t.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The batches are the file's rows in order, whichever order they are
// asked for in, and training on them matches Fit on the whole table read
// by ReadCSV, without shuffling, bit for bit.
func TestCSVDataset(t *testing.T) {
	p := writeCSV(t, 103)
	opts := datasets.CSVOptions{Targets: []string{"y"}}
	ds, err := datasets.NewCSVDataset(p, opts, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	all, err := datasets.ReadCSV(f, opts)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if ds.Samples() != 103 || ds.Len() != 11 {
		t.Fatalf("Samples %d, Len %d; want 103, 11", ds.Samples(), ds.Len())
	}
	for _, at := range [][2]int{{0, 0}, {0, 1}, {0, 10}, {0, 3}, {1, 2}, {1, 9}} {
		xs, ys, err := ds.Batch(at[0], at[1])
		if err != nil {
			t.Fatal(err)
		}
		lo := at[1] * 10
		hi := min(lo+10, 103)
		if xs[0].Rows() != hi-lo || ys[0].Rows() != hi-lo {
			t.Fatalf("batch %v has %d rows, want %d", at, xs[0].Rows(), hi-lo)
		}
		for k, v := range xs[0].Data {
			if v != all.X.Data[lo*3+k] {
				t.Fatalf("batch %v x[%d] = %v, want %v", at, k, v, all.X.Data[lo*3+k])
			}
		}
		for k, v := range ys[0].Data {
			if v != all.Y.Data[lo+k] {
				t.Fatalf("batch %v y[%d] = %v, want %v", at, k, v, all.Y.Data[lo+k])
			}
		}
	}
	if _, _, err := ds.Batch(0, 11); err == nil {
		t.Error("batch 11 of 11 did not fail")
	}

	net := func() *models.Sequential {
		m := models.NewSequential(
			&layers.Dense{Units: 8, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{3}}},
			&layers.Dense{Units: 1},
		)
		m.Seed = 2
		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
			t.Fatal(err)
		}
		return m
	}
	a, b := net(), net()
	ha, err := a.Fit(context.Background(), all.X, all.Y, models.FitConfig{BatchSize: 10, Epochs: 3, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	hb, err := b.FitDataset(context.Background(), ds, models.FitConfig{Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	for e, v := range ha.Values["loss"] {
		if hb.Values["loss"][e] != v {
			t.Errorf("epoch %d: FitDataset's loss %v, Fit's %v", e+1, hb.Values["loss"][e], v)
		}
	}

	// A file that shrinks while training is reported, not read short.
	if err := os.WriteFile(p, []byte("a,b,c,y\n1,2,3,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ds.Batch(2, 0); err == nil || !strings.Contains(err.Error(), "changed") {
		t.Errorf("shrunk file: err = %v", err)
	}
}

func TestCSVDatasetBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("a,y\n1,2\nx,3\n"), 0o644)
	if _, err := datasets.NewCSVDataset(bad, datasets.CSVOptions{Targets: []string{"y"}}, 4); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad cell: err = %v, want one naming line 3", err)
	}
	if _, err := datasets.NewCSVDataset(filepath.Join(dir, "none.csv"), datasets.CSVOptions{}, 4); err == nil {
		t.Error("a missing file gave no error")
	}
	if _, err := datasets.NewCSVDataset(bad, datasets.CSVOptions{}, 0); err == nil {
		t.Error("batch size 0 gave no error")
	}
}
