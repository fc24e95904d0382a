package metrics

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

func TestROCAUCHand(t *testing.T) {
	for _, c := range []struct {
		y    []int
		s    []float64
		want float64
	}{
		{[]int{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75}, // sklearn's doc example
		{[]int{0, 1}, []float64{0.2, 0.9}, 1},
		{[]int{1, 0}, []float64{0.2, 0.9}, 0},
		{[]int{0, 1}, []float64{0.5, 0.5}, 0.5},                 // a tie counts half
		{[]int{0, 0, 1}, []float64{0.5, 0.1, 0.5}, 0.75},        // (1 + 0.5) / 2
		{[]int{1, 0, 1, 0}, []float64{0.3, 0.3, 0.3, 0.3}, 0.5}, // all tied
	} {
		got, err := ROCAUC(c.y, c.s)
		if err != nil || math.Abs(got-c.want) > 1e-12 {
			t.Errorf("ROCAUC(%v, %v) = %v, %v; want %v", c.y, c.s, got, err, c.want)
		}
	}
}

// The fixture holds sklearn.metrics.roc_auc_score's values on random and
// heavily tied scores (python3-sklearn, generated once).
func TestROCAUCSklearn(t *testing.T) {
	b, err := os.ReadFile("testdata/rocauc_sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		Labels []int
		Scores []float64
		AUC    float64
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("no cases")
	}
	for i, c := range cases {
		got, err := ROCAUC(c.Labels, c.Scores)
		if err != nil || math.Abs(got-c.AUC) > 1e-12 {
			t.Errorf("case %d (%d rows): %v, %v; sklearn %v", i, len(c.Labels), got, err, c.AUC)
		}
	}
}

func TestROCAUCErrors(t *testing.T) {
	for _, c := range []struct {
		y []int
		s []float64
	}{
		{[]int{0, 1}, []float64{0.1}},
		{[]int{1, 1}, []float64{0.1, 0.2}},
		{[]int{0, 2}, []float64{0.1, 0.2}},
		{[]int{0, 1}, []float64{math.NaN(), 0.2}},
	} {
		if _, err := ROCAUC(c.y, c.s); err == nil {
			t.Errorf("ROCAUC(%v, %v): no error", c.y, c.s)
		}
	}
}
