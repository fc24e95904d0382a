// Command score prints the Inception-style score (examples/ganscore) of
// generated MNIST digits stored in a .npy file, float32 or float64 values
// in [0, 1] of shape (N, 784) or (N, 28, 28[, 1]), with the same LeNet
// scorer that 'neurona run gan' uses, so that PyTorch's samples and
// neurona's are scored by one classifier.
//
//	go run ./bench/gan/score [--scorer FILE] SAMPLES.npy
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/examples/ganscore"
)

func main() {
	scorer := flag.String("scorer", ganscore.DefaultPath(), "the scorer's file (trained and cached there when absent)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: score [--scorer FILE] SAMPLES.npy")
		os.Exit(2)
	}
	if err := run(*scorer, flag.Arg(0)); err != nil {
		fmt.Fprintln(os.Stderr, "score:", err)
		os.Exit(1)
	}
}

func run(scorerPath, path string) error {
	x, err := datasets.ReadNPYFile(path)
	if err != nil {
		return err
	}
	if x.Size() == 0 || x.Size()%784 != 0 {
		return fmt.Errorf("%s: shape %v is not N images of 28×28", path, x.Shape)
	}
	n := x.Size() / 784
	m, acc, err := ganscore.Scorer(context.Background(), scorerPath, 0, os.Stderr)
	if err != nil {
		return err
	}
	s, err := ganscore.Score(m, x.Reshape(n, 28, 28, 1))
	if err != nil {
		return err
	}
	fmt.Printf("score %.4f (scorer test accuracy %.4f): %v\n", s.Score, acc, s)
	return nil
}
