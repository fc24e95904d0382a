package losses

import (
	"math"
	"testing"

	"github.com/neurona/neurona/autograd"
	"github.com/neurona/neurona/tensor"
)

// data returns deterministic targets and predictions of shape (n, k).
func data(n, k int) (yt, yp []float32) {
	yt = make([]float32, n*k)
	yp = make([]float32, n*k)
	for i := range yt {
		yt[i] = float32(math.Sin(float64(i)*1.3)) * 3
		yp[i] = float32(math.Cos(float64(i)*0.7))*2 + 0.5
	}
	return
}

// kerasMean computes Keras's reduction: the per-sample mean over the last
// axis of f, then the mean over the batch.
func kerasMean(yt, yp []float32, n, k int, f func(d float64) float64) float64 {
	var batch float64
	for r := 0; r < n; r++ {
		var s float64
		for j := 0; j < k; j++ {
			s += f(float64(yp[r*k+j]) - float64(yt[r*k+j]))
		}
		batch += s / float64(k)
	}
	return batch / float64(n)
}

type lossCase struct {
	loss Loss
	name string
	f    func(d float64) float64
	df   func(d float64) float64 // derivative w.r.t. y_pred
}

var cases = []lossCase{
	{MeanSquaredError{}, "mean_squared_error",
		func(d float64) float64 { return d * d },
		func(d float64) float64 { return 2 * d }},
	{MeanAbsoluteError{}, "mean_absolute_error",
		math.Abs,
		func(d float64) float64 {
			switch {
			case d > 0:
				return 1
			case d < 0:
				return -1
			}
			return 0
		}},
}

func TestLossValuesAndGradients(t *testing.T) {
	for _, c := range cases {
		if c.loss.Name() != c.name {
			t.Errorf("Name() = %q, want %q", c.loss.Name(), c.name)
		}
		for _, sh := range [][2]int{{7, 1}, {5, 3}, {1, 4}} {
			n, k := sh[0], sh[1]
			yt, yp := data(n, k)
			tp := autograd.NewTape()
			vt := autograd.NewConst(tensor.FromSlice(yt, n, k))
			vp := autograd.NewParam(tensor.FromSlice(append([]float32(nil), yp...), n, k))
			loss := c.loss.Call(tp, vt, vp)
			if loss.Value.Size() != 1 {
				t.Fatalf("%s (%d,%d): loss has shape %v", c.name, n, k, loss.Value.Shape)
			}
			want := kerasMean(yt, yp, n, k, c.f)
			got := float64(loss.Value.Data[0])
			if math.Abs(got-want) > 1e-5*math.Max(1, math.Abs(want)) {
				t.Errorf("%s (%d,%d): loss %v, reference %v", c.name, n, k, got, want)
			}
			tp.Backward(loss)
			if vp.Grad == nil {
				t.Fatalf("%s: no gradient for y_pred", c.name)
			}
			N := float64(n * k)
			for i := range yp {
				d := float64(yp[i]) - float64(yt[i])
				wg := c.df(d) / N
				if g := float64(vp.Grad.Data[i]); math.Abs(g-wg) > 1e-6*math.Max(1, math.Abs(wg)) {
					t.Errorf("%s (%d,%d): dL/dy_pred[%d] = %v, reference %v", c.name, n, k, i, g, wg)
				}
			}
		}
	}
}

// TestLossKnownValues checks a hand-computed case.
func TestLossKnownValues(t *testing.T) {
	yt := []float32{1, 2, 3, 4}
	yp := []float32{2, 2, 1, 7}
	// differences 1, 0, -2, 3: MSE = (1+0+4+9)/4 = 3.5, MAE = 6/4 = 1.5
	for _, c := range []struct {
		l    Loss
		want float32
	}{{MeanSquaredError{}, 3.5}, {MeanAbsoluteError{}, 1.5}} {
		tp := autograd.NewTape()
		loss := c.l.Call(tp, autograd.NewConst(tensor.FromSlice(yt, 2, 2)),
			autograd.NewParam(tensor.FromSlice(append([]float32(nil), yp...), 2, 2)))
		if loss.Value.Data[0] != c.want {
			t.Errorf("%s = %v, want %v", c.l.Name(), loss.Value.Data[0], c.want)
		}
	}
}

// TestMAEZeroDifference: where y_pred equals y_true the gradient is 0, as
// TensorFlow's sign(0) = 0.
func TestMAEZeroDifference(t *testing.T) {
	tp := autograd.NewTape()
	vt := autograd.NewConst(tensor.FromSlice([]float32{1, 2, 3}, 3, 1))
	vp := autograd.NewParam(tensor.FromSlice([]float32{1, 5, 0}, 3, 1))
	loss := MeanAbsoluteError{}.Call(tp, vt, vp)
	tp.Backward(loss)
	want := []float32{0, 1.0 / 3, -1.0 / 3}
	for i, w := range want {
		if g := vp.Grad.Data[i]; math.Abs(float64(g-w)) > 1e-7 {
			t.Errorf("grad[%d] = %v, want %v", i, g, w)
		}
	}
}

// TestLossGradToTargets: a target passed as a parameter-like Var
// gets the negated gradient; this pins the sign convention of Sub.
func TestLossGradToTargets(t *testing.T) {
	yt, yp := data(4, 2)
	tp := autograd.NewTape()
	vt := autograd.NewParam(tensor.FromSlice(yt, 4, 2))
	vp := autograd.NewParam(tensor.FromSlice(yp, 4, 2))
	tp.Backward(MeanSquaredError{}.Call(tp, vt, vp))
	for i := range yt {
		if a, b := vt.Grad.Data[i], vp.Grad.Data[i]; math.Abs(float64(a+b)) > 1e-7 {
			t.Errorf("dL/dy_true[%d] = %v is not −dL/dy_pred = %v", i, a, -b)
		}
	}
}
