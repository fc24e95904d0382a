// Package ganscore scores generated MNIST digits with the Inception-score
// formula, exp(E_x KL(p(y|x) ‖ p(y))), using the book's LeNet trained by
// neurona on MNIST in place of Inception v3, and reports the share of each
// class among confidently classified samples. 'neurona run gan' prints it,
// and bench/gan scores PyTorch's samples with the same classifier.
package ganscore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/datasets/mnist"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/metrics"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/preprocessing"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

const (
	// Samples is the number of generated digits a GAN is scored on.
	Samples = 1000
	// Confident is the probability above which a sample counts as a
	// confident member of its class in the class shares.
	Confident = 0.9
	// accKey holds the scorer's accuracy on MNIST's 10,000 test
	// digits in its metadata.
	accKey = "neurona.scorer.test_accuracy"
)

// DefaultPath is where the scorer is cached between runs.
func DefaultPath() string {
	return filepath.Join(datasets.DataDir(), "gan-scorer-lenet-mnist.nrn")
}

// Scorer returns the classifier that scores generated digits, and its
// accuracy on MNIST's test digits. It loads path when the file exists;
// otherwise it trains the book's LeNet (examples/specs/lenet.yaml) for one
// epoch, seed 42, on the first rows training digits (all 60,000 when rows
// is 0) and saves it to path atomically.
func Scorer(ctx context.Context, path string, rows int, log io.Writer) (*models.Model, float64, error) {
	if m, err := models.Load(path); err == nil {
		acc, perr := strconv.ParseFloat(m.Metadata[accKey], 64)
		if perr != nil {
			return nil, 0, fmt.Errorf("%s: not a GAN scorer saved by neurona (no %s)", path, accKey)
		}
		if err := checkScorer(m); err != nil {
			return nil, 0, fmt.Errorf("%s: %w", path, err)
		}
		return m, acc, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("GAN scorer %s: %w", path, err)
	}
	train, test, err := mnist.Load()
	if err != nil {
		return nil, 0, err
	}
	if rows > 0 && rows < train.Len() {
		train.X = tensor.FromSlice(train.X.Data[:rows*train.X.RowSize()], append([]int{rows}, train.X.Shape[1:]...)...)
		train.Y = tensor.FromSlice(train.Y.Data[:rows*train.Y.RowSize()], append([]int{rows}, train.Y.Shape[1:]...)...)
	}
	prep := func(s datasets.Split) (x, y *tensor.Tensor, err error) {
		x = s.X.Clone()
		for i := range x.Data {
			x.Data[i] /= 255
		}
		y, err = preprocessing.ToCategorical(s.Y, 10)
		return x.Reshape(s.Len(), 28, 28, 1), y, err
	}
	tx, ty, err := prep(train)
	if err != nil {
		return nil, 0, err
	}
	vx, vy, err := prep(test)
	if err != nil {
		return nil, 0, err
	}
	sp, err := spec.Book("lenet")
	if err != nil {
		return nil, 0, err
	}
	layers.ResetNames()
	m, err := sp.Build(42)
	if err != nil {
		return nil, 0, err
	}
	fmt.Fprintf(log, "Training the GAN's scorer (the book's LeNet, 1 epoch on %d MNIST digits); it is cached at %s\n", tx.Rows(), path)
	if _, err := m.Fit(ctx, tx, ty, models.FitConfig{BatchSize: 128, Epochs: 1, Seed: 42, Verbose: 2, Output: log}); err != nil {
		return nil, 0, fmt.Errorf("training the GAN scorer: %w", err)
	}
	ev, err := m.Evaluate(vx, vy, 500)
	if err != nil {
		return nil, 0, err
	}
	acc := ev[len(ev)-1]
	m.Metadata = map[string]string{accKey: strconv.FormatFloat(acc, 'g', -1, 64)}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, 0, fmt.Errorf("caching the GAN scorer: %w", err)
	}
	if err := m.Save(path); err != nil {
		return nil, 0, fmt.Errorf("caching the GAN scorer: %w", err)
	}
	return m, acc, nil
}

// checkScorer checks that m maps 28×28×1 images to 10 probabilities.
func checkScorer(m *models.Model) error {
	in, out := m.InputShape(), m.OutputShape()
	if len(m.Inputs()) != 1 || len(m.Outputs()) != 1 || !sameShape(in, []int{28, 28, 1}) || !sameShape(out, []int{10}) {
		return fmt.Errorf("a GAN scorer maps (None, 28, 28, 1) to (None, 10), not %v to %v", in, out)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] < 0 && b[i] < 0) {
			return false
		}
	}
	return true
}

// Result is the score of a set of images and its class shares.
type Result struct {
	Score     float64
	Shares    []float64
	Confident int
	N         int
}

// Score classifies imgs, (n, 28, 28, 1) in [0, 1], with the scorer.
func Score(scorer *models.Model, imgs *tensor.Tensor) (Result, error) {
	p, err := scorer.Predict(imgs)
	if err != nil {
		return Result{}, err
	}
	s, err := metrics.InceptionScore(p)
	if err != nil {
		return Result{}, err
	}
	shares, n, err := metrics.ConfidentClassShares(p, Confident)
	if err != nil {
		return Result{}, err
	}
	return Result{Score: s, Shares: shares, Confident: n, N: imgs.Rows()}, nil
}

func (s Result) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%.3f over %d samples; classes of the %d confident ones (p ≥ %.1f):", s.Score, s.N, s.Confident, Confident)
	for k, v := range s.Shares {
		fmt.Fprintf(&b, " %d:%.0f%%", k, 100*v)
	}
	return b.String()
}
