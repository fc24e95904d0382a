package metrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ROCAUC returns the exact area under the ROC curve of scores against 0/1
// labels, as scikit-learn's roc_auc_score computes it for a binary
// problem: the Mann–Whitney U statistic of the positives' ranks, with tied
// scores given their mid-rank (a tie between a positive and a negative
// counts one half), divided by positives×negatives. Unlike the AUC
// metric, it uses no thresholds, so it is exact.
//
// It returns an error when the lengths differ, a label is not 0 or 1, a
// score is NaN, or one class is absent (the AUC is then undefined, as in
// scikit-learn).
func ROCAUC(scores, labels []float64) (float64, error) {
	if len(scores) != len(labels) {
		return 0, fmt.Errorf("ROCAUC: %d scores but %d labels", len(scores), len(labels))
	}
	if len(scores) == 0 {
		return 0, errors.New("ROCAUC: no samples")
	}
	var pos, neg int
	for i, y := range labels {
		switch y {
		case 1:
			pos++
		case 0:
			neg++
		default:
			return 0, fmt.Errorf("ROCAUC: label %d is %v, not 0 or 1", i, y)
		}
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("ROCAUC: score %d is NaN", i)
		}
	}
	if pos == 0 || neg == 0 {
		return 0, fmt.Errorf("ROCAUC: only one class in the labels (%d positives, %d negatives): the AUC is undefined", pos, neg)
	}
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	// Sum of the positives' ranks (1-based), ties at their mid-rank.
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+1+j) / 2 // mean of ranks i+1 .. j
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += mid
			}
		}
		i = j
	}
	p, n := float64(pos), float64(neg)
	u := rankSum - p*(p+1)/2
	return u / (p * n), nil
}
