package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/neurona/neurona/models"
)

// smallDeep is the book's deep example on the first 1,024 MNIST training
// images (8 batches of 128 per epoch), validated on 256 test images.
const smallDeep = `model:
  input_shape: [784]
  layers:
    - Dense: {units: 64, activation: relu}
    - BatchNormalization
    - Dense: {units: 64, activation: relu}
    - BatchNormalization
    - Dense: {units: 64, activation: relu}
    - BatchNormalization
    - Dropout: {rate: 0.2}
    - Dense: {units: 10, activation: softmax}
compile:
  loss: categorical_crossentropy
  optimizer: adam
  metrics: [accuracy]
data:
  builtin: mnist
  train_rows: 1024
  validation_rows: 256
  preprocessing: {flatten: true, scale: 0.00392156862745098, one_hot: 10}
fit:
  epochs: 3
  batch_size: 128
  seed: 42
`

const smallDeepBatches = 8 // per epoch

func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// weightsOf returns a saved model's weights by name.
func weightsOf(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	m, err := models.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ws := map[string][]float32{}
	for _, w := range m.WeightTensors() {
		ws[w.Name] = w.Value.Data
	}
	return ws
}

func sameBits(a, b map[string][]float32) error {
	if len(a) != len(b) {
		return fmt.Errorf("%d weights, want %d", len(b), len(a))
	}
	for name, wa := range a {
		wb, ok := b[name]
		if !ok || len(wa) != len(wb) {
			return fmt.Errorf("weight %s is missing or has another size", name)
		}
		for i := range wa {
			if math.Float32bits(wa[i]) != math.Float32bits(wb[i]) {
				return fmt.Errorf("weight %s[%d] = %v, want %v", name, i, wb[i], wa[i])
			}
		}
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

// TestResumeMatchesUninterrupted interrupts a run at several batches, with
// SIGINT, SIGTERM and SIGHUP, then resumes it from its checkpoint: the
// history CSV, the final line and the saved model are those of the run
// that was never interrupted, bit for bit.
func TestResumeMatchesUninterrupted(t *testing.T) {
	if testing.Short() {
		t.Skip("trains several short runs")
	}
	dir := t.TempDir()
	sp := writeFile(t, filepath.Join(dir, "small.yaml"), smallDeep)
	wantHist, wantModel := filepath.Join(dir, "want.csv"), filepath.Join(dir, "want.nrn")
	out, stderr, code := neurona(t, nil, "train", sp, "--verbose", "0", "--history", wantHist, "--save", wantModel)
	if code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, stderr)
	}
	wantFinal := lastLine(out)
	wantWeights := weightsOf(t, wantModel)
	random := 1 + rand.IntN(3*smallDeepBatches-1)
	t.Logf("random interrupt after batch %d", random)
	for _, at := range []string{
		"batch:3:INT", // before the first checkpoint
		fmt.Sprintf("batch:%d:TERM", smallDeepBatches), // at the end of epoch 1
		fmt.Sprintf("batch:%d:HUP", smallDeepBatches+5),
		fmt.Sprintf("batch:%d:INT", 2*smallDeepBatches+1), // the first batch of epoch 3
		fmt.Sprintf("batch:%d:INT", random),
	} {
		t.Run(at, func(t *testing.T) {
			d := t.TempDir()
			ck, hist, model := filepath.Join(d, "ck.nrn"), filepath.Join(d, "h.csv"), filepath.Join(d, "m.nrn")
			_, stderr, code := neurona(t, []string{"NEURONA_TEST_INTERRUPT=" + at}, "train", sp, "--verbose", "0",
				"--checkpoint", ck, "--history", hist, "--save", model)
			if code != exitInterrupted {
				t.Fatalf("interrupted run: exit %d, want %d: %s", code, exitInterrupted, stderr)
			}
			if _, err := os.Stat(model); err == nil {
				t.Errorf("an interrupted run wrote the --save model")
			}
			args := []string{"train", sp, "--verbose", "0", "--checkpoint", ck, "--history", hist, "--save", model}
			k, _ := strconv.Atoi(strings.Split(at, ":")[1])
			if _, err := os.Stat(ck); err == nil {
				args = append(args, "--resume", ck)
			} else if k > smallDeepBatches {
				t.Fatalf("interrupted after epoch 1: no checkpoint %s", ck)
			} else {
				t.Logf("no end-of-epoch checkpoint yet: running again from the start")
			}
			out, stderr, code := neurona(t, nil, args...)
			if code != 0 {
				t.Fatalf("resumed run: exit %d: %s", code, stderr)
			}
			if got, want := readFile(t, hist), readFile(t, wantHist); !bytes.Equal(got, want) {
				t.Errorf("history after resuming:\n%s\nwant:\n%s", got, want)
			}
			if got := lastLine(out); got != wantFinal {
				t.Errorf("final line %q, want %q", got, wantFinal)
			}
			if err := sameBits(wantWeights, weightsOf(t, model)); err != nil {
				t.Errorf("resumed model: %v", err)
			}
		})
	}
}

// TestInterruptKeepsEpochCheckpoint interrupts a run in the middle of an
// epoch: the end-of-epoch checkpoint is left as it was and the mid-epoch
// state goes to a file of its own, which --resume refuses.
func TestInterruptKeepsEpochCheckpoint(t *testing.T) {
	dir := t.TempDir()
	sp := writeFile(t, filepath.Join(dir, "small.yaml"), smallDeep)
	ck := filepath.Join(dir, "ck.nrn")
	_, stderr, code := neurona(t, []string{fmt.Sprintf("NEURONA_TEST_INTERRUPT=batch:%d:INT", smallDeepBatches+3)},
		"train", sp, "--verbose", "0", "--checkpoint", ck)
	if code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	m, err := models.Load(ck)
	if err != nil {
		t.Fatal(err)
	}
	if next, ok := m.ResumeEpoch(); !ok || next != 1 {
		t.Errorf("the checkpoint resumes at epoch %d (%v), want the end of epoch 1", next, ok)
	}
	// It holds the weights of a run of exactly one epoch.
	one := filepath.Join(dir, "one.nrn")
	if _, stderr, code := neurona(t, nil, "train", sp, "--verbose", "0", "--epochs", "1", "--save", one); code != 0 {
		t.Fatalf("one epoch: exit %d: %s", code, stderr)
	}
	if err := sameBits(weightsOf(t, one), weightsOf(t, ck)); err != nil {
		t.Errorf("the checkpoint is not the end of epoch 1: %v", err)
	}
	mid := filepath.Join(dir, "ck.interrupted.nrn")
	if !strings.Contains(stderr, mid) {
		t.Errorf("stderr %q does not name the interrupted state %s", stderr, mid)
	}
	if _, err := models.Load(mid); err != nil {
		t.Errorf("the interrupted state does not load: %v", err)
	}
	_, stderr, code = neurona(t, nil, "train", sp, "--verbose", "0", "--resume", mid)
	if code != exitError || !strings.Contains(stderr, "mid-epoch") {
		t.Errorf("resuming from the mid-epoch state: exit %d: %s", code, stderr)
	}
}

// TestInterruptDuringLoadKeepsCheckpoint interrupts a run while it loads
// its data: an existing checkpoint is not replaced by an untrained model.
func TestInterruptDuringLoadKeepsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	ck := filepath.Join(dir, "ck.nrn")
	if _, stderr, code := neurona(t, nil, "run", "regression", "--epochs", "1", "--verbose", "0", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	before := readFile(t, ck)
	_, stderr, code := neurona(t, []string{"NEURONA_TEST_INTERRUPT=load:INT"}, "run", "regression", "--verbose", "0", "--checkpoint", ck)
	if code != exitInterrupted {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !bytes.Equal(readFile(t, ck), before) {
		t.Error("an interrupt during data loading replaced the checkpoint")
	}
	if _, err := os.Stat(filepath.Join(dir, "ck.interrupted.nrn")); err == nil {
		t.Error("an interrupt before any training wrote an interrupted state")
	}
}

// TestOutputsCheckedBeforeTraining gives bad output paths: each is refused
// before the first epoch, with a usage error naming it.
func TestOutputsCheckedBeforeTraining(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, filepath.Join(dir, "file.txt"), "x")
	data := writeFile(t, filepath.Join(dir, "data.csv"), "a,b,y\n1,2,3\n2,3,5\n3,4,7\n4,5,9\n")
	sp := writeFile(t, filepath.Join(dir, "lin.yaml"), `model:
  input_shape: [2]
  layers:
    - Dense: {units: 1}
compile: {loss: mse, optimizer: sgd}
data:
  csv: data.csv
  targets: [y]
fit: {epochs: 2, batch_size: 2}
`)
	ck := filepath.Join(dir, "ck.nrn")
	if _, stderr, code := neurona(t, nil, "train", sp, "--verbose", "0", "--checkpoint", ck); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	nodir := filepath.Join(dir, "nodir")
	for _, tc := range []struct {
		flags []string
		say   string // in the message
	}{
		{[]string{"--save", filepath.Join(nodir, "m.nrn")}, "does not exist"},
		{[]string{"--history", filepath.Join(nodir, "h.csv")}, "does not exist"},
		{[]string{"--checkpoint", filepath.Join(nodir, "ck.nrn")}, "does not exist"},
		{[]string{"--plot", filepath.Join(dir, "curves.jpg")}, ".png or .svg"},
		{[]string{"--plot", filepath.Join(nodir, "curves.png")}, "does not exist"},
		{[]string{"--tensorboard", filepath.Join(file, "logs")}, "not a directory"},
		{[]string{"--save", dir}, "is a directory"},
		{[]string{"--save", sp}, "would overwrite the spec"},
		{[]string{"--history", data}, "would overwrite a data file"},
		{[]string{"--save", ck, "--resume", ck}, "would overwrite the --resume checkpoint"},
		{[]string{"--save", filepath.Join(dir, "x.nrn"), "--history", filepath.Join(dir, "x.nrn")}, "is also the file of"},
	} {
		args := append([]string{"train", sp, "--verbose", "2"}, tc.flags...)
		out, stderr, code := neurona(t, nil, args...)
		if code != exitUsage || strings.Contains(out, "Epoch 1/") || !strings.Contains(stderr, tc.say) {
			t.Errorf("%v: exit %d, want %d before training, saying %q; stdout:\n%s\nstderr: %s", tc.flags, code, exitUsage, tc.say, out, stderr)
		}
	}
	if b := readFile(t, sp); !strings.HasPrefix(string(b), "model:") {
		t.Error("the spec was overwritten")
	}
	// Resuming into the checkpoint it resumes from is allowed.
	if _, stderr, code := neurona(t, nil, "train", sp, "--verbose", "0", "--epochs", "3", "--resume", ck, "--checkpoint", ck); code != 0 {
		t.Errorf("--resume ck --checkpoint ck: exit %d: %s", code, stderr)
	}
}

// TestSpeedPlotNeedsLearningSpeed: --speed-plot without the LearningSpeed
// callback is a usage error before training.
func TestSpeedPlotNeedsLearningSpeed(t *testing.T) {
	out, stderr, code := neurona(t, nil, "run", "regression", "--verbose", "2", "--speed-plot", filepath.Join(t.TempDir(), "s.png"))
	if code != exitUsage || strings.Contains(out, "Epoch 1/") || !strings.Contains(stderr, "LearningSpeed") {
		t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, stderr)
	}
}

// diverging trains a linear model with plain SGD at a rate too high for
// the unscaled Boston features: the loss grows each epoch until it
// overflows, a few epochs in.
const diverging = `model:
  input_shape: [13]
  layers:
    - Dense: {units: 1}
compile:
  loss: mean_squared_error
  optimizer: {name: sgd, learning_rate: 0.000004}
data:
  builtin: boston
fit:
  epochs: 8
  batch_size: 8
  seed: 1
  callbacks:
    - TerminateOnNaN
`

func finite(ws map[string][]float32) bool {
	for _, w := range ws {
		for _, v := range w {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return false
			}
		}
	}
	return true
}

// TestDivergedRunFails: a run that TerminateOnNaN stops exits 1 naming the
// epoch and batch, keeps the last good checkpoint and writes --save only
// with --save-nan.
func TestDivergedRunFails(t *testing.T) {
	dir := t.TempDir()
	sp := writeFile(t, filepath.Join(dir, "div.yaml"), diverging)
	ck, model := filepath.Join(dir, "ck.nrn"), filepath.Join(dir, "m.nrn")
	_, stderr, code := neurona(t, nil, "train", sp, "--verbose", "0", "--checkpoint", ck, "--save", model)
	if code != exitError {
		t.Fatalf("exit %d, want %d: %s", code, exitError, stderr)
	}
	m := regexp.MustCompile(`at epoch (\d+), batch (\d+)`).FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("stderr %q does not name the epoch and batch", stderr)
	}
	epoch, _ := strconv.Atoi(m[1])
	if epoch < 2 {
		t.Fatalf("the fixture diverges in epoch %d: it needs a good epoch first", epoch)
	}
	if !finite(weightsOf(t, ck)) {
		t.Error("the checkpoint holds non-finite weights")
	}
	if c, err := models.Load(ck); err != nil {
		t.Error(err)
	} else if next, _ := c.ResumeEpoch(); next != epoch-1 {
		t.Errorf("the checkpoint is of epoch %d, want the last good epoch %d", next, epoch-1)
	}
	if _, err := os.Stat(model); err == nil {
		t.Error("--save wrote the diverged model")
	}
	_, stderr, code = neurona(t, nil, "train", sp, "--verbose", "0", "--save", model, "--save-nan")
	if code != exitError {
		t.Fatalf("--save-nan: exit %d: %s", code, stderr)
	}
	if sameBits(weightsOf(t, ck), weightsOf(t, model)) == nil {
		t.Error("--save-nan wrote the last good weights, not the diverged model")
	}
}

// historyRows reads a --history CSV as maps from column to value.
func historyRows(t *testing.T, path string) []map[string]float64 {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(readFile(t, path))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]float64
	for _, r := range recs[1:] {
		row := map[string]float64{}
		for i, k := range recs[0] {
			row[k], _ = strconv.ParseFloat(r[i], 64)
		}
		rows = append(rows, row)
	}
	return rows
}

// TestFinalLine: whatever the verbosity the last stdout line gives the
// final and best metrics, as text or, with --format json, as JSON; both
// agree with the history CSV.
func TestFinalLine(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "h.csv")
	out, stderr, code := neurona(t, nil, "run", "regression", "--epochs", "6", "--verbose", "0", "--history", hist)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	rows := historyRows(t, hist)
	last, best := rows[len(rows)-1], 0
	for i, r := range rows {
		if r["val_loss"] < rows[best]["val_loss"] {
			best = i
		}
	}
	want := fmt.Sprintf("final: loss %.4f val_loss %.4f; best val_loss %.4f at epoch %d",
		last["loss"], last["val_loss"], rows[best]["val_loss"], best+1)
	if got := lastLine(out); got != want {
		t.Errorf("last line %q, want %q", got, want)
	}

	out, stderr, code = neurona(t, nil, "run", "regression", "--epochs", "6", "--verbose", "1", "--format", "json")
	if code != 0 {
		t.Fatalf("json: exit %d: %s", code, stderr)
	}
	var res struct {
		Status string             `json:"status"`
		Epochs int                `json:"epochs"`
		Final  map[string]float64 `json:"final"`
		Best   struct {
			Key   string  `json:"key"`
			Value float64 `json:"value"`
			Epoch int     `json:"epoch"`
		} `json:"best"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	if res.Status != "ok" || res.Epochs != len(rows) || res.Final["loss"] != last["loss"] || res.Final["val_loss"] != last["val_loss"] ||
		res.Best.Key != "val_loss" || res.Best.Value != rows[best]["val_loss"] || res.Best.Epoch != best+1 {
		t.Errorf("JSON %+v does not match the history %v", res, rows)
	}
}
