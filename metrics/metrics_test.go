package metrics

import (
	"math"
	"testing"

	"github.com/neurona/neurona/tensor"
)

func TestNames(t *testing.T) {
	cases := []struct {
		m    Metric
		want string
	}{
		{MSE(), "mse"},
		{MAE(), "mae"},
		{&MeanSquaredError{}, "mean_squared_error"},
		{&MeanAbsoluteError{}, "mean_absolute_error"},
		{&MeanSquaredError{Label: "my_mse"}, "my_mse"},
	}
	for _, c := range cases {
		if got := c.m.Name(); got != c.want {
			t.Errorf("Name() = %q, want %q", got, c.want)
		}
	}
}

// batch returns deterministic (n, k) targets and predictions.
func batch(seed, n, k int) (yt, yp *tensor.Tensor) {
	yt, yp = tensor.New(n, k), tensor.New(n, k)
	for i := range yt.Data {
		x := float64(seed*101 + i)
		yt.Data[i] = float32(math.Sin(x) * 4)
		yp.Data[i] = float32(math.Cos(x*1.7)*3 + 0.25)
	}
	return
}

// refMean is the float64 per-sample mean (over the last axis) of f, averaged
// over every sample of every batch.
func refMean(batches [][2]*tensor.Tensor, f func(d float64) float64) float64 {
	var sum float64
	var count int
	for _, b := range batches {
		yt, yp := b[0], b[1]
		n, k := yt.Shape[0], yt.Shape[1]
		for r := 0; r < n; r++ {
			var s float64
			for j := 0; j < k; j++ {
				s += f(float64(yt.Data[r*k+j]) - float64(yp.Data[r*k+j]))
			}
			sum += s / float64(k)
			count++
		}
	}
	return sum / float64(count)
}

func TestAccumulation(t *testing.T) {
	for _, k := range []int{1, 3} {
		var batches [][2]*tensor.Tensor
		for i, n := range []int{5, 2, 7, 1} { // different sizes: not a mean of batch means
			yt, yp := batch(i+k, n, k)
			batches = append(batches, [2]*tensor.Tensor{yt, yp})
		}
		for _, c := range []struct {
			m Metric
			f func(float64) float64
		}{
			{MSE(), func(d float64) float64 { return d * d }},
			{MAE(), math.Abs},
			{&MeanSquaredError{}, func(d float64) float64 { return d * d }},
			{&MeanAbsoluteError{}, math.Abs},
		} {
			for _, b := range batches {
				c.m.Update(b[0], b[1])
			}
			want := refMean(batches, c.f)
			if got := c.m.Result(); math.Abs(got-want) > 1e-12*math.Max(1, want) {
				t.Errorf("%s k=%d: Result %v, reference %v", c.m.Name(), k, got, want)
			}
			// The mean of batch means would differ: make sure the test can tell.
			var mb float64
			for _, b := range batches {
				mb += refMean([][2]*tensor.Tensor{b}, c.f)
			}
			mb /= float64(len(batches))
			if math.Abs(mb-want) < 1e-6 {
				t.Fatalf("test data does not distinguish sample mean from batch mean")
			}

			c.m.Reset()
			if r := c.m.Result(); r != 0 {
				t.Errorf("%s: Result after Reset = %v, want 0", c.m.Name(), r)
			}
			// After Reset only new batches count.
			c.m.Update(batches[1][0], batches[1][1])
			want = refMean(batches[1:2], c.f)
			if got := c.m.Result(); math.Abs(got-want) > 1e-12*math.Max(1, want) {
				t.Errorf("%s: Result after Reset+Update %v, reference %v", c.m.Name(), got, want)
			}
			c.m.Reset()
		}
	}
}

func TestKnownValues(t *testing.T) {
	yt := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	yp := tensor.FromSlice([]float32{2, 2, 1, 7}, 2, 2)
	// Differences per sample: (−1, 0) and (2, −3).
	// MSE: sample means 0.5 and 6.5 → 3.5; MAE: 0.5 and 2.5 → 1.5.
	m, a := MSE(), MAE()
	m.Update(yt, yp)
	a.Update(yt, yp)
	if m.Result() != 3.5 || a.Result() != 1.5 {
		t.Errorf("MSE %v (want 3.5), MAE %v (want 1.5)", m.Result(), a.Result())
	}
	// A third sample with zero error lowers the mean to 7/3 and 1.
	m.Update(tensor.FromSlice([]float32{5, 5}, 1, 2), tensor.FromSlice([]float32{5, 5}, 1, 2))
	a.Update(tensor.FromSlice([]float32{5, 5}, 1, 2), tensor.FromSlice([]float32{5, 5}, 1, 2))
	if math.Abs(m.Result()-7.0/3) > 1e-15 || a.Result() != 1 {
		t.Errorf("after a perfect sample: MSE %v (want 7/3), MAE %v (want 1)", m.Result(), a.Result())
	}
}

func TestEmptyResult(t *testing.T) {
	if r := MSE().Result(); r != 0 || math.IsNaN(r) {
		t.Errorf("Result with no updates = %v, want 0", r)
	}
}

func TestOneDimensionalBatch(t *testing.T) {
	// A (n,) batch: each element is one sample.
	m := MAE()
	m.Update(tensor.FromSlice([]float32{0, 0, 0}, 3), tensor.FromSlice([]float32{1, -2, 6}, 3))
	if m.Result() != 3 {
		t.Errorf("MAE on (3,) = %v, want 3", m.Result())
	}
}
