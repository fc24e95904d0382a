package callbacks

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every builtin callback that can fail reports it.
var (
	_ Failer = (*EarlyStopping)(nil)
	_ Failer = (*ReduceLROnPlateau)(nil)
	_ Failer = (*LearningRateScheduler)(nil)
	_ Failer = (*ModelCheckpoint)(nil)
	_ Failer = (*CSVLogger)(nil)
	_ Failer = (*TensorBoard)(nil)
	_ Failer = (*ProgbarLogger)(nil)
)

// failingModel is a fakeModel whose saves fail.
type failingModel struct{ fakeModel }

var errDisk = errors.New("disk full")

func (f *failingModel) Save(string) error        { return errDisk }
func (f *failingModel) SaveWeights(string) error { return errDisk }

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errDisk }

// wantFail checks that cb failed with a message containing want and
// stopped the model.
func wantFail(t *testing.T, name string, cb Callback, m *fakeModel, want string) {
	t.Helper()
	err := cb.(Failer).Err()
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("%s: Err() = %v, want %q", name, err, want)
	}
	if !m.stopped {
		t.Errorf("%s: failed without stopping training", name)
	}
	if got := FirstErr(&Func{}, cb); got != err {
		t.Errorf("%s: FirstErr = %v, want %v", name, got, err)
	}
}

func TestBadModesFail(t *testing.T) {
	for _, c := range []struct {
		cb   Callback
		want string
	}{
		{&EarlyStopping{Mode: "lowest"}, `EarlyStopping: mode must be auto, min or max, got "lowest"`},
		{&ReduceLROnPlateau{Mode: "up"}, `ReduceLROnPlateau: mode must be`},
		{&ReduceLROnPlateau{Factor: 1.5}, `ReduceLROnPlateau: factor must be in (0, 1), got 1.5`},
		{&ReduceLROnPlateau{Factor: -0.5}, `factor must be in (0, 1)`},
		{&ReduceLROnPlateau{MinLR: -1}, `min_lr must be ≥ 0`},
		{&ModelCheckpoint{Filepath: "x", Mode: "best"}, `ModelCheckpoint: mode must be`},
		{&LearningRateScheduler{}, `LearningRateScheduler: no Schedule`},
	} {
		m := newFake()
		c.cb.SetModel(m)
		c.cb.OnTrainBegin(Logs{})
		wantFail(t, c.want, c.cb, m, c.want)
		// A failed callback does nothing more.
		lr := m.lr
		for e := range 12 {
			c.cb.OnEpochEnd(e, Logs{"val_loss": 1, "loss": 1})
		}
		if m.lr != lr || len(m.saved) != 0 {
			t.Errorf("%s: acted after failing (lr %v, saved %v)", c.want, m.lr, m.saved)
		}
	}
}

func TestFailuresAreReported(t *testing.T) {
	// A failed save.
	fm := &failingModel{fakeModel: *newFake()}
	ck := &ModelCheckpoint{Filepath: "w.nrn"}
	ck.SetModel(fm)
	ck.OnTrainBegin(Logs{})
	ck.OnEpochEnd(0, Logs{"val_loss": 1})
	if !errors.Is(ck.Err(), errDisk) || !fm.stopped {
		t.Errorf("checkpoint: %v, stopped %v", ck.Err(), fm.stopped)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	// A CSV file that cannot be written, or read to append.
	m := newFake()
	csv := &CSVLogger{Filename: filepath.Join(file, "log.csv")}
	run(csv, m, "val_loss", []float64{1, 2})
	wantFail(t, "CSVLogger write", csv, m, "CSVLogger: ")
	m = newFake()
	csv = &CSVLogger{Filename: dir, Append: true}
	csv.SetModel(m)
	csv.OnTrainBegin(Logs{})
	wantFail(t, "CSVLogger append", csv, m, "CSVLogger: ")
	// Appending to a file that does not exist yet is fine.
	m = newFake()
	csv = &CSVLogger{Filename: filepath.Join(dir, "new.csv"), Append: true}
	run(csv, m, "val_loss", []float64{1})
	if csv.Err() != nil || m.stopped {
		t.Errorf("append to a new file: %v", csv.Err())
	}

	// An event directory that cannot be created.
	m = newFake()
	tb := &TensorBoard{LogDir: filepath.Join(file, "logs")}
	run(tb, m, "val_loss", []float64{1})
	wantFail(t, "TensorBoard", tb, m, "TensorBoard: ")

	// A schedule gone wrong leaves the rate alone.
	for _, bad := range []float32{float32(math.NaN()), -0.1, float32(math.Inf(1))} {
		m = newFake()
		s := &LearningRateScheduler{Schedule: func(int, float32) float32 { return bad }}
		s.SetModel(m)
		s.OnTrainBegin(Logs{})
		s.OnEpochBegin(0, Logs{})
		wantFail(t, "LearningRateScheduler", s, m, "the schedule returned the rate")
		if m.lr != 0.1 {
			t.Errorf("a bad rate was set: %v", m.lr)
		}
	}

	// Progress that cannot be written.
	m = newFake()
	p := &ProgbarLogger{Verbose: 2, Output: failingWriter{}}
	p.SetParams(Params{Epochs: 1, Samples: 4, BatchSize: 2, Keys: []string{"loss"}})
	run(p, m, "loss", []float64{1})
	wantFail(t, "ProgbarLogger", p, m, "disk full")
}

func TestErrIsResetByOnTrainBegin(t *testing.T) {
	es := &EarlyStopping{Mode: "lowest"}
	es.SetModel(newFake())
	es.OnTrainBegin(Logs{})
	es.Mode = "min"
	es.OnTrainBegin(Logs{})
	if es.Err() != nil {
		t.Errorf("a fixed configuration still fails: %v", es.Err())
	}
}

func TestFirstErr(t *testing.T) {
	ok := &EarlyStopping{}
	bad1 := &EarlyStopping{Mode: "x"}
	bad2 := &ReduceLROnPlateau{Factor: 2}
	for _, cb := range []Callback{ok, bad1, bad2} {
		cb.SetModel(newFake())
		cb.OnTrainBegin(Logs{})
	}
	if err := FirstErr(ok, &TerminateOnNaN{}, bad2, bad1); err != bad2.Err() {
		t.Errorf("FirstErr = %v, want %v", err, bad2.Err())
	}
	if err := FirstErr(ok, &Func{}); err != nil {
		t.Errorf("FirstErr of healthy callbacks = %v", err)
	}
	if FirstErr() != nil {
		t.Error("FirstErr() != nil")
	}
}
