// Command rounding measures how far data-parallel training of the deep
// MNIST net (the book's, BatchNormalization and Dropout included) strays
// from one process, against how far one process strays from itself when
// one weight starts one float32 step (ulp) away. It trains, in this
// process, 1 × 128 (the reference), 1 × 128 with one first-layer and
// then one second-layer weight nudged by an ulp, and 2 ranks × 64 with
// synchronized and with per-rank BatchNormalization (ranks played by
// goroutines over distributed.InProcess, whose sums are the same bits as
// MPI's). For each it prints the first step whose running loss is more
// than 1e-5 (relative) from the reference's, the largest relative
// differences of the History, and the final val_accuracy.
//
//	go run ./bench/distributed/rounding [--epochs 20]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"sync"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

// steps records the running loss after every step.
type steps struct {
	callbacks.Base
	loss []float64
}

func (s *steps) OnBatchEnd(_ int, logs callbacks.Logs) { s.loss = append(s.loss, logs["loss"]) }

type result struct {
	name string
	h    *models.History
	loss []float64
}

func main() {
	epochs := flag.Int("epochs", 20, "epochs")
	flag.Parse()
	if err := run(*epochs); err != nil {
		fmt.Fprintln(os.Stderr, "rounding:", err)
		os.Exit(1)
	}
}

func run(epochs int) error {
	s, err := spec.Book("deep")
	if err != nil {
		return err
	}
	train, valid, _, err := s.Data.Load()
	if err != nil {
		return err
	}
	build := func(synced bool) (*models.Model, models.FitConfig, error) {
		fit := s.FitConfig()
		layers.ResetNames()
		m, err := s.Build(fit.Seed)
		if err != nil {
			return nil, fit, err
		}
		fit.Epochs, fit.Verbose = epochs, 0
		fit.ValidationX, fit.ValidationY = valid.X, valid.Y
		fit.SyncBatchNorm = synced
		return m, fit, nil
	}
	one := func(name string, nudge func(m *models.Model)) (result, error) {
		m, fit, err := build(false)
		if err != nil {
			return result{}, err
		}
		if nudge != nil {
			nudge(m)
		}
		st := &steps{}
		fit.Callbacks = []callbacks.Callback{st}
		h, err := m.Fit(context.Background(), train.X, train.Y, fit)
		return result{name, h, st.loss}, err
	}
	ranks := func(name string, synced bool) (result, error) {
		cs := distributed.InProcess(2)
		res := make([]result, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r := range 2 {
			m, fit, err := build(synced)
			if err != nil {
				return result{}, err
			}
			st := &steps{}
			fit.BatchSize /= 2
			fit.Collective, fit.Callbacks = cs[r], []callbacks.Callback{st}
			wg.Add(1)
			go func() {
				defer wg.Done()
				h, err := m.Fit(context.Background(), train.X, train.Y, fit)
				res[r], errs[r] = result{name, h, st.loss}, err
			}()
		}
		wg.Wait()
		return res[0], errors.Join(errs...)
	}
	nudge := func(weight, at int) func(m *models.Model) {
		return func(m *models.Model) {
			var kernels []*tensor.Tensor
			for _, w := range m.TrainableWeights() {
				if len(w.Var.Value.Shape) == 2 {
					kernels = append(kernels, w.Var.Value)
				}
			}
			d := kernels[weight].Data
			d[at] = math.Nextafter32(d[at], float32(math.Inf(1)))
		}
	}
	ref, err := one("1 × 128", nil)
	if err != nil {
		return err
	}
	var runs []result
	for _, f := range []func() (result, error){
		func() (result, error) { return one("1 × 128, one first-layer weight +1 ulp", nudge(0, 406*64+3)) },
		func() (result, error) { return one("1 × 128, one second-layer weight +1 ulp", nudge(1, 1000)) },
		func() (result, error) { return ranks("2 × 64, synchronized BatchNormalization", true) },
		func() (result, error) { return ranks("2 × 64, per-rank BatchNormalization", false) },
	} {
		r, err := f()
		if err != nil {
			return err
		}
		runs = append(runs, r)
	}
	last := epochs - 1
	fmt.Printf("deep net, seed %d, %d epochs of %d steps; reference 1 × 128: final val_accuracy %.4f\n\n",
		s.FitConfig().Seed, epochs, len(ref.loss)/epochs, ref.h.Values["val_accuracy"][last])
	fmt.Println("| run | first step > 1e-5 off | epoch 1: loss, val_loss (relative) | largest over epochs: loss, val_loss | final val_accuracy |")
	fmt.Println("|---|---|---|---|---|")
	for _, r := range runs {
		first := "none"
		for i, v := range r.loss {
			if math.Abs(v-ref.loss[i]) > 1e-5*math.Abs(ref.loss[i]) {
				first = fmt.Sprint(i + 1)
				break
			}
		}
		rel := func(k string, e int) float64 {
			a, b := r.h.Values[k][e], ref.h.Values[k][e]
			return math.Abs(a-b) / math.Abs(b)
		}
		worst := func(k string) float64 {
			w := 0.0
			for e := range epochs {
				w = max(w, rel(k, e))
			}
			return w
		}
		fmt.Printf("| %s | %s | %.2g, %.2g | %.2g, %.2g | %.4f |\n", r.name, first, rel("loss", 0), rel("val_loss", 0),
			worst("loss"), worst("val_loss"), r.h.Values["val_accuracy"][last])
	}
	return nil
}
