// Command speed times training epochs of the book's sentiment networks at
// IMDB's shapes (25,000 sequences of the notebook's length; random token
// ids), the neurona side of bench/sentiment/speed.sh.
//
//	go run ./bench/sentiment/speed [-batches N] [-sigmoid] [-cpuprofile F] NAME...
//
// It trains N batches of the book's batch size (after one warm-up batch)
// and prints, per network, one JSON line with the seconds per batch and
// the epoch time scaled to 25,000 sequences. -sigmoid replaces the book's
// hard_sigmoid recurrent activation (Keras 2.2's default) by sigmoid,
// the gate PyTorch's fused nn.LSTM/nn.GRU use.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime/pprof"
	"time"

	"github.com/neurona/neurona/examples"
	"github.com/neurona/neurona/layers"
	"github.com/neurona/neurona/models"
	"github.com/neurona/neurona/spec"
	"github.com/neurona/neurona/tensor"
)

const imdbTrain = 25000

// cpuProfile, if set, receives the CPU profile of the timed batches.
var cpuProfile *os.File

func main() {
	batches := flag.Int("batches", 20, "timed batches per network")
	sigmoid := flag.Bool("sigmoid", false, "recurrent_activation sigmoid instead of the book's hard_sigmoid")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the timed batches to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "speed:", err)
			os.Exit(1)
		}
		defer f.Close()
		cpuProfile = f
	}
	for _, name := range flag.Args() {
		if err := run(name, *batches, *sigmoid); err != nil {
			fmt.Fprintln(os.Stderr, "speed:", name+":", err)
			os.Exit(1)
		}
	}
}

var (
	recurrent = regexp.MustCompile(`(LSTM|GRU|SimpleRNN): \{`)
	wrapped   = regexp.MustCompile(`(class_name: (?:LSTM|GRU|SimpleRNN), )config: \{`)
)

func run(name string, batches int, sigmoid bool) error {
	src, err := examples.Spec(name)
	if err != nil {
		return err
	}
	if sigmoid {
		src = recurrent.ReplaceAll(src, []byte("$1: {recurrent_activation: sigmoid, "))
		src = wrapped.ReplaceAll(src, []byte("${1}config: {recurrent_activation: sigmoid, "))
	}
	sp, err := spec.Parse(src, spec.BookFile(name), "")
	if err != nil {
		return err
	}
	layers.ResetNames()
	m, err := sp.Build(42)
	if err != nil {
		return err
	}
	emb, ok := m.Layers()[0].(*layers.Embedding)
	if !ok {
		for _, l := range m.Layers() {
			if e, ok := l.(*layers.Embedding); ok {
				emb = e
			}
		}
	}
	if emb == nil {
		return fmt.Errorf("no Embedding layer")
	}
	bs := sp.FitConfig().BatchSize
	steps, vocab := emb.InputLength, emb.InputDim
	rng := tensor.NewRNG(1)
	n := (batches + 1) * bs
	x, y := tensor.New(n, steps), tensor.New(n, 1)
	for i := range x.Data {
		x.Data[i] = float32(1 + rng.Intn(vocab-1))
	}
	for i := range y.Data {
		y.Data[i] = float32(rng.Intn(2))
	}
	xs := func(lo, hi int) (*tensor.Tensor, *tensor.Tensor) {
		return tensor.FromSlice(x.Data[lo*steps:hi*steps], hi-lo, steps), tensor.FromSlice(y.Data[lo:hi], hi-lo, 1)
	}
	wx, wy := xs(0, bs)
	if _, err := m.Fit(context.Background(), wx, wy, models.FitConfig{BatchSize: bs, Epochs: 1, Seed: 1}); err != nil {
		return err
	}
	tx, ty := xs(bs, n)
	if cpuProfile != nil {
		if err := pprof.StartCPUProfile(cpuProfile); err != nil {
			return err
		}
	}
	t0 := time.Now()
	_, err = m.Fit(context.Background(), tx, ty, models.FitConfig{BatchSize: bs, Epochs: 1, Seed: 1})
	per := time.Since(t0).Seconds() / float64(batches)
	if cpuProfile != nil {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	act := "hard_sigmoid"
	if sigmoid {
		act = "sigmoid"
	}
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"side": "neurona", "net": name, "batch": bs, "steps": steps, "recurrent_activation": act,
		"seconds_per_batch": per, "epoch_seconds": per * imdbTrain / float64(bs),
	})
}
