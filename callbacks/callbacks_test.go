package callbacks

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/neurona/neurona/tensor"
)

// fakeModel is a one-weight model whose weight the test sets per epoch.
type fakeModel struct {
	w       *tensor.Tensor
	lr      float32
	stopped bool
	saved   []string
}

func newFake() *fakeModel { return &fakeModel{w: tensor.New(3), lr: 0.1} }

func (f *fakeModel) StopTraining()              { f.stopped = true }
func (f *fakeModel) LearningRate() float32      { return f.lr }
func (f *fakeModel) SetLearningRate(lr float32) { f.lr = lr }
func (f *fakeModel) WeightTensors() []Weight {
	return []Weight{{Layer: "dense_1", Name: "dense_1/kernel", Value: f.w, Trainable: true}}
}
func (f *fakeModel) Save(p string) error        { f.saved = append(f.saved, "model:"+p); return nil }
func (f *fakeModel) SaveWeights(p string) error { f.saved = append(f.saved, "weights:"+p); return nil }

// run drives a callback through epochs with the given monitored values,
// setting the model's weight to the epoch number before each epoch ends,
// and stops as Fit does when the callback asks.
func run(cb Callback, m *fakeModel, key string, values []float64) (epochs int) {
	cb.SetModel(m)
	cb.OnTrainBegin(Logs{})
	for e, v := range values {
		cb.OnEpochBegin(e, Logs{})
		m.w.Fill(float32(e))
		cb.OnEpochEnd(e, Logs{key: v, "loss": v})
		epochs++
		if m.stopped {
			break
		}
	}
	cb.OnTrainEnd(Logs{})
	return epochs
}

func TestEarlyStoppingRestoresBestWeights(t *testing.T) {
	m := newFake()
	es := &EarlyStopping{Patience: 2, RestoreBestWeights: true}
	n := run(es, m, "val_loss", []float64{5, 4, 3, 3.5, 3.6, 3.7, 1})
	if n != 5 || es.StoppedEpoch != 4 || es.BestEpoch != 2 || es.Best != 3 {
		t.Errorf("ran %d epochs, stopped at %d, best %v at %d; want 5, 4, 3 at 2", n, es.StoppedEpoch, es.Best, es.BestEpoch)
	}
	if m.w.Data[0] != 2 {
		t.Errorf("weights after stop = %v, want the best epoch's (2)", m.w.Data[0])
	}

	// Without restoring, the last weights stay.
	m = newFake()
	run(&EarlyStopping{Patience: 2}, m, "val_loss", []float64{5, 4, 3, 3.5, 3.6})
	if m.w.Data[0] != 4 {
		t.Errorf("weights = %v, want the last epoch's", m.w.Data[0])
	}

	// Accuracy is maximized in auto mode; MinDelta ignores small gains.
	m = newFake()
	es = &EarlyStopping{Monitor: "val_accuracy", Patience: 1, MinDelta: 0.01}
	n = run(es, m, "val_accuracy", []float64{0.90, 0.905, 0.95, 0.951})
	if n != 2 || es.Best != 0.90 {
		t.Errorf("accuracy: ran %d epochs with best %v; want 2 and 0.90", n, es.Best)
	}
}

func TestModelCheckpointSavesOnlyImprovements(t *testing.T) {
	m := newFake()
	c := &ModelCheckpoint{Filepath: "ckpt.{epoch:02d}-{val_loss:.2f}.nrn", SaveBestOnly: true}
	run(c, m, "val_loss", []float64{5, 4, 4.5, 3, 3.2})
	want := []string{"model:ckpt.01-5.00.nrn", "model:ckpt.02-4.00.nrn", "model:ckpt.04-3.00.nrn"}
	if strings.Join(m.saved, " ") != strings.Join(want, " ") || c.Err() != nil {
		t.Errorf("saved %v (err %v), want %v", m.saved, c.Err(), want)
	}
	m = newFake()
	run(&ModelCheckpoint{Filepath: "w.nrn", SaveWeightsOnly: true}, m, "val_loss", []float64{5, 6})
	if strings.Join(m.saved, " ") != "weights:w.nrn weights:w.nrn" {
		t.Errorf("saved %v", m.saved)
	}
	c = &ModelCheckpoint{Filepath: "w.{val_acc}.nrn"}
	run(c, newFake(), "val_loss", []float64{1})
	if c.Err() == nil || !strings.Contains(c.Err().Error(), "no value for {val_acc}") {
		t.Errorf("missing key: %v", c.Err())
	}
}

func TestTerminateOnNaN(t *testing.T) {
	m := newFake()
	var log strings.Builder
	c := &TerminateOnNaN{Log: &log}
	c.SetModel(m)
	c.OnBatchEnd(0, Logs{"loss": 1})
	if m.stopped {
		t.Fatal("stopped on a finite loss")
	}
	c.OnBatchEnd(7, Logs{"loss": math.NaN()})
	if !m.stopped || !c.Terminated || log.String() != "Batch 7: Invalid loss, terminating training\n" {
		t.Errorf("stopped %v, log %q", m.stopped, log.String())
	}
}

func TestReduceLROnPlateau(t *testing.T) {
	m := newFake()
	r := &ReduceLROnPlateau{Factor: 0.5, Patience: 2, MinLR: 0.03}
	run(r, m, "val_loss", []float64{1, 1, 1, 1, 1, 1, 1})
	// Reductions after epochs 3 and 5 (0.1 → 0.05 → 0.03 floor), then at the floor.
	if math.Abs(float64(m.lr)-0.03) > 1e-7 {
		t.Errorf("lr = %v, want 0.03", m.lr)
	}
	m = newFake()
	run(&ReduceLROnPlateau{Factor: 0.5, Patience: 2}, m, "val_loss", []float64{5, 4, 3, 2})
	if m.lr != 0.1 {
		t.Errorf("lr changed to %v while improving", m.lr)
	}
}

func TestLearningRateScheduler(t *testing.T) {
	m := newFake()
	s := &LearningRateScheduler{Schedule: func(epoch int, lr float32) float32 { return 1 / float32(epoch+1) }}
	s.SetModel(m)
	logs := Logs{}
	s.OnEpochBegin(3, logs)
	s.OnEpochEnd(3, logs)
	if m.lr != 0.25 || logs["lr"] != 0.25 {
		t.Errorf("lr %v, logged %v", m.lr, logs["lr"])
	}
}

func TestCSVLogger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.csv")
	c := &CSVLogger{Filename: path}
	c.SetModel(newFake())
	c.OnTrainBegin(Logs{})
	c.OnEpochEnd(0, Logs{"val_loss": 2.5, "loss": 3, "mae": 1.25})
	c.OnEpochEnd(1, Logs{"val_loss": 2, "loss": 2.5, "mae": 1})
	b, err := os.ReadFile(path)
	if err != nil || c.Err() != nil {
		t.Fatal(err, c.Err())
	}
	want := "epoch,loss,mae,val_loss\n0,3,1.25,2.5\n1,2.5,1,2\n"
	if string(b) != want {
		t.Errorf("csv:\n%s\nwant:\n%s", b, want)
	}
	// Appending continues the file with the same columns.
	c = &CSVLogger{Filename: path, Append: true}
	c.OnTrainBegin(Logs{})
	c.OnEpochEnd(2, Logs{"loss": 2, "val_loss": 1.5, "mae": 0.5})
	if b, _ = os.ReadFile(path); string(b) != want+"2,2,0.5,1.5\n" {
		t.Errorf("appended csv:\n%s", b)
	}
}

func TestTensorBoardWritesRuns(t *testing.T) {
	dir := t.TempDir()
	tb := &TensorBoard{LogDir: dir, HistogramFreq: 1}
	run(tb, newFake(), "val_loss", []float64{3, 2})
	if tb.Err() != nil {
		t.Fatal(tb.Err())
	}
	for _, run := range []string{"train", "validation"} {
		files, _ := filepath.Glob(filepath.Join(dir, run, "events.out.tfevents.*"))
		if len(files) != 1 {
			t.Fatalf("%s: %d event files", run, len(files))
		}
		if st, err := os.Stat(files[0]); err != nil || st.Size() < 100 {
			t.Errorf("%s: event file too small: %v %v", run, st, err)
		}
	}
}

func TestFormatPath(t *testing.T) {
	got, err := FormatPath("m.{epoch:03d}.{loss:.3f}.{acc}", 7, Logs{"loss": 0.12345, "acc": 0.5})
	if err != nil || got != "m.007.0.123.0.5" {
		t.Errorf("FormatPath = %q, %v", got, err)
	}
}
