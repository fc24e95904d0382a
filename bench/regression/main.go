// Command regression times the book's regression_in_keras in neurona (the
// network of examples/specs/regression.yaml) and prints one JSON line per
// seed, in the format of bench/regression_torch.py.
//
//	go run ./bench/regression --seeds 1,2,3 --epochs 32
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/neurona/neurona/spec"
)

type result struct {
	Impl         string    `json:"impl"`
	Seed         uint64    `json:"seed"`
	TrainSeconds float64   `json:"train_seconds"`
	FinalVal     float64   `json:"final_val_loss"`
	BestVal      float64   `json:"best_val_loss"`
	BestEpoch    int       `json:"best_epoch"`
	ValLosses    []float64 `json:"val_losses"`
}

func main() {
	seeds := flag.String("seeds", "1", "comma-separated seeds")
	epochs := flag.Int("epochs", 0, "epochs (default: the book's, 32)")
	flag.Parse()
	if err := run(*seeds, *epochs); err != nil {
		fmt.Fprintln(os.Stderr, "regression:", err)
		os.Exit(1)
	}
}

func run(seedList string, epochs int) error {
	s, err := spec.Book("regression")
	if err != nil {
		return err
	}
	train, valid, _, err := s.Data.Load()
	if err != nil {
		return err
	}
	enc := json.NewEncoder(os.Stdout)
	for _, f := range strings.Split(seedList, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
		if err != nil {
			return fmt.Errorf("bad seed %q", f)
		}
		m, err := s.Build(seed)
		if err != nil {
			return err
		}
		cfg := s.FitConfig()
		cfg.Seed, cfg.Verbose = seed, 0
		if epochs > 0 {
			cfg.Epochs = epochs
		}
		cfg.ValidationX, cfg.ValidationY = valid.X, valid.Y
		start := time.Now()
		h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
		if err != nil {
			return err
		}
		r := result{Impl: "neurona", Seed: seed, TrainSeconds: time.Since(start).Seconds()}
		r.ValLosses = h.Values["val_loss"]
		r.FinalVal = r.ValLosses[len(r.ValLosses)-1]
		r.BestVal = r.ValLosses[0]
		for i, v := range r.ValLosses {
			if v < r.BestVal {
				r.BestVal, r.BestEpoch = v, i
			}
		}
		r.BestEpoch++ // 1-based, as printed by Fit
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
