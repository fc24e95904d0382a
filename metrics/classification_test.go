package metrics

import (
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/tensor"
)

// clsT builds a tensor from values and a shape.
func clsT(data []float32, shape ...int) *tensor.Tensor {
	return tensor.FromSlice(append([]float32(nil), data...), shape...)
}

// clsResult resets m, feeds it one batch and returns its result.
func clsResult(m Metric, yTrue, yPred *tensor.Tensor) float64 {
	m.Reset()
	m.Update(yTrue, yPred)
	return m.Result()
}

func clsNear(got, want, tol float64) bool { return math.Abs(got-want) <= tol }

func TestClassificationNames(t *testing.T) {
	cases := []struct {
		m    Metric
		want string
	}{
		{Accuracy(), "accuracy"},
		{&AutoAccuracy{}, "accuracy"},
		{&BinaryAccuracy{}, "binary_accuracy"},
		{&CategoricalAccuracy{}, "categorical_accuracy"},
		{&SparseCategoricalAccuracy{}, "sparse_categorical_accuracy"},
		{&TopKCategoricalAccuracy{}, "top_k_categorical_accuracy"},
		{&SparseTopKCategoricalAccuracy{}, "sparse_top_k_categorical_accuracy"},
		{&Precision{}, "precision"},
		{&Recall{}, "recall"},
		{&AUC{}, "auc"},
		{&Precision{Label: "precision_at_0.9", Threshold: 0.9}, "precision_at_0.9"},
		{&AUC{Label: "roc"}, "roc"},
	}
	for _, c := range cases {
		if got := c.m.Name(); got != c.want {
			t.Errorf("Name() = %q, want %q", got, c.want)
		}
		if got := c.m.Result(); got != 0 {
			t.Errorf("%s: Result before any Update = %v, want 0", c.want, got)
		}
	}
	var _ Resolver = Accuracy()
}

// TestClassificationKerasDocExamples checks the values of the examples in the tf.keras
// metrics documentation.
func TestClassificationKerasDocExamples(t *testing.T) {
	twoByThree := clsT([]float32{0.1, 0.9, 0.8, 0.05, 0.95, 0}, 2, 3)
	cases := []struct {
		m      Metric
		yt, yp *tensor.Tensor
		want   float64
	}{
		{&BinaryAccuracy{}, clsT([]float32{1, 1, 0, 0}, 4, 1), clsT([]float32{0.98, 1, 0, 0.6}, 4, 1), 0.75},
		{&CategoricalAccuracy{}, clsT([]float32{0, 0, 1, 0, 1, 0}, 2, 3), twoByThree, 0.5},
		{&SparseCategoricalAccuracy{}, clsT([]float32{2, 1}, 2, 1), clsT([]float32{0.1, 0.6, 0.3, 0.05, 0.95, 0}, 2, 3), 0.5},
		{&TopKCategoricalAccuracy{K: 1}, clsT([]float32{0, 0, 1, 0, 1, 0}, 2, 3), twoByThree, 0.5},
		{&SparseTopKCategoricalAccuracy{K: 1}, clsT([]float32{2, 1}, 2), twoByThree, 0.5},
		{&Precision{}, clsT([]float32{0, 1, 1, 1}, 4), clsT([]float32{1, 0, 1, 1}, 4), 2.0 / 3},
		{&Recall{}, clsT([]float32{0, 1, 1, 1}, 4), clsT([]float32{1, 0, 1, 1}, 4), 2.0 / 3},
		// threshold values are [0 - 1e-7, 0.5, 1 + 1e-7]; tp = [2, 1, 0],
		// fp = [2, 0, 0]; tpr = [1, 0.5, 0], fpr = [1, 0, 0]; auc = 0.75.
		{&AUC{NumThresholds: 3}, clsT([]float32{0, 0, 1, 1}, 4), clsT([]float32{0, 0.5, 0.3, 0.9}, 4), 0.75},
	}
	for _, c := range cases {
		if got := clsResult(c.m, c.yt, c.yp); !clsNear(got, c.want, 1e-12) {
			t.Errorf("%s = %v, want %v", c.m.Name(), got, c.want)
		}
	}
}

func TestClassificationBinaryThresholds(t *testing.T) {
	yt := clsT([]float32{1, 0, 1, 0, 1}, 5, 1)
	yp := clsT([]float32{0.9, 0.2, 0.5, 0.51, 0.7}, 5, 1)
	// Default 0.5: 0.5 is not above it (a miss), 0.51 is (a miss).
	if got := clsResult(&BinaryAccuracy{}, yt, yp); !clsNear(got, 3.0/5, 1e-12) {
		t.Errorf("threshold 0.5: %v, want 0.6", got)
	}
	// 0.6: predictions 1 0 0 0 1 → 4 of 5.
	if got := clsResult(&BinaryAccuracy{Threshold: 0.6}, yt, yp); !clsNear(got, 4.0/5, 1e-12) {
		t.Errorf("threshold 0.6: %v, want 0.8", got)
	}
	// 0.49: 0.5 now counts as 1.
	if got := clsResult(&BinaryAccuracy{Threshold: 0.49}, yt, yp); !clsNear(got, 4.0/5, 1e-12) {
		t.Errorf("threshold 0.49: %v, want 0.8", got)
	}
	// Targets compare exactly: a soft 0.9 never matches.
	if got := clsResult(&BinaryAccuracy{}, clsT([]float32{0.9, 0}, 2), clsT([]float32{0.99, 0.1}, 2)); !clsNear(got, 0.5, 1e-12) {
		t.Errorf("soft target: %v, want 0.5", got)
	}
	// Several outputs: per-sample means, then the mean over samples.
	yt2 := clsT([]float32{1, 0, 1, 1, 0, 0, 1, 0}, 2, 4)
	yp2 := clsT([]float32{0.7, 0.1, 0.2, 0.9, 0.6, 0.6, 0.6, 0.1}, 2, 4)
	// sample 0: hits 1,1,0,1 = 3/4; sample 1: 0,0,1,1 = 2/4.
	if got := clsResult(&BinaryAccuracy{}, yt2, yp2); !clsNear(got, 5.0/8, 1e-12) {
		t.Errorf("multi-output: %v, want 0.625", got)
	}
}

func TestClassificationArgmaxTies(t *testing.T) {
	yp := clsT([]float32{0.4, 0.4, 0.2, 0.1, 0.45, 0.45}, 2, 3)
	// Ties go to the first index: predicted classes 0 and 1.
	if got := clsResult(&CategoricalAccuracy{}, clsT([]float32{1, 0, 0, 0, 1, 0}, 2, 3), yp); got != 1 {
		t.Errorf("categorical ties: %v, want 1", got)
	}
	if got := clsResult(&CategoricalAccuracy{}, clsT([]float32{0, 1, 0, 0, 0, 1}, 2, 3), yp); got != 0 {
		t.Errorf("categorical ties, second index: %v, want 0", got)
	}
	// A tied (non one-hot) target takes its first index too.
	if got := clsResult(&CategoricalAccuracy{}, clsT([]float32{0.5, 0.5, 0, 0, 0.5, 0.5}, 2, 3), yp); got != 1 {
		t.Errorf("tied targets: %v, want 1", got)
	}
	if got := clsResult(&SparseCategoricalAccuracy{}, clsT([]float32{0, 1}, 2), yp); got != 1 {
		t.Errorf("sparse ties: %v, want 1", got)
	}
}

func TestClassificationSparseTargets(t *testing.T) {
	yp := clsT([]float32{0.1, 0.7, 0.2, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6}, 3, 3) // argmax 1, 0, 2
	for _, shape := range [][]int{{3}, {3, 1}} {
		if got := clsResult(&SparseCategoricalAccuracy{}, clsT([]float32{1, 0, 1}, shape...), yp); !clsNear(got, 2.0/3, 1e-12) {
			t.Errorf("shape %v: %v, want 2/3", shape, got)
		}
	}
	// Non-integral, out-of-range and NaN indices never match.
	nan := float32(math.NaN())
	if got := clsResult(&SparseCategoricalAccuracy{}, clsT([]float32{1.5, 3, nan}, 3), yp); got != 0 {
		t.Errorf("bad indices: %v, want 0", got)
	}
	// Sparse top-k truncates the index: 1.7 → 1, −0.5 → 0; 3 and NaN are out.
	m := &SparseTopKCategoricalAccuracy{K: 1}
	if got := clsResult(m, clsT([]float32{1.7, -0.5, 2.2}, 3), yp); got != 1 {
		t.Errorf("sparse top-1 truncation: %v, want 1", got)
	}
	if got := clsResult(m, clsT([]float32{3, nan, -1}, 3), yp); got != 0 {
		t.Errorf("sparse top-1 out of range: %v, want 0", got)
	}
}

// TestClassificationTopKTies checks tf.math.in_top_k's semantics: the target is in the
// top k when fewer than k classes score strictly higher.
func TestClassificationTopKTies(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	row := []float32{0.1, 0.3, 0.3, 0.3}
	cases := []struct {
		row    []float32
		target int
		k      int
		want   bool
	}{
		{row, 1, 1, true}, // three-way tie at the top: all are in the top 1
		{row, 3, 1, true},
		{row, 0, 3, false}, // three classes above it
		{row, 0, 4, true},
		{[]float32{0.5, 0.2, 0.2, 0.1}, 2, 2, true}, // tie straddling the boundary
		{[]float32{0.5, 0.2, 0.2, 0.1}, 3, 3, false},
		{[]float32{0.5, nan, 0.2}, 2, 2, true}, // NaN elsewhere ranks nowhere
		{[]float32{0.5, nan, 0.2}, 1, 3, false},
		{[]float32{0.5, inf, 0.2}, 1, 1, false}, // non-finite target
		{[]float32{0.5, 0.1, 0.2}, 1, 5, true},  // k beyond the class count
		{[]float32{0.5, 0.1, 0.2}, 0, -1, false},
	}
	for _, c := range cases {
		if got := inTopK(c.row, c.target, c.k); got != c.want {
			t.Errorf("inTopK(%v, %d, %d) = %v, want %v", c.row, c.target, c.k, got, c.want)
		}
	}
	// Through the metrics, with the default K = 5 and 7 classes.
	yp := clsT([]float32{
		0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, // class 4 is 5th: in; class 5 is 6th: out
		0.1, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, // class 0 is last: out; class 6 tied: in
	}, 2, 7)
	oneHot := func(classes ...int) *tensor.Tensor {
		y := tensor.New(len(classes), 7)
		for r, c := range classes {
			y.Set(1, r, c)
		}
		return y
	}
	for _, c := range []struct {
		classes []int
		want    float64
	}{{[]int{4, 6}, 1}, {[]int{5, 0}, 0}, {[]int{4, 0}, 0.5}} {
		if got := clsResult(&TopKCategoricalAccuracy{}, oneHot(c.classes...), yp); got != c.want {
			t.Errorf("top-5 of classes %v: %v, want %v", c.classes, got, c.want)
		}
		idx := []float32{float32(c.classes[0]), float32(c.classes[1])}
		if got := clsResult(&SparseTopKCategoricalAccuracy{}, clsT(idx, 2, 1), yp); got != c.want {
			t.Errorf("sparse top-5 of classes %v: %v, want %v", c.classes, got, c.want)
		}
	}
}

func TestClassificationResolve(t *testing.T) {
	cases := []struct {
		loss  string
		units int
		want  string
	}{
		{"binary_crossentropy", 1, "binary_accuracy"},
		{"binary_crossentropy", 10, "binary_accuracy"}, // multi-label
		{"mean_squared_error", 1, "binary_accuracy"},   // one unit
		{"sparse_categorical_crossentropy", 1, "binary_accuracy"},
		{"sparse_categorical_crossentropy", 10, "sparse_categorical_accuracy"},
		{"categorical_crossentropy", 10, "categorical_accuracy"},
		{"mean_squared_error", 3, "categorical_accuracy"},
		{"", 2, "categorical_accuracy"},
	}
	for _, c := range cases {
		m := Accuracy()
		if m.Kind() != "" {
			t.Fatalf("Kind before Resolve = %q, want \"\"", m.Kind())
		}
		m.Resolve(c.loss, c.units)
		if got := m.Kind(); got != c.want {
			t.Errorf("Resolve(%q, %d): %s, want %s", c.loss, c.units, got, c.want)
		}
		m.Reset()
		if got := m.Kind(); got != c.want {
			t.Errorf("Resolve(%q, %d) then Reset: %s, want %s", c.loss, c.units, got, c.want)
		}
	}

	// A resolved metric computes its kind whatever the shapes suggest:
	// binary accuracy over 3 sigmoid outputs (multi-label) ...
	yt := clsT([]float32{1, 0, 0, 0, 1, 1}, 2, 3)
	yp := clsT([]float32{0.6, 0.7, 0.1, 0.2, 0.8, 0.3}, 2, 3)
	m := Accuracy()
	m.Resolve("binary_crossentropy", 3)
	if got := clsResult(m, yt, yp); !clsNear(got, 4.0/6, 1e-12) { // 2/3 and 2/3
		t.Errorf("resolved binary, 3 outputs: %v, want 2/3", got)
	}
	// ... where the shapes alone would give categorical accuracy.
	if got := clsResult(Accuracy(), yt, yp); got != 0.5 {
		t.Errorf("inferred categorical: %v, want 0.5", got)
	}
	// Sparse targets.
	m.Resolve("sparse_categorical_crossentropy", 3)
	if got := clsResult(m, clsT([]float32{1, 0}, 2, 1), yp); got != 0.5 {
		t.Errorf("resolved sparse: %v, want 0.5", got)
	}
}

func TestClassificationInference(t *testing.T) {
	yp3 := clsT([]float32{0.1, 0.7, 0.2, 0.6, 0.3, 0.1}, 2, 3) // argmax 1, 0
	cases := []struct {
		name   string
		yt, yp *tensor.Tensor
		want   float64
	}{
		{"binary (n,1)", clsT([]float32{1, 0, 0}, 3, 1), clsT([]float32{0.8, 0.7, 0.2}, 3, 1), 2.0 / 3},
		{"binary (n,) targets", clsT([]float32{1, 0, 0}, 3), clsT([]float32{0.8, 0.7, 0.2}, 3, 1), 2.0 / 3},
		{"binary (n,) predictions", clsT([]float32{1, 0, 0}, 3), clsT([]float32{0.8, 0.7, 0.2}, 3), 2.0 / 3},
		{"categorical", clsT([]float32{0, 1, 0, 0, 0, 1}, 2, 3), yp3, 0.5},
		{"sparse (n,1)", clsT([]float32{1, 1}, 2, 1), yp3, 0.5},
		{"sparse (n,)", clsT([]float32{1, 0}, 2), yp3, 1},
	}
	for _, c := range cases {
		m := Accuracy()
		if got := clsResult(m, c.yt, c.yp); !clsNear(got, c.want, 1e-12) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if m.Kind() != "" {
			t.Errorf("%s: inference fixed the kind to %q", c.name, m.Kind())
		}
	}
}

// clsRNG is a small deterministic generator for test data.
type clsRNG uint64

func (g *clsRNG) float() float32 {
	*g = *g*6364136223846793005 + 1442695040888963407
	return float32(uint64(*g)>>40) / (1 << 24)
}

func (g *clsRNG) intn(n int) int { return int(g.float() * float32(n)) }

// clsBatch returns n samples of k classes: probabilities (some rows with
// ties), one-hot targets and class indices.
func clsBatch(g *clsRNG, n, k int) (yp, oneHot, idx *tensor.Tensor) {
	yp, oneHot, idx = tensor.New(n, k), tensor.New(n, k), tensor.New(n)
	for r := 0; r < n; r++ {
		for j := 0; j < k; j++ {
			yp.Data[r*k+j] = float32(g.intn(8)) / 8 // coarse: many ties
		}
		c := g.intn(k)
		oneHot.Data[r*k+c] = 1
		idx.Data[r] = float32(c)
	}
	return
}

// Float64 references, written independently of the implementation.

func clsRefArgmax(row []float32) int {
	best, bv := 0, math.Inf(-1)
	for j, v := range row {
		if float64(v) > bv {
			best, bv = j, float64(v)
		}
	}
	return best
}

func clsRefInTopK(row []float32, c, k int) bool {
	// Rank = 1 + number of strictly higher scores.
	var s []float64
	for _, v := range row {
		s = append(s, float64(v))
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	rank := sort.Search(len(s), func(i int) bool { return s[i] <= float64(row[c]) })
	return rank < k
}

func TestClassificationAccumulation(t *testing.T) {
	g := clsRNG(7)
	const k = 6
	type b struct{ yp, oneHot, idx *tensor.Tensor }
	var batches []b
	for _, n := range []int{5, 1, 13, 2, 8} { // not a mean of batch means
		yp, oh, idx := clsBatch(&g, n, k)
		batches = append(batches, b{yp, oh, idx})
	}
	var total, cat, top2, top5 float64
	for _, bt := range batches {
		for r := 0; r < bt.yp.Rows(); r++ {
			row, c := bt.yp.Row(r), int(bt.idx.Data[r])
			total++
			if clsRefArgmax(row) == c {
				cat++
			}
			if clsRefInTopK(row, c, 2) {
				top2++
			}
			if clsRefInTopK(row, c, 5) {
				top5++
			}
		}
	}
	cases := []struct {
		m      Metric
		sparse bool
		want   float64
	}{
		{&CategoricalAccuracy{}, false, cat / total},
		{&SparseCategoricalAccuracy{}, true, cat / total},
		{&TopKCategoricalAccuracy{K: 2}, false, top2 / total},
		{&SparseTopKCategoricalAccuracy{K: 2}, true, top2 / total},
		{&TopKCategoricalAccuracy{}, false, top5 / total},
		{&SparseTopKCategoricalAccuracy{}, true, top5 / total},
		{Accuracy(), false, cat / total},
		{Accuracy(), true, cat / total},
	}
	for _, c := range cases {
		for pass := 0; pass < 2; pass++ { // the second pass checks Reset
			c.m.Reset()
			for _, bt := range batches {
				if c.sparse {
					c.m.Update(bt.idx, bt.yp)
				} else {
					c.m.Update(bt.oneHot, bt.yp)
				}
			}
			if got := c.m.Result(); !clsNear(got, c.want, 1e-12) {
				t.Errorf("%s (sparse %v, pass %d): %v, want %v", c.m.Name(), c.sparse, pass, got, c.want)
			}
		}
	}
	if top2 == total || top2 == cat || cat == 0 {
		t.Fatalf("weak test data: cat %v top2 %v of %v", cat, top2, total)
	}

	// Binary accuracy, precision and recall over batches of sizes 3, 10, 1.
	var bt, bp []*tensor.Tensor
	var hits, tp, fp, fn float64
	for _, n := range []int{3, 10, 1} {
		yt, yp := tensor.New(n, 1), tensor.New(n, 1)
		for i := range yt.Data {
			yt.Data[i] = float32(g.intn(2))
			yp.Data[i] = g.float()
			pos, lab := yp.Data[i] > 0.3, yt.Data[i] == 1
			if pos == lab {
				hits++
			}
			switch {
			case pos && lab:
				tp++
			case pos:
				fp++
			case lab:
				fn++
			}
		}
		bt, bp = append(bt, yt), append(bp, yp)
	}
	for _, c := range []struct {
		m    Metric
		want float64
	}{
		{&BinaryAccuracy{Threshold: 0.3}, hits / 14},
		{&Precision{Threshold: 0.3}, tp / (tp + fp)},
		{&Recall{Threshold: 0.3}, tp / (tp + fn)},
	} {
		for pass := 0; pass < 2; pass++ {
			c.m.Reset()
			for i := range bt {
				c.m.Update(bt[i], bp[i])
			}
			if got := c.m.Result(); !clsNear(got, c.want, 1e-12) {
				t.Errorf("%s pass %d: %v, want %v", c.m.Name(), pass, got, c.want)
			}
		}
	}
}

func TestClassificationPrecisionRecall(t *testing.T) {
	yt := clsT([]float32{1, 0, 1, 1, 0, 0.3}, 6, 1) // 0.3 is nonzero: a positive
	yp := clsT([]float32{0.9, 0.6, 0.5, 0.2, 0.4, 0.7}, 6, 1)
	// Threshold 0.5 (0.5 itself is negative): predicted positive 0, 1, 5.
	// tp = {0, 5}, fp = {1}, fn = {2, 3}.
	if got := clsResult(&Precision{}, yt, yp); !clsNear(got, 2.0/3, 1e-12) {
		t.Errorf("precision: %v, want 2/3", got)
	}
	if got := clsResult(&Recall{}, yt, yp); !clsNear(got, 2.0/4, 1e-12) {
		t.Errorf("recall: %v, want 1/2", got)
	}
	// Threshold 0.45: 0.5 is now positive: tp = {0, 2, 5}, fp = {1}, fn = {3}.
	if got := clsResult(&Precision{Threshold: 0.45}, yt, yp); !clsNear(got, 3.0/4, 1e-12) {
		t.Errorf("precision@0.45: %v, want 3/4", got)
	}
	if got := clsResult(&Recall{Threshold: 0.45}, yt, yp); !clsNear(got, 3.0/4, 1e-12) {
		t.Errorf("recall@0.45: %v, want 3/4", got)
	}
	// No predicted positives → precision 0; no positive targets → recall 0.
	if got := clsResult(&Precision{Threshold: 0.95}, yt, yp); got != 0 {
		t.Errorf("precision with no predicted positives: %v, want 0", got)
	}
	if got := clsResult(&Recall{}, clsT([]float32{0, 0}, 2), clsT([]float32{0.9, 0.1}, 2)); got != 0 {
		t.Errorf("recall with no positives: %v, want 0", got)
	}
	// Several outputs are flattened.
	if got := clsResult(&Precision{}, clsT([]float32{1, 0, 1, 1}, 2, 2), clsT([]float32{0.9, 0.9, 0.1, 0.8}, 2, 2)); !clsNear(got, 2.0/3, 1e-12) {
		t.Errorf("flattened precision: %v, want 2/3", got)
	}
}

// clsExactAUC is the exact ROC AUC: the probability that a random positive
// scores above a random negative, ties counting one half.
func clsExactAUC(yt, yp []float32) float64 {
	var num, pairs float64
	for i := range yt {
		if yt[i] == 0 {
			continue
		}
		for j := range yt {
			if yt[j] != 0 {
				continue
			}
			pairs++
			switch {
			case yp[i] > yp[j]:
				num++
			case yp[i] == yp[j]:
				num += 0.5
			}
		}
	}
	return num / pairs
}

// clsThresholdAUC is Keras's AUC computed the slow way, in float64: explicit
// thresholds −ε, i/(n−1), 1+ε, confusion counts per threshold (p > t), and
// the interpolated trapezoids.
func clsThresholdAUC(yt, yp []float32, n int) float64 {
	th := make([]float64, n)
	th[0], th[n-1] = -1e-7, 1+1e-7
	for i := 1; i < n-1; i++ {
		th[i] = float64(i) / float64(n-1)
	}
	tpr, fpr := make([]float64, n), make([]float64, n)
	for i, thr := range th {
		var tp, fp, fn, tn float64
		for s := range yt {
			pos := float64(yp[s]) > thr
			switch {
			case pos && yt[s] != 0:
				tp++
			case pos:
				fp++
			case yt[s] != 0:
				fn++
			default:
				tn++
			}
		}
		if tp+fn > 0 {
			tpr[i] = tp / (tp + fn)
		}
		if fp+tn > 0 {
			fpr[i] = fp / (fp + tn)
		}
	}
	var area float64
	for i := 0; i < n-1; i++ {
		area += (fpr[i] - fpr[i+1]) * (tpr[i] + tpr[i+1]) / 2
	}
	return area
}

func TestClassificationAUC(t *testing.T) {
	yt := clsT([]float32{0, 0, 0, 1, 1, 1}, 6, 1)
	cases := []struct {
		name string
		yp   []float32
		want float64
	}{
		{"perfect", []float32{0.1, 0.2, 0.3, 0.7, 0.8, 0.9}, 1},
		{"reversed", []float32{0.9, 0.8, 0.7, 0.3, 0.2, 0.1}, 0},
		{"all equal", []float32{0.5, 0.5, 0.5, 0.5, 0.5, 0.5}, 0.5},
		{"extremes", []float32{0, 0, 0, 1, 1, 1}, 1},
		{"clipped", []float32{-3, -1, 0, 1, 2, 7}, 1},
		{"one swap", []float32{0.1, 0.2, 0.8, 0.7, 0.85, 0.9}, 8.0 / 9},
	}
	for _, c := range cases {
		if got := clsResult(&AUC{}, yt, clsT(c.yp, 6, 1)); !clsNear(got, c.want, 1e-12) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	// One class only: one rate stays 0, so the area is 0 (as Keras).
	if got := clsResult(&AUC{}, clsT([]float32{1, 1}, 2), clsT([]float32{0.2, 0.9}, 2)); got != 0 {
		t.Errorf("positives only: %v, want 0", got)
	}
	// Predictions within one bucket tie: 0.503 and 0.507 share
	// (100/199, 101/199].
	if got := clsResult(&AUC{}, clsT([]float32{0, 1}, 2), clsT([]float32{0.503, 0.507}, 2)); got != 0.5 {
		t.Errorf("same bucket: %v, want 0.5", got)
	}
	// A NaN prediction is negative at every threshold, even the lowest, so
	// the curve stops short of fpr = 1 (as in Keras): a NaN negative leaves
	// fpr at most 1/2 here, with tpr 1 from fpr 0.
	nan := float32(math.NaN())
	if got := clsResult(&AUC{}, clsT([]float32{0, 0, 1, 1}, 4), clsT([]float32{nan, 0.2, 0.3, 0.6}, 4)); got != 0.5 {
		t.Errorf("NaN negative: %v, want 0.5", got)
	}
	if got := clsResult(&AUC{}, clsT([]float32{1, 0, 0}, 3), clsT([]float32{nan, 0.3, 0.6}, 3)); got != 0 {
		t.Errorf("NaN positive: %v, want 0", got)
	}
}

func TestClassificationAUCRandom(t *testing.T) {
	g := clsRNG(42)
	for _, nt := range []int{0, 2, 10, 1000} {
		m := &AUC{NumThresholds: nt}
		n := nt
		if n == 0 {
			n = 200
		}
		var all, allT []float32
		for pass := 0; pass < 2; pass++ {
			m.Reset()
			all, allT = all[:0], allT[:0]
			for _, size := range []int{300, 7, 150, 43} {
				yt, yp := tensor.New(size, 1), tensor.New(size, 1)
				for i := range yt.Data {
					lab := g.intn(2)
					yt.Data[i] = float32(lab)
					// Overlapping score distributions: AUC about 0.75.
					yp.Data[i] = min(g.float()*0.7+0.3*float32(lab), 1)
				}
				m.Update(yt, yp)
				all, allT = append(all, yp.Data...), append(allT, yt.Data...)
			}
			got := m.Result()
			if ref := clsThresholdAUC(allT, all, n); !clsNear(got, ref, 1e-9) {
				t.Errorf("%d thresholds, pass %d: %v, threshold-by-threshold reference %v", n, pass, got, ref)
			}
			exact := clsExactAUC(allT, all)
			if pass == 0 {
				t.Logf("%d thresholds: AUC %.6f, exact %.6f", n, got, exact)
			}
			// Pairs in one bucket count as ties: each costs at most 1/2
			// pair, and about 1/(n−1) of the pairs (scores spread over
			// [0, 1]) share a bucket. Allow 3× that.
			if tol := 1.5 / float64(n-1); !clsNear(got, exact, tol) {
				t.Errorf("%d thresholds: %v, exact AUC %v (tolerance %v)", n, got, exact, tol)
			}
			if n == 200 && !clsNear(got, exact, 0.005) {
				t.Errorf("200 thresholds: %v, exact AUC %v", got, exact)
			}
			if exact < 0.6 || exact > 0.9 {
				t.Fatalf("weak test data: exact AUC %v", exact)
			}
		}
	}
	if !clsPanics(func() { (&AUC{NumThresholds: 1}).Update(clsT([]float32{1}, 1), clsT([]float32{1}, 1)) }) {
		t.Error("AUC with 1 threshold did not panic")
	}
}

func clsPanics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

func TestClassificationShapePanics(t *testing.T) {
	yp := tensor.New(4, 3)
	for _, c := range []struct {
		m  Metric
		yt *tensor.Tensor
	}{
		{&BinaryAccuracy{}, tensor.New(4)},
		{&CategoricalAccuracy{}, tensor.New(4, 2)},
		{&SparseCategoricalAccuracy{}, tensor.New(4, 3)},
		{&TopKCategoricalAccuracy{}, tensor.New(4)},
		{&SparseTopKCategoricalAccuracy{}, tensor.New(3)},
		{&Precision{}, tensor.New(4)},
		{&Recall{}, tensor.New(4)},
		{&AUC{}, tensor.New(4)},
	} {
		func() {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.Contains(s, c.m.Name()) {
					t.Errorf("%s: panic %v, want a message naming the metric", c.m.Name(), r)
				}
			}()
			c.m.Update(c.yt, yp)
		}()
	}
}

func TestClassificationUpdateAllocs(t *testing.T) {
	g := clsRNG(3)
	yp, oneHot, idx := clsBatch(&g, 32, 10)
	bt, bp := tensor.New(32, 1), tensor.New(32, 1)
	for i := range bt.Data {
		bt.Data[i], bp.Data[i] = float32(g.intn(2)), g.float()
	}
	resolved := Accuracy()
	resolved.Resolve("categorical_crossentropy", 10)
	cases := []struct {
		m      Metric
		yt, yp *tensor.Tensor
	}{
		{Accuracy(), oneHot, yp},
		{Accuracy(), idx, yp},
		{Accuracy(), bt, bp},
		{resolved, oneHot, yp},
		{&BinaryAccuracy{}, bt, bp},
		{&CategoricalAccuracy{}, oneHot, yp},
		{&SparseCategoricalAccuracy{}, idx, yp},
		{&TopKCategoricalAccuracy{}, oneHot, yp},
		{&SparseTopKCategoricalAccuracy{}, idx, yp},
		{&Precision{}, bt, bp},
		{&Recall{}, bt, bp},
		{&AUC{}, bt, bp}, // its buckets come with the warm-up run
	}
	for _, c := range cases {
		if a := alloctest.PerRun(20, func() { c.m.Update(c.yt, c.yp) }); a != 0 {
			t.Errorf("%s: Update allocates %v times", c.m.Name(), a)
		}
		if a := alloctest.PerRun(20, func() { _ = c.m.Result(); c.m.Reset() }); a != 0 {
			t.Errorf("%s: Result/Reset allocate %v times", c.m.Name(), a)
		}
	}
}
