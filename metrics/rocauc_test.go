package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestROCAUCHand checks hand-computed cases: perfect, reversed, all tied
// (one half), and one positive/negative tie among others.
func TestROCAUCHand(t *testing.T) {
	for _, c := range []struct {
		s, y []float64
		want float64
	}{
		{[]float64{0.1, 0.2, 0.8, 0.9}, []float64{0, 0, 1, 1}, 1},
		{[]float64{0.9, 0.8, 0.2, 0.1}, []float64{0, 0, 1, 1}, 0},
		{[]float64{0.5, 0.5, 0.5, 0.5}, []float64{0, 1, 0, 1}, 0.5},
		// pairs (pos,neg): (0.5,0.5) half, (0.5,0.1) 1, (0.9,0.5) 1, (0.9,0.1) 1 → 3.5/4
		{[]float64{0.1, 0.5, 0.5, 0.9}, []float64{0, 0, 1, 1}, 0.875},
	} {
		got, err := ROCAUC(c.s, c.y)
		if err != nil || got != c.want {
			t.Errorf("ROCAUC(%v, %v) = %v, %v; want %v", c.s, c.y, got, err, c.want)
		}
	}
}

// TestROCAUCSklearn compares against roc_auc_score on the fixture
// testdata/rocauc_sklearn.py wrote (random scores, and scores on a few
// levels so that ties are many).
func TestROCAUCSklearn(t *testing.T) {
	b, err := os.ReadFile("testdata/rocauc_sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var fix struct {
		Cases []struct {
			Scores, Labels []float64
			AUC            float64
		}
	}
	if err := json.Unmarshal(b, &fix); err != nil {
		t.Fatal(err)
	}
	if len(fix.Cases) == 0 {
		t.Fatal("no cases")
	}
	for i, c := range fix.Cases {
		got, err := ROCAUC(c.Scores, c.Labels)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if math.Abs(got-c.AUC) > 1e-12 {
			t.Errorf("case %d (%d samples): ROCAUC %v, sklearn %v", i, len(c.Scores), got, c.AUC)
		}
	}
}

// TestROCAUCErrors checks that bad input gets an error, not a panic.
func TestROCAUCErrors(t *testing.T) {
	for _, c := range []struct{ s, y []float64 }{
		{[]float64{0.1}, []float64{0, 1}},
		{nil, nil},
		{[]float64{0.1, 0.2}, []float64{0, 2}},
		{[]float64{0.1, 0.2}, []float64{1, 1}},
		{[]float64{math.NaN(), 0.2}, []float64{0, 1}},
	} {
		if _, err := ROCAUC(c.s, c.y); err == nil {
			t.Errorf("ROCAUC(%v, %v): no error", c.s, c.y)
		}
	}
}
