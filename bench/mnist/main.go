// Command mnist trains one of the book's MNIST nets (shallow, intermediate,
// deep, lenet: the networks of examples/specs) in neurona and prints, per seed, one JSON line with the time
// of every epoch (training plus validation on the 10k test images) and the
// validation accuracy, in the format of the summary lines of
// bench/mnist_torch.py and bench/lenet_torch.py.
//
//	go run ./bench/mnist --net deep --seeds 1,2,3 --epochs 20
//	go run ./bench/mnist --net lenet --seeds 42 -v -cpuprofile lenet.prof
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

	"github.com/neurona/neurona/bench/internal/benchutil"
	"github.com/neurona/neurona/callbacks"
	"github.com/neurona/neurona/spec"
)

type result struct {
	Impl         string    `json:"impl"`
	Net          string    `json:"net"`
	Seed         uint64    `json:"seed"`
	Summary      bool      `json:"summary"`
	Epochs       int       `json:"epochs"`
	EpochSeconds []float64 `json:"epoch_seconds"`
	Median       float64   `json:"median_epoch_seconds"`
	FinalValLoss float64   `json:"final_val_loss"`
	FinalValAcc  float64   `json:"final_val_acc"`
	BestValAcc   float64   `json:"best_val_acc"`
	ValAccs      []float64 `json:"val_accs"`
}

// timer records the wall time of each epoch and, with verbose set, prints
// one line per epoch to stderr.
type timer struct {
	callbacks.Base
	start   time.Time
	seconds []float64
	verbose bool
}

func (t *timer) OnEpochBegin(int, callbacks.Logs) { t.start = time.Now() }
func (t *timer) OnEpochEnd(epoch int, logs callbacks.Logs) {
	s := time.Since(t.start).Seconds()
	t.seconds = append(t.seconds, s)
	if t.verbose {
		fmt.Fprintf(os.Stderr, "epoch %d: %.2f s, loss %.4f, accuracy %.4f, val_loss %.4f, val_accuracy %.4f\n",
			epoch+1, s, logs["loss"], logs["accuracy"], logs["val_loss"], logs["val_accuracy"])
	}
}

func main() {
	net := flag.String("net", "intermediate", "shallow, intermediate, deep or lenet")
	seeds := flag.String("seeds", "1", "comma-separated seeds")
	epochs := flag.Int("epochs", 0, "epochs (default: the book's)")
	dataDir := flag.String("data-dir", "", "IDX directory (default: embedded MNIST)")
	verbose := flag.Bool("v", false, "print each epoch to stderr")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the training to this file")
	flag.Parse()
	if err := run(*net, *seeds, *epochs, *dataDir, *verbose, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(1)
	}
}

func run(net, seedList string, epochs int, dataDir string, verbose bool, cpuProfile string) error {
	switch net {
	case "shallow", "intermediate", "deep", "lenet":
	default:
		return fmt.Errorf("unknown net %q", net)
	}
	ex, err := spec.Book(net)
	if err != nil {
		return err
	}
	if dataDir != "" {
		if err := ex.Data.UseIDX(dataDir); err != nil {
			return err
		}
	}
	train, valid, _, err := ex.Data.Load()
	if err != nil {
		return err
	}
	base := ex.FitConfig()
	if epochs == 0 {
		epochs = base.Epochs
	}
	stop, err := benchutil.StartCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	enc := json.NewEncoder(os.Stdout)
	for _, s := range strings.Split(seedList, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return fmt.Errorf("bad seed %q", s)
		}
		m, err := ex.Build(seed)
		if err != nil {
			return err
		}
		tm := &timer{verbose: verbose}
		cfg := base
		cfg.Epochs, cfg.Seed, cfg.Verbose = epochs, seed, 0
		cfg.ValidationX, cfg.ValidationY, cfg.Callbacks = valid.X, valid.Y, []callbacks.Callback{tm}
		h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
		if err != nil {
			return err
		}
		r := result{Impl: "neurona", Net: net, Seed: seed, Summary: true, Epochs: epochs, EpochSeconds: tm.seconds}
		r.ValAccs = h.Values["val_accuracy"]
		vl := h.Values["val_loss"]
		r.FinalValLoss = vl[len(vl)-1]
		r.FinalValAcc = r.ValAccs[len(r.ValAccs)-1]
		for _, a := range r.ValAccs {
			r.BestValAcc = max(r.BestValAcc, a)
		}
		r.Median = benchutil.EpochMedian(tm.seconds)
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}
