package ganscore

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/tensor"
)

// TestScorer trains a small scorer (12,000 digits), caches it, loads it
// back, and checks that it tells real digits, spread over the 10 classes,
// from a set that holds one digit only.
func TestScorer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cache", "scorer.nrn")
	m, acc, err := Scorer(context.Background(), path, 12000, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.8 {
		t.Fatalf("scorer's test accuracy %.3f after one epoch on 12,000 digits, want at least 0.8", acc)
	}
	m2, acc2, err := Scorer(context.Background(), path, 12000, io.Discard)
	if err != nil || acc2 != acc {
		t.Fatalf("cached scorer: accuracy %v (want %v), %v", acc2, acc, err)
	}
	_, test, err := mnist.Load()
	if err != nil {
		t.Fatal(err)
	}
	real := tensor.New(Samples, 28, 28, 1)
	for i := range real.Data {
		real.Data[i] = test.X.Data[i] / 255
	}
	one := tensor.New(Samples, 28, 28, 1)
	for k := range Samples {
		copy(one.Data[k*784:(k+1)*784], real.Data[:784])
	}
	rs, err := Score(m2, real)
	if err != nil {
		t.Fatal(err)
	}
	os1, err := Score(m, one)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scorer test accuracy %.4f; real test digits: %v", acc, rs)
	t.Logf("one digit repeated: %v", os1)
	if rs.Score < 6 {
		t.Errorf("score of 1,000 real digits %.3f, want at least 6 (of 10)", rs.Score)
	}
	if os1.Score > 1.01 {
		t.Errorf("score of one digit repeated %.4f, want 1", os1.Score)
	}
	// Each class's share of the confident samples is within half of its
	// share of the labels either way (easy digits, such as 1s, are
	// confident more often).
	var freq [10]float64
	for _, y := range test.Y.Data[:Samples] {
		freq[int(y)] += 1.0 / Samples
	}
	for k, s := range rs.Shares {
		if s < 0.5*freq[k] || s > 1.5*freq[k] {
			t.Errorf("real digits: class %d holds %.1f%% of the confident samples and %.1f%% of the labels, want within ±50%% of it", k, 100*s, 100*freq[k])
		}
	}
}

func TestScorerRefusesOtherModels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.nrn")
	if err := os.WriteFile(path, []byte("not a model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Scorer(context.Background(), path, 100, io.Discard); err == nil {
		t.Error("a file that is not a model: no error")
	}
}
