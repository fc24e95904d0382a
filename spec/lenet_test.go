package spec

import (
	"crypto/sha256"
	"fmt"
	"github.com/neurona/neurona/internal/alloctest"
	"github.com/neurona/neurona/layers"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/tensor"
)

// kerasLeNetSummary is lenet_in_keras's model.summary() (Keras 2), with
// trailing spaces trimmed and the closing rule left out as kerasfmt does.
const kerasLeNetSummary = `Model: "sequential_1"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
conv2d_1 (Conv2D)            (None, 26, 26, 32)        320
_________________________________________________________________
conv2d_2 (Conv2D)            (None, 24, 24, 64)        18496
_________________________________________________________________
max_pooling2d_1 (MaxPooling2 (None, 12, 12, 64)        0
_________________________________________________________________
dropout_1 (Dropout)          (None, 12, 12, 64)        0
_________________________________________________________________
flatten_1 (Flatten)          (None, 9216)              0
_________________________________________________________________
dense_1 (Dense)              (None, 128)               1179776
_________________________________________________________________
dropout_2 (Dropout)          (None, 128)               0
_________________________________________________________________
dense_2 (Dense)              (None, 10)                1290
=================================================================
Total params: 1,199,882
Trainable params: 1,199,882
Non-trainable params: 0
`

func TestLeNetSummaryMatchesKeras(t *testing.T) {
	layers.ResetNames()
	m := bookModel(t, "lenet", 42)
	m.Name = "sequential_1"
	var b strings.Builder
	if err := m.Summary(&b); err != nil {
		t.Fatal(err)
	}
	if got := b.String(); got != kerasLeNetSummary {
		t.Errorf("summary:\n%s\nwant Keras's:\n%s", got, kerasLeNetSummary)
	}
	if total, trainable := m.CountParams(); total != 1199882 || trainable != total {
		t.Errorf("CountParams = %d, %d; want 1199882 both", total, trainable)
	}
	want := []string{"conv2d_1/kernel", "conv2d_1/bias", "conv2d_2/kernel", "conv2d_2/bias",
		"dense_1/kernel", "dense_1/bias", "dense_2/kernel", "dense_2/bias"}
	ws := m.Weights()
	if len(ws) != len(want) {
		t.Fatalf("%d weights, want %d", len(ws), len(want))
	}
	for i, w := range ws {
		if w.Name != want[i] {
			t.Errorf("weight %d is %q, want %q", i, w.Name, want[i])
		}
	}
	if s := ws[2].Var.Value.Shape; !tensor.EqualShape(s, []int{3, 3, 32, 64}) {
		t.Errorf("conv2d_2/kernel has shape %v, want Keras's (3, 3, 32, 64)", s)
	}
}

// lenetBatchSize is the batch size of the book's lenet_in_keras.
const lenetBatchSize = 128

// lenetBatch returns a batch of n random images and one-hot labels.
func lenetBatch(t testing.TB, n int) (x, y *tensor.Tensor) {
	rng := tensor.NewRNG(3)
	x = tensor.New(n, 28, 28, 1)
	rng.Uniform(x, 0, 1)
	labels := tensor.New(n)
	for i := range labels.Data {
		labels.Data[i] = float32(rng.Intn(10))
	}
	y, err := preprocessing.ToCategorical(labels, 10)
	if err != nil {
		t.Fatal(err)
	}
	return x, y
}

// TestLeNetTrainStepAllocatesNothing checks that, after warm-up, a LeNet
// training step on a batch of 128 makes no heap allocation.
func TestLeNetTrainStepAllocatesNothing(t *testing.T) {
	m := bookModel(t, "lenet", 1)
	x, y := lenetBatch(t, lenetBatchSize)
	res, err := m.TrainOnBatch(x, y) // warm-up
	if err != nil {
		t.Fatal(err)
	}
	first := res[0]
	var last float64
	allocs := alloctest.PerRun(3, func() {
		if res, err = m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
		last = res[0]
	})
	if allocs != 0 {
		t.Errorf("a LeNet training step allocates %v times after warm-up, want 0", allocs)
	}
	// Four more steps on one batch must lower its loss.
	if !(last < first) {
		t.Errorf("loss went from %v to %v over 4 steps on one batch", first, last)
	}
}

// TestLeNetData checks the LeNet spec's data: the embedded MNIST as
// (n, 28, 28, 1) images scaled to [0, 1] and one-hot labels.
func TestLeNetData(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes the embedded MNIST")
	}
	s, err := Book("lenet")
	if err != nil {
		t.Fatal(err)
	}
	train, valid, _, err := s.Data.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !tensor.EqualShape(train.X.Shape, []int{60000, 28, 28, 1}) || !tensor.EqualShape(valid.X.Shape, []int{10000, 28, 28, 1}) {
		t.Fatalf("images have shapes %v and %v", train.X.Shape, valid.X.Shape)
	}
	if !tensor.EqualShape(train.Y.Shape, []int{60000, 10}) || !tensor.EqualShape(valid.Y.Shape, []int{10000, 10}) {
		t.Fatalf("labels have shapes %v and %v", train.Y.Shape, valid.Y.Shape)
	}
	hi := float32(0)
	for _, v := range train.X.Data {
		if v < 0 || v > 1 {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
		hi = max(hi, v)
	}
	if hi != 1 {
		t.Errorf("largest pixel %v, want 1 (255/255)", hi)
	}
	// The first training label is a 5, one-hot.
	if row := train.Y.Row(0); row[5] != 1 || tensor.FromSlice(row, 10).Clone().HasNaN() {
		t.Errorf("first label row %v, want a one-hot 5", row)
	}
	if err := s.Data.UseIDX(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := s.Data.Load(); err == nil {
		t.Error("an empty data directory gave no error")
	}
}

func TestLeNetShapes(t *testing.T) {
	m := bookModel(t, "lenet", 7)
	if got := m.InputShape(); !tensor.EqualShape(got, []int{28, 28, 1}) {
		t.Errorf("input shape %v, want (28, 28, 1)", got)
	}
	if got := m.OutputShape(); !tensor.EqualShape(got, []int{10}) {
		t.Errorf("output shape %v, want (10,)", got)
	}
}

// BenchmarkLeNetTrainStep times one training step on a batch of 128.
func BenchmarkLeNetTrainStep(b *testing.B) {
	m := bookModel(b, "lenet", 1)
	x, y := lenetBatch(b, lenetBatchSize)
	if _, err := m.TrainOnBatch(x, y); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLeNetBitIdenticalAcrossGOMAXPROCS trains LeNet for two steps in child
// processes with GOMAXPROCS 1 and 2 (the worker pool is sized once per
// process) and checks that the weights and predictions agree to the bit.
func TestLeNetBitIdenticalAcrossGOMAXPROCS(t *testing.T) {
	if os.Getenv("NEURONA_LENET_CHILD") == "1" {
		fmt.Printf("digest %s\n", lenetDigest(t))
		return
	}
	if testing.Short() {
		t.Skip("runs two child processes")
	}
	var digests []string
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLeNetBitIdenticalAcrossGOMAXPROCS$")
		cmd.Env = append(os.Environ(), "NEURONA_LENET_CHILD=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child with GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		_, d, ok := strings.Cut(string(out), "digest ")
		if !ok {
			t.Fatalf("child with GOMAXPROCS=%s printed no digest:\n%s", procs, out)
		}
		digests = append(digests, strings.Fields(d)[0])
	}
	t.Logf("digests: %v", digests)
	if digests[0] != digests[1] {
		t.Errorf("GOMAXPROCS=1 gives %s, GOMAXPROCS=2 gives %s", digests[0], digests[1])
	}
}

// lenetDigest trains LeNet for two steps and hashes the bits of its weights
// and of its predictions on the batch.
func lenetDigest(t testing.TB) string {
	m := bookModel(t, "lenet", 5)
	x, y := lenetBatch(t, lenetBatchSize)
	for range 2 {
		if _, err := m.TrainOnBatch(x, y); err != nil {
			t.Fatal(err)
		}
	}
	pred, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	var b [4]byte
	add := func(d []float32) {
		for _, v := range d {
			u := math.Float32bits(v)
			b[0], b[1], b[2], b[3] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
			h.Write(b[:])
		}
	}
	for _, w := range m.Weights() {
		add(w.Var.Value.Data)
	}
	add(pred.Data)
	return fmt.Sprintf("%x", h.Sum(nil))
}
