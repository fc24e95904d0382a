// Command flowers trains the book's AlexNet or VGGNet (examples/specs
// alexnet.yaml, vggnet.yaml) on the Oxford 17 Flowers photographs in
// neurona, the images decoded once and held in memory, and prints JSON
// lines in the format of flowers_torch.py: one per epoch, then a summary
// per seed.
//
//	go run ./bench/flowers --net alexnet --seeds 1,2,3 --epochs 20 --data DIR
//	go run ./bench/flowers --net vggnet --epochs 1 --max-train 128 --data DIR
//
// The data are shuffled once at load with NumPy's
// RandomState(seed).permutation(1360), as flowers_torch.py does, so both
// sides hold out the same 136 images (the last 10%, Keras's
// validation_split 0.1) for every seed.
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
	"github.com/neurona/neurona/datasets"
	"github.com/neurona/neurona/spec"
)

type epochLine struct {
	Impl         string  `json:"impl"`
	Net          string  `json:"net"`
	Seed         uint64  `json:"seed"`
	Epoch        int     `json:"epoch"`
	EpochSeconds float64 `json:"epoch_seconds"`
	TrainSeconds float64 `json:"train_seconds"`
	Loss         float64 `json:"loss"`
	Acc          float64 `json:"acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
}

type summary struct {
	Impl         string    `json:"impl"`
	Net          string    `json:"net"`
	Seed         uint64    `json:"seed"`
	Summary      bool      `json:"summary"`
	Epochs       int       `json:"epochs"`
	Train        int       `json:"train_samples"`
	EpochSeconds []float64 `json:"epoch_seconds"`
	Median       float64   `json:"median_epoch_seconds"`
	FinalValAcc  float64   `json:"final_val_acc"`
	BestValAcc   float64   `json:"best_val_acc"`
	ValAccs      []float64 `json:"val_accs"`
}

// timer records each epoch's wall time (training plus validation) and the
// training part alone, and prints one JSON line per epoch.
type timer struct {
	callbacks.Base
	net       string
	seed      uint64
	enc       *json.Encoder
	start     time.Time
	trainDone time.Time
	seconds   []float64
	err       error
}

func (t *timer) OnEpochBegin(int, callbacks.Logs) { t.start = time.Now() }

// OnBatchEnd marks the end of training: the last batch's end is when
// validation starts.
func (t *timer) OnBatchEnd(int, callbacks.Logs) { t.trainDone = time.Now() }

func (t *timer) OnEpochEnd(epoch int, logs callbacks.Logs) {
	s := time.Since(t.start).Seconds()
	t.seconds = append(t.seconds, s)
	l := epochLine{Impl: "neurona", Net: t.net, Seed: t.seed, Epoch: epoch + 1, EpochSeconds: s,
		TrainSeconds: t.trainDone.Sub(t.start).Seconds(), Loss: logs["loss"], Acc: logs["accuracy"],
		ValLoss: logs["val_loss"], ValAcc: logs["val_accuracy"]}
	if err := t.enc.Encode(l); err != nil && t.err == nil {
		t.err = err
	}
}

func (t *timer) Err() error { return t.err }

func main() {
	net := flag.String("net", "alexnet", "alexnet or vggnet")
	seeds := flag.String("seeds", "1", "comma-separated seeds (each also seeds the load's shuffle)")
	epochs := flag.Int("epochs", 2, "epochs")
	dataDir := flag.String("data", "", "directory of the image_NNNN.jpg files (default: the dataset cache)")
	maxTrain := flag.Int("max-train", 0, "train on only the first N training images (0: all 1,224)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the training to this file")
	flag.Parse()
	if err := run(*net, *seeds, *epochs, *dataDir, *maxTrain, *cpuProfile); err != nil {
		fmt.Fprintln(os.Stderr, "flowers:", err)
		os.Exit(1)
	}
}

func run(net, seedList string, epochs int, dataDir string, maxTrain int, cpuProfile string) error {
	if net != "alexnet" && net != "vggnet" {
		return fmt.Errorf("unknown net %q (alexnet or vggnet)", net)
	}
	ex, err := spec.Book(net)
	if err != nil {
		return err
	}
	stop, err := benchutil.StartCPUProfile(cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	enc := json.NewEncoder(os.Stdout)
	for _, s := range strings.Split(seedList, ",") {
		seed, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
		if err != nil {
			return fmt.Errorf("bad seed %q", s)
		}
		t0 := time.Now()
		all, err := datasets.Flowers17(datasets.Flowers17Options{Dir: dataDir, Seed: uint32(seed)})
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "flowers: loaded %d images in %.1f s\n", all.Len(), time.Since(t0).Seconds())
		at := int(float64(all.Len()) * (1 - ex.Data.ValidationSplit))
		train, valid := all.Slice(0, at), all.Slice(at, all.Len())
		if maxTrain > 0 && maxTrain < at {
			train = all.Head(maxTrain)
		}
		m, err := ex.Build(seed)
		if err != nil {
			return err
		}
		tm := &timer{net: net, seed: seed, enc: enc}
		cfg := ex.FitConfig()
		cfg.Epochs, cfg.Seed, cfg.Verbose, cfg.ValidationSplit = epochs, seed, 0, 0
		cfg.ValidationX, cfg.ValidationY, cfg.Callbacks = valid.X, valid.Y, []callbacks.Callback{tm}
		h, err := m.Fit(context.Background(), train.X, train.Y, cfg)
		if err != nil {
			return err
		}
		r := summary{Impl: "neurona", Net: net, Seed: seed, Summary: true, Epochs: epochs, Train: train.Len(), EpochSeconds: tm.seconds}
		r.ValAccs = h.Values["val_accuracy"]
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
