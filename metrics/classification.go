package metrics

import (
	"fmt"
	"math"

	"github.com/neurona/neurona/tensor"
)

// This file holds Keras's classification metrics: the accuracy family,
// Precision, Recall and AUC. Predictions are probabilities (or any scores
// for the accuracies), with shape (batch, classes), or (batch, 1) or
// (batch,) for one binary output. Targets have the predictions' shape
// (one-hot or 0/1 values), except for the sparse metrics, whose targets are
// class indices stored as float32 with shape (batch,) or (batch, 1).
//
// Every Update allocates nothing (AUC allocates its buckets on its first
// Update only). A target or prediction whose size does not fit the other
// is a programmer error and panics.

// Resolver is implemented by metrics whose meaning depends on the model's
// loss and output width, as Keras's "accuracy" does. The model calls
// Resolve at Compile time, once it knows both.
type Resolver interface {
	// Resolve tells the metric the loss's Keras name
	// ("binary_crossentropy", "categorical_crossentropy",
	// "sparse_categorical_crossentropy", "mean_squared_error", ...) and the
	// number of units of the model's output.
	Resolve(lossName string, outputUnits int)
}

// accuracyKind is the concrete accuracy that AutoAccuracy computes.
type accuracyKind uint8

const (
	kindUnresolved accuracyKind = iota
	kindBinary
	kindCategorical
	kindSparse
)

// String returns the Keras function name of the kind ("" when unresolved).
func (k accuracyKind) String() string {
	switch k {
	case kindBinary:
		return "binary_accuracy"
	case kindCategorical:
		return "categorical_accuracy"
	case kindSparse:
		return "sparse_categorical_accuracy"
	}
	return ""
}

// AutoAccuracy is the metric that Keras's metrics=['accuracy'] gives: it is
// logged as "accuracy" and computes binary, categorical or sparse
// categorical accuracy, whichever fits the model. Accuracy returns one.
//
// Resolve picks the kind with Keras's rule: binary accuracy (threshold 0.5)
// if the loss is "binary_crossentropy" or the output has 1 unit, sparse
// categorical accuracy if the loss is "sparse_categorical_crossentropy",
// categorical accuracy otherwise. Until Resolve is called (the zero value,
// or a metric used outside a model), each Update infers the kind from the
// shapes: 1 prediction column → binary; targets of the predictions' size →
// categorical; otherwise (one target per sample) → sparse.
type AutoAccuracy struct {
	// Label overrides the logged name "accuracy" (Keras 2.2 logged "acc").
	Label string `json:"name,omitempty"`
	kind  accuracyKind
	mean
}

// Accuracy returns the metric that Keras's metrics=['accuracy'] gives,
// logged as "accuracy". See AutoAccuracy.
func Accuracy() *AutoAccuracy { return &AutoAccuracy{} }

// Name implements Metric: "accuracy", as tf.keras (and Keras 2.3+) logs it.
func (m *AutoAccuracy) Name() string { return nameOr(m.Label, "accuracy") }

// Resolve implements Resolver with Keras's rule (see AutoAccuracy). It does
// not clear the accumulated state.
func (m *AutoAccuracy) Resolve(lossName string, outputUnits int) {
	switch {
	case lossName == "binary_crossentropy" || outputUnits == 1:
		m.kind = kindBinary
	case lossName == "sparse_categorical_crossentropy":
		m.kind = kindSparse
	default:
		m.kind = kindCategorical
	}
}

// Kind returns the Keras name of the accuracy this metric computes
// ("binary_accuracy", "categorical_accuracy" or
// "sparse_categorical_accuracy"), or "" before Resolve, when each Update
// infers it from the shapes.
func (m *AutoAccuracy) Kind() string { return m.kind.String() }

// Update implements Metric.
func (m *AutoAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	kind := m.kind
	if kind == kindUnresolved {
		switch {
		case yPred.RowSize() == 1:
			kind = kindBinary
		case len(yTrue.Data) == len(yPred.Data):
			kind = kindCategorical
		default:
			kind = kindSparse
		}
	}
	switch kind {
	case kindBinary:
		binaryAccuracy(&m.mean, yTrue, yPred, 0.5, "accuracy")
	case kindCategorical:
		categoricalAccuracy(&m.mean, yTrue, yPred, "accuracy")
	default:
		sparseCategoricalAccuracy(&m.mean, yTrue, yPred, "accuracy")
	}
}

// BinaryAccuracy is the fraction of predictions that match 0/1 targets once
// thresholded: a prediction counts as 1 when it is greater than Threshold
// (0.5 when zero), as in Keras; a target must equal that 0 or 1 exactly. With
// several outputs per sample it averages over each sample's outputs, then
// over samples.
type BinaryAccuracy struct {
	// Threshold above which a prediction counts as 1; zero means 0.5.
	Threshold float32 `json:"threshold,omitempty"`
	// Label overrides the logged name "binary_accuracy".
	Label string `json:"name,omitempty"`
	mean
}

// Name implements Metric.
func (m *BinaryAccuracy) Name() string { return nameOr(m.Label, "binary_accuracy") }

// Update implements Metric.
func (m *BinaryAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	thr := m.Threshold
	if thr == 0 {
		thr = 0.5
	}
	binaryAccuracy(&m.mean, yTrue, yPred, thr, "binary_accuracy")
}

// CategoricalAccuracy is the fraction of samples whose predicted class (the
// argmax of the predictions) is the target's (the argmax of the one-hot
// target). Ties go to the first index, as numpy's argmax.
type CategoricalAccuracy struct {
	// Label overrides the logged name "categorical_accuracy".
	Label string `json:"name,omitempty"`
	mean
}

// Name implements Metric.
func (m *CategoricalAccuracy) Name() string { return nameOr(m.Label, "categorical_accuracy") }

// Update implements Metric.
func (m *CategoricalAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	categoricalAccuracy(&m.mean, yTrue, yPred, "categorical_accuracy")
}

// SparseCategoricalAccuracy is the fraction of samples whose predicted class
// (the argmax of the predictions, ties to the first index) equals the
// target class index. As in Keras the index is compared as a float, so a
// non-integral target never matches.
type SparseCategoricalAccuracy struct {
	// Label overrides the logged name "sparse_categorical_accuracy".
	Label string `json:"name,omitempty"`
	mean
}

// Name implements Metric.
func (m *SparseCategoricalAccuracy) Name() string {
	return nameOr(m.Label, "sparse_categorical_accuracy")
}

// Update implements Metric.
func (m *SparseCategoricalAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	sparseCategoricalAccuracy(&m.mean, yTrue, yPred, "sparse_categorical_accuracy")
}

// TopKCategoricalAccuracy is the fraction of samples whose target class (the
// argmax of the one-hot target) is among the K highest predictions.
//
// It follows tf.math.in_top_k, which differs from a sort on ties: the
// target is in the top K when fewer than K classes score strictly higher
// than it, so every class tied at the K-th place counts as in the top K. A
// target whose score is NaN or infinite is never in the top K.
type TopKCategoricalAccuracy struct {
	// K is how many of the highest predictions count; zero means 5.
	K int `json:"k,omitempty"`
	// Label overrides the logged name "top_k_categorical_accuracy".
	Label string `json:"name,omitempty"`
	mean
}

// Name implements Metric.
func (m *TopKCategoricalAccuracy) Name() string {
	return nameOr(m.Label, "top_k_categorical_accuracy")
}

// Update implements Metric.
func (m *TopKCategoricalAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	checkSameSize("top_k_categorical_accuracy", yTrue, yPred)
	k := orDefaultK(m.K)
	rows, n := yPred.Rows(), yPred.RowSize()
	hits := 0
	for r := 0; r < rows; r++ {
		if inTopK(yPred.Data[r*n:(r+1)*n], argmax(yTrue.Data[r*n:(r+1)*n]), k) {
			hits++
		}
	}
	m.sum += float64(hits)
	m.count += rows
}

// SparseTopKCategoricalAccuracy is TopKCategoricalAccuracy with class-index
// targets. As in Keras the index is converted to an integer by truncation
// (1.7 → class 1); an index outside [0, classes) is never in the top K.
type SparseTopKCategoricalAccuracy struct {
	// K is how many of the highest predictions count; zero means 5.
	K int `json:"k,omitempty"`
	// Label overrides the logged name "sparse_top_k_categorical_accuracy".
	Label string `json:"name,omitempty"`
	mean
}

// Name implements Metric.
func (m *SparseTopKCategoricalAccuracy) Name() string {
	return nameOr(m.Label, "sparse_top_k_categorical_accuracy")
}

// Update implements Metric.
func (m *SparseTopKCategoricalAccuracy) Update(yTrue, yPred *tensor.Tensor) {
	checkSparse("sparse_top_k_categorical_accuracy", yTrue, yPred)
	k := orDefaultK(m.K)
	rows, n := yPred.Rows(), yPred.RowSize()
	hits := 0
	for r := 0; r < rows; r++ {
		l := yTrue.Data[r]
		if !(l > -1 && l < float32(n)) { // also rejects NaN
			continue
		}
		if inTopK(yPred.Data[r*n:(r+1)*n], int(l), k) {
			hits++
		}
	}
	m.sum += float64(hits)
	m.count += rows
}

// Precision is TP / (TP + FP) over one binary output (or every output,
// flattened): a prediction greater than Threshold (0.5 when zero) is a
// predicted positive and a nonzero target is a positive, as Keras's
// Precision does. It is 0 while there are no predicted positives.
type Precision struct {
	// Threshold above which a prediction is positive; zero means 0.5.
	Threshold float32 `json:"threshold,omitempty"`
	// Label overrides the logged name "precision".
	Label string `json:"name,omitempty"`
	confusion
}

// Name implements Metric.
func (m *Precision) Name() string { return nameOr(m.Label, "precision") }

// Update implements Metric.
func (m *Precision) Update(yTrue, yPred *tensor.Tensor) {
	m.update(yTrue, yPred, m.Threshold, "precision")
}

// Result implements Metric.
func (m *Precision) Result() float64 { return divNoNaN(m.tp, m.tp+m.fp) }

// Recall is TP / (TP + FN) over one binary output (or every output,
// flattened): a prediction greater than Threshold (0.5 when zero) is a
// predicted positive and a nonzero target is a positive, as Keras's Recall
// does. It is 0 while there are no positive targets.
type Recall struct {
	// Threshold above which a prediction is positive; zero means 0.5.
	Threshold float32 `json:"threshold,omitempty"`
	// Label overrides the logged name "recall".
	Label string `json:"name,omitempty"`
	confusion
}

// Name implements Metric.
func (m *Recall) Name() string { return nameOr(m.Label, "recall") }

// Update implements Metric.
func (m *Recall) Update(yTrue, yPred *tensor.Tensor) {
	m.update(yTrue, yPred, m.Threshold, "recall")
}

// Result implements Metric.
func (m *Recall) Result() float64 { return divNoNaN(m.tp, m.tp+m.fn) }

// confusion counts true positives, false positives and false negatives at
// one threshold.
type confusion struct {
	tp, fp, fn int64
}

// Reset implements Metric.
func (c *confusion) Reset() { *c = confusion{} }

func (c *confusion) update(yTrue, yPred *tensor.Tensor, thr float32, name string) {
	checkSameSize(name, yTrue, yPred)
	if thr == 0 {
		thr = 0.5
	}
	t := yTrue.Data[:len(yPred.Data)]
	for i, p := range yPred.Data {
		switch pos := p > thr; {
		case pos && t[i] != 0:
			c.tp++
		case pos:
			c.fp++
		case t[i] != 0:
			c.fn++
		}
	}
}

// AUC approximates the area under the ROC curve of one binary output (or
// every output, flattened) as tf.keras.metrics.AUC does with its defaults
// (curve='ROC', summation_method='interpolation'):
//
//   - NumThresholds thresholds (200 when zero; at least 2): −ε, then
//     i/(NumThresholds−1) for i = 1 … NumThresholds−2, then 1+ε, with
//     ε = 1e-7 (Keras's backend epsilon).
//   - Update counts, for every threshold, the true and false positives and
//     negatives: a prediction greater than the threshold is a predicted
//     positive and a nonzero target is a positive. As Keras's
//     evenly-spaced fast path does, a prediction is clipped to [0, 1] and
//     put in bucket max(⌈p·(NumThresholds−1)⌉−1, 0), computed in float32;
//     it is a predicted positive at every threshold up to its bucket. A NaN
//     prediction is a predicted negative at every threshold, even −ε, so
//     the curve then stops short of the point (1, 1).
//   - Result forms the true positive rate TP/(TP+FN) and the false positive
//     rate FP/(FP+TN) at each threshold (0 where the denominator is 0) and
//     sums the trapezoids between consecutive thresholds:
//     Σ (fpr[i] − fpr[i+1]) · (tpr[i] + tpr[i+1]) / 2.
//
// Pairs of a positive and a negative that fall in the same bucket count as
// ties (half a correctly ordered pair), so the result differs from the exact
// ROC AUC by at most half the fraction of such pairs.
type AUC struct {
	// NumThresholds is the number of thresholds; zero means 200.
	NumThresholds int `json:"num_thresholds,omitempty"`
	// Label overrides the logged name "auc".
	Label string `json:"name,omitempty"`

	// pos[b] and neg[b] count the positive and negative targets whose
	// prediction fell in bucket b (a predicted positive at thresholds 0 … b);
	// posNone and negNone those whose prediction is NaN.
	pos, neg         []int64
	posNone, negNone int64
}

// Name implements Metric.
func (m *AUC) Name() string { return nameOr(m.Label, "auc") }

// numThresholds returns the effective number of thresholds.
func (m *AUC) numThresholds() int {
	n := m.NumThresholds
	if n == 0 {
		n = 200
	}
	if n < 2 {
		panic(fmt.Sprintf("metrics: AUC: NumThresholds is %d, want at least 2", n))
	}
	return n
}

// Reset implements Metric.
func (m *AUC) Reset() {
	clear(m.pos)
	clear(m.neg)
	m.posNone, m.negNone = 0, 0
}

// Update implements Metric.
func (m *AUC) Update(yTrue, yPred *tensor.Tensor) {
	checkSameSize("auc", yTrue, yPred)
	n := m.numThresholds()
	if len(m.pos) != n {
		m.pos, m.neg = make([]int64, n), make([]int64, n)
		m.posNone, m.negNone = 0, 0
	}
	scale := float32(n - 1)
	t := yTrue.Data[:len(yPred.Data)]
	for i, p := range yPred.Data {
		positive := t[i] != 0
		if p != p { // NaN: a predicted negative at every threshold
			if positive {
				m.posNone++
			} else {
				m.negNone++
			}
			continue
		}
		b := 0 // p ≤ 0 is clipped to 0, which exceeds only −ε
		switch {
		case p >= 1:
			b = n - 2
		case p > 0:
			b = max(int(math.Ceil(float64(p*scale)))-1, 0)
		}
		if positive {
			m.pos[b]++
		} else {
			m.neg[b]++
		}
	}
}

// Result implements Metric.
func (m *AUC) Result() float64 {
	n := len(m.pos)
	if n == 0 {
		return 0
	}
	totPos, totNeg := m.posNone, m.negNone
	for b := range n {
		totPos += m.pos[b]
		totNeg += m.neg[b]
	}
	// Walk the thresholds down from the highest: TP and FP at threshold i
	// count the predictions in buckets i and above.
	var tp, fp int64
	var area, prevX, prevY float64
	for i := n - 1; i >= 0; i-- {
		tp += m.pos[i]
		fp += m.neg[i]
		x := divNoNaN(fp, totNeg) // false positive rate
		y := divNoNaN(tp, totPos) // true positive rate (recall)
		if i < n-1 {
			area += (x - prevX) * (y + prevY) / 2
		}
		prevX, prevY = x, y
	}
	return area
}

// binaryAccuracy adds to m, per sample, the fraction of its outputs where
// (prediction > thr) equals the target.
func binaryAccuracy(m *mean, yTrue, yPred *tensor.Tensor, thr float32, name string) {
	checkSameSize(name, yTrue, yPred)
	rows, n := yPred.Rows(), yPred.RowSize()
	if n == 0 {
		return
	}
	for r := 0; r < rows; r++ {
		t, p := yTrue.Data[r*n:(r+1)*n], yPred.Data[r*n:(r+1)*n]
		hits := 0
		for j, v := range p {
			var pred float32
			if v > thr {
				pred = 1
			}
			if t[j] == pred {
				hits++
			}
		}
		m.sum += float64(hits) / float64(n)
	}
	m.count += rows
}

// categoricalAccuracy adds to m the samples whose prediction and one-hot
// target have the same argmax.
func categoricalAccuracy(m *mean, yTrue, yPred *tensor.Tensor, name string) {
	checkSameSize(name, yTrue, yPred)
	rows, n := yPred.Rows(), yPred.RowSize()
	hits := 0
	for r := 0; r < rows; r++ {
		if argmax(yTrue.Data[r*n:(r+1)*n]) == argmax(yPred.Data[r*n:(r+1)*n]) {
			hits++
		}
	}
	m.sum += float64(hits)
	m.count += rows
}

// sparseCategoricalAccuracy adds to m the samples whose prediction's argmax
// equals the class index target.
func sparseCategoricalAccuracy(m *mean, yTrue, yPred *tensor.Tensor, name string) {
	checkSparse(name, yTrue, yPred)
	rows, n := yPred.Rows(), yPred.RowSize()
	hits := 0
	for r := 0; r < rows; r++ {
		if float32(argmax(yPred.Data[r*n:(r+1)*n])) == yTrue.Data[r] {
			hits++
		}
	}
	m.sum += float64(hits)
	m.count += rows
}

// argmax returns the index of the largest value, the first one on ties (0
// for an empty row).
func argmax(row []float32) int {
	if len(row) == 0 {
		return 0
	}
	best, bv := 0, row[0]
	for j, v := range row[1:] {
		if v > bv {
			best, bv = j+1, v
		}
	}
	return best
}

// inTopK reports whether class target is in the top k of row with
// tf.math.in_top_k's semantics: its score is finite and fewer than k
// classes score strictly higher.
func inTopK(row []float32, target, k int) bool {
	if target < 0 || target >= len(row) {
		return false
	}
	p := row[target]
	if p != p || math.IsInf(float64(p), 0) {
		return false
	}
	higher := 0
	for _, v := range row {
		if v > p {
			higher++
			if higher >= k {
				return false
			}
		}
	}
	return higher < k
}

func orDefaultK(k int) int {
	if k == 0 {
		return 5
	}
	return k
}

// divNoNaN returns a/b, or 0 when b is 0 (tf.math.divide_no_nan).
func divNoNaN(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// checkSameSize panics unless yTrue holds as many values as yPred.
func checkSameSize(name string, yTrue, yPred *tensor.Tensor) {
	if len(yTrue.Data) != len(yPred.Data) {
		panic(fmt.Sprintf("metrics: %s: y_true of shape %s does not match y_pred of shape %s",
			name, tensor.ShapeString(yTrue.Shape), tensor.ShapeString(yPred.Shape)))
	}
}

// checkSparse panics unless yTrue holds one class index per row of yPred.
func checkSparse(name string, yTrue, yPred *tensor.Tensor) {
	if len(yTrue.Data) != yPred.Rows() {
		panic(fmt.Sprintf("metrics: %s: y_true of shape %s does not hold one class index per sample of y_pred of shape %s",
			name, tensor.ShapeString(yTrue.Shape), tensor.ShapeString(yPred.Shape)))
	}
}
