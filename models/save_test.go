package models_test

import (
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/neurona/neurona/activations"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/losses"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/optimizers"
	"github.com/neurona/neurona/tensor"
)

func sameTensor(t *testing.T, what string, a, b *tensor.Tensor) {
	t.Helper()
	if !tensor.SameShape(a, b) {
		t.Fatalf("%s: shapes %v and %v", what, a.Shape, b.Shape)
	}
	for i := range a.Data {
		if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
			t.Fatalf("%s: element %d: %v vs %v", what, i, a.Data[i], b.Data[i])
		}
	}
}

// TestSaveLoadPredict covers every layer type with weights or behaviour
// that differs between training and inference.
func TestSaveLoadPredict(t *testing.T) {
	train, valid := boston(t)
	m := models.NewSequential(
		&layers.Input{Shape: []int{13}},
		&layers.Dense{Units: 16, Activation: activations.ReLU},
		&layers.BatchNormalization{Momentum: 0.9},
		&layers.Dropout{Rate: 0.1},
		&layers.Dense{Units: 8, NoBias: true},
		&layers.Activation{Activation: activations.Tanh},
		&layers.Dense{Units: 1, Base: layers.Base{Name: "price"}},
	)
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.Adam{LR: 0.01}, metrics.MAE()); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Fit(context.Background(), train.X, train.Y, models.FitConfig{BatchSize: 16, Epochs: 2, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	m.Metadata = map[string]string{"note": "saved by a test"}
	path := filepath.Join(t.TempDir(), "model.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := m.Predict(valid.X)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Predict(valid.X)
	if err != nil {
		t.Fatal(err)
	}
	sameTensor(t, "predictions after Load", got, want)
	if back.Metadata["note"] != "saved by a test" {
		t.Errorf("metadata not restored: %v", back.Metadata)
	}
	if back.Name != m.Name || len(back.Layers()) != 6 || back.Layers()[5].LayerName() != "price" {
		t.Errorf("architecture not restored: %s %d layers", back.Name, len(back.Layers()))
	}
	ev1, _ := m.Evaluate(valid.X, valid.Y, 8)
	ev2, err := back.Evaluate(valid.X, valid.Y, 8)
	if err != nil || ev1[0] != ev2[0] || ev1[1] != ev2[1] {
		t.Errorf("Evaluate after Load = %v, %v; want %v", ev2, err, ev1)
	}

	// Weights alone round-trip into a model built by code.
	wpath := filepath.Join(t.TempDir(), "weights.safetensors")
	if err := m.SaveWeights(wpath); err != nil {
		t.Fatal(err)
	}
	fresh := regressionModel(t, 1)
	if err := fresh.LoadWeights(wpath); err == nil || !strings.Contains(err.Error(), "weight") {
		t.Errorf("loading another architecture's weights: %v", err)
	}
}

// TestResumeIsBitIdentical saves a checkpoint mid-training, loads it and
// resumes; the History must continue exactly as an uninterrupted run.
func TestResumeIsBitIdentical(t *testing.T) {
	train, valid := boston(t)
	cfg := models.FitConfig{BatchSize: 8, Epochs: 6, Seed: 11, ValidationX: valid.X, ValidationY: valid.Y}
	full, err := regressionModel(t, 11).Fit(context.Background(), train.X, train.Y, cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := regressionModel(t, 11)
	first := cfg
	first.Epochs = 3
	if _, err := m.Fit(context.Background(), train.X, train.Y, first); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ckpt.nrn")
	if err := m.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := regressionModel(t, 11).ResumeEpoch(); ok {
		t.Errorf("a model never fitted resumes at epoch %d", e)
	}
	if e, ok := back.ResumeEpoch(); !ok || e != 3 {
		t.Errorf("the checkpoint resumes at epoch %d (%v), want 3", e, ok)
	}
	rest := cfg
	rest.InitialEpoch = 3
	h, err := back.Fit(context.Background(), train.X, train.Y, rest)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Epoch) != 3 || h.Epoch[0] != 3 {
		t.Fatalf("resumed epochs %v", h.Epoch)
	}
	for _, k := range []string{"loss", "val_loss"} {
		for i, v := range h.Values[k] {
			if w := full.Values[k][3+i]; math.Float64bits(v) != math.Float64bits(w) {
				t.Errorf("%s epoch %d: resumed %v, uninterrupted %v", k, 4+i, v, w)
			}
		}
	}
}

func TestLoadBadFiles(t *testing.T) {
	dir := t.TempDir()
	m := regressionModel(t, 1)
	good := filepath.Join(dir, "good.nrn")
	if err := m.Save(good); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{
		"empty":       nil,
		"truncated":   data[:len(data)/2],
		"header only": data[:20],
		"garbage":     []byte("this is not a model file at all, not even close"),
	}
	huge := append([]byte(nil), data...)
	huge[7] = 0x7f // a header length far beyond the file
	cases["oversized header"] = huge
	for name, b := range cases {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := models.Load(p); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
	if _, err := models.Load(filepath.Join(dir, "missing.nrn")); err == nil || !strings.Contains(err.Error(), "missing.nrn") {
		t.Errorf("missing file: %v", err)
	}
}

// TestKilledDuringSaveKeepsCheckpoint kills a process that keeps saving a
// model over the same path, then checks the file still loads.
func TestKilledDuringSaveKeepsCheckpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "ckpt.nrn")
	if err := bigModel(t).Save(path); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, after := range []time.Duration{30 * time.Millisecond, 70 * time.Millisecond, 150 * time.Millisecond} {
		cmd := exec.Command(exe, "-test.run", "^$")
		cmd.Env = append(os.Environ(), "NEURONA_SAVE_CHILD="+path)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(after)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		back, err := models.Load(path)
		if err != nil {
			t.Fatalf("after a kill at %v the checkpoint does not load: %v", after, err)
		}
		if total, _ := back.CountParams(); total != 784*256+256 {
			t.Fatalf("checkpoint has %d params", total)
		}
		if matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(matches) > 2 {
			// The killed writer may leave one temp file; it never replaces
			// the checkpoint with a partial one.
			t.Logf("files after kill: %v", matches)
		}
	}
}

func bigModel(t testing.TB) *models.Sequential {
	m := models.NewSequential(&layers.Dense{Units: 256, InputDim: 784})
	if err := m.Build(); err != nil {
		t.Fatal(err)
	}
	return m
}

// saveForever is the child of TestKilledDuringSaveKeepsCheckpoint.
func saveForever(path string) {
	m := bigModel(nil)
	for {
		if err := m.Save(path); err != nil {
			panic(err)
		}
	}
}

func TestCallbacksWithFit(t *testing.T) {
	train, valid := boston(t)
	// TerminateOnNaN ends training without an error.
	x := tensor.Full(1, 16, 2)
	y := tensor.Full(3e38, 16, 1)
	m := models.NewSequential(&layers.Dense{Units: 1, InputDim: 2})
	if err := m.Compile(losses.MeanSquaredError{}, &optimizers.SGD{}); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	ton := &callbacks.TerminateOnNaN{Log: &log}
	h, err := m.Fit(context.Background(), x, y, models.FitConfig{BatchSize: 4, Epochs: 5, Callbacks: []callbacks.Callback{ton}})
	if err != nil || !ton.Terminated || len(h.Epoch) != 1 || log.String() != "Batch 0: Invalid loss, terminating training\n" {
		t.Errorf("TerminateOnNaN: err %v, terminated %v, %d epochs, log %q", err, ton.Terminated, len(h.Epoch), log.String())
	}

	// EarlyStopping with RestoreBestWeights leaves the best epoch's
	// weights: evaluating gives the best val_loss.
	m = regressionModel(t, 4)
	es := &callbacks.EarlyStopping{Patience: 3, RestoreBestWeights: true}
	dir := t.TempDir()
	ck := &callbacks.ModelCheckpoint{Filepath: filepath.Join(dir, "best.nrn"), SaveBestOnly: true}
	h, err = m.Fit(context.Background(), train.X, train.Y, models.FitConfig{
		BatchSize: 8, Epochs: 40, Seed: 4, ValidationX: valid.X, ValidationY: valid.Y,
		Callbacks: []callbacks.Callback{es, ck},
	})
	if err != nil || ck.Err() != nil {
		t.Fatal(err, ck.Err())
	}
	vl := h.Values["val_loss"]
	best := vl[es.BestEpoch]
	for _, v := range vl {
		if v < best {
			t.Fatalf("EarlyStopping's best %v is not the minimum of %v", best, vl)
		}
	}
	res, err := m.Evaluate(valid.X, valid.Y, 8)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(res[0]-best) > 1e-9*best {
		t.Errorf("after restoring, val_loss is %v; the best epoch had %v", res[0], best)
	}
	// The checkpoint holds the same best model.
	back, err := models.Load(filepath.Join(dir, "best.nrn"))
	if err != nil {
		t.Fatal(err)
	}
	res2, err := back.Evaluate(valid.X, valid.Y, 8)
	if err != nil || res2[0] != res[0] {
		t.Errorf("best checkpoint evaluates to %v (%v), want %v", res2, err, res[0])
	}
}

// TestSaveLoadPredictConv covers the convolutional and reshaping layers.
func TestSaveLoadPredictConv(t *testing.T) {
	rng := tensor.NewRNG(2)
	x := tensor.New(6, 8, 8, 2)
	rng.Normal(x, 0, 1)
	for _, ls := range [][]layers.Layer{
		{&layers.Conv2D{Filters: 3, KernelSize: [2]int{3, 3}, Activation: activations.ReLU, Base: layers.Base{InputShape: []int{8, 8, 2}}},
			&layers.MaxPooling2D{}, &layers.Conv2DTranspose{Filters: 2, KernelSize: [2]int{2, 2}, Strides: [2]int{2, 2}},
			&layers.UpSampling2D{}, &layers.AveragePooling2D{}, &layers.Flatten{}, &layers.Dense{Units: 4}},
		{&layers.Conv2D{Filters: 4, KernelSize: [2]int{3, 2}, Padding: layers.Same, Base: layers.Base{InputShape: []int{8, 8, 2}}},
			&layers.GlobalAveragePooling2D{}, &layers.Reshape{TargetShape: []int{2, 2}}, &layers.Flatten{}, &layers.Dense{Units: 2}},
		{&layers.Conv2D{Filters: 4, KernelSize: [2]int{2, 2}, Base: layers.Base{InputShape: []int{8, 8, 2}}}, &layers.GlobalMaxPooling2D{}},
	} {
		m := models.NewSequential(ls...)
		m.Seed = 3
		if err := m.Build(); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "conv.nrn")
		if err := m.Save(path); err != nil {
			t.Fatal(err)
		}
		back, err := models.Load(path)
		if err != nil {
			t.Fatal(err)
		}
		want, err := m.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := back.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		sameTensor(t, "conv predictions after Load", got, want)
	}
}
