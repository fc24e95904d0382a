package metrics

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ROCAUC returns the exact area under the ROC curve of scores against
// binary labels (0 or 1), as sklearn's roc_auc_score: the Mann–Whitney U
// statistic with midranks for tied scores, divided by npos*nneg. It is an
// error when the lengths differ, a label is not 0 or 1, a score is NaN, or
// only one class is present (the AUC is then undefined).
func ROCAUC(labels []int, scores []float64) (float64, error) {
	if len(labels) != len(scores) {
		return 0, fmt.Errorf("metrics: ROCAUC: %d labels but %d scores", len(labels), len(scores))
	}
	idx := make([]int, len(scores))
	var npos, nneg float64
	for i, l := range labels {
		if l != 0 && l != 1 {
			return 0, fmt.Errorf("metrics: ROCAUC: label %d of row %d is not 0 or 1", l, i)
		}
		if math.IsNaN(scores[i]) {
			return 0, fmt.Errorf("metrics: ROCAUC: score of row %d is NaN", i)
		}
		if l == 1 {
			npos++
		} else {
			nneg++
		}
		idx[i] = i
	}
	if npos == 0 || nneg == 0 {
		return 0, errors.New("metrics: ROCAUC: only one class present in the labels; the ROC AUC is not defined")
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var rankSum float64 // of the positives, ranks from 1, ties at their midrank
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		mid := float64(i+1+j) / 2 // mean of ranks i+1..j
		for k := i; k < j; k++ {
			if labels[idx[k]] == 1 {
				rankSum += mid
			}
		}
		i = j
	}
	return (rankSum - npos*(npos+1)/2) / (npos * nneg), nil
}
