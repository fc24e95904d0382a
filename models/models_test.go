package models_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

func regressionModel(t testing.TB, seed uint64) *models.Sequential {
	t.Helper()
	layers.ResetNames() // Keras's names count per process; start from dense_1
	m := models.NewSequential(
		&layers.Dense{Units: 32, Activation: activations.ReLU, InputDim: 13},
		&layers.BatchNormalization{},
		&layers.Dense{Units: 16, Activation: activations.ReLU},
		&layers.BatchNormalization{},
		&layers.Dropout{Rate: 0.2},
		&layers.Dense{Units: 1, Activation: activations.Linear},
	)
	m.Seed = seed
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}); err != nil {
		t.Fatal(err)
	}
	return m
}

func boston(t testing.TB) (train, valid datasets.Split) {
	t.Helper()
	train, valid, err := datasets.BostonHousing()
	if err != nil {
		t.Fatal(err)
	}
	return train, valid
}

const regressionSummary = `_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
dense_1 (Dense)              (None, 32)                448
_________________________________________________________________
batch_normalization_1 (Batch (None, 32)                128
_________________________________________________________________
dense_2 (Dense)              (None, 16)                528
_________________________________________________________________
batch_normalization_2 (Batch (None, 16)                64
_________________________________________________________________
dropout_1 (Dropout)          (None, 16)                0
_________________________________________________________________
dense_3 (Dense)              (None, 1)                 17
=================================================================
Total params: 1,185
Trainable params: 1,089
Non-trainable params: 96
`

func TestSummaryRegression(t *testing.T) {
	m := regressionModel(t, 1)
	var b bytes.Buffer
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	want := `Model: "` + m.Name + "\"\n" + regressionSummary
	if b.String() != want {
		t.Errorf("summary:\n%s\nwant:\n%s", b.String(), want)
	}
	total, trainable := m.CountParams()
	if total != 1185 || trainable != 1089 {
		t.Errorf("CountParams = %d, %d; want 1185, 1089", total, trainable)
	}
}

func TestModelNamesCountUp(t *testing.T) {
	a, b := models.NewSequential(), models.NewSequential()
	re := regexp.MustCompile(`^sequential_(\d+)$`)
	ma, mb := re.FindStringSubmatch(a.Name), re.FindStringSubmatch(b.Name)
	if ma == nil || mb == nil {
		t.Fatalf("names %q, %q are not sequential_N", a.Name, b.Name)
	}
	if ma[1] == mb[1] {
		t.Errorf("two models share the name %q", a.Name)
	}
}

func TestLayerNamesPerType(t *testing.T) {
	layers.ResetNames()
	m := models.NewSequential(&layers.Input{Shape: []int{4}}, &layers.Dense{Units: 3}, &layers.Dense{Units: 2, Base: layers.Base{Name: "out"}},
		&layers.Activation{Activation: activations.Softmax}, &layers.Dense{Units: 2})
	var names []string
	for _, l := range m.Layers() {
		names = append(names, l.LayerName())
	}
	if got := strings.Join(names, " "); got != "dense_1 out activation_1 dense_2" {
		t.Errorf("layer names %q", got)
	}
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	if got := m.OutputShape(); len(got) != 1 || got[0] != 2 {
		t.Errorf("output shape %v", got)
	}
}

func fit(t testing.TB, m *models.Sequential, seed uint64, epochs int) *models.History {
	t.Helper()
	train, valid := boston(t)
	h, err := m.Fit(context.Background(), train.X, train.Y, models.FitConfig{
		BatchSize: 8, Epochs: epochs, Seed: seed, ValidationX: valid.X, ValidationY: valid.Y,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestFitReproducible(t *testing.T) {
	h1 := fit(t, regressionModel(t, 3), 3, 4)
	h2 := fit(t, regressionModel(t, 3), 3, 4)
	h3 := fit(t, regressionModel(t, 4), 4, 4)
	for _, k := range []string{"loss", "val_loss"} {
		a, b, c := h1.Values[k], h2.Values[k], h3.Values[k]
		if len(a) != 4 || len(b) != 4 {
			t.Fatalf("%s: %d and %d epochs, want 4", k, len(a), len(b))
		}
		same := true
		for i := range a {
			if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
				t.Errorf("%s epoch %d: %v then %v with the same seed", k, i, a[i], b[i])
			}
			same = same && a[i] == c[i]
		}
		if same {
			t.Errorf("%s: seeds 3 and 4 gave identical histories", k)
		}
	}
}

func TestFitLearnsBoston(t *testing.T) {
	h := fit(t, regressionModel(t, 42), 42, 32)
	loss := h.Values["loss"]
	if len(loss) != 32 || len(h.Epoch) != 32 || h.Epoch[31] != 31 {
		t.Fatalf("history has %d epochs", len(loss))
	}
	if !(loss[31] < loss[0]/4) {
		t.Errorf("training loss went from %.1f to %.1f; expected it to fall below a quarter", loss[0], loss[31])
	}
	best := math.Inf(1)
	for _, v := range h.Values["val_loss"] {
		best = min(best, v)
	}
	if !(best < 100) {
		t.Errorf("best val_loss %.1f; a working model reaches well under 100", best)
	}
	if got := strings.Join(h.Keys, ","); got != "loss,val_loss" {
		t.Errorf("history keys %q", got)
	}
}

func TestFitOutput(t *testing.T) {
	train, valid := boston(t)
	for _, tc := range []struct {
		verbose int
		re      string
	}{
		{0, `^$`},
		{1, `^Train on 404 samples, validate on 102 samples\n` +
			`Epoch 1/2\n404/404 \[={30}\] - \d+s \d+(us|ms)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}\n` +
			`Epoch 2/2\n404/404 \[={30}\] - \d+s \d+(us|ms)/step - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}\n$`},
		{2, `^Train on 404 samples, validate on 102 samples\n` +
			`Epoch 1/2\n - \d+s - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}\n` +
			`Epoch 2/2\n - \d+s - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: \d+\.\d{4} - val_mae: \d+\.\d{4}\n$`},
	} {
		m := regressionModel(t, 1)
		if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}, metrics.MAE()); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, err := m.Fit(context.Background(), train.X, train.Y, models.FitConfig{
			BatchSize: 8, Epochs: 2, Verbose: tc.verbose, Output: &b, ValidationX: valid.X, ValidationY: valid.Y,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(tc.re).MatchString(b.String()) {
			t.Errorf("verbose %d output:\n%q\ndoes not match\n%s", tc.verbose, b.String(), tc.re)
		}
	}
}

func TestFitValidationSplitAndEvaluate(t *testing.T) {
	train, _ := boston(t)
	m := regressionModel(t, 2)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{}, metrics.MSE()); err != nil {
		t.Fatal(err)
	}
	h, err := m.Fit(context.Background(), train.X, train.Y, models.FitConfig{BatchSize: 8, Epochs: 1, ValidationSplit: 0.25, NoShuffle: true})
	if err != nil {
		t.Fatal(err)
	}
	// The split holds out the last 101 of 404 rows, before shuffling.
	at := int(404 * 0.75)
	tail := tensor.FromSlice(train.X.Data[at*13:], 404-at, 13)
	tailY := tensor.FromSlice(train.Y.Data[at:], 404-at)
	res, err := m.Evaluate(tail, tailY, 8)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 {
		t.Fatalf("Evaluate returned %v, want loss and mse", res)
	}
	if got := h.Values["val_loss"][0]; math.Abs(got-res[0]) > 1e-6*math.Abs(got) {
		t.Errorf("val_loss %v but evaluating the held-out rows gives %v", got, res[0])
	}
	// For MSE the loss and the mse metric agree.
	if math.Abs(res[0]-res[1]) > 1e-4*res[0] {
		t.Errorf("loss %v and mse metric %v differ", res[0], res[1])
	}
}

func TestDropoutAndBatchNormAtInference(t *testing.T) {
	train, _ := boston(t)
	m := regressionModel(t, 5)
	fit(t, m, 5, 2)
	p1, err := m.Predict(train.X)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := m.Predict(train.X)
	if err != nil {
		t.Fatal(err)
	}
	for i := range p1.Data {
		if p1.Data[i] != p2.Data[i] {
			t.Fatalf("Predict is not deterministic at row %d: %v vs %v", i, p1.Data[i], p2.Data[i])
		}
	}
	// An independent float64 forward pass with the moving statistics and
	// no dropout gives the same predictions.
	ws := m.Weights()
	get := func(name string) []float32 {
		for _, w := range ws {
			if w.Name == name {
				return w.Var.Value.Data
			}
		}
		t.Fatalf("no weight %s", name)
		return nil
	}
	dense := func(x []float64, in, out int, k, b []float32, relu bool) []float64 {
		y := make([]float64, out)
		for j := range out {
			s := float64(b[j])
			for i := range in {
				s += x[i] * float64(k[i*out+j])
			}
			if relu && s < 0 {
				s = 0
			}
			y[j] = s
		}
		return y
	}
	bn := func(x []float64, name string) []float64 {
		g, be := get(name+"/gamma"), get(name+"/beta")
		mm, mv := get(name+"/moving_mean"), get(name+"/moving_variance")
		y := make([]float64, len(x))
		for j := range x {
			y[j] = float64(g[j])*(x[j]-float64(mm[j]))/math.Sqrt(float64(mv[j])+1e-3) + float64(be[j])
		}
		return y
	}
	for r := 0; r < 20; r++ {
		x := make([]float64, 13)
		for i := range x {
			x[i] = float64(train.X.Data[r*13+i])
		}
		h := bn(dense(x, 13, 32, get("dense_1/kernel"), get("dense_1/bias"), true), "batch_normalization_1")
		h = bn(dense(h, 32, 16, get("dense_2/kernel"), get("dense_2/bias"), true), "batch_normalization_2")
		y := dense(h, 16, 1, get("dense_3/kernel"), get("dense_3/bias"), false)[0]
		if math.Abs(y-float64(p1.Data[r])) > 1e-4*(1+math.Abs(y)) {
			t.Errorf("row %d: Predict %v, float64 reference %v", r, p1.Data[r], y)
		}
	}
}

func TestFitCancelReturnsHistory(t *testing.T) {
	train, _ := boston(t)
	m := regressionModel(t, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cb := &callbacks.Func{EpochEnd: func(epoch int, _ callbacks.Logs) {
		if epoch == 1 {
			cancel()
		}
	}}
	h, err := m.Fit(ctx, train.X, train.Y, models.FitConfig{BatchSize: 8, Epochs: 10, Callbacks: []callbacks.Callback{cb}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if h == nil || len(h.Values["loss"]) != 2 {
		t.Fatalf("history after cancel at the end of epoch 2: %+v", h)
	}
}

func TestFitStopsOnNaN(t *testing.T) {
	x := tensor.Full(1, 16, 2)
	y := tensor.Full(3e38, 16, 1)
	m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 2})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	_, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 4, Epochs: 3})
	if err == nil || !strings.Contains(err.Error(), "epoch 1, batch 1") {
		t.Fatalf("err = %v, want a NaN/Inf loss error naming epoch 1, batch 1", err)
	}
}

func TestBadInputErrors(t *testing.T) {
	train, _ := boston(t)
	ctx := context.Background()
	cfg := models.FitConfig{BatchSize: 8, Epochs: 1}
	nan := train.X.Clone()
	nan.Data[5*13+7] = float32(math.NaN())
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"rows differ", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, train.X, tensor.New(400), cfg)
			return err
		}, "x has 404 rows but y has 400"},
		{"batch size 0", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, train.X, train.Y, models.FitConfig{Epochs: 1})
			return err
		}, "batch size must be positive, got 0"},
		{"NaN in x", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, nan, train.Y, cfg)
			return err
		}, "x has a NaN or infinite value at row 5, column 7"},
		{"x does not fit the input", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, tensor.New(404, 12), train.Y, cfg)
			return err
		}, "x has shape (404, 12) but the model expects (None, 13)"},
		{"layers do not fit", func() error {
			m := models.NewSequential(&layers.Dense{Units: 8, InputDim: 13}, &layers.Dense{Units: 1, InputDim: 5})
			return m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{})
		}, `layer "dense_2" (Dense) declares input shape (None, 5) but receives (None, 8) from layer "dense_1"`},
		{"fit before compile", func() error {
			m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 13})
			_, err := m.Fit(ctx, train.X, train.Y, cfg)
			return err
		}, "not compiled"},
		{"predict without input shape", func() error {
			_, err := models.NewSequential(&layers.Dense{Units: 1}).Predict(train.X)
			return err
		}, "input shape is unknown"},
		{"units 0", func() error {
			return models.NewSequential(&layers.Dense{Units: 0, InputDim: 3}).Build()
		}, `layer "dense_1" (Dense): units must be positive, got 0`},
		{"unknown activation", func() error {
			return models.NewSequential(&layers.Dense{Units: 2, InputDim: 3, Activation: "relux"}).Build()
		}, `unknown activation "relux" (valid: linear, relu, sigmoid, tanh, softmax)`},
		{"y does not fit the output", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, train.X, tensor.New(404, 2), cfg)
			return err
		}, "y has shape (404, 2) but the model's output is (None, 1)"},
		{"split and validation data", func() error {
			_, err := regressionModel(t, 1).Fit(ctx, train.X, train.Y, models.FitConfig{BatchSize: 8, ValidationSplit: 0.2, ValidationX: train.X, ValidationY: train.Y})
			return err
		}, "not both"},
	}
	for _, c := range cases {
		layers.ResetNames()
		err := c.run()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestPredictWithoutCompile(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, -1, 0, 1}, 2, 3)
	want := []float32{4, 4, 1, 1}
	for _, predict := range []struct {
		name string
		f    func(m *models.Sequential) (*tensor.Tensor, error)
	}{
		{"Predict", func(m *models.Sequential) (*tensor.Tensor, error) { return m.Predict(x) }},
		{"PredictOnBatch", func(m *models.Sequential) (*tensor.Tensor, error) { return m.PredictOnBatch(x) }},
	} {
		m := models.NewSequential(&layers.Dense{Units: 2, InputDim: 3, KernelInitializer: constInit(0.5), BiasInitializer: constInit(1)})
		p, err := predict.f(m)
		if err != nil {
			t.Fatalf("%s: %v", predict.name, err)
		}
		for i, v := range want {
			if p.Data[i] != v {
				t.Fatalf("%s = %v, want %v", predict.name, p.Data, want)
			}
		}
	}
}

type constInit float32

func (c constInit) Init(t *tensor.Tensor, _ *tensor.RNG) { t.Fill(float32(c)) }
