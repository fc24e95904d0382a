// Command distributed times an epoch of a book net, in one process or
// data-parallel under mpirun (build with -tags mpi), and prints one JSON
// line (rank 0): the seconds of each epoch (training and validation) and
// the shares of the step spent in the gradient all-reduce and in
// synchronized BatchNormalization's (--sync-batchnorm).
//
//	go build -o /tmp/bd ./bench/distributed && GOMAXPROCS=2 /tmp/bd --epochs 5
//	go build -tags mpi -o /tmp/bdm ./bench/distributed
//	mpirun -np 2 -x GOMAXPROCS=1 /tmp/bdm --distributed --batch-size 64 --epochs 5
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/distributed"
	"github.com/neurona/neurona/spec"
)

type timer struct {
	callbacks.Base
	t0     time.Time
	epochs []float64
}

func (t *timer) OnEpochBegin(int, callbacks.Logs) { t.t0 = time.Now() }
func (t *timer) OnEpochEnd(int, callbacks.Logs) {
	t.epochs = append(t.epochs, time.Since(t.t0).Seconds())
}

func main() {
	net := flag.String("net", "deep", "book net")
	epochs := flag.Int("epochs", 5, "epochs")
	bs := flag.Int("batch-size", 128, "batch size (per rank with --distributed)")
	dist := flag.Bool("distributed", false, "data-parallel over MPI")
	syncBN := flag.Bool("sync-batchnorm", false, "with --distributed: synchronized BatchNormalization")
	flag.Parse()
	if err := run(*net, *epochs, *bs, *dist, *syncBN); err != nil {
		fmt.Fprintln(os.Stderr, "distributed:", err)
		os.Exit(1)
	}
}

func run(net string, epochs, bs int, dist, syncBN bool) error {
	s, err := spec.Book(net)
	if err != nil {
		return err
	}
	fit := s.FitConfig()
	m, err := s.Build(fit.Seed)
	if err != nil {
		return err
	}
	train, valid, _, err := s.Data.Load()
	if err != nil {
		return err
	}
	t := &timer{}
	fit.Epochs, fit.BatchSize, fit.Verbose, fit.Callbacks = epochs, bs, 0, []callbacks.Callback{t}
	fit.ValidationX, fit.ValidationY = valid.X, valid.Y
	fit.SyncBatchNorm = syncBN
	ranks := 1
	if dist {
		c, err := distributed.Open(distributed.Options{})
		if err != nil {
			return err
		}
		fit.Collective, ranks = c, c.Size()
		defer distributed.Finalize()
		if c.Rank() != 0 {
			_, err := m.Fit(context.Background(), train.X, train.Y, fit)
			return err
		}
	}
	h, err := m.Fit(context.Background(), train.X, train.Y, fit)
	if err != nil {
		return err
	}
	cs := m.CommStats()
	out := map[string]any{"net": net, "ranks": ranks, "gomaxprocs": runtime.GOMAXPROCS(0), "batch_per_rank": bs,
		"epoch_s": t.epochs, "val_accuracy": h.Values["val_accuracy"]}
	if cs.Steps > 0 {
		out["step_ms"] = cs.Step.Seconds() * 1e3 / float64(cs.Steps)
		out["allreduce_share"] = cs.Reduce.Seconds() / cs.Step.Seconds()
		out["exposed_share"] = cs.Exposed.Seconds() / cs.Step.Seconds()
		out["buckets"] = cs.Buckets
		out["sync_batchnorm"] = syncBN
		out["batchnorm_share"] = cs.BatchNorm.Seconds() / cs.Step.Seconds()
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
