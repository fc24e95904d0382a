package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/neurona/neurona/internal/kerasfmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the tests run the real command in a fresh process: with
// NEURONA_TEST_MAIN set, the test binary behaves as neurona itself.
func TestMain(m *testing.M) {
	if os.Getenv("NEURONA_TEST_MAIN") == "1" {
		setInterruptHook(os.Getenv("NEURONA_TEST_INTERRUPT"))
		main()
		return
	}
	os.Exit(m.Run())
}

// setInterruptHook makes the command signal itself at a point that spec
// names: "load:SIG" after the data is loaded, "batch:K:SIG" after the run's
// Kth batch, SIG being INT, TERM or HUP. The hook then waits for the
// signal to cancel the run, so that the interrupt lands exactly there.
func setInterruptHook(spec string) {
	if spec == "" {
		return
	}
	parts := strings.Split(spec, ":")
	sig := map[string]os.Signal{"INT": syscall.SIGINT, "TERM": syscall.SIGTERM, "HUP": syscall.SIGHUP}[parts[len(parts)-1]]
	signal := func(ctx context.Context) {
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Signal(sig)
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second): // a signal the command ignores
		}
	}
	switch parts[0] {
	case "load":
		testHooks.afterLoad = signal
	case "batch":
		k, _ := strconv.Atoi(parts[1])
		testHooks.afterBatch = func(ctx context.Context, n int) {
			if n == k {
				signal(ctx)
			}
		}
	}
}

// neurona runs the command in a new process with extra environment
// variables and returns its stdout, stderr and exit code.
func neurona(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(append(os.Environ(), "NEURONA_TEST_MAIN=1"), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

const wantSummary = `Model: "sequential_1"
_________________________________________________________________
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

var epochLine = regexp.MustCompile(`^404/404 \[={30}\] - \d+s \d+(us|ms)/step - loss: \d+\.\d{4} - val_loss: \d+\.\d{4}$`)

func TestRunRegression(t *testing.T) {
	out, stderr, code := neurona(t, nil, "run", "regression")
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if !strings.HasPrefix(out, wantSummary) {
		t.Fatalf("output does not start with the Keras summary:\n%s", out)
	}
	lines := strings.Split(strings.TrimSuffix(strings.TrimPrefix(out, wantSummary), "\n"), "\n")
	if len(lines) != 1+2*32+2 {
		t.Fatalf("got %d lines after the summary, want 67:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	if lines[0] != "Train on 404 samples, validate on 102 samples" {
		t.Errorf("first line %q", lines[0])
	}
	for e := 1; e <= 32; e++ {
		if h := lines[2*e-1]; h != fmt.Sprintf("Epoch %d/32", e) {
			t.Errorf("epoch header %q", h)
		}
		if l := lines[2*e]; !epochLine.MatchString(l) {
			t.Errorf("epoch %d line %q", e, l)
		}
	}
	if !regexp.MustCompile(`^Prediction for validation row 42: -?\d+\.\d\d \(true value 14\.1\)$`).MatchString(lines[len(lines)-2]) {
		t.Errorf("prediction line %q", lines[len(lines)-2])
	}
	if !regexp.MustCompile(`^final: loss \d+\.\d{4} val_loss \d+\.\d{4}; best val_loss \d+\.\d{4} at epoch \d+$`).MatchString(lines[len(lines)-1]) {
		t.Errorf("last line %q", lines[len(lines)-1])
	}
	if strings.Contains(out, "\r") {
		t.Error("output to a pipe contains carriage returns")
	}
}

// TestRunDeterministic checks that a seed gives the same training, loss for
// loss, twice in a row and with GOMAXPROCS=1.
func TestRunDeterministic(t *testing.T) {
	timing := regexp.MustCompile(` - \d+s`)
	run := func(env ...string) string {
		out, stderr, code := neurona(t, env, "run", "regression", "--verbose", "2", "--seed", "7")
		if code != 0 {
			t.Fatalf("exit code %d, stderr %q", code, stderr)
		}
		return timing.ReplaceAllString(out, " - Ts")
	}
	a, b, c := run(), run(), run("GOMAXPROCS=1")
	if a != b {
		t.Errorf("two runs with seed 7 differ:\n%s\n---\n%s", a, b)
	}
	if a != c {
		t.Errorf("GOMAXPROCS=1 differs:\n%s\n---\n%s", a, c)
	}
	if other := timing.ReplaceAllString(func() string {
		o, _, _ := neurona(t, nil, "run", "regression", "--verbose", "2", "--seed", "8")
		return o
	}(), " - Ts"); other == a {
		t.Error("seeds 7 and 8 gave identical runs")
	}
}

func TestExitCodes(t *testing.T) {
	var out, errb bytes.Buffer
	ctx := context.Background()
	for _, c := range []struct {
		args []string
		code int
		err  string
	}{
		{nil, exitUsage, "no command given"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"run", "nope"}, exitUsage, `unknown example "nope" (valid: alexnet, bilstm-sentiment, conv-lstm-sentiment, conv-sentiment, deep, dense-sentiment, gru-sentiment, intermediate, learning-speed, lenet, lstm-sentiment, multi-convnet-sentiment, regression, rnn-sentiment, shallow, stacked-bilstm-sentiment, vggnet)`},
		{[]string{"run", "regression", "--epochs", "x"}, exitUsage, "invalid value"},
		{[]string{"run", "regression", "--verbose", "3"}, exitUsage, "--verbose must be 0, 1 or 2"},
		{[]string{"run", "--help"}, exitOK, "Usage: neurona run NAME"},
		{[]string{"--help"}, exitOK, ""},
	} {
		out.Reset()
		errb.Reset()
		if got := run(ctx, c.args, &out, &errb); got != c.code {
			t.Errorf("%v: exit code %d, want %d (stderr %q)", c.args, got, c.code, errb.String())
		}
		if !strings.Contains(errb.String(), c.err) {
			t.Errorf("%v: stderr %q does not contain %q", c.args, errb.String(), c.err)
		}
	}
}

func TestInterruptedExits130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errb bytes.Buffer
	if got := run(ctx, []string{"run", "regression", "--verbose", "0"}, &out, &errb); got != exitInterrupted {
		t.Errorf("exit code %d, want 130; stderr %q", got, errb.String())
	}
}

// writeIDX writes an IDX file of unsigned bytes with the given dimensions.
func writeIDX(t *testing.T, path string, data []byte, dims ...int) {
	t.Helper()
	b := []byte{0, 0, 0x08, byte(len(dims))}
	for _, d := range dims {
		b = append(b, byte(d>>24), byte(d>>16), byte(d>>8), byte(d))
	}
	if err := os.WriteFile(path, append(b, data...), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestRunDeepOnDataDir(t *testing.T) {
	dir := t.TempDir()
	for _, set := range []struct {
		prefix string
		n      int
	}{{"train", 300}, {"t10k", 50}} {
		img := make([]byte, set.n*28*28)
		lab := make([]byte, set.n)
		for i := range lab {
			lab[i] = byte(i % 10)
			// Each digit lights up its own band of rows, so the net can learn.
			for p := lab[i] * 2 * 28; p < (lab[i]*2+2)*28; p++ {
				img[i*784+int(p)] = 255
			}
		}
		writeIDX(t, filepath.Join(dir, set.prefix+"-images-idx3-ubyte"), img, set.n, 28, 28)
		writeIDX(t, filepath.Join(dir, set.prefix+"-labels-idx1-ubyte"), lab, set.n)
	}
	model := filepath.Join(t.TempDir(), "deep.nrn")
	out, stderr, code := neurona(t, nil, "run", "deep", "--data-dir", dir, "--epochs", "3", "--verbose", "2", "--save", model)
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr)
	}
	if !strings.Contains(out, "Total params: 59,978") || !strings.Contains(out, "Non-trainable params: 384") {
		t.Errorf("deep summary missing:\n%s", out)
	}
	if !strings.Contains(out, "Train on 300 samples, validate on 50 samples") {
		t.Errorf("the run did not use the directory's data:\n%s", out)
	}
	if n := strings.Count(out, "val_accuracy: "); n != 3 {
		t.Errorf("%d epoch lines with val_accuracy, want 3:\n%s", n, out)
	}

	// The saved model evaluates on the directory's test files with its
	// own preprocessing (flatten, scale, one-hot).
	out, stderr, code = neurona(t, nil, "evaluate", model, dir)
	var loss, acc float64
	if _, err := fmt.Sscanf(out, "loss: %g - accuracy: %g", &loss, &acc); code != 0 || err != nil || acc < 0.5 {
		t.Errorf("evaluate on the IDX dir: exit %d, %q, %s", code, out, stderr)
	}

	// A directory without the files is an error naming what is missing.
	_, stderr, code = neurona(t, nil, "run", "deep", "--data-dir", t.TempDir(), "--verbose", "0")
	if code != exitError || !strings.Contains(stderr, "train-images-idx3-ubyte") {
		t.Errorf("empty dir: exit %d, stderr %q", code, stderr)
	}
}

// TestSummaryOfBookExample prints a book example's summary by its name.
func TestSummaryOfBookExample(t *testing.T) {
	out, stderr, code := neurona(t, nil, "summary", "regression")
	if code != 0 || out != wantSummary {
		t.Errorf("summary regression: exit %d, stderr %q, output:\n%s\nwant:\n%s", code, stderr, out, wantSummary)
	}
	dir := t.TempDir()
	if _, stderr, code := neurona(t, nil, "summary", filepath.Join(dir, "regression")); code != 1 || !strings.Contains(stderr, "no such file") {
		t.Errorf("summary of a missing file: exit %d, stderr %q", code, stderr)
	}
}

// TestSummaryGAN prints the GAN's discriminator and generator, in the
// notebook's order and with its names, as the notebook's summaries (copied
// in examples/testdata), then the adversarial model (two nested-model
// rows, only the generator trainable); 'examples' lists gan.
func TestSummaryGAN(t *testing.T) {
	out, stderr, code := neurona(t, nil, "summary", "gan")
	if code != 0 {
		t.Fatalf("summary gan: exit %d, stderr %q", code, stderr)
	}
	got := kerasfmt.SummaryTables(out)
	if len(got) != 3 {
		t.Fatalf("summary gan printed %d tables, want 3:\n%s", len(got), out)
	}
	for i, file := range []string{"gan-discriminator.summary.txt", "gan-generator.summary.txt"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		want := kerasfmt.SummaryTables(string(b))
		if len(want) != 1 {
			t.Fatalf("%s holds %d tables", file, len(want))
		}
		if g, w := strings.Join(got[i], "\n"), strings.Join(want[0], "\n"); g != w {
			t.Errorf("summary %d differs from %s:\n%s\nwant:\n%s", i+1, file, g, w)
		}
	}
	if !strings.Contains(out, `Model: "model_1"`) || !strings.Contains(out, `Model: "model_2"`) || !strings.Contains(out, `Model: "model_3"`) {
		t.Errorf("the models are not model_1, model_2 and model_3:\n%s", out)
	}
	adv := strings.Join(got[2], "\n")
	for _, w := range []string{"model_2 (Model)              (None, 28, 28, 1)         183713",
		"model_1 (Model)              (None, 1)                 4311553", "Total params: 4,495,266", "Trainable params: 177,329"} {
		if !strings.Contains(adv, w) {
			t.Errorf("the adversarial summary lacks %q:\n%s", w, adv)
		}
	}
	out, _, code = neurona(t, nil, "examples")
	if code != 0 || !regexp.MustCompile(`(?m)^gan +.*adversarial`).MatchString(out) {
		t.Errorf("examples: exit %d, gan is not listed with its adversarial model:\n%s", code, out)
	}
	for _, name := range []string{"gan-awkward", "weight-init", "cartpole"} {
		if !regexp.MustCompile(`(?m)^` + name + ` +\S`).MatchString(out) {
			t.Errorf("examples does not list %s:\n%s", name, out)
		}
	}
}

// TestTrainNamesTheDataThatMisfits: a CSV whose feature columns do not fit
// the model's input gets the spec package's message (file, columns, fix),
// not fit's bare shapes, though the command builds the model before it
// loads the data.
func TestTrainNamesTheDataThatMisfits(t *testing.T) {
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("a,b,c,d,e,y\n")
	for i := range 20 {
		fmt.Fprintf(&csv, "%d,%d,%d,%d,%d,%d\n", i, i+1, i+2, i+3, i+4, i%3)
	}
	if err := os.WriteFile(filepath.Join(dir, "d.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := "model:\n  input_shape: [4]\n  layers:\n    - Dense: {units: 1}\ncompile: {loss: mse, optimizer: adam}\ndata: {csv: d.csv, targets: [y]}\nfit: {epochs: 1, batch_size: 8}\n"
	if err := os.WriteFile(filepath.Join(dir, "s.yaml"), []byte(spec), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := neurona(t, nil, "train", filepath.Join(dir, "s.yaml"), "--verbose", "0")
	if code != 1 || !strings.Contains(stderr, "d.csv has 5 feature columns (a, b, c, d, e)") || !strings.Contains(stderr, "data.exclude") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
