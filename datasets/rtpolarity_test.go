package datasets

import (
	"strings"
	"testing"
)

func TestRTPolarityCounts(t *testing.T) {
	all, err := RTPolarityAll()
	if err != nil {
		t.Fatal(err)
	}
	if all.Len() != 10662 {
		t.Fatalf("%d sentences, want 10662", all.Len())
	}
	pos := 0
	for _, l := range all.Labels {
		pos += l
	}
	if pos != 5331 || all.Len()-pos != 5331 {
		t.Errorf("%d positive, %d negative, want 5331 each", pos, all.Len()-pos)
	}
	if !strings.HasPrefix(all.Texts[0], "the rock is destined to be") || all.Labels[0] != 1 {
		t.Errorf("first sentence %q label %d", all.Texts[0], all.Labels[0])
	}
	for i, s := range all.Texts {
		if s == "" {
			t.Errorf("sentence %d is empty", i)
		}
	}
	train, valid, err := RTPolarity()
	if err != nil {
		t.Fatal(err)
	}
	if train.Len() != 9595 || valid.Len() != 1067 {
		t.Errorf("split %d/%d, want 9595/1067", train.Len(), valid.Len())
	}
	seen := map[string]int{}
	for _, s := range append(append([]string{}, train.Texts...), valid.Texts...) {
		seen[s]++
	}
	want := map[string]int{}
	for _, s := range all.Texts {
		want[s]++
	}
	for s, n := range want {
		if seen[s] != n {
			t.Fatalf("%q appears %d times in the split, %d in the data", s, seen[s], n)
		}
	}
	train2, _, _ := RTPolarity()
	if train2.Texts[0] != train.Texts[0] || train2.Texts[9594] != train.Texts[9594] {
		t.Error("the split is not deterministic")
	}
	if _, _, err := RTPolaritySplit(1.5, 1); err == nil {
		t.Error("validSplit 1.5 accepted")
	}
}
